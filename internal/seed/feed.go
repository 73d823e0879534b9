package seed

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/postgres"
)

// seedFeedInboxes fills the Following feed's inboxes (migration 00025) set-based, after
// the bulk load ran with their triggers paused with the counters' (counterTriggers). When
// the triggers could not be paused they filled the inboxes row by row already.
func seedFeedInboxes(ctx context.Context, tx pgx.Tx, paused bool, out io.Writer) error {
	if !paused {
		return nil
	}
	start := time.Now()
	n, err := postgres.BuildFeedInboxesTx(ctx, tx)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(out, "seed: %d feed inbox entries (%s)\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
