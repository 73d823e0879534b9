package main

// Fault tests: each drives the real run against a PostgreSQL cluster of its own (see
// cluster_test.go), which it stops and starts underneath the server.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/apitest"
)

// reply is the outcome of one request made with send.
type reply struct {
	status int
	body   map[string]any
	raw    []byte
	err    error // transport error: no answer
	took   time.Duration
}

func (r reply) String() string {
	if r.err != nil {
		return "error: " + r.err.Error()
	}
	return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.raw))
}

func (r reply) code() string { s, _ := apitest.Lookup(r.body, "code").(string); return s }

func (r reply) id(key string) int64 { f, _ := apitest.Lookup(r.body, key).(float64); return int64(f) }

// replyOf is the reply for an answer (or its absence) read with apitest.
func replyOf(res apitest.Response, err error) reply {
	return reply{status: res.Status, body: res.Body, raw: res.Raw, err: err, took: res.Took}
}

// send makes a JSON request; unlike server.call it may run on any goroutine.
func send(client *http.Client, base, method, path, token string, body any) reply {
	return replyOf(apitest.Client{URL: base, HTTP: client}.Do(method, path, body, token))
}

// waitFor polls check every 50ms until it returns true or timeout passes.
func waitFor(timeout time.Duration, check func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if check() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeWithoutDatabase starts serve while nothing listens on the database's port: the
// server must come up, say it is not ready, answer API requests with a quick 503, and
// become ready by itself (migrating in the background) once PostgreSQL is started.
func TestServeWithoutDatabase(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.prepare() // the database exists; its schema is not migrated
	vars := testEnv(t)
	vars["DATABASE_URL"] = c.url
	s := startServe(t, vars) // waits for /healthz 200

	if r := send(s.client, s.url, "GET", "/readyz", "", nil); r.status != http.StatusServiceUnavailable || r.code() != "unavailable" {
		t.Fatalf("GET /readyz without a database = %s, want 503 unavailable", r)
	}
	// A 503 must come at once, not after a connect timeout. The median is asserted, so that
	// a machine busy with other tests does not fail this; the slowest answer is logged.
	var took []time.Duration
	for _, req := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/videos", nil}, {"GET", "/api/users/1", nil}, {"GET", "/api/videos", nil},
		{"GET", "/api/videos/1/comments", nil}, {"GET", "/api/videos", nil},
		{"POST", "/api/users/register", map[string]string{"username": "early", "email": "early@example.com", "password": "correct horse"}},
		{"POST", "/api/users/login", map[string]string{"email": "early@example.com", "password": "correct horse"}},
	} {
		r := send(s.client, s.url, req.method, req.path, "", req.body)
		if r.status != http.StatusServiceUnavailable || r.code() != "unavailable" {
			t.Fatalf("%s %s without a database = %s, want 503 unavailable", req.method, req.path, r)
		}
		took = append(took, r.took)
	}
	slices.Sort(took)
	if median := took[len(took)/2]; median > time.Second {
		t.Errorf("503 answers took %v, want < 1s", took)
	}
	t.Logf("503 unavailable without a database: median %v, slowest %v", took[len(took)/2], took[len(took)-1])

	c.start()
	started := time.Now()
	if !waitFor(30*time.Second, func() bool {
		// Until the migrations are applied, the API must not fail with 500 either.
		if r := send(s.client, s.url, "GET", "/api/videos", "", nil); r.status != http.StatusOK && r.code() != "unavailable" {
			t.Fatalf("GET /api/videos while recovering = %s, want 200 or 503 unavailable", r)
		}
		return send(s.client, s.url, "GET", "/readyz", "", nil).status == http.StatusOK
	}) {
		t.Fatalf("/readyz did not answer 200 within 30s of PostgreSQL starting: %s", send(s.client, s.url, "GET", "/readyz", "", nil))
	}
	t.Logf("ready %v after PostgreSQL started", time.Since(started).Round(time.Millisecond))

	if r := send(s.client, s.url, "POST", "/api/users/register", "", map[string]string{
		"username": "late", "email": "late@example.com", "password": "correct horse"}); r.status != http.StatusCreated {
		t.Fatalf("register after recovery = %s, want 201", r)
	}
	r := send(s.client, s.url, "POST", "/api/users/login", "", map[string]string{"email": "late@example.com", "password": "correct horse"})
	if r.status != http.StatusOK {
		t.Fatalf("login after recovery = %s, want 200", r)
	}
	token, _ := r.body["token"].(string)
	if r := send(s.client, s.url, "GET", "/api/users/me", token, nil); r.status != http.StatusOK {
		t.Fatalf("GET /api/users/me after recovery = %s, want 200", r)
	}
	if r := send(s.client, s.url, "GET", "/api/videos", "", nil); r.status != http.StatusOK {
		t.Fatalf("GET /api/videos after recovery = %s, want 200", r)
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("run: %v", err)
	}
}

// TestServeFailsOnMigrationError: a migration that fails for another reason than an
// unreachable database (here: no privilege to create tables) stops serve at once.
func TestServeFailsOnMigrationError(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.start()
	admin := c.pool()
	ctx := context.Background()
	for _, q := range []string{
		`CREATE ROLE reader LOGIN PASSWORD 'reader'`,
		`REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	vars := testEnv(t)
	vars["DATABASE_URL"] = "postgres://reader:reader@" + strings.SplitN(c.url, "@", 2)[1]
	vars["PORT"] = "0"
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- run(ctx, []string{"serve"}, getenvFrom(vars), io.Discard, io.Discard) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("run = %v, want the migration's permission error", err)
		}
		t.Logf("serve failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not fail within 60s on a migration error")
	}
}

// TestRestartUnderLoad restarts PostgreSQL (fast shutdown, then start) while 20 clients
// like, unlike, follow and comment.
func TestRestartUnderLoad(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	loadThroughFault(t, c, func(s *server) {
		c.stop()
		if r := send(s.client, s.url, "GET", "/healthz", "", nil); r.status != http.StatusOK {
			t.Errorf("GET /healthz while PostgreSQL is down = %s, want 200", r)
		}
		time.Sleep(300 * time.Millisecond) // load against a stopped database
		c.start()
	})
}

// TestBackendCrashUnderLoad kills (SIGKILL) one of the server's PostgreSQL backends under
// load: PostgreSQL then ends every connection and recovers from its WAL, as after a crash.
func TestBackendCrashUnderLoad(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	// A crash loses commits not yet written to the WAL when synchronous_commit is off (as
	// scripts/test.sh sets it); a process crash keeps what was written, fsync or not.
	c.opts = "-c fsync=off -c synchronous_commit=on"
	loadThroughFault(t, c, func(s *server) {
		admin, err := pgxpool.New(context.Background(), c.url)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		var pid int
		if !waitFor(5*time.Second, func() bool {
			err := admin.QueryRow(context.Background(),
				`SELECT pid FROM pg_stat_activity WHERE application_name = 'tiktok' ORDER BY state = 'active' DESC LIMIT 1`).Scan(&pid)
			return err == nil
		}) {
			t.Fatal("the server has no connection to PostgreSQL")
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill backend %d: %v", pid, err)
		}
	})
}

// loadThroughFault starts serve on c, seeds users, videos and comments, and runs 20
// clients liking, unliking, following, unfollowing and commenting while fault runs. No
// request may fail with anything but 503 unavailable, the server must stay up and serve
// again within 20s, no acknowledged comment may be lost, and every counter must still
// equal its COUNT(*).
func loadThroughFault(t *testing.T, c *cluster, fault func(*server)) {
	t.Helper()
	c.start()
	vars := testEnv(t)
	vars["DATABASE_URL"] = c.url
	vars["RATE_LIMIT_ENABLED"] = "false"
	s := startServe(t, vars)

	type user struct {
		id    int64
		token string
	}
	var users []user
	var videos, comments []int64
	for i := range 6 {
		name := fmt.Sprintf("load%d", i)
		r := send(s.client, s.url, "POST", "/api/users/register", "", map[string]string{
			"username": name, "email": name + "@example.com", "password": "correct horse"})
		if r.status != http.StatusCreated {
			t.Fatalf("register: %s", r)
		}
		u := user{id: r.id("user.id"), token: r.body["token"].(string)}
		users = append(users, u)
		r = send(s.client, s.url, "POST", "/api/videos", u.token, map[string]any{
			"caption": "load " + name, "videoUrl": "https://cdn.example.com/" + name + ".mp4"})
		if r.status != http.StatusCreated {
			t.Fatalf("create video: %s", r)
		}
		videos = append(videos, r.id("id"))
	}
	for i, v := range videos {
		r := send(s.client, s.url, "POST", "/api/comments", users[(i+1)%len(users)].token, map[string]any{"videoId": v, "content": "first"})
		if r.status != http.StatusCreated {
			t.Fatalf("comment: %s", r)
		}
		comments = append(comments, r.id("id"))
	}

	transport := &http.Transport{MaxIdleConnsPerHost: 32}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 15 * time.Second}
	var (
		stop       atomic.Bool
		restarted  atomic.Bool
		mu         sync.Mutex
		statuses   = map[int]int{}
		okAfter    atomic.Int64 // 2xx answers after PostgreSQL came back
		failures   int
		samples    []string // of failures
		ackedNotes []int64  // comments answered 201
	)
	var wg sync.WaitGroup
	for g := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 42))
			for !stop.Load() {
				u := users[rng.IntN(len(users))]
				other := users[rng.IntN(len(users))]
				v, cm := videos[rng.IntN(len(videos))], comments[rng.IntN(len(comments))]
				var r reply
				isComment := false
				switch rng.IntN(7) {
				case 0:
					r = send(client, s.url, "POST", fmt.Sprintf("/api/videos/%d/like", v), u.token, nil)
				case 1:
					r = send(client, s.url, "DELETE", fmt.Sprintf("/api/videos/%d/like", v), u.token, nil)
				case 2:
					r = send(client, s.url, "POST", fmt.Sprintf("/api/users/%d/follow", other.id), u.token, nil)
				case 3:
					r = send(client, s.url, "DELETE", fmt.Sprintf("/api/users/%d/follow", other.id), u.token, nil)
				case 4:
					isComment = true
					r = send(client, s.url, "POST", "/api/comments", u.token, map[string]any{"videoId": v, "content": "under load"})
				case 5:
					r = send(client, s.url, "POST", fmt.Sprintf("/api/comments/%d/like", cm), u.token, nil)
				case 6:
					r = send(client, s.url, "DELETE", fmt.Sprintf("/api/comments/%d/like", cm), u.token, nil)
				}
				after := restarted.Load()
				mu.Lock()
				statuses[r.status]++
				bad := r.err != nil || r.status >= 500 && (r.status != http.StatusServiceUnavailable || r.code() != "unavailable")
				if bad {
					if failures++; len(samples) < 10 {
						samples = append(samples, r.String())
					}
				}
				if isComment && r.status == http.StatusCreated {
					ackedNotes = append(ackedNotes, r.id("id"))
				}
				mu.Unlock()
				if after && r.status < 300 && r.err == nil {
					okAfter.Add(1)
				}
			}
		}()
	}

	time.Sleep(500 * time.Millisecond) // load before the fault
	faultStart := time.Now()
	fault(s)
	restarted.Store(true)
	faultTook := time.Since(faultStart)
	// A killed backend makes the postmaster restart every backend a few milliseconds later:
	// requests can still succeed in between, so recovery is judged only once the server is
	// ready again, and then by 20 more successes.
	time.Sleep(300 * time.Millisecond)
	ready := waitFor(20*time.Second, func() bool {
		return send(s.client, s.url, "GET", "/readyz", "", nil).status == http.StatusOK
	})
	base := okAfter.Load()
	recovered := ready && waitFor(20*time.Second, func() bool { return okAfter.Load() >= base+20 })
	t.Logf("fault took %v; 20 requests succeeded %v after it", faultTook.Round(time.Millisecond), (time.Since(faultStart) - faultTook).Round(time.Millisecond))
	stop.Store(true)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("answers by status: %v (%d 2xx after the fault)", statuses, okAfter.Load())
	if failures > 0 {
		t.Errorf("%d requests failed with something other than 2xx, 4xx or 503 unavailable; first: %q", failures, samples)
	}
	if !recovered {
		t.Errorf("only %d requests succeeded within 20s after the fault", okAfter.Load())
	}
	if r := send(s.client, s.url, "GET", "/healthz", "", nil); r.status != http.StatusOK {
		t.Errorf("GET /healthz after the fault = %s, want 200", r)
	}
	if r := send(s.client, s.url, "GET", "/readyz", "", nil); r.status != http.StatusOK {
		t.Errorf("GET /readyz after the fault = %s, want 200", r)
	}
	pool := c.pool()
	if drift := counterDrift(t, pool); len(drift) > 0 {
		t.Errorf("counters differ from COUNT(*) after the fault: %v", drift)
	}
	var found int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM comments WHERE id = ANY($1)`, ackedNotes).Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found != len(ackedNotes) {
		t.Errorf("%d of %d acknowledged comments are missing", len(ackedNotes)-found, len(ackedNotes))
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("run: %v", err)
	}
}
