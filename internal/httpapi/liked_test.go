package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
)

// TestLikedVideosList: GET /api/users/me/likes lists the caller's liked videos, newest like
// first, page by page without gaps or repeats, leaves out what the caller may not see any
// more (a video hidden by a moderator), forgets an unliked video, and is the caller's alone.
func TestLikedVideosList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fan, other, creator := e.register("fan"), e.register("other"), e.register("creator")
	var liked []int64 // in the order fan likes them
	for i := range 5 {
		v := e.video(creator, fmt.Sprintf("video %d", i))
		expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/like", v), nil, fan.token), http.StatusOK, "")
		liked = append(liked, v)
	}
	expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/like", liked[0]), nil, other.token), http.StatusOK, "")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/videos/%d/like", liked[1]), nil, fan.token), http.StatusOK, "")
	if _, err := e.pool.Exec(t.Context(), `INSERT INTO video_moderation (video_id, reason) VALUES ($1, 'spam')`, liked[2]); err != nil {
		t.Fatal(err)
	}
	want := []int64{liked[4], liked[3], liked[0]} // newest like first; unliked and hidden left out

	var got []int64
	cursor := ""
	for page := 0; page < 5; page++ {
		path := "/api/users/me/likes?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		res := e.request("GET", path, nil, fan.token)
		expect(t, res, http.StatusOK, "")
		for _, v := range res.get("videos").([]any) {
			v := v.(map[string]any)
			if v["isLiked"] != true || v["likedAt"] == nil {
				t.Errorf("entry %v: want isLiked and likedAt", v)
			}
			got = append(got, int64(v["id"].(float64)))
		}
		if cursor = res.str("pagination.nextCursor"); cursor == "" {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("liked list %v, want %v", got, want)
	}
	res := e.request("GET", "/api/users/me/likes", nil, other.token)
	expect(t, res, http.StatusOK, "")
	if n := len(res.get("videos").([]any)); n != 1 {
		t.Errorf("the other user's list has %d videos, want their 1", n)
	}
	expect(t, e.request("GET", "/api/users/me/likes", nil, ""), http.StatusUnauthorized, "token_missing")
	expect(t, e.request("GET", "/api/users/me/likes?cursor=nonsense", nil, fan.token), http.StatusBadRequest, "")
}
