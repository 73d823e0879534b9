// Package postgres is the Store: every SQL statement the service runs, the embedded schema
// migrations and the connection pool. It returns domain types from package tiktok and
// translates database errors into *tiktok.Error; pgx types never leave it.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"slices"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the embedded goose SQL migrations.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory exists
	}
	return sub
}

// Open returns a connection pool for url. It does not wait for the database: the pool
// connects on first use, so the server can start while PostgreSQL is still coming up.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return open(ctx, url, "DATABASE_URL", 5*time.Second)
}

// open is Open with connection attempts given up after at most connectTimeout; setting
// names the URL's variable in errors.
func open(ctx context.Context, url, setting string, connectTimeout time.Duration) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", setting, err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > connectTimeout {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "tiktok"
	}
	// Every query is written for one plan whatever its arguments (keyset bounds, ranges,
	// equality on indexed columns). Left on "auto", PostgreSQL re-planned the feed query
	// on every execution at a million videos — planning (0.45 ms) cost more than running it
	// (0.2 ms) — because a page's LIMIT and bounds make the generic plan look expensive.
	if _, ok := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !ok {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	// No JIT: it pays off for long analytic queries, never for an API's millisecond ones,
	// and generic plans' estimates (a LIMIT or an array whose size is unknown) can cross
	// its cost threshold — the For You candidates query then took 1.5 s of compiling to
	// run 1 ms of work.
	if _, ok := cfg.ConnConfig.RuntimeParams["jit"]; !ok {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	return pool, nil
}

// newProvider returns a goose provider over the embedded migrations using pool's settings.
// A PostgreSQL advisory lock makes concurrent migrations (several servers starting at
// once) run one after the other.
func newProvider(pool *pgxpool.Pool) (*goose.Provider, func() error, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, nil, fmt.Errorf("goose locker: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, Migrations(), goose.WithSessionLocker(locker),
		goose.WithGoMigrations(riverMigration()))
	if err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("goose: %w", err)
	}
	return p, sqlDB.Close, nil
}

// Migrate applies every pending migration and writes one line per applied file to out.
func Migrate(ctx context.Context, pool *pgxpool.Pool, out io.Writer) error {
	p, closeDB, err := newProvider(pool)
	if err != nil {
		return err
	}
	defer closeDB()
	results, err := p.Up(ctx)
	for _, r := range results {
		fmt.Fprintf(out, "migrated %s (%s)\n", migrationName(r.Source), r.Duration.Round(time.Millisecond))
	}
	if err != nil {
		return fmt.Errorf("migrate up: %w", translate(err))
	}
	return nil
}

// MigrateDown rolls back the most recent migration.
func MigrateDown(ctx context.Context, pool *pgxpool.Pool, out io.Writer) error {
	p, closeDB, err := newProvider(pool)
	if err != nil {
		return err
	}
	defer closeDB()
	r, err := p.Down(ctx)
	if r != nil {
		fmt.Fprintf(out, "rolled back %s\n", migrationName(r.Source))
	}
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// MigrationStatus writes the state of every migration to out.
func MigrationStatus(ctx context.Context, pool *pgxpool.Pool, out io.Writer) error {
	p, closeDB, err := newProvider(pool)
	if err != nil {
		return err
	}
	defer closeDB()
	status, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	for _, s := range status {
		applied := "pending"
		if s.State == goose.StateApplied {
			applied = "applied " + s.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(out, "%-40s %s\n", migrationName(s.Source), applied)
	}
	return nil
}

// migrationName names a migration in the output of the migrate commands: its file, or
// "00018_river.go" for River's, which is Go (river.go).
func migrationName(s *goose.Source) string {
	if s.Path != "" {
		return s.Path
	}
	return fmt.Sprintf("%05d_river.go", s.Version)
}

// MigrationNames lists every migration in order, as the migrate commands name them.
func MigrationNames() ([]string, error) {
	names, err := fs.Glob(Migrations(), "*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	names = append(names, migrationName(&goose.Source{Version: riverMigrationVersion}))
	slices.Sort(names)
	return names, nil
}

// Store runs the service's queries. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	q      *db.Queries
	search searchState // search.go
	jobs   jobQueue    // jobs.go
	router *router     // replicas.go; nil without read replicas
}

// NewStore returns a Store using pool.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, q: db.New(pool), search: searchState{tuning: defaultSearchTuning}}
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// inTx runs fn in a transaction, committing when fn returns nil. A transaction that fails
// with a deadlock or serialization failure is retried a few times.
func (s *Store) inTx(ctx context.Context, fn func(q *db.Queries) error) error {
	return s.inRawTx(ctx, func(_ pgx.Tx, q *db.Queries) error { return fn(q) })
}

// inRawTx is inTx for a function that also needs the transaction itself (to enqueue a job
// in it).
func (s *Store) inRawTx(ctx context.Context, fn func(tx pgx.Tx, q *db.Queries) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(tx, s.q.WithTx(tx)) })
		if !retryable(err) {
			break
		}
	}
	if err == nil {
		s.noteWrite(ctx) // read-your-writes with replicas (replicas.go)
	}
	return err
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// translate turns driver errors into *tiktok.Error where the caller can act on them:
// unique violations become conflicts; an unreachable database, a connection lost in the
// middle of a statement (PostgreSQL restarted), a server shutting down or starting up and
// a schema not migrated yet become unavailable. Other errors are returned unchanged (and end up as 500s); so are
// connection attempts the server refused for a reason other than its state (an unknown
// database, a wrong password), because waiting will not fix those.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var te *tiktok.Error
	if errors.As(err, &te) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			switch pgErr.ConstraintName {
			case "users_email_lower_key":
				return &tiktok.Error{Code: tiktok.CodeEmailTaken, Message: "Email already in use",
					Fields: map[string]string{"email": "is already taken"}, Cause: err}
			case "users_username_lower_key":
				return &tiktok.Error{Code: tiktok.CodeUsernameTaken, Message: "Username already in use",
					Fields: map[string]string{"username": "is already taken"}, Cause: err}
			}
		case "57P01", "57P02", "57P03", "53300":
			return unavailable(err)
		case "42P01", "42703", "42883":
			// The queries are checked against the schema when they are generated, so a missing
			// table, column or function means the migrations have not run yet, or not all of
			// them: serve applies them in the background when the database was unreachable at
			// start, and a request can come between two of them (video_feed exists, its
			// sound_id not yet).
			return unavailable(err)
		}
		return err
	}
	if pgconn.SafeToRetry(err) || isConnError(err) || isBrokenConn(err) {
		return unavailable(err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// The caller's deadline passed while the database had not answered, whether in a
		// query or still connecting: the database is too slow or away, not the request wrong.
		return unavailable(err)
	}
	return err
}

func unavailable(err error) error {
	return &tiktok.Error{Code: tiktok.CodeUnavailable, Message: "Service temporarily unavailable", Cause: err}
}

func isConnError(err error) bool {
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return true
	}
	return pgconn.Timeout(err) && !errors.Is(err, context.Canceled)
}

// isBrokenConn reports whether err is a connection that failed under a statement: the
// server closed it (PostgreSQL stopped or restarted) or the network failed.
func isBrokenConn(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false // the caller gave up; the connection is not to blame
	}
	var netErr *net.OpError
	return errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// notFound translates pgx.ErrNoRows into a not_found error naming what.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return tiktok.NotFound(what)
	}
	return translate(err)
}

// PoolStats is a snapshot of the connection pool.
type PoolStats struct {
	Total, Idle, Acquired, Max int32
}

// PoolStats returns the current state of the connection pool.
func (s *Store) PoolStats() PoolStats {
	st := s.pool.Stat()
	return PoolStats{Total: st.TotalConns(), Idle: st.IdleConns(), Acquired: st.AcquiredConns(), Max: st.MaxConns()}
}
