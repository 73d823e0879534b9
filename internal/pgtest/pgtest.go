// Package pgtest gives each test its own PostgreSQL database, cloned from a template that
// is migrated once (github.com/peterldowns/pgtestdb). The server comes from
// TEST_DATABASE_URL, which `make test` points at a throwaway cluster.
package pgtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver pgtestdb uses
	"github.com/peterldowns/pgtestdb"

	"github.com/gotok/tiktok/internal/postgres"
)

// migrator applies the embedded migrations; its hash names the template database, so a
// changed migration gets a fresh template.
type migrator struct{}

func (migrator) Hash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(postgres.Migrations(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(postgres.Migrations(), path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	fmt.Fprintf(h, "river %d", postgres.RiverVersion) // migration 00018 is River's, in Go
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

func (migrator) Migrate(ctx context.Context, _ *sql.DB, conf pgtestdb.Config) error {
	pool, err := postgres.Open(ctx, conf.URL())
	if err != nil {
		return err
	}
	defer pool.Close()
	return postgres.Migrate(ctx, pool, io.Discard)
}

// ServerConfig returns the pgtestdb configuration for TEST_DATABASE_URL, failing the test
// when it is unset.
func ServerConfig(t testing.TB) pgtestdb.Config {
	t.Helper()
	raw := os.Getenv("TEST_DATABASE_URL")
	if raw == "" {
		t.Fatal("TEST_DATABASE_URL is not set: run `make test`, which starts a throwaway PostgreSQL, or point it at a server where this user may create databases and roles")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	pw, _ := u.User.Password()
	conf := pgtestdb.Config{
		DriverName: "pgx",
		Host:       u.Hostname(),
		Port:       u.Port(),
		User:       u.User.Username(),
		Password:   pw,
		Database:   u.Path[1:],
		Options:    u.RawQuery,
	}
	if conf.Port == "" {
		conf.Port = "5432"
	}
	return conf
}

// URL returns the URL of a fresh, migrated database for this test; it is dropped when the
// test passes.
func URL(t testing.TB) string {
	t.Helper()
	return pgtestdb.Custom(t, ServerConfig(t), migrator{}).URL()
}

// Pool returns a pool on a fresh, migrated database for this test, closed at cleanup.
// TEST_POOL_MAX_CONNS, when set, bounds its connections: at 1, code that takes a second
// connection while it holds one (a query on the pool inside a transaction) waits forever,
// so running the suite that way finds it (see PoolOf).
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	n := 0
	if v := os.Getenv("TEST_POOL_MAX_CONNS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("TEST_POOL_MAX_CONNS=%q: want a positive number", v)
		}
	}
	return PoolOf(t, n)
}

// PoolOf is Pool with at most maxConns connections (0: the default size).
func PoolOf(t testing.TB, maxConns int) *pgxpool.Pool {
	t.Helper()
	u := URL(t)
	if maxConns > 0 {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "pool_max_conns=" + strconv.Itoa(maxConns)
	}
	pool, err := postgres.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// ReplicaPool returns a pool on the replica of pool's database when TEST_REPLICA_URL names
// a streaming replica of the test cluster (scripts/test.sh starts one), closed at cleanup;
// nil when it is unset. A test database created on the primary exists on the replica as
// soon as its creation committed (the test cluster's replica is a synchronous standby).
func ReplicaPool(t testing.TB, pool *pgxpool.Pool) *pgxpool.Pool {
	t.Helper()
	raw := os.Getenv("TEST_REPLICA_URL")
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("TEST_REPLICA_URL: %v", err)
	}
	u.Path = "/" + pool.Config().ConnConfig.Database
	rp, err := postgres.OpenReplica(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rp.Close)
	return rp
}

// ReplicaURL returns the URL of dbURL's database on the test cluster's streaming replica
// (TEST_REPLICA_URL), or "" when there is none.
func ReplicaURL(t testing.TB, dbURL string) string {
	t.Helper()
	raw := os.Getenv("TEST_REPLICA_URL")
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("TEST_REPLICA_URL: %v", err)
	}
	db, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = db.Path
	return u.String()
}

// CheckCounters fails the test unless every denormalised counter equals the COUNT(*) of
// the rows it counts.
func CheckCounters(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	drift, err := postgres.CheckCounters(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range drift {
		if d.Wrong != 0 {
			t.Errorf("%s differs from COUNT(*) in %d rows", d.Counter, d.Wrong)
		}
	}
}
