package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/config"
)

// exportSections are the export's sections of rows, each with the SQL that lists the ids a
// user's section must hold (as text: a share is "video/day") and the key that holds the id
// in an item.
var exportSections = []struct{ name, sql, key string }{
	{"videos", `SELECT id::text FROM videos WHERE user_id = $1`, "id"},
	{"comments", `SELECT id::text FROM comments WHERE user_id = $1`, "id"},
	{"videoLikes", `SELECT video_id::text FROM video_likes WHERE user_id = $1`, "videoId"},
	{"commentLikes", `SELECT comment_id::text FROM comment_likes WHERE user_id = $1`, "commentId"},
	{"following", `SELECT following_id::text FROM follows WHERE follower_id = $1`, "userId"},
	{"followers", `SELECT follower_id::text FROM follows WHERE following_id = $1`, "userId"},
	{"bookmarks", `SELECT video_id::text FROM video_bookmarks WHERE user_id = $1`, "videoId"},
	{"shares", `SELECT video_id::text || '/' || day::text FROM video_shares WHERE user_id = $1`, "videoId/day"},
	{"impressions", `SELECT video_id::text FROM video_impressions WHERE user_id = $1`, "videoId"},
	{"notInterested", `SELECT video_id::text FROM video_feedback WHERE user_id = $1`, "videoId"},
	{"hiddenCreators", `SELECT creator_id::text FROM hidden_creators WHERE user_id = $1`, "userId"},
	{"blocks", `SELECT blocked_id::text FROM blocks WHERE blocker_id = $1`, "userId"},
	{"notifications", `SELECT id::text FROM notifications WHERE recipient_id = $1`, "id"},
	{"mentions", `SELECT id::text FROM mentions WHERE mentioned_id = $1`, "id"},
	{"reports", `SELECT id::text FROM reports WHERE reporter_id = $1`, "id"},
	{"creatorInterests", `SELECT creator_id::text FROM creator_interests WHERE user_id = $1`, "userId"},
	{"hashtagInterests", `SELECT hashtag_id::text FROM hashtag_interests WHERE user_id = $1`, "hashtagId"},
}

// TestExportHoldsExactlyTheCallersRows gives two users something in every table, the
// first more than one batch of some, and checks that each section of the first one's
// export lists exactly that user's rows, none twice, and none of the other's.
func TestExportHoldsExactlyTheCallersRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	u, o, p := e.register("exporter"), e.register("other"), e.register("creator")
	pv := make([]int64, 4)
	for i, tag := range []string{"alpha", "beta", "gamma", "delta"} {
		pv[i] = e.video(p, "a video #"+tag)
	}
	uv, ov := e.video(u, "mine #mine"), e.video(o, "theirs #theirs")
	uc, oc := e.comment(u, pv[0], "from u"), e.comment(o, pv[1], "from o")
	do := func(method, path string, body any, who registered, status int) {
		t.Helper()
		expect(t, e.request(method, path, body, who.token), status, "")
	}
	for _, a := range []struct {
		who, other     registered
		liked, like2   int64
		comment        int64
		bookmark, skip int64
		hide           registered
	}{
		{u, o, pv[0], ov, oc, pv[2], pv[3], o},
		{o, u, pv[1], uv, uc, pv[3], pv[2], p},
	} {
		do("POST", fmt.Sprintf("/api/videos/%d/like", a.liked), nil, a.who, 200)
		do("POST", fmt.Sprintf("/api/videos/%d/like", a.like2), nil, a.who, 200)
		do("POST", fmt.Sprintf("/api/comments/%d/like", a.comment), nil, a.who, 200)
		do("POST", fmt.Sprintf("/api/users/%d/follow", p.id), nil, a.who, 200)
		do("POST", fmt.Sprintf("/api/users/%d/follow", a.other.id), nil, a.who, 200)
		do("POST", bookmarkPath(a.bookmark), nil, a.who, 200)
		do("POST", sharePath(a.bookmark), map[string]string{"channel": "link"}, a.who, 200)
		do("POST", fmt.Sprintf("/api/videos/%d/view", a.liked), nil, a.who, 204)
		do("POST", fmt.Sprintf("/api/videos/%d/not-interested", a.skip), nil, a.who, 204)
		do("POST", fmt.Sprintf("/api/users/%d/hide", a.hide.id), nil, a.who, 204)
		do("POST", fmt.Sprintf("/api/users/%d/block", e.register(fmt.Sprintf("exp_blocked%d", a.who.id)).id), nil, a.who, 200)
		e.comment(a.who, a.bookmark, "hello @"+a.other.username)
		do("POST", "/api/reports", map[string]any{"targetType": "video", "targetId": a.skip, "reason": "spam"}, a.who, 201)
		do("POST", "/api/reports", map[string]any{"targetType": "user", "targetId": a.hide.id, "reason": "other", "details": "why"}, a.who, 201)
	}
	do("POST", fmt.Sprintf("/api/users/%d/follow", u.id), nil, p, 200)
	// More than a batch (500) of videos, many posted at the same instant, and of
	// impressions; a share of yesterday besides today's.
	if _, err := e.pool.Exec(ctx, `
		INSERT INTO videos (user_id, caption, video_url, created_at)
		SELECT $1, 'bulk', 'https://cdn.example.com/b.mp4', now() - (g % 5) * interval '1 second' FROM generate_series(1, 600) g`, u.id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `
		WITH v AS (INSERT INTO videos (user_id, caption, video_url)
		           SELECT $2, 'seen', 'https://cdn.example.com/s.mp4' FROM generate_series(1, 700) RETURNING id)
		INSERT INTO video_impressions (user_id, video_id) SELECT $1, id FROM v`, u.id, p.id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `
		INSERT INTO video_shares (user_id, video_id, channel, created_at, day)
		SELECT $1, $2, 'copy', t, (t AT TIME ZONE 'UTC')::date FROM (SELECT now() - interval '1 day' AS t) y`, u.id, pv[2]); err != nil {
		t.Fatal(err)
	}
	// One of the caller's reports resolved: the export says how.
	if _, err := e.pool.Exec(ctx, `
		UPDATE reports SET status = 'resolved', resolution = 'dismissed', resolved_at = now()
		WHERE reporter_id = $1 AND target_type = 'user'`, u.id); err != nil {
		t.Fatal(err)
	}

	res := e.request("GET", "/api/users/me/export", nil, u.token)
	expect(t, res, http.StatusOK, "")
	if res.body == nil {
		t.Fatalf("the export is not one JSON object: %.300s", res.raw)
	}
	if cd := res.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="`) || !strings.HasSuffix(cd, `.json"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	if res.str("profile.email") != u.email || res.num("profile.id") != u.id || res.str("exportedAt") == "" {
		t.Errorf("profile: %v", res.get("profile"))
	}
	ids := func(sql string, user int64) []string {
		t.Helper()
		rows, _ := e.pool.Query(ctx, sql, user)
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(out)
		return out
	}
	for _, s := range exportSections {
		var got []string
		for _, item := range res.items(s.name) {
			var parts []string
			for _, k := range strings.Split(s.key, "/") {
				if f, ok := item[k].(float64); ok {
					parts = append(parts, strconv.FormatInt(int64(f), 10))
				} else {
					parts = append(parts, fmt.Sprint(item[k]))
				}
			}
			got = append(got, strings.Join(parts, "/"))
		}
		if _, ok := res.body[s.name].([]any); !ok {
			t.Errorf("section %s missing", s.name)
			continue
		}
		slices.Sort(got)
		want, others := ids(s.sql, u.id), ids(s.sql, o.id)
		if len(want) == 0 || !slices.ContainsFunc(others, func(id string) bool { return !slices.Contains(want, id) }) {
			t.Errorf("%s: the test gives the caller %d rows and the other user none of their own; it proves nothing", s.name, len(want))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d rows %.200v, want the caller's %d %.200v", s.name, len(got), got, len(want), want)
		}
	}
	if n := len(res.items("videos")); n != 601 {
		t.Errorf("%d videos exported, want 601", n)
	}
	if n := len(res.items("impressions")); n != 701 {
		t.Errorf("%d impressions exported, want 701", n)
	}
	for _, r := range res.items("reports") {
		resolution, _ := r["resolution"].(map[string]any)
		switch {
		case r["targetType"] == "user" && (resolution == nil || resolution["outcome"] != "dismissed" || resolution["resolvedAt"] == nil):
			t.Errorf("the resolved report: %v", r)
		case r["targetType"] == "video" && r["resolution"] != nil:
			t.Errorf("an open report has a resolution: %v", r)
		}
	}
	kinds := map[any]bool{}
	for _, n := range res.items("notifications") {
		kinds[n["kind"]] = true
	}
	for _, k := range []string{"video_like", "comment_like", "follow", "mention"} {
		if !kinds[k] {
			t.Errorf("no %s notification exported: %v", k, res.items("notifications"))
		}
	}
	if n := len(res.items("shares")); n != 2 {
		t.Errorf("%d shares exported, want 2", n)
	}

	expect(t, e.request("GET", "/api/users/me/export", nil, ""), http.StatusUnauthorized, "token_missing")
}

func TestExportRateLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLimits(config.Limits{ExportsPerUser: 2}))
	u, o := e.register("exporter"), e.register("other")
	for range 2 {
		expect(t, e.request("GET", "/api/users/me/export", nil, u.token), http.StatusOK, "")
	}
	expectLimited(t, e.request("GET", "/api/users/me/export", nil, u.token))
	expect(t, e.request("GET", "/api/users/me/export", nil, o.token), http.StatusOK, "")
}

// TestDeleteUserWithBookmarksAndShares: deleting an account takes its bookmarks and shares
// off other users' videos, and its videos' bookmarks and shares with them.
func TestDeleteUserWithBookmarksAndShares(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gone, stays := e.register("leaver"), e.register("stayer")
	theirs, mine := e.video(stays, "theirs"), e.video(gone, "mine")
	for _, a := range []struct {
		who   registered
		video int64
	}{{gone, theirs}, {stays, mine}, {stays, theirs}} {
		expect(t, e.request("POST", bookmarkPath(a.video), nil, a.who.token), http.StatusOK, "")
		expect(t, e.request("POST", sharePath(a.video), map[string]string{"channel": "copy"}, a.who.token), http.StatusOK, "")
	}
	if got := e.videoField(theirs, "", "shareCount"); got != 2.0 {
		t.Fatalf("shareCount %v, want 2", got)
	}
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", gone.id), nil, gone.token), http.StatusOK, "")
	res := e.request("GET", fmt.Sprintf("/api/videos/%d", theirs), nil, stays.token)
	if res.num("shareCount") != 1 || res.num("bookmarkCount") != 1 || res.get("isBookmarked") != true {
		t.Fatalf("after the sharer's account was deleted: %s", res)
	}
	if res := e.request("GET", "/api/users/me/bookmarks", nil, stays.token); len(res.items("videos")) != 1 {
		t.Fatalf("bookmarks after the bookmarked video's owner left: %s", res)
	}
	checkCounters(t, e)
}

// TestExportFailure: a section that fails while nothing was sent yet makes an ordinary
// error answer; once the download has started, the connection is cut, so the client sees a
// failed download, never a document that parses.
func TestExportFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("exporter")
	e.video(u, "something to export first")
	if _, err := e.pool.Exec(context.Background(), `ALTER TABLE hashtag_interests RENAME TO hashtag_interests_gone`); err != nil {
		t.Fatal(err)
	}
	res := e.request("GET", "/api/users/me/export", nil, u.token)
	expect(t, res, http.StatusServiceUnavailable, "unavailable") // a missing table reads as a schema not migrated yet
	if res.header.Get("Content-Disposition") != "" {
		t.Errorf("an error answer offered as a download: %q", res.header.Get("Content-Disposition"))
	}

	// More than the 64 KiB buffer before the failing section: the download has started.
	if _, err := e.pool.Exec(context.Background(), `
		INSERT INTO videos (user_id, caption, video_url) SELECT $1, 'bulk', 'https://cdn.example.com/b.mp4' FROM generate_series(1, 300)`, u.id); err != nil {
		t.Fatal(err)
	}
	raw, err := e.api.Do("GET", "/api/users/me/export", nil, u.token)
	if err == nil {
		t.Fatalf("the export of a failing section ended normally: %d %.300s", raw.Status, raw.Raw)
	}
}
