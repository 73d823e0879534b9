package postgres_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
)

// counterSnapshot returns every denormalised counter by the label of its row ("user ana",
// "video a1", "comment ben on a1") and the number of join-table rows ("rows").
func counterSnapshot(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT 'user ' || username, format('followers=%s following=%s videos=%s likes=%s',
		       follower_count, following_count, video_count, like_count) FROM users
		UNION ALL
		SELECT 'video ' || caption, format('likes=%s comments=%s', like_count, comment_count) FROM videos
		UNION ALL
		SELECT 'comment ' || content, format('likes=%s', like_count) FROM comments
		UNION ALL
		SELECT 'rows', format('video_likes=%s comment_likes=%s follows=%s',
		       (SELECT count(*) FROM video_likes), (SELECT count(*) FROM comment_likes), (SELECT count(*) FROM follows))`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var label, counters string
		if err := rows.Scan(&label, &counters); err != nil {
			t.Fatal(err)
		}
		out[label] = counters
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// diffSnapshots describes how got differs from want, one line per label, or "".
func diffSnapshots(got, want map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if w, ok := want[k]; !ok {
			fmt.Fprintf(&b, "\n  %s: %s, want no such row", k, got[k])
		} else if w != got[k] {
			fmt.Fprintf(&b, "\n  %s: %s, want %s", k, got[k], w)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if _, ok := got[k]; !ok {
			fmt.Fprintf(&b, "\n  %s: missing, want %s", k, want[k])
		}
	}
	return b.String()
}

// TestCountersThroughCascades builds four users who follow, like and comment on each
// other's videos (self-likes included), then deletes a comment, a video and two users:
// after each step every counter has its exact expected value, equals the COUNT(*) of its
// rows (postgres.CheckCounters) and Recount finds nothing to fix — the triggers keep the
// counters right through ON DELETE CASCADE.
func TestCountersThroughCascades(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	users := map[string]int64{}
	for _, name := range []string{"ana", "ben", "cyd", "dee"} {
		users[name] = addUser(t, s, name).ID
	}
	videos := map[string]int64{}
	for _, v := range []struct{ owner, caption string }{{"ana", "a1"}, {"ana", "a2"}, {"ben", "b1"}, {"ben", "b2"}, {"cyd", "c1"}} {
		videos[v.caption] = addVideo(t, s, users[v.owner], v.caption).ID
	}
	for _, f := range [][2]string{{"ana", "ben"}, {"ben", "ana"}, {"cyd", "ben"}, {"dee", "ben"}, {"ben", "cyd"}, {"ana", "cyd"}} {
		if _, err := s.SetFollow(ctx, users[f[0]], users[f[1]], true); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range [][2]string{{"ben", "a1"}, {"cyd", "a1"}, {"ana", "b1"}, {"ben", "b1"}, {"dee", "b2"}, {"ben", "c1"}, {"ana", "c1"}} {
		if _, err := s.SetVideoLike(ctx, users[l[0]], videos[l[1]], true); err != nil {
			t.Fatal(err)
		}
	}
	comments := map[string]int64{}
	for _, c := range [][2]string{{"ben", "a1"}, {"cyd", "b1"}, {"ana", "b1"}, {"ben", "b2"}, {"ana", "c1"}, {"dee", "a2"}} {
		label := c[0] + " on " + c[1]
		comments[label] = addComment(t, s, users[c[0]], videos[c[1]], label).ID
	}
	for _, l := range [][2]string{{"ana", "ben on a1"}, {"ben", "cyd on b1"}, {"cyd", "ana on b1"}, {"ben", "ana on c1"}, {"dee", "ben on b2"}, {"ana", "cyd on b1"}} {
		if _, err := s.SetCommentLike(ctx, users[l[0]], comments[l[1]], true); err != nil {
			t.Fatal(err)
		}
	}

	steps := []struct {
		name   string
		change func() error
		want   map[string]string
	}{
		{"built", nil, map[string]string{
			"user ana":          "followers=1 following=2 videos=2 likes=2",
			"user ben":          "followers=3 following=2 videos=2 likes=3",
			"user cyd":          "followers=2 following=1 videos=1 likes=2",
			"user dee":          "followers=0 following=1 videos=0 likes=0",
			"video a1":          "likes=2 comments=1",
			"video a2":          "likes=0 comments=1",
			"video b1":          "likes=2 comments=2",
			"video b2":          "likes=1 comments=1",
			"video c1":          "likes=2 comments=1",
			"comment ben on a1": "likes=1",
			"comment cyd on b1": "likes=2",
			"comment ana on b1": "likes=1",
			"comment ben on b2": "likes=1",
			"comment ana on c1": "likes=1",
			"comment dee on a2": "likes=0",
			"rows":              "video_likes=7 comment_likes=6 follows=6",
		}},
		{"the video's owner deletes a liked comment", func() error {
			return s.DeleteComment(ctx, comments["cyd on b1"], users["ben"])
		}, map[string]string{
			"user ana":          "followers=1 following=2 videos=2 likes=2",
			"user ben":          "followers=3 following=2 videos=2 likes=3",
			"user cyd":          "followers=2 following=1 videos=1 likes=2",
			"user dee":          "followers=0 following=1 videos=0 likes=0",
			"video a1":          "likes=2 comments=1",
			"video a2":          "likes=0 comments=1",
			"video b1":          "likes=2 comments=1",
			"video b2":          "likes=1 comments=1",
			"video c1":          "likes=2 comments=1",
			"comment ben on a1": "likes=1",
			"comment ana on b1": "likes=1",
			"comment ben on b2": "likes=1",
			"comment ana on c1": "likes=1",
			"comment dee on a2": "likes=0",
			"rows":              "video_likes=7 comment_likes=4 follows=6",
		}},
		{"delete a liked video with a liked comment", func() error {
			_, err := s.DeleteVideo(ctx, videos["b2"], users["ben"])
			return err
		}, map[string]string{
			"user ana":          "followers=1 following=2 videos=2 likes=2",
			"user ben":          "followers=3 following=2 videos=1 likes=2",
			"user cyd":          "followers=2 following=1 videos=1 likes=2",
			"user dee":          "followers=0 following=1 videos=0 likes=0",
			"video a1":          "likes=2 comments=1",
			"video a2":          "likes=0 comments=1",
			"video b1":          "likes=2 comments=1",
			"video c1":          "likes=2 comments=1",
			"comment ben on a1": "likes=1",
			"comment ana on b1": "likes=1",
			"comment ana on c1": "likes=1",
			"comment dee on a2": "likes=0",
			"rows":              "video_likes=6 comment_likes=3 follows=6",
		}},
		{"delete a user with videos, likes, comments and follows", func() error {
			_, err := s.DeleteUser(ctx, users["ben"])
			return err
		}, map[string]string{
			"user ana":          "followers=0 following=1 videos=2 likes=1",
			"user cyd":          "followers=1 following=0 videos=1 likes=1",
			"user dee":          "followers=0 following=0 videos=0 likes=0",
			"video a1":          "likes=1 comments=0",
			"video a2":          "likes=0 comments=1",
			"video c1":          "likes=1 comments=1",
			"comment ana on c1": "likes=0",
			"comment dee on a2": "likes=0",
			"rows":              "video_likes=2 comment_likes=0 follows=1",
		}},
		{"delete a user with only a comment", func() error {
			_, err := s.DeleteUser(ctx, users["dee"])
			return err
		}, map[string]string{
			"user ana":          "followers=0 following=1 videos=2 likes=1",
			"user cyd":          "followers=1 following=0 videos=1 likes=1",
			"video a1":          "likes=1 comments=0",
			"video a2":          "likes=0 comments=0",
			"video c1":          "likes=1 comments=1",
			"comment ana on c1": "likes=0",
			"rows":              "video_likes=2 comment_likes=0 follows=1",
		}},
	}
	for _, step := range steps {
		if step.change != nil {
			if err := step.change(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		}
		if diff := diffSnapshots(counterSnapshot(t, pool), step.want); diff != "" {
			t.Errorf("%s: counters differ:%s", step.name, diff)
		}
		pgtest.CheckCounters(t, pool)
		if fixed, err := s.Recount(ctx); err != nil || fixed != 0 {
			t.Errorf("%s: Recount fixed %d rows (%v), want 0", step.name, fixed, err)
		}
	}
}

// TestRelationsIdempotent: liking, following and their undoing are idempotent — a repeat
// changes nothing — and each returns the counter as it is afterwards.
func TestRelationsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	author, fan, other := addUser(t, s, "author"), addUser(t, s, "fan"), addUser(t, s, "other")
	v := addVideo(t, s, author.ID, "v")
	c := addComment(t, s, author.ID, v.ID, "c")
	kinds := []struct {
		name string
		set  func(user int64, on bool) (int64, error)
	}{
		{"video like", func(user int64, on bool) (int64, error) { return s.SetVideoLike(ctx, user, v.ID, on) }},
		{"comment like", func(user int64, on bool) (int64, error) { return s.SetCommentLike(ctx, user, c.ID, on) }},
		{"follow", func(user int64, on bool) (int64, error) { return s.SetFollow(ctx, user, author.ID, on) }},
	}
	steps := []struct {
		user int64
		on   bool
		want int64
	}{
		{fan.ID, false, 0}, // undoing what was never done
		{fan.ID, true, 1},
		{fan.ID, true, 1},
		{other.ID, true, 2},
		{fan.ID, false, 1},
		{fan.ID, false, 1},
		{other.ID, false, 0},
		{fan.ID, true, 1},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for i, st := range steps {
				got, err := k.set(st.user, st.on)
				if err != nil || got != st.want {
					t.Fatalf("step %d (user %d, on %v): count %d (%v), want %d", i, st.user, st.on, got, err, st.want)
				}
			}
		})
	}
	want := map[string]string{
		"user author": "followers=1 following=0 videos=1 likes=1",
		"user fan":    "followers=0 following=1 videos=0 likes=0",
		"user other":  "followers=0 following=0 videos=0 likes=0",
		"video v":     "likes=1 comments=1",
		"comment c":   "likes=1",
		"rows":        "video_likes=1 comment_likes=1 follows=1",
	}
	if diff := diffSnapshots(counterSnapshot(t, pool), want); diff != "" {
		t.Errorf("counters differ:%s", diff)
	}
	pgtest.CheckCounters(t, pool)
}
