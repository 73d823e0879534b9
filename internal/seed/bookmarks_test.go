package seed_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/seed"
	"github.com/gotok/tiktok/internal/tiktok"
)

// socialRows lists the seeded bookmarks and shares by natural keys.
func socialRows(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, _ := pool.Query(context.Background(), `
		SELECT 'bookmark ' || user_id || ' ' || video_id FROM video_bookmarks
		UNION ALL SELECT 'share ' || user_id || ' ' || video_id || ' ' || channel FROM video_shares`)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

// TestRunSeedsBookmarksAndShares: the seed adds bookmarks and shares that are consistent
// (after their video, a share's day its time's, a known channel), counted exactly, not
// counted as interests, and the same for the same seed — also when the triggers cannot be
// paused and count row by row.
func TestRunSeedsBookmarksAndShares(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	opts := seed.DefaultOptions()
	opts.Seed = 7
	a, b := pgtest.Pool(t), pgtest.Pool(t)
	if _, err := b.Exec(ctx, `ALTER TRIGGER video_shares_count ON video_shares RENAME TO video_shares_counter`); err != nil {
		t.Fatal(err)
	}
	run(t, a, newStore(t), opts)
	run(t, b, newStore(t), opts)
	for i, pool := range []*pgxpool.Pool{a, b} {
		var bookmarks, shares, bad, interests int
		err := pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM video_bookmarks), (SELECT count(*) FROM video_shares),
			(SELECT count(*) FROM video_bookmarks k JOIN videos v ON v.id = k.video_id WHERE k.created_at < v.created_at OR k.created_at > now())
			+ (SELECT count(*) FROM video_shares s JOIN videos v ON v.id = s.video_id
			   WHERE s.created_at < v.created_at OR s.created_at > now() OR s.channel <> ALL ($1::text[])),
			(SELECT count(*) FROM creator_interests ci WHERE NOT EXISTS (
				SELECT 1 FROM comments c JOIN videos v ON v.id = c.video_id
				WHERE c.user_id = ci.user_id AND v.user_id = ci.creator_id))`, tiktok.ShareChannels()).Scan(&bookmarks, &shares, &bad, &interests)
		if err != nil {
			t.Fatal(err)
		}
		if bookmarks != 100 || shares != 75 || bad != 0 {
			t.Errorf("%d bookmarks, %d shares (want 100, 75), %d inconsistent", bookmarks, shares, bad)
		}
		if i == 0 && interests != 0 { // with the triggers on (b), shares are interest; the replies the
			// seed writes through the store are interest like any comment
			t.Errorf("%d interests not from the seeded replies, want none: seeded shares are history", interests)
		}
		checkCounters(t, pool)
	}
	if ra, rb := socialRows(t, a), socialRows(t, b); !slices.Equal(ra, rb) {
		t.Error("the same seed gave different bookmarks and shares")
	}
}
