package httpapi_test

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/gotok/tiktok/internal/config"
	"github.com/gotok/tiktok/internal/httpapi"
)

func withLimits(l config.Limits) option {
	return func(d *httpapi.Deps) { l.Enabled = true; d.Config.Limits = l }
}

func expectLimited(t *testing.T, res response) {
	t.Helper()
	expect(t, res, 429, "rate_limited")
	if s, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", res.header.Get("Retry-After"))
	}
}

func TestLoginLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLimits(config.Limits{LoginPerAccount: 3, LoginPerIP: 100}))
	u := e.register("limited")
	bad := map[string]any{"email": u.email, "password": "wrong-password"}
	for range 3 {
		expect(t, e.request("POST", "/api/users/login", bad, ""), 401, "invalid_credentials")
	}
	expectLimited(t, e.request("POST", "/api/users/login", bad, ""))
	// The account is locked for now, even with the right password; another account is not.
	expectLimited(t, e.request("POST", "/api/users/login", map[string]any{"email": u.email, "password": "password123"}, ""))
	other := e.register("unlimited")
	expect(t, e.request("POST", "/api/users/login", map[string]any{"email": other.email, "password": "password123"}, ""), 200, "")
}

func TestLoginLimitPerIP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLimits(config.Limits{LoginPerIP: 2}))
	for i := range 2 {
		expect(t, e.request("POST", "/api/users/login", map[string]any{"email": "nobody" + strconv.Itoa(i) + "@example.com", "password": "password123"}, ""), 401, "invalid_credentials")
	}
	expectLimited(t, e.request("POST", "/api/users/login", map[string]any{"email": "someone@example.com", "password": "password123"}, ""))
}

func TestRegisterAndWriteLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLimits(config.Limits{RegisterPerIP: 2, WritesPerUser: 3}))
	u := e.register("writer1")
	e.register("writer2")
	expectLimited(t, e.request("POST", "/api/users/register", map[string]any{"username": "writer3", "email": "w3@example.com", "password": "password123"}, ""))
	v := e.video(u, "one")
	e.request("POST", "/api/videos/"+strconv.FormatInt(v, 10)+"/like", nil, u.token)
	e.request("DELETE", "/api/videos/"+strconv.FormatInt(v, 10)+"/like", nil, u.token)
	expectLimited(t, e.request("POST", "/api/videos/"+strconv.FormatInt(v, 10)+"/like", nil, u.token))
	// Reads are not writes.
	expect(t, e.request("GET", "/api/users/me", nil, u.token), 200, "")
}

func TestRequestLimitPerIP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLimits(config.Limits{RequestsPerIP: 5}))
	for range 5 {
		expect(t, e.request("GET", "/api/videos", nil, ""), 200, "")
	}
	res := e.request("GET", "/api/videos", nil, "", "Origin", "http://localhost:3000")
	expectLimited(t, res)
	if res.header.Get("Access-Control-Allow-Origin") == "" {
		t.Fatal("429 without CORS headers")
	}
	expect(t, e.request("GET", "/healthz", nil, ""), 200, "") // probes are exempt
	expectLimited(t, e.request("GET", "/metrics", nil, ""))   // metrics are not (on the API's port)
	// X-Forwarded-For is ignored from an untrusted peer.
	expectLimited(t, e.request("GET", "/api/videos", nil, "", "X-Forwarded-For", "203.0.113.9"))
}

func TestTrustedProxyForwardedFor(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLimits(config.Limits{RequestsPerIP: 2}), func(d *httpapi.Deps) {
		d.Config.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	for range 2 {
		expect(t, e.request("GET", "/api/videos", nil, "", "X-Forwarded-For", "203.0.113.1"), 200, "")
	}
	expectLimited(t, e.request("GET", "/api/videos", nil, "", "X-Forwarded-For", "203.0.113.1"))
	// A different client behind the same proxy has its own budget; a spoofed left-most
	// entry does not change who the proxy says the client is.
	expect(t, e.request("GET", "/api/videos", nil, "", "X-Forwarded-For", "203.0.113.2"), 200, "")
	expectLimited(t, e.request("GET", "/api/videos", nil, "", "X-Forwarded-For", "198.51.100.7, 203.0.113.1"))
}
