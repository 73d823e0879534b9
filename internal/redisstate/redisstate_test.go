package redisstate

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gotok/tiktok/internal/redistest"
)

// TestViewsFirstOnceAcrossServers: two servers claiming the same pairs at once get each
// pair's first claim exactly once between them.
func TestViewsFirstOnceAcrossServers(t *testing.T) {
	srv := redistest.Start(t)
	servers := []*Views{NewViews(srv.Client(), "p:"), NewViews(srv.Client(), "p:")}
	keys := []string{"1:alice", "1:bob", "2:alice"}
	var firsts atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first, err := servers[i%2].First(context.Background(), keys, time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			for _, f := range first {
				if f {
					firsts.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := firsts.Load(); n != 3 {
		t.Fatalf("%d first claims of 3 pairs claimed 20 times", n)
	}
	ttl := srv.Client().TTL(context.Background(), "p:v:1:alice").Val()
	if ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("claim TTL %v, want the window", ttl)
	}
}

func TestCache(t *testing.T) {
	srv := redistest.Start(t)
	c := NewCache(srv.Client(), "p:", 10)
	ctx := context.Background()
	if b, _, err := c.Get(ctx, "k"); err != nil || b != nil {
		t.Fatalf("get of a missing key: %q %v", b, err)
	}
	if err := c.Set(ctx, "k", []byte("0123456789"), time.Second); err != nil {
		t.Fatal(err)
	}
	b, ttl, err := c.Get(ctx, "k")
	if err != nil || string(b) != "0123456789" || ttl <= 0 || ttl > time.Second {
		t.Fatalf("get: %q %v %v", b, ttl, err)
	}
	if err := c.Set(ctx, "big", []byte("0123456789A"), time.Second); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("set of 11 bytes into a 10-byte cache: %v", err)
	}
	if srv.Client().Exists(ctx, "p:c:big").Val() != 0 {
		t.Fatal("a value over the bound was stored")
	}
}

// TestOutageCountedAndSkipped: a failed command counts in redis_errors_total, and for the
// cooldown after it the caller gets ErrDown at once instead of waiting for Redis again.
func TestOutageCountedAndSkipped(t *testing.T) {
	srv := redistest.Start(t)
	client, errs, err := Open(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	c := NewCache(client, "p:", 100)
	ctx := context.Background()
	if _, _, err := c.Get(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	start := time.Now()
	if _, _, err := c.Get(ctx, "k"); err == nil || errors.Is(err, ErrDown) {
		t.Fatalf("get during an outage: %v, want Redis's error", err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Fatalf("a refused connection took %v to fail (go-redis's dial retries?)", took)
	}
	if n := testutil.ToFloat64(errs); n < 1 {
		t.Fatalf("redis_errors_total %v after a failure", n)
	}
	if _, _, err := c.Get(ctx, "k"); !errors.Is(err, ErrDown) {
		t.Fatalf("get right after a failure: %v, want ErrDown", err)
	}
	if _, err := NewViews(client, "p:").First(ctx, []string{"1:a"}, time.Hour); err == nil {
		t.Fatal("First during an outage reported no error")
	}
	if _, _, err := Open("http://x"); err == nil {
		t.Fatal("Open accepted an http URL")
	}
}

// TestSlots: at most limit leases at once; a released one and an expired one (its server
// gone) free their slot.
func TestSlots(t *testing.T) {
	srv := redistest.Start(t)
	s := NewSlots(srv.Client(), "p:")
	ctx := context.Background()
	release, ok, err := s.Acquire(ctx, "up", "k", 2, time.Minute)
	if err != nil || !ok {
		t.Fatalf("first: %v %v", ok, err)
	}
	if _, ok, _ := s.Acquire(ctx, "up", "k", 2, 200*time.Millisecond); !ok { // never released
		t.Fatal("second refused")
	}
	if _, ok, _ := s.Acquire(ctx, "up", "k", 2, time.Minute); ok {
		t.Fatal("third admitted under a limit of 2")
	}
	if _, ok, _ := s.Acquire(ctx, "up", "other", 2, time.Minute); !ok {
		t.Fatal("keys are not independent")
	}
	release()
	if _, ok, _ := s.Acquire(ctx, "up", "k", 2, time.Minute); !ok {
		t.Fatal("a released slot is not free")
	}
	time.Sleep(250 * time.Millisecond)
	if _, ok, _ := s.Acquire(ctx, "up", "k", 2, time.Minute); !ok {
		t.Fatal("an expired lease still holds its slot")
	}
	if ttl := srv.Client().PTTL(ctx, "p:s:up:k").Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("slot set TTL %v", ttl)
	}
}

// memPositions is a minimal in-process positions for TestPositions.
type memPositions map[string]uint64

func (m memPositions) Remember(_ context.Context, w string, lsn uint64) { m[w] = max(m[w], lsn) }
func (m memPositions) Lookup(_ context.Context, w string) uint64        { return m[w] }

// TestPositions: a position remembered through one server's Positions is seen through
// another's, only raised, and while Redis is down every writer reads the primary.
func TestPositions(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	a := NewPositions(rs.Client(), "t:", time.Minute, memPositions{})
	b := NewPositions(rs.Client(), "t:", time.Minute, memPositions{})
	a.Remember(ctx, "7", 100)
	a.Remember(ctx, "7", 50) // older: ignored
	if got := b.Lookup(ctx, "7"); got != 100 {
		t.Errorf("b sees %d, want 100", got)
	}
	if got := b.Lookup(ctx, "8"); got != 0 {
		t.Errorf("an unknown writer needs %d, want 0", got)
	}
	rs.Stop()
	if got := b.Lookup(ctx, "8"); got != math.MaxUint64 {
		t.Errorf("with Redis down a writer needs %d, want the primary (MaxUint64)", got)
	}
}

// TestSlotsHold: a held lease lives as long as it is renewed; once it lapsed, renewing takes
// a slot again if one is free and reports false if not.
func TestSlotsHold(t *testing.T) {
	srv := redistest.Start(t)
	s := NewSlots(srv.Client(), "p:")
	ctx := context.Background()
	// A ttl four renewal intervals long: a renewal late by most of a second under load
	// still finds the lease held, while the renewals together outlast the ttl.
	renew, release, ok, err := s.Hold(ctx, "st", "u", 1, time.Second)
	if err != nil || !ok {
		t.Fatalf("hold: %v %v", ok, err)
	}
	for range 6 { // 1.5 s in all, renewed every 250 ms
		time.Sleep(250 * time.Millisecond)
		if held, err := renew(ctx); err != nil || !held {
			t.Fatalf("renew: %v %v", held, err)
		}
	}
	if _, _, ok, _ := s.Hold(ctx, "st", "u", 1, time.Minute); ok {
		t.Fatal("a renewed lease lapsed: a second holder was admitted under a limit of 1")
	}
	time.Sleep(1300 * time.Millisecond) // not renewed: lapsed
	_, other, ok, _ := s.Hold(ctx, "st", "u", 1, time.Minute)
	if !ok {
		t.Fatal("a lapsed lease still holds its slot")
	}
	if held, err := renew(ctx); err != nil || held {
		t.Fatalf("renewing a lapsed lease while the slot is taken: %v %v, want false", held, err)
	}
	other()
	if held, err := renew(ctx); err != nil || !held {
		t.Fatalf("renewing a lapsed lease with the slot free: %v %v, want true", held, err)
	}
	release()
	if _, _, ok, _ := s.Hold(ctx, "st", "u", 1, time.Minute); !ok {
		t.Fatal("a released lease still holds its slot")
	}
}
