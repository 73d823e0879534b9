package httpapi_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/httpapi"
)

func storageCompat(d *httpapi.Deps) { d.Config.StorageCompat = true }

// storageJSForm builds the body storage-js sends: cacheControl, then the file under an
// empty field name.
func storageJSForm(t *testing.T, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("cacheControl", "3600"); err != nil {
		t.Fatal(err)
	}
	w, err := mw.CreateFormFile("", "blob")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func TestStorageCompatOffByDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	expect(t, e.request("POST", "/storage/v1/object/videos/a.mp4", sampleVideo(t), "", "Content-Type", "video/mp4"), 404, "not_found")
}

func TestStorageCompatUploadFlow(t *testing.T) {
	t.Parallel()
	// A minimum transfer rate is on; an ordinary upload never notices it.
	e := newEnv(t, storageCompat, func(d *httpapi.Deps) {
		d.Config.StorageMinRate, d.Config.StorageRateGrace = 64<<10, 5*time.Second
	})
	u := e.register("supa")
	clip, thumb := sampleVideo(t), sampleImage(t)
	// The original frontend uploads to user-{id}/{timestamp}-{name}, with no token of ours.
	dir := fmt.Sprintf("user-%d/", u.id)

	body, ctype := storageJSForm(t, clip)
	res := e.request("POST", "/storage/v1/object/videos/"+dir+"clip.mp4", body, "", "Content-Type", ctype)
	expect(t, res, 200, "")
	if res.str("Key") != "videos/"+dir+"clip.mp4" || len(res.str("Id")) != 36 {
		t.Fatalf("answer %s", res.raw)
	}
	// Raw body upload for the thumbnail.
	expect(t, e.request("POST", "/storage/v1/object/thumbnails/"+dir+"t.jpg", thumb, "", "Content-Type", "image/jpeg"), 200, "")

	// The public URL serves the bytes.
	pub := e.request("GET", "/storage/v1/object/public/videos/"+dir+"clip.mp4", nil, "")
	if pub.status != 200 || !bytes.Equal(pub.raw, clip) || pub.header.Get("Content-Type") != "video/mp4" {
		t.Fatalf("public GET: %d %v", pub.status, pub.header)
	}
	part := e.request("GET", "/storage/v1/object/public/videos/"+dir+"clip.mp4", nil, "", "Range", "bytes=0-9")
	if part.status != 206 || len(part.raw) != 10 {
		t.Fatalf("range: %d", part.status)
	}

	// Same path again: refused, with or without x-upsert, and nothing left behind.
	before := len(e.mediaFiles())
	body, ctype = storageJSForm(t, clip)
	expect(t, e.request("POST", "/storage/v1/object/videos/"+dir+"clip.mp4", body, "", "Content-Type", ctype), 400, "validation_failed")
	body, ctype = storageJSForm(t, clip)
	expect(t, e.request("POST", "/storage/v1/object/videos/"+dir+"clip.mp4", body, "", "Content-Type", ctype, "x-upsert", "true"), 400, "validation_failed")

	// Rejections: bucket, path, type, and nothing left behind by them.
	for _, tc := range []struct {
		path   string
		body   []byte
		status int
		code   string
	}{
		{"/storage/v1/object/avatars/" + dir + "a.jpg", thumb, 400, "validation_failed"},
		{"/storage/v1/object/videos/" + dir + "a%2F..%2Fb.mp4", clip, 400, "validation_failed"},
		{"/storage/v1/object/videos/" + dir + "a%20b.mp4", clip, 400, "validation_failed"},
		{"/storage/v1/object/videos/" + dir + "text.mp4", []byte("plain text, not a video"), 415, "unsupported_media_type"},
		{"/storage/v1/object/thumbnails/" + dir + "v.jpg", clip, 415, "unsupported_media_type"},
	} {
		res := e.request("POST", tc.path, tc.body, "", "Content-Type", "application/octet-stream")
		if res.status != tc.status || res.str("code") != tc.code {
			t.Errorf("POST %s: %s", tc.path, res)
		}
	}
	if after := len(e.mediaFiles()); after != before {
		t.Fatalf("rejected uploads left %d files", after-before)
	}

	// The frontend posts the public URLs: the video takes ownership of the files.
	base := e.srv.URL + "/storage/v1/object/public/"
	res = e.request("POST", "/api/videos", map[string]any{
		"caption": "from storage-js", "videoUrl": base + "videos/" + dir + "clip.mp4", "thumbnailUrl": base + "thumbnails/" + dir + "t.jpg",
		"videoStoragePath": dir + "clip.mp4",
	}, u.token)
	expect(t, res, 201, "")
	if res.str("videoUrl") != base+"videos/"+dir+"clip.mp4" {
		t.Fatalf("video %s", res.raw)
	}
	filesBefore := len(e.mediaFiles())
	expect(t, e.request("DELETE", fmt.Sprintf("/api/videos/%d", res.num("id")), nil, u.token), 200, "")
	if got := len(e.mediaFiles()); got != filesBefore-2 {
		t.Fatalf("deleting the video left its files: %d → %d", filesBefore, got)
	}
	expect(t, e.request("GET", "/storage/v1/object/public/videos/"+dir+"clip.mp4", nil, ""), 404, "not_found")
	// The path is free again.
	expect(t, e.request("POST", "/storage/v1/object/videos/"+dir+"clip.mp4", clip, "", "Content-Type", "video/mp4"), 200, "")

	// A URL on another host is only referenced, never owned.
	res = e.request("POST", "/api/videos", map[string]any{"videoUrl": "https://elsewhere.example" + strings.TrimPrefix(base, e.srv.URL) + "videos/x.mp4"}, u.token)
	expect(t, res, 201, "")

	// CORS preflight allows storage-js's headers.
	pre := e.request("OPTIONS", "/storage/v1/object/videos/x.mp4", nil, "", "Origin", "http://localhost:3000", "Access-Control-Request-Method", "POST")
	if pre.status != 204 || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "x-upsert") || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "apikey") {
		t.Fatalf("preflight %d %v", pre.status, pre.header)
	}
}
