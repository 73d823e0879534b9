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

// notificationGroups lists the groups of a database: recipient, kind, video, comment and
// actor count (by username and content, which are the same in two seeded databases).
func notificationGroups(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, _ := pool.Query(context.Background(), `
		SELECT format('%s %s video:%s comment:%s actors:%s', u.username, n.kind, v.caption, c.content, n.actor_count)
		FROM notifications n
		JOIN users u ON u.id = n.recipient_id
		LEFT JOIN videos v ON v.id = n.video_id
		LEFT JOIN comments c ON c.id = n.comment_id
		-- every actor listed is one of the group's, at most 10, no repeats
		WHERE cardinality(n.actor_ids) BETWEEN 1 AND least(n.actor_count, 10)
		  AND cardinality(n.actor_ids) = (SELECT count(DISTINCT a) FROM unnest(n.actor_ids) a)`)
	groups, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(groups)
	return groups
}

// The seed builds the notifications set-based, with the triggers paused; they are the ones
// the triggers make row by row, and their event ids follow their latest activity.
func TestRunSeedsNotifications(t *testing.T) {
	t.Parallel()
	fast := pgtest.Pool(t)
	run(t, fast, newStore(t), seed.DefaultOptions())
	slow := pgtest.Pool(t)
	if _, err := slow.Exec(context.Background(), `ALTER TRIGGER follows_count ON follows RENAME TO follows_counter`); err != nil {
		t.Fatal(err)
	}
	run(t, slow, newStore(t), seed.DefaultOptions()) // every trigger counts row by row

	built, triggered := notificationGroups(t, fast), notificationGroups(t, slow)
	if len(built) < 100 || !slices.Equal(built, triggered) {
		t.Errorf("the seed built %d groups, the triggers made %d; they differ", len(built), len(triggered))
	}
	var total int
	if err := fast.QueryRow(context.Background(), `SELECT count(*) FROM notifications`).Scan(&total); err != nil || total != len(built) {
		t.Errorf("%d notifications, %d of them well-formed (%v)", total, len(built), err)
	}
	var disordered int
	err := fast.QueryRow(context.Background(), `SELECT count(*) FROM (
		SELECT updated_at < lag(updated_at) OVER (ORDER BY seq) AS back FROM notifications) s WHERE back`).Scan(&disordered)
	if err != nil || disordered != 0 {
		t.Errorf("%d seeded notifications are out of time order by event id (%v)", disordered, err)
	}
	// The triggers are back on after the seed.
	if _, err := fast.Exec(context.Background(), `INSERT INTO follows (follower_id, following_id)
		SELECT a.id, b.id FROM users a, users b WHERE a.id <> b.id
		AND NOT EXISTS (SELECT FROM follows f WHERE f.follower_id = a.id AND f.following_id = b.id) LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if again := notificationGroups(t, fast); slices.Equal(again, built) {
		t.Error("a follow after the seed changed no notification: the trigger is still off")
	}
}
