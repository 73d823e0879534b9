package postgres_test

import (
	"context"
	"math"
	"testing"

	"github.com/gotok/tiktok/internal/pgtest"
)

// TestBackfillDiscovery: videos written before the discovery schema (straight into the
// table here, as an older server did) get the hashtags and sound their caption and audio
// name give, in batches; the counters come out exact and the trends as if each video had
// been tagged when it was posted.
func TestBackfillDiscovery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	u := addUser(t, s, "alice")
	exec(t, pool, `INSERT INTO videos (user_id, caption, audio_name, video_url, views, created_at) VALUES
		($1, 'old #Dance and #fun', 'Night  Drive', 'https://cdn.example.com/1.mp4', 10, now() - interval '3 days'),
		($1, 'older #dance', 'night drive', 'https://cdn.example.com/2.mp4', 5, now() - interval '5 days'),
		($1, 'no tags at all', NULL, 'https://cdn.example.com/3.mp4', 0, now() - interval '6 days'),
		($1, 'url only https://x.com/#a', 'other', 'https://cdn.example.com/4.mp4', 1, now() - interval '7 days'),
		($1, '#fun', NULL, 'https://cdn.example.com/5.mp4', 2, now() - interval '9 days')`, u.ID)
	exec(t, pool, `INSERT INTO discovery_backfill (below_id) SELECT max(id) + 1 FROM videos`)
	if _, err := pool.Exec(ctx, `INSERT INTO discovery_backfill (below_id) VALUES (1)`); err == nil {
		t.Fatal("a second backfill position was accepted")
	}

	batches, total := 0, 0
	for {
		n, more, err := s.BackfillDiscovery(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		batches++
		total += n
		if !more {
			break
		}
	}
	if batches != 3 || total != 5 {
		t.Fatalf("%d batches for %d videos, want 3 for 5", batches, total)
	}
	if n, more, err := s.BackfillDiscovery(ctx, 2); err != nil || n != 0 || more {
		t.Fatalf("after the end: %d, %v, %v", n, more, err)
	}
	for name, want := range map[string][2]int{"dance": {2, 15}, "fun": {2, 12}} {
		var videos, views int
		if err := pool.QueryRow(ctx, `SELECT video_count, view_count FROM hashtags WHERE name = $1`, name).Scan(&videos, &views); err != nil {
			t.Fatalf("hashtag %s: %v", name, err)
		}
		if videos != want[0] || views != want[1] {
			t.Errorf("#%s: %d videos, %d views; want %v", name, videos, views, want)
		}
	}
	if got := count(t, pool, `SELECT count(*) FROM hashtags`); got != 2 {
		t.Errorf("%d hashtags, want 2 (a URL's # is not a tag)", got)
	}
	if got := count(t, pool, `SELECT count(*) FROM sounds`); got != 2 {
		t.Errorf("%d sounds, want 2 (Night Drive, other)", got)
	}
	if got := count(t, pool, `SELECT count(*) FROM videos WHERE audio_name IS NOT NULL AND sound_id IS NULL`); got != 0 {
		t.Errorf("%d videos with an audio name but no sound", got)
	}
	// #dance: posted 3 and 5 days ago → log2(2^(now−3) + 2^(now−5)) in days.
	var trend, now float64
	if err := pool.QueryRow(ctx, `SELECT trend_score, extract(epoch FROM now()) / 86400 FROM hashtags WHERE name = 'dance'`).Scan(&trend, &now); err != nil {
		t.Fatal(err)
	}
	if want := now - 3 + math.Log2(1+math.Exp2(-2)); math.Abs(trend-want) > 1e-3 {
		t.Errorf("#dance trend %v, want %v (uses when the videos were posted)", trend, want)
	}
	pgtest.CheckCounters(t, pool)
}

// TestTrendOfLongUnusedTag: a tag last used years ago (2^-1500 of a use today, below what a
// float can hold) can be used again; its trend is then today's use.
func TestTrendOfLongUnusedTag(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	u := addUser(t, s, "alice")
	exec(t, pool, `INSERT INTO hashtags (name, trend_score) VALUES ('vintage', extract(epoch FROM now()) / 86400 - 1500)`)
	addVideo(t, s, u.ID, "back again #vintage")
	var trend, now float64
	if err := pool.QueryRow(ctx, `SELECT trend_score, extract(epoch FROM now()) / 86400 FROM hashtags WHERE name = 'vintage'`).Scan(&trend, &now); err != nil {
		t.Fatal(err)
	}
	if math.Abs(trend-now) > 1e-3 {
		t.Fatalf("trend %v, want %v (today's use)", trend, now)
	}
}
