package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/media"
)

// slowRequest is a request whose body the test sends piece by piece through a pipe.
type slowRequest struct {
	pw    *io.PipeWriter
	body  []byte
	sent  int
	done  chan struct{} // closed when the answer (or the transport error) is in reply
	reply reply
}

// startSlow sends method path with body, of which nothing is sent yet. With Expect:
// 100-continue the client sends the body only once the handler starts reading it, so once
// the first piece is written the request is in flight.
func startSlow(t *testing.T, s *server, method, path, token, contentType string, body []byte) *slowRequest {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := s.api.NewRequest(method, path, pr, token, "Content-Type", contentType, "Expect", "100-continue")
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	r := &slowRequest{pw: pw, body: body, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.reply = replyOf(s.api.Send(req))
	}()
	t.Cleanup(func() { pw.CloseWithError(errors.New("test over")) })
	return r
}

// send writes the next n bytes of the body (all that is left when n exceeds it). It fails
// when the request ended first or the server stops reading for 20s.
func (r *slowRequest) send(n int) error {
	n = min(n, len(r.body)-r.sent)
	errc := make(chan error, 1)
	go func() { _, err := r.pw.Write(r.body[r.sent : r.sent+n]); errc <- err }()
	select {
	case err := <-errc:
		r.sent += n
		return err
	case <-r.done:
		return fmt.Errorf("the request ended after %d of %d body bytes: %s", r.sent, len(r.body), r.reply)
	case <-time.After(20 * time.Second):
		return fmt.Errorf("the server read nothing for 20s after %d of %d body bytes", r.sent, len(r.body))
	}
}

// finish sends the rest of the body in 16 KiB pieces 2ms apart and closes it.
func (r *slowRequest) finish() error {
	for r.sent < len(r.body) {
		if err := r.send(16 << 10); err != nil {
			return err
		}
		time.Sleep(2 * time.Millisecond)
	}
	return r.pw.Close()
}

// result waits up to 30s for the answer.
func (r *slowRequest) result() reply {
	select {
	case <-r.done:
		return r.reply
	case <-time.After(30 * time.Second):
		return reply{err: errors.New("no answer within 30s")}
	}
}

// videoForm returns a multipart video upload (with a thumbnail when thumb is set).
func videoForm(t *testing.T, caption string, thumb bool) (contentType string, body []byte) {
	t.Helper()
	sample := media.Samples()[0]
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("caption", caption); err != nil {
		t.Fatal(err)
	}
	files := []struct{ field, name string }{{"video", "clip.mp4"}}
	if thumb {
		files = append(files, struct{ field, name string }{"thumbnail", "clip.jpg"})
	}
	for _, f := range files {
		w, err := mw.CreateFormFile(f.field, f.name)
		if err != nil {
			t.Fatal(err)
		}
		data := sample.Video
		if f.field == "thumbnail" {
			data = sample.Thumbnail
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

// checkMediaMatchesRows asserts that the media directory holds exactly the files rows
// refer to: no orphan file, no temporary file, no row pointing at a missing file.
func checkMediaMatchesRows(t *testing.T, pool *pgxpool.Pool, dir string) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
SELECT video_media FROM videos WHERE video_media IS NOT NULL
UNION SELECT thumbnail_media FROM videos WHERE thumbnail_media IS NOT NULL
UNION SELECT avatar_media FROM users WHERE avatar_media IS NOT NULL
UNION SELECT avatar_small FROM users WHERE avatar_small IS NOT NULL
UNION SELECT media_name FROM storage_objects`)
	if err != nil {
		t.Fatal(err)
	}
	var referenced []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		referenced = append(referenced, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var stored []string
	for _, e := range entries {
		stored = append(stored, e.Name())
	}
	slices.Sort(referenced)
	slices.Sort(stored)
	if !slices.Equal(stored, referenced) {
		t.Errorf("media directory and rows disagree:\n  files: %q\n  rows:  %q", stored, referenced)
	}
}

// TestShutdownDuringUploads cancels run's context (what SIGTERM does) while video uploads
// and writes are in flight. Uploads whose bodies complete get their 201 with row and files;
// uploads the client aborts leave nothing; quick writes either succeed for good or fail.
// Then, with a short SHUTDOWN_TIMEOUT, an upload that stalls past the grace period is cut
// off cleanly. Afterwards the media directory holds exactly the files rows refer to.
func TestShutdownDuringUploads(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.start()
	pool := c.pool()
	vars := testEnv(t)
	vars["DATABASE_URL"] = c.url
	vars["RATE_LIMIT_ENABLED"] = "false"
	mediaDir := filepath.Join(vars["DATA_DIR"], "media")
	s := startServe(t, vars)

	r := send(s.client, s.url, "POST", "/api/users/register", "", map[string]string{
		"username": "uploader", "email": "uploader@example.com", "password": "correct horse"})
	if r.status != http.StatusCreated {
		t.Fatalf("register: %s", r)
	}
	token := r.body["token"].(string)
	r = send(s.client, s.url, "POST", "/api/videos", token, map[string]any{"caption": "by URL", "videoUrl": "https://cdn.example.com/a.mp4"})
	if r.status != http.StatusCreated {
		t.Fatalf("create video: %s", r)
	}
	target := r.id("id")

	// In flight at cancellation: four uploads that will complete, two the client will abort
	// and two comments whose JSON bodies are half sent.
	var completing, aborting, comments []*slowRequest
	for i := range 6 {
		ct, body := videoForm(t, fmt.Sprintf("upload %d", i), i%2 == 0)
		u := startSlow(t, s, "POST", "/api/videos", token, ct, body)
		if err := u.send(48 << 10); err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		if i < 4 {
			completing = append(completing, u)
		} else {
			aborting = append(aborting, u)
		}
	}
	for i := range 2 {
		body := []byte(fmt.Sprintf(`{"videoId":%d,"content":"slow comment %d"}`, target, i))
		cm := startSlow(t, s, "POST", "/api/comments", token, "application/json", body)
		if err := cm.send(len(body) / 2); err != nil {
			t.Fatalf("comment %d: %v", i, err)
		}
		comments = append(comments, cm)
	}
	// Quick writes racing the shutdown: each either succeeds (and stays done) or fails.
	var (
		mu      sync.Mutex
		acked   []int64 // comments answered 201
		bad     []string
		writers sync.WaitGroup
		stopQ   = make(chan struct{})
		client  = &http.Client{Timeout: 10 * time.Second}
	)
	for range 3 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for {
				select {
				case <-stopQ:
					return
				default:
				}
				r := send(client, s.url, "POST", "/api/comments", token, map[string]any{"videoId": target, "content": "quick"})
				mu.Lock()
				switch {
				case r.err != nil, r.status == http.StatusServiceUnavailable:
				case r.status == http.StatusCreated:
					acked = append(acked, r.id("id"))
				default:
					bad = append(bad, r.String())
				}
				mu.Unlock()
				if r.err != nil {
					return // the server has stopped listening
				}
				send(client, s.url, "POST", fmt.Sprintf("/api/videos/%d/like", target), token, nil)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)

	s.cancel()
	select {
	case err := <-s.done:
		s.once.Do(func() { s.err = err })
		t.Fatalf("run returned (%v) with requests in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	for _, u := range aborting {
		u.pw.CloseWithError(errors.New("client gave up"))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(completing)+len(comments))
	for i, u := range append(append([]*slowRequest(nil), completing...), comments...) {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = u.finish() }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	var uploaded []int64
	for i, u := range completing {
		r := u.result()
		if r.status != http.StatusCreated {
			t.Errorf("upload %d completed during shutdown = %s, want 201", i, r)
			continue
		}
		uploaded = append(uploaded, r.id("id"))
	}
	for i, u := range aborting {
		if r := u.result(); r.err == nil && r.status < 300 {
			t.Errorf("aborted upload %d = %s, want it to fail", i, r)
		}
	}
	var slowAcked []int64
	for i, cm := range comments {
		r := cm.result()
		if r.status != http.StatusCreated {
			t.Errorf("comment %d completed during shutdown = %s, want 201", i, r)
			continue
		}
		slowAcked = append(slowAcked, r.id("id"))
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("run after cancellation: %v", err)
	}
	close(stopQ)
	writers.Wait()
	acked = append(acked, slowAcked...)
	if len(bad) > 0 {
		t.Errorf("quick writes during shutdown answered: %q", bad)
	}

	// Every acknowledged upload has its row and both of its files; nothing else is stored.
	ctx := context.Background()
	for _, id := range uploaded {
		var video string
		var thumb *string
		if err := pool.QueryRow(ctx, `SELECT video_media, thumbnail_media FROM videos WHERE id = $1`, id).Scan(&video, &thumb); err != nil {
			t.Errorf("video %d answered 201: %v", id, err)
		}
	}
	var videos int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM videos WHERE video_media IS NOT NULL`).Scan(&videos); err != nil {
		t.Fatal(err)
	}
	if videos != len(uploaded) {
		t.Errorf("%d uploaded videos in the database, %d answered 201", videos, len(uploaded))
	}
	var found int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM comments WHERE id = ANY($1)`, acked).Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found != len(acked) {
		t.Errorf("%d of %d acknowledged comments are missing", len(acked)-found, len(acked))
	}
	checkMediaMatchesRows(t, pool, mediaDir)
	if drift := counterDrift(t, pool); len(drift) > 0 {
		t.Errorf("counters differ from COUNT(*): %v", drift)
	}
	// The uploads answered during shutdown leave their processing to the next worker: the
	// media workers fetch no job once shutdown begins. Before, they took these jobs while
	// the requests drained and ran ffmpeg for them after, past the grace period.
	var started int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job
		WHERE kind = 'process_video' AND (args->>'videoId')::bigint = ANY($1) AND attempt > 0`, uploaded).Scan(&started); err != nil {
		t.Fatal(err)
	}
	if started > 0 {
		t.Errorf("%d of the %d uploads answered during shutdown had their processing started by the stopping server", started, len(uploaded))
	}

	t.Run("past the grace period", func(t *testing.T) {
		vars["SHUTDOWN_TIMEOUT"] = "2s"
		s := startServe(t, vars)
		ct, body := videoForm(t, "stalls", true)
		stalled := startSlow(t, s, "POST", "/api/videos", token, ct, body)
		ct, body = videoForm(t, "finishes", false)
		quick := startSlow(t, s, "POST", "/api/videos", token, ct, body)
		for _, u := range []*slowRequest{stalled, quick} {
			if err := u.send(48 << 10); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		s.cancel()
		// The second upload finishes well within the grace period, unless the machine is so
		// slow that it does not; either way what it leaves must be consistent.
		finishErr := quick.finish()
		created := 0
		if r := quick.result(); r.status == http.StatusCreated {
			created = 1
		} else {
			t.Logf("upload sent within the grace period = %s (finish: %v)", r, finishErr)
		}
		var err error
		select {
		case err = <-s.done:
		case <-time.After(30 * time.Second):
			t.Fatal("run did not return within 30s of cancellation")
		}
		s.once.Do(func() {}) // run's error is checked here, not at cleanup
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "shutdown") {
			t.Errorf("run = %v, want a shutdown error (a request outlived the grace period)", err)
		}
		if took < 2*time.Second || took > 20*time.Second {
			t.Errorf("run returned %v after cancellation, want a little over SHUTDOWN_TIMEOUT=2s", took)
		}
		if logs := s.logs.String(); !strings.Contains(logs, "requests_still_running=0") {
			t.Errorf("the server did not report that the cut-off handlers returned:\n%s", logs)
		}
		// The client notices only when its body ends (net/http waits for the body writer).
		stalled.pw.CloseWithError(errors.New("client gave up"))
		if r := stalled.result(); r.err == nil && r.status < 300 {
			t.Errorf("upload stalled past the grace period = %s, want it to fail", r)
		}
		checkMediaMatchesRows(t, pool, mediaDir)
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM videos WHERE video_media IS NOT NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(uploaded)+created {
			t.Errorf("%d uploaded videos, want %d", n, len(uploaded)+created)
		}
	})
}
