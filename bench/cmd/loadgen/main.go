// Command loadgen drives HTTP load against a running tiktok server (package load).
//
//	loadgen soak  -url URL [-pid PID] [-database-url URL] [-d 3m] [-c 32]   what `make soak` runs
//	loadgen mixed -url URL [-d 30s] [-c 32]                                  the soak's mix, report only
//
// For the throughput of fixed requests use wrk, as `make bench` does (README.md).
//
// The server should run with RATE_LIMIT_ENABLED=false: the mixed workload registers and
// logs in a pool of users, and saturating load trips every limit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gotok/tiktok/bench/internal/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		if !errors.Is(err, errFailed) {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
		}
		os.Exit(1)
	}
}

// errFailed reports that a soak ran but a check failed (already explained on stdout).
var errFailed = errors.New("soak failed")

const usage = `usage: loadgen soak|mixed [flags] (loadgen <command> -h for the flags)
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing command")
	}
	fs := flag.NewFlagSet("loadgen "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseURL := fs.String("url", getenv("LOAD_URL"), "base URL of the server (e.g. http://127.0.0.1:8000)")
	duration := fs.Duration("d", 30*time.Second, "how long to drive load")
	conc := fs.Int("c", 32, "concurrency: workers, each with one request in flight")
	seed := fs.Uint64("seed", 1, "random seed")
	switch args[0] {
	case "soak":
		pid := fs.Int("pid", 0, "server process id, for its RSS from /proc (0: the server's own metric)")
		dbURL := fs.String("database-url", getenv("DATABASE_URL"), "the server's database, for the counter check")
		every := fs.Duration("sample", 2*time.Second, "sampling interval of RSS and goroutines")
		warmup := fs.Duration("warmup", 0, "samples before this are not judged (default max(d/10, 10s))")
		users := fs.Int("users", 50, "accounts in the pool")
		memTol := fs.Float64("mem-tolerance", 0.20, "allowed growth of the max RSS from the first to the last third")
		gTol := fs.Int("goroutine-tolerance", 50, "allowed growth of the max goroutine count from the first to the last third")
		if err := fs.Parse(args[1:]); err != nil { // -h: flag.ErrHelp, which main treats as success
			return err
		}
		if *baseURL == "" {
			return errors.New("-url is required")
		}
		if err := load.WaitReady(ctx, *baseURL, 30*time.Second); err != nil {
			return err
		}
		res, err := load.Soak(ctx, load.SoakOptions{
			BaseURL: *baseURL, PID: *pid, DatabaseURL: *dbURL, Concurrency: *conc, Duration: *duration,
			SampleEvery: *every, Warmup: *warmup, Users: *users, Seed: *seed,
			MemTolerance: *memTol, GoroutineTolerance: *gTol,
		}, stdout)
		if err != nil {
			return err
		}
		if !res.OK() {
			fmt.Fprintln(stdout, "soak: FAIL")
			return errFailed
		}
		fmt.Fprintln(stdout, "soak: PASS")
		return nil
	case "mixed":
		users := fs.Int("users", 50, "accounts in the pool")
		if err := fs.Parse(args[1:]); err != nil { // -h: flag.ErrHelp, which main treats as success
			return err
		}
		if *baseURL == "" {
			return errors.New("-url is required")
		}
		client := load.NewClient(*conc)
		mix := &load.Mixed{Users: *users}
		if err := mix.Setup(ctx, client, *baseURL, stdout); err != nil {
			return err
		}
		rep, err := load.Run(ctx, *baseURL, load.Options{Concurrency: *conc, Duration: *duration, Seed: *seed}, mix.Scenario())
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, rep.Table())
		return nil
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
