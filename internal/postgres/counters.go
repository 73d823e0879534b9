package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
)

// The denormalised counters (likes, comments, followers, videos, bookmarks, shares; a
// hashtag's videos and views, a sound's videos) are kept by triggers in the same transaction as the rows they
// count; these repair and check them.

// Recount sets every denormalised counter to the COUNT(*) of its rows (a hashtag's
// view_count to the SUM of its videos' views) and returns how many rows were wrong. A
// hashtag's trend_score is a log of uses rather than a count, so it is only filled in where
// it is 0 for a tag that has videos (a bulk load; see RecountHashtagCounters), and such a
// row counts as fixed.
func (s *Store) Recount(ctx context.Context) (int64, error) {
	var fixed int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		fixed, err = RecountTx(ctx, tx)
		return err
	})
	return fixed, translate(err)
}

// Querier is what RecountTx runs on: a pool, a connection or a transaction.
type Querier = db.DBTX

// RecountTx is Recount on q (e.g. inside a caller's transaction, as the seed does after a
// bulk load).
func RecountTx(ctx context.Context, q Querier) (int64, error) {
	queries := db.New(q)
	var fixed int64
	for _, step := range []func(context.Context) (int64, error){
		queries.RecountVideoCounters, queries.RecountCommentCounters, queries.RecountUserCounters,
		queries.RecountHashtagCounters, queries.RecountSoundCounters,
		queries.RecountReportTargets,
	} {
		n, err := step(ctx)
		if err != nil {
			return fixed, fmt.Errorf("recount: %w", translate(err))
		}
		fixed += n
	}
	return fixed, nil
}

// Drift is one denormalised counter and how many rows hold a value other than the
// COUNT(*) of the rows it counts.
type Drift struct {
	Counter string // e.g. "videos.like_count"
	Wrong   int64
}

// CheckCounters returns, for each of the thirteen counters, how many rows differ from the
// COUNT(*) (for hashtags.view_count the SUM of views) of their rows (all zero when nothing
// drifted). Run it when no writes are in
// flight; q is a pool, a connection or a transaction.
func CheckCounters(ctx context.Context, q Querier) ([]Drift, error) {
	r, err := db.New(q).CounterDrift(ctx)
	if err != nil {
		return nil, fmt.Errorf("check counters: %w", translate(err))
	}
	reports, err := db.New(q).ReportTargetDrift(ctx)
	if err != nil {
		return nil, fmt.Errorf("check counters: %w", translate(err))
	}
	return []Drift{
		{"videos.like_count", r.VideoLikes},
		{"videos.comment_count", r.VideoComments},
		{"comments.like_count", r.CommentLikes},
		{"users.follower_count", r.UserFollowers},
		{"users.following_count", r.UserFollowing},
		{"users.video_count", r.UserVideos},
		{"users.like_count", r.UserLikes},
		{"hashtags.video_count", r.HashtagVideos},
		{"hashtags.view_count", r.HashtagViews},
		{"sounds.video_count", r.SoundVideos},
		{"videos.bookmark_count", r.VideoBookmarks},
		{"videos.share_count", r.VideoShares},
		{"videos.thread_count", r.VideoThreads},
		{"comments.reply_count", r.CommentReplies},
		{"report_targets.open_count", reports},
	}, nil
}
