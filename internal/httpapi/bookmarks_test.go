package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

func bookmarkPath(video int64) string { return fmt.Sprintf("/api/videos/%d/bookmark", video) }
func sharePath(video int64) string    { return fmt.Sprintf("/api/videos/%d/share", video) }

// videoField reads one field of GET /api/videos/{id} as token sees it.
func (e *env) videoField(video int64, token, field string) any {
	e.t.Helper()
	res := e.request("GET", fmt.Sprintf("/api/videos/%d", video), nil, token)
	expect(e.t, res, http.StatusOK, "")
	return res.get(field)
}

func TestBookmarkIdempotentAndCounted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob := e.register("alice"), e.register("bob")
	v := e.video(bob, "bookmark me")

	for range 2 { // idempotent
		res := e.request("POST", bookmarkPath(v), nil, alice.token)
		expect(t, res, http.StatusOK, "")
		if res.num("bookmarkCount") != 1 || res.get("isBookmarked") != true || res.str("action") != "bookmarked" {
			t.Fatalf("bookmark: %s", res)
		}
	}
	expect(t, e.request("POST", bookmarkPath(v), nil, bob.token), http.StatusOK, "")
	if got := e.videoField(v, alice.token, "bookmarkCount"); got != 2.0 {
		t.Fatalf("bookmarkCount %v, want 2", got)
	}
	// isBookmarked is the viewer's own: on the video, and on every list (one query per page).
	carol := e.register("carol")
	for _, c := range []struct {
		token string
		want  bool
	}{{alice.token, true}, {carol.token, false}, {"", false}} {
		if got := e.videoField(v, c.token, "isBookmarked"); got != c.want {
			t.Errorf("GET video: isBookmarked %v, want %v", got, c.want)
		}
		for _, path := range []string{"/api/videos", fmt.Sprintf("/api/users/%d/videos", bob.id)} {
			res := e.request("GET", path, nil, c.token)
			expect(t, res, http.StatusOK, "")
			if items := res.items("videos"); len(items) != 1 || items[0]["isBookmarked"] != c.want || items[0]["bookmarkCount"] != 2.0 {
				t.Errorf("%s: %s, want isBookmarked %v", path, res.raw, c.want)
			}
		}
	}

	for range 2 {
		res := e.request("DELETE", bookmarkPath(v), nil, alice.token)
		expect(t, res, http.StatusOK, "")
		if res.num("bookmarkCount") != 1 || res.get("isBookmarked") != false || res.str("action") != "unbookmarked" {
			t.Fatalf("unbookmark: %s", res)
		}
	}
	if got := e.videoField(v, alice.token, "isBookmarked"); got != false {
		t.Fatalf("isBookmarked %v after removal", got)
	}

	// Bad input and unknown videos.
	expect(t, e.request("POST", bookmarkPath(v), nil, ""), http.StatusUnauthorized, "token_missing")
	expect(t, e.request("POST", bookmarkPath(1<<40), nil, alice.token), http.StatusNotFound, "not_found")
	expect(t, e.request("DELETE", bookmarkPath(1<<40), nil, alice.token), http.StatusNotFound, "not_found")
	expect(t, e.request("POST", "/api/videos/abc/bookmark", nil, alice.token), http.StatusBadRequest, "invalid_id")
	expect(t, e.request("PUT", bookmarkPath(v), nil, alice.token), http.StatusMethodNotAllowed, "method_not_allowed")
	checkCounters(t, e)
}

// TestBookmarkListPagesNewestBookmarkFirst: the list is ordered by when each video was
// bookmarked (not when it was posted), pages never repeat or skip one, also among
// bookmarks made in the same microsecond, and it is only ever the caller's.
func TestBookmarkListPagesNewestBookmarkFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob, creator := e.register("alice"), e.register("bob"), e.register("creator")
	var videos []int64
	for i := range 8 {
		videos = append(videos, e.video(creator, fmt.Sprintf("video %d", i)))
	}
	// Bookmarked in an order unlike the videos': 5, 2, 7, 0, then 1, 3, 4, 6 all at one instant.
	var want []int64
	for _, i := range []int{5, 2, 7, 0} {
		expect(t, e.request("POST", bookmarkPath(videos[i]), nil, alice.token), http.StatusOK, "")
		want = slices.Insert(want, 0, videos[i])
	}
	same := []int64{videos[1], videos[3], videos[4], videos[6]}
	if _, err := e.pool.Exec(context.Background(),
		`INSERT INTO video_bookmarks (user_id, video_id, created_at) SELECT $1, unnest($2::bigint[]), now() + interval '1 minute'`,
		alice.id, same); err != nil {
		t.Fatal(err)
	}
	want = append([]int64{videos[6], videos[4], videos[3], videos[1]}, want...) // ties: higher id first
	expect(t, e.request("POST", bookmarkPath(videos[2]), nil, bob.token), http.StatusOK, "")

	var got []int64
	cursor := ""
	for pages := 0; ; pages++ {
		res := e.request("GET", "/api/users/me/bookmarks?limit=3&cursor="+cursor, nil, alice.token)
		expect(t, res, http.StatusOK, "")
		for _, v := range res.items("videos") {
			got = append(got, int64(v["id"].(float64)))
			if v["isBookmarked"] != true || v["bookmarkedAt"] == nil {
				t.Errorf("entry %v", v)
			}
		}
		if res.get("pagination.hasNextPage") != true {
			break
		}
		cursor = res.str("pagination.nextCursor")
		if pages > 10 {
			t.Fatal("the list never ends")
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("bookmarks %v, want %v", got, want)
	}

	// Bob sees his own one only; nobody can ask for another user's.
	res := e.request("GET", "/api/users/me/bookmarks", nil, bob.token)
	expect(t, res, http.StatusOK, "")
	if items := res.items("videos"); len(items) != 1 || items[0]["id"] != float64(videos[2]) {
		t.Fatalf("bob's bookmarks: %s", res.raw)
	}
	expect(t, e.request("GET", fmt.Sprintf("/api/users/%d/bookmarks", alice.id), nil, bob.token), http.StatusNotFound, "not_found")
	expect(t, e.request("GET", "/api/users/me/bookmarks", nil, ""), http.StatusUnauthorized, "token_missing")
	expect(t, e.request("GET", "/api/users/me/bookmarks?cursor=garbage", nil, alice.token), http.StatusBadRequest, "invalid_cursor")
	expect(t, e.request("GET", "/api/users/me/bookmarks?limit=0", nil, alice.token), http.StatusBadRequest, "invalid_limit")
	// A deleted video leaves the list and the counters right.
	expect(t, e.request("DELETE", fmt.Sprintf("/api/videos/%d", videos[2]), nil, creator.token), http.StatusOK, "")
	res = e.request("GET", "/api/users/me/bookmarks?limit=100", nil, alice.token)
	if n := len(res.items("videos")); n != 7 {
		t.Fatalf("%d bookmarks after deleting one video, want 7", n)
	}
	checkCounters(t, e)
}

func TestShareCountsOncePerViewerPerDay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob, carol, creator := e.register("alice"), e.register("bob"), e.register("carol"), e.register("creator")
	v := e.video(creator, "share me")
	share := func(u registered, channel string) response {
		t.Helper()
		res := e.request("POST", sharePath(v), map[string]any{"channel": channel}, u.token)
		expect(t, res, http.StatusOK, "")
		return res
	}
	if res := share(alice, "link"); res.get("counted") != true || res.num("shareCount") != 1 || res.str("channel") != "link" {
		t.Fatalf("first share: %s", res)
	}
	if res := share(alice, "copy"); res.get("counted") != false || res.num("shareCount") != 1 {
		t.Fatalf("second share the same day: %s", res)
	}
	if res := share(bob, "whatsapp"); res.get("counted") != true || res.num("shareCount") != 2 {
		t.Fatalf("another user's share: %s", res)
	}
	// Yesterday's share (the database's day) does not stop today's from counting.
	if _, err := e.pool.Exec(context.Background(), `
		INSERT INTO video_shares (user_id, video_id, channel, created_at, day)
		SELECT $1, $2, 'email', t, (t AT TIME ZONE 'UTC')::date FROM (SELECT now() - interval '1 day' AS t) y`,
		carol.id, v); err != nil {
		t.Fatal(err)
	}
	if res := share(carol, "sms"); res.get("counted") != true || res.num("shareCount") != 4 {
		t.Fatalf("today's share after yesterday's: %s", res)
	}
	if got := e.videoField(v, "", "shareCount"); got != 4.0 {
		t.Fatalf("shareCount %v, want 4", got)
	}
	// A day row must be the day of its time: the key cannot be dodged by writing another day.
	if _, err := e.pool.Exec(context.Background(),
		`INSERT INTO video_shares (user_id, video_id, channel, day) VALUES ($1, $2, 'link', current_date + 3)`, alice.id, v); err == nil {
		t.Fatal("a share whose day is not its time's was stored")
	}

	// Bad input: clear JSON errors, nothing counted.
	for _, c := range []struct {
		body  any
		ctype string
		code  string
		field string
	}{
		{map[string]any{"channel": "pigeon"}, "", "validation_failed", "channel"},
		{map[string]any{"channel": "LINK"}, "", "validation_failed", "channel"},
		{map[string]any{}, "", "validation_failed", "channel"},
		{map[string]any{"channel": 7}, "", "validation_failed", "channel"},
		{"{", "", "invalid_json", ""},
		{`{"channel":"link"} x`, "", "invalid_json", ""},
		{`{"channel":"link"}`, "text/plain", "unsupported_media_type", ""},
	} {
		var headers []string
		if c.ctype != "" {
			headers = []string{"Content-Type", c.ctype}
		}
		res := e.request("POST", sharePath(v), c.body, alice.token, headers...)
		status := http.StatusBadRequest
		if c.code == "unsupported_media_type" {
			status = http.StatusUnsupportedMediaType
		}
		expect(t, res, status, c.code)
		if c.field != "" && res.str("fields."+c.field) == "" {
			t.Errorf("%v: no message for %s: %s", c.body, c.field, res.raw)
		}
	}
	expect(t, e.request("POST", sharePath(v), map[string]any{"channel": "link"}, ""), http.StatusUnauthorized, "token_missing")
	expect(t, e.request("POST", sharePath(1<<40), map[string]any{"channel": "link"}, alice.token), http.StatusNotFound, "not_found")
	expect(t, e.request("POST", "/api/videos/0/share", map[string]any{"channel": "link"}, alice.token), http.StatusBadRequest, "invalid_id")
	if got := e.videoField(v, "", "shareCount"); got != 4.0 {
		t.Fatalf("shareCount %v after refused shares, want 4", got)
	}
	checkCounters(t, e)
}

// TestShareBurst: parallel shares by one user count once; by many users, once each.
func TestShareBurst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	creator := e.register("creator")
	v := e.video(creator, "viral")
	sharers := make([]registered, 6)
	for i := range sharers {
		sharers[i] = e.register(fmt.Sprintf("sharer%d", i))
	}
	var (
		mu      sync.Mutex
		counted = map[int64]int{}
		wg      sync.WaitGroup
	)
	start := make(chan struct{})
	for g := range 36 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := sharers[g%len(sharers)]
			<-start
			res := e.request("POST", sharePath(v), map[string]any{"channel": "copy"}, u.token)
			if res.status != http.StatusOK {
				t.Errorf("share: %s", res)
				return
			}
			if res.get("counted") == true {
				mu.Lock()
				counted[u.id]++
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, u := range sharers {
		if counted[u.id] != 1 {
			t.Errorf("user %d: %d shares counted, want 1", u.id, counted[u.id])
		}
	}
	if got := e.videoField(v, "", "shareCount"); got != float64(len(sharers)) {
		t.Fatalf("shareCount %v, want %d", got, len(sharers))
	}
	checkCounters(t, e)
}

// TestSharesRaiseRankAndInterest: of two otherwise equal videos, the shared one ranks
// higher, though the other is newer; FEED_SHARE_WEIGHT 0 takes that back (a re-rank), and a
// counted share is interest of the sharer in the creator.
func TestSharesRaiseRankAndInterest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := users(e, 2)
	older := e.feedVideo(c[0].id, 2*time.Minute, 200)
	newer := e.feedVideo(c[1].id, time.Minute, 200)
	viewers := 0
	order := func() []int64 { // as a new viewer (no interests, nothing seen) sees the feed
		t.Helper()
		viewers++
		viewer := e.register(fmt.Sprintf("viewer%d", viewers))
		return e.forYou(viewer.token, "", 10).ids
	}
	if got := order(); !slices.Equal(got, []int64{newer, older}) {
		t.Fatalf("before the share: %v, want the newer video first %v", got, []int64{newer, older})
	}
	sharer := e.register("sharer")
	expect(t, e.request("POST", sharePath(older), map[string]any{"channel": "link"}, sharer.token), http.StatusOK, "")
	if got := order(); !slices.Equal(got, []int64{older, newer}) {
		t.Fatalf("after sharing the older video: %v, want it first %v", got, []int64{older, newer})
	}
	var weight float64
	if err := e.pool.QueryRow(context.Background(),
		`SELECT weight FROM creator_interests WHERE user_id = $1 AND creator_id = $2`, sharer.id, c[0].id).Scan(&weight); err != nil || weight != 1.5 {
		t.Fatalf("sharer's interest in the creator: %v, %v; want 1.5", weight, err)
	}

	// The weight is configuration: without it, shares do not rank.
	r := tiktok.DefaultRanking()
	r.ShareWeight = 0
	n, err := e.store.ConfigureRanking(context.Background(), r)
	if err != nil || n != 1 {
		t.Fatalf("re-ranking with share weight 0 changed %d ranks, %v; want 1", n, err)
	}
	if got := order(); !slices.Equal(got, []int64{newer, older}) {
		t.Fatalf("share weight 0: %v, want the newer video first", got)
	}
	if n, err := e.store.ConfigureRanking(context.Background(), tiktok.DefaultRanking()); err != nil || n != 1 {
		t.Fatalf("re-ranking back: %d, %v", n, err)
	}
	if got := order(); !slices.Equal(got, []int64{older, newer}) {
		t.Fatalf("share weight back at 2: %v", got)
	}
}
