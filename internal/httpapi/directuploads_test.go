package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/media"
)

// withS3 makes the server store media in a bucket of an in-process S3-compatible server
// (gofakes3), returned in *s.
func withS3(t *testing.T, s **media.S3) option {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("media"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	st, err := media.NewS3(context.Background(), media.S3Config{Bucket: "media", Endpoint: srv.URL, Region: "us-east-1",
		AccessKeyID: "test", SecretAccessKey: "test", ForcePathStyle: true, PartSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	*s = st
	return func(d *httpapi.Deps) { d.Media = st }
}

// presign asks for a direct upload and returns the answer.
func (e *env) presign(u registered, kind, contentType string, size int) response {
	e.t.Helper()
	return e.request("POST", "/api/uploads", map[string]any{"kind": kind, "contentType": contentType, "size": size}, u.token)
}

// putPresigned sends body as the presigned upload res describes, as a browser would.
func (e *env) putPresigned(res response, body []byte) {
	e.t.Helper()
	req, err := http.NewRequest(res.str("method"), res.str("url"), bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range res.get("headers").(map[string]any) {
		req.Header.Set(k, v.(string))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("presigned PUT: %s", resp.Status)
	}
}

// stored reports whether the bucket holds name.
func stored(t *testing.T, s media.Storage, name string) bool {
	t.Helper()
	f, err := s.Open(context.Background(), name)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return true
}

func TestDirectUploadNeedsS3(t *testing.T) {
	e := newEnv(t)
	u := e.register("localonly")
	expect(t, e.presign(u, "video", "video/mp4", 1000), 501, "not_implemented")
	expect(t, e.request("POST", "/api/uploads", map[string]any{"kind": "video"}, ""), 401, "token_missing")
}

// TestDirectUploadVideo: presign, upload to the bucket, create the video with the key; the
// video's URL serves the file (ranges too) and deleting the video deletes the object.
func TestDirectUploadVideo(t *testing.T) {
	var bucket *media.S3
	e := newEnv(t, withS3(t, &bucket))
	u := e.register("direct")
	clip := media.Samples()[0].Video
	thumb := media.Samples()[0].Thumbnail

	res := e.presign(u, "video", "video/mp4", len(clip))
	expect(t, res, 201, "")
	key := res.str("key")
	if !strings.HasSuffix(key, ".mp4") || !strings.Contains(res.str("url"), "/media/"+key+"?") || res.str("method") != "PUT" {
		t.Fatalf("presign = %s", res.raw)
	}
	if exp, err := time.Parse(time.RFC3339, res.str("expiresAt")); err != nil || time.Until(exp) < 14*time.Minute {
		t.Errorf("expiresAt = %q", res.str("expiresAt"))
	}
	if res.get("headers.Content-Type") != "video/mp4" {
		t.Errorf("headers = %v", res.get("headers"))
	}
	e.putPresigned(res, clip)
	tres := e.presign(u, "image", "image/jpeg", len(thumb))
	expect(t, tres, 201, "")
	e.putPresigned(tres, thumb)

	v := e.request("POST", "/api/videos", map[string]any{"videoKey": key, "thumbnailKey": tres.str("key"), "caption": "direct #upload"}, u.token)
	expect(t, v, 201, "")
	if !strings.HasSuffix(v.str("videoUrl"), "/uploads/"+key) || !strings.HasSuffix(v.str("thumbnailUrl"), "/uploads/"+tres.str("key")) {
		t.Errorf("video = %s", v.raw)
	}
	got := e.request("GET", "/uploads/"+key, nil, "", "Range", "bytes=100-199")
	if got.status != 206 || !bytes.Equal(got.raw, clip[100:200]) {
		t.Errorf("ranged GET of the uploaded file: %d, %d bytes", got.status, len(got.raw))
	}
	// The key is used up.
	expect(t, e.request("POST", "/api/videos", map[string]any{"videoKey": key}, u.token), 400, "validation_failed")

	expect(t, e.request("DELETE", fmt.Sprintf("/api/videos/%d", v.num("id")), nil, u.token), 200, "")
	if stored(t, bucket, key) || stored(t, bucket, tres.str("key")) {
		t.Error("deleting the video left its uploaded files in the bucket")
	}
}

func TestDirectUploadValidation(t *testing.T) {
	var bucket *media.S3
	e := newEnv(t, withS3(t, &bucket))
	u := e.register("validator")
	tests := []struct {
		body            map[string]any
		status          int
		code, wantField string
	}{
		{map[string]any{"contentType": "video/mp4", "size": 10}, 400, "validation_failed", "kind"},
		{map[string]any{"kind": "audio", "contentType": "video/mp4", "size": 10}, 400, "validation_failed", "kind"},
		{map[string]any{"kind": "video", "size": 10}, 400, "validation_failed", "contentType"},
		{map[string]any{"kind": "video", "contentType": "text/html", "size": 10}, 400, "validation_failed", "contentType"},
		{map[string]any{"kind": "video", "contentType": "image/png", "size": 10}, 400, "validation_failed", "contentType"},
		{map[string]any{"kind": "image", "contentType": "video/mp4", "size": 10}, 400, "validation_failed", "contentType"},
		{map[string]any{"kind": "video", "contentType": "video/mp4"}, 400, "validation_failed", "size"},
		{map[string]any{"kind": "video", "contentType": "video/mp4", "size": 0}, 400, "validation_failed", "size"},
		{map[string]any{"kind": "video", "contentType": "video/mp4", "size": -5}, 400, "validation_failed", "size"},
		{map[string]any{"kind": "video", "contentType": "video/mp4", "size": 10<<20 + 1}, 413, "too_large", "size"},
		{map[string]any{"kind": "image", "contentType": "image/png", "size": media.MaxImageBytes + 1}, 413, "too_large", "size"},
		{map[string]any{"kind": "video", "contentType": "video/mp4", "size": "big"}, 400, "validation_failed", "size"},
	}
	for _, tt := range tests {
		res := e.request("POST", "/api/uploads", tt.body, u.token)
		expect(t, res, tt.status, tt.code)
		if tt.wantField != "" && res.str("fields."+tt.wantField) == "" {
			t.Errorf("%v: no problem named for %s: %s", tt.body, tt.wantField, res.raw)
		}
	}
	res := e.presign(u, "video", "Video/MP4", 10<<20)
	expect(t, res, 201, "")
}

// TestDirectUploadClaimRules: a key works only for its owner, its kind, once, and only
// when its file is there and is what was promised; a refused file is deleted.
func TestDirectUploadClaimRules(t *testing.T) {
	var bucket *media.S3
	e := newEnv(t, withS3(t, &bucket))
	alice, bob := e.register("alice_du"), e.register("bob_du")
	clip := media.Samples()[1].Video
	create := func(u registered, body map[string]any) response {
		return e.request("POST", "/api/videos", body, u.token)
	}

	expect(t, create(alice, map[string]any{"videoKey": "0123456789abcdef0123456789abcdef.mp4"}), 404, "not_found")
	expect(t, create(alice, map[string]any{"videoKey": "../etc/passwd"}), 400, "validation_failed")
	expect(t, create(alice, map[string]any{"videoKey": ""}), 400, "validation_failed")

	res := e.presign(alice, "video", "video/mp4", len(clip))
	key := res.str("key")
	// Not uploaded yet: refused, and the key stays usable.
	expect(t, create(alice, map[string]any{"videoKey": key}), 400, "validation_failed")
	e.putPresigned(res, clip)
	expect(t, create(bob, map[string]any{"videoKey": key}), 403, "forbidden")
	expect(t, create(alice, map[string]any{"videoKey": key, "videoUrl": "https://cdn.example.com/x.mp4"}), 400, "validation_failed")
	expect(t, create(alice, map[string]any{"videoKey": key, "caption": strings.Repeat("x", 2201)}), 400, "validation_failed")
	if !stored(t, bucket, key) {
		t.Fatal("a refused request deleted a good upload")
	}
	img := e.presign(alice, "image", "image/jpeg", 100)
	expect(t, create(alice, map[string]any{"videoKey": img.str("key")}), 400, "validation_failed") // an image key
	expect(t, create(alice, map[string]any{"videoKey": key}), 201, "")

	// Bytes that are not a video (an HTML page), or not the declared type, are refused
	// with 415 and deleted.
	for _, c := range []struct {
		ctype string
		body  []byte
	}{
		{"video/mp4", []byte("<html><script>alert(1)</script></html>")},
		{"video/webm", clip}, // an MP4 uploaded as WebM
	} {
		res := e.presign(alice, "video", c.ctype, len(c.body))
		e.putPresigned(res, c.body)
		expect(t, create(alice, map[string]any{"videoKey": res.str("key")}), 415, "unsupported_media_type")
		if stored(t, bucket, res.str("key")) {
			t.Errorf("%s: the refused upload is still in the bucket", c.ctype)
		}
	}
}

// TestDirectUploadClaimBurst: many parallel requests naming one key make exactly one video.
func TestDirectUploadClaimBurst(t *testing.T) {
	var bucket *media.S3
	e := newEnv(t, withS3(t, &bucket))
	u := e.register("burst_du")
	clip := media.Samples()[2].Video
	res := e.presign(u, "video", "video/mp4", len(clip))
	e.putPresigned(res, clip)

	const n = 12
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := e.api.Do("POST", "/api/videos", map[string]any{"videoKey": res.str("key"), "caption": "burst"}, u.token)
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = r.Status
		}()
	}
	close(start)
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case 201:
			created++
		case 400:
		default:
			t.Errorf("status %d in the burst", s)
		}
	}
	var videos int
	if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM videos WHERE user_id = $1", u.id).Scan(&videos); err != nil {
		t.Fatal(err)
	}
	if created != 1 || videos != 1 {
		t.Errorf("%d requests created a video, %d videos exist; want exactly 1", created, videos)
	}
	if !stored(t, bucket, res.str("key")) {
		t.Error("the claimed upload is gone from the bucket")
	}
}

// TestDirectUploadOpenKeyCap: a user holds at most 10 unused keys, also when asking for
// them all at once.
func TestDirectUploadOpenKeyCap(t *testing.T) {
	var bucket *media.S3
	e := newEnv(t, withS3(t, &bucket))
	u := e.register("capped_du")
	const n = 15
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := e.api.Do("POST", "/api/uploads", map[string]any{"kind": "video", "contentType": "video/mp4", "size": 1000}, u.token)
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = r.Status
			if r.Status == 429 && r.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}()
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[201] != 10 || count[429] != 5 {
		t.Errorf("statuses %v, want 10 × 201 and 5 × 429", count)
	}
	// Another user is not affected.
	expect(t, e.presign(e.register("other_du"), "video", "video/mp4", 1000), 201, "")
}

// TestMediaPublicURL: with MEDIA_PUBLIC_URL set, stored media are linked on that base.
func TestMediaPublicURL(t *testing.T) {
	e := newEnv(t, func(d *httpapi.Deps) { d.Config.MediaPublicURL = "https://cdn.example.com/m" })
	u := e.register("cdn_user")
	res := e.upload("POST", "/api/videos", u.token, map[string]string{"caption": "cdn"},
		map[string]fileUpload{"video": {name: "a.mp4", data: media.Samples()[0].Video}})
	expect(t, res, 201, "")
	if url := res.str("videoUrl"); !strings.HasPrefix(url, "https://cdn.example.com/m/") || strings.Contains(url, "/uploads/") {
		t.Errorf("videoUrl = %q, want it on MEDIA_PUBLIC_URL", url)
	}
	// Absolute URLs a client gave stay as they are.
	v := e.request("POST", "/api/videos", map[string]any{"videoUrl": "https://elsewhere.example.com/v.mp4"}, u.token)
	expect(t, v, 201, "")
	if v.str("videoUrl") != "https://elsewhere.example.com/v.mp4" {
		t.Errorf("videoUrl = %q", v.str("videoUrl"))
	}
}
