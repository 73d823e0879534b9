package seed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/seed"
)

// TestSeedThreads: the default seed has reply threads (with replies to replies that
// mention the author answered) and mentions in captions and comments, as the store
// would write them, with exact counters.
func TestSeedThreads(t *testing.T) {
	t.Parallel()
	pool, store := pgtest.Pool(t), newStore(t)
	ctx := context.Background()
	_, out := run(t, pool, store, seed.DefaultOptions())
	if !strings.Contains(out, "seed: 12 replies (6 of them to replies), 15 mentions in 15 captions and comments") {
		t.Errorf("no threads line in the output:\n%s", out)
	}
	var replies, nested, mentionedReplies, captionMentions, badSpans int
	err := pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM comments WHERE parent_id IS NOT NULL),
		(SELECT count(*) FROM comments r JOIN comments p ON p.id = r.parent_id WHERE p.parent_id IS NOT NULL OR p.video_id <> r.video_id),
		(SELECT count(DISTINCT m.comment_id) FROM mentions m JOIN comments c ON c.id = m.comment_id WHERE c.parent_id IS NOT NULL),
		(SELECT count(*) FROM mentions WHERE comment_id IS NULL),
		(SELECT count(*) FROM mentions m
		 JOIN users u ON u.id = m.mentioned_id
		 LEFT JOIN comments c ON c.id = m.comment_id
		 JOIN videos v ON v.id = m.video_id
		 WHERE substr(coalesce(c.content, v.caption), m.starts[1] + 1, m.ends[1] - m.starts[1]) <> '@' || u.username)`).
		Scan(&replies, &nested, &mentionedReplies, &captionMentions, &badSpans)
	if err != nil {
		t.Fatal(err)
	}
	if replies != 12 || nested != 0 || mentionedReplies != 12 || captionMentions != 3 || badSpans != 0 {
		t.Errorf("%d replies (%d misplaced), %d of them with mentions, %d caption mentions, %d spans not naming their user",
			replies, nested, mentionedReplies, captionMentions, badSpans)
	}
	// A reply to a reply starts with the mention of the author of the reply it answers.
	var wrong int
	err = pool.QueryRow(ctx, `
		SELECT count(*) FROM comments second
		JOIN LATERAL (SELECT f.user_id FROM comments f WHERE f.parent_id = second.parent_id AND f.id < second.id ORDER BY f.id LIMIT 1) first ON true
		JOIN users u ON u.id = first.user_id
		WHERE second.parent_id IS NOT NULL AND NOT second.content LIKE '@' || u.username || ' %'`).Scan(&wrong)
	if err != nil || wrong != 0 {
		t.Errorf("%d replies to replies do not start with the mention of the replier (%v)", wrong, err)
	}
	checkCounters(t, pool)
}
