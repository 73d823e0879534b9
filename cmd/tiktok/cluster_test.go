package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"github.com/gotok/tiktok/internal/postgres"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// cluster is a PostgreSQL cluster a test owns, run by scripts/pg.sh, so that the test may
// stop and start it at will. It is stopped at cleanup.
type cluster struct {
	t      *testing.T
	script string // absolute path of scripts/pg.sh
	dir    string // the data directory
	port   int
	url    string
	opts   string // server options (PG_EXTRA_OPTS); empty: the environment's, else no durability
}

// newCluster prepares a cluster on a free port without starting it. The test is skipped
// when no PostgreSQL binaries are installed and TEST_PG_BINDIR is unset (scripts/test.sh,
// which `make test` runs, sets it, so there the test always runs).
func newCluster(t *testing.T) *cluster {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "pg.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(script, "bindir").CombinedOutput(); err != nil {
		if os.Getenv("TEST_PG_BINDIR") == "" {
			t.Skipf("this test starts its own PostgreSQL and needs its binaries:\n%s", out)
		}
		t.Fatalf("pg.sh bindir: %v\n%s", err, out)
	}
	// As root, pg.sh runs the server as the postgres user, which must be able to reach the
	// data directory: t.TempDir and its parent are created 0700.
	base := t.TempDir()
	for _, d := range []string{base, filepath.Dir(base)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pw := make([]byte, 12)
	if _, err := rand.Read(pw); err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, script: script, dir: filepath.Join(base, "pg"), port: freePort(t)}
	// pg.sh keeps the password next to the data directory and reuses an existing one, so
	// the URL is known before the cluster ever runs.
	if err := os.WriteFile(c.dir+".password", []byte(hex.EncodeToString(pw)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.url = "postgres://tiktok:" + hex.EncodeToString(pw) + "@127.0.0.1:" + strconv.Itoa(c.port) + "/tiktok?sslmode=disable"
	t.Cleanup(func() {
		if err := c.pgsh("stop", c.dir); err != nil {
			t.Errorf("stop PostgreSQL: %v", err)
		}
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(c.dir, "server.log")); err == nil {
				t.Logf("PostgreSQL log (%s):\n%s", c.dir, tail(string(log), 40))
			}
		}
		// With TMPDIR inside a private directory, pg.sh keeps the files elsewhere (see
		// TestPgScriptPrivateDirAsRoot): destroy deletes them there too.
		if err := c.pgsh("destroy", c.dir); err != nil {
			t.Errorf("delete the cluster: %v", err)
		}
	})
	return c
}

// start starts the cluster (initialising it and creating database "tiktok" the first time)
// and returns once it accepts connections.
func (c *cluster) start() {
	c.t.Helper()
	if err := c.pgsh("start", c.dir, strconv.Itoa(c.port)); err != nil {
		c.t.Fatalf("start PostgreSQL: %v", err)
	}
}

// stop stops the cluster with a fast shutdown: open transactions are rolled back and
// connections closed.
func (c *cluster) stop() {
	c.t.Helper()
	if err := c.pgsh("stop", c.dir); err != nil {
		c.t.Fatalf("stop PostgreSQL: %v", err)
	}
}

// prepare initialises the cluster and its database on another port, then stops it: a later
// start on c.port offers the database from the first connection on, as a production
// server does when it comes back.
func (c *cluster) prepare() {
	c.t.Helper()
	port := c.port
	c.port = freePort(c.t)
	c.start()
	c.stop()
	c.port = port
}

func (c *cluster) pgsh(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.script, args...)
	switch {
	case c.opts != "":
		cmd.Env = append(os.Environ(), "PG_EXTRA_OPTS="+c.opts)
	case os.Getenv("PG_EXTRA_OPTS") == "":
		// Durability is pointless for a cluster deleted in a minute (scripts/test.sh sets the same).
		cmd.Env = append(os.Environ(), "PG_EXTRA_OPTS=-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return &pgshError{args: args, err: err, stderr: stderr.String()}
	}
	return nil
}

type pgshError struct {
	args   []string
	err    error
	stderr string
}

func (e *pgshError) Error() string {
	return "pg.sh " + strings.Join(e.args, " ") + ": " + e.err.Error() + "\n" + e.stderr
}

func (e *pgshError) Unwrap() error { return e.err }

// pool returns a connection pool on the cluster's database, closed at cleanup.
func (c *cluster) pool() *pgxpool.Pool {
	c.t.Helper()
	pool, err := pgxpool.New(context.Background(), c.url)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(pool.Close)
	return pool
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// counterDrift returns one entry per wrong row of every denormalised counter (empty when
// every counter equals the COUNT(*) of its rows).
func counterDrift(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	drift, err := postgres.CheckCounters(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range drift {
		for range d.Wrong {
			out = append(out, d.Counter)
		}
	}
	return out
}
