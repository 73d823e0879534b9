// Command bench is the end-to-end performance benchmark (`make bench`, package
// bench/internal/bench): it starts its own PostgreSQL cluster, loads a large dataset, runs
// the server (bin/tiktok) against it, measures every hot endpoint with wrk and writes
// docs/benchmarks.md.
//
//	bench [flags]              run from the repository root, after `make build`
//	bench -scale 0.02          a quick run (2 % of the default dataset)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gotok/tiktok/bench/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	def := bench.DefaultSizes()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o     bench.Options
		s     bench.Sizes
		scale float64
	)
	fs.Float64Var(&scale, "scale", 1, "multiply the default dataset sizes (e.g. 0.02 for a one-minute run); explicit counts win")
	fs.IntVar(&s.Users, "users", 0, fmt.Sprintf("users (default %d × scale)", def.Users))
	fs.IntVar(&s.Videos, "videos", 0, fmt.Sprintf("videos (default %d × scale)", def.Videos))
	fs.IntVar(&s.VideoLikes, "likes", 0, fmt.Sprintf("video likes (default %d × scale)", def.VideoLikes))
	fs.IntVar(&s.Comments, "comments", 0, fmt.Sprintf("comments (default %d × scale)", def.Comments))
	fs.IntVar(&s.CommentLikes, "comment-likes", 0, fmt.Sprintf("comment likes (default %d × scale)", def.CommentLikes))
	fs.IntVar(&s.Follows, "follows", 0, fmt.Sprintf("follows (default %d × scale)", def.Follows))
	fs.IntVar(&s.BenchFollows, "bench-follows", def.BenchFollows, "creators the benchmark user follows")
	fs.IntVar(&s.BenchFollowsLarge, "bench-follows-large", 0, fmt.Sprintf("creators the second Following-feed viewer (user2) follows (default %d, at most half the users)", def.BenchFollowsLarge))
	fs.IntVar(&s.Impressions, "impressions", 0, fmt.Sprintf("seen videos of viewers other than user1 (default %d × scale)", def.Impressions))
	fs.IntVar(&s.Interests, "interests", 0, fmt.Sprintf("creator and hashtag interests of viewers other than user1, each (default %d × scale)", def.Interests))
	fs.IntVar(&s.BenchSeen, "bench-seen", def.BenchSeen, "videos the benchmark user has seen (those of the highest hot rank)")
	fs.IntVar(&s.BenchInterests, "bench-interests", def.BenchInterests, "creators and hashtags the benchmark user has interests in, each")
	fs.IntVar(&o.Concurrency, "c", 32, "concurrency of every measurement")
	fs.DurationVar(&o.Duration, "d", 10*time.Second, "duration of every measurement")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "warm-up before every measurement (not counted)")
	fs.Uint64Var(&o.Seed, "seed", 42, "random seed of the dataset and the load")
	fs.IntVar(&o.BcryptCost, "bcrypt-cost", 10, "BCRYPT_COST of the server and cost of the loaded users' hashes")
	fs.IntVar(&o.UploadMiB, "upload-mib", 200, "size of the upload whose memory cost is measured, in MiB")
	fs.StringVar(&o.PgOpts, "pg-opts", bench.DefaultPgOpts, "PostgreSQL server options")
	fs.StringVar(&o.Out, "out", "docs/benchmarks.md", "where to write the Markdown report (empty: nowhere)")
	fs.StringVar(&o.History, "history", "docs/bench-history.jsonl", "append this run to this JSON-lines file (empty: nowhere)")
	compare := fs.Bool("compare", false, "run nothing: print the change of the latest run in -history against the previous comparable one")
	fs.StringVar(&o.Tiktok, "tiktok", "bin/tiktok", "the server binary")
	fs.StringVar(&o.Floor, "floor", "bin/floor", "the floor server (bench/cmd/floor) measured next to the by-id rows; empty: not measured")
	fs.StringVar(&o.Repo, "repo", ".", "the repository root (scripts/pg.sh)")
	fs.StringVar(&o.ProfileDir, "profile-dir", "", "save a CPU profile of the server per endpoint in this directory")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary cluster directory (stopped) for inspection")
	fs.DurationVar(&o.QuietWait, "quiet-wait", 30*time.Second, "before each measurement, wait this long at most for other processes to leave the CPU alone")
	fs.IntVar(&o.Retries, "retries", 1, "measure again this many times when other processes used over 5 % of the CPU meanwhile")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: bench [flags]

Runs the end-to-end benchmark on a throwaway PostgreSQL cluster and writes a report
(make bench runs it; make bench BENCH_ARGS="-scale 0.02" is a quick run).

flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *compare {
		return bench.Compare(o.History, stdout)
	}
	if scale <= 0 {
		return errors.New("-scale must be positive")
	}
	sized := def.Scale(scale)
	for _, p := range []struct{ dst, src *int }{
		{&s.Users, &sized.Users}, {&s.Videos, &sized.Videos}, {&s.VideoLikes, &sized.VideoLikes},
		{&s.Comments, &sized.Comments}, {&s.CommentLikes, &sized.CommentLikes}, {&s.Follows, &sized.Follows},
		{&s.Impressions, &sized.Impressions}, {&s.Interests, &sized.Interests},
		{&s.BenchFollowsLarge, &sized.BenchFollowsLarge},
	} {
		if *p.dst == 0 {
			*p.dst = *p.src
		}
	}
	s.BenchFollows = min(s.BenchFollows, s.Users-2)
	s.BenchSeen = min(s.BenchSeen, s.Videos)
	s.BenchInterests = min(s.BenchInterests, (s.Users-2)/2)
	o.Sizes = s
	if o.Concurrency < 1 || o.Duration < time.Second {
		return errors.New("-c must be at least 1 and -d at least 1s")
	}
	o.Command = getenv("BENCH_COMMAND")
	if o.Command == "" {
		o.Command = strings.Join(append([]string{"bench"}, args...), " ")
	}
	return bench.Run(ctx, o, stdout)
}
