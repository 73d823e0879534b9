package httpapi_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/config"
	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/redisstate"
	"github.com/gotok/tiktok/internal/redistest"
)

// redisPrefix namespaces the test servers' keys, as serve's "tiktok:" does.
const redisPrefix = "t:"

// withRedis shares the server's state through rs, as serve does with REDIS_URL.
func withRedis(t *testing.T, rs *redistest.Server) option {
	return func(d *httpapi.Deps) {
		client, errs, err := redisstate.Open(rs.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { client.Close() })
		d.Limiter = redisstate.NewLimiter(client, redisPrefix, nil)
		d.SharedViews = redisstate.NewViews(client, redisPrefix)
		d.SharedCache = redisstate.NewCache(client, redisPrefix, 1<<20)
		d.SharedSlots = redisstate.NewSlots(client, redisPrefix)
		d.Collectors = append(d.Collectors, errs)
	}
}

// twoServers starts two servers on one database sharing the Redis rs.
func twoServers(t *testing.T, rs *redistest.Server, opts ...option) (*env, *env) {
	pool := pgtest.Pool(t)
	opts = append(opts, withRedis(t, rs))
	return newEnvWithPool(t, pool, opts...), newEnvWithPool(t, pool, opts...)
}

// burstAcross sends n requests at once, request i to servers[i%len(servers)], and returns
// how many got each status.
func burstAcross(servers []*env, n int, method string, path func(i int) string, body func(i int) any, from func(i int) string) map[int]int {
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		wg       sync.WaitGroup
		start    = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var headers []string
			if from != nil {
				headers = []string{"X-Forwarded-For", from(i)}
			}
			var b any
			if body != nil {
				b = body(i)
			}
			<-start
			res := servers[i%len(servers)].requestNoSpec(method, path(i), b, "", headers...)
			mu.Lock()
			statuses[res]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return statuses
}

// TestRedisLimitsHoldAcrossServers: a burst of wrong passwords spread over two servers
// sharing Redis is bounded by one limit (per account, per client address); with the
// in-process limiter each server would allow the limit.
func TestRedisLimitsHoldAcrossServers(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	a, b := twoServers(t, rs, withLimits(config.Limits{LoginPerAccount: 4, LoginPerIP: 1000}), withBcrypt(t, 4, 2))
	u := a.register("shared")
	login := func(int) string { return "/api/users/login" }
	got := burstAcross([]*env{a, b}, 30, "POST", login, func(int) any {
		return map[string]any{"email": u.email, "password": "wrong-password"}
	}, nil)
	if got[401] != 4 || got[429] != 26 {
		t.Fatalf("per-account burst over two servers: %v, want 4 × 401 and 26 × 429", got)
	}
	expectLimited(t, b.request("POST", "/api/users/login", map[string]any{"email": u.email, "password": "password123"}, ""))

	c, d := twoServers(t, rs, behindProxy, withLimits(config.Limits{LoginPerAccount: 1000, LoginPerIP: 5}), withBcrypt(t, 4, 2))
	got = burstAcross([]*env{c, d}, 30, "POST", login, func(i int) any {
		return map[string]any{"email": fmt.Sprintf("nobody%d@example.com", i), "password": "wrong-password"}
	}, func(int) string { return "198.51.100.7" })
	if got[401] != 5 || got[429] != 25 {
		t.Fatalf("per-address burst over two servers: %v, want 5 × 401 and 25 × 429", got)
	}
}

// viewsOf waits until the views of video (written by the flushes) equal want and stay so
// for a few flushes, failing the test if they pass it or never reach it.
func viewsOf(t *testing.T, e *env, owner int64, want int64) {
	t.Helper()
	var views int64
	deadline := time.Now().Add(10 * time.Second)
	stable := time.Time{}
	for time.Now().Before(deadline) {
		list := e.request("GET", "/api/users/"+itoa(owner)+"/videos", nil, "") // counts no view
		views = int64(list.items("videos")[0]["views"].(float64))
		switch {
		case views > want:
			t.Fatalf("views %d, want %d", views, want)
		case views == want && stable.IsZero():
			stable = time.Now()
		case views == want && time.Since(stable) > 300*time.Millisecond:
			return // no late count after many 20 ms flushes
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("views %d, want %d", views, want)
}

// TestRedisViewsCountedOnceAcrossServers: 5 viewers each viewing a video 8 times, spread
// over two servers at once, count 5 views (without the shared de-duplication: 10).
func TestRedisViewsCountedOnceAcrossServers(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	a, b := twoServers(t, rs, behindProxy)
	u := a.register("watched")
	path := "/api/videos/" + itoa(a.video(u, "watch me")) + "/view"
	got := burstAcross([]*env{a, b}, 40, "POST", func(int) string { return path }, nil,
		func(i int) string { return "203.0.113." + strconv.Itoa(i/8+1) })
	if got[204] != 40 {
		t.Fatalf("answers %v, want 40 × 204", got)
	}
	viewsOf(t, a, u.id, 5)
}

// TestRedisOutage: Redis stops while two servers run. Nothing answers 5xx; reads go on;
// views still count (fail open: de-duplicated per server meanwhile); login failures are
// still limited, by each server's own limiter. When Redis is back, the servers share
// again.
func TestRedisOutage(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	a, b := twoServers(t, rs, behindProxy, withLimits(config.Limits{LoginPerAccount: 3, LoginPerIP: 1000}), withBcrypt(t, 4, 2))
	u := a.register("outage")
	v := a.video(u, "still here")
	path := "/api/videos/" + itoa(v) + "/view"
	expect(t, a.request("GET", "/api/videos/for-you", nil, ""), 200, "")

	rs.Stop()
	for _, e := range []*env{a, b} {
		expect(t, e.request("GET", "/api/videos/for-you", nil, ""), 200, "") // anonymous first page
		expect(t, e.request("GET", "/api/videos/"+itoa(v), nil, ""), 200, "")
		expect(t, e.request("POST", path, nil, "", "X-Forwarded-For", "203.0.113.1"), 204, "")
		expect(t, e.request("POST", path, nil, "", "X-Forwarded-For", "203.0.113.1"), 204, "")
	}
	// Fail open: each server counts its viewers once (the GET counted 127.0.0.1, the POSTs
	// 203.0.113.1): 2 viewers × 2 servers.
	viewsOf(t, a, u.id, 4)

	bad := map[string]any{"email": u.email, "password": "wrong-password"}
	for range 3 {
		expect(t, a.request("POST", "/api/users/login", bad, ""), 401, "invalid_credentials")
	}
	expectLimited(t, a.request("POST", "/api/users/login", bad, ""))
	// b has its own local budget meanwhile: the price of not locking everybody out.
	expect(t, b.request("POST", "/api/users/login", map[string]any{"email": u.email, "password": "password123"}, ""), 200, "")
	metrics := a.request("GET", "/metrics", nil, "")
	if !strings.Contains(string(metrics.raw), "redis_errors_total") || strings.Contains(string(metrics.raw), "redis_errors_total 0\n") {
		t.Fatalf("redis_errors_total does not count the outage")
	}

	rs.Restart()
	time.Sleep(1100 * time.Millisecond) // the fallbacks' cooldown
	for _, e := range []*env{a, b, a, b} {
		expect(t, e.request("POST", path, nil, "", "X-Forwarded-For", "203.0.113.2"), 204, "")
	}
	viewsOf(t, a, u.id, 5) // shared again: the new viewer counts once
	expect(t, b.request("POST", "/api/users/login", bad, ""), 401, "invalid_credentials")
	if n, err := rs.Client().Keys(context.Background(), redisPrefix+"rl:login-account:*").Result(); err != nil || len(n) != 1 {
		t.Fatalf("login limit keys in Redis after it came back: %v %v", n, err)
	}
}

// TestRedisAnonymousFeedShared: the anonymous For You first page one server computed is
// served by the other from Redis, for at most its TTL.
func TestRedisAnonymousFeedShared(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	a, b := twoServers(t, rs)
	u := a.register("creator")
	v := a.video(u, "shared page")
	res := a.request("GET", "/api/videos/for-you?limit=7", nil, "")
	expect(t, res, 200, "")
	if len(res.items("videos")) != 1 {
		t.Fatalf("first page: %s", res.raw)
	}
	ctx := context.Background()
	key := redisPrefix + "c:foryou-anon:v1:7"
	client := rs.Client()
	if ttl := client.PTTL(ctx, key).Val(); ttl <= 0 || ttl > time.Second {
		t.Fatalf("cached page TTL %v, want within (0, 1s]", ttl)
	}
	client.PExpire(ctx, key, time.Minute) // so the test does not race the one-second TTL
	// The page read back from Redis renders exactly as the page computed.
	fromRedis := b.request("GET", "/api/videos/for-you?limit=7", nil, "")
	if got := strings.ReplaceAll(string(fromRedis.raw), b.srv.URL, a.srv.URL); got != string(res.raw) {
		t.Fatalf("page from Redis differs:\n%s\nwant\n%s", got, res.raw)
	}
	expect(t, a.request("DELETE", "/api/videos/"+itoa(v), nil, u.token), 200, "")
	res = b.request("GET", "/api/videos/for-you?limit=7", nil, "")
	if len(res.items("videos")) != 1 || res.items("videos")[0]["id"].(float64) != float64(v) {
		t.Fatalf("b did not serve the page a computed: %s", res.raw)
	}
	client.Del(ctx, key)
	time.Sleep(1100 * time.Millisecond) // b's own copy lasts at most one second
	res = b.request("GET", "/api/videos/for-you?limit=7", nil, "")
	if len(res.items("videos")) != 0 {
		t.Fatalf("b still serves the deleted video: %s", res.raw)
	}
}

// TestRedisUploadCapAcrossServers: one client's storage uploads in progress are bounded
// across two servers: 6 started at once over both under a cap of 2 → 4 refused at once
// while 2 stream; when they end, the slots are free again on either server.
func TestRedisUploadCapAcrossServers(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	const limit = 2
	a, b := twoServers(t, rs, storageCompat, func(d *httpapi.Deps) {
		d.Config.Limits = config.Limits{Enabled: true, StorageUploadsPerIP: limit}
	})
	servers := []*env{a, b}
	u := a.register("busy")
	clip := uploadBurst(t, servers, u, limit, 6)
	for _, e := range servers { // the slots were given back
		expect(t, e.storagePut("videos", fmt.Sprintf("user-%d/after-%p.mp4", u.id, e), clip, ""), 200, "")
	}
}

// TestRedisStreamCapAcrossServers: a user's notification streams are bounded across
// servers, not per server: with a bound of 2, one stream on each server fills it. A stream's
// slot is a lease renewed at every heartbeat (300 ms here; it lapses after three), so it
// holds as long as the stream does, and it is free again when the stream closes. While
// Redis is out, each server's own bound decides.
func TestRedisStreamCapAcrossServers(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	a, b := twoServers(t, rs, withNotifyStreams(2, 300*time.Millisecond))
	u := a.register("everywhere")
	first, res := a.stream(u.token)
	expect(t, res, 200, "")
	second, res := b.stream(u.token)
	expect(t, res, 200, "")
	for _, e := range []*env{a, b} {
		_, res := e.stream(u.token)
		expect(t, res, 429, "rate_limited")
	}
	time.Sleep(1500 * time.Millisecond) // five heartbeats: past an unrenewed lease's 900 ms
	if _, res := a.stream(u.token); res.status != 429 {
		t.Fatalf("after 1.5 s the open streams' slots were free: %s", res)
	}
	other := b.register("elsewhere")
	if _, res := a.stream(other.token); res.status != 200 {
		t.Fatalf("another user's stream: %s", res)
	}

	first.res.Body.Close()
	b.waitStreamAdmitted(u.token, "a closed stream's slot was not given back")

	rs.Stop()
	// a holds none of u's streams now, b holds one: each admits up to its own bound.
	s, res := a.stream(u.token)
	expect(t, res, 200, "")
	s.res.Body.Close()
	second.res.Body.Close()
}
