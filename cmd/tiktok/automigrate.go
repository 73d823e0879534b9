package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

// autoMigration applies the schema migrations for serve. When the database cannot be
// reached at start, serve runs anyway and the migrations are retried in the background:
// until they succeed the server is not ready (/readyz answers 503) and requests that need
// the database fail with 503 unavailable.
type autoMigration struct {
	done   atomic.Bool
	failed chan error // receives, once, a migration error that waiting cannot fix
	cancel context.CancelFunc
	exited chan struct{}
}

// startAutoMigration runs migrate once. It returns an error when migrate fails for another
// reason than an unavailable database (bad SQL, missing privileges): serve must not start
// then. When the database is unavailable it logs a warning and keeps calling migrate in the
// background, waiting minBackoff after the first failure and doubling up to maxBackoff,
// until migrate succeeds, fails for another reason (sent on failed) or ctx ends. Call stop
// before closing what migrate uses.
func startAutoMigration(ctx context.Context, log *slog.Logger, migrate func(context.Context) error, minBackoff, maxBackoff time.Duration) (*autoMigration, error) {
	m := &autoMigration{failed: make(chan error, 1), exited: make(chan struct{})}
	err := migrate(ctx)
	if err == nil {
		m.done.Store(true)
		m.cancel = func() {}
		close(m.exited)
		return m, nil
	}
	if tiktok.ErrorCode(err) != tiktok.CodeUnavailable || ctx.Err() != nil {
		return nil, err
	}
	log.Warn("database unavailable: serving without it and retrying the migrations in the background", "err", err)
	ctx, m.cancel = context.WithCancel(ctx)
	go m.retry(ctx, log, migrate, minBackoff, maxBackoff)
	return m, nil
}

func (m *autoMigration) retry(ctx context.Context, log *slog.Logger, migrate func(context.Context) error, wait, maxWait time.Duration) {
	defer close(m.exited)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for attempt := 2; ; attempt++ {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		err := migrate(ctx)
		switch {
		case err == nil:
			m.done.Store(true)
			log.Info("database migrations applied; ready", "attempts", attempt)
			return
		case ctx.Err() != nil:
			return
		case tiktok.ErrorCode(err) != tiktok.CodeUnavailable:
			m.failed <- err
			return
		}
		log.Debug("database still unavailable", "attempt", attempt, "err", err)
		wait = min(2*wait, maxWait)
		timer.Reset(wait)
	}
}

// ready returns nil once the migrations are applied, else an unavailable *tiktok.Error.
func (m *autoMigration) ready() error {
	if m.done.Load() {
		return nil
	}
	return &tiktok.Error{Code: tiktok.CodeUnavailable, Message: "Service temporarily unavailable: database migrations are pending"}
}

// stop ends the background retries and waits until no migration is running.
func (m *autoMigration) stop() {
	m.cancel()
	<-m.exited
}
