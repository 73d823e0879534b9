package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
)

// versionLookups counts the token version lookups a pool sends.
type versionLookups struct{ n atomic.Int64 }

func (c *versionLookups) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "SELECT token_version FROM users") {
		c.n.Add(1)
	}
	return ctx
}

func (c *versionLookups) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestTokenVersionCache: two servers on one database cache token versions — a signed-in
// user's requests stop asking the database — and a revocation on one (logout), a bump made
// in the database itself, and a deleted account reach the other through LISTEN/NOTIFY, so
// the old token is refused there too.
func TestTokenVersionCache(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	pools := make([]*pgxpool.Pool, 2)
	lookups := make([]*versionLookups, 2)
	for i := range pools {
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		lookups[i] = &versionLookups{}
		cfg.ConnConfig.Tracer = lookups[i]
		if pools[i], err = pgxpool.NewWithConfig(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pools[i].Close)
	}
	a, b := newEnvWithPool(t, pools[0]), newEnvWithPool(t, pools[1])
	me := a.register("cached")

	// Cached: after the first request, b asks the database no more (once it listens).
	eventually(t, "b caches the version", func() bool {
		before := lookups[1].n.Load()
		for range 3 {
			expect(t, b.request("GET", "/api/users/me", nil, me.token), http.StatusOK, "")
		}
		return lookups[1].n.Load()-before <= 1
	})

	// Until the announcement arrives (milliseconds), the other server may still take the
	// token: poll without the OpenAPI check of e.request (a deleted user's /me is then 404).
	refused := func(e *env, token, code string) {
		t.Helper()
		eventually(t, "the token is refused", func() bool {
			res, err := e.api.Do("GET", "/api/users/me", nil, token)
			if err != nil {
				t.Fatal(err)
			}
			return res.Status == http.StatusUnauthorized && res.Body["code"] == code
		})
	}
	// A logout on a revokes the token on b.
	expect(t, a.request("POST", "/api/users/logout", nil, me.token), http.StatusNoContent, "")
	refused(b, me.token, "token_invalid")

	// A bump in the database (as a suspension makes) reaches both.
	other := a.register("bumped")
	expect(t, b.request("GET", "/api/users/me", nil, other.token), http.StatusOK, "")
	if _, err := pools[0].Exec(context.Background(), `UPDATE users SET token_version = token_version + 1 WHERE id = $1`, other.id); err != nil {
		t.Fatal(err)
	}
	refused(a, other.token, "token_invalid")
	refused(b, other.token, "token_invalid")

	// A deleted account.
	gone := a.register("deleted")
	expect(t, b.request("GET", "/api/users/me", nil, gone.token), http.StatusOK, "")
	if _, err := pools[0].Exec(context.Background(), `DELETE FROM users WHERE id = $1`, gone.id); err != nil {
		t.Fatal(err)
	}
	refused(b, gone.token, "token_invalid")
}

// eventually retries check for up to a second (what an announcement takes to arrive is
// milliseconds).
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a second", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
