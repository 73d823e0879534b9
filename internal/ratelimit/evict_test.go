package ratelimit

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// checkLRU fails the test unless the map and the least-recently-used list hold the same
// buckets, at most maxKeys of them; it returns the keys from most to least recently used.
func checkLRU(t *testing.T, m *Memory) []string {
	t.Helper()
	var keys []string
	for b := m.lru.next; b != &m.lru; b = b.next {
		if b.next.prev != b {
			t.Fatalf("list broken at %q", b.k.key)
		}
		if m.buckets[b.k] != b {
			t.Fatalf("listed bucket %q is not in the map", b.k.key)
		}
		keys = append(keys, b.k.key)
		if len(keys) > len(m.buckets) {
			t.Fatal("list longer than the map")
		}
	}
	if len(keys) != len(m.buckets) {
		t.Fatalf("list has %d buckets, map %d", len(keys), len(m.buckets))
	}
	if len(m.buckets) > m.maxKeys {
		t.Fatalf("%d buckets, max %d", len(m.buckets), m.maxKeys)
	}
	return keys
}

func TestMemoryBoundHolds(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(100, c.now)
	ctx := context.Background()
	rule := Rule{Name: "r", Limit: 2, Window: time.Hour}
	for i := range 10_000 {
		m.Take(ctx, rule, strconv.Itoa(i), 1)
		if i%997 == 0 {
			checkLRU(t, m)
		}
	}
	if keys := checkLRU(t, m); len(keys) != 100 || keys[0] != "9999" || keys[99] != "9900" {
		t.Fatalf("after the flood: %d buckets, most recent %q, least recent %q", len(keys), keys[0], keys[len(keys)-1])
	}
}

// TestMemoryFullStillLimitsNewKeys floods a full limiter with distinct keys: each new key
// must be tracked and limited, and a limited key in use must stay limited.
func TestMemoryFullStillLimitsNewKeys(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(100, c.now)
	ctx := context.Background()
	rule := Rule{Name: "r", Limit: 1, Window: time.Hour}
	if d, _ := m.Take(ctx, rule, "victim", 1); !d.Allowed {
		t.Fatal("first take refused")
	}
	for i := range 1000 {
		key := "flood" + strconv.Itoa(i)
		if d, _ := m.Take(ctx, rule, key, 1); !d.Allowed {
			t.Fatalf("new key %s refused", key)
		}
		if d, _ := m.Take(ctx, rule, key, 1); d.Allowed {
			t.Fatalf("new key %s past maxKeys is not limited", key)
		}
		if i%50 == 0 { // the victim keeps trying, so it stays recently used
			if d, _ := m.Take(ctx, rule, "victim", 1); d.Allowed {
				t.Fatalf("limited key allowed after %d flood keys", i+1)
			}
		}
	}
	checkLRU(t, m)
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(3, c.now)
	ctx := context.Background()
	rule := Rule{Name: "r", Limit: 1, Window: time.Hour}
	for _, k := range []string{"a", "b", "c"} {
		m.Take(ctx, rule, k, 1)
	}
	if d, _ := m.Take(ctx, rule, "a", 1); d.Allowed { // a refused take is a use
		t.Fatal("a allowed twice")
	}
	m.Refund(ctx, rule, "c", 0) // n = 0 is no use
	m.Take(ctx, rule, "d", 1)   // evicts b
	if got := checkLRU(t, m); len(got) != 3 || got[0] != "d" || got[1] != "a" || got[2] != "c" {
		t.Fatalf("LRU order %q, want [d a c]", got)
	}
	for _, k := range []string{"a", "c", "d"} {
		if d, _ := m.Take(ctx, rule, k, 1); d.Allowed {
			t.Fatalf("%s forgotten", k)
		}
	}
	if d, _ := m.Take(ctx, rule, "b", 1); !d.Allowed { // the evicted key starts afresh
		t.Fatal("evicted key still limited")
	}
	if got := checkLRU(t, m); got[0] != "b" || got[1] != "d" || got[2] != "c" {
		t.Fatalf("LRU order %q, want [b d c]", got)
	}
	// Refunding a forgotten key remembers nothing; refunding a tracked one is a use.
	m.Refund(ctx, rule, "a", 1)
	m.Refund(ctx, rule, "c", 1)
	if got := checkLRU(t, m); got[0] != "c" || got[1] != "b" || got[2] != "d" {
		t.Fatalf("LRU order %q, want [c b d]", got)
	}
}

func TestMemoryForgetsRefilledBuckets(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(100, c.now)
	ctx := context.Background()
	short := Rule{Name: "short", Limit: 2, Window: time.Minute}
	long := Rule{Name: "long", Limit: 2, Window: time.Hour}
	for i := range 10 {
		m.Take(ctx, short, strconv.Itoa(i), 1)
	}
	m.Take(ctx, long, "kept", 1)
	c.t = c.t.Add(2 * time.Minute) // the short buckets are full again, the long one is not
	for range 3 {                  // expirePerCall buckets per call: three calls forget ten
		m.Take(ctx, long, "kept", 0) // n = 0 touches nothing
		m.Take(ctx, short, "0", 1)
		m.Refund(ctx, short, "0", 1)
	}
	keys := checkLRU(t, m)
	if len(keys) != 2 || keys[0] != "0" || keys[1] != "kept" {
		t.Fatalf("buckets left %q, want [0 kept]", keys)
	}
	// Bucket "0" is full again (refunded) but more recently used than "kept": it waits.
	c.t = c.t.Add(time.Hour)
	m.Take(ctx, long, "other", 0)
	m.Refund(ctx, long, "gone", 1)
	if keys := checkLRU(t, m); len(keys) != 0 {
		t.Fatalf("buckets left %q after every window", keys)
	}
}

// TestMemoryParallelTakeOneKey races many Takes for one key: exactly the limit is granted.
func TestMemoryParallelTakeOneKey(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(1<<10, c.now)
	rule := Rule{Name: "r", Limit: 10, Window: time.Hour}
	var granted atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 200 {
		wg.Go(func() {
			<-start
			if d, _ := m.Take(context.Background(), rule, "k", 1); d.Allowed {
				granted.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if g := granted.Load(); g != 10 {
		t.Fatalf("%d of 200 racing takes granted, limit 10", g)
	}
}
