package postgres

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// jobQueue inserts River jobs (package jobs) in the Store's transactions. Its client is
// insert-only — no queues, no workers — and made on first use.
type jobQueue struct {
	once   sync.Once
	client *river.Client[pgx.Tx]
	err    error
}

func (j *jobQueue) get(pool *pgxpool.Pool) (*river.Client[pgx.Tx], error) {
	j.once.Do(func() {
		j.client, j.err = river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if j.err != nil {
			j.err = fmt.Errorf("job queue client: %w", j.err)
		}
	})
	return j.client, j.err
}

// enqueueTx inserts the job args in tx: it runs only if tx commits.
func (s *Store) enqueueTx(ctx context.Context, tx pgx.Tx, args river.JobArgs) error {
	c, err := s.jobs.get(s.pool)
	if err != nil {
		return err
	}
	if _, err := c.InsertTx(ctx, tx, args, nil); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}
