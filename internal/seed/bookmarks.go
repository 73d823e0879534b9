package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gotok/tiktok/internal/tiktok"
)

// socialTriggers are the row triggers of migration 00013: the bookmark and share counters,
// and the interest a share adds (seeded shares are history, not a viewer's taste).
var socialTriggers = []struct{ table, trigger string }{
	{"video_bookmarks", "video_bookmarks_count"},
	{"video_shares", "video_shares_count"},
	{"video_shares", "video_shares_interest"},
}

// insertBookmarksAndShares adds bookmarks and shares of the seeded videos (already
// inserted in tx): a third as many bookmarks as video likes and a quarter as many shares,
// by random users, of popular videos more often, after each video was posted; a share's
// channel is mostly link or copy. The same seed gives the same pairs and channels.
//
// The counting triggers are paused in tx while the rows go in, and each video's
// bookmark_count and share_count are then set in one statement (every video with shares is
// re-ranked once); without the privilege to pause them, the triggers count row by row.
func insertBookmarksAndShares(ctx context.Context, tx pgx.Tx, opts Options, now time.Time, out io.Writer) error {
	users, err := ids(ctx, tx, "users", opts.Users)
	if err != nil {
		return err
	}
	rows, _ := tx.Query(ctx, "SELECT created_at FROM videos ORDER BY id")
	posted, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return fmt.Errorf("seed: read videos: %w", err)
	}
	videos, err := ids(ctx, tx, "videos", len(posted))
	if err != nil {
		return err
	}
	nu, nv := len(users), len(videos)
	if nu == 0 || nv == 0 {
		return nil
	}
	f := gofakeit.New(uint64(opts.Seed) ^ 0xb00c_5a4e)
	popular := perm(f, nv)
	draw := func() (int, int) { return f.IntN(nu), popular[skewed(f, nv, 2.5)] }
	always := func(a, b int) bool { return true }
	bookmarks := distinctPairs(f, min(opts.VideoLikes/3, nu*nv), nu, nv, nil, draw, always)
	shares := distinctPairs(f, min(opts.VideoLikes/4, nu*nv), nu, nv, nil, draw, always)
	channels := tiktok.ShareChannels()

	paused, err := pauseSocialCounters(ctx, tx)
	if err != nil {
		return err
	}
	err = copyRows(ctx, tx, out, "video_bookmarks", []string{"user_id", "video_id", "created_at"}, len(bookmarks), func(i int) []any {
		b := bookmarks[i]
		return []any{users[b.a], videos[b.b], between(f, posted[b.b], now)}
	})
	if err != nil {
		return err
	}
	err = copyRows(ctx, tx, out, "video_shares", []string{"user_id", "video_id", "channel", "created_at", "day"}, len(shares), func(i int) []any {
		s := shares[i]
		at := between(f, posted[s.b], now).UTC()
		channel := channels[skewed(f, len(channels), 2)] // link, copy, … most used first
		return []any{users[s.a], videos[s.b], channel, at, time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)}
	})
	if err != nil {
		return err
	}
	if !paused {
		return nil
	}
	if _, err := tx.Exec(ctx, `
		UPDATE videos v SET bookmark_count = c.bookmarks, share_count = c.shares
		FROM (SELECT video_id, sum(b)::bigint AS bookmarks, sum(s)::bigint AS shares
		      FROM (SELECT video_id, 1 AS b, 0 AS s FROM video_bookmarks
		            UNION ALL SELECT video_id, 0, 1 FROM video_shares) r
		      GROUP BY video_id) c
		WHERE v.id = c.video_id`); err != nil {
		return fmt.Errorf("seed: count bookmarks and shares: %w", err)
	}
	for _, t := range socialTriggers {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+t.table+" ENABLE TRIGGER "+t.trigger); err != nil {
			return fmt.Errorf("seed: enable trigger %s: %w", t.trigger, err)
		}
	}
	return nil
}

// pauseSocialCounters disables socialTriggers inside tx (see pauseCounters), reporting
// false, with the triggers left on, when the role may not.
func pauseSocialCounters(ctx context.Context, tx pgx.Tx) (bool, error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("seed: savepoint: %w", err)
	}
	for _, t := range socialTriggers {
		_, err := sp.Exec(ctx, "ALTER TABLE "+t.table+" DISABLE TRIGGER "+t.trigger)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "42501" || pgErr.Code == "42704") {
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
