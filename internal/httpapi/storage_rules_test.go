package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/config"
	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/media"
)

// The rules that keep the storage-compatible routes (STORAGE_COMPAT=true) from letting
// anyone change other people's media: an object is never replaced, only its owner can
// claim it for a video, anonymous uploads are bounded per client and must keep a minimum
// transfer rate, and a database error while claiming is not swallowed.

// storagePut uploads data to bucket/path the way storage-js does with a raw body.
func (e *env) storagePut(bucket, path string, data []byte, token string, headers ...string) response {
	e.t.Helper()
	return e.request("POST", "/storage/v1/object/"+bucket+"/"+path, data, token,
		append([]string{"Content-Type", "application/octet-stream"}, headers...)...)
}

// storageURL is the public URL of bucket/path, as storage-js's getPublicUrl builds it.
func (e *env) storageURL(bucket, path string) string {
	return e.srv.URL + "/storage/v1/object/public/" + bucket + "/" + path
}

// call sends a request and returns its status, error code and headers. Unlike request it
// may run on any goroutine: problems are reported with t.Errorf and as the error.
func (e *env) call(method, path string, body io.Reader, token string, headers ...string) (int, string, http.Header, error) {
	res, err := e.api.Do(method, path, body, token, headers...)
	if err != nil {
		return res.Status, "", res.Header, err
	}
	checkSpec(e.t, method, path, res.Status, res.Header, res.Raw)
	return res.Status, res.Str("code"), res.Header, nil
}

// streamed hides the length of data, so the client sends it chunked (no Content-Length).
func streamed(data []byte) io.Reader { return struct{ io.Reader }{bytes.NewReader(data)} }

// storageRows counts the storage objects whose path starts with prefix.
func (e *env) storageRows(prefix string) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM storage_objects WHERE starts_with(path, $1)`, prefix).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestStorageUpsertNeverReplaces: x-upsert: true does not replace an existing object —
// not anonymously, not with its owner's token — and a refused upload leaves no file.
func TestStorageUpsertNeverReplaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storageCompat)
	u := e.register("keeper")
	clip, other := media.Samples()[0].Video, media.Samples()[1].Video
	p := fmt.Sprintf("user-%d/1712345678-clip.mp4", u.id)
	expect(t, e.storagePut("videos", p, clip, ""), 200, "")
	v := e.request("POST", "/api/videos", map[string]any{"caption": "mine", "videoUrl": e.storageURL("videos", p)}, u.token)
	expect(t, v, 201, "")
	files := len(e.mediaFiles())

	for i := range 5 {
		var res response
		if i%2 == 0 {
			res = e.storagePut("videos", p, other, "", "x-upsert", "true")
		} else {
			body, ctype := storageJSForm(t, other)
			res = e.request("POST", "/storage/v1/object/videos/"+p, body, "", "Content-Type", ctype, "x-upsert", "true")
		}
		expect(t, res, 400, "validation_failed")
		if res.str("message") != "The resource already exists" || res.str("fields.path") == "" {
			t.Errorf("duplicate answered %s, want Supabase's message and fields.path", res.raw)
		}
	}
	expect(t, e.storagePut("videos", p, other, u.token, "x-upsert", "true"), 400, "validation_failed")
	if got := len(e.mediaFiles()); got != files {
		t.Errorf("six refused upserts changed the number of stored files: %d → %d", files, got)
	}

	pub := e.request("GET", "/storage/v1/object/public/videos/"+p, nil, "")
	if pub.status != 200 || !bytes.Equal(pub.raw, clip) {
		t.Fatalf("the object a video plays was replaced: %d, %d bytes", pub.status, len(pub.raw))
	}
	got := e.request("GET", fmt.Sprintf("/api/videos/%d", v.num("id")), nil, "")
	if got.str("videoUrl") != e.storageURL("videos", p) {
		t.Errorf("video %s", got.raw)
	}

	// x-upsert on a path that does not exist yet is an ordinary upload.
	expect(t, e.storagePut("videos", fmt.Sprintf("user-%d/new.mp4", u.id), other, "", "x-upsert", "true"), 200, "")
}

// TestStorageClaimRequiresOwner: an object uploaded to user-{id}/… belongs to user id;
// only that user can make a video of it (and so delete it). Anonymous uploads elsewhere
// are refused; a logged-in uploader owns what it uploads.
func TestStorageClaimRequiresOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storageCompat)
	victim, thief := e.register("victim"), e.register("thief")
	clip, thumb := sampleVideo(t), sampleImage(t)
	vp := fmt.Sprintf("user-%d/1712345678-clip.mp4", victim.id)
	tp := fmt.Sprintf("user-%d/1712345678-thumb.jpg", victim.id)
	expect(t, e.storagePut("videos", vp, clip, ""), 200, "") // storage-js sends no token of ours
	expect(t, e.storagePut("thumbnails", tp, thumb, ""), 200, "")

	// Another user can claim neither the video nor the thumbnail before the owner posts.
	expect(t, e.request("POST", "/api/videos", map[string]any{"videoUrl": e.storageURL("videos", vp)}, thief.token), 403, "forbidden")
	expect(t, e.request("POST", "/api/videos", map[string]any{
		"videoUrl": "https://cdn.example.com/v.mp4", "thumbnailUrl": e.storageURL("thumbnails", tp),
	}, thief.token), 403, "forbidden")

	// The owner can, once.
	res := e.request("POST", "/api/videos", map[string]any{
		"videoUrl": e.storageURL("videos", vp), "thumbnailUrl": e.storageURL("thumbnails", tp),
	}, victim.token)
	expect(t, res, 201, "")
	id := res.num("id")
	res = e.request("POST", "/api/videos", map[string]any{"videoUrl": e.storageURL("videos", vp)}, victim.token)
	expect(t, res, 400, "validation_failed")
	if res.str("fields.videoUrl") == "" {
		t.Errorf("second claim: %s", res.raw)
	}
	expect(t, e.request("DELETE", fmt.Sprintf("/api/videos/%d", id), nil, thief.token), 403, "forbidden")
	if pub := e.request("GET", "/storage/v1/object/public/videos/"+vp, nil, ""); pub.status != 200 || !bytes.Equal(pub.raw, clip) {
		t.Fatalf("the owner's file: %d", pub.status)
	}

	// A URL of this server's storage that names no object is refused: the video would play nothing.
	res = e.request("POST", "/api/videos", map[string]any{"videoUrl": e.storageURL("videos", fmt.Sprintf("user-%d/missing.mp4", victim.id))}, victim.token)
	expect(t, res, 400, "validation_failed")
	if res.str("fields.videoUrl") == "" {
		t.Errorf("missing object: %s", res.raw)
	}

	// Uploads nobody could ever claim are refused, and leave nothing behind.
	before := len(e.mediaFiles())
	for _, tc := range []struct {
		path, token string
		status      int
		code        string
	}{
		{"clips/anon.mp4", "", 400, "validation_failed"},    // anonymous, no user folder
		{"user-999999/x.mp4", "", 400, "validation_failed"}, // no such user
		{"user-0/x.mp4", "", 400, "validation_failed"},
		{"user-01/x.mp4", "", 400, "validation_failed"},
		{fmt.Sprintf("user-%d/planted.mp4", victim.id), thief.token, 403, "forbidden"}, // someone else's folder
	} {
		res := e.storagePut("videos", tc.path, clip, tc.token)
		if res.status != tc.status || res.str("code") != tc.code {
			t.Errorf("upload to %s: %s, want %d %s", tc.path, res, tc.status, tc.code)
		}
	}
	if after := len(e.mediaFiles()); after != before {
		t.Errorf("refused uploads left %d files", after-before)
	}

	// A logged-in uploader owns what it uploads outside user folders.
	own := "thief-stuff/own.mp4"
	expect(t, e.storagePut("videos", own, clip, thief.token), 200, "")
	expect(t, e.request("POST", "/api/videos", map[string]any{"videoUrl": e.storageURL("videos", own)}, victim.token), 403, "forbidden")
	expect(t, e.request("POST", "/api/videos", map[string]any{"videoUrl": e.storageURL("videos", own)}, thief.token), 201, "")
}

// TestStorageClaimBurst: many concurrent claims of one object — by strangers and by its
// owner at once — leave exactly one owning video, the owner's.
func TestStorageClaimBurst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storageCompat)
	owner := e.register("owner")
	var tokens []string
	for i := range 6 {
		tokens = append(tokens, e.register(fmt.Sprintf("stranger%d", i)).token)
	}
	strangers := len(tokens)
	for range 4 {
		tokens = append(tokens, owner.token)
	}
	clip := sampleVideo(t)
	for round := range 3 {
		p := fmt.Sprintf("user-%d/burst%d.mp4", owner.id, round)
		expect(t, e.storagePut("videos", p, clip, ""), 200, "")
		body, _ := json.Marshal(map[string]any{"caption": "burst", "videoUrl": e.storageURL("videos", p)})
		statuses := make([]int, len(tokens))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, tok := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				st, _, _, err := e.call("POST", "/api/videos", bytes.NewReader(body), tok, "Content-Type", "application/json")
				if err != nil {
					t.Error(err)
				}
				statuses[i] = st
			}()
		}
		close(start)
		wg.Wait()
		created := 0
		for i, st := range statuses {
			switch {
			case i < strangers && st != 403:
				t.Errorf("round %d: a stranger's claim answered %d, want 403", round, st)
			case i >= strangers && st == 201:
				created++
			case i >= strangers && st != 400:
				t.Errorf("round %d: the owner's extra claim answered %d, want 400", round, st)
			}
		}
		if created != 1 {
			t.Errorf("round %d: %d of the owner's concurrent claims succeeded, want 1", round, created)
		}
		rows, err := e.pool.Query(context.Background(), `
			SELECT v.user_id FROM videos v JOIN storage_objects s ON s.media_name = v.video_media
			WHERE s.bucket = 'videos' AND s.path = $1`, p)
		if err != nil {
			t.Fatal(err)
		}
		var owners []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			owners = append(owners, id)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(owners) != 1 || owners[0] != owner.id {
			t.Errorf("round %d: owning videos' users %v, want exactly [%d]", round, owners, owner.id)
		}
	}
}

// TestStorageClaimDatabaseError: a database error while looking up the object a video
// claims fails the request instead of creating a video that silently owns nothing.
func TestStorageClaimDatabaseError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storageCompat)
	u := e.register("unlucky")
	p := fmt.Sprintf("user-%d/clip.mp4", u.id)
	expect(t, e.storagePut("videos", p, sampleVideo(t), ""), 200, "")
	// The table becomes unreachable, as in an outage that hits this one query.
	if _, err := e.pool.Exec(context.Background(), `ALTER TABLE storage_objects RENAME TO storage_objects_gone`); err != nil {
		t.Fatal(err)
	}
	res := e.request("POST", "/api/videos", map[string]any{"videoUrl": e.storageURL("videos", p)}, u.token)
	if res.status < 500 {
		t.Fatalf("a database error while claiming the file was swallowed: %s", res)
	}
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM videos`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d videos created", n)
	}
}

// TestStorageUploadQuota: storage uploads are charged per client IP against a byte budget
// per hour — reserved from Content-Length up front, or charged as streamed bytes arrive —
// and a refused upload leaves no file. What an upload did not transfer is given back.
func TestStorageUploadQuota(t *testing.T) {
	t.Parallel()
	clip := sampleVideo(t)
	budget := 2*len(clip) + len(clip)/2
	e := newEnv(t, storageCompat, func(d *httpapi.Deps) {
		d.Config.Limits = config.Limits{Enabled: true, StorageBytesPerIP: budget}
		d.Config.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	u := e.register("quota")
	dir := fmt.Sprintf("user-%d/", u.id)

	// Three bodies refused after their first bytes cost only what was read of them.
	junk := bytes.Repeat([]byte("not a video "), len(clip)/12)
	for i := range 3 {
		expect(t, e.storagePut("videos", fmt.Sprintf("%sjunk%d.mp4", dir, i), junk, ""), 415, "unsupported_media_type")
	}
	expect(t, e.storagePut("videos", dir+"a.mp4", clip, ""), 200, "")
	expect(t, e.storagePut("videos", dir+"b.mp4", clip, ""), 200, "")
	files := len(e.mediaFiles())

	res := e.storagePut("videos", dir+"c.mp4", clip, "")
	expect(t, res, 429, "rate_limited")
	if res.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Streamed without a length, the bytes are charged as they arrive.
	st, code, _, err := e.call("POST", "/storage/v1/object/videos/"+dir+"d.mp4", streamed(clip), "", "Content-Type", "application/octet-stream")
	if err != nil || st != 429 || code != "rate_limited" {
		t.Errorf("streamed upload over the budget: %d %s %v", st, code, err)
	}
	if got := len(e.mediaFiles()); got != files {
		t.Errorf("uploads over the budget left %d files", got-files)
	}
	if n := e.storageRows(dir); n != 2 {
		t.Errorf("%d storage objects, want 2", n)
	}

	// Another client has a budget of its own; streamed uploads use it up too.
	xff := []string{"Content-Type", "application/octet-stream", "X-Forwarded-For", "203.0.113.7"}
	for _, name := range []string{"e.mp4", "f.mp4"} {
		if st, code, _, err := e.call("POST", "/storage/v1/object/videos/"+dir+name, streamed(clip), "", xff...); err != nil || st != 200 {
			t.Fatalf("other client's streamed upload %s: %d %s %v", name, st, code, err)
		}
	}
	st, code, _, err = e.call("POST", "/storage/v1/object/videos/"+dir+"g.mp4", streamed(clip), "", xff...)
	if err != nil || st != 429 || code != "rate_limited" {
		t.Errorf("other client's third streamed upload: %d %s %v", st, code, err)
	}
	if n := e.storageRows(dir); n != 4 {
		t.Errorf("%d storage objects, want 4", n)
	}
	if got := len(e.mediaFiles()); got != files+2 {
		t.Errorf("%d files, want %d", got, files+2)
	}
}

// TestStorageUploadConcurrencyCap: one client IP may run only so many storage uploads at
// once; the others are refused at once (429) while the admitted ones still stream.
func TestStorageUploadConcurrencyCap(t *testing.T) {
	t.Parallel()
	const limit = 2
	e := newEnv(t, storageCompat, func(d *httpapi.Deps) {
		d.Config.Limits = config.Limits{Enabled: true, StorageUploadsPerIP: limit}
	})
	u := e.register("busy")
	clip := uploadBurst(t, []*env{e}, u, limit, 7)
	// The slots are free again.
	expect(t, e.storagePut("videos", fmt.Sprintf("user-%d/after.mp4", u.id), clip, ""), 200, "")
	if got := len(e.mediaFiles()); got != limit+1 {
		t.Errorf("%d files stored, want %d", got, limit+1)
	}
}

// uploadBurst starts n storage uploads of u's at once from one client, upload i on
// servers[i % len(servers)], each holding its body back: all but limit must be refused
// (429) while the admitted ones still stream, and those must then finish. It returns the
// clip the admitted uploads sent.
func uploadBurst(t *testing.T, servers []*env, u registered, limit, n int) []byte {
	t.Helper()
	clip := sampleVideo(t)
	type result struct {
		status int
		code   string
		err    error
	}
	results := make(chan result, n)
	writers := make([]*io.PipeWriter, n)
	defer func() { // never leave a handler waiting for a body
		for _, pw := range writers {
			pw.CloseWithError(errors.New("test over"))
		}
	}()
	for i := range n {
		pr, pw := io.Pipe()
		writers[i] = pw
		go func() {
			st, code, _, err := servers[i%len(servers)].call("POST", fmt.Sprintf("/storage/v1/object/videos/user-%d/c%d.mp4", u.id, i), pr, "",
				"Content-Type", "application/octet-stream")
			results <- result{st, code, err}
		}()
	}
	timeout := time.After(5 * time.Second)
	for refused := 0; refused < n-limit; refused++ {
		select {
		case r := <-results:
			if r.err != nil || r.status != 429 || r.code != "rate_limited" {
				t.Fatalf("an upload answered while %d others still stream: %+v", limit, r)
			}
		case <-timeout:
			t.Fatalf("%d of the %d uploads over the cap of %d were refused within 5s", refused, n-limit, limit)
		}
	}
	for _, pw := range writers {
		go func() {
			if _, err := pw.Write(clip); err == nil {
				pw.Close()
			}
		}()
	}
	for range limit {
		select {
		case r := <-results:
			if r.err != nil || r.status != 200 {
				t.Errorf("admitted upload: %+v", r)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the admitted uploads did not finish")
		}
	}
	return clip
}

// TestStorageSlowBody: a body that trickles in below the minimum rate is cut off after the
// grace period with 408 and a closed connection, leaving no file; the test's client sends
// one byte every 50 ms against a minimum of 1000 bytes/s after 300 ms.
func TestStorageSlowBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storageCompat, func(d *httpapi.Deps) {
		d.Config.StorageMinRate = 1000
		d.Config.StorageRateGrace = 300 * time.Millisecond
	})
	u := e.register("slowpoke")
	clip := sampleVideo(t)
	path := fmt.Sprintf("/storage/v1/object/videos/user-%d/slow.mp4", u.id)

	addr := e.srv.Listener.Addr().String()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", path, addr, len(clip))
	go func() {
		for i := range clip {
			if _, err := conn.Write(clip[i : i+1]); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()

	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a body trickling in at 20 bytes/s within %v: %v", time.Since(start).Round(time.Millisecond), err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	elapsed := time.Since(start)
	checkSpec(t, "POST", path, res.StatusCode, res.Header, raw)
	if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(raw), `"request_timeout"`) {
		t.Fatalf("trickling body answered %d %s, want 408 request_timeout", res.StatusCode, raw)
	}
	if elapsed > 3*time.Second {
		t.Errorf("cut off after %v; the grace is 300ms", elapsed)
	}
	if _, err := br.ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the connection stayed open after the 408: %v", err)
	}
	if files := e.mediaFiles(); len(files) != 0 {
		t.Errorf("the cut-off upload left files: %v", files)
	}
	if n := e.storageRows(""); n != 0 {
		t.Errorf("the cut-off upload left %d storage objects", n)
	}
	t.Logf("a 20 bytes/s body was answered 408 after %v", elapsed.Round(time.Millisecond))
}

// TestStorageUploadsGoWithTheirOwner: deleting an account deletes its uploads no video
// claimed yet, as well as the files its videos own.
func TestStorageUploadsGoWithTheirOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storageCompat)
	u, other := e.register("leaving"), e.register("staying")
	clip := sampleVideo(t)
	for _, name := range []string{"posted.mp4", "pending.mp4"} {
		expect(t, e.storagePut("videos", fmt.Sprintf("user-%d/%s", u.id, name), clip, ""), 200, "")
	}
	expect(t, e.storagePut("videos", fmt.Sprintf("user-%d/theirs.mp4", other.id), clip, ""), 200, "")
	expect(t, e.request("POST", "/api/videos", map[string]any{"videoUrl": e.storageURL("videos", fmt.Sprintf("user-%d/posted.mp4", u.id))}, u.token), 201, "")
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", u.id), nil, u.token), 200, "")
	if files := e.mediaFiles(); len(files) != 1 {
		t.Errorf("files left %v, want only the other user's upload", files)
	}
	if n := e.storageRows(""); n != 1 {
		t.Errorf("%d storage objects left, want 1", n)
	}
	expect(t, e.request("GET", fmt.Sprintf("/storage/v1/object/public/videos/user-%d/pending.mp4", u.id), nil, ""), 404, "not_found")
}
