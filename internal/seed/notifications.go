package seed

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/postgres"
)

// seedNotifications gives the seeded users their notifications: the groups the seeded
// likes, comments and follows stand for, built in one statement (their triggers are paused
// with the counters'; see counterTriggers), in the order of their latest activity. When
// the triggers could not be paused they made the groups already, and nothing is added.
func seedNotifications(ctx context.Context, tx pgx.Tx, out io.Writer) error {
	start := time.Now()
	n, err := postgres.BuildNotificationsTx(ctx, tx)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(out, "seed: %d notifications (%s)\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

// orderNotifications gives the seeded notifications event ids in the order of their
// latest activity. The replies and mentions the seed writes after the bulk load are
// back-dated among the other demo data, but their notifications took the newest ids; a
// client paging by event id would see them out of time order.
func orderNotifications(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
		UPDATE notifications n SET seq = o.seq
		FROM (SELECT x.id, nextval('notification_seq') AS seq
		      FROM (SELECT id FROM notifications ORDER BY updated_at, id) x) o
		WHERE n.id = o.id`)
	if err != nil {
		return fmt.Errorf("seed: order notifications: %w", err)
	}
	return nil
}
