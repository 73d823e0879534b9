package postgres_test

import (
	"context"
	"testing"

	"github.com/gotok/tiktok/internal/tiktok"
)

// TestHotRank: the stored rank follows the formula, changes with counters only, and is
// rounded so that small counter changes leave it (and its index entries) alone.
func TestHotRank(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	u := addUser(t, s, "alice")
	v := addVideo(t, s, u.ID, "hello").ID
	rank := func() float64 {
		var r float64
		if err := pool.QueryRow(ctx, `SELECT hot_rank FROM videos WHERE id = $1`, v).Scan(&r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	var created float64
	if err := pool.QueryRow(ctx, `SELECT extract(epoch FROM created_at) FROM videos WHERE id = $1`, v).Scan(&created); err != nil {
		t.Fatal(err)
	}
	if got, want := rank(), created/21600; got != want { // no engagement: log2(1) = 0
		t.Fatalf("rank %v, want %v", got, want)
	}
	exec(t, pool, `UPDATE videos SET views = 10230 WHERE id = $1`, v) // 0.1 × 10230 + 1 = 1024 = 2^10
	if got, want := rank(), created/21600+10; got != want {
		t.Fatalf("rank after 10230 views %v, want %v", got, want)
	}
	exec(t, pool, `UPDATE videos SET views = views + 1 WHERE id = $1`, v)
	if got, want := rank(), created/21600+10; got != want {
		t.Fatalf("one more view moved the rank to %v: the rank is rounded to 1/16", got)
	}
	if _, err := s.SetVideoLike(ctx, addUser(t, s, "bob").ID, v, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetVideoLike(ctx, addUser(t, s, "carol").ID, v, true); err != nil { // 1026.1 → log2 = 10.0029
		t.Fatal(err)
	}
	if got := rank(); got != created/21600+10 {
		t.Fatalf("rank %v after two likes on 1024", got)
	}
}

// TestConfigureRanking: new weights re-rank every video once; the same weights again
// change nothing.
func TestConfigureRanking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	u := addUser(t, s, "alice")
	viewed := addVideo(t, s, u.ID, "viewed").ID
	liked := addVideo(t, s, u.ID, "liked").ID
	exec(t, pool, `UPDATE videos SET views = 1000, created_at = created_at - interval '1 minute' WHERE id = $1`, viewed)
	for _, name := range []string{"bob", "carol", "dave"} {
		if _, err := s.SetVideoLike(ctx, addUser(t, s, name).ID, liked, true); err != nil {
			t.Fatal(err)
		}
	}
	above := func() bool { // does the viewed video rank above the liked one?
		return count(t, pool, `SELECT count(*) FROM videos a, videos b WHERE a.id = $1 AND b.id = $2 AND a.hot_rank > b.hot_rank`, viewed, liked) == 1
	}
	if n, err := s.ConfigureRanking(ctx, tiktok.DefaultRanking()); err != nil || n != 0 {
		t.Fatalf("default ranking: %d re-ranked, %v; want 0 (the migration's defaults)", n, err)
	}
	if !above() { // 100 weighted vs 3
		t.Fatal("1000 views rank below 3 likes with the default weights")
	}
	r := tiktok.DefaultRanking()
	r.ViewWeight = 0
	n, err := s.ConfigureRanking(ctx, r)
	if err != nil || n != 1 {
		t.Fatalf("views weigh nothing: %d re-ranked, %v; want 1 (the viewed video)", n, err)
	}
	if above() {
		t.Fatal("without a view weight 1000 views still rank above 3 likes")
	}
	if n, err := s.ConfigureRanking(ctx, r); err != nil || n != 0 {
		t.Fatalf("same weights again: %d re-ranked, %v", n, err)
	}
	// New counters follow the stored weights.
	exec(t, pool, `UPDATE videos SET views = 2000 WHERE id = $1`, viewed)
	if above() {
		t.Fatal("the trigger ignores the stored view weight")
	}
}

// TestPruneFeed: old sessions and faded interests go; fresh ones stay.
func TestPruneFeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	a, b, c := addUser(t, s, "alice"), addUser(t, s, "bob"), addUser(t, s, "carol")
	exec(t, pool, `INSERT INTO feed_sessions (id, video_ids, creator_ids, created_at) VALUES (1, '{}', '{}', now() - interval '2 hours'), (2, '{}', '{}', now())`)
	exec(t, pool, `INSERT INTO creator_interests (user_id, creator_id, weight, updated_at) VALUES
		($1, $2, 1, now() - interval '200 days'),  -- 2^-14 of 1: faded
		($1, $3, 1000, now() - interval '100 days'), -- 1000 · 2^-7 ≈ 7.8: kept
		($2, $3, 1, now())`, a.ID, b.ID, c.ID)
	n, err := s.PruneFeed(ctx)
	if err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want 2", n, err)
	}
	if got := count(t, pool, `SELECT count(*) FROM feed_sessions`); got != 1 {
		t.Fatalf("%d sessions left, want 1", got)
	}
	if got := count(t, pool, `SELECT count(*) FROM creator_interests`); got != 2 {
		t.Fatalf("%d interests left, want 2", got)
	}
}
