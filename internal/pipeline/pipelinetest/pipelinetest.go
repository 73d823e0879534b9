// Package pipelinetest runs the media pipeline's River worker for tests: on a test's
// database and storage, with real ffmpeg, polling often, stopped when the test ends.
package pipelinetest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/gotok/tiktok/internal/jobs"
	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/pipeline"
)

// Tools returns the ffmpeg tools, skipping the test when ffmpeg is not installed
// (scripts/install-deps.sh installs it; make test runs that first).
func Tools(t testing.TB) *pipeline.Tools {
	t.Helper()
	tools, err := pipeline.FindTools()
	if err != nil {
		t.Skipf("media pipeline tests need ffmpeg: %v", err)
	}
	return tools
}

// StartWorker works the media queue of pool's database with one worker until the test
// ends. cfg's zero fields get test defaults (a minute per ffmpeg run, 60 s videos, 10 MiB).
func StartWorker(t testing.TB, pool *pgxpool.Pool, store pipeline.Store, files media.Storage, cfg pipeline.Config) *pipeline.Processor {
	t.Helper()
	tools := Tools(t)
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.MaxSeconds == 0 {
		cfg.MaxSeconds = 60
	}
	if cfg.MaxVideoBytes == 0 {
		cfg.MaxVideoBytes = 10 << 20
	}
	cfg.Concurrency, cfg.TempDir = 1, t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	proc, err := pipeline.New(store, files, tools, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &pipeline.Worker{P: proc})
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:            map[string]river.QueueConfig{jobs.MediaQueue: {MaxWorkers: 1}},
		Workers:           workers,
		FetchCooldown:     20 * time.Millisecond,
		FetchPollInterval: 100 * time.Millisecond,
		Logger:            quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := client.Stop(ctx); err != nil {
			t.Errorf("stop the media worker: %v", err)
		}
	})
	return proc
}
