package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestComments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, author, other := e.register("video_owner"), e.register("commenter"), e.register("bystander")
	video := e.video(owner, "discuss")

	// Create: validation, numeric-string videoId, unknown video.
	tests := []struct {
		name   string
		body   any
		token  string
		status int
		code   string
	}{
		{"no token", map[string]any{"videoId": video, "content": "hi"}, "", 401, "token_missing"},
		{"empty content", map[string]any{"videoId": video, "content": "   "}, author.token, 400, "validation_failed"},
		{"missing content", map[string]any{"videoId": video}, author.token, 400, "validation_failed"},
		{"too long", map[string]any{"videoId": video, "content": strings.Repeat("é", 1001)}, author.token, 400, "validation_failed"},
		{"missing videoId", map[string]any{"content": "hi"}, author.token, 400, "validation_failed"},
		{"bad videoId", map[string]any{"videoId": "abc", "content": "hi"}, author.token, 400, "validation_failed"},
		{"unknown video", map[string]any{"videoId": 999999, "content": "hi"}, author.token, 404, "not_found"},
		{"videoId as string", map[string]any{"videoId": fmt.Sprint(video), "content": "  string id  "}, author.token, 201, ""},
		{"exactly 1000", map[string]any{"videoId": video, "content": strings.Repeat("é", 1000)}, author.token, 201, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.request("POST", "/api/comments", tc.body, tc.token)
			expect(t, res, tc.status, tc.code)
			if tc.name == "videoId as string" && (res.str("content") != "string id" || res.num("videoId") != video || res.num("user.id") != author.id) {
				t.Fatalf("body %s", res.raw)
			}
		})
	}
	id := e.comment(author, video, "first!")
	path := fmt.Sprintf("/api/comments/%d", id)

	res := e.request("GET", path, nil, "")
	expect(t, res, 200, "")
	if res.num("video.id") != video || res.str("video.caption") != "discuss" || res.num("_count.likes") != 0 {
		t.Fatalf("comment: %s", res.raw)
	}
	expect(t, e.request("GET", "/api/comments/999999", nil, ""), 404, "not_found")
	expect(t, e.request("GET", "/api/comments/zero", nil, ""), 400, "invalid_id")

	// Update: only the author.
	expect(t, e.request("PUT", path, map[string]any{"content": "edited"}, owner.token), 403, "forbidden")
	expect(t, e.request("PUT", path, map[string]any{"content": ""}, author.token), 400, "validation_failed")
	if res := e.request("PUT", path, map[string]any{"content": "edited"}, author.token); res.status != 200 || res.str("content") != "edited" {
		t.Fatalf("update: %s", res)
	}

	// Likes, idempotent.
	for i, st := range []struct {
		method string
		count  int64
	}{{"POST", 1}, {"POST", 1}, {"DELETE", 0}, {"DELETE", 0}, {"POST", 1}} {
		res := e.request(st.method, path+"/like", nil, other.token)
		expect(t, res, 200, "")
		if res.num("likeCount") != st.count || res.get("isLiked") != (st.method == "POST") {
			t.Fatalf("step %d: %s", i, res.raw)
		}
	}
	if res := e.request("GET", path, nil, other.token); res.get("isLiked") != true || res.num("likeCount") != 1 {
		t.Fatalf("isLiked: %s", res.raw)
	}
	expect(t, e.request("POST", "/api/comments/999999/like", nil, other.token), 404, "not_found")

	// Lists: by video (page and cursor modes) and /api/comments?videoId.
	list := e.request("GET", fmt.Sprintf("/api/videos/%d/comments?page=1&limit=2", video), nil, "")
	expect(t, list, 200, "")
	if list.num("totalComments") != 3 || list.num("totalPages") != 2 || list.num("currentPage") != 1 || len(list.items("comments")) != 2 || list.get("pagination.hasNextPage") != true {
		t.Fatalf("page 1: %s", list.raw)
	}
	if first := list.items("comments")[0]; int64(first["id"].(float64)) != id {
		t.Fatalf("not newest first: %s", list.raw)
	}
	page2 := e.request("GET", fmt.Sprintf("/api/videos/%d/comments?page=2&limit=2", video), nil, "")
	if len(page2.items("comments")) != 1 || page2.get("pagination.hasNextPage") != false {
		t.Fatalf("page 2: %s", page2.raw)
	}
	byCursor := e.request("GET", fmt.Sprintf("/api/videos/%d/comments?limit=2&cursor=%s", video, list.str("pagination.nextCursor")), nil, "")
	if len(byCursor.items("comments")) != 1 {
		t.Fatalf("cursor page: %s", byCursor.raw)
	}
	for _, q := range []string{"page=0", "page=abc", "page=100000"} {
		expect(t, e.request("GET", fmt.Sprintf("/api/videos/%d/comments?%s", video, q), nil, ""), 400, "validation_failed")
	}
	expect(t, e.request("GET", "/api/videos/999999/comments", nil, ""), 404, "not_found")

	flat := e.request("GET", fmt.Sprintf("/api/comments?videoId=%d&limit=10", video), nil, "")
	if len(flat.items("comments")) != 3 || flat.get("pagination.hasNextPage") != false {
		t.Fatalf("comments by videoId: %s", flat.raw)
	}
	expect(t, e.request("GET", "/api/comments", nil, ""), 400, "validation_failed")
	expect(t, e.request("GET", "/api/comments?videoId=x", nil, ""), 400, "invalid_id")
	expect(t, e.request("GET", "/api/comments?videoId=999999", nil, ""), 404, "not_found")

	// Delete: not a bystander; the video owner may; the author may.
	expect(t, e.request("DELETE", path, nil, other.token), 403, "forbidden")
	byOwner := e.comment(other, video, "owner will delete this")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/comments/%d", byOwner), nil, owner.token), 200, "")
	res = e.request("DELETE", path, nil, author.token)
	expect(t, res, 200, "")
	if res.str("message") == "" {
		t.Fatal("no message")
	}
	expect(t, e.request("DELETE", path, nil, author.token), 404, "not_found")
	if v := e.request("GET", fmt.Sprintf("/api/videos/%d", video), nil, ""); v.num("commentCount") != 2 || v.num("_count.comments") != 2 {
		t.Fatalf("commentCount after deletes: %s", v.raw)
	}
}
