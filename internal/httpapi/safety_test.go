package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/tiktok"
)

// scene is a user (the subject) with something on every list: a video (a unique caption
// word, a tag, a sound), a comment on a third user's video, a follow each way with that
// third user, and a follower of the subject (whose following feed shows the subject).
type scene struct {
	subject, third, fan registered
	video, comment      int64
	thirdVideo          int64
	thirdTop, reply     int64 // the third user's comment and the subject's reply to it
	sound               int64
	word, tag           string
}

func newScene(e *env, name string) scene {
	e.t.Helper()
	s := scene{subject: e.register(name), third: e.register(name + "_3rd"), fan: e.register(name + "_fan"),
		word: name + "word", tag: name + "tag"}
	res := e.request("POST", "/api/videos", map[string]any{
		"caption": s.word + " #" + s.tag, "audioName": name + " sound", "videoUrl": "https://cdn.example.com/s.mp4",
	}, s.subject.token)
	expect(e.t, res, 201, "")
	s.video, s.sound = res.num("id"), res.num("soundId")
	s.thirdVideo = e.video(s.third, "third party video")
	s.comment = e.comment(s.subject, s.thirdVideo, "subject's comment")
	s.thirdTop = e.comment(s.third, s.thirdVideo, "third party comment")
	s.reply = e.replyID(s.subject, s.thirdVideo, s.thirdTop, "subject's reply")
	for _, f := range [][2]registered{{s.subject, s.third}, {s.third, s.subject}, {s.fan, s.subject}} {
		expect(e.t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", f[1].id), nil, f[0].token), 200, "")
	}
	return s
}

// listCase is a list (or a single read) where the scene's subject shows up: what to
// request and which of the scene's ids to look for. single: the read answers 404 when the
// thing is hidden from the viewer.
type listCase struct {
	name   string
	kind   tiktok.TargetType // what of the subject it shows
	path   func(s scene, n int) string
	single bool
}

func listCases() []listCase {
	return []listCase{
		{"chronological feed", tiktok.TargetVideo, func(s scene, _ int) string { return "/api/videos?limit=100" }, false},
		{"following feed", tiktok.TargetVideo, func(s scene, _ int) string { return "/api/videos/following?limit=100" }, false},
		{"for you", tiktok.TargetVideo, func(s scene, n int) string { return fmt.Sprintf("/api/videos/for-you?limit=%d", 40+n) }, false},
		{"hashtag page", tiktok.TargetVideo, func(s scene, _ int) string { return "/api/hashtags/" + s.tag + "/videos" }, false},
		{"sound page", tiktok.TargetVideo, func(s scene, _ int) string { return fmt.Sprintf("/api/sounds/%d/videos", s.sound) }, false},
		{"profile videos", tiktok.TargetVideo, func(s scene, _ int) string { return fmt.Sprintf("/api/users/%d/videos", s.subject.id) }, false},
		{"video search", tiktok.TargetVideo, func(s scene, _ int) string { return "/api/search?type=videos&q=" + s.word }, false},
		{"top search", tiktok.TargetVideo, func(s scene, _ int) string { return "/api/search?q=" + s.word }, false},
		{"video", tiktok.TargetVideo, func(s scene, _ int) string { return fmt.Sprintf("/api/videos/%d", s.video) }, true},
		{"comments of a video", tiktok.TargetComment, func(s scene, _ int) string { return fmt.Sprintf("/api/videos/%d/comments", s.thirdVideo) }, false},
		{"numbered comment page", tiktok.TargetComment, func(s scene, _ int) string { return fmt.Sprintf("/api/videos/%d/comments?page=1", s.thirdVideo) }, false},
		{"comment list", tiktok.TargetComment, func(s scene, _ int) string { return fmt.Sprintf("/api/comments?videoId=%d", s.thirdVideo) }, false},
		{"comment", tiktok.TargetComment, func(s scene, _ int) string { return fmt.Sprintf("/api/comments/%d", s.comment) }, true},
		{"user list", tiktok.TargetUser, func(s scene, _ int) string { return "/api/users?limit=100" }, false},
		{"user prefix search", tiktok.TargetUser, func(s scene, _ int) string { return "/api/users?q=" + s.subject.username }, false},
		{"user search", tiktok.TargetUser, func(s scene, _ int) string { return "/api/search?type=users&q=" + s.subject.username }, false},
		{"suggestions", tiktok.TargetUser, func(s scene, _ int) string { return "/api/search/suggest?q=" + s.subject.username }, false},
		{"followers", tiktok.TargetUser, func(s scene, _ int) string { return fmt.Sprintf("/api/users/%d/followers", s.third.id) }, false},
		{"following", tiktok.TargetUser, func(s scene, _ int) string { return fmt.Sprintf("/api/users/%d/following", s.third.id) }, false},
		{"profile", tiktok.TargetUser, func(s scene, _ int) string { return fmt.Sprintf("/api/users/%d", s.subject.id) }, true},
		// Block-only cases (TestModerationVisibility skips them): the subject's reply in a
		// third user's thread, and the subject's video in the viewer's own bookmarks.
		{"replies", tiktok.TargetComment, func(s scene, _ int) string { return fmt.Sprintf("/api/comments/%d/replies", s.thirdTop) }, false},
		{"bookmarks", tiktok.TargetVideo, func(s scene, _ int) string { return "/api/users/me/bookmarks?limit=100" }, false},
	}
}

// shows reports whether the answer to c (as the viewer with token) holds the scene's
// subject thing of c's kind, and returns that item.
func (s scene) shows(t *testing.T, e *env, c listCase, token string, n int) (bool, map[string]any) {
	t.Helper()
	if token == "" && (c.name == "following feed" || c.name == "bookmarks") {
		return false, nil // signed-in viewers only
	}
	res := e.request("GET", c.path(s, n), nil, token)
	want := map[tiktok.TargetType]int64{tiktok.TargetVideo: s.video, tiktok.TargetComment: s.comment, tiktok.TargetUser: s.subject.id}[c.kind]
	if c.name == "replies" {
		want = s.reply
	}
	if c.single {
		if res.status == 404 {
			return false, nil
		}
		expect(t, res, 200, "")
		return res.num("id") == want, res.body
	}
	if c.name == "profile videos" && res.status == 404 {
		return false, nil
	}
	expect(t, res, 200, "")
	var items []map[string]any
	switch {
	case c.name == "user list" || c.name == "user prefix search":
		items = res.list(t)
	case c.name == "suggestions":
		for _, it := range res.items("suggestions") {
			if it["type"] == "user" {
				items = append(items, it)
			}
		}
	default:
		key := map[tiktok.TargetType]string{tiktok.TargetVideo: "videos", tiktok.TargetComment: "comments", tiktok.TargetUser: "users"}[c.kind]
		if c.name == "followers" || c.name == "following" {
			key = c.name
		}
		items = res.items(key)
	}
	for _, it := range items {
		if id, _ := it["id"].(float64); int64(id) == want {
			return true, it
		}
	}
	return false, nil
}

// TestBlockVisibility: after a block, each side's videos, comments and profile are gone
// from every list and read of the other (both ways), and stay for everyone else.
func TestBlockVisibility(t *testing.T) {
	t.Parallel()
	for _, blockerSees := range []bool{true, false} {
		name := map[bool]string{true: "the blocker", false: "the blocked user"}[blockerSees]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			s := newScene(e, map[bool]string{true: "bvs", false: "bvd"}[blockerSees])
			viewer, bystander := e.register("viewer"), e.register("bystander")
			for _, u := range []registered{viewer, bystander} {
				expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", s.subject.id), nil, u.token), 200, "")
				expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/bookmark", s.video), nil, u.token), 200, "")
			}
			cases := listCases()
			for i, c := range cases {
				if ok, _ := s.shows(t, e, c, viewer.token, i); !ok {
					t.Fatalf("%s: the subject's %s is missing before any block", c.name, c.kind)
				}
			}
			blocker, blocked := viewer, s.subject
			if !blockerSees {
				blocker, blocked = s.subject, viewer
			}
			expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/block", blocked.id), nil, blocker.token), 200, "")
			for i, c := range cases {
				if ok, _ := s.shows(t, e, c, viewer.token, len(cases)+i); ok {
					t.Errorf("%s: %s still sees the subject's %s", c.name, name, c.kind)
				}
				if ok, _ := s.shows(t, e, c, bystander.token, 2*len(cases)+i); !ok {
					t.Errorf("%s: a bystander no longer sees the subject's %s", c.name, c.kind)
				}
			}
			// Neither side can act on the other's things: 404, as if they did not exist.
			for _, r := range []struct{ method, path string }{
				{"POST", fmt.Sprintf("/api/users/%d/follow", s.subject.id)},
				{"POST", fmt.Sprintf("/api/videos/%d/like", s.video)},
				{"DELETE", fmt.Sprintf("/api/videos/%d/like", s.video)},
				{"POST", fmt.Sprintf("/api/comments/%d/like", s.comment)},
				{"POST", fmt.Sprintf("/api/videos/%d/view", s.video)},
				{"GET", fmt.Sprintf("/api/users/%d/followers", s.subject.id)},
				{"PUT", fmt.Sprintf("/api/videos/%d", s.video)},
				{"DELETE", fmt.Sprintf("/api/comments/%d", s.comment)},
			} {
				var body any
				if r.method == "PUT" {
					body = map[string]string{"caption": "x"}
				}
				expect(t, e.request(r.method, r.path, body, viewer.token), 404, "not_found")
			}
			expect(t, e.request("POST", "/api/comments", map[string]any{"videoId": s.video, "content": "hi"}, viewer.token), 404, "not_found")
			expect(t, e.request("POST", "/api/reports", map[string]any{"targetType": "user", "targetId": s.subject.id, "reason": "spam"}, viewer.token), 404, "not_found")
			// And the subject cannot act on the viewer's things either.
			vv := e.video(viewer, "the viewer's video")
			expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/like", vv), nil, s.subject.token), 404, "not_found")
			expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", viewer.id), nil, s.subject.token), 404, "not_found")

			// Unblocking restores visibility (not the follows).
			expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d/block", blocked.id), nil, blocker.token), 200, "")
			for i, c := range cases {
				ok, _ := s.shows(t, e, c, viewer.token, 3*len(cases)+i)
				if c.name == "following feed" {
					ok = !ok // the follow is gone for good
				}
				if !ok {
					t.Errorf("%s: after unblocking, wrong visibility of the subject's %s", c.name, c.kind)
				}
			}
			checkCounters(t, e)
		})
	}
}

// TestModerationVisibility: a hidden video or comment is gone from every list for everyone
// but its owner, who sees it marked hidden with the reason; a suspended user's profile,
// videos and comments are gone for everyone.
func TestModerationVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := newScene(e, "modv")
	mod, bystander := e.register("mv_mod"), e.register("mv_bystander")
	if _, err := e.store.SetRoleByEmail(context.Background(), mod.email, tiktok.RoleModerator); err != nil {
		t.Fatal(err)
	}
	expect(t, e.request("POST", fmt.Sprintf("/api/admin/videos/%d/hide", s.video), map[string]string{"reason": "nudity"}, mod.token), 200, "")
	expect(t, e.request("POST", fmt.Sprintf("/api/admin/comments/%d/hide", s.comment), map[string]string{"reason": "insult"}, mod.token), 200, "")
	cases := listCases()
	n := 0
	for _, c := range cases {
		if c.kind == tiktok.TargetUser || c.name == "replies" || c.name == "bookmarks" {
			continue
		}
		for _, viewer := range []registered{{}, bystander, mod, s.third} {
			n++
			if ok, _ := s.shows(t, e, c, viewer.token, n); ok {
				t.Errorf("%s: %q sees the hidden %s", c.name, viewer.username, c.kind)
			}
		}
		if c.name == "following feed" || c.name == "user search" {
			continue // the subject does not follow themselves
		}
		n++
		ok, item := s.shows(t, e, c, s.subject.token, n)
		if c.name == "video search" || c.name == "top search" || c.name == "for you" {
			continue // one's own videos are not among one's search hits or For You
		}
		if !ok {
			t.Errorf("%s: the owner no longer sees their hidden %s", c.name, c.kind)
			continue
		}
		want := map[tiktok.TargetType]string{tiktok.TargetVideo: "nudity", tiktok.TargetComment: "insult"}[c.kind]
		if item["moderation"] != "hidden" || item["moderationReason"] != want {
			t.Errorf("%s: the owner's hidden %s shows moderation %v (%v)", c.name, c.kind, item["moderation"], item["moderationReason"])
		}
	}
	// Unhidden: back for everyone, with moderation null.
	expect(t, e.request("POST", fmt.Sprintf("/api/admin/videos/%d/unhide", s.video), map[string]string{"reason": "appeal"}, mod.token), 200, "")
	res := e.request("GET", fmt.Sprintf("/api/videos/%d", s.video), nil, s.subject.token)
	expect(t, res, 200, "")
	if res.get("moderation") != nil || res.get("moderationReason") != nil {
		t.Errorf("a visible video shows moderation: %s", res)
	}
	expect(t, e.request("GET", fmt.Sprintf("/api/videos/%d", s.video), nil, ""), 200, "")

	// Suspended: everything of the subject is gone for everyone else.
	expect(t, e.request("POST", fmt.Sprintf("/api/admin/users/%d/suspend", s.subject.id), map[string]string{"reason": "spam"}, mod.token), 200, "")
	expect(t, e.request("POST", fmt.Sprintf("/api/admin/comments/%d/unhide", s.comment), map[string]string{"reason": "ok"}, mod.token), 200, "")
	for _, c := range cases {
		for _, viewer := range []registered{{}, bystander, mod} {
			n++
			if ok, _ := s.shows(t, e, c, viewer.token, n); ok {
				t.Errorf("%s: %q sees the suspended user's %s", c.name, viewer.username, c.kind)
			}
		}
	}
	checkCounters(t, e)
}

// TestBlocks: the block routes are idempotent, refuse oneself and unknown users, remove
// the follows both ways with exact counts, and list one's blocks newest first, in pages.
func TestBlocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.register("blk_a"), e.register("blk_b")
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", b.id), nil, a.token), 200, "")
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", a.id), nil, b.token), 200, "")
	for range 2 {
		res := e.request("POST", fmt.Sprintf("/api/users/%d/block", b.id), nil, a.token)
		expect(t, res, 200, "")
		if res.get("isBlocked") != true {
			t.Fatalf("block: %s", res)
		}
	}
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/block", a.id), nil, a.token), 400, "cannot_block_self")
	expect(t, e.request("POST", "/api/users/999999/block", nil, a.token), 404, "not_found")
	expect(t, e.request("POST", "/api/users/x/block", nil, a.token), 400, "invalid_id")
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/block", b.id), nil, ""), 401, "token_missing")
	for _, u := range []registered{a, b} {
		res := e.request("GET", "/api/users/me", nil, u.token)
		if res.num("followerCount") != 0 || res.num("followingCount") != 0 {
			t.Errorf("%s still has follows after the block: %s", u.username, res)
		}
	}
	// The blocked user can still block back; then one unblock leaves the other block.
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/block", a.id), nil, b.token), 200, "")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d/block", b.id), nil, a.token), 200, "")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d/block", b.id), nil, a.token), 200, "")
	expect(t, e.request("GET", fmt.Sprintf("/api/users/%d", b.id), nil, a.token), 404, "not_found")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d/block", a.id), nil, b.token), 200, "")
	expect(t, e.request("GET", fmt.Sprintf("/api/users/%d", b.id), nil, a.token), 200, "")

	// The list: private, newest first, in pages.
	var blocked []int64
	for i := range 5 {
		u := e.register(fmt.Sprintf("blk_%d", i))
		expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/block", u.id), nil, a.token), 200, "")
		blocked = append([]int64{u.id}, blocked...)
	}
	var got []int64
	cursor := ""
	for pages := 0; ; pages++ {
		res := e.request("GET", "/api/users/me/blocks?limit=2&cursor="+url.QueryEscape(cursor), nil, a.token)
		expect(t, res, 200, "")
		for _, it := range res.items("blocks") {
			got = append(got, int64(it["id"].(float64)))
		}
		if res.get("pagination.hasNextPage") != true {
			break
		}
		cursor = res.str("pagination.nextCursor")
	}
	if !slices.Equal(got, blocked) {
		t.Errorf("blocks %v, want %v", got, blocked)
	}
	if res := e.request("GET", "/api/users/me/blocks", nil, b.token); len(res.items("blocks")) != 0 {
		t.Errorf("b's blocks: %s", res)
	}
	// A deleted account leaves no block behind, either way.
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/block", a.id), nil, b.token), 200, "")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", a.id), nil, a.token), 200, "")
	var left int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM blocks`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d blocks left after deleting the account (%v)", left, err)
	}
	checkCounters(t, e)
}

// TestReports: validation, one open report per reporter and target (the same report again
// is 200 with the open one), no reports of oneself, the queue grouped by target with
// counts, resolving, and the audit log.
func TestReports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, r1, r2, mod := e.register("rep_owner"), e.register("rep_r1"), e.register("rep_r2"), e.register("rep_mod")
	if _, err := e.store.SetRoleByEmail(context.Background(), mod.email, tiktok.RoleModerator); err != nil {
		t.Fatal(err)
	}
	v := e.video(owner, "reported video")
	c := e.comment(owner, v, "reported comment")
	report := func(u registered, typ string, id int64, reason string) response {
		return e.request("POST", "/api/reports", map[string]any{"targetType": typ, "targetId": id, "reason": reason, "details": "  see for yourself  "}, u.token)
	}
	res := report(r1, "video", v, "spam")
	expect(t, res, 201, "")
	if res.str("status") != "open" || res.str("details") != "see for yourself" || res.str("targetType") != "video" {
		t.Errorf("report: %s", res)
	}
	again := report(r1, "video", v, "hate")
	expect(t, again, 200, "")
	if again.num("id") != res.num("id") || again.str("reason") != "spam" {
		t.Errorf("the same report again: %s, want the open one %s", again, res)
	}
	expect(t, report(r2, "video", v, "violence"), 201, "")
	expect(t, report(r1, "comment", c, "harassment"), 201, "")
	expect(t, report(r1, "user", owner.id, "impersonation"), 201, "")
	expect(t, report(owner, "video", v, "spam"), 400, "cannot_report_self")
	expect(t, report(owner, "user", owner.id, "spam"), 400, "cannot_report_self")
	expect(t, report(r1, "video", 999999, "spam"), 404, "not_found")
	for _, bad := range []map[string]any{
		{"targetType": "song", "targetId": v, "reason": "spam"},
		{"targetType": "video", "targetId": 0, "reason": "spam"},
		{"targetType": "video", "reason": "spam"},
		{"targetType": "video", "targetId": v, "reason": "boring"},
		{"targetType": "video", "targetId": v},
		{"targetType": "video", "targetId": v, "reason": "other", "details": string(make([]byte, 1001))},
	} {
		expect(t, e.request("POST", "/api/reports", bad, r2.token), 400, "validation_failed")
	}

	// The queue: one entry per target, oldest first, with counts and the newest reports.
	expect(t, e.request("GET", "/api/admin/reports", nil, r1.token), 403, "forbidden")
	queue := func() []map[string]any {
		res := e.request("GET", "/api/admin/reports?limit=2", nil, mod.token)
		expect(t, res, 200, "")
		out := res.items("targets")
		for res.get("pagination.hasNextPage") == true {
			res = e.request("GET", "/api/admin/reports?limit=2&cursor="+url.QueryEscape(res.str("pagination.nextCursor")), nil, mod.token)
			expect(t, res, 200, "")
			out = append(out, res.items("targets")...)
		}
		return out
	}
	q := queue()
	var summary []string
	for _, g := range q {
		summary = append(summary, fmt.Sprintf("%v:%v:%v:%d", g["targetType"], g["openCount"], g["text"], len(g["latestReports"].([]any))))
	}
	want := []string{"video:2:reported video:2", "comment:1:reported comment:1", "user:1::1"}
	if !slices.Equal(summary, want) {
		t.Errorf("queue %q, want %q", summary, want)
	}
	if owner := q[0]["owner"].(map[string]any); owner["username"] != "rep_owner" {
		t.Errorf("queue entry owner: %v", owner)
	}

	// Resolving closes the target's open reports; reporting again opens a new one.
	resolve := map[string]any{"targetType": "video", "targetId": v, "resolution": "dismissed", "note": "fine"}
	res = e.request("POST", "/api/admin/reports/resolve", resolve, mod.token)
	expect(t, res, 200, "")
	if res.num("resolved") != 2 {
		t.Errorf("resolve: %s", res)
	}
	expect(t, e.request("POST", "/api/admin/reports/resolve", resolve, mod.token), 404, "not_found")
	expect(t, e.request("POST", "/api/admin/reports/resolve", map[string]any{"targetType": "video", "targetId": v, "resolution": "maybe"}, mod.token), 400, "validation_failed")
	if got := len(queue()); got != 2 {
		t.Errorf("queue after resolving: %d targets, want 2", got)
	}
	expect(t, report(r1, "video", v, "spam"), 201, "")

	res = e.request("GET", "/api/admin/audit", nil, mod.token)
	expect(t, res, 200, "")
	if entries := res.items("entries"); len(entries) == 0 || entries[0]["action"] != "resolve_reports" ||
		entries[0]["reason"] != "dismissed: fine" || entries[0]["actor"].(map[string]any)["username"] != "rep_mod" {
		t.Errorf("audit: %s", res)
	}
	// Deleting accounts takes their reports and the reports about their things along, and
	// the queue's counts follow.
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", r1.id), nil, r1.token), 200, "")
	checkCounters(t, e)
	if q := queue(); len(q) != 0 {
		t.Errorf("queue after the reporter left: %v", q)
	}
	expect(t, report(r2, "comment", c, "spam"), 201, "")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", owner.id), nil, owner.token), 200, "")
	if q := queue(); len(q) != 0 {
		t.Errorf("queue after the owner left: %v", q)
	}
	checkCounters(t, e)
}

// TestReportBurst: many identical reports at once create exactly one open report (the
// others answer 200 with it), and the queue counts one reporter.
func TestReportBurst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, r := e.register("burst_owner"), e.register("burst_reporter")
	v := e.video(owner, "burst")
	const n = 24
	statuses := make([]int, n)
	ids := make([]int64, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res := e.request("POST", "/api/reports", map[string]any{"targetType": "video", "targetId": v, "reason": "spam"}, r.token)
			statuses[i], ids[i] = res.status, res.num("id")
		}()
	}
	close(start)
	wg.Wait()
	created := 0
	for i, s := range statuses {
		switch {
		case s == 201:
			created++
		case s != 200:
			t.Errorf("report %d: status %d", i, s)
		}
		if ids[i] != ids[0] {
			t.Errorf("report %d is %d, report 0 is %d", i, ids[i], ids[0])
		}
	}
	if created != 1 {
		t.Errorf("%d reports created, want 1", created)
	}
	var rows, open int64
	if err := e.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM reports), (SELECT open_count FROM report_targets WHERE target_type = 'video' AND target_id = $1)`, v).Scan(&rows, &open); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || open != 1 {
		t.Errorf("%d report rows, open count %d; want 1 and 1", rows, open)
	}
	checkCounters(t, e)
}

// TestReportAutoHide: with REPORT_AUTO_HIDE_THRESHOLD=3, the third user reporting a video
// (three at once, too) hides it pending review, audited as a system action; off by
// default.
func TestReportAutoHide(t *testing.T) {
	t.Parallel()
	for _, threshold := range []int{0, 3} {
		t.Run(fmt.Sprint(threshold), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(d *httpapi.Deps) { d.Config.ReportAutoHideThreshold = threshold })
			owner, mod := e.register("ah_owner"), e.register("ah_mod")
			if _, err := e.store.SetRoleByEmail(context.Background(), mod.email, tiktok.RoleModerator); err != nil {
				t.Fatal(err)
			}
			v := e.video(owner, "auto hide")
			var reporters []registered
			for i := range 5 {
				reporters = append(reporters, e.register(fmt.Sprintf("ah_r%d", i)))
			}
			report := func(u registered, hiddenOK bool) {
				res := e.request("POST", "/api/reports", map[string]any{"targetType": "video", "targetId": v, "reason": "spam"}, u.token)
				if res.status != 201 && res.status != 200 && (!hiddenOK || res.status != 404) {
					t.Errorf("report: %s", res)
				}
			}
			report(reporters[0], false)
			report(reporters[0], false) // the same user twice counts once
			report(reporters[1], false)
			expect(t, e.request("GET", fmt.Sprintf("/api/videos/%d", v), nil, ""), 200, "")
			var wg sync.WaitGroup
			for _, u := range reporters[2:] { // the third, fourth and fifth at once
				wg.Add(1)
				// a report that comes after the third finds the video hidden: 404
				go func() { defer wg.Done(); report(u, threshold > 0) }()
			}
			wg.Wait()
			res := e.request("GET", fmt.Sprintf("/api/videos/%d", v), nil, "")
			if threshold == 0 {
				expect(t, res, 200, "")
				return
			}
			expect(t, res, 404, "not_found")
			own := e.request("GET", fmt.Sprintf("/api/videos/%d", v), nil, owner.token)
			expect(t, own, 200, "")
			if own.str("moderation") != "hidden" || own.str("moderationReason") != "Hidden automatically pending review: reported by 3 users" {
				t.Errorf("the owner's view: %s", own)
			}
			audit := e.request("GET", "/api/admin/audit", nil, mod.token)
			var system int
			for _, it := range audit.items("entries") {
				if it["source"] == "system" && it["action"] == "hide_video" && it["actor"] == nil {
					system++
				}
			}
			if system != 1 {
				t.Errorf("%d system hides in the audit log, want 1: %s", system, audit)
			}
			// A moderator shows it again: more reports on the same batch do not hide it again.
			expect(t, e.request("POST", fmt.Sprintf("/api/admin/videos/%d/unhide", v), map[string]string{"reason": "reviewed"}, mod.token), 200, "")
			report(e.register("ah_late"), false)
			expect(t, e.request("GET", fmt.Sprintf("/api/videos/%d", v), nil, ""), 200, "")
			checkCounters(t, e)
		})
	}
}
