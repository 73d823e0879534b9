package httpapi_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
)

// TestConcurrentStorm has dozens of goroutines like, unlike, follow, unfollow, comment and
// delete at once; afterwards every counter must equal a COUNT(*) of its rows.
func TestConcurrentStorm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var users []registered
	for i := range 8 {
		users = append(users, e.register(fmt.Sprintf("storm%d", i)))
	}
	var videos, comments []int64
	for i := range 6 {
		v := e.video(users[i%len(users)], fmt.Sprintf("storm video %d", i))
		videos = append(videos, v)
		comments = append(comments, e.comment(users[(i+1)%len(users)], v, "seed comment"))
	}
	var failures atomic.Int64
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for range 30 {
				u := users[rng.IntN(len(users))]
				v := videos[rng.IntN(len(videos))]
				c := comments[rng.IntN(len(comments))]
				other := users[rng.IntN(len(users))]
				var res response
				switch rng.IntN(7) {
				case 0:
					res = e.request("POST", fmt.Sprintf("/api/videos/%d/like", v), nil, u.token)
				case 1:
					res = e.request("DELETE", fmt.Sprintf("/api/videos/%d/like", v), nil, u.token)
				case 2:
					if other.id == u.id {
						continue
					}
					res = e.request("POST", fmt.Sprintf("/api/users/%d/follow", other.id), nil, u.token)
				case 3:
					if other.id == u.id {
						continue
					}
					res = e.request("DELETE", fmt.Sprintf("/api/users/%d/follow", other.id), nil, u.token)
				case 4:
					res = e.request("POST", "/api/comments", map[string]any{"videoId": v, "content": "storm"}, u.token)
				case 5:
					res = e.request("POST", fmt.Sprintf("/api/comments/%d/like", c), nil, u.token)
				case 6:
					res = e.request("DELETE", fmt.Sprintf("/api/comments/%d/like", c), nil, u.token)
				}
				if res.status >= 300 {
					failures.Add(1)
					t.Errorf("storm request failed: %s", res)
				}
			}
		}()
	}
	wg.Wait()
	if failures.Load() > 0 {
		t.Fatalf("%d failures", failures.Load())
	}
	checkCounters(t, e)
	checkNotificationGroups(t, e) // notifications_test.go
}

// TestFeedWalkWhileInserting walks the feed page by page while other requests insert
// videos: every video that existed at the start appears exactly once.
func TestFeedWalkWhileInserting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("walker")
	existing := map[int64]bool{}
	for i := range 40 {
		existing[e.video(u, fmt.Sprintf("before %d", i))] = true
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				e.video(u, fmt.Sprintf("during %d", i))
			}
		}()
	}
	seen := map[int64]int{}
	cursor := ""
	for pages := 0; ; pages++ {
		res := e.request("GET", "/api/videos?limit=7&cursor="+cursor, nil, "")
		expect(t, res, 200, "")
		for _, v := range res.items("videos") {
			seen[int64(v["id"].(float64))]++
		}
		if res.get("pagination.hasNextPage") != true {
			break
		}
		cursor = res.str("pagination.nextCursor")
		if pages > 1000 {
			t.Fatal("feed never ends")
		}
	}
	close(stop)
	wg.Wait()
	for id, n := range seen {
		if n > 1 {
			t.Errorf("video %d seen %d times", id, n)
		}
	}
	for id := range existing {
		if seen[id] != 1 {
			t.Errorf("video %d, present before the walk, was skipped", id)
		}
	}
}

// queryCounter counts the statements a pool sends.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestListQueryCountIsConstant checks that a page costs the same number of queries whatever
// its length: authors, counts and the viewer's likes come with the rows (no N+1).
func TestListQueryCountIsConstant(t *testing.T) {
	t.Parallel()
	cfg, err := pgxpool.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	counter := &queryCounter{}
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := newEnvWithPool(t, pool)

	var users []registered
	for i := range 4 {
		users = append(users, e.register(fmt.Sprintf("qc%d", i)))
	}
	viewer := users[0]
	for i := range 30 {
		v := e.video(users[i%4], fmt.Sprintf("v%d", i))
		e.comment(users[(i+1)%4], v, "c")
		e.request("POST", fmt.Sprintf("/api/videos/%d/like", v), nil, viewer.token)
	}
	for _, u := range users[1:] {
		e.request("POST", fmt.Sprintf("/api/users/%d/follow", u.id), nil, viewer.token)
		e.request("POST", fmt.Sprintf("/api/users/%d/follow", viewer.id), nil, u.token)
	}
	video := e.request("GET", "/api/videos?limit=1", nil, "").items("videos")[0]["id"]
	paths := []string{
		"/api/videos?limit=%d",
		"/api/videos/following?limit=%d",
		fmt.Sprintf("/api/users/%d/videos?limit=%%d", users[1].id),
		fmt.Sprintf("/api/users/%d/followers?limit=%%d", viewer.id),
		fmt.Sprintf("/api/users/%d/following?limit=%%d", viewer.id),
		"/api/users?limit=%d",
		fmt.Sprintf("/api/videos/%v/comments?limit=%%d", video),
		fmt.Sprintf("/api/comments?videoId=%v&limit=%%d", video),
	}
	for _, p := range paths {
		count := func(limit int) int64 {
			before := counter.n.Load()
			expect(t, e.request("GET", fmt.Sprintf(p, limit), nil, viewer.token), 200, "")
			return counter.n.Load() - before
		}
		small, large := count(1), count(30)
		if small != large {
			t.Errorf("%s: %d queries for 1 item, %d for 30", p, small, large)
		}
		if large > 3 {
			t.Errorf("%s: %d queries per page", p, large)
		}
	}
}
