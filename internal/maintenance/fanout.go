package maintenance

import (
	"context"
	"log/slog"
	"time"

	"github.com/gotok/tiktok/internal/postgres"
)

// FanoutEvery keeps the Following feed's hybrid fan-out (migration 00025): once the schema
// is ready it stores maxFollowers as the threshold above which creators are pulled (0:
// keep the database's), and then every interval moves creators that fell below it back to
// being pushed (postgres.Store.RebalanceFeed). Every server runs it; one runs at a time
// (feed_rebalance takes an advisory lock, and a run that finds it taken does nothing).
// It returns when ctx ends.
func FanoutEvery(ctx context.Context, store *postgres.Store, maxFollowers int64, interval time.Duration, ready func() error, log *slog.Logger) {
	configured := false
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if ready != nil && ready() != nil {
			timer.Reset(time.Second)
			continue
		}
		var n int64
		var err error
		if !configured && maxFollowers > 0 {
			n, err = store.SetFeedFanoutMaxFollowers(ctx, maxFollowers)
		} else {
			n, err = store.RebalanceFeed(ctx)
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("feed fan-out rebalance failed", "err", err)
			}
			timer.Reset(time.Minute)
			continue
		}
		configured = true
		if n > 0 {
			log.Info("feed fan-out: creators changed between push and pull", "creators", n)
		}
		timer.Reset(interval)
	}
}
