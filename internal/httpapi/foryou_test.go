package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"
)

// feedVideo inserts a video by user created ago before now with views views, straight into
// the table (the hot rank trigger ranks it), and returns its id.
func (e *env) feedVideo(user int64, ago time.Duration, views int64) int64 {
	e.t.Helper()
	var id int64
	err := e.pool.QueryRow(context.Background(),
		`INSERT INTO videos (user_id, caption, video_url, created_at, views)
		 VALUES ($1, 'a video', 'https://cdn.example.com/v.mp4', now() - make_interval(secs => $2), $3) RETURNING id`,
		user, ago.Seconds(), views).Scan(&id)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// feedPage is one page of GET /api/videos/for-you.
type feedPage struct {
	ids, creators []int64
	next          string
}

func (e *env) forYou(token, cursor string, limit int) feedPage {
	e.t.Helper()
	q := url.Values{"limit": {fmt.Sprint(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	res := e.request("GET", "/api/videos/for-you?"+q.Encode(), nil, token)
	expect(e.t, res, http.StatusOK, "")
	var p feedPage
	for _, v := range res.items("videos") {
		p.ids = append(p.ids, int64(v["id"].(float64)))
		p.creators = append(p.creators, int64(v["userId"].(float64)))
	}
	p.next = res.str("pagination.nextCursor")
	return p
}

// walkForYou reads the whole feed, limit videos at a time, and returns every video and its
// creator in order.
func (e *env) walkForYou(token string, limit int) (ids, creators []int64) {
	e.t.Helper()
	cursor := ""
	for range 1000 {
		p := e.forYou(token, cursor, limit)
		ids = append(ids, p.ids...)
		creators = append(creators, p.creators...)
		if p.next == "" {
			return ids, creators
		}
		cursor = p.next
	}
	e.t.Fatal("the feed never ended")
	return nil, nil
}

func users(e *env, n int) []registered {
	out := make([]registered, n)
	for i := range out {
		out[i] = e.register(fmt.Sprintf("creator%d", i))
	}
	return out
}

func TestForYouRanksEngagementWithDecay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := users(e, 4)
	// The default half-life is 6 h: being 12 h older costs two doublings of engagement.
	// Weighted engagement is views/10 here: 1000 views → 100, 200 → 20, 300 → 30.
	oldPopular := e.feedVideo(u[0].id, 12*time.Hour, 1000) // log2(101) − 2 ≈ 4.66
	newModest := e.feedVideo(u[1].id, 0, 200)              // log2(21) ≈ 4.39
	oldModest := e.feedVideo(u[2].id, 12*time.Hour, 300)   // log2(31) − 2 ≈ 2.95
	ancient := e.feedVideo(u[3].id, 30*24*time.Hour, 1e6)  // a month old: log2(100001) − 120
	ids, _ := e.walkForYou("", 10)
	if want := []int64{oldPopular, newModest, oldModest, ancient}; !slices.Equal(ids, want) {
		t.Fatalf("order %v, want %v", ids, want)
	}

	// More engagement moves a video up; the order changes only through counters.
	e.exec(`UPDATE videos SET views = 5000 WHERE id = $1`, oldModest)
	ids, _ = e.walkForYou(e.register("viewer").token, 10) // (the anonymous first page is shared for a second)
	if ids[0] != oldModest {
		t.Fatalf("after 5000 views: order %v, want %d first", ids, oldModest)
	}
}

func TestForYouPersonal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := users(e, 6)
	viewer := e.register("viewer")
	// Pairs of videos an hour apart (a sixth of a half-life) with equal engagement: the
	// newer one ranks first unless the viewer's interests lift the older one.
	followedOld := e.feedVideo(u[0].id, 2*time.Hour, 500)
	strangerNew := e.feedVideo(u[1].id, time.Hour, 500)
	e.feedVideo(u[5].id, 100*time.Hour, 500) // filler, far below
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", u[0].id), nil, viewer.token), 200, "")

	anon, _ := e.walkForYou("", 10)
	mine, _ := e.walkForYou(viewer.token, 10)
	if anon[0] != strangerNew || mine[0] != followedOld {
		t.Fatalf("anonymous %v, viewer %v: want %d first anonymously and %d for the follower", anon, mine, strangerNew, followedOld)
	}

	// Liking a creator's videos makes their other videos rank higher for the viewer.
	liked := e.feedVideo(u[2].id, 200*time.Hour, 0)
	expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/like", liked), nil, viewer.token), 200, "")
	expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/like", e.feedVideo(u[2].id, 201*time.Hour, 0)), nil, viewer.token), 200, "")
	likedOld := e.feedVideo(u[2].id, 90*time.Minute, 500)
	otherNew := e.feedVideo(u[3].id, 80*time.Minute, 500)
	mine, _ = e.walkForYou(viewer.token, 10)
	if slices.Index(mine, likedOld) > slices.Index(mine, otherNew) {
		t.Fatalf("viewer %v: the liked creator's %d should come before %d", mine, likedOld, otherNew)
	}
	// Interests fade: two months later (ten half-lives of two weeks) the boost is gone.
	e.exec(`UPDATE creator_interests SET updated_at = now() - interval '140 days' WHERE user_id = $1`, viewer.id)
	mine, _ = e.walkForYou(viewer.token, 10)
	if slices.Index(mine, likedOld) < slices.Index(mine, otherNew) {
		t.Fatalf("viewer %v: a faded interest still lifts %d above %d", mine, likedOld, otherNew)
	}
}

func TestForYouHashtagInterest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := users(e, 3)
	viewer := e.register("viewer")
	e.exec(`INSERT INTO hashtags (name) VALUES ('cats')`)
	catVideo := e.feedVideo(u[0].id, 2*time.Hour, 500)
	otherNew := e.feedVideo(u[1].id, time.Hour, 500)
	liked := e.feedVideo(u[2].id, 300*time.Hour, 0)
	e.exec(`INSERT INTO video_hashtags (video_id, hashtag_id) SELECT v, id FROM hashtags, unnest($1::bigint[]) v WHERE name = 'cats'`,
		[]int64{catVideo, liked})
	before, _ := e.walkForYou(viewer.token, 10)
	expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/like", liked), nil, viewer.token), 200, "")
	after, _ := e.walkForYou(viewer.token, 10)
	if before[0] != otherNew || after[0] != catVideo {
		t.Fatalf("before the like %v (want %d first), after %v (want %d first)", before, otherNew, after, catVideo)
	}
}

func TestForYouSeenAndFallback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := users(e, 6)
	viewer := e.register("viewer")
	var vids []int64
	for i, c := range u {
		vids = append(vids, e.feedVideo(c.id, time.Duration(i)*time.Hour, 500))
	}
	// Seen through the batch endpoint and through a view.
	res := e.request("POST", "/api/videos/seen", map[string]any{"videoIds": []int64{vids[0], 999999}}, viewer.token)
	expect(t, res, 200, "")
	if res.num("recorded") != 1 {
		t.Fatalf("recorded %d, want 1 (unknown ids are skipped)", res.num("recorded"))
	}
	expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/view", vids[1]), nil, viewer.token), 204, "")

	ids, _ := e.walkForYou(viewer.token, 2)
	want := append(slices.Clone(vids[2:]), vids[0], vids[1]) // unseen first, then the seen ones by rank
	if !slices.Equal(ids, want) {
		t.Fatalf("walk %v, want %v", ids, want)
	}
	// Anonymous viewers have seen nothing.
	if ids, _ := e.walkForYou("", 10); !slices.Equal(ids, vids) {
		t.Fatalf("anonymous walk %v, want %v", ids, vids)
	}
}

func TestForYouNotInterestedAndHidden(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := users(e, 3)
	viewer := e.register("viewer")
	a1 := e.feedVideo(u[0].id, 0, 500)
	a2 := e.feedVideo(u[0].id, 2*time.Hour, 500)
	b := e.feedVideo(u[1].id, 3*time.Hour, 500)
	c := e.feedVideo(u[2].id, 4*time.Hour, 500)

	expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/not-interested", a1), nil, viewer.token), 204, "")
	ids, _ := e.walkForYou(viewer.token, 10)
	if slices.Contains(ids, a1) || slices.Index(ids, a2) < slices.Index(ids, c) {
		t.Fatalf("walk %v: %d must be gone and its creator's %d ranked below %d", ids, a1, a2, c)
	}
	expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/not-interested", b), map[string]bool{"hideCreator": true}, viewer.token), 204, "")
	if ids, _ := e.walkForYou(viewer.token, 10); !slices.Equal(ids, []int64{c, a2}) {
		t.Fatalf("walk %v, want [%d %d]", ids, c, a2)
	}
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/hide", u[0].id), nil, viewer.token), 204, "")
	if ids, _ := e.walkForYou(viewer.token, 10); !slices.Equal(ids, []int64{c}) {
		t.Fatalf("walk %v, want [%d]", ids, c)
	}
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d/hide", u[0].id), nil, viewer.token), 204, "")
	if ids, _ := e.walkForYou(viewer.token, 10); !slices.Equal(ids, []int64{c, a2}) {
		t.Fatalf("after unhiding: walk %v, want [%d %d]", ids, c, a2)
	}

	// Errors.
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/hide", viewer.id), nil, viewer.token), 400, "validation_failed")
	expect(t, e.request("POST", "/api/users/999999/hide", nil, viewer.token), 404, "not_found")
	expect(t, e.request("DELETE", "/api/users/999999/hide", nil, viewer.token), 404, "not_found")
	expect(t, e.request("POST", "/api/videos/999999/not-interested", nil, viewer.token), 404, "not_found")
	own := e.feedVideo(viewer.id, 0, 0)
	expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/not-interested", own), nil, viewer.token), 400, "validation_failed")
	expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/not-interested", c), map[string]any{"hideCreator": "yes"}, viewer.token), 400, "validation_failed")
	expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/not-interested", c), nil, ""), 401, "token_missing")
}

func TestForYouDiversityAndDiscoverySlot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := users(e, 8)
	// Creator 0 owns the best-ranked videos, creators 1–5 five each below; all two days old
	// (not fresh). Creators 6 and 7 each post three new videos without views, which rank
	// far below (49 h of decay is worth 2^8 of engagement; they have none): only the
	// discovery slot brings them up.
	for i := range 10 {
		e.feedVideo(u[0].id, 49*time.Hour+time.Duration(i)*time.Minute, 100000)
	}
	for _, c := range u[1:6] {
		for i := range 5 {
			e.feedVideo(c.id, 50*time.Hour+time.Duration(i)*time.Minute, 50000)
		}
	}
	fresh := map[int64]bool{}
	for _, c := range u[6:] {
		for i := range 3 {
			fresh[e.feedVideo(c.id, 47*time.Hour+time.Duration(i)*time.Minute, 0)] = true
		}
	}
	ids, creators := e.walkForYou("", 3)
	if len(ids) != 41 || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != 41 {
		t.Fatalf("walk of %d videos (%v), want each of the 41 once", len(ids), ids)
	}
	// No creator twice within five consecutive videos, over the first thirty (while at
	// least five creators have videos left).
	for i := range 30 {
		for j := i + 1; j < min(i+5, 30); j++ {
			if creators[i] == creators[j] {
				t.Fatalf("creator %d at %d and %d: %v", creators[i], i, j, creators)
			}
		}
	}
	// Every ten consecutive videos of the first thirty hold a fresh one, and the first
	// comes no later than tenth.
	for i := 0; i+10 <= 30; i++ {
		if !slices.ContainsFunc(ids[i:i+10], func(id int64) bool { return fresh[id] }) {
			t.Fatalf("no fresh video among positions %d–%d: %v", i, i+9, ids)
		}
	}
	if creators[0] != u[0].id {
		t.Fatalf("first creator %d, want the best-ranked %d", creators[0], u[0].id)
	}
}

func TestForYouStablePagingUnderWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := users(e, 8)
	var original []int64
	for i := range 40 {
		original = append(original, e.feedVideo(u[i%8].id, time.Duration(i)*7*time.Minute, int64(100*(i%5))))
	}
	// While the first half of the feed is read, videos get likes and views (moving them up
	// and down the ranking, across the cursor) and new videos are posted; then the walk
	// goes on to the end.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			v := original[(i*7)%len(original)]
			_, _ = e.pool.Exec(ctx, `UPDATE videos SET views = views + 400 * ($2::int % 9) WHERE id = $1`, v, i)
			e.request("POST", fmt.Sprintf("/api/videos/%d/like", original[(i*13)%len(original)]), nil, u[(i+1)%8].token)
			if i%10 == 0 {
				_, _ = e.pool.Exec(ctx, `INSERT INTO videos (user_id, caption, video_url, views) VALUES ($1, 'new', 'https://cdn.example.com/n.mp4', $2)`, u[i%8].id, i*50)
			}
			time.Sleep(3 * time.Millisecond)
		}
	}()
	var ids []int64
	cursor := ""
	for page := range 500 {
		if page == 7 {
			cancel()
			wg.Wait()
		}
		p := e.forYou("", cursor, 3)
		ids = append(ids, p.ids...)
		if p.next == "" {
			break
		}
		cursor = p.next
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("video %d served twice: %v", id, ids)
		}
		seen[id] = true
	}
	for _, id := range original {
		if !seen[id] {
			t.Fatalf("video %d, there from the start, was never served: %v", id, ids)
		}
	}
	var total int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM videos`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if len(ids) != total {
		t.Fatalf("served %d videos of %d", len(ids), total)
	}
}

func TestForYouCursor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := users(e, 3)
	viewer := e.register("viewer")
	for i, c := range u {
		e.feedVideo(c.id, time.Duration(i)*time.Hour, 0)
	}
	// Anonymous viewers share the first page (and its session) for a moment.
	a, b := e.forYou("", "", 1), e.forYou("", "", 1)
	if a.next == "" || a.next != b.next || !slices.Equal(a.ids, b.ids) {
		t.Fatalf("anonymous first pages %+v and %+v differ", a, b)
	}
	// A session belongs to its viewer: another viewer's cursor starts them a new one.
	mine := e.forYou(viewer.token, "", 1)
	stolen := e.forYou("", mine.next, 1)
	if !slices.Equal(stolen.ids, a.ids) {
		t.Fatalf("someone else's cursor served %v, want a new session's first page %v", stolen.ids, a.ids)
	}
	for _, bad := range []string{"x", "MA", "LTEuMA", "MS4tMQ", "MC41", "MDEuMA", "MS4w\n"} {
		res := e.request("GET", "/api/videos/for-you?cursor="+url.QueryEscape(bad), nil, "")
		expect(t, res, 400, "invalid_cursor")
	}
	expect(t, e.request("GET", "/api/videos/for-you?limit=0", nil, ""), 400, "invalid_limit")
}

func TestSeenValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	viewer := e.register("viewer")
	many := make([]int64, 101)
	for i := range many {
		many[i] = int64(i + 1)
	}
	for _, body := range []any{
		map[string]any{"videoIds": []int64{}},
		map[string]any{"videoIds": many},
		map[string]any{"videoIds": []int64{0}},
		map[string]any{"videoIds": []int64{-5}},
		map[string]any{"videoIds": "1,2"},
		map[string]any{},
	} {
		expect(t, e.request("POST", "/api/videos/seen", body, viewer.token), 400, "validation_failed")
	}
	expect(t, e.request("POST", "/api/videos/seen", map[string]any{"videoIds": []int64{1}}, ""), 401, "token_missing")
	expect(t, e.request("POST", "/api/videos/1/view", map[string]any{"completed": "yes"}, viewer.token), 400, "validation_failed")
}
