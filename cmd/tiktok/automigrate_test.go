package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

func TestAutoMigration(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	down := &tiktok.Error{Code: tiktok.CodeUnavailable, Message: "down"}
	badSQL := errors.New("syntax error at or near \"CREAT\"")
	// script returns a migrate func answering errs in turn, then nil forever.
	script := func(calls *atomic.Int32, errs ...error) func(context.Context) error {
		return func(ctx context.Context) error {
			n := int(calls.Add(1)) - 1
			if n < len(errs) {
				return errs[n]
			}
			return nil
		}
	}
	waitReady := func(t *testing.T, m *autoMigration) {
		t.Helper()
		if !waitFor(5*time.Second, func() bool { return m.ready() == nil }) {
			t.Fatal("not ready within 5s")
		}
	}

	t.Run("applied at once", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		m, err := startAutoMigration(context.Background(), log, script(&calls), time.Millisecond, time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		defer m.stop()
		if err := m.ready(); err != nil {
			t.Errorf("ready = %v, want nil", err)
		}
	})
	t.Run("real error fails at once", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		_, err := startAutoMigration(context.Background(), log, script(&calls, badSQL), time.Millisecond, time.Millisecond)
		if !errors.Is(err, badSQL) {
			t.Errorf("err = %v, want the migration's error", err)
		}
		if calls.Load() != 1 {
			t.Errorf("migrate ran %d times, want 1", calls.Load())
		}
	})
	t.Run("retried while unavailable", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		var up atomic.Bool
		migrate := func(context.Context) error {
			calls.Add(1)
			if !up.Load() {
				return down
			}
			return nil
		}
		m, err := startAutoMigration(context.Background(), log, migrate, time.Millisecond, 4*time.Millisecond)
		if err != nil {
			t.Fatalf("err = %v, want serve to start while the database is down", err)
		}
		defer m.stop()
		waitFor(5*time.Second, func() bool { return calls.Load() >= 3 })
		if err := m.ready(); tiktok.ErrorCode(err) != tiktok.CodeUnavailable {
			t.Errorf("ready while the database is down = %v, want unavailable", err)
		}
		up.Store(true)
		waitReady(t, m)
		select {
		case err := <-m.failed:
			t.Errorf("failed = %v", err)
		default:
		}
	})
	t.Run("real error after the database came back", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		m, err := startAutoMigration(context.Background(), log, script(&calls, down, badSQL), time.Millisecond, time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		defer m.stop()
		select {
		case err := <-m.failed:
			if !errors.Is(err, badSQL) {
				t.Errorf("failed = %v, want the migration's error", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no failure reported within 5s")
		}
		if m.ready() == nil {
			t.Error("ready after a failed migration")
		}
	})
	t.Run("stop while retrying", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		always := func(context.Context) error { calls.Add(1); return down }
		m, err := startAutoMigration(context.Background(), log, always, time.Millisecond, 2*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(5*time.Second, func() bool { return calls.Load() >= 3 })
		done := make(chan struct{})
		go func() { m.stop(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("stop did not return within 5s")
		}
		if m.ready() == nil {
			t.Error("ready although no migration succeeded")
		}
	})
	t.Run("context ended", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := startAutoMigration(ctx, log, func(ctx context.Context) error { return down }, time.Millisecond, time.Millisecond)
		if err == nil {
			t.Error("startAutoMigration succeeded after its context ended")
		}
	})
}
