package ratelimit

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/redistest"
)

func TestRedisBucket(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client()
	l := NewRedis(client, "t:")
	ctx := context.Background()
	rule := Rule{Name: "r", Limit: 3, Window: time.Hour}
	for i := range 3 {
		if d, err := l.Take(ctx, rule, "k", 1); err != nil || !d.Allowed {
			t.Fatalf("take %d: %+v %v", i, d, err)
		}
	}
	d, err := l.Take(ctx, rule, "k", 1)
	if err != nil || d.Allowed || d.RetryAfter < 19*time.Minute || d.RetryAfter > 20*time.Minute {
		t.Fatalf("4th take: %+v %v (want refused, retry after about 20 minutes)", d, err)
	}
	if d, _ := l.Take(ctx, rule, "other", 1); !d.Allowed {
		t.Fatal("keys are not independent")
	}
	if d, _ := l.Take(ctx, Rule{Name: "r2", Limit: 3, Window: time.Hour}, "k", 1); !d.Allowed {
		t.Fatal("rules are not independent")
	}
	// A refund gives one unit back, and never fills past the limit.
	if err := l.Refund(ctx, rule, "k", 1); err != nil {
		t.Fatal(err)
	}
	if d, _ := l.Take(ctx, rule, "k", 1); !d.Allowed {
		t.Fatal("take refused after a refund")
	}
	if d, _ := l.Take(ctx, rule, "k", 1); d.Allowed {
		t.Fatal("refund gave back more than one unit")
	}
	if err := l.Refund(ctx, rule, "never-taken", 5); err != nil {
		t.Fatal(err)
	}
	if n := client.Exists(ctx, "t:rl:r:never-taken").Val(); n != 0 {
		t.Fatal("a refund to a full bucket stored it")
	}
	// A bucket expires when it would be full again: at most one window.
	ttl := client.PTTL(ctx, "t:rl:r:k").Val()
	if ttl <= 0 || ttl > time.Hour {
		t.Fatalf("bucket TTL %v, want within (0, 1h]", ttl)
	}
	// More than the limit at once is never allowed; its wait is that of a full bucket.
	d, _ = l.Take(ctx, Rule{Name: "bytes", Limit: 100, Window: time.Minute}, "k", 101)
	if d.Allowed || d.RetryAfter > time.Minute {
		t.Fatalf("take over the limit: %+v", d)
	}
	// Refilled continuously: a 1-per-100ms rule allows again after 100 ms.
	fast := Rule{Name: "fast", Limit: 10, Window: time.Second}
	for range 10 {
		l.Take(ctx, fast, "k", 1)
	}
	if d, _ := l.Take(ctx, fast, "k", 1); d.Allowed {
		t.Fatal("11th take in a second allowed")
	}
	time.Sleep(150 * time.Millisecond)
	if d, _ := l.Take(ctx, fast, "k", 1); !d.Allowed {
		t.Fatal("no refill after 150 ms")
	}
	if d, _ := l.Take(ctx, Rule{Name: "off"}, "k", 1); !d.Allowed {
		t.Fatal("limit 0 must disable the rule")
	}
}

// TestRedisBurstAcrossServers: a burst spread over two limiters (two servers) sharing one
// Redis is bounded by one limit, for single actions and for byte budgets.
func TestRedisBurstAcrossServers(t *testing.T) {
	srv := redistest.Start(t)
	servers := []*Redis{NewRedis(srv.Client(), ""), NewRedis(srv.Client(), "")}
	ctx := context.Background()

	burst := func(rule Rule, goroutines, n int) int64 {
		var allowed atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				d, err := servers[i%2].Take(ctx, rule, "burst", n)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					allowed.Add(int64(n))
				}
			}()
		}
		close(start)
		wg.Wait()
		return allowed.Load()
	}
	if got := burst(Rule{Name: "login", Limit: 25, Window: time.Hour}, 200, 1); got != 25 {
		t.Fatalf("%d of 200 racing takes allowed across two servers, want exactly 25", got)
	}
	if got := burst(Rule{Name: "bytes", Limit: 1000, Window: time.Hour}, 100, 30); got > 1000 || got < 1000-30+1 {
		t.Fatalf("%d bytes allowed of a 1000-byte budget, want in [971, 1000]", got)
	}
}

// TestFallbackOnOutage: when Redis stops, the limiter decides locally (same rules, per
// server) without error, skips Redis for the cooldown, and goes back to Redis once it
// answers again.
func TestFallbackOnOutage(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client()
	var failures atomic.Int64
	f := &Fallback{
		Primary:  NewRedis(client, ""),
		Local:    NewMemory(100, time.Now),
		Cooldown: 200 * time.Millisecond,
		OnError:  func(error) { failures.Add(1) },
	}
	ctx := context.Background()
	rule := Rule{Name: "login", Limit: 3, Window: time.Hour}
	if d, err := f.Take(ctx, rule, "k", 1); err != nil || !d.Allowed {
		t.Fatalf("take: %+v %v", d, err)
	}
	if client.Exists(ctx, "rl:login:k").Val() != 1 {
		t.Fatal("the bucket is not in Redis")
	}

	srv.Stop()
	start := time.Now()
	for i := range 3 { // the local bucket is a fresh one: 3 allowed, then refused
		if d, err := f.Take(ctx, rule, "k", 1); err != nil || !d.Allowed {
			t.Fatalf("take %d during the outage: %+v %v", i, d, err)
		}
	}
	if d, err := f.Take(ctx, rule, "k", 1); err != nil || d.Allowed {
		t.Fatalf("4th take during the outage: %+v %v, want refused by the local limiter", d, err)
	}
	if err := f.Refund(ctx, rule, "k", 1); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the outage made calls slow: %v", took)
	}
	if failures.Load() < 1 {
		t.Fatal("OnError was not told of the outage")
	}

	srv.Restart() // empty: the data went with the process
	time.Sleep(250 * time.Millisecond)
	if d, err := f.Take(ctx, rule, "k2", 1); err != nil || !d.Allowed {
		t.Fatalf("take after restart: %+v %v", d, err)
	}
	if client.Exists(ctx, "rl:login:k2").Val() != 1 {
		t.Fatal("Redis is not used again after it came back")
	}
}

// BenchmarkRedisTake measures one Take against a local redis-server (one round trip and
// the script): what a Redis-backed limit adds to a request. Each call uses a fresh key, as
// the per-client request limit mostly does.
func BenchmarkRedisTake(b *testing.B) {
	srv := redistest.Start(b)
	l := NewRedis(srv.Client(), "")
	ctx := context.Background()
	rule := Rule{Name: "bench", Limit: 600, Window: time.Minute}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Take(ctx, rule, strconv.Itoa(i%1000), 1); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
