package httpapi

import "testing"

func TestTokenVersionsCache(t *testing.T) {
	c := newTokenVersions(3)
	if _, _, epoch := c.get(1); epoch != 0 {
		t.Fatal("caching before the listener listens")
	}
	c.fill(1, 5, 0)
	if _, ok, _ := c.get(1); ok {
		t.Fatal("a version cached while not listening")
	}
	c.listening()
	_, _, epoch := c.get(1)
	c.bumped(1, 6)      // a bump announced while the lookup read 5 …
	c.fill(1, 5, epoch) // … does not bring 5 back
	if v, ok, _ := c.get(1); !ok || v != 6 {
		t.Errorf("after a bump and a stale fill: %d %v, want 6", v, ok)
	}
	c.bumped(1, deletedVersion)
	c.bumped(1, 7)
	if v, _, _ := c.get(1); v != deletedVersion {
		t.Errorf("a deleted account came back: %d", v)
	}
	// A fill of an epoch the listener has left (it reconnected meanwhile) is dropped.
	_, _, old := c.get(2)
	c.listening()
	c.fill(2, 1, old)
	if _, ok, _ := c.get(2); ok {
		t.Error("a fill from before a reconnection was cached")
	}
	if _, ok, _ := c.get(1); ok {
		t.Error("a reconnection kept the cache")
	}
	// Bounded.
	_, _, epoch = c.get(0)
	for u := int64(10); u < 20; u++ {
		c.fill(u, 1, epoch)
	}
	if n := len(c.entries); n > 3 {
		t.Errorf("%d entries, want at most 3", n)
	}
	c.stopped()
	if _, ok, e := c.get(10); ok || e != 0 {
		t.Error("caching after the listener stopped")
	}
}
