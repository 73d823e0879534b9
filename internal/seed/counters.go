package seed

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gotok/tiktok/internal/postgres"
)

// counterTriggers are the row triggers of the schema (migrations 00001 and 00006) that keep
// the denormalised counters; recount does their work for a whole data set at once.
//
// Row by row they are too slow for bulk data: every like updates its video's and its
// owner's row, and a row updated thousands of times in one transaction leaves a chain of
// versions each later update must walk (10,000 likes took 3.5 s, 3,000 follows 2.3 s).
var counterTriggers = []struct{ table, trigger string }{
	{"videos", "videos_count"},
	{"comments", "comments_count"},
	{"video_likes", "video_likes_count"},
	{"comment_likes", "comment_likes_count"},
	{"follows", "follows_count"},
	// Migration 00006: a hashtag's videos, views and trend score, a sound's videos. (The
	// seed never updates views; videos_untag runs before deletes, which the seed does not
	// do either. The hot-rank triggers stay on: they are not counters.)
	{"video_hashtags", "video_hashtags_count"},
	{"videos", "videos_sound_count"},
	// Interests (migration 00006) follow engagement as it happens; seeded likes and
	// comments are history, not a viewer's taste.
	{"video_likes", "video_likes_interest"},
	{"comments", "comments_interest"},
	// Notifications (migration 00014): row by row, a popular video's group row would be
	// updated once per like; seedNotifications builds every group set-based instead.
	{"video_likes", "video_likes_notify"},
	{"comment_likes", "comment_likes_notify"},
	{"comments", "comments_notify"},
	{"follows", "follows_notify"},
	// The Following feed's inboxes (migration 00025): seedFeedInboxes builds them set-based.
	{"videos", "videos_feed"},
	{"follows", "follows_feed"},
}

// pauseCounters disables counterTriggers inside tx, so only this transaction's inserts
// skip them: other sessions cannot write to the locked tables, and the catalog change is
// undone by resumeCounters before commit or by a rollback. It reports false, leaving the
// triggers on (correct, only slower), when the role may not alter the tables or a trigger
// is missing from the schema.
func pauseCounters(ctx context.Context, tx pgx.Tx, out io.Writer) (bool, error) {
	sp, err := tx.Begin(ctx) // a savepoint, so a refusal does not abort tx
	if err != nil {
		return false, fmt.Errorf("seed: savepoint: %w", err)
	}
	for _, t := range counterTriggers {
		_, err := sp.Exec(ctx, "ALTER TABLE "+t.table+" DISABLE TRIGGER "+t.trigger)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "42501" || pgErr.Code == "42704") { // insufficient_privilege, undefined_object
			fmt.Fprintf(out, "seed: counting row by row (%s), which is slow for large volumes\n", pgErr.Message)
			if err := sp.Rollback(ctx); err != nil {
				return false, fmt.Errorf("seed: rollback to savepoint: %w", err)
			}
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("seed: disable trigger %s: %w", t.trigger, err)
		}
	}
	if err := sp.Commit(ctx); err != nil {
		return false, fmt.Errorf("seed: release savepoint: %w", err)
	}
	return true, nil
}

// resumeCounters sets every counter from a COUNT of its rows, as the triggers would have,
// enables the triggers again, and returns how many rows the recount changed.
func resumeCounters(ctx context.Context, tx pgx.Tx) (int64, error) {
	fixed, err := postgres.RecountTx(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	for _, t := range counterTriggers {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+t.table+" ENABLE TRIGGER "+t.trigger); err != nil {
			return 0, fmt.Errorf("seed: enable trigger %s: %w", t.trigger, err)
		}
	}
	return fixed, nil
}
