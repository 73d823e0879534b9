package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
)

// securityHeaders are the headers every response must carry, with their values.
var securityHeaders = map[string]string{
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "DENY",
	"Referrer-Policy":              "no-referrer",
	"Content-Security-Policy":      "default-src 'none'; frame-ancestors 'none'",
	"Cross-Origin-Resource-Policy": "cross-origin",
}

func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	for k, want := range securityHeaders {
		if got := h.Values(k); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s = %q, want exactly %q", what, k, got, want)
		}
	}
}

// TestSecurityHeaders checks the security headers on every kind of answer: success, error,
// router-level 404 and 405, body limits, stored files, CORS preflights and the operational
// routes.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("headers")
	video := e.video(u, "headers")
	res := e.upload("PUT", "/api/users/"+itoa(u.id), u.token, nil, map[string]fileUpload{"avatar": {"a.jpg", sampleImage(t)}})
	expect(t, res, 200, "")
	avatar := strings.TrimPrefix(res.str("avatar"), e.srv.URL)

	for _, c := range []struct {
		name, method, path string
		body               any
		token              string
		headers            []string
		status             int
	}{
		{"200 JSON", "GET", "/api/videos", nil, "", nil, 200},
		{"200 JSON, authenticated", "GET", "/api/users/me", nil, u.token, nil, 200},
		{"200 HEAD", "HEAD", "/api/videos/" + itoa(video), nil, "", nil, 200},
		{"201", "POST", "/api/users/register", map[string]string{"email": "new@example.com", "password": "password123"}, "", nil, 201},
		{"204", "POST", "/api/videos/" + itoa(video) + "/view", nil, "", nil, 204},
		{"400", "POST", "/api/users/login", "{", "", nil, 400},
		{"401", "GET", "/api/users/me", nil, "", nil, 401},
		{"401 bad token", "GET", "/api/users/me", nil, "not-a-token", nil, 401},
		{"403", "DELETE", "/api/users/1", nil, e.register("other").token, nil, 403},
		{"404 route", "GET", "/api/nothing-here", nil, "", nil, 404},
		{"404 resource", "GET", "/api/videos/999999", nil, "", nil, 404},
		{"405", "DELETE", "/api/videos", nil, "", nil, 405},
		{"413", "POST", "/api/users/login", bytes.Repeat([]byte(" "), 1<<20+1), "", nil, 413},
		{"415", "POST", "/api/users/login", "{}", "", []string{"Content-Type", "text/plain"}, 415},
		{"file", "GET", avatar, nil, "", nil, 200},
		{"file range", "GET", avatar, nil, "", []string{"Range", "bytes=0-9"}, 206},
		{"file HEAD", "HEAD", avatar, nil, "", nil, 200},
		{"file miss", "GET", "/uploads/0123456789abcdef.jpg", nil, "", nil, 404},
		{"preflight", "OPTIONS", "/api/videos", nil, "", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "POST"}, 204},
		{"cross-origin GET", "GET", "/api/videos", nil, "", []string{"Origin", "https://app.example.com"}, 200},
		{"metrics", "GET", "/metrics", nil, "", nil, 200},
		{"healthz", "GET", "/healthz", nil, "", nil, 200},
		{"readyz", "GET", "/readyz", nil, "", nil, 200},
		{"openapi", "GET", "/api/openapi.json", nil, "", nil, 200},
	} {
		res := e.request(c.method, c.path, c.body, c.token, c.headers...)
		if res.status != c.status {
			t.Errorf("%s: %s %s answered %d, want %d: %.200s", c.name, c.method, c.path, res.status, c.status, res.raw)
		}
		checkSecurityHeaders(t, c.name, res.header)
	}
}

// genericBodies are the only bodies a 500 or 503 may have.
var genericBodies = map[int]string{
	500: `{"message":"internal error","code":"internal"}`,
	503: `{"message":"Service temporarily unavailable","code":"unavailable"}`,
}

// serverErrorRequests are requests that all need the database.
func serverErrorRequests(video int64, email, token string) []struct {
	method, path string
	body         any
	token        string
} {
	return []struct {
		method, path string
		body         any
		token        string
	}{
		{"GET", "/api/videos", nil, ""},
		{"GET", "/api/videos/" + itoa(video), nil, ""},
		{"GET", "/api/users?q=x", nil, ""},
		{"GET", "/api/comments?videoId=" + itoa(video), nil, ""},
		{"POST", "/api/users/login", map[string]string{"email": email, "password": "password123"}, ""},
		{"POST", "/api/users/register", map[string]string{"email": "x@example.com", "password": "password123"}, ""},
		{"GET", "/api/users/me", nil, token},
		{"POST", "/api/comments", map[string]any{"videoId": video, "content": "hi"}, token},
		{"GET", "/readyz", nil, ""},
	}
}

// checkGenericServerErrors sends requests that need the database to e, whose database is
// gone: each must answer a status in statuses with the generic body only — no driver, SQL
// or stack text — and still carry the security headers.
func checkGenericServerErrors(t *testing.T, e *env, video int64, email, token string, statuses ...int) {
	t.Helper()
	for _, c := range serverErrorRequests(video, email, token) {
		res := e.request(c.method, c.path, c.body, c.token)
		if !slices.Contains(statuses, res.status) || strings.TrimSpace(string(res.raw)) != genericBodies[res.status] {
			t.Errorf("%s %s with the database gone: %d %s, want %v with a generic body", c.method, c.path, res.status, res.raw, statuses)
		}
		for _, leak := range []string{"pgx", "pgconn", "SQL", "sql", "goroutine", "closed pool", "refused", "dial", "panic", ".go:"} {
			if bytes.Contains(res.raw, []byte(leak)) {
				t.Errorf("%s %s: body leaks %q: %s", c.method, c.path, leak, res.raw)
			}
		}
		checkSecurityHeaders(t, c.method+" "+c.path, res.header)
	}
	// The process itself is still alive.
	expect(t, e.request("GET", "/healthz", nil, ""), 200, "")
}

// TestNoLeaksOnServerErrors closes the database pool under a running server (a bug, from
// the server's point of view: 500, or 503 where the driver reports it as unavailable).
func TestNoLeaksOnServerErrors(t *testing.T) {
	t.Parallel()
	e := newEnvWithPool(t, pgtest.Pool(t)) // no replica: closing the pool is "the database gone"
	u := e.register("leaks")
	video := e.video(u, "leaks")
	e.pool.Close()
	checkGenericServerErrors(t, e, video, u.email, u.token, 500, 503)
}

// TestNoLeaksWhenDatabaseUnreachable runs a server whose database refuses connections:
// every request that needs it answers 503 unavailable, never 500.
func TestNoLeaksWhenDatabaseUnreachable(t *testing.T) {
	t.Parallel()
	cfg, err := pgxpool.ParseConfig("postgres://nobody:secret@127.0.0.1:1/gone?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg) // connects lazily
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := newEnvWithPool(t, pool)
	token, err := e.tokens.Issue(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkGenericServerErrors(t, e, 1, "someone@example.com", token, 503)
}
