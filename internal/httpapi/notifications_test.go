package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/notify"
	"github.com/gotok/tiktok/internal/pgtest"
)

// nList returns u's notifications, newest first (one page of up to 100).
func (e *env) nList(u registered) []map[string]any {
	e.t.Helper()
	res := e.request("GET", "/api/notifications?limit=100", nil, u.token)
	expect(e.t, res, 200, "")
	return res.items("notifications")
}

// nOf returns u's notification of kind about the video or comment id (0: none),
// or nil.
func (e *env) nOf(u registered, kind string, video, comment int64) map[string]any {
	e.t.Helper()
	for _, n := range e.nList(u) {
		if n["kind"] != kind || nRef(n, "video") != video || nRef(n, "comment") != comment {
			continue
		}
		return n
	}
	return nil
}

func nRef(n map[string]any, key string) int64 {
	ref, _ := n[key].(map[string]any)
	id, _ := ref["id"].(float64)
	return int64(id)
}

func nNum(v any) int64 { f, _ := v.(float64); return int64(f) }

// nActors lists the usernames of a notification's actors.
func nActors(n map[string]any) []string {
	var out []string
	for _, a := range n["actors"].([]any) {
		out = append(out, a.(map[string]any)["username"].(string))
	}
	return out
}

// nRows counts the notification rows of user id in the database.
func (e *env) nRows(id int64) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM notifications WHERE recipient_id = $1", id).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) nLike(u registered, video int64, like bool) {
	e.t.Helper()
	method := "POST"
	if !like {
		method = "DELETE"
	}
	expect(e.t, e.request(method, fmt.Sprintf("/api/videos/%d/like", video), nil, u.token), 200, "")
}

// checkNotificationGroups fails unless every group counts exactly the actions it stands
// for: a video's likes by others, a comment's likes by others, a user's followers; that
// every group has actors, no actor twice and none who is not (or no longer) in it; and
// that no action of someone else's lacks its group.
func checkNotificationGroups(t *testing.T, e *env) {
	t.Helper()
	var wrong []string
	rows, err := e.pool.Query(context.Background(), `
		WITH expected AS (
			SELECT v.user_id AS recipient, 'video_like' AS kind, v.id AS video_id, NULL::bigint AS comment_id,
			       count(*) AS actors, array_agg(l.user_id) AS ids
			FROM video_likes l JOIN videos v ON v.id = l.video_id WHERE l.user_id <> v.user_id
			GROUP BY v.user_id, v.id
			UNION ALL
			SELECT c.user_id, 'comment_like', c.video_id, c.id, count(*), array_agg(l.user_id)
			FROM comment_likes l JOIN comments c ON c.id = l.comment_id WHERE l.user_id <> c.user_id
			GROUP BY c.user_id, c.video_id, c.id
			UNION ALL
			SELECT f.following_id, 'follow', NULL, NULL, count(*), array_agg(f.follower_id)
			FROM follows f GROUP BY f.following_id
			UNION ALL
			SELECT v.user_id, 'comment', v.id, c.id, 1, ARRAY[c.user_id]
			FROM comments c JOIN videos v ON v.id = c.video_id LEFT JOIN comments p ON p.id = c.parent_id
			WHERE c.user_id <> v.user_id AND (c.parent_id IS NULL OR p.user_id <> v.user_id)
			UNION ALL
			SELECT p.user_id, 'reply', c.video_id, c.id, 1, ARRAY[c.user_id]
			FROM comments c JOIN comments p ON p.id = c.parent_id WHERE c.user_id <> p.user_id
			UNION ALL
			SELECT m.mentioned_id, 'mention', m.video_id, m.comment_id, 1, ARRAY[m.author_id]
			FROM mentions m WHERE m.mentioned_id <> m.author_id
		)
		SELECT coalesce(e.kind, n.kind), coalesce(e.recipient, n.recipient_id), coalesce(e.video_id, n.video_id),
		       coalesce(e.comment_id, n.comment_id), coalesce(e.actors, 0), coalesce(n.actor_count, 0),
		       coalesce(n.actor_ids <@ e.ids, false), coalesce(cardinality(n.actor_ids) = (SELECT count(DISTINCT a) FROM unnest(n.actor_ids) a), false),
		       coalesce(cardinality(n.actor_ids) > 0, false)
		FROM expected e
		FULL JOIN notifications n ON n.recipient_id = e.recipient AND n.kind = e.kind
		     AND n.video_id IS NOT DISTINCT FROM e.video_id AND n.comment_id IS NOT DISTINCT FROM e.comment_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var recipient int64
		var video, comment *int64
		var want, got int64
		var members, distinct, some bool
		if err := rows.Scan(&kind, &recipient, &video, &comment, &want, &got, &members, &distinct, &some); err != nil {
			t.Fatal(err)
		}
		if want != got || !members || !distinct || !some {
			wrong = append(wrong, fmt.Sprintf("%s of user %d (video %v, comment %v): %d actors, want %d; actors are actors %v, distinct %v, some %v",
				kind, recipient, nDeref(video), nDeref(comment), got, want, members, distinct, some))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(wrong) > 0 {
		t.Errorf("notification groups do not match their actions:\n%s", strings.Join(wrong, "\n"))
	}
}

func nDeref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// "alice and 12 others liked your video" is one row, updated; not 13.
func TestNotificationGrouping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.register("owner")
	video := e.video(owner, "my video")
	var fans []registered
	for i := range 13 {
		fans = append(fans, e.register(fmt.Sprintf("fan%02d", i)))
	}
	for _, f := range fans {
		e.nLike(f, video, true)
	}
	if n := e.nRows(owner.id); n != 1 {
		t.Fatalf("13 likes made %d notification rows, want 1", n)
	}
	list := e.nList(owner)
	if len(list) != 1 {
		t.Fatalf("%d notifications, want 1: %v", len(list), list)
	}
	n := list[0]
	if n["kind"] != "video_like" || nNum(n["actorCount"]) != 13 || n["read"] != false || nRef(n, "video") != video || n["comment"] != nil {
		t.Errorf("notification = %v", n)
	}
	if got := nActors(n); !slices.Equal(got, []string{"fan12", "fan11", "fan10"}) {
		t.Errorf("actors %v, want the 3 most recent, newest first", got)
	}
	if a := n["actors"].([]any)[0].(map[string]any); a["id"] == nil || a["name"] != nil || a["avatar"] != nil {
		t.Errorf("actor shape %v, want UserMini", a)
	}
	if v := n["video"].(map[string]any); v["caption"] != "my video" {
		t.Errorf("video reference %v", v)
	}

	// An actor who likes again after an unlike moves to the front, counted once.
	e.nLike(fans[0], video, false)
	e.nLike(fans[0], video, true)
	n = e.nOf(owner, "video_like", video, 0)
	if nNum(n["actorCount"]) != 13 || nActors(n)[0] != "fan00" {
		t.Errorf("after fan00 liked again: %d actors %v", nNum(n["actorCount"]), nActors(n))
	}

	// Comment likes group per comment; follows per user; each comment is its own.
	c := e.comment(owner, video, "my own comment")
	for _, f := range fans[:4] {
		expect(t, e.request("POST", fmt.Sprintf("/api/comments/%d/like", c), nil, f.token), 200, "")
		e.follow(f, owner.id)
	}
	e.comment(fans[0], video, "first!")
	e.comment(fans[0], video, strings.Repeat("é", 300))
	if n := e.nOf(owner, "comment_like", video, c); n == nil || nNum(n["actorCount"]) != 4 || n["comment"].(map[string]any)["snippet"] != "my own comment" {
		t.Errorf("comment likes: %v", n)
	}
	if n := e.nOf(owner, "follow", 0, 0); n == nil || nNum(n["actorCount"]) != 4 || n["video"] != nil {
		t.Errorf("follows: %v", n)
	}
	var comments int
	for _, n := range e.nList(owner) {
		if n["kind"] == "comment" {
			comments++
			if s := n["comment"].(map[string]any)["snippet"].(string); len([]rune(s)) > 100 {
				t.Errorf("snippet of %d characters, want at most 100", len([]rune(s)))
			}
		}
	}
	if comments != 2 {
		t.Errorf("%d comment notifications, want one per comment: 2", comments)
	}
	if n := e.nRows(owner.id); n != 5 {
		t.Errorf("%d rows, want 5 (likes, comment likes, follows, two comments)", n)
	}
	checkNotificationGroups(t, e)
}

// Nobody is notified of their own actions.
func TestNotificationSelfActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	me := e.register("myself")
	video := e.video(me, "mine")
	e.nLike(me, video, true)
	c := e.comment(me, video, "talking to myself")
	expect(t, e.request("POST", fmt.Sprintf("/api/comments/%d/like", c), nil, me.token), 200, "")
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", me.id), nil, me.token), 400, "cannot_follow_self")
	if n := e.nRows(me.id); n != 0 {
		t.Fatalf("%d notifications from one's own actions", n)
	}
	// Undoing them changes nothing either (there is nothing to shrink).
	other := e.register("other")
	e.nLike(other, video, true)
	e.nLike(me, video, false)
	if n := e.nOf(me, "video_like", video, 0); n == nil || nNum(n["actorCount"]) != 1 {
		t.Errorf("after one's own unlike: %v, want other's like alone", n)
	}
	checkNotificationGroups(t, e)
}

// Undoing an action removes its actor from the group, and the group when it is empty:
// unlike, unfollow, a deleted comment, and the cascades of a deleted video or account.
func TestNotificationUndo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.register("owner")
	a, b, c := e.register("alice"), e.register("bob"), e.register("carol")
	video := e.video(owner, "v")
	for _, u := range []registered{a, b, c} {
		e.nLike(u, video, true)
		e.follow(u, owner.id)
	}
	e.nLike(c, video, false)
	n := e.nOf(owner, "video_like", video, 0)
	if nNum(n["actorCount"]) != 2 || !slices.Equal(nActors(n), []string{"bob", "alice"}) {
		t.Errorf("after carol's unlike: %d %v, want bob and alice", nNum(n["actorCount"]), nActors(n))
	}
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d/follow", b.id), nil, a.token), 200, "") // not following: nothing
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d/follow", owner.id), nil, a.token), 200, "")
	if n := e.nOf(owner, "follow", 0, 0); nNum(n["actorCount"]) != 2 || !slices.Equal(nActors(n), []string{"carol", "bob"}) {
		t.Errorf("after alice unfollowed: %v", n)
	}
	e.nLike(a, video, false)
	e.nLike(b, video, false)
	if n := e.nOf(owner, "video_like", video, 0); n != nil {
		t.Errorf("every like undone, the group is still there: %v", n)
	}

	// A deleted comment takes its notification and its likes' with it.
	cm := e.comment(a, video, "to be deleted")
	mine := e.comment(owner, video, "owner's")
	expect(t, e.request("POST", fmt.Sprintf("/api/comments/%d/like", mine), nil, b.token), 200, "")
	expect(t, e.request("POST", fmt.Sprintf("/api/comments/%d/like", cm), nil, b.token), 200, "")
	if e.nOf(owner, "comment", video, cm) == nil || e.nOf(a, "comment_like", video, cm) == nil {
		t.Fatal("comment notifications missing")
	}
	expect(t, e.request("DELETE", fmt.Sprintf("/api/comments/%d", cm), nil, owner.token), 200, "") // the video's owner deletes it
	if e.nOf(owner, "comment", video, cm) != nil || e.nRows(a.id) != 0 {
		t.Errorf("a deleted comment left notifications behind")
	}

	// Deleting an account takes its actions out of other people's groups.
	e.nLike(a, video, true)
	e.nLike(b, video, true)
	e.comment(b, video, "bob was here")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", b.id), nil, b.token), 200, "")
	if n := e.nOf(owner, "video_like", video, 0); nNum(n["actorCount"]) != 1 || !slices.Equal(nActors(n), []string{"alice"}) {
		t.Errorf("after bob's account was deleted: %v", n)
	}
	if n := e.nOf(owner, "follow", 0, 0); nNum(n["actorCount"]) != 1 {
		t.Errorf("follows after bob's account was deleted: %v", n)
	}
	if e.nOf(owner, "comment_like", video, mine) != nil {
		t.Errorf("bob's comment like outlived his account")
	}
	for _, n := range e.nList(owner) {
		if n["kind"] == "comment" && strings.Contains(n["comment"].(map[string]any)["snippet"].(string), "bob") {
			t.Errorf("bob's comment notification outlived his account: %v", n)
		}
	}
	checkNotificationGroups(t, e)

	// Deleting the video takes every notification about it.
	expect(t, e.request("DELETE", fmt.Sprintf("/api/videos/%d", video), nil, owner.token), 200, "")
	for _, n := range e.nList(owner) {
		if n["video"] != nil {
			t.Errorf("a notification about the deleted video is left: %v", n)
		}
	}
	// Deleting the recipient deletes theirs.
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", owner.id), nil, owner.token), 200, "")
	if n := e.nRows(owner.id); n != 0 {
		t.Errorf("%d notifications of a deleted account", n)
	}
	checkNotificationGroups(t, e)
}

// A burst of likes, unlikes, follows and unfollows at once leaves every group's count
// exact.
func TestNotificationBurst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.register("star")
	video := e.video(owner, "viral")
	var fans []registered
	for i := range 24 {
		fans = append(fans, e.register(fmt.Sprintf("burst%02d", i)))
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, f := range fans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for round := range 6 {
				on := (round+i)%2 == 0
				method := map[bool]string{true: "POST", false: "DELETE"}[on]
				for _, path := range []string{fmt.Sprintf("/api/videos/%d/like", video), fmt.Sprintf("/api/users/%d/follow", owner.id)} {
					if res := e.request(method, path, nil, f.token); res.status != 200 {
						t.Errorf("%s %s: %s", method, path, res)
					}
				}
			}
			if i%3 == 0 { // a third end liking and following
				e.nLike(f, video, true)
				e.follow(f, owner.id)
			}
		}()
	}
	close(start)
	wg.Wait()
	checkNotificationGroups(t, e)
	checkCounters(t, e)
	n := e.nOf(owner, "video_like", video, 0)
	if n == nil || nNum(n["actorCount"]) != 16 {
		t.Errorf("after the burst: %v, want 16 likers (the odd fans, and the even ones that like at the end)", n)
	}

	// Everyone at once: all unlike (the group goes), then all like (one group of 24).
	for _, like := range []bool{false, true} {
		var wg sync.WaitGroup
		for _, f := range fans {
			wg.Add(1)
			go func() { defer wg.Done(); e.nLike(f, video, like) }()
		}
		wg.Wait()
		n := e.nOf(owner, "video_like", video, 0)
		switch {
		case !like && n != nil:
			t.Errorf("everyone unliked at once, the group is left: %v", n)
		case like && (n == nil || nNum(n["actorCount"]) != 24 || len(n["actors"].([]any)) != 3):
			t.Errorf("everyone liked at once: %v, want 24 actors", n)
		}
		checkNotificationGroups(t, e)
	}
}

func TestNotificationReadAndUnread(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.register("reader")
	video := e.video(owner, "v")
	a, b := e.register("likera"), e.register("likerb")
	unread := func() int64 {
		t.Helper()
		res := e.request("GET", "/api/notifications/unread-count", nil, owner.token)
		expect(t, res, 200, "")
		if res.get("capped") != false {
			t.Errorf("capped: %s", res)
		}
		return res.num("unreadCount")
	}
	if n := unread(); n != 0 {
		t.Fatalf("unread %d before anything happened", n)
	}
	e.nLike(a, video, true)
	e.follow(a, owner.id)
	e.comment(b, video, "hi")
	if n := unread(); n != 3 {
		t.Fatalf("unread %d, want 3", n)
	}
	list := e.nList(owner)
	middle := nNum(list[1]["eventId"]) // the follow
	res := e.request("POST", "/api/notifications/read", map[string]any{"upTo": middle}, owner.token)
	expect(t, res, 200, "")
	if res.num("readUpTo") != middle || res.num("unreadCount") != 1 {
		t.Errorf("read up to the follow: %s", res)
	}
	list = e.nList(owner)
	if list[0]["read"] != false || list[1]["read"] != true || list[2]["read"] != true {
		t.Errorf("read flags after upTo: %v %v %v", list[0]["read"], list[1]["read"], list[2]["read"])
	}
	// The mark never moves back.
	expect(t, e.request("POST", "/api/notifications/read", map[string]any{"upTo": 1}, owner.token), 200, "")
	if n := unread(); n != 1 {
		t.Errorf("an older upTo changed the unread count to %d", n)
	}
	// No body: everything. A mark past the newest event stops at it, so what comes later
	// is unread.
	res = e.request("POST", "/api/notifications/read", nil, owner.token)
	expect(t, res, 200, "")
	if res.num("unreadCount") != 0 || res.num("readUpTo") != nNum(list[0]["eventId"]) {
		t.Errorf("read all: %s", res)
	}
	expect(t, e.request("POST", "/api/notifications/read", map[string]any{"upTo": int64(1) << 60}, owner.token), 200, "")
	// New activity reopens a read group: unread again, on top, counting everyone.
	e.nLike(b, video, true)
	if n := unread(); n != 1 {
		t.Errorf("unread %d after a new like on a read group, want 1", n)
	}
	list = e.nList(owner)
	if list[0]["kind"] != "video_like" || list[0]["read"] != false || nNum(list[0]["actorCount"]) != 2 ||
		!slices.Equal(nActors(list[0]), []string{"likerb", "likera"}) {
		t.Errorf("reopened group: %v", list[0])
	}
	// An undo neither reopens nor reorders.
	expect(t, e.request("POST", "/api/notifications/read", map[string]any{}, owner.token), 200, "")
	e.nLike(b, video, false)
	if n := unread(); n != 0 {
		t.Errorf("an unlike made %d notifications unread", n)
	}
	// Each user reads only their own.
	if n := len(e.nList(a)); n != 0 {
		t.Errorf("likera sees %d notifications", n)
	}

	for _, bad := range []struct {
		body any
		ct   string
		code string
	}{
		{map[string]any{"upTo": 0}, "", "validation_failed"},
		{map[string]any{"upTo": -3}, "", "validation_failed"},
		{map[string]any{"upTo": "7"}, "", "validation_failed"},
		{map[string]any{"upTo": 1.5}, "", "validation_failed"},
		{`{"upTo": 1`, "", "invalid_json"},
		{`{"upTo": 1} x`, "", "invalid_json"},
		{`upTo=1`, "application/x-www-form-urlencoded", "unsupported_media_type"},
	} {
		var headers []string
		if bad.ct != "" {
			headers = []string{"Content-Type", bad.ct}
		}
		res := e.request("POST", "/api/notifications/read", bad.body, owner.token, headers...)
		status := 400
		if bad.code == "unsupported_media_type" {
			status = 415
		}
		expect(t, res, status, bad.code)
	}
	for _, path := range []string{"/api/notifications", "/api/notifications/unread-count"} {
		expect(t, e.request("GET", path, nil, ""), 401, "token_missing")
	}
	expect(t, e.request("POST", "/api/notifications/read", nil, ""), 401, "token_missing")
}

func TestNotificationPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.register("popular")
	video := e.video(owner, "v")
	fan := e.register("chatty")
	for i := range 25 {
		e.comment(fan, video, fmt.Sprintf("comment %d", i))
	}
	var seen []int64
	cursor := ""
	for pages := 0; ; pages++ {
		res := e.request("GET", "/api/notifications?limit=10&cursor="+cursor, nil, owner.token)
		expect(t, res, 200, "")
		for _, n := range res.items("notifications") {
			seen = append(seen, nNum(n["eventId"]))
		}
		if res.get("pagination.hasNextPage") != true {
			if res.get("pagination.nextCursor") != nil {
				t.Errorf("last page with a cursor: %s", res)
			}
			break
		}
		cursor = res.str("pagination.nextCursor")
		if pages == 1 {
			e.comment(fan, video, "while paging") // newer: on top, never in the pages that follow
		}
		if pages > 5 {
			t.Fatal("paging never ends")
		}
	}
	if len(seen) != 25 || !slices.IsSortedFunc(seen, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("walked %d notifications (want 25), newest first: %v", len(seen), seen)
	}
	if all := e.nList(owner); len(all) != 26 || all[0]["comment"].(map[string]any)["snippet"] != "while paging" {
		t.Errorf("the newest is not first: %d %v", len(all), all[0])
	}
	for _, q := range []string{"limit=0", "limit=x", "cursor=garbage", "cursor=ZTA", "cursor=" + cursor + "A"} {
		res := e.request("GET", "/api/notifications?"+q, nil, owner.token)
		if res.status != 400 {
			t.Errorf("?%s: %s, want 400", q, res)
		}
	}
	if res := e.request("GET", "/api/notifications?limit=1000", nil, owner.token); len(res.items("notifications")) != 26 {
		t.Errorf("limit above the cap: %s", res)
	}
}

// sseEvent is one event of a stream; comments (heartbeats) have Event ":".
type sseEvent struct {
	ID, Event, Data string
}

func (ev sseEvent) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
		t.Fatalf("event %s: data is not JSON: %q", ev.Event, ev.Data)
	}
	return m
}

// sseClient reads a notification stream.
type sseClient struct {
	t      *testing.T
	res    *http.Response
	events chan sseEvent // closed at the end of the stream
}

// openStream opens the stream at base+path (GET /api/notifications/stream, maybe with a
// query) with token and extra headers. A stream that is refused is returned as a response
// (checked against the OpenAPI document).
func (e *env) openStream(client *http.Client, base, path, token string, headers ...string) (*sseClient, response) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", base+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	if res.StatusCode != 200 {
		defer cancel()
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		checkSpec(e.t, "GET", "/api/notifications/stream", res.StatusCode, res.Header, raw)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		return nil, response{status: res.StatusCode, header: res.Header, raw: raw, body: body}
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		e.t.Errorf("Content-Type %q", ct)
	}
	c := &sseClient{t: e.t, res: res, events: make(chan sseEvent, 1000)}
	e.t.Cleanup(func() { cancel(); res.Body.Close() })
	go c.read()
	return c, response{status: 200, header: res.Header}
}

func (c *sseClient) read() {
	defer close(c.events)
	r := bufio.NewReader(c.res.Body)
	var ev sseEvent
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.Event != "" || ev.Data != "" {
				c.events <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, ":"):
			c.events <- sseEvent{Event: ":", Data: strings.TrimSpace(line[1:])}
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "id":
				ev.ID = value
			case "event":
				ev.Event = value
			case "data":
				ev.Data += value
			}
		}
	}
}

// next returns the next event that is not a comment, failing the test after timeout.
func (c *sseClient) next(timeout time.Duration) sseEvent {
	c.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				c.t.Fatal("the stream ended")
			}
			if ev.Event != ":" {
				return ev
			}
		case <-deadline:
			c.t.Fatalf("no event within %v", timeout)
		}
	}
}

// quiet fails if an event (not a comment) arrives within d.
func (c *sseClient) quiet(d time.Duration) {
	c.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev, ok := <-c.events:
			if ok && ev.Event != ":" {
				c.t.Fatalf("unexpected event %s %s", ev.Event, ev.Data)
			}
			if !ok {
				return
			}
		case <-deadline:
			return
		}
	}
}

// ended waits for the end of the stream and returns the events before it.
func (c *sseClient) ended(timeout time.Duration) []sseEvent {
	c.t.Helper()
	var out []sseEvent
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				return out
			}
			out = append(out, ev)
		case <-deadline:
			c.t.Fatalf("the stream did not end within %v (events: %v)", timeout, out)
		}
	}
}

func withNotifyStreams(perUser int, heartbeat time.Duration) option {
	return func(d *httpapi.Deps) {
		d.Config.Streams.PerUser = perUser
		d.Config.StreamHeartbeat = heartbeat
	}
}

func (e *env) stream(token string, headers ...string) (*sseClient, response) {
	e.t.Helper()
	return e.openStream(e.srv.Client(), e.srv.URL, "/api/notifications/stream", token, headers...)
}

func TestNotificationStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withNotifyStreams(5, 200*time.Millisecond))
	owner, fan := e.register("streamer"), e.register("streamfan")
	video := e.video(owner, "live")
	s, _ := e.stream(owner.token)

	e.nLike(fan, video, true)
	ev := s.next(5 * time.Second)
	n := ev.json(t)
	if ev.Event != "notification" || ev.ID != fmt.Sprint(nNum(n["eventId"])) || n["kind"] != "video_like" ||
		nRef(n, "video") != video || nNum(n["actorCount"]) != 1 || nActors(n)[0] != "streamfan" {
		t.Fatalf("after a like: %+v", ev)
	}
	id := nNum(n["id"])
	// The same shape as the list's.
	if list := e.nList(owner); fmt.Sprint(list[0]) != fmt.Sprint(n) {
		t.Errorf("stream %v, list %v", n, list[0])
	}

	e.nLike(fan, video, false)
	if ev := s.next(5 * time.Second); ev.Event != "removed" || nNum(ev.json(t)["id"]) != id || ev.ID != "" {
		t.Errorf("after the unlike: %+v", ev)
	}
	other := e.register("streamfan2")
	e.nLike(fan, video, true)
	s.next(5 * time.Second)
	e.nLike(other, video, true)
	if ev := s.next(5 * time.Second); ev.Event != "notification" || nNum(ev.json(t)["actorCount"]) != 2 {
		t.Errorf("a second like: %+v", ev)
	}
	e.nLike(fan, video, false)
	if ev := s.next(5 * time.Second); ev.Event != "changed" || nNum(ev.json(t)["actorCount"]) != 1 || ev.ID != "" {
		t.Errorf("an unlike that leaves a liker: %+v", ev)
	}
	expect(t, e.request("POST", "/api/notifications/read", nil, owner.token), 200, "")
	if ev := s.next(5 * time.Second); ev.Event != "read" || ev.json(t)["readUpTo"] == nil {
		t.Errorf("after read: %+v", ev)
	}
	// Nothing of other users' notifications.
	e.nLike(owner, e.video(fan, "fan's"), true)
	s.quiet(300 * time.Millisecond)

	// Heartbeats come; a logout ends the stream at the next one.
	beats := 0
	for deadline := time.After(3 * time.Second); beats < 2; {
		select {
		case ev := <-s.events:
			if ev.Event == ":" && ev.Data == "ping" {
				beats++
			}
		case <-deadline:
			t.Fatalf("%d heartbeats in 3 s at a 200 ms interval", beats)
		}
	}
	expect(t, e.request("POST", "/api/users/logout", nil, owner.token), 204, "")
	rest := s.ended(3 * time.Second)
	if len(rest) == 0 || rest[len(rest)-1].Event != "end" || rest[len(rest)-1].json(t)["code"] != "token_invalid" {
		t.Errorf("after logout the stream sent %+v, want end with token_invalid", rest)
	}

	_, res := e.stream("")
	expect(t, res, 401, "token_missing")
	// A browser client on another origin may resume (fetch-based SSE, which can send the token).
	pre := e.request("OPTIONS", "/api/notifications/stream", nil, "", "Origin", "https://app.example.com",
		"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization, last-event-id")
	if pre.status != 204 || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Last-Event-ID") {
		t.Errorf("preflight: %d %v", pre.status, pre.header)
	}
	_, res = e.stream(owner.token) // revoked
	expect(t, res, 401, "token_invalid")
}

// A client that reconnects with Last-Event-ID is sent what it missed, from the table.
func TestNotificationStreamResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.register("resumer")
	a, b, c := e.register("resa"), e.register("resb"), e.register("resc")
	video := e.video(owner, "v")
	s, _ := e.stream(owner.token)
	e.nLike(a, video, true)
	first := s.next(5 * time.Second)
	s.res.Body.Close()

	e.nLike(b, video, true) // the like group again, now with two
	e.comment(c, video, "missed me")
	e.follow(c, owner.id)
	for _, how := range [][]string{{"Last-Event-ID", first.ID}, {"X-Ignored", "1"}} {
		var s *sseClient
		if how[0] == "Last-Event-ID" {
			s, _ = e.stream(owner.token, how...)
		} else {
			s, _ = e.openStream(e.srv.Client(), e.srv.URL, "/api/notifications/stream?lastEventId="+first.ID, owner.token)
		}
		var kinds []string
		var ids []int64
		for range 3 {
			ev := s.next(5 * time.Second)
			if ev.Event != "notification" {
				t.Fatalf("replay: %+v", ev)
			}
			kinds = append(kinds, ev.json(t)["kind"].(string))
			id, _ := strconv.ParseInt(ev.ID, 10, 64)
			ids = append(ids, id)
		}
		if !slices.Equal(kinds, []string{"video_like", "comment", "follow"}) || !slices.IsSorted(ids) {
			t.Errorf("replayed %v %v, want the like group, the comment and the follow, oldest first", kinds, ids)
		}
		s.quiet(200 * time.Millisecond)
	}
	// A fresh stream replays nothing; an id from the future is not trusted.
	s, _ = e.stream(owner.token)
	s.quiet(200 * time.Millisecond)
	s, _ = e.stream(owner.token, "Last-Event-ID", "999999999999")
	s.quiet(200 * time.Millisecond)
	e.nLike(c, video, true)
	if ev := s.next(5 * time.Second); ev.Event != "notification" {
		t.Errorf("after a future Last-Event-ID: %+v", ev)
	}
	for _, bad := range []string{"abc", "-1", "01", "1.5"} {
		_, res := e.stream(owner.token, "Last-Event-ID", bad)
		expect(t, res, 400, "validation_failed")
	}
}

// More missed than a stream replays: it replays the oldest, then resync.
func TestNotificationStreamReplayBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, fan := e.register("busy"), e.register("busyfan")
	video := e.video(owner, "v")
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO comments (user_id, video_id, content)
		SELECT $1, $2, 'c' || i FROM generate_series(1, 130) i`, fan.id, video); err != nil {
		t.Fatal(err)
	}
	s, _ := e.stream(owner.token, "Last-Event-ID", "0")
	for i := range 100 {
		if ev := s.next(5 * time.Second); ev.Event != "notification" {
			t.Fatalf("event %d: %+v", i, ev)
		}
	}
	ev := s.next(5 * time.Second)
	if ev.Event != "resync" || ev.ID == "" {
		t.Fatalf("after 100 replayed: %+v, want resync with the newest id", ev)
	}
	s.quiet(200 * time.Millisecond)
}

func TestNotificationStreamCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withNotifyStreams(2, 0))
	u := e.register("capped")
	s1, _ := e.stream(u.token)
	e.stream(u.token)
	_, res := e.stream(u.token)
	expect(t, res, 429, "rate_limited")
	if res.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	other := e.register("notcapped")
	if _, res := e.stream(other.token); res.status != 200 {
		t.Errorf("another user's stream: %s", res)
	}
	s1.res.Body.Close()
	e.waitStreamAdmitted(u.token, "a closed stream still counts")
}

// waitStreamAdmitted waits up to 5 s until a stream of token's user is admitted (a stream
// closed a moment ago gives its place back once the server notices), failing with what.
func (e *env) waitStreamAdmitted(token, what string) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, res := e.stream(token)
		if res.status == 200 {
			s.res.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: %s", what, res)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The listening connection is lost: the server reconnects, and its streams get what
// happened meanwhile and are told to resync.
func TestNotificationStreamListenerReconnects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, fan := e.register("robust"), e.register("robustfan")
	video := e.video(owner, "v")
	s, _ := e.stream(owner.token)
	e.nLike(fan, video, true)
	s.next(5 * time.Second)
	var killed int
	err := e.pool.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'tiktok-listen' AND datname = current_database()`).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d listening connections (%v), want 1", killed, err)
	}
	e.comment(fan, video, "while the listener was away")
	var got []string
	for len(got) < 2 {
		ev := s.next(10 * time.Second)
		got = append(got, ev.Event)
		if ev.Event == "notification" && ev.json(t)["kind"] != "comment" {
			t.Errorf("replayed %s", ev.Data)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"notification", "resync"}) {
		t.Errorf("after the listener reconnected: %v, want the comment and a resync", got)
	}
}

// secondServer starts another server on e's database (as another process would be), with
// cfg, after setup has adjusted the test server.
func (e *env) secondServer(cfg httpapi.Config, setup func(*httptest.Server)) *httptest.Server {
	e.t.Helper()
	cfg.CORSOrigins = []string{"*"}
	api := httpapi.NewServer(httpapi.Deps{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Store: e.store, Tokens: e.tokens})
	srv := httptest.NewUnstartedServer(api.Handler())
	setup(srv)
	srv.Start()
	e.t.Cleanup(func() { srv.Close(); api.Close() })
	return srv
}

// A stream outlives the server's read and write timeouts, which suit requests, not
// streams: the handler lifts them for its response.
func TestNotificationStreamOutlivesServerTimeouts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := e.secondServer(httpapi.Config{StreamHeartbeat: 150 * time.Millisecond}, func(s *httptest.Server) {
		s.Config.ReadTimeout, s.Config.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	})
	owner, fan := e.register("patient"), e.register("patientfan")
	video := e.video(owner, "v")
	s, _ := e.openStream(srv.Client(), srv.URL, "/api/notifications/stream", owner.token)
	time.Sleep(time.Second)
	e.nLike(fan, video, true)
	if ev := s.next(5 * time.Second); ev.Event != "notification" {
		t.Fatalf("after the server's timeouts: %+v", ev)
	}
}

// smallBuffers accepts connections whose send buffer is a few kilobytes, so that a client
// that stops reading blocks the server's writes soon (instead of after megabytes).
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

// A client that stops reading blocks only its own stream: another stream of the same user
// gets every event at once, and the stuck one is cut off after the write timeout.
func TestNotificationStreamSlowClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A second server on the same database (as another process would be), with small
	// socket buffers and a short write timeout.
	srv := e.secondServer(httpapi.Config{StreamWriteTimeout: 300 * time.Millisecond, Streams: notify.Config{PerUser: 2}},
		func(s *httptest.Server) { s.Listener = smallBuffers{s.Listener} })

	owner, fan := e.register("slowowner"), e.register("slowfan")
	video := e.video(owner, "v")
	// The slow client reads the headers, then nothing, through a small receive buffer.
	slowClient := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
		}
		return c, err
	}}}
	req, _ := http.NewRequest("GET", srv.URL+"/api/notifications/stream", nil)
	req.Header.Set("Authorization", "Bearer "+owner.token)
	slow, err := slowClient.Do(req)
	if err != nil || slow.StatusCode != 200 {
		t.Fatalf("slow stream: %v %v", slow, err)
	}
	defer slow.Body.Close() // never read
	fast, _ := e.openStream(srv.Client(), srv.URL, "/api/notifications/stream", owner.token)

	// Events of ~2.5 kB (a long avatar URL): 60 of them are far more than the slow
	// connection's buffers hold.
	if _, err := e.pool.Exec(context.Background(), `UPDATE users SET avatar = $1 WHERE id = $2`,
		"https://cdn.example.com/"+strings.Repeat("a", 2000)+".jpg", fan.id); err != nil {
		t.Fatal(err)
	}
	const n = 60
	start := time.Now()
	for i := range n {
		if _, err := e.pool.Exec(context.Background(), `INSERT INTO comments (user_id, video_id, content) VALUES ($1, $2, $3)`,
			fan.id, video, fmt.Sprintf("comment %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if ev := fast.next(5 * time.Second); ev.Event != "notification" {
			t.Fatalf("fast stream, event %d: %+v", i, ev)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the fast stream took %v for %d events", d, n)
	}
	// The stuck stream is cut off: its place under the per-user cap of 2 frees up.
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, res := e.openStream(srv.Client(), srv.URL, "/api/notifications/stream", owner.token)
		if res.status == 200 {
			s.res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stuck stream was never cut off: %s", res)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A page of notifications costs the same few queries however long it is: actors, videos
// and comments come with it (no N+1).
func TestNotificationListQueryCount(t *testing.T) {
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
	owner := e.register("counted")
	var fans []registered
	for i := range 4 {
		fans = append(fans, e.register(fmt.Sprintf("counter%d", i)))
		e.follow(fans[i], owner.id)
	}
	for i := range 30 {
		v := e.video(owner, fmt.Sprintf("v%d", i))
		e.comment(fans[i%4], v, "c")
		for _, f := range fans {
			e.nLike(f, v, true)
		}
	}
	count := func(limit int) int64 {
		before := counter.n.Load()
		res := e.request("GET", fmt.Sprintf("/api/notifications?limit=%d", limit), nil, owner.token)
		expect(t, res, 200, "")
		if got := len(res.items("notifications")); got != limit {
			t.Fatalf("%d items, want %d", got, limit)
		}
		return counter.n.Load() - before
	}
	if small, large := count(1), count(40); small != large || large > 3 {
		t.Errorf("%d queries for 1 notification, %d for 40; want the same, at most 3 (token, page, actors)", small, large)
	}
}

// The last two actors of a group leave at the same moment, again and again: the group
// goes every time (neither undo may leave it behind with no actor). The likes and follows
// of today queue on their counters' rows before they reach notification_remove; the
// functions are for any source (replies, mentions), so they are raced directly here.
func TestNotificationLastActorsLeaveTogether(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.register("pairowner")
	video := e.video(owner, "v")
	pair := []registered{e.register("pairone"), e.register("pairtwo")}
	ctx := context.Background()
	for i := range 40 {
		for _, u := range pair {
			if _, err := e.pool.Exec(ctx, `SELECT notification_add($1, $2, 'mention', $3, NULL)`, owner.id, u.id, video); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, u := range pair {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tx, err := e.pool.Begin(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				defer tx.Rollback(ctx)
				<-start
				if _, err := tx.Exec(ctx, `SELECT notification_remove($1, $2, 'mention', $3, NULL)`, owner.id, u.id, video); err != nil {
					t.Error(err)
				}
				time.Sleep(time.Millisecond) // hold the row a moment, so that the other waits
				if err := tx.Commit(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if n := e.nRows(owner.id); n != 0 {
			t.Fatalf("round %d: both actors left at once, %d notification rows are left", i, n)
		}
	}
}

// TestReplyMentionAndBlockNotifications: a reply notifies the author answered (and the
// video's owner once, as a comment, unless they are that author); a mention notifies the
// user named, and an edit that drops the name takes it back; a comment that becomes a
// tombstone takes its notifications and its replies' with it; blocked users notify each
// other of nothing (their actions are refused), and an undo after the block still shrinks
// what was there before.
func TestReplyMentionAndBlockNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, alice, bob, carol := e.register("sn_owner"), e.register("sn_alice"), e.register("sn_bob"), e.register("sn_carol")
	v := e.video(owner, "a video")
	top := e.comment(alice, v, "top-level by alice")
	r := e.replyID(bob, v, top, "bob answers")
	if e.nOf(alice, "reply", v, r) == nil {
		t.Error("alice was not told of bob's reply")
	}
	if e.nOf(owner, "comment", v, r) == nil {
		t.Error("the video's owner was not told of the reply to someone else's comment")
	}
	ownTop := e.comment(owner, v, "the owner's own comment")
	r2 := e.replyID(alice, v, ownTop, "alice answers the owner")
	if e.nOf(owner, "reply", v, r2) == nil || e.nOf(owner, "comment", v, r2) != nil {
		t.Error("a reply to the owner's comment must notify the owner once, as a reply")
	}

	// Mentions, in a comment and in a caption; an edit without the name takes it back.
	c := e.comment(bob, v, "hey @sn_carol look")
	if e.nOf(carol, "mention", v, c) == nil {
		t.Error("carol was not told of her mention in a comment")
	}
	expect(t, e.request("PUT", fmt.Sprintf("/api/comments/%d", c), map[string]any{"content": "never mind"}, bob.token), 200, "")
	if e.nOf(carol, "mention", v, c) != nil {
		t.Error("the mention's notification stayed after the edit removed the name")
	}
	v2 := e.video(bob, "with @sn_carol in the caption")
	if e.nOf(carol, "mention", v2, 0) == nil {
		t.Error("carol was not told of her mention in a caption")
	}

	// Alice deletes her comment, which has replies: it becomes a tombstone, and her
	// notifications about it and its replies go.
	e.request("POST", fmt.Sprintf("/api/comments/%d/like", top), nil, carol.token)
	expect(t, e.request("DELETE", fmt.Sprintf("/api/comments/%d", top), nil, alice.token), 200, "")
	if e.nOf(alice, "reply", v, r) != nil || e.nOf(alice, "comment_like", v, top) != nil {
		t.Error("notifications about a tombstone (its likes, its replies) stayed")
	}

	// Blocks: nothing notifies across one, either way; an undo after the block still
	// takes back what was there before it.
	e.nLike(carol, v, true)
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/block", carol.id), nil, owner.token), 200, "")
	mallory := e.register("sn_mallory")
	e.nLike(mallory, v, true)
	if n := e.nOf(owner, "video_like", v, 0); n == nil || nNum(n["actorCount"]) != 2 {
		t.Fatalf("video_like group before the blocked user's undo: %v", n)
	}
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", carol.id), nil, carol.token), 200, "") // her like cascades
	if n := e.nOf(owner, "video_like", v, 0); n == nil || nNum(n["actorCount"]) != 1 {
		t.Errorf("after the blocked user's like went with her account the group counts %v, want 1", n["actorCount"])
	}
	dave := e.register("sn_dave")
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/block", owner.id), nil, dave.token), 200, "")
	e.comment(owner, v2, "@sn_dave you there?") // a blocked user cannot be mentioned
	v3 := e.video(dave, "dave's video")
	expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/like", v3), nil, owner.token), 404, "not_found")
	for _, n := range e.nList(dave) {
		t.Errorf("dave, who blocks the owner, got a notification: %v", n)
	}
	checkNotificationGroups(t, e)
}
