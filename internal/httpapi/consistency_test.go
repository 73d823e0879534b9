package httpapi_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
)

// TestConcurrentStorm has dozens of goroutines like, unlike, follow, unfollow, comment,
// reply, edit mentions, delete comments, bookmark, unbookmark, share, block, unblock and
// report at once, while one account with commented comments and a video is deleted;
// afterwards every counter must equal a COUNT(*) of its rows (replyCount and the video's
// thread count included), the thread rules must hold, and no follow joins two users one of
// whom blocks the other — also after accounts with all of that are deleted.
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
	// Comments and replies written during the storm (deleted by their authors as it goes),
	// and an account deleted halfway whose comments others keep replying to.
	type written struct {
		id, video int64
		author    registered
	}
	var (
		mu   sync.Mutex
		made []written
	)
	record := func(res response, u registered) {
		if res.status == 201 {
			mu.Lock()
			made = append(made, written{res.num("id"), res.num("videoId"), u})
			mu.Unlock()
		}
	}
	pick := func(rng *rand.Rand) (written, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(made) == 0 {
			return written{}, false
		}
		return made[rng.IntN(len(made))], true
	}
	doomed := e.register("stormdoomed")
	doomedVideo := e.video(doomed, "doomed video")
	var doomedComments []written
	for _, v := range videos[:3] {
		doomedComments = append(doomedComments, written{e.comment(doomed, v, "doomed comment"), v, doomed})
	}
	doomedComments = append(doomedComments, written{e.comment(users[0], doomedVideo, "on the doomed video"), doomedVideo, users[0]})
	var ops atomic.Int64

	var failures atomic.Int64
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for range 30 {
				if ops.Add(1) == 400 {
					res := e.request("DELETE", fmt.Sprintf("/api/users/%d", doomed.id), nil, doomed.token)
					if res.status != 200 {
						failures.Add(1)
						t.Errorf("deleting the doomed account: %s", res)
					}
				}
				u := users[rng.IntN(len(users))]
				v := videos[rng.IntN(len(videos))]
				c := comments[rng.IntN(len(comments))]
				other := users[rng.IntN(len(users))]
				var res response
				// 404 is an answer: the comment or video was deleted meanwhile, or a block
				// between the two sides hides it
				gone := false
				switch rng.IntN(19) {
				case 0:
					res, gone = e.request("POST", fmt.Sprintf("/api/videos/%d/like", v), nil, u.token), true
				case 1:
					res, gone = e.request("DELETE", fmt.Sprintf("/api/videos/%d/like", v), nil, u.token), true
				case 2, 18: // follows twice as often, to race the blocks
					if other.id == u.id {
						continue
					}
					res, gone = e.request("POST", fmt.Sprintf("/api/users/%d/follow", other.id), nil, u.token), true
				case 3:
					if other.id == u.id {
						continue
					}
					res, gone = e.request("DELETE", fmt.Sprintf("/api/users/%d/follow", other.id), nil, u.token), true
				case 4:
					res, gone = e.request("POST", "/api/comments", map[string]any{"videoId": v, "content": "storm"}, u.token), true
					record(res, u)
				case 5:
					res, gone = e.request("POST", fmt.Sprintf("/api/comments/%d/like", c), nil, u.token), true
				case 6:
					res, gone = e.request("DELETE", fmt.Sprintf("/api/comments/%d/like", c), nil, u.token), true
				case 7: // a reply to a seed comment, a storm comment or reply, or the doomed account's
					target := written{c, videos[slices.Index(comments, c)], users[0]}
					if w, ok := pick(rng); ok && rng.IntN(3) > 0 {
						target = w
					} else if rng.IntN(3) == 0 {
						target = doomedComments[rng.IntN(len(doomedComments))]
					}
					res, gone = e.reply(u, target.video, target.id, fmt.Sprintf("reply @storm%d", rng.IntN(8))), true
					record(res, u)
				case 8: // its author deletes a storm comment or reply
					if w, ok := pick(rng); ok {
						res, gone = e.request("DELETE", fmt.Sprintf("/api/comments/%d", w.id), nil, w.author.token), true
					}
				case 9:
					if w, ok := pick(rng); ok {
						res, gone = e.request("POST", fmt.Sprintf("/api/comments/%d/like", w.id), nil, u.token), true
					}
				case 10: // its author edits a storm comment, mentioning someone else
					if w, ok := pick(rng); ok {
						res, gone = e.request("PUT", fmt.Sprintf("/api/comments/%d", w.id), map[string]any{"content": fmt.Sprintf("edited @storm%d", rng.IntN(8))}, w.author.token), true
					}
				case 11: // comments on the doomed video, which goes with its owner
					res, gone = e.request("POST", "/api/comments", map[string]any{"videoId": doomedVideo, "content": "doomed"}, u.token), true
					record(res, u)
				case 12:
					res, gone = e.request("POST", fmt.Sprintf("/api/videos/%d/bookmark", v), nil, u.token), true
				case 13:
					res, gone = e.request("DELETE", fmt.Sprintf("/api/videos/%d/bookmark", v), nil, u.token), true
				case 14:
					res, gone = e.request("POST", fmt.Sprintf("/api/videos/%d/share", v), map[string]any{"channel": "link"}, u.token), true
				case 15, 16:
					if other.id == u.id {
						continue
					}
					method := map[int]string{15: "POST", 16: "DELETE"}[rng.IntN(2)+15]
					res = e.request(method, fmt.Sprintf("/api/users/%d/block", other.id), nil, u.token)
				case 17:
					res, gone = e.request("POST", "/api/reports", map[string]any{"targetType": "video", "targetId": v, "reason": "spam"}, u.token), true
					if res.status == 400 && res.str("code") == "cannot_report_self" {
						continue
					}
				}
				if res.status >= 300 && !(gone && res.status == 404) {
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
	checkThreads(t, e.pool)
	var replies, tombstones int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE parent_id IS NOT NULL), count(*) FILTER (WHERE deleted_at IS NOT NULL) FROM comments`).Scan(&replies, &tombstones); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d replies and %d tombstones left", replies, tombstones)
	if replies == 0 {
		t.Error("the storm left no replies")
	}
	checkNoFollowAcrossBlocks(t, e)
	for _, u := range users[:2] { // the cascades take their rows off everybody's counters
		expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", u.id), nil, u.token), 200, "")
	}
	checkCounters(t, e)
	checkThreads(t, e.pool)
	checkNoFollowAcrossBlocks(t, e)
}

// checkNoFollowAcrossBlocks fails t if no block exists or a follow joins two users one of
// whom blocks the other.
func checkNoFollowAcrossBlocks(t *testing.T, e *env) {
	t.Helper()
	var blocked, followsAcross int64
	if err := e.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM blocks),
		(SELECT count(*) FROM follows f JOIN blocks b ON (b.blocker_id, b.blocked_id) IN ((f.follower_id, f.following_id), (f.following_id, f.follower_id)))`).Scan(&blocked, &followsAcross); err != nil {
		t.Fatal(err)
	}
	if blocked == 0 || followsAcross != 0 {
		t.Errorf("%d blocks; %d follows between users one of whom blocks the other, want 0", blocked, followsAcross)
	}
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
		e.request("POST", fmt.Sprintf("/api/videos/%d/bookmark", v), nil, viewer.token)
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
		"/api/users/me/bookmarks?limit=%d",
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
