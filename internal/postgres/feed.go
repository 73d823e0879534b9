package postgres

import (
	"context"
	"fmt"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// The Following feed's hybrid fan-out (migration 00025): posts are pushed into followers'
// inboxes by triggers, creators with more than FanoutMaxFollowers followers are pulled at
// read time, and an inbox keeps about its newest 200 entries above a horizon below which
// the feed is read the old way.

// followingFeed reads a page from the inbox and the pulled creators, finished below the
// inbox's horizon by the pull query when the inbox runs out first: one statement
// (ListFollowingInbox).
func (s *Store) followingFeed(ctx context.Context, p tiktok.Page) ([]tiktok.Video, error) {
	t, id := keyset(p)
	rows, err := s.q.ListFollowingInbox(ctx, db.ListFollowingInboxParams{ViewerID: p.Viewer, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list following inbox: %w", translate(err))
	}
	out := make([]tiktok.Video, len(rows))
	for i, r := range rows {
		out[i] = videoFromFeed(r.VideoFeed, r.IsLiked, r.IsBookmarked)
	}
	return out, nil
}

// SetFeedFanoutMaxFollowers sets the threshold above which a creator's posts are pulled at
// read time instead of pushed to every follower (FEED_FANOUT_MAX_FOLLOWERS; the database
// keeps it, so every server and trigger shares it) and moves the creators it puts on the
// other side (RebalanceFeed). It returns how many moved.
func (s *Store) SetFeedFanoutMaxFollowers(ctx context.Context, n int64) (int64, error) {
	if n < 0 {
		return 0, tiktok.Invalid(map[string]string{"maxFollowers": "must not be negative"})
	}
	if err := s.q.SetFeedFanoutMaxFollowers(ctx, n); err != nil {
		return 0, fmt.Errorf("set feed fan-out threshold: %w", translate(err))
	}
	return s.RebalanceFeed(ctx)
}

// RebalanceFeed moves the creators above the fan-out threshold to the pulled side and
// those below 90 % of it back to the pushed side, backfilling their followers' inboxes
// (feed_rebalance), and returns how many moved. A creator crosses upwards by itself on
// the follow that takes them over the threshold; downwards only here (a backfill of every
// follower is a batch, not a request's work). serve runs it hourly
// (maintenance.FanoutEvery).
func (s *Store) RebalanceFeed(ctx context.Context) (int64, error) {
	n, err := s.q.RebalanceFeed(ctx)
	if err != nil {
		return 0, fmt.Errorf("rebalance feed fan-out: %w", translate(err))
	}
	return n, nil
}

// BuildFeedInboxesTx fills the feed inboxes on q set-based after a bulk load that ran with
// the feed triggers off (the seed), rebalancing first and making each user's list of
// followed pulled creators exact (feed_build_pull_follows, migration 00027), and returns
// the inbox entries inserted.
func BuildFeedInboxesTx(ctx context.Context, q Querier) (int64, error) {
	d := db.New(q)
	if _, err := d.RebalanceFeed(ctx); err != nil {
		return 0, fmt.Errorf("rebalance feed fan-out: %w", translate(err))
	}
	if _, err := d.BuildFeedPullFollows(ctx); err != nil {
		return 0, fmt.Errorf("build feed pull follows: %w", translate(err))
	}
	n, err := d.BuildFeedInboxes(ctx)
	if err != nil {
		return 0, fmt.Errorf("build feed inboxes: %w", translate(err))
	}
	return n, nil
}
