package seed_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/seed"
)

// inboxEntries lists the Following feed inbox entries of a database by follower and video
// caption (the same in two seeded databases).
func inboxEntries(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, _ := pool.Query(context.Background(), `
		SELECT format('%s %s %s', u.username, v.caption, c.username)
		FROM feed_inbox i
		JOIN users u ON u.id = i.user_id
		JOIN videos v ON v.id = i.video_id AND v.created_at = i.created_at
		JOIN users c ON c.id = i.creator_id AND c.id = v.user_id`)
	entries, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(entries)
	return entries
}

// The seed builds the inboxes set-based with the feed triggers paused; they hold what the
// triggers write row by row.
func TestRunSeedsFeedInboxes(t *testing.T) {
	t.Parallel()
	fast := pgtest.Pool(t)
	run(t, fast, newStore(t), seed.DefaultOptions())
	slow := pgtest.Pool(t)
	if _, err := slow.Exec(context.Background(), `ALTER TRIGGER follows_count ON follows RENAME TO follows_counter`); err != nil {
		t.Fatal(err)
	}
	run(t, slow, newStore(t), seed.DefaultOptions()) // every trigger runs row by row

	built, triggered := inboxEntries(t, fast), inboxEntries(t, slow)
	var total int
	if err := fast.QueryRow(context.Background(), `SELECT count(*) FROM feed_inbox`).Scan(&total); err != nil || total != len(built) {
		t.Errorf("%d inbox entries, %d of them well-formed (%v)", total, len(built), err)
	}
	if len(built) < 50 || !slices.Equal(built, triggered) {
		t.Errorf("the seed built %d inbox entries, the triggers wrote %d; they differ", len(built), len(triggered))
	}
}

// With a low fan-out threshold the seed pulls creators; each user's list of followed pulled
// creators (migration 00027) equals its definition.
func TestRunSeedsFeedPullFollows(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `UPDATE feed_settings SET fanout_max_followers = 2`); err != nil {
		t.Fatal(err)
	}
	run(t, pool, newStore(t), seed.DefaultOptions())
	var pairs, stray, missing int64
	err := pool.QueryRow(ctx, `
		WITH def AS (SELECT f.follower_id, f.following_id FROM follows f
		             JOIN feed_pull_creators p ON p.creator_id = f.following_id)
		SELECT (SELECT count(*) FROM feed_pull_follows),
		       (SELECT count(*) FROM (SELECT user_id, creator_id FROM feed_pull_follows EXCEPT SELECT * FROM def) x),
		       (SELECT count(*) FROM (SELECT * FROM def EXCEPT SELECT user_id, creator_id FROM feed_pull_follows) x)`).
		Scan(&pairs, &stray, &missing)
	if err != nil {
		t.Fatal(err)
	}
	if pairs == 0 || stray+missing > 0 {
		t.Errorf("feed_pull_follows: %d pairs, %d not follows of pulled creators, %d missing", pairs, stray, missing)
	}
}
