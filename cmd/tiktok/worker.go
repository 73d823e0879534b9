package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/gotok/tiktok/internal/config"
	"github.com/gotok/tiktok/internal/jobs"
	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/pipeline"
	"github.com/gotok/tiktok/internal/postgres"
)

// processingTools returns the ffmpeg tools when uploads are to be processed: MEDIA_PROCESSING
// is auto and ffmpeg/ffprobe are installed. Otherwise nil, having said why in the log.
func processingTools(cfg config.Config, log *slog.Logger) *pipeline.Tools {
	if cfg.Pipeline.Processing == "off" {
		log.Info("media processing is off (MEDIA_PROCESSING=off): uploads are served as uploaded")
		return nil
	}
	tools, err := pipeline.FindTools()
	if err != nil {
		log.Warn("media processing unavailable: uploads are served as uploaded, without probing, transcoding or posters",
			"err", err, "install", "scripts/install-deps.sh (or: apt-get install ffmpeg)")
		return nil
	}
	return tools
}

// mediaWorkers runs the media pipeline's River workers: cfg.Pipeline.Workers jobs at once
// on the media queue. It waits for ready (the migrations) before it starts, and stop stops
// it: running jobs get until ctx of stop ends to finish, then are cancelled (their ffmpeg
// processes killed, their videos left processing for the job's retry).
type mediaWorkers struct {
	client     *river.Client[pgx.Tx]
	cancelWait context.CancelFunc // ends the wait for the migrations
	startDone  chan struct{}      // closed once the client started, or will not
	started    atomic.Bool

	stopOnce sync.Once
	stopped  chan struct{} // closed when a stop begun by beginStop has returned
}

func startMediaWorkers(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, store *postgres.Store, files media.Storage,
	tools *pipeline.Tools, ready func() error, log *slog.Logger) (*mediaWorkers, error) {
	proc, err := pipeline.New(store, files, tools, pipeline.Config{
		MaxSeconds:    cfg.Pipeline.MaxSeconds,
		MaxVideoBytes: cfg.MaxVideoBytes,
		Timeout:       cfg.Pipeline.Timeout,
		Concurrency:   cfg.Pipeline.Workers,
		TempDir:       filepath.Join(cfg.DataDir, "tmp"),
	}, log)
	if err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &pipeline.Worker{P: proc}); err != nil {
		return nil, fmt.Errorf("media worker: %w", err)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:  map[string]river.QueueConfig{jobs.MediaQueue: {MaxWorkers: cfg.Pipeline.Workers}},
		Workers: workers,
		Logger:  log.With("component", "river"),
	})
	if err != nil {
		return nil, fmt.Errorf("media workers: %w", err)
	}
	waitCtx, cancelWait := context.WithCancel(ctx)
	w := &mediaWorkers{client: client, cancelWait: cancelWait, startDone: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(w.startDone)
		for ready() != nil { // River's tables come with the migrations
			select {
			case <-waitCtx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
		// The client outlives ctx: stop ends it, letting running jobs finish first.
		if err := client.Start(context.WithoutCancel(ctx)); err != nil {
			log.Error("media workers did not start", "err", err)
			return
		}
		w.started.Store(true)
		log.Info("media workers started", "workers", cfg.Pipeline.Workers, "ffmpeg_timeout", cfg.Pipeline.Timeout)
	}()
	return w, nil
}

// stop stops the workers, letting running jobs finish until ctx ends; then it cancels
// them, which kills their ffmpeg processes (their videos wait for the job's retry). It
// never runs concurrently with the client's start.
func (w *mediaWorkers) stop(ctx context.Context) {
	w.cancelWait()
	<-w.startDone
	if !w.started.Load() {
		return
	}
	if err := w.client.Stop(ctx); err != nil {
		cancelCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = w.client.StopAndCancel(cancelCtx)
		cancel()
	}
}

// beginStop starts stop in the background, once, with running jobs given until deadline:
// serve begins it when shutdown begins, so that no new job is fetched while requests
// drain and the jobs share the requests' grace period instead of getting their own after it.
func (w *mediaWorkers) beginStop(deadline time.Time) {
	w.stopOnce.Do(func() {
		go func() {
			defer close(w.stopped)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			w.stop(ctx)
		}()
	})
}

// stopWithin stops the workers, giving running jobs up to grace unless a stop has already
// begun, and waits until they have stopped.
func (w *mediaWorkers) stopWithin(grace time.Duration) {
	w.beginStop(time.Now().Add(grace))
	<-w.stopped
}

// worker is `tiktok worker`: the media pipeline's workers without the HTTP server, to scale
// processing out to other machines (they need the same DATABASE_URL and storage).
func worker(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, pool, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer pool.Close()
	log := newLogger(cfg, stderr)
	tools := processingTools(cfg, log)
	if tools == nil {
		return errors.New("worker: media processing is unavailable (see above)")
	}
	if cfg.Pipeline.Workers < 1 {
		cfg.Pipeline.Workers = config.DefaultMediaWorkers()
	}
	files, err := openStorage(ctx, cfg)
	if err != nil {
		return err
	}
	store := postgres.NewStore(pool)
	ready := func() error { return store.Ping(ctx) }
	w, err := startMediaWorkers(ctx, cfg, pool, store, files, tools, ready, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("worker shutting down: waiting for running jobs", "timeout", cfg.ShutdownTimeout)
	w.stopWithin(cfg.ShutdownTimeout)
	log.Info("worker stopped")
	return nil
}

// jobsCommand is `tiktok jobs`: the queue's jobs in one state, newest first — by default
// the discarded ones, whose every attempt failed (the video is then failed too).
func jobsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("jobs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	state := fs.String("state", string(rivertype.JobStateDiscarded), "available, running, retryable, scheduled, completed, cancelled or discarded")
	limit := fs.Int("limit", 20, "how many jobs to list (1-1000)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *limit < 1 || *limit > 1000 {
		return fmt.Errorf("jobs: -limit %d: want 1 to 1000", *limit)
	}
	st := rivertype.JobState(*state)
	if !slices.Contains(rivertype.JobStates(), st) {
		return fmt.Errorf("jobs: unknown state %q", *state)
	}
	_, pool, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer pool.Close()
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	res, err := client.JobList(ctx, river.NewJobListParams().States(st).First(*limit).OrderBy(river.JobListOrderByID, river.SortOrderDesc))
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tARGS\tATTEMPT\tCREATED\tLAST ERROR")
	for _, j := range res.Jobs {
		last := ""
		if n := len(j.Errors); n > 0 {
			last = j.Errors[n-1].Error
			if len(last) > 120 {
				last = last[:120] + "…"
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%d\t%s\t%s\n", j.ID, j.Kind, j.EncodedArgs, j.Attempt, j.MaxAttempts, j.CreatedAt.UTC().Format(time.RFC3339), last)
	}
	return tw.Flush()
}
