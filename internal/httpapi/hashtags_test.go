package httpapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
)

// videoWith creates a video by u with caption and audio name (nil: none) and returns its
// answer.
func (e *env) videoWith(u registered, caption string, audio any) response {
	e.t.Helper()
	res := e.request("POST", "/api/videos", map[string]any{
		"caption": caption, "audioName": audio, "videoUrl": "https://cdn.example.com/v.mp4",
	}, u.token)
	expect(e.t, res, 201, "")
	return res
}

// page is one page of a video list: the videos' ids and creators.
type page struct {
	ids, creators []int64
}

// walkVideos follows a video list from its first page to its last, failing on an empty
// page that claims a next one, and returns the pages.
func (e *env) walkVideos(path string, limit int) []page {
	e.t.Helper()
	var pages []page
	cursor := ""
	for range 200 {
		res := e.request("GET", fmt.Sprintf("%s?limit=%d&cursor=%s", path, limit, cursor), nil, "")
		expect(e.t, res, 200, "")
		var p page
		for _, v := range res.items("videos") {
			p.ids = append(p.ids, int64(v["id"].(float64)))
			p.creators = append(p.creators, int64(v["userId"].(float64)))
		}
		if len(p.ids) > limit {
			e.t.Fatalf("%s: %d videos on a page of %d", path, len(p.ids), limit)
		}
		pages = append(pages, p)
		if res.get("pagination.hasNextPage") != true {
			if res.get("pagination.nextCursor") != nil {
				e.t.Fatalf("%s: last page has a cursor: %s", path, res.raw)
			}
			return pages
		}
		if len(p.ids) == 0 {
			e.t.Fatalf("%s: empty page %d with a next page", path, len(pages))
		}
		cursor = res.str("pagination.nextCursor")
	}
	e.t.Fatalf("%s: no last page after 200 pages", path)
	return nil
}

func allIDs(pages []page) []int64 {
	var ids []int64
	for _, p := range pages {
		ids = append(ids, p.ids...)
	}
	return ids
}

// sameSet fails unless got holds each of want exactly once and nothing else.
func sameSet(t *testing.T, what string, got, want []int64) {
	t.Helper()
	g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(g, w) {
		t.Fatalf("%s: got %v, want each of %v once", what, g, w)
	}
}

// sql runs a statement on the test's database.
func sql(t *testing.T, pool *pgxpool.Pool, stmt string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), stmt, args...); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// TestHashtagRoutes: a tag's page follows captions through creation, edits, views and
// deletion; its name is found in any case, normalisation form, with or without '#'; a
// name that is not a tag, or a tag nobody used, is 404.
func TestHashtagRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ana, ben := e.register("ana"), e.register("ben")
	v1 := e.videoWith(ana, "Morning #Café #go see https://example.com/page#frag", "Original Sound").num("id")
	v2 := e.videoWith(ben, "#GO again, and a#b", nil).num("id")

	tag := func(path string) response {
		t.Helper()
		return e.request("GET", "/api/hashtags/"+path, nil, "")
	}
	for _, name := range []string{"caf%C3%A9", "CAF%C3%89", "%23cafe%CC%81", "%23Caf%C3%A9", url.PathEscape("#café")} {
		res := tag(name)
		expect(t, res, 200, "")
		if res.str("hashtag.name") != "café" || res.num("hashtag.videoCount") != 1 || res.num("hashtag.viewCount") != 0 {
			t.Fatalf("GET /api/hashtags/%s: %s", name, res.raw)
		}
	}
	if res := tag("go"); res.num("hashtag.videoCount") != 2 {
		t.Fatalf("#go: %s", res.raw)
	}
	for _, name := range []string{"frag", "b", "nobody", "%23", "%23%23go", "2024", "a%20b", "go%21", strings.Repeat("a", 101), strings.Repeat("%C3%A9", 400), "%00", "%F0%9F%98%80"} {
		expect(t, tag(name), 404, "not_found")
		expect(t, e.request("GET", "/api/hashtags/"+name+"/videos", nil, ""), 404, "not_found")
	}

	// Views reach the tags once the counter flushes them.
	e.request("POST", fmt.Sprintf("/api/videos/%d/view", v1), nil, "")
	e.request("POST", fmt.Sprintf("/api/videos/%d/view", v2), nil, "")
	waitFor(t, "views on #go", func() bool { return tag("go").num("hashtag.viewCount") == 2 })
	if res := tag("caf%C3%A9"); res.num("hashtag.viewCount") != 1 {
		t.Fatalf("#café after one view: %s", res.raw)
	}

	// The tag page lists the tagged videos in the video shape.
	res := e.request("GET", "/api/hashtags/go/videos", nil, "")
	expect(t, res, 200, "")
	sameSet(t, "#go videos", allIDs(e.walkVideos("/api/hashtags/go/videos", 10)), []int64{v1, v2})
	if res.items("videos")[0]["user"] == nil || res.get("pagination.hasNextPage") != false {
		t.Fatalf("tag page: %s", res.raw)
	}

	// A signed-in viewer sees their likes on the tag page.
	e.request("POST", fmt.Sprintf("/api/videos/%d/like", v2), nil, ana.token)
	for _, v := range e.request("GET", "/api/hashtags/go/videos", nil, ana.token).items("videos") {
		if liked := v["id"] == float64(v2); v["isLiked"] != liked {
			t.Fatalf("video %v: isLiked %v for its liker", v["id"], v["isLiked"])
		}
	}

	// A caption edit moves the video out of the tags it lost and into the new ones.
	expect(t, e.request("PUT", fmt.Sprintf("/api/videos/%d", v1), map[string]any{"caption": "just #go now #Новый"}, ana.token), 200, "")
	if res := tag("caf%C3%A9"); res.status != 200 || res.num("hashtag.videoCount") != 0 || res.num("hashtag.viewCount") != 0 {
		t.Fatalf("#café after the edit: %s", res.raw)
	}
	if ids := allIDs(e.walkVideos("/api/hashtags/caf%C3%A9/videos", 10)); len(ids) != 0 {
		t.Fatalf("#café still lists %v", ids)
	}
	sameSet(t, "#новый videos", allIDs(e.walkVideos("/api/hashtags/%D0%9D%D0%9E%D0%92%D0%AB%D0%99/videos", 10)), []int64{v1})
	if res := tag("go"); res.num("hashtag.videoCount") != 2 || res.num("hashtag.viewCount") != 2 {
		t.Fatalf("#go after an edit that kept it: %s", res.raw)
	}

	// Deleting a video takes it, and its views, off its tags.
	expect(t, e.request("DELETE", fmt.Sprintf("/api/videos/%d", v2), nil, ben.token), 200, "")
	if res := tag("go"); res.num("hashtag.videoCount") != 1 || res.num("hashtag.viewCount") != 1 {
		t.Fatalf("#go after deleting a video: %s", res.raw)
	}
	sameSet(t, "#go videos after the delete", allIDs(e.walkVideos("/api/hashtags/go/videos", 10)), []int64{v1})
	// Deleting the account takes the rest.
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", ana.id), nil, ana.token), 200, "")
	if res := tag("go"); res.num("hashtag.videoCount") != 0 || res.num("hashtag.viewCount") != 0 {
		t.Fatalf("#go after deleting its last creator: %s", res.raw)
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHashtagVideosOnePerCreator: a tag page never shows a creator twice, and walking
// every page returns every video of the tag exactly once, also for a tag one creator
// dominates (more videos than a cursor can defer at once).
func TestHashtagVideosOnePerCreator(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	users := map[string]registered{}
	for _, n := range []string{"ann", "bob", "cat", "dan", "eve"} {
		users[n] = e.register(n)
	}
	// ann 5, bob 3, cat 1, dan 2, interleaved so that ann's videos crowd the top ranks.
	var mix []int64
	for _, n := range []string{"bob", "ann", "ann", "dan", "ann", "bob", "cat", "ann", "ann", "dan", "bob"} {
		mix = append(mix, e.videoWith(users[n], "#mix "+n, nil).num("id"))
	}
	e.videoWith(users["eve"], "not tagged", nil)

	for _, limit := range []int{1, 2, 3, 4, 10} {
		pages := e.walkVideos("/api/hashtags/mix/videos", limit)
		for i, p := range pages {
			if len(slices.Compact(slices.Sorted(slices.Values(p.creators)))) != len(p.creators) {
				t.Fatalf("limit %d, page %d: a creator twice: %v", limit, i, p.creators)
			}
		}
		sameSet(t, fmt.Sprintf("#mix with limit %d", limit), allIDs(pages), mix)
		if limit == 3 {
			// Newest first (no engagement yet): bob's last, dan's last, ann's last; ann's
			// earlier videos wait for later pages.
			want := []int64{mix[10], mix[9], mix[8]}
			if !slices.Equal(pages[0].ids, want) {
				t.Fatalf("first page %v, want %v", pages[0].ids, want)
			}
		}
	}

	// Engagement ranks: a liked and commented old video of cat's comes first.
	e.request("POST", fmt.Sprintf("/api/videos/%d/like", mix[6]), nil, users["eve"].token)
	e.comment(users["eve"], mix[6], "great")
	if first := e.walkVideos("/api/hashtags/mix/videos", 3)[0].ids[0]; first != mix[6] {
		t.Fatalf("first video %d, want the engaged one %d", first, mix[6])
	}

	// One creator with more videos than a cursor defers (20), and two others.
	var solo []int64
	for i := range 27 {
		u := users["ann"]
		if i == 5 {
			u = users["bob"]
		}
		if i == 20 {
			u = users["cat"]
		}
		solo = append(solo, e.videoWith(u, fmt.Sprintf("#solo %d", i), nil).num("id"))
	}
	for _, limit := range []int{1, 5, 30} {
		pages := e.walkVideos("/api/hashtags/solo/videos", limit)
		for i, p := range pages {
			if len(slices.Compact(slices.Sorted(slices.Values(p.creators)))) != len(p.creators) {
				t.Fatalf("#solo limit %d, page %d: a creator twice: %v", limit, i, p.creators)
			}
		}
		sameSet(t, fmt.Sprintf("#solo with limit %d", limit), allIDs(pages), solo)
		if len(pages) < 25 {
			t.Fatalf("#solo with limit %d: %d pages for 25 videos of one creator", limit, len(pages))
		}
	}
}

// TestHashtagTrending: trending ranks tags by recent use with a one-day half-life, not by
// all-time count, and leaves out tags no video carries any more.
//
// A tag's trend_score is log2 Σ 2^(t/1 day) over its uses, so subtracting d from it gives
// exactly the score the same uses would have had d days earlier: each term 2^(t/1 day)
// becomes 2^((t-d)/1 day) = 2^(t/1 day) / 2^d, and the log of the sum drops by d. The test
// backdates uses that way.
func TestHashtagTrending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ana, ben := e.register("ana"), e.register("ben")
	for i := range 20 {
		e.videoWith(ana, fmt.Sprintf("#Evergreen %d", i), nil)
	}
	for range 4 {
		e.videoWith(ben, "#fresh", nil)
	}
	e.videoWith(ben, "#three #one", nil)
	e.videoWith(ben, "#three", nil)
	e.videoWith(ben, "#three", nil)
	gone := e.videoWith(ben, "#gone", nil).num("id")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/videos/%d", gone), nil, ben.token), 200, "")

	trending := func(query string) []string {
		t.Helper()
		res := e.request("GET", "/api/hashtags/trending"+query, nil, "")
		expect(t, res, 200, "")
		var names []string
		for _, h := range res.items("hashtags") {
			names = append(names, h["name"].(string))
		}
		return names
	}
	// All used just now: the most used first; #gone has no video left.
	if got, want := trending(""), []string{"evergreen", "fresh", "three", "one"}; !slices.Equal(got, want) {
		t.Fatalf("trending %v, want %v", got, want)
	}
	res := e.request("GET", "/api/hashtags/trending?limit=1", nil, "")
	if res.items("hashtags")[0]["videoCount"] != float64(20) || len(res.items("hashtags")) != 1 {
		t.Fatalf("trending?limit=1: %s", res.raw)
	}

	backdate := func(tag string, days float64) {
		sql(t, e.pool, `UPDATE hashtags SET trend_score = trend_score - $2 WHERE name = $1`, tag, days)
	}
	// Twenty uses three weeks ago weigh 20/2^21: one use today beats them.
	backdate("evergreen", 21)
	if got, want := trending(""), []string{"fresh", "three", "one", "evergreen"}; !slices.Equal(got, want) {
		t.Fatalf("after backdating #evergreen: trending %v, want %v", got, want)
	}
	// The half-life is one day: three uses a day ago (1.5) beat one use now, two days
	// ago (0.75) they do not.
	backdate("three", 1)
	if got := trending(""); slices.Index(got, "three") > slices.Index(got, "one") {
		t.Fatalf("three uses a day ago rank below one use now: %v", got)
	}
	backdate("three", 1)
	if got := trending(""); slices.Index(got, "three") < slices.Index(got, "one") {
		t.Fatalf("three uses two days ago rank above one use now: %v", got)
	}

	// At most 50, whatever the limit asked.
	for i := range 2 {
		var b strings.Builder
		for j := range 30 {
			fmt.Fprintf(&b, "#many%d_%d ", i, j)
		}
		e.videoWith(ana, b.String(), nil)
	}
	if n := len(trending("?limit=1000")); n != 50 {
		t.Fatalf("trending?limit=1000 gave %d tags, want 50", n)
	}
	if n := len(trending("")); n != 20 {
		t.Fatalf("trending gave %d tags by default, want 20", n)
	}
	for _, q := range []string{"limit=0", "limit=-1", "limit=abc", "limit=1.5", "limit=99999999999999999999"} {
		expect(t, e.request("GET", "/api/hashtags/trending?"+q, nil, ""), 400, "invalid_limit")
	}
}

// TestSoundRoutes: audio names that differ in case, spacing or normalisation form are one
// sound; the video shape carries its id; the sound's page lists its videos by rank and
// follows audio edits.
func TestSoundRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ana, ben := e.register("ana"), e.register("ben")
	first := e.videoWith(ana, "one", "Café  Sounds")
	sound := first.num("soundId")
	if sound <= 0 {
		t.Fatalf("video with an audio name: soundId %v", first.get("soundId"))
	}
	ids := []int64{first.num("id")}
	for _, audio := range []string{"café sounds", "CAFE\u0301 SOUNDS ", "Café Sounds"} {
		res := e.videoWith(ben, "more", audio)
		if res.num("soundId") != sound {
			t.Fatalf("audio %q: soundId %v, want %d", audio, res.get("soundId"), sound)
		}
		ids = append(ids, res.num("id"))
	}
	silent := e.videoWith(ana, "no audio", nil)
	if _, ok := silent.body["soundId"]; !ok || silent.get("soundId") != nil {
		t.Fatalf("video without audio: %s", silent.raw)
	}
	// Every rendering of a video carries soundId.
	// (Not GET /api/videos/{id}: its view would move the video up the ranks.)
	for _, path := range []string{"/api/videos", fmt.Sprintf("/api/users/%d/videos", ben.id)} {
		res := e.request("GET", path, nil, "")
		v := res.body
		if vs := res.items("videos"); len(vs) > 0 {
			v = vs[len(vs)-1]
		}
		if _, ok := v["soundId"]; !ok {
			t.Fatalf("%s: no soundId: %s", path, res.raw)
		}
	}

	res := e.request("GET", fmt.Sprintf("/api/sounds/%d", sound), nil, "")
	expect(t, res, 200, "")
	if res.num("sound.id") != sound || res.str("sound.name") != "Café Sounds" || res.num("sound.videoCount") != 4 {
		t.Fatalf("sound: %s", res.raw)
	}

	// By rank: newest first without engagement; a liked video moves up.
	pages := e.walkVideos(fmt.Sprintf("/api/sounds/%d/videos", sound), 3)
	if got, want := allIDs(pages), []int64{ids[3], ids[2], ids[1], ids[0]}; !slices.Equal(got, want) {
		t.Fatalf("sound videos %v, want %v", got, want)
	}
	e.request("POST", fmt.Sprintf("/api/videos/%d/like", ids[0]), nil, ben.token)
	for _, limit := range []int{1, 2, 10} {
		got := allIDs(e.walkVideos(fmt.Sprintf("/api/sounds/%d/videos", sound), limit))
		if want := []int64{ids[0], ids[3], ids[2], ids[1]}; !slices.Equal(got, want) {
			t.Fatalf("limit %d: sound videos %v, want %v", limit, got, want)
		}
	}

	// Audio edits move videos between sounds; clearing the audio clears the sound.
	res = e.request("PUT", "/api/videos/"+itoa(ids[1]), map[string]any{"audioName": "Another"}, ben.token)
	expect(t, res, 200, "")
	other := res.num("soundId")
	if other <= 0 || other == sound {
		t.Fatalf("soundId after the audio edit: %s", res.raw)
	}
	res = e.request("PUT", "/api/videos/"+itoa(ids[2]), map[string]any{"audioName": ""}, ben.token)
	if res.get("soundId") != nil || res.get("audioName") != nil {
		t.Fatalf("audio cleared: %s", res.raw)
	}
	res = e.request("PUT", "/api/videos/"+itoa(ids[3]), map[string]any{"caption": "caption only"}, ben.token)
	if res.num("soundId") != sound {
		t.Fatalf("a caption edit changed the sound: %s", res.raw)
	}
	if n := e.request("GET", fmt.Sprintf("/api/sounds/%d", sound), nil, "").num("sound.videoCount"); n != 2 {
		t.Fatalf("sound has %d videos after the edits, want 2", n)
	}
	sameSet(t, "sound videos after the edits", allIDs(e.walkVideos(fmt.Sprintf("/api/sounds/%d/videos", sound), 10)), []int64{ids[0], ids[3]})
	sameSet(t, "other sound's videos", allIDs(e.walkVideos(fmt.Sprintf("/api/sounds/%d/videos", other), 10)), []int64{ids[1]})

	// Deleting the account takes its videos off the sound.
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", ana.id), nil, ana.token), 200, "")
	res = e.request("GET", fmt.Sprintf("/api/sounds/%d", sound), nil, "")
	if res.num("sound.videoCount") != 1 {
		t.Fatalf("sound after deleting a creator: %s", res.raw)
	}
	sameSet(t, "sound videos after deleting a creator", allIDs(e.walkVideos(fmt.Sprintf("/api/sounds/%d/videos", sound), 10)), []int64{ids[3]})

	for _, p := range []string{"/api/sounds/abc", "/api/sounds/0", "/api/sounds/-1", "/api/sounds/01", "/api/sounds/9223372036854775808", "/api/sounds/abc/videos", "/api/sounds/0/videos"} {
		expect(t, e.request("GET", p, nil, ""), 400, "invalid_id")
	}
	expect(t, e.request("GET", "/api/sounds/999999", nil, ""), 404, "not_found")
	expect(t, e.request("GET", "/api/sounds/999999/videos", nil, ""), 404, "not_found")
}

// TestDiscoveryBadInput: bad limits and cursors on the tag and sound pages are 400s,
// including another list's cursor, never 500.
func TestDiscoveryBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ana := e.register("ana")
	for range 3 {
		e.videoWith(ana, "#tag", "song")
	}
	sound := e.request("GET", "/api/videos?limit=1", nil, "").items("videos")[0]["soundId"].(float64)
	tagPage := "/api/hashtags/tag/videos"
	soundPage := fmt.Sprintf("/api/sounds/%d/videos", int64(sound))

	cursor := func(path string) string {
		t.Helper()
		res := e.request("GET", path+"?limit=1", nil, "")
		expect(t, res, 200, "")
		return res.str("pagination.nextCursor")
	}
	feedCursor, tagCursor, soundCursor := cursor("/api/videos"), cursor(tagPage), cursor(soundPage)
	if feedCursor == "" || tagCursor == "" || soundCursor == "" {
		t.Fatal("no next cursors")
	}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	many := make([]string, 21)
	for i := range many {
		many[i] = itoa(int64(i + 1))
	}
	bad := map[string][]string{
		tagPage: {feedCursor, soundCursor, "garbage!", strings.Repeat("A", 2000), tagCursor + "A",
			b64("s1.5"), b64("s1.5:0"), b64("sNaN:1"), b64("sInf:1"), b64("s1.50:1"), b64("s1.5:1:"), b64("s1.5:1:2,2"),
			b64("s1.5:1:" + strings.Join(many, ",")), b64("s1.5:1:2:3"), b64("s0x1p1:1")},
		soundPage: {feedCursor, tagCursor, "garbage!", soundCursor + "A", b64("r1.5"), b64("r1.5:1:2"), b64("rNaN:1"), b64("r-Inf:1"), b64("r1e500:1"), b64("r+1.5:1")},
	}
	// Well-formed cursors the server could have issued are fine, even far away.
	expect(t, e.request("GET", soundPage+"?cursor="+b64("r-1e+300:1"), nil, ""), 200, "")
	expect(t, e.request("GET", tagPage+"?cursor="+b64("s1e+300:9223372036854775807:1,2,3"), nil, ""), 200, "")
	for path, cursors := range bad {
		for _, c := range cursors {
			expect(t, e.request("GET", path+"?cursor="+url.QueryEscape(c), nil, ""), 400, "invalid_cursor")
		}
		for _, q := range []string{"limit=0", "limit=-1", "limit=abc", "limit=1e3"} {
			expect(t, e.request("GET", path+"?"+q, nil, ""), 400, "invalid_limit")
		}
		want := 3
		if path == tagPage {
			want = 1 // one creator: one video per page
		}
		if res := e.request("GET", path+"?limit=1000", nil, ""); len(res.items("videos")) != want {
			t.Fatalf("%s?limit=1000: %s", path, res.raw)
		}
	}
}

// TestDiscoveryQueryCount: a tag or sound page costs the same few queries whatever its
// length (no N+1).
func TestDiscoveryQueryCount(t *testing.T) {
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
	for i := range 8 {
		users = append(users, e.register(fmt.Sprintf("qc%d", i)))
	}
	for i := range 40 {
		e.videoWith(users[i%8], "#qc", "qc sound")
	}
	sound := e.request("GET", "/api/videos?limit=1", nil, "").items("videos")[0]["soundId"].(float64)
	for _, p := range []string{"/api/hashtags/qc/videos?limit=%d", fmt.Sprintf("/api/sounds/%d/videos?limit=%%d", int64(sound)), "/api/hashtags/trending?limit=%d"} {
		count := func(limit int) int64 {
			before := counter.n.Load()
			expect(t, e.request("GET", fmt.Sprintf(p, limit), nil, users[0].token), 200, "")
			return counter.n.Load() - before
		}
		small, large := count(1), count(30)
		if small != large {
			t.Errorf("%s: %d queries for 1 item, %d for 30", p, small, large)
		}
		if large > 4 { // the token check, then the page's own (tag, candidates, videos)
			t.Errorf("%s: %d queries per page", p, large)
		}
	}
}
