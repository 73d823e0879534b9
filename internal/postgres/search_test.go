package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

// allPages walks every page of a video search and returns the ids, and the route the
// first page chose.
func allPages(t *testing.T, s *postgres.Store, q string, limit int) ([]int64, tiktok.VideoSearchRoute) {
	t.Helper()
	var ids []int64
	p := tiktok.SearchPage{Limit: limit + 1}
	route, first := tiktok.RouteAuto, tiktok.RouteAuto
	for {
		got, rt, err := s.SearchVideos(context.Background(), q, route, p)
		if err != nil {
			t.Fatal(err)
		}
		if first == tiktok.RouteAuto {
			first = rt
		}
		route = rt
		for i, r := range got {
			if i < limit {
				ids = append(ids, r.Item.ID)
			}
		}
		if len(got) <= limit {
			return ids, first
		}
		last := got[limit-1]
		p.After = tiktok.SearchKey{Score: last.Score, ID: last.Item.ID}
	}
}

// TestVideoSearchBounds checks that each route ranks at most its number of candidates, and
// that the common route looks at no more than its scan of the hottest videos.
func TestVideoSearchBounds(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	u := addUser(t, s, "maker")
	var ids []int64
	for i := 0; i < 20; i++ {
		ids = append(ids, addVideo(t, s, u.ID, "ocean waves").ID)
	}
	addVideo(t, s, u.ID, "mountain air")
	// The hottest videos: the oldest five, given likes (ids[0] the most).
	fans := make([]tiktok.User, 5)
	for i := range fans {
		fans[i] = addUser(t, s, "fan"+string(rune('a'+i)))
	}
	for i := 0; i < 5; i++ {
		for _, f := range fans[:5-i] {
			if _, err := s.SetVideoLike(context.Background(), f.ID, ids[i], true); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Common: among the 8 hottest videos (the 5 liked ones, then the newest three), at most
	// 6 candidates; the mountain video is one of the 8 but does not match.
	postgres.SetVideoSearchBounds(s, 100, 6, 8, 0)
	got, route := allPages(t, s, "ocean", 2)
	if route != tiktok.RouteCommon || len(got) != 6 {
		t.Fatalf("common: %v (route %c)", got, route)
	}
	for i := 0; i < 5; i++ {
		if got[i] != ids[i] {
			t.Fatalf("common: %v, want the liked %v first", got, ids[:5])
		}
	}
	// Selective: at most 7 candidates, whatever the number of matches.
	postgres.SetVideoSearchBounds(s, 7, 6, 8, 2)
	got, route = allPages(t, s, "ocean", 3)
	if route != tiktok.RouteSelective || len(got) != 7 {
		t.Fatalf("selective: %v (route %c)", got, route)
	}
	// Unbounded enough, both routes rank every match the same way.
	postgres.SetVideoSearchBounds(s, 100, 100, 100, 0)
	common, _ := allPages(t, s, "ocean", 3)
	postgres.SetVideoSearchBounds(s, 100, 100, 100, 2)
	selective, _ := allPages(t, s, "ocean", 3)
	if len(common) != 20 || len(selective) != 20 {
		t.Fatalf("common %v, selective %v", common, selective)
	}
	for i := range common {
		if common[i] != selective[i] {
			t.Fatalf("common %v, selective %v", common, selective)
		}
	}
}

// TestFuzzySearchBounded: a trigram step that takes longer than its budget (here: among
// thousands of look-alike usernames, with a budget of 1 ms) is cancelled, and the search
// answers with its exact and prefix matches instead of running on.
func TestFuzzySearchBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	exec(t, pool, `INSERT INTO users (username, email, password_hash)
		SELECT 'user' || g, 'user' || g || '@example.com', 'x' FROM generate_series(1, 20000) g`)
	exec(t, pool, `ANALYZE users`)
	page := tiktok.SearchPage{Limit: 10}
	postgres.SetFuzzyBudget(s, 10*time.Second) // ample on a busy machine: the trigram step runs
	similar, err := s.SearchUsers(ctx, "usr12345", page)
	if err != nil || len(similar) == 0 {
		t.Fatalf("within budget: %d users, %v; want similar names", len(similar), err)
	}
	postgres.SetFuzzyBudget(s, time.Millisecond)
	start := time.Now()
	got, err := s.SearchUsers(ctx, "usr12345", page)
	if err != nil {
		t.Fatalf("over budget: %v, want the prefix matches (none)", err)
	}
	if len(got) != 0 {
		t.Fatalf("over budget: %d users, want none (no exact or prefix match)", len(got))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	if got, err := s.SearchUsers(ctx, "user1234", page); err != nil || len(got) == 0 || got[0].Item.Username != "user1234" {
		t.Fatalf("prefix search over budget: %v, %v", got, err)
	}
}
