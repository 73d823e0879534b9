package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gotok/tiktok/internal/pgtest"
)

func TestUserProfiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob := e.register("alice_p"), e.register("bob_p")

	res := e.request("GET", fmt.Sprintf("/api/users/%d", alice.id), nil, "")
	expect(t, res, 200, "")
	if _, ok := res.body["email"]; ok {
		t.Fatalf("email leaked to anonymous viewer: %s", res.raw)
	}
	for _, k := range []string{"id", "username", "name", "avatar", "bio", "createdAt", "isFollowing", "followerCount", "followingCount", "videoCount", "likeCount", "_count"} {
		if _, ok := res.body[k]; !ok {
			t.Errorf("UserPublic lacks %s", k)
		}
	}
	if strings.Contains(string(res.raw), "password") || strings.Contains(string(res.raw), "token") {
		t.Fatalf("secrets in profile: %s", res.raw)
	}
	if res := e.request("GET", fmt.Sprintf("/api/users/%d", alice.id), nil, bob.token); res.get("email") != nil {
		t.Fatalf("email leaked to another user: %s", res.raw)
	}
	if res := e.request("GET", fmt.Sprintf("/api/users/%d", alice.id), nil, alice.token); res.str("email") != alice.email {
		t.Fatalf("own email missing: %s", res.raw)
	}
	expect(t, e.request("GET", "/api/users/999999", nil, ""), 404, "not_found")
	expect(t, e.request("GET", "/api/users/abc", nil, ""), 400, "invalid_id")
	// An invalid token on a public route is anonymous, not an error.
	expect(t, e.request("GET", fmt.Sprintf("/api/users/%d", alice.id), nil, "garbage"), 200, "")

	// Update: owner only; empty clears, absent keeps, unknown ignored.
	path := fmt.Sprintf("/api/users/%d", alice.id)
	expect(t, e.request("PUT", path, map[string]any{"name": "Mallory"}, bob.token), 403, "forbidden")
	expect(t, e.request("PUT", "/api/users/999999", map[string]any{"name": "x"}, bob.token), 404, "not_found")
	expect(t, e.request("PUT", path, map[string]any{"name": "x"}, ""), 401, "token_missing")
	res = e.request("PUT", path, map[string]any{"name": "Alice A.", "bio": "hello 🌍", "role": "admin"}, alice.token)
	expect(t, res, 200, "")
	if res.str("name") != "Alice A." || res.str("bio") != "hello 🌍" || res.str("email") != alice.email {
		t.Fatalf("update: %s", res.raw)
	}
	res = e.request("PUT", path, map[string]any{"bio": ""}, alice.token)
	if res.str("name") != "Alice A." || res.get("bio") != nil {
		t.Fatalf("clear bio: %s", res.raw)
	}
	expect(t, e.request("PUT", path, map[string]any{"bio": strings.Repeat("b", 501)}, alice.token), 400, "validation_failed")
	expect(t, e.request("PUT", path, map[string]any{"name": strings.Repeat("n", 51)}, alice.token), 400, "validation_failed")

	// Avatar upload (multipart): stored, served, replaced files deleted.
	res = e.upload("PUT", path, alice.token, map[string]string{"name": "Alice M."}, map[string]fileUpload{"avatar": {"me.jpg", sampleImage(t)}})
	expect(t, res, 200, "")
	avatar := res.str("avatar")
	if !strings.HasPrefix(avatar, e.srv.URL+"/uploads/") || res.str("name") != "Alice M." {
		t.Fatalf("avatar: %s", res.raw)
	}
	if got := e.request("GET", strings.TrimPrefix(avatar, e.srv.URL), nil, ""); got.status != 200 {
		t.Fatalf("avatar not served: %d", got.status)
	}
	res = e.upload("PUT", path, alice.token, nil, map[string]fileUpload{"avatar": {"me2.jpg", sampleImage(t)}})
	expect(t, res, 200, "")
	if files := e.mediaFiles(); len(files) != 2 { // the avatar and its 64 px variant
		t.Fatalf("old avatar not deleted: %v", files)
	}
	expect(t, e.upload("PUT", path, alice.token, nil, map[string]fileUpload{"avatar": {"a.jpg", []byte("not an image")}}), 415, "unsupported_media_type")
	expect(t, e.upload("PUT", path, alice.token, nil, map[string]fileUpload{"avatar": {"a.jpg", make([]byte, 6<<20)}}), 415, "unsupported_media_type")
	big := append(append([]byte{}, sampleImage(t)...), make([]byte, 6<<20)...)
	expect(t, e.upload("PUT", path, alice.token, nil, map[string]fileUpload{"avatar": {"a.jpg", big}}), 413, "too_large")
	if files := e.mediaFiles(); len(files) != 2 {
		t.Fatalf("failed uploads left files: %v", files)
	}
}

func TestUserDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	victim, friend := e.register("leaving"), e.register("staying")
	res := e.upload("POST", "/api/videos", victim.token, nil, map[string]fileUpload{"video": {"v.mp4", sampleVideo(t)}})
	expect(t, res, 201, "")
	friendVideo := e.video(friend, "friend's")
	e.comment(victim, friendVideo, "bye")
	expect(t, e.request("POST", fmt.Sprintf("/api/videos/%d/like", friendVideo), nil, victim.token), 200, "")
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", friend.id), nil, victim.token), 200, "")
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", victim.id), nil, friend.token), 200, "")

	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", victim.id), nil, friend.token), 403, "forbidden")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", victim.id), nil, victim.token), 200, "")
	expect(t, e.request("GET", fmt.Sprintf("/api/users/%d", victim.id), nil, ""), 404, "not_found")
	expect(t, e.request("GET", "/api/users/me", nil, victim.token), 401, "token_invalid")
	if files := e.mediaFiles(); len(files) != 0 {
		t.Fatalf("files of deleted user left: %v", files)
	}
	f := e.request("GET", fmt.Sprintf("/api/users/%d", friend.id), nil, "")
	if f.num("followerCount") != 0 || f.num("followingCount") != 0 || f.num("likeCount") != 0 {
		t.Fatalf("friend's counters after delete: %s", f.raw)
	}
	v := e.request("GET", fmt.Sprintf("/api/videos/%d", friendVideo), nil, "")
	if v.num("likeCount") != 0 || v.num("commentCount") != 0 {
		t.Fatalf("video counters after delete: %s", v.raw)
	}
	checkCounters(t, e)
}

func TestFollows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b, c := e.register("fan_a"), e.register("fan_b"), e.register("fan_c")
	follow := func(from registered, to int64, method string) response {
		return e.request(method, fmt.Sprintf("/api/users/%d/follow", to), nil, from.token)
	}
	for i, st := range []struct {
		method    string
		count     int64
		following bool
		message   string
	}{
		{"POST", 1, true, "User followed successfully"},
		{"POST", 1, true, "User followed successfully"},
		{"DELETE", 0, false, "User unfollowed successfully"},
		{"DELETE", 0, false, "User unfollowed successfully"},
		{"POST", 1, true, "User followed successfully"},
	} {
		res := follow(a, b.id, st.method)
		expect(t, res, 200, "")
		if res.num("followerCount") != st.count || res.get("isFollowing") != st.following || res.str("message") != st.message {
			t.Fatalf("step %d: %s", i, res.raw)
		}
	}
	res := follow(a, a.id, "POST")
	expect(t, res, 400, "cannot_follow_self")
	if res.str("message") != "You cannot follow yourself" {
		t.Fatalf("message %q", res.str("message"))
	}
	expect(t, follow(a, 999999, "POST"), 404, "not_found")
	expect(t, follow(a, 999999, "DELETE"), 404, "not_found")
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", b.id), nil, ""), 401, "token_missing")
	follow(c, b.id, "POST")
	follow(b, c.id, "POST")

	// b's followers: c then a (newest first); isFollowing is the viewer's relation.
	res = e.request("GET", fmt.Sprintf("/api/users/%d/followers", b.id), nil, c.token)
	expect(t, res, 200, "")
	fs := res.items("followers")
	if len(fs) != 2 || int64(fs[0]["id"].(float64)) != c.id || int64(fs[1]["id"].(float64)) != a.id {
		t.Fatalf("followers: %s", res.raw)
	}
	if fs[1]["isFollowing"] != false || fs[0]["username"] != "fan_c" {
		t.Fatalf("followers isFollowing: %s", res.raw)
	}
	res = e.request("GET", fmt.Sprintf("/api/users/%d/following?limit=1", a.id), nil, "")
	if len(res.items("following")) != 1 || res.get("pagination.hasNextPage") != false {
		t.Fatalf("following: %s", res.raw)
	}
	res = e.request("GET", fmt.Sprintf("/api/users/%d/followers?limit=1", b.id), nil, "")
	next := e.request("GET", fmt.Sprintf("/api/users/%d/followers?limit=1&cursor=%s", b.id, res.str("pagination.nextCursor")), nil, "")
	if len(next.items("followers")) != 1 || next.items("followers")[0]["id"] == res.items("followers")[0]["id"] {
		t.Fatalf("followers page 2: %s / %s", res.raw, next.raw)
	}
	expect(t, e.request("GET", "/api/users/999999/followers", nil, ""), 404, "not_found")
	expect(t, e.request("GET", "/api/users/999999/following", nil, ""), 404, "not_found")

	p := e.request("GET", fmt.Sprintf("/api/users/%d", b.id), nil, a.token)
	if p.get("isFollowing") != true || p.num("followerCount") != 2 || p.num("_count.followedBy") != 2 || p.num("followingCount") != 1 {
		t.Fatalf("profile: %s", p.raw)
	}
	checkCounters(t, e)
}

func TestUserList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, n := range []string{"zed", "zelda", "amy", "z_e", "zxe"} {
		e.register(n)
	}
	res := e.request("GET", "/api/users?limit=2", nil, "")
	expect(t, res, 200, "")
	first := res.list(t)
	if len(first) != 2 || first[0]["username"] != "zxe" {
		t.Fatalf("newest first: %s", res.raw)
	}
	link := res.header.Get("Link")
	if !strings.HasPrefix(link, "<"+e.srv.URL+"/api/users?") || !strings.HasSuffix(link, `>; rel="next"`) {
		t.Fatalf("Link %q", link)
	}
	nextURL := strings.TrimSuffix(strings.TrimPrefix(link, "<"+e.srv.URL), `>; rel="next"`)
	var all []string
	for path := "/api/users?limit=2"; path != ""; {
		res := e.request("GET", path, nil, "")
		for _, u := range res.list(t) {
			all = append(all, u["username"].(string))
			if _, ok := u["email"]; ok {
				t.Fatalf("email in list: %v", u)
			}
		}
		path = ""
		if l := res.header.Get("Link"); l != "" {
			path = strings.TrimSuffix(strings.TrimPrefix(l, "<"+e.srv.URL), `>; rel="next"`)
		}
	}
	if strings.Join(all, ",") != "zxe,z_e,amy,zelda,zed" {
		t.Fatalf("walked %v (next was %s)", all, nextURL)
	}
	search := func(q string) []string {
		var names []string
		for _, u := range e.request("GET", "/api/users?q="+q, nil, "").list(t) {
			names = append(names, u["username"].(string))
		}
		return names
	}
	if got := strings.Join(search("ZE"), ","); got != "zelda,zed" {
		t.Fatalf("q=ZE: %s", got)
	}
	if got := strings.Join(search("z_"), ","); got != "z_e" { // _ is literal
		t.Fatalf("q=z_: %s", got)
	}
	if got := search("%25"); len(got) != 0 { // % is literal
		t.Fatalf("q=%%: %v", got)
	}
	if res := e.request("GET", "/api/users?limit=abc", nil, ""); res.status != http.StatusBadRequest {
		t.Fatalf("bad limit: %s", res)
	}
}

func TestLogoutAndPasswordChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("rotating")
	second := e.request("POST", "/api/users/login", map[string]any{"email": u.email, "password": "password123"}, "").str("token")

	expect(t, e.request("PUT", "/api/users/me/password", map[string]any{"currentPassword": "wrong-one", "newPassword": "newpassword1"}, u.token), 401, "invalid_credentials")
	expect(t, e.request("PUT", "/api/users/me/password", map[string]any{"currentPassword": "password123", "newPassword": "short"}, u.token), 400, "validation_failed")
	res := e.request("PUT", "/api/users/me/password", map[string]any{"currentPassword": "password123", "newPassword": "newpassword1"}, u.token)
	expect(t, res, 200, "")
	fresh := res.str("token")
	// Every older token stops working at once, even one issued in the same second.
	expect(t, e.request("GET", "/api/users/me", nil, u.token), 401, "token_invalid")
	expect(t, e.request("GET", "/api/users/me", nil, second), 401, "token_invalid")
	expect(t, e.request("GET", "/api/users/me", nil, fresh), 200, "")
	expect(t, e.request("POST", "/api/users/login", map[string]any{"email": u.email, "password": "password123"}, ""), 401, "invalid_credentials")
	expect(t, e.request("POST", "/api/users/login", map[string]any{"email": u.email, "password": "newpassword1"}, ""), 200, "")

	expect(t, e.request("POST", "/api/users/logout", nil, fresh), 204, "")
	expect(t, e.request("GET", "/api/users/me", nil, fresh), 401, "token_invalid")
	expect(t, e.request("POST", "/api/users/logout", nil, fresh), 401, "token_invalid")
}

// checkCounters fails the test unless every denormalised counter equals a COUNT(*) of the
// rows it counts.
func checkCounters(t *testing.T, e *env) {
	t.Helper()
	pgtest.CheckCounters(t, e.pool)
}
