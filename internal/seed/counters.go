package seed

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// counterTriggers are the row triggers of the schema (migration 00001) that keep the
// denormalised counters; recount does their work for a whole data set at once.
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
// and enables the triggers again.
func resumeCounters(ctx context.Context, tx pgx.Tx) error {
	for _, q := range recountSQL {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("seed: recount: %w", err)
		}
	}
	for _, t := range counterTriggers {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+t.table+" ENABLE TRIGGER "+t.trigger); err != nil {
			return fmt.Errorf("seed: enable trigger %s: %w", t.trigger, err)
		}
	}
	return nil
}

// recountSQL sets the counters of all rows from the rows they count, in dependency order
// (users.like_count sums videos.like_count).
var recountSQL = []string{
	`WITH l AS (SELECT video_id AS id, count(*) AS n FROM video_likes GROUP BY video_id),
	      c AS (SELECT video_id AS id, count(*) AS n FROM comments GROUP BY video_id)
	 UPDATE videos v SET like_count = coalesce(l.n, 0), comment_count = coalesce(c.n, 0)
	 FROM videos x LEFT JOIN l ON l.id = x.id LEFT JOIN c ON c.id = x.id
	 WHERE v.id = x.id AND (v.like_count, v.comment_count) IS DISTINCT FROM (coalesce(l.n, 0), coalesce(c.n, 0))`,

	`WITH l AS (SELECT comment_id AS id, count(*) AS n FROM comment_likes GROUP BY comment_id)
	 UPDATE comments c SET like_count = coalesce(l.n, 0)
	 FROM comments x LEFT JOIN l ON l.id = x.id
	 WHERE c.id = x.id AND c.like_count <> coalesce(l.n, 0)`,

	`WITH v AS (SELECT user_id AS id, count(*) AS n, sum(like_count) AS likes FROM videos GROUP BY user_id),
	      fr AS (SELECT following_id AS id, count(*) AS n FROM follows GROUP BY following_id),
	      fg AS (SELECT follower_id AS id, count(*) AS n FROM follows GROUP BY follower_id)
	 UPDATE users u SET video_count = coalesce(v.n, 0), like_count = coalesce(v.likes, 0),
	                    follower_count = coalesce(fr.n, 0), following_count = coalesce(fg.n, 0)
	 FROM users x LEFT JOIN v ON v.id = x.id LEFT JOIN fr ON fr.id = x.id LEFT JOIN fg ON fg.id = x.id
	 WHERE u.id = x.id
	   AND (u.video_count, u.like_count, u.follower_count, u.following_count)
	       IS DISTINCT FROM (coalesce(v.n, 0), coalesce(v.likes, 0), coalesce(fr.n, 0), coalesce(fg.n, 0))`,
}
