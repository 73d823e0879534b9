package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
)

// reply posts u's reply to parent on video and returns the answer.
func (e *env) reply(u registered, video, parent int64, content string) response {
	e.t.Helper()
	return e.request("POST", "/api/comments", map[string]any{"videoId": video, "parentId": parent, "content": content}, u.token)
}

// replyID posts a reply that must succeed and returns its id.
func (e *env) replyID(u registered, video, parent int64, content string) int64 {
	e.t.Helper()
	res := e.reply(u, video, parent, content)
	expect(e.t, res, 201, "")
	return res.num("id")
}

// ids returns the ids of the objects at key.
func (r response) ids(key string) []int64 {
	var out []int64
	for _, it := range r.items(key) {
		out = append(out, int64(it["id"].(float64)))
	}
	return out
}

// span is a mention as the API returns it.
type span struct {
	UserID     int64
	Username   string
	Start, End int
}

// spans decodes the mentions array of obj (a video or a comment).
func spans(t *testing.T, obj any) []span {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Fatalf("not an object: %v", obj)
	}
	arr, ok := m["mentions"].([]any)
	if !ok {
		t.Fatalf("mentions is not an array: %v", m["mentions"])
	}
	out := []span{}
	for _, a := range arr {
		s := a.(map[string]any)
		out = append(out, span{int64(s["userId"].(float64)), s["username"].(string), int(s["start"].(float64)), int(s["end"].(float64))})
	}
	return out
}

// cp returns the code point offset of the first sub in s.
func cp(t *testing.T, s, sub string) int {
	t.Helper()
	i := strings.Index(s, sub)
	if i < 0 {
		t.Fatalf("%q not in %q", sub, s)
	}
	return utf8.RuneCountInString(s[:i])
}

// checkThreads checks what the thread rules promise beyond the counters: every tombstone
// has replies, every reply's parent is a top-level comment on the same video, and no
// tombstone has likes or mentions.
func checkThreads(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	var bare, nested, crossVideo, tombLikes, tombMentions int
	err := pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM comments WHERE deleted_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = comments.id)),
		(SELECT count(*) FROM comments r JOIN comments p ON p.id = r.parent_id WHERE p.parent_id IS NOT NULL),
		(SELECT count(*) FROM comments r JOIN comments p ON p.id = r.parent_id WHERE p.video_id <> r.video_id),
		(SELECT count(*) FROM comment_likes l JOIN comments c ON c.id = l.comment_id WHERE c.deleted_at IS NOT NULL),
		(SELECT count(*) FROM mentions m JOIN comments c ON c.id = m.comment_id WHERE c.deleted_at IS NOT NULL)`).
		Scan(&bare, &nested, &crossVideo, &tombLikes, &tombMentions)
	if err != nil {
		t.Fatal(err)
	}
	if bare+nested+crossVideo+tombLikes+tombMentions != 0 {
		t.Errorf("%d tombstones without replies, %d replies to replies, %d replies on another video than their parent, %d likes and %d mentions of tombstones",
			bare, nested, crossVideo, tombLikes, tombMentions)
	}
}

// TestReplies: replies attach to the top-level comment, a reply to a reply mentions the
// author answered, counts follow, top-level lists leave replies out, bad input is refused.
func TestReplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, alice, bob, carol := e.register("owner"), e.register("alice"), e.register("bob"), e.register("carol")
	video, other := e.video(owner, "threads"), e.video(owner, "elsewhere")
	top := e.comment(alice, video, "top comment")

	r1 := e.reply(bob, video, top, "direct reply")
	expect(t, r1, 201, "")
	if r1.num("parentId") != top || r1.str("content") != "direct reply" || len(spans(t, r1.body)) != 0 || r1.get("deleted") != false || r1.num("replyCount") != 0 {
		t.Fatalf("direct reply: %s", r1.raw)
	}
	// A reply to a reply joins the top-level comment and mentions the author answered.
	r2 := e.reply(carol, video, r1.num("id"), "  hello there ")
	expect(t, r2, 201, "")
	if r2.num("parentId") != top || r2.str("content") != "@bob hello there" {
		t.Fatalf("reply to reply: %s", r2.raw)
	}
	if got := spans(t, r2.body); !slices.Equal(got, []span{{bob.id, "bob", 0, 4}}) {
		t.Fatalf("reply to reply mentions %v", got)
	}
	// Content that already mentions the author (any case, anywhere) is kept as written; a
	// reply to one's own reply mentions nobody; parentId may be a numeric string.
	r3 := e.reply(bob, video, r2.num("id"), "thanks @CAROL!")
	if r3.str("content") != "thanks @CAROL!" || !slices.Equal(spans(t, r3.body), []span{{carol.id, "carol", 7, 13}}) {
		t.Fatalf("reply already mentioning: %s", r3.raw)
	}
	r4 := e.request("POST", "/api/comments", map[string]any{"videoId": fmt.Sprint(video), "parentId": fmt.Sprint(r3.num("id")), "content": "me again"}, bob.token)
	expect(t, r4, 201, "")
	if r4.num("parentId") != top || r4.str("content") != "me again" {
		t.Fatalf("reply to own reply: %s", r4.raw)
	}
	nul := e.request("POST", "/api/comments", map[string]any{"videoId": video, "parentId": nil, "content": "second thread"}, carol.token)
	expect(t, nul, 201, "")
	if nul.get("parentId") != nil {
		t.Fatalf("parentId null: %s", nul.raw)
	}
	second := nul.num("id")

	if res := e.request("GET", fmt.Sprintf("/api/comments/%d", top), nil, ""); res.num("replyCount") != 4 || res.get("parentId") != nil {
		t.Fatalf("top after 4 replies: %s", res.raw)
	}
	// Top-level lists: the two threads only; counts include the replies.
	for _, path := range []string{"/api/videos/%d/comments", "/api/comments?videoId=%d", "/api/videos/%d/comments?page=1&limit=20"} {
		res := e.request("GET", fmt.Sprintf(path, video), nil, "")
		expect(t, res, 200, "")
		if got := res.ids("comments"); !slices.Equal(got, []int64{second, top}) {
			t.Fatalf("%s lists %v, want [%d %d]: %s", path, got, second, top, res.raw)
		}
	}
	paged := e.request("GET", fmt.Sprintf("/api/videos/%d/comments?page=1&limit=1", video), nil, "")
	if paged.num("totalComments") != 6 || paged.num("totalPages") != 2 || paged.get("pagination.hasNextPage") != true {
		t.Fatalf("page mode counts: %s", paged.raw)
	}
	if v := e.request("GET", fmt.Sprintf("/api/videos/%d", video), nil, ""); v.num("commentCount") != 6 {
		t.Fatalf("video commentCount: %s", v.raw)
	}
	replies := e.request("GET", fmt.Sprintf("/api/comments/%d/replies", top), nil, "")
	if got := replies.ids("comments"); !slices.Equal(got, []int64{r1.num("id"), r2.num("id"), r3.num("id"), r4.num("id")}) {
		t.Fatalf("replies oldest first: %v", got)
	}

	// Bad input answers clear errors.
	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
		field  string
	}{
		{"parentId not a number", map[string]any{"videoId": video, "parentId": "abc", "content": "x"}, 400, "validation_failed", "parentId"},
		{"parentId zero", map[string]any{"videoId": video, "parentId": 0, "content": "x"}, 400, "validation_failed", "parentId"},
		{"parentId negative", map[string]any{"videoId": video, "parentId": -5, "content": "x"}, 400, "validation_failed", "parentId"},
		{"parentId fractional", map[string]any{"videoId": video, "parentId": 1.5, "content": "x"}, 400, "validation_failed", "parentId"},
		{"parentId object", map[string]any{"videoId": video, "parentId": map[string]any{}, "content": "x"}, 400, "validation_failed", "parentId"},
		{"parent on another video", map[string]any{"videoId": other, "parentId": top, "content": "x"}, 400, "validation_failed", "parentId"},
		{"unknown parent", map[string]any{"videoId": video, "parentId": 999999, "content": "x"}, 404, "not_found", ""},
		{"unknown video and parent", map[string]any{"videoId": 999999, "parentId": 999999, "content": "x"}, 404, "not_found", ""},
		{"empty content", map[string]any{"videoId": video, "parentId": top, "content": " "}, 400, "validation_failed", "content"},
		// the mention added to a reply to a reply counts toward the 1000 characters
		{"too long with the mention", map[string]any{"videoId": video, "parentId": r1.num("id"), "content": strings.Repeat("é", 1000)}, 400, "validation_failed", "content"},
	} {
		res := e.request("POST", "/api/comments", tc.body, alice.token)
		expect(t, res, tc.status, tc.code)
		if tc.field != "" && res.str("fields."+tc.field) == "" {
			t.Errorf("%s: no fields.%s: %s", tc.name, tc.field, res.raw)
		}
	}
	if res := e.reply(alice, video, r1.num("id"), strings.Repeat("é", 995)); res.status != 201 || utf8.RuneCountInString(res.str("content")) != 1000 {
		t.Fatalf("995 characters and the mention: %s", res)
	}
	// A deleted parent: gone outright, or a tombstone.
	gone := e.comment(alice, video, "to delete")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/comments/%d", gone), nil, alice.token), 200, "")
	expect(t, e.reply(bob, video, gone, "late"), 404, "not_found")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/comments/%d", top), nil, alice.token), 200, "")
	res := e.reply(bob, video, top, "late")
	expect(t, res, 404, "not_found")
	if !strings.Contains(res.str("message"), "deleted") {
		t.Errorf("reply to a tombstone: %s", res.raw)
	}
	checkCounters(t, e)
	checkThreads(t, e.pool)
}

// TestReplyPages: GET /api/comments/{id}/replies pages oldest first by keyset, with the
// viewer's likes, and refuses bad input.
func TestReplyPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob := e.register("alice"), e.register("bob")
	video := e.video(alice, "paging")
	top := e.comment(alice, video, "top")
	var want []int64
	for i := range 7 {
		want = append(want, e.replyID(bob, video, top, fmt.Sprint("reply ", i)))
	}
	// Equal timestamps are ordered by id.
	e.exec(`UPDATE comments SET created_at = (SELECT created_at FROM comments WHERE id = $1) WHERE id = ANY($2)`, want[2], want[2:5])
	expect(t, e.request("POST", fmt.Sprintf("/api/comments/%d/like", want[3]), nil, alice.token), 200, "")

	var got []int64
	cursor := ""
	for pages := 0; ; pages++ {
		res := e.request("GET", fmt.Sprintf("/api/comments/%d/replies?limit=2&cursor=%s", top, cursor), nil, alice.token)
		expect(t, res, 200, "")
		for _, c := range res.items("comments") {
			id := int64(c["id"].(float64))
			got = append(got, id)
			if (c["isLiked"] == true) != (id == want[3]) {
				t.Errorf("reply %d isLiked %v", id, c["isLiked"])
			}
		}
		if res.get("pagination.hasNextPage") != true {
			if res.get("pagination.nextCursor") != nil {
				t.Fatalf("last page with a cursor: %s", res.raw)
			}
			break
		}
		if len(res.items("comments")) != 2 || pages > 10 {
			t.Fatalf("page %d: %s", pages, res.raw)
		}
		cursor = res.str("pagination.nextCursor")
	}
	if !slices.Equal(got, want) {
		t.Fatalf("walked %v, want %v", got, want)
	}
	if res := e.request("GET", fmt.Sprintf("/api/comments/%d/replies", top), nil, ""); len(res.items("comments")) != 7 || res.items("comments")[3]["isLiked"] != false {
		t.Fatalf("default limit, anonymous: %s", res.raw)
	}
	if res := e.request("GET", fmt.Sprintf("/api/comments/%d/replies?limit=500", top), nil, ""); len(res.items("comments")) != 7 {
		t.Fatalf("limit capped: %s", res.raw)
	}
	// A reply has no replies; unknown and malformed ids, cursors and limits are refused.
	if res := e.request("GET", fmt.Sprintf("/api/comments/%d/replies", want[0]), nil, ""); res.status != 200 || len(res.items("comments")) != 0 {
		t.Fatalf("replies of a reply: %s", res)
	}
	expect(t, e.request("GET", "/api/comments/999999/replies", nil, ""), 404, "not_found")
	expect(t, e.request("GET", "/api/comments/abc/replies", nil, ""), 400, "invalid_id")
	expect(t, e.request("GET", fmt.Sprintf("/api/comments/%d/replies?cursor=nope", top), nil, ""), 400, "invalid_cursor")
	expect(t, e.request("GET", fmt.Sprintf("/api/comments/%d/replies?limit=0", top), nil, ""), 400, "invalid_limit")
	expect(t, e.request("POST", fmt.Sprintf("/api/comments/%d/replies", top), nil, alice.token), 405, "method_not_allowed")
}

// TestTombstones: deleting a comment with replies keeps a tombstone until its last reply
// goes; counts stay exact.
func TestTombstones(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, alice, bob, carol := e.register("owner"), e.register("alice"), e.register("bob"), e.register("carol")
	video := e.video(owner, "tombstones")
	top := e.comment(alice, video, "hi @bob")
	r1 := e.replyID(bob, video, top, "reply one")
	expect(t, e.request("POST", fmt.Sprintf("/api/comments/%d/like", top), nil, carol.token), 200, "")

	expect(t, e.request("DELETE", fmt.Sprintf("/api/comments/%d", top), nil, alice.token), 200, "")
	tomb := e.request("GET", fmt.Sprintf("/api/comments/%d", top), nil, carol.token)
	expect(t, tomb, 200, "")
	if tomb.get("deleted") != true || tomb.get("userId") != nil || tomb.num("user.id") != 0 || tomb.str("user.username") != "[deleted]" || tomb.str("content") != "Comment deleted" ||
		tomb.num("likeCount") != 0 || tomb.get("isLiked") != false || tomb.num("replyCount") != 1 || len(spans(t, tomb.body)) != 0 || tomb.num("video.id") != video {
		t.Fatalf("tombstone: %s", tomb.raw)
	}
	if res := e.request("GET", fmt.Sprintf("/api/videos/%d/comments", video), nil, ""); !slices.Equal(res.ids("comments"), []int64{top}) || res.num("totalComments") != 1 || res.num("totalPages") != 1 {
		t.Fatalf("list with a tombstone: %s", res.raw)
	}
	if res := e.request("GET", fmt.Sprintf("/api/comments/%d/replies", top), nil, ""); !slices.Equal(res.ids("comments"), []int64{r1}) {
		t.Fatalf("replies of a tombstone: %s", res.raw)
	}
	// A tombstone cannot be edited, deleted, liked or answered; its thread can.
	path := fmt.Sprintf("/api/comments/%d", top)
	expect(t, e.request("PUT", path, map[string]any{"content": "back"}, alice.token), 404, "not_found")
	expect(t, e.request("DELETE", path, nil, alice.token), 404, "not_found")
	expect(t, e.request("DELETE", path, nil, owner.token), 404, "not_found")
	expect(t, e.request("POST", path+"/like", nil, carol.token), 404, "not_found")
	expect(t, e.request("DELETE", path+"/like", nil, carol.token), 404, "not_found")
	expect(t, e.reply(carol, video, top, "to the tombstone"), 404, "not_found")
	r2 := e.reply(carol, video, r1, "to a reply under the tombstone")
	expect(t, r2, 201, "")
	if r2.num("parentId") != top || r2.str("content") != "@bob to a reply under the tombstone" {
		t.Fatalf("reply under a tombstone: %s", r2.raw)
	}
	checkCounters(t, e)
	checkThreads(t, e.pool)

	// The last reply takes the tombstone with it (the video owner may delete replies too).
	expect(t, e.request("DELETE", fmt.Sprintf("/api/comments/%d", r1), nil, bob.token), 200, "")
	if res := e.request("GET", path, nil, ""); res.status != 200 || res.num("replyCount") != 1 {
		t.Fatalf("tombstone with one reply left: %s", res)
	}
	expect(t, e.request("DELETE", fmt.Sprintf("/api/comments/%d", r2.num("id")), nil, owner.token), 200, "")
	expect(t, e.request("GET", path, nil, ""), 404, "not_found")
	if v := e.request("GET", fmt.Sprintf("/api/videos/%d", video), nil, ""); v.num("commentCount") != 0 {
		t.Fatalf("commentCount: %s", v.raw)
	}
	if res := e.request("GET", fmt.Sprintf("/api/videos/%d/comments?page=1", video), nil, ""); len(res.items("comments")) != 0 || res.num("totalPages") != 0 {
		t.Fatalf("list after the thread went: %s", res.raw)
	}

	// The video's owner deleting someone's comment with replies leaves a tombstone too; a
	// comment without replies goes at once; deleting the video takes every thread.
	t2 := e.comment(alice, video, "second")
	e.replyID(bob, video, t2, "r")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/comments/%d", t2), nil, owner.token), 200, "")
	if res := e.request("GET", fmt.Sprintf("/api/comments/%d", t2), nil, ""); res.get("deleted") != true {
		t.Fatalf("owner's delete: %s", res.raw)
	}
	lone := e.comment(alice, video, "lonely")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/comments/%d", lone), nil, alice.token), 200, "")
	expect(t, e.request("GET", fmt.Sprintf("/api/comments/%d", lone), nil, ""), 404, "not_found")
	t3 := e.comment(carol, video, "third")
	e.replyID(alice, video, t3, "r")
	checkCounters(t, e)
	checkThreads(t, e.pool)
	expect(t, e.request("DELETE", fmt.Sprintf("/api/videos/%d", video), nil, owner.token), 200, "")
	checkCounters(t, e)
	var left int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM comments WHERE video_id = $1`, video).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d comments left on the deleted video (%v)", left, err)
	}
}

// TestAccountDeletionKeepsOthersReplies: a deleted account's comments that others replied
// to become tombstones, the rest of its comments and replies go, counts stay exact.
func TestAccountDeletionKeepsOthersReplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, alice, bob, carol := e.register("owner"), e.register("alice"), e.register("bob"), e.register("carol")
	video := e.video(owner, "accounts")

	answered := e.comment(alice, video, "alice asks")           // bob replies: a tombstone stays
	bobsReply := e.replyID(bob, video, answered, "bob answers") // kept
	e.replyID(alice, video, answered, "alice again")            // goes
	alone := e.comment(alice, video, "nobody answers")          // goes
	bobs := e.comment(bob, video, "bob's thread")
	e.replyID(alice, video, bobs, "alice replies") // goes: bob's replyCount 0
	onlyAlice := e.comment(carol, video, "carol's")
	e.replyID(alice, video, onlyAlice, "alice only")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/comments/%d", onlyAlice), nil, carol.token), 200, "") // a tombstone of alice's reply
	mentioning := e.comment(bob, video, "cc @alice")
	e.replyID(carol, video, bobsReply, "likes it") // mentions bob

	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", alice.id), nil, alice.token), 200, "")

	tomb := e.request("GET", fmt.Sprintf("/api/comments/%d", answered), nil, "")
	if tomb.get("deleted") != true || tomb.get("userId") != nil || tomb.str("user.username") != "[deleted]" || tomb.num("replyCount") != 2 {
		t.Fatalf("alice's answered comment: %s", tomb.raw)
	}
	if res := e.request("GET", fmt.Sprintf("/api/comments/%d/replies", answered), nil, ""); len(res.ids("comments")) != 2 || res.ids("comments")[0] != bobsReply {
		t.Fatalf("bob's replies kept: %s", res.raw)
	}
	expect(t, e.request("GET", fmt.Sprintf("/api/comments/%d", alone), nil, ""), 404, "not_found")
	expect(t, e.request("GET", fmt.Sprintf("/api/comments/%d", onlyAlice), nil, ""), 404, "not_found")
	if res := e.request("GET", fmt.Sprintf("/api/comments/%d", bobs), nil, ""); res.num("replyCount") != 0 {
		t.Fatalf("bob's thread: %s", res.raw)
	}
	if res := e.request("GET", fmt.Sprintf("/api/comments/%d", mentioning), nil, ""); len(spans(t, res.body)) != 0 || res.str("content") != "cc @alice" {
		t.Fatalf("mention of a deleted account: %s", res.raw)
	}
	list := e.request("GET", fmt.Sprintf("/api/videos/%d/comments?page=1&limit=10", video), nil, "")
	// live: bob's two comments, his reply and carol's; rows of the list: those two and the tombstone
	if got := list.ids("comments"); !slices.Equal(got, []int64{mentioning, bobs, answered}) || list.num("totalComments") != 4 || list.num("totalPages") != 1 {
		t.Fatalf("list after the account went: %s", list.raw)
	}
	checkCounters(t, e)
	checkThreads(t, e.pool)
}

// TestMentions: @username in captions and comments becomes spans in code points, resolved
// case-insensitively, kept through renames, re-resolved on edit, bounded.
func TestMentions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bob, carol, dave := e.register("Bob_1"), e.register("carol"), e.register("dave")
	eve := e.register("eve")
	var eveDot struct{ id int64 } // "eve." (a valid username), inserted directly: its e-mail would be odd
	if err := e.pool.QueryRow(context.Background(), `INSERT INTO users (username, email, password_hash) VALUES ('eve.', 'eve.dot@example.com', 'x') RETURNING id`).Scan(&eveDot.id); err != nil {
		t.Fatal(err)
	}

	caption := "😀👩‍👩‍👧 Cafe\u0301 @bob_1, with @CAROL. mail x@carol.com or https://x.com/@dave (@nobody) @eve. @eve.. #tag"
	res := e.request("POST", "/api/videos", map[string]any{"caption": caption, "videoUrl": "https://cdn.example.com/v.mp4"}, bob.token)
	expect(t, res, 201, "")
	video := res.num("id")
	want := []span{
		{bob.id, "Bob_1", cp(t, caption, "@bob_1"), cp(t, caption, "@bob_1") + 6},
		{carol.id, "carol", cp(t, caption, "@CAROL"), cp(t, caption, "@CAROL") + 6},
		{eveDot.id, "eve.", cp(t, caption, "@eve. "), cp(t, caption, "@eve. ") + 5},
		{eve.id, "eve", cp(t, caption, "@eve.."), cp(t, caption, "@eve..") + 4},
	}
	if got := spans(t, res.body); !slices.Equal(got, want) {
		t.Fatalf("caption mentions %v, want %v", got, want)
	}
	// Offsets are code points: neither bytes nor UTF-16 units (the emoji before the mention).
	at := cp(t, caption, "@bob_1")
	if byteAt, utf16At := strings.Index(caption, "@bob_1"), len(utf16.Encode([]rune(caption[:strings.Index(caption, "@bob_1")]))); at == byteAt || at == utf16At {
		t.Fatalf("the caption does not tell code points (%d) from bytes (%d) and UTF-16 (%d)", at, byteAt, utf16At)
	}
	if s := string([]rune(caption)[want[0].Start:want[0].End]); s != "@bob_1" {
		t.Fatalf("span 0 is %q", s)
	}
	// Every video shape carries them: the video, feeds, profiles.
	for _, path := range []string{fmt.Sprintf("/api/videos/%d", video), "/api/videos", fmt.Sprintf("/api/users/%d/videos", bob.id)} {
		r := e.request("GET", path, nil, "")
		obj := any(r.body)
		if vs := r.items("videos"); len(vs) > 0 {
			obj = vs[0]
		}
		if got := spans(t, obj); !slices.Equal(got, want) {
			t.Errorf("%s: mentions %v", path, got)
		}
	}

	// A rename keeps the mention pointing to the user, with the current username.
	e.exec(`UPDATE users SET username = 'robert' WHERE id = $1`, bob.id)
	want[0].Username = "robert"
	if got := spans(t, e.request("GET", fmt.Sprintf("/api/videos/%d", video), nil, "").body); !slices.Equal(got, want) {
		t.Fatalf("after rename: %v, want %v", got, want)
	}
	mentionRow := func(user int64) int64 {
		var id int64
		err := e.pool.QueryRow(context.Background(), `SELECT id FROM mentions WHERE video_id = $1 AND comment_id IS NULL AND mentioned_id = $2`, video, user).Scan(&id)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			t.Fatal(err)
		}
		return id
	}
	carolRow := mentionRow(carol.id)

	// An edit resolves again: the old name no longer mentions anyone; users still mentioned
	// keep their row (only its offsets change), dropped ones lose it, new ones get one.
	edited := "now @Carol and @dave and @bob_1"
	res = e.request("PUT", fmt.Sprintf("/api/videos/%d", video), map[string]any{"caption": edited}, bob.token)
	expect(t, res, 200, "")
	want = []span{{carol.id, "carol", 4, 10}, {dave.id, "dave", 15, 20}}
	if got := spans(t, res.body); !slices.Equal(got, want) {
		t.Fatalf("after edit: %v, want %v", got, want)
	}
	if mentionRow(carol.id) != carolRow || mentionRow(eve.id) != 0 || mentionRow(dave.id) == 0 {
		t.Fatalf("edit rewrote the rows of kept mentions or kept dropped ones")
	}
	res = e.request("PUT", fmt.Sprintf("/api/videos/%d", video), map[string]any{"caption": "no mentions"}, bob.token)
	if got := spans(t, res.body); len(got) != 0 || mentionRow(carol.id) != 0 {
		t.Fatalf("caption without mentions: %v", got)
	}

	// Comments: several spans of one user, edits, unknown names.
	c := e.request("POST", "/api/comments", map[string]any{"videoId": video, "content": "@carol @CAROL @ghost_user hi"}, dave.token)
	expect(t, c, 201, "")
	if got := spans(t, c.body); !slices.Equal(got, []span{{carol.id, "carol", 0, 6}, {carol.id, "carol", 7, 13}}) {
		t.Fatalf("comment mentions %v", got)
	}
	res = e.request("PUT", fmt.Sprintf("/api/comments/%d", c.num("id")), map[string]any{"content": "é @eve"}, dave.token)
	if got := spans(t, res.body); !slices.Equal(got, []span{{eve.id, "eve", 2, 6}}) {
		t.Fatalf("edited comment mentions %v", got)
	}
	for _, path := range []string{fmt.Sprintf("/api/comments/%d", c.num("id")), fmt.Sprintf("/api/comments?videoId=%d", video), fmt.Sprintf("/api/videos/%d/comments?page=1", video)} {
		r := e.request("GET", path, nil, "")
		obj := any(r.body)
		if cs := r.items("comments"); len(cs) > 0 {
			obj = cs[0]
		}
		if got := spans(t, obj); !slices.Equal(got, []span{{eve.id, "eve", 2, 6}}) {
			t.Errorf("%s: mentions %v", path, got)
		}
	}

	// At most 20 distinct users; later names stay text.
	var names []string
	for i := range 25 {
		name := fmt.Sprintf("many%02d", i)
		e.exec(`INSERT INTO users (username, email, password_hash) VALUES ($1, $1 || '@example.com', 'x')`, name)
		names = append(names, "@"+name)
	}
	res = e.request("PUT", fmt.Sprintf("/api/videos/%d", video), map[string]any{"caption": strings.Join(names, " ") + " @many00"}, bob.token)
	got := spans(t, res.body)
	distinct := map[int64]bool{}
	for _, s := range got {
		distinct[s.UserID] = true
	}
	if len(distinct) != 20 || len(got) != 21 || got[19].Username != "many19" || got[20].Username != "many00" {
		t.Fatalf("%d spans of %d users: %v", len(got), len(distinct), got)
	}
}

// TestMentionPagesQueryCount: a page of videos or comments with mentions reads them in one
// query, whatever its length (no N+1).
func TestMentionPagesQueryCount(t *testing.T) {
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
	alice, bob := e.register("alice"), e.register("bob")
	var video, top int64
	for i := range 30 {
		video = e.video(alice, fmt.Sprintf("v%d with @bob", i))
	}
	top = e.comment(alice, video, "top @bob")
	for i := range 30 {
		e.comment(bob, video, fmt.Sprintf("c%d @alice", i))
		e.replyID(bob, video, top, fmt.Sprintf("r%d @alice", i))
	}
	for _, p := range []string{
		"/api/videos?limit=%d",
		fmt.Sprintf("/api/users/%d/videos?limit=%%d", alice.id),
		fmt.Sprintf("/api/videos/%d/comments?limit=%%d", video),
		fmt.Sprintf("/api/comments?videoId=%d&limit=%%d", video),
		fmt.Sprintf("/api/comments/%d/replies?limit=%%d", top),
	} {
		count := func(limit int) int64 {
			before := counter.n.Load()
			res := e.request("GET", fmt.Sprintf(p, limit), nil, bob.token)
			expect(t, res, 200, "")
			key := "videos"
			if strings.Contains(p, "comments") {
				key = "comments"
			}
			for _, it := range res.items(key) {
				if len(spans(t, it)) != 1 {
					t.Fatalf("%s: an item without its mention: %v", p, it)
				}
			}
			return counter.n.Load() - before
		}
		small, large := count(1), count(30)
		if small != large || large > 4 {
			t.Errorf("%s: %d queries for 1 item, %d for 30", p, small, large)
		}
	}
}

// TestThreadRaces: bursts of replies and likes racing the deletion of their comment. Each
// reply either lands (and the comment stays, as a tombstone) or is refused with 404; no
// tombstone keeps likes, none is left without replies, and the counters hold.
func TestThreadRaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := e.register("alice")
	var others []registered
	for i := range 6 {
		others = append(others, e.register(fmt.Sprintf("racer%d", i)))
	}
	video := e.video(alice, "races")
	for round := range 8 {
		top := e.comment(alice, video, fmt.Sprint("round ", round))
		var answered []int64
		if round%2 == 1 { // half the rounds race on a reply to a reply
			answered = append(answered, e.replyID(others[0], video, top, "first"))
		}
		var wg sync.WaitGroup
		var landed atomic.Int64
		start := make(chan struct{})
		for i, u := range others {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var res response
				switch {
				case i%3 == 2:
					res = e.request("POST", fmt.Sprintf("/api/comments/%d/like", top), nil, u.token)
				case len(answered) > 0 && i%2 == 1:
					res = e.reply(u, video, answered[0], "to the reply")
				default:
					res = e.reply(u, video, top, "to the top")
				}
				switch {
				case res.status == 201:
					landed.Add(1)
				case res.status != 200 && res.status != 404:
					t.Errorf("round %d: %s", round, res)
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			expect(t, e.request("DELETE", fmt.Sprintf("/api/comments/%d", top), nil, alice.token), 200, "")
			if len(answered) > 0 {
				if res := e.request("DELETE", fmt.Sprintf("/api/comments/%d", answered[0]), nil, others[0].token); res.status != 200 {
					t.Errorf("round %d: deleting the first reply: %s", round, res)
				}
			}
		}()
		close(start)
		wg.Wait()
		res := e.request("GET", fmt.Sprintf("/api/comments/%d", top), nil, "")
		switch {
		case landed.Load() == 0 && res.status != 404:
			t.Errorf("round %d: no reply landed, yet the comment is %s", round, res)
		case landed.Load() > 0 && (res.get("deleted") != true || res.num("replyCount") == 0):
			t.Errorf("round %d: %d replies landed, the comment is %s", round, landed.Load(), res)
		}
	}
	checkCounters(t, e)
	checkThreads(t, e.pool)
}

// TestMentionOfAccountBeingDeleted: texts mentioning an account that is deleted meanwhile
// are written without that mention, never refused.
func TestMentionOfAccountBeingDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	author := e.register("author")
	video := e.video(author, "mentions race")
	for round := range 4 {
		victim := e.register(fmt.Sprintf("victim%d", round))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var res response
				if i%2 == 0 {
					res = e.request("POST", "/api/comments", map[string]any{"videoId": video, "content": "hey @" + victim.username}, author.token)
				} else {
					res = e.request("PUT", fmt.Sprintf("/api/videos/%d", video), map[string]any{"caption": fmt.Sprintf("%d @%s", i, victim.username)}, author.token)
				}
				if res.status != 200 && res.status != 201 {
					t.Errorf("round %d: %s", round, res)
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", victim.id), nil, victim.token), 200, "")
		}()
		close(start)
		wg.Wait()
	}
	var left int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM mentions m LEFT JOIN users u ON u.id = m.mentioned_id WHERE u.id IS NULL`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d mentions of deleted users (%v)", left, err)
	}
}
