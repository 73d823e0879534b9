package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/media"
)

// sampleVideo and sampleImage are real media from the embedded demo samples.
func sampleVideo(t *testing.T) []byte {
	t.Helper()
	s := media.Samples()
	if len(s) == 0 {
		t.Fatal("no embedded samples")
	}
	return s[0].Video
}

func sampleImage(t *testing.T) []byte {
	t.Helper()
	return media.Samples()[0].Thumbnail
}

func TestVideoUploadAndPlayback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("uploader")
	clip, thumb := sampleVideo(t), sampleImage(t)

	res := e.upload("POST", "/api/videos", u.token, map[string]string{"caption": "my first clip #demo", "audioName": "original sound"},
		map[string]fileUpload{"video": {"clip.mp4", clip}, "thumbnail": {"thumb.jpg", thumb}})
	expect(t, res, 201, "")
	videoURL, thumbURL := res.str("videoUrl"), res.str("thumbnailUrl")
	if !strings.HasPrefix(videoURL, e.srv.URL+"/uploads/") || !strings.HasSuffix(videoURL, ".mp4") || !strings.HasSuffix(thumbURL, ".jpg") {
		t.Fatalf("media URLs %q %q", videoURL, thumbURL)
	}
	if res.str("caption") != "my first clip #demo" || res.str("sound") != "original sound" || res.num("userId") != u.id || res.num("user.id") != u.id {
		t.Fatalf("body %s", res.raw)
	}
	if res.get("videoStoragePath") != nil {
		t.Fatalf("client storage path invented: %s", res.raw)
	}

	// The stored file plays: byte for byte, with type, cache headers and ranges.
	path := strings.TrimPrefix(videoURL, e.srv.URL)
	got := e.request("GET", path, nil, "")
	if got.status != 200 || !bytes.Equal(got.raw, clip) {
		t.Fatalf("GET %s: %d, %d bytes (want %d)", path, got.status, len(got.raw), len(clip))
	}
	h := got.header
	if h.Get("Content-Type") != "video/mp4" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Cache-Control") != "public, max-age=31536000, immutable" || h.Get("ETag") == "" || h.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("headers %v", h)
	}
	part := e.request("GET", path, nil, "", "Range", "bytes=10-109")
	if part.status != http.StatusPartialContent || !bytes.Equal(part.raw, clip[10:110]) ||
		part.header.Get("Content-Range") != fmt.Sprintf("bytes 10-109/%d", len(clip)) {
		t.Fatalf("range: %d %v", part.status, part.header)
	}
	if nm := e.request("GET", path, nil, "", "If-None-Match", h.Get("ETag")); nm.status != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", nm.status)
	}
	if head := e.request("HEAD", path, nil, ""); head.status != 200 || len(head.raw) != 0 {
		t.Fatalf("HEAD: %d", head.status)
	}
	// The thumbnail is re-encoded (no metadata), the same picture at the same size.
	img := e.request("GET", strings.TrimPrefix(thumbURL, e.srv.URL), nil, "")
	if img.status != 200 || img.header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail: %d %v", img.status, img.header)
	}
	sent, _ := jpeg.DecodeConfig(bytes.NewReader(thumb))
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(img.raw)); err != nil || cfg.Width != sent.Width || cfg.Height != sent.Height || bytes.Contains(img.raw, []byte("Exif")) {
		t.Fatalf("thumbnail served: %+v %v, want a %dx%d JPEG without EXIF", cfg, err, sent.Width, sent.Height)
	}

	// Deleting the video deletes its files.
	if n := len(e.mediaFiles()); n != 2 {
		t.Fatalf("%d media files, want 2", n)
	}
	expect(t, e.request("DELETE", fmt.Sprintf("/api/videos/%d", res.num("id")), nil, u.token), 200, "")
	if files := e.mediaFiles(); len(files) != 0 {
		t.Fatalf("files left after delete: %v", files)
	}
	expect(t, e.request("GET", path, nil, ""), 404, "not_found")
}

func TestUploadMisses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range []string{"/uploads/nope.mp4", "/uploads/..%2f..%2fetc%2fpasswd", "/uploads/.hidden.mp4", "/uploads/x.txt", "/uploads/"} {
		res := e.request("GET", p, nil, "")
		if res.status != 404 || res.str("code") != "not_found" {
			t.Errorf("GET %s: %s", p, res)
		}
	}
}

func TestVideoUploadRejections(t *testing.T) {
	t.Parallel()
	clip := sampleVideo(t)
	e := newEnv(t, func(d *httpapi.Deps) { d.Config.MaxVideoBytes = int64(len(clip)) + 64<<10 })
	u := e.register("rejected")
	oversize := append(append([]byte{}, clip...), bytes.Repeat([]byte{0}, 128<<10)...)

	tests := []struct {
		name   string
		fields map[string]string
		files  map[string]fileUpload
		status int
		code   string
	}{
		{"text named .mp4", nil, map[string]fileUpload{"video": {"evil.mp4", []byte("hello, I am text pretending to be a video file\n")}}, 415, "unsupported_media_type"},
		{"html named .mp4", nil, map[string]fileUpload{"video": {"x.mp4", []byte("<html><script>alert(1)</script></html>")}}, 415, "unsupported_media_type"},
		{"image as video", nil, map[string]fileUpload{"video": {"x.mp4", sampleImage(t)}}, 415, "unsupported_media_type"},
		{"video as thumbnail", nil, map[string]fileUpload{"video": {"a.mp4", clip[:1000]}, "thumbnail": {"t.jpg", clip[:1000]}}, 415, "unsupported_media_type"},
		{"oversize video", nil, map[string]fileUpload{"video": {"big.mp4", oversize}}, 413, "too_large"},
		{"missing video", map[string]string{"caption": "no file"}, nil, 400, "validation_failed"},
		{"caption too long", map[string]string{"caption": strings.Repeat("c", 2201)}, map[string]fileUpload{"video": {"a.mp4", clip}}, 400, "validation_failed"},
		{"audioName too long", map[string]string{"audioName": strings.Repeat("a", 256)}, map[string]fileUpload{"video": {"a.mp4", clip}}, 400, "validation_failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.upload("POST", "/api/videos", u.token, tc.fields, tc.files)
			expect(t, res, tc.status, tc.code)
			if files := e.mediaFiles(); len(files) != 0 {
				t.Fatalf("files left behind: %v", files)
			}
			var n int
			if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM videos").Scan(&n); err != nil || n != 0 {
				t.Fatalf("%d video rows (err %v)", n, err)
			}
		})
	}
	// Without a token nothing is read or stored.
	res := e.upload("POST", "/api/videos", "", nil, map[string]fileUpload{"video": {"a.mp4", clip}})
	expect(t, res, 401, "token_missing")
	// Neither JSON nor multipart.
	expect(t, e.request("POST", "/api/videos", "caption=x", u.token, "Content-Type", "application/x-www-form-urlencoded"), 415, "unsupported_media_type")
}

func TestVideoCreateJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("jsonposter")
	tests := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"ok", map[string]any{"caption": "hi", "audioName": "song", "videoUrl": "https://cdn.example.com/a.mp4", "thumbnailUrl": "http://cdn.example.com/a.jpg", "videoStoragePath": "videos/a.mp4"}, 201, ""},
		{"ok without thumbnail", map[string]any{"videoUrl": "https://cdn.example.com/b.mp4"}, 201, ""},
		{"missing videoUrl", map[string]any{"caption": "x"}, 400, "videoUrl"},
		{"javascript URL", map[string]any{"videoUrl": "javascript:alert(1)"}, 400, "videoUrl"},
		{"relative URL", map[string]any{"videoUrl": "/uploads/x.mp4"}, 400, "videoUrl"},
		{"bad thumbnail", map[string]any{"videoUrl": "https://x.example/a.mp4", "thumbnailUrl": "data:image/png;base64,AAAA"}, 400, "thumbnailUrl"},
		{"caption wrong type", map[string]any{"videoUrl": "https://x.example/a.mp4", "caption": 12}, 400, "caption"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.request("POST", "/api/videos", tc.body, u.token)
			expect(t, res, tc.status, "")
			if tc.field != "" && res.str("fields."+tc.field) == "" {
				t.Fatalf("fields.%s missing: %s", tc.field, res.raw)
			}
			if tc.status == 201 {
				if res.str("videoUrl") != tc.body["videoUrl"] || res.num("likeCount") != 0 || res.num("_count.likes") != 0 || res.get("isLiked") != false {
					t.Fatalf("body %s", res.raw)
				}
			}
		})
	}
}

func TestVideoGetUpdateDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, other := e.register("owner"), e.register("other")
	id := e.video(owner, "original")
	path := fmt.Sprintf("/api/videos/%d", id)

	expect(t, e.request("GET", path, nil, ""), 200, "")
	expect(t, e.request("GET", "/api/videos/999999", nil, ""), 404, "not_found")
	for _, bad := range []string{"abc", "0", "-1", "1.5", "01", "99999999999999999999"} {
		expect(t, e.request("GET", "/api/videos/"+bad, nil, ""), 400, "invalid_id")
	}
	expect(t, e.request("PUT", path, map[string]any{"caption": "hijacked"}, other.token), 403, "forbidden")
	expect(t, e.request("DELETE", path, nil, other.token), 403, "forbidden")
	expect(t, e.request("PUT", path, map[string]any{"caption": "x"}, ""), 401, "token_missing")
	expect(t, e.request("PUT", "/api/videos/999999", map[string]any{"caption": "x"}, owner.token), 404, "not_found")
	expect(t, e.request("PUT", path, map[string]any{"caption": strings.Repeat("x", 2201)}, owner.token), 400, "validation_failed")

	res := e.request("PUT", path, map[string]any{"caption": "edited", "audioName": "new sound"}, owner.token)
	expect(t, res, 200, "")
	if res.str("caption") != "edited" || res.str("audioName") != "new sound" || res.str("sound") != "new sound" {
		t.Fatalf("update: %s", res.raw)
	}
	res = e.request("PUT", path, map[string]any{"audioName": ""}, owner.token) // clears; caption kept
	if res.str("caption") != "edited" || res.get("audioName") != nil {
		t.Fatalf("partial update: %s", res.raw)
	}
	expect(t, e.request("DELETE", path, nil, owner.token), 200, "")
	expect(t, e.request("GET", path, nil, ""), 404, "not_found")
	expect(t, e.request("DELETE", path, nil, owner.token), 404, "not_found")
}

func TestVideoLikes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, fan := e.register("liked_owner"), e.register("fan")
	id := e.video(owner, "like me")
	path := fmt.Sprintf("/api/videos/%d/like", id)
	steps := []struct {
		method  string
		count   int64
		liked   bool
		action  string
		message string
	}{
		{"POST", 1, true, "liked", "Video liked successfully"},
		{"POST", 1, true, "liked", "Video liked successfully"}, // idempotent
		{"DELETE", 0, false, "unliked", "Video unliked successfully"},
		{"DELETE", 0, false, "unliked", "Video unliked successfully"},
		{"POST", 1, true, "liked", "Video liked successfully"},
	}
	for i, st := range steps {
		res := e.request(st.method, path, nil, fan.token)
		expect(t, res, 200, "")
		if res.num("likeCount") != st.count || res.get("isLiked") != st.liked || res.str("action") != st.action || res.str("message") != st.message {
			t.Fatalf("step %d: %s", i, res.raw)
		}
	}
	v := e.request("GET", fmt.Sprintf("/api/videos/%d", id), nil, fan.token)
	if v.get("isLiked") != true || v.num("likeCount") != 1 || v.num("_count.likes") != 1 {
		t.Fatalf("video as fan: %s", v.raw)
	}
	if anon := e.request("GET", fmt.Sprintf("/api/videos/%d", id), nil, ""); anon.get("isLiked") != false {
		t.Fatalf("anonymous isLiked: %s", anon.raw)
	}
	if p := e.request("GET", fmt.Sprintf("/api/users/%d", owner.id), nil, ""); p.num("likeCount") != 1 {
		t.Fatalf("owner likeCount: %s", p.raw)
	}
	expect(t, e.request("POST", "/api/videos/999999/like", nil, fan.token), 404, "not_found")
	expect(t, e.request("DELETE", "/api/videos/999999/like", nil, fan.token), 404, "not_found")
	expect(t, e.request("POST", path, nil, ""), 401, "token_missing")
	expect(t, e.request("POST", "/api/videos/x/like", nil, fan.token), 400, "invalid_id")
}

func TestVideoViews(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u, v := e.register("viewer1"), e.register("viewer2")
	id := e.video(u, "watch me")
	path := fmt.Sprintf("/api/videos/%d", id)
	e.request("GET", path, nil, "")                                   // anonymous (by IP)
	e.request("GET", path, nil, "")                                   // same IP, same hour: not counted
	expect(t, e.request("POST", path+"/view", nil, u.token), 204, "") // a user
	e.request("POST", path+"/view", nil, u.token)                     // again: not counted
	e.request("GET", path, nil, v.token)                              // another user
	expect(t, e.request("POST", "/api/videos/999999/view", nil, ""), 404, "not_found")

	deadline := time.Now().Add(5 * time.Second)
	for {
		res := e.request("GET", path, nil, u.token) // already counted for u
		if res.num("views") == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("views %d, want 3", res.num("views"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFeedPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.register("creator_a"), e.register("creator_b")
	var ids []int64
	for i := range 25 {
		u := a
		if i%2 == 1 {
			u = b
		}
		ids = append(ids, e.video(u, fmt.Sprintf("video %d", i)))
	}
	// Newest first, 10 + 10 + 5, no repeats, then an empty cursor page is impossible.
	var seen []int64
	cursor := ""
	for page := 0; ; page++ {
		res := e.request("GET", "/api/videos?limit=10&cursor="+cursor, nil, "")
		expect(t, res, 200, "")
		for _, v := range res.items("videos") {
			seen = append(seen, int64(v["id"].(float64)))
		}
		if res.get("pagination.hasNextPage") != true {
			if res.get("pagination.nextCursor") != nil {
				t.Fatalf("last page has a cursor: %s", res.raw)
			}
			break
		}
		cursor = res.str("pagination.nextCursor")
		if page > 5 {
			t.Fatal("too many pages")
		}
	}
	if len(seen) != 25 {
		t.Fatalf("saw %d videos: %v", len(seen), seen)
	}
	for i := range seen {
		if seen[i] != ids[len(ids)-1-i] {
			t.Fatalf("order %v, want newest first %v", seen, ids)
		}
	}
	// Defaults and caps.
	if n := len(e.request("GET", "/api/videos", nil, "").items("videos")); n != 10 {
		t.Fatalf("default limit gave %d", n)
	}
	if n := len(e.request("GET", "/api/videos?limit=1000", nil, "").items("videos")); n != 25 {
		t.Fatalf("limit=1000 gave %d", n)
	}
	if n := len(e.request("GET", "/api/videos?cursor=", nil, "").items("videos")); n != 10 {
		t.Fatalf("empty cursor gave %d", n)
	}
	// Profile grid.
	res := e.request("GET", fmt.Sprintf("/api/users/%d/videos?limit=20", a.id), nil, "")
	for _, v := range res.items("videos") {
		if int64(v["userId"].(float64)) != a.id {
			t.Fatalf("foreign video in profile: %v", v)
		}
	}
	if len(res.items("videos")) != 13 {
		t.Fatalf("profile has %d videos", len(res.items("videos")))
	}
	expect(t, e.request("GET", "/api/users/999999/videos", nil, ""), 404, "not_found")

	wrong := base64.RawURLEncoding.EncodeToString([]byte(`{"id":5}`))
	for _, q := range []string{"limit=0", "limit=-1", "limit=abc", "limit=1.5"} {
		expect(t, e.request("GET", "/api/videos?"+q, nil, ""), 400, "invalid_limit")
	}
	for _, q := range []string{"cursor=garbage!", "cursor=" + wrong, "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("1.0")), "cursor=" + strings.Repeat("A", 100)} {
		expect(t, e.request("GET", "/api/videos?"+q, nil, ""), 400, "invalid_cursor")
	}
}

func TestFollowingFeed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	me, followed, stranger := e.register("me_feed"), e.register("followed"), e.register("stranger")
	res := e.request("GET", "/api/videos/following", nil, me.token)
	expect(t, res, 200, "")
	if len(res.items("videos")) != 0 || res.get("pagination.hasNextPage") != false {
		t.Fatalf("empty following feed: %s", res.raw)
	}
	for i := range 3 {
		e.video(followed, fmt.Sprintf("followed %d", i))
		e.video(stranger, fmt.Sprintf("stranger %d", i))
	}
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", followed.id), nil, me.token), 200, "")
	res = e.request("GET", "/api/videos/following?limit=2", nil, me.token)
	got := res.items("videos")
	if len(got) != 2 || res.get("pagination.hasNextPage") != true {
		t.Fatalf("following page: %s", res.raw)
	}
	res2 := e.request("GET", "/api/videos/following?limit=2&cursor="+res.str("pagination.nextCursor"), nil, me.token)
	got = append(got, res2.items("videos")...)
	if len(got) != 3 || res2.get("pagination.hasNextPage") != false {
		t.Fatalf("following page 2: %s", res2.raw)
	}
	for _, v := range got {
		if int64(v["userId"].(float64)) != followed.id {
			t.Fatalf("video of someone not followed: %v", v)
		}
	}
	expect(t, e.request("GET", "/api/videos/following", nil, ""), 401, "token_missing")
}

// TestStoredFileNames checks that the server names stored files itself.
func TestStoredFileNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("namer")
	res := e.upload("POST", "/api/videos", u.token, nil, map[string]fileUpload{"video": {"../../etc/evil.mp4", sampleVideo(t)}})
	expect(t, res, 201, "")
	files := e.mediaFiles()
	if len(files) != 1 || strings.Contains(files[0], "evil") {
		t.Fatalf("stored as %v", files)
	}
	if _, err := os.Stat(filepath.Join(e.mediaDir, files[0])); err != nil {
		t.Fatal(err)
	}
}
