package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/joho/godotenv"

	"github.com/gotok/tiktok/internal/auth"
	"github.com/gotok/tiktok/internal/config"
	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/maintenance"
	"github.com/gotok/tiktok/internal/notify"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/seed"
	"github.com/gotok/tiktok/internal/webapp"
)

const usage = `usage: tiktok <command> [arguments]

commands:
  serve                    run the HTTP server (migrates first unless AUTO_MIGRATE=false)
  migrate up|down|status   manage the database schema
  seed [flags]             fill the database with demo data (tiktok seed -h for flags)
  recount                  set every like, comment, follower and video counter to its COUNT(*)
  orphans [flags]          remove media files no row refers to (tiktok orphans -h for flags)
  user role <email> <role> give an account a role: user, moderator or admin
  worker                   run the media pipeline's workers only (serve runs them too)
  jobs [flags]             list background jobs, by default the failed ones (tiktok jobs -h)

Configuration comes from the environment and an optional .env file; see .env.example.
`

// run is the whole program; main only supplies the process's context, arguments,
// environment and output streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing command")
	}
	getenv, err := withDotEnv(getenv)
	if err != nil {
		return err
	}
	switch args[0] {
	case "serve":
		return serve(ctx, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout)
	case "seed":
		return seedDatabase(ctx, args[1:], getenv, stdout, stderr)
	case "recount":
		return recount(ctx, args[1:], getenv, stdout)
	case "orphans":
		return orphans(ctx, args[1:], getenv, stdout, stderr)
	case "user":
		return userCommand(ctx, args[1:], getenv, stdout)
	case "worker":
		return worker(ctx, getenv, stderr)
	case "jobs":
		return jobsCommand(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// withDotEnv returns a getenv that falls back to the variables of ./.env (or the file named
// by ENV_FILE) for variables the environment does not set.
func withDotEnv(getenv func(string) string) (func(string) string, error) {
	path := getenv("ENV_FILE")
	if path == "" {
		path = ".env"
	}
	vars, err := godotenv.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return getenv, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return func(key string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return vars[key]
	}, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDB loads the configuration and opens a pool on its DATABASE_URL.
func openDB(ctx context.Context, getenv func(string) string) (config.Config, *pgxpool.Pool, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return config.Config{}, nil, err
	}
	if cfg.DatabaseURL == "" {
		return config.Config{}, nil, errors.New("DATABASE_URL is not set (make run starts a local PostgreSQL and sets it for you)")
	}
	pool, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return config.Config{}, nil, err
	}
	return cfg, pool, nil
}

func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, pool, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := cfg.EnsureJWTSecret(); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	migrate := func(ctx context.Context) error { return postgres.Migrate(ctx, pool, io.Discard) }
	if !cfg.AutoMigrate {
		migrate = func(context.Context) error { return nil }
	}
	migrations, err := startAutoMigration(ctx, log, migrate, time.Second, 5*time.Second)
	if err != nil {
		return err
	}
	defer migrations.stop()
	// bcrypt runs on one low-priority thread per core, each with a P of its own on top of
	// the ones request goroutines use, so a burst of logins cannot starve reads.
	workers := runtime.GOMAXPROCS(0)
	passwords, err := auth.NewPasswordsPool(cfg.BcryptCost, workers)
	if err != nil {
		return err
	}
	defer passwords.Close()
	prevProcs := runtime.GOMAXPROCS(workers * 2)
	defer runtime.GOMAXPROCS(prevProcs)
	storage, err := openStorage(ctx, cfg)
	if err != nil {
		return err
	}
	// Storage-compatible uploads no video claims are deleted in the background; every
	// server copy sweeps, each object is removed by one of them.
	shared, err := openShared(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer shared.close()
	store, closeReplicas, err := openStore(ctx, cfg, pool, shared.positions, log)
	if err != nil {
		return err
	}
	defer closeReplicas()
	sweepCtx, stopSweep := context.WithCancel(ctx)
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		maintenance.SweepStorageEvery(sweepCtx, store, storage, cfg.StorageTTL,
			maintenance.SweepInterval(cfg.StorageTTL), migrations.ready, log)
	}()
	defer func() { stopSweep(); <-sweepDone }()
	feedDone := make(chan struct{})
	go func() {
		defer close(feedDone)
		maintenance.FeedEvery(sweepCtx, store, cfg.Ranking, 10*time.Minute, migrations.ready, log)
	}()
	defer func() { stopSweep(); <-feedDone }()
	fanoutDone := make(chan struct{})
	go func() {
		defer close(fanoutDone)
		maintenance.FanoutEvery(sweepCtx, store, cfg.FeedFanoutMaxFollowers, time.Hour, migrations.ready, log)
	}()
	defer func() { stopSweep(); <-fanoutDone }()
	// The media pipeline: uploads are processed when ffmpeg is here (or MEDIA_PROCESSING
	// says otherwise); this server works the jobs unless MEDIA_WORKERS=0 (then `tiktok
	// worker` processes elsewhere do).
	tools := processingTools(cfg, log)
	var processing *mediaWorkers
	if tools != nil && cfg.Pipeline.Workers > 0 {
		processing, err = startMediaWorkers(ctx, cfg, pool, store, storage, tools, migrations.ready, log)
		if err != nil {
			return err
		}
		defer processing.stopWithin(cfg.ShutdownTimeout) // waits for the stop shutdown began
	}
	web, err := webapp.New(webapp.Options{MediaOrigins: []string{cfg.PublicURL, cfg.MediaPublicURL}})
	if err != nil {
		return err
	}
	api := httpapi.NewServer(httpapi.Deps{
		Config: httpapi.Config{
			PublicURL:       cfg.PublicURL,
			MediaPublicURL:  cfg.MediaPublicURL,
			CORSOrigins:     cfg.CORSOrigins,
			TrustedProxies:  cfg.TrustedProxies,
			MaxVideoBytes:   cfg.MaxVideoBytes,
			Limits:          cfg.Limits,
			StorageCompat:   cfg.StorageCompat,
			SeparateMetrics: cfg.MetricsAddr != "",

			StorageMinRate:   cfg.StorageMinRate,
			StorageRateGrace: cfg.StorageUploadGrace,

			ReportAutoHideThreshold: cfg.ReportAutoHideThreshold,
			Streams:                 notify.Config{PerUser: cfg.StreamsPerUser, Total: cfg.StreamsMax},
			StreamHeartbeat:         cfg.StreamHeartbeat,
			Processing:              tools != nil,
		},
		Logger:       log,
		Store:        store,
		PoolStats:    func() httpapi.PoolStats { return httpapi.PoolStats(store.PoolStats()) },
		ReplicaStats: replicaStats(cfg, store),
		Passwords:    passwords,
		Tokens:       auth.NewTokens(cfg.JWTSecret, cfg.JWTExpire, time.Now),
		Media:        storage,
		Ready:        migrations.ready,
		Web:          web,

		Limiter:     shared.limiter,
		SharedViews: shared.views,
		SharedCache: shared.cache,
		SharedSlots: shared.slots,
		Collectors:  shared.collectors,
	})
	defer api.Close()
	var inflight requestTracker

	srv := &http.Server{
		Addr:              net.JoinHostPort("", strconv.Itoa(cfg.Port)),
		Handler:           inflight.track(api.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Minute, // uploads of large videos on slow links
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Notification streams never finish by themselves: end them when shutdown begins, so
	// that it waits only for ordinary requests.
	srv.RegisterOnShutdown(api.CloseStreams)
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("listening", "addr", ln.Addr().String(), "env", cfg.AppEnv)
	if cfg.MetricsAddr != "" && cfg.MetricsAddr != "off" {
		stopMetrics, err := serveMetrics(cfg.MetricsAddr, api.MetricsHandler(), log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopMetrics()
	}
	if cfg.PprofAddr != "" {
		stopPprof, err := servePprof(cfg.PprofAddr, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopPprof()
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var failure error
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case err := <-migrations.failed:
		log.Error("database migrations failed: shutting down", "err", err)
		failure = err
	case <-ctx.Done():
	}
	log.Info("shutting down: waiting for in-flight requests", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if processing != nil {
		// The media workers fetch no new job from now on; running ones finish within the
		// same grace period as the requests (an upload's job waits in the queue for the
		// next worker), so that shutdown takes at most SHUTDOWN_TIMEOUT, not twice that.
		deadline, _ := shutdownCtx.Deadline()
		processing.beginStop(deadline)
	}
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Requests are still running after the grace period. Closing their connections makes
		// each fail the way a client that went away does (an upload removes its file, a
		// transaction rolls back) instead of being cut off by the process's exit; wait for
		// their handlers to return before the pool is closed.
		srv.Close()
		left := inflight.wait(10 * time.Second)
		log.Warn("shutdown grace period over: connections closed", "requests_still_running", left)
		return errors.Join(failure, fmt.Errorf("shutdown: %w", err))
	}
	if failure != nil {
		return failure
	}
	log.Info("stopped")
	return nil
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: tiktok migrate up|down|status")
	}
	_, pool, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer pool.Close()
	switch args[0] {
	case "up":
		return postgres.Migrate(ctx, pool, stdout)
	case "down":
		return postgres.MigrateDown(ctx, pool, stdout)
	case "status":
		return postgres.MigrationStatus(ctx, pool, stdout)
	}
	return fmt.Errorf("unknown migrate command %q: want up, down or status", args[0])
}

func seedDatabase(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opts, err := seed.ParseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	cfg, pool, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool, io.Discard); err != nil {
		return err
	}
	store, err := openStorage(ctx, cfg)
	if err != nil {
		return err
	}
	passwords, err := auth.NewPasswords(cfg.BcryptCost)
	if err != nil {
		return err
	}
	hash, err := passwords.Hash(seedPassword)
	if err != nil {
		return err
	}
	sum, err := seed.Run(ctx, pool, store, hash, opts, stdout)
	if err != nil {
		return err
	}
	if !sum.Skipped && sum.Users > 0 {
		fmt.Fprintf(stdout, "seed: log in as user1@example.com … user%d@example.com with password %s\n", sum.Users, seedPassword)
	}
	return nil
}

// seedPassword is the password of every seeded user.
const seedPassword = "password123"

// servePprof serves net/http/pprof on addr, which must be a loopback address: profiles
// expose internals and cost CPU, so they are never reachable from outside the machine.
func servePprof(addr string, log *slog.Logger) (stop func(), err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("PPROF_ADDR %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("PPROF_ADDR %q: must be a loopback address such as 127.0.0.1:6060", addr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return serveAux("pprof", "PPROF_ADDR", addr, mux, log)
}

// serveMetrics serves the Prometheus metrics at /metrics on a listener of their own.
func serveMetrics(addr string, metrics http.Handler, log *slog.Logger) (stop func(), err error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	return serveAux("metrics", "METRICS_ADDR", addr, mux, log)
}

// serveAux serves h on addr (named by the variable setting it) until stop is called.
func serveAux(name, variable, addr string, h http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", variable, addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	go func() { _ = srv.Serve(ln) }()
	log.Info(name+" listening", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}
