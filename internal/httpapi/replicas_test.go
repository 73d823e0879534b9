package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/apitest"
	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/redisstate"
	"github.com/gotok/tiktok/internal/redistest"
)

// replicaPair is a PostgreSQL primary with an asynchronous streaming replica, both owned
// by one test (scripts/pg.sh start and replica), so that the test may pause the replica's
// replay or stop it without disturbing the other tests. Both are deleted at cleanup.
type replicaPair struct {
	t                    *testing.T
	script, base         string
	primaryPort, repPort int
	primaryURL, repURL   string
}

// startReplicaPair starts the pair with a migrated database "tiktok". The test is skipped
// only when this machine has no PostgreSQL binaries (or no pg_basebackup) and
// TEST_PG_BINDIR is unset: make test sets it, so there it always runs.
func startReplicaPair(t *testing.T) *replicaPair {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "pg.sh"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(script, "bindir").Output()
	bindir := strings.TrimSpace(string(out))
	if err == nil {
		if _, statErr := os.Stat(filepath.Join(bindir, "pg_basebackup")); statErr != nil {
			err = statErr
		}
	}
	if err != nil {
		if os.Getenv("TEST_PG_BINDIR") == "" {
			t.Skipf("this test starts a PostgreSQL primary and a streaming replica (pg_basebackup) and cannot here: %v", err)
		}
		t.Fatalf("PostgreSQL binaries with pg_basebackup: %v", err)
	}
	// As root, pg.sh runs the servers as the postgres user, which must reach the data
	// directories: t.TempDir and its parent are created 0700.
	base := t.TempDir()
	for _, d := range []string{base, filepath.Dir(base)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := &replicaPair{t: t, script: script, base: base, primaryPort: freeTCPPort(t), repPort: freeTCPPort(t)}
	t.Cleanup(func() {
		for _, d := range []string{"replica", "primary"} {
			if t.Failed() {
				if log, err := os.ReadFile(filepath.Join(base, d, "server.log")); err == nil {
					s := string(log)
					t.Logf("%s log:\n%s", d, s[max(0, len(s)-3000):])
				}
			}
			if _, err := p.pgsh("destroy", filepath.Join(base, d)); err != nil {
				t.Errorf("delete the %s: %v", d, err)
			}
		}
	})
	p.primaryURL = p.mustPgsh("start", filepath.Join(base, "primary"), strconv.Itoa(p.primaryPort))
	pool, err := postgres.Open(context.Background(), p.primaryURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := postgres.Migrate(context.Background(), pool, io.Discard); err != nil {
		t.Fatal(err)
	}
	p.startReplica()
	return p
}

// startReplica creates the replica the first time, starts it and returns once it answers.
func (p *replicaPair) startReplica() {
	p.t.Helper()
	p.repURL = p.mustPgsh("replica", filepath.Join(p.base, "replica"), strconv.Itoa(p.repPort),
		filepath.Join(p.base, "primary"), strconv.Itoa(p.primaryPort))
}

// stopReplica stops the replica (fast shutdown: its sessions are ended).
func (p *replicaPair) stopReplica() {
	p.t.Helper()
	p.mustPgsh("stop", filepath.Join(p.base, "replica"))
}

func (p *replicaPair) mustPgsh(args ...string) string {
	p.t.Helper()
	out, err := p.pgsh(args...)
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

func (p *replicaPair) pgsh(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.script, args...)
	// Asynchronous (no synchronous standby), no durability: the cluster lives a minute.
	cmd.Env = append(os.Environ(), "PG_EXTRA_OPTS=-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c hot_standby_feedback=on")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("pg.sh %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// env returns a server on the pair: writes on the primary, GET reads on the replica.
func (p *replicaPair) env(t *testing.T, maxLag time.Duration) (*env, *pgxpool.Pool) {
	t.Helper()
	return p.envWith(t, maxLag, nil)
}

// envWith is env with the writers' positions kept by positions (nil: the store's own).
func (p *replicaPair) envWith(t *testing.T, maxLag time.Duration, positions postgres.WritePositions, opts ...option) (*env, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	pool, err := postgres.Open(ctx, p.primaryURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	rp, err := postgres.OpenReplica(ctx, p.repURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rp.Close)
	store := postgres.NewStoreWithReplicas(ctx, pool, []*pgxpool.Pool{rp},
		postgres.ReplicaOptions{MaxLag: maxLag, CheckInterval: 100 * time.Millisecond, Positions: positions})
	t.Cleanup(store.Close)
	if !store.ReplicaStats().Replicas[0].Up {
		t.Fatal("the replica is not in rotation after the first health check")
	}
	stats := func(d *httpapi.Deps) {
		d.ReplicaStats = func() httpapi.ReplicaStats {
			st := store.ReplicaStats()
			out := httpapi.ReplicaStats{PrimaryReads: st.PrimaryReads, Fallbacks: st.Fallbacks}
			for _, r := range st.Replicas {
				out.Replicas = append(out.Replicas, httpapi.ReplicaStat(r))
			}
			return out
		}
	}
	return newEnvWithStore(t, pool, store, append([]option{stats}, opts...)...), rp
}

// waitReplayed waits until the replica has replayed everything the primary wrote so far
// and the store's health check has seen it.
func waitReplayed(t *testing.T, e *env, rp *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	var target string
	if err := e.pool.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&target); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var done bool
		if err := rp.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", target).Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica did not replay up to %s in 30s", target)
		}
	}
	e.store.CheckReplicas(ctx)
}

func commentIDs(t *testing.T, res response) map[int64]bool {
	t.Helper()
	ids := map[int64]bool{}
	for _, c := range res.items("comments") {
		f, _ := c["id"].(float64)
		ids[int64(f)] = true
	}
	return ids
}

// TestReadReplicas runs the server on a primary and an asynchronous replica of its own.
func TestReadReplicas(t *testing.T) {
	p := startReplicaPair(t)

	t.Run("a user sees their own new comment while the replica lags; others see it later", func(t *testing.T) {
		e, rp := p.env(t, time.Minute)
		author, other := e.register("ryw_author"), e.register("ryw_other")
		video := e.video(author, "replicated #replica")
		waitReplayed(t, e, rp)
		path := fmt.Sprintf("/api/videos/%d/comments?limit=50", video)
		// Both read the list from the replica before the comment exists.
		before := e.store.ReplicaStats().Replicas[0].Reads
		expect(t, e.request("GET", path, nil, other.token), 200, "")
		if e.store.ReplicaStats().Replicas[0].Reads == before {
			t.Fatal("a GET did not read from the replica")
		}

		if _, err := rp.Exec(context.Background(), "SELECT pg_wal_replay_pause()"); err != nil {
			t.Fatal(err)
		}
		resumed := false
		resume := func() {
			if !resumed {
				resumed = true
				if _, err := rp.Exec(context.Background(), "SELECT pg_wal_replay_resume()"); err != nil {
					t.Error(err)
				}
			}
		}
		defer resume()
		comment := e.comment(author, video, "first!")

		for i := 0; i < 3; i++ { // and again after health checks saw the paused replica
			res := e.request("GET", path, nil, author.token)
			expect(t, res, 200, "")
			if !commentIDs(t, res)[comment] {
				t.Fatalf("the author does not see their comment %d: %s", comment, res.raw)
			}
			if res := e.request("GET", fmt.Sprintf("/api/comments/%d", comment), nil, author.token); res.status != 200 {
				t.Fatalf("the author cannot open their comment: %s", res)
			}
			before := e.store.ReplicaStats().Replicas[0].Reads
			res = e.request("GET", path, nil, other.token)
			expect(t, res, 200, "")
			if commentIDs(t, res)[comment] {
				t.Fatalf("another user read the comment from a replica whose replay is paused: %s", res.raw)
			}
			if e.store.ReplicaStats().Replicas[0].Reads == before {
				t.Fatal("another user's GET did not read from the replica")
			}
			time.Sleep(150 * time.Millisecond)
		}
		if st := e.store.ReplicaStats(); !st.Replicas[0].Up || st.Replicas[0].LagBytes == 0 {
			t.Fatalf("a paused replica within REPLICA_MAX_LAG stays in rotation, with its lag: %+v", st)
		}
		m := e.request("GET", "/metrics", nil, "")
		for _, want := range []string{`db_replica_up{replica="replica0"} 1`, `db_reads_total{target="replica0"}`, `db_reads_total{target="primary"}`, `db_replica_lag_bytes{replica="replica0"}`} {
			if !bytes.Contains(m.raw, []byte(want)) {
				t.Errorf("/metrics lacks %s", want)
			}
		}

		resume()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			res := e.request("GET", path, nil, other.token)
			expect(t, res, 200, "")
			if commentIDs(t, res)[comment] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the comment never reached the other user once replay resumed")
			}
		}
	})

	t.Run("with the positions in Redis, a user sees their own write on another server", func(t *testing.T) {
		client := redistest.Start(t).Client()
		opts := postgres.ReplicaOptions{MaxLag: time.Minute, CheckInterval: 100 * time.Millisecond}
		ttl := postgres.WriteWindow(opts)
		shared := func() postgres.WritePositions {
			return redisstate.NewPositions(client, "test:", ttl, postgres.NewMemoryPositions(ttl, 1000, time.Now))
		}
		a, rp := p.envWith(t, time.Minute, shared())
		b, _ := p.envWith(t, time.Minute, shared())
		author, other := a.register("rw_author"), a.register("rw_other")
		video := a.video(author, "two servers, one replica")
		waitReplayed(t, a, rp)
		waitReplayed(t, b, rp)
		if _, err := rp.Exec(context.Background(), "SELECT pg_wal_replay_pause()"); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if _, err := rp.Exec(context.Background(), "SELECT pg_wal_replay_resume()"); err != nil {
				t.Error(err)
			}
		}()
		comment := a.comment(author, video, "written through A")
		path := fmt.Sprintf("/api/videos/%d/comments?limit=50", video)
		if res := b.request("GET", path, nil, author.token); !commentIDs(t, res)[comment] {
			t.Fatalf("on server B the author does not see the comment they wrote through A: %s", res.raw)
		}
		before := b.store.ReplicaStats().Replicas[0].Reads
		if res := b.request("GET", path, nil, other.token); commentIDs(t, res)[comment] {
			t.Fatalf("another user read the comment from a paused replica: %s", res.raw)
		}
		if b.store.ReplicaStats().Replicas[0].Reads == before {
			t.Fatal("another user's GET on B did not read from the replica")
		}
	})

	t.Run("a replica behind REPLICA_MAX_LAG leaves rotation and comes back", func(t *testing.T) {
		e, rp := p.env(t, 300*time.Millisecond)
		u := e.register("lagging_writer")
		waitReplayed(t, e, rp)
		if _, err := rp.Exec(context.Background(), "SELECT pg_wal_replay_pause()"); err != nil {
			t.Fatal(err)
		}
		e.video(u, "written while the replica is paused")
		waitUp(t, e, false, "a paused replica past REPLICA_MAX_LAG is taken out of rotation")
		if _, err := rp.Exec(context.Background(), "SELECT pg_wal_replay_resume()"); err != nil {
			t.Fatal(err)
		}
		waitUp(t, e, true, "a replica that caught up is put back in rotation")
	})

	t.Run("stopping the replica under load answers every request and it comes back", func(t *testing.T) {
		var logs apitest.LogBuffer
		e, rp := p.envWith(t, 5*time.Second, nil, func(d *httpapi.Deps) {
			d.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		})
		u := e.register("loader")
		video := e.video(u, "load #replica")
		e.comment(u, video, "a comment")
		waitReplayed(t, e, rp)
		paths := []string{"/api/videos", fmt.Sprintf("/api/videos/%d", video), fmt.Sprintf("/api/users/%d", u.id),
			fmt.Sprintf("/api/videos/%d/comments", video), "/api/search?q=load", "/api/users/me"}

		var (
			stop      atomic.Bool
			requests  atomic.Int64
			mu        sync.Mutex
			failures  []string
			wg        sync.WaitGroup
			client    = e.srv.Client()
			deadline  = time.Now().Add(90 * time.Second) // bounded whatever happens
			loadError = func(s string) {
				mu.Lock()
				defer mu.Unlock()
				if len(failures) < 10 {
					failures = append(failures, s)
				}
			}
		)
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; !stop.Load() && time.Now().Before(deadline); i++ {
					req, _ := http.NewRequest("GET", e.srv.URL+paths[i%len(paths)], nil)
					req.Header.Set("Authorization", "Bearer "+u.token)
					res, err := client.Do(req)
					if err != nil {
						loadError(err.Error())
						continue
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					requests.Add(1)
					if res.StatusCode != 200 {
						loadError(fmt.Sprintf("GET %s: %d", req.URL.Path, res.StatusCode))
					}
				}
			}()
		}
		readsOnReplica := func() uint64 { return e.store.ReplicaStats().Replicas[0].Reads }
		waitUntil(t, func() bool { return readsOnReplica() > 50 }, "reads on the replica under load")

		p.stopReplica()
		waitUp(t, e, false, "a stopped replica is taken out of rotation")
		n := requests.Load()
		waitUntil(t, func() bool { return requests.Load() > n+50 }, "requests answered without the replica")

		p.startReplica()
		waitUp(t, e, true, "a restarted replica is put back in rotation")
		r := readsOnReplica()
		waitUntil(t, func() bool { return readsOnReplica() > r+50 }, "reads on the restarted replica")
		stop.Store(true)
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("%d requests; failures: %v\nserver log:\n%s", requests.Load(), failures, logs.String())
		}
		st := e.store.ReplicaStats()
		t.Logf("%d requests: %+v", requests.Load(), st)
		if st.Misrouted != 0 {
			t.Fatalf("statements that write were sent to the replica: %+v", st)
		}
	})
}

func waitUp(t *testing.T, e *env, up bool, what string) {
	t.Helper()
	waitUntil(t, func() bool { return e.store.ReplicaStats().Replicas[0].Up == up }, what)
}

func waitUntil(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
	}
}

// TestNoReplicas: without DATABASE_REPLICA_URLS the store is the plain one: every read on
// the primary, no health check, no replica metrics.
func TestNoReplicas(t *testing.T) {
	pool := pgtest.Pool(t)
	store := postgres.NewStoreWithReplicas(context.Background(), pool, nil, postgres.ReplicaOptions{})
	t.Cleanup(store.Close)
	e := newEnvWithStore(t, pool, store)
	u := e.register("primary_only")
	video := e.video(u, "no replica")
	e.comment(u, video, "seen at once")
	res := e.request("GET", fmt.Sprintf("/api/videos/%d/comments", video), nil, "")
	expect(t, res, 200, "")
	if len(res.items("comments")) != 1 {
		t.Fatalf("comments: %s", res.raw)
	}
	if st := store.ReplicaStats(); st.PrimaryReads != 0 || len(st.Replicas) != 0 {
		t.Fatalf("a store without replicas routes reads: %+v", st)
	}
	if m := e.request("GET", "/metrics", nil, ""); bytes.Contains(m.raw, []byte("db_replica")) {
		t.Fatal("replica metrics without replicas")
	}
}
