package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/gotok/tiktok/bench/internal/load"
)

// transcodeResult is the reads-while-transcoding scenario: GET /api/videos at half the
// concurrency while the server's media pipeline transcodes an upload.
type transcodeResult struct {
	skipped string // why the scenario did not run ("" when it did)
	reads   row
	// took is from the upload until the video was ready; coveredReads reports that it was
	// still processing when the read measurement ended (the transcode ran throughout).
	took         time.Duration
	coveredReads bool
	clip         string // what was uploaded
}

// transcodeClip is the upload: 40 s of 1080p MPEG-4 Part 2 in QuickTime, which the
// pipeline must transcode (codec and size) to 720p H.264.
const (
	transcodeSize    = "1920x1080"
	transcodeSeconds = 40
)

// readsWhileTranscoding uploads a clip that needs a transcode and measures reads while the
// server's worker transcodes it (at nice 19, MEDIA_WORKERS at once), to compare with the
// reads alone.
func (b *run) readsWhileTranscoding(ctx context.Context, srv *server, concurrency int) (transcodeResult, error) {
	var res transcodeResult
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		res.skipped = "ffmpeg is not installed"
		return res, nil
	}
	clip := filepath.Join(b.tmp, "transcode.mov")
	gen := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%s:rate=30:duration=%d", transcodeSize, transcodeSeconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:duration=%d", transcodeSeconds),
		"-c:v", "mpeg4", "-b:v", "4M", "-c:a", "aac", "-shortest", clip)
	if out, err := gen.CombinedOutput(); err != nil {
		return res, fmt.Errorf("make the transcode clip: %v: %s", err, out)
	}
	info, err := os.Stat(clip)
	if err != nil {
		return res, err
	}
	res.clip = fmt.Sprintf("%d s of %s MPEG-4 Part 2 + AAC in QuickTime (%.1f MiB)", transcodeSeconds, transcodeSize, mib(info.Size()))

	client := load.NewClient(2)
	a, err := load.Login(ctx, client, srv.url, "user3@example.com", Password)
	if err != nil {
		return res, err
	}
	start := time.Now()
	id, status, err := uploadFile(ctx, srv.url, a.Token, clip)
	if err != nil {
		return res, fmt.Errorf("upload the transcode clip: %w", err)
	}
	if status != "processing" {
		res.skipped = fmt.Sprintf("the server does not process uploads (status %q: no ffmpeg, or MEDIA_PROCESSING=off)", status)
		return res, nil
	}
	b.logf("uploaded video %d (%s); measuring reads while it is transcoded", id, res.clip)
	m, err := b.measureOnce(ctx, srv, concurrency, feed())
	if err != nil {
		return res, err
	}
	res.reads = rowOf(fmt.Sprintf("GET /api/videos at concurrency %d while transcoding", concurrency), m)
	state := func() (string, error) {
		var v struct{ Status string }
		err := load.Call(ctx, client, srv.url, "GET", fmt.Sprintf("/api/videos/%d", id), a.Token, nil, &v)
		return v.Status, err
	}
	st, err := state()
	if err != nil {
		return res, err
	}
	res.coveredReads = st == "processing"
	for st == "processing" {
		if time.Since(start) > 15*time.Minute {
			return res, fmt.Errorf("video %d still processing after 15 minutes", id)
		}
		time.Sleep(250 * time.Millisecond)
		if st, err = state(); err != nil {
			return res, err
		}
	}
	if st != "ready" {
		return res, fmt.Errorf("the transcode clip ended %q", st)
	}
	res.took = time.Since(start)
	b.logf("%s; the video was ready after %s", res.reads.line(), res.took.Round(100*time.Millisecond))
	return res, nil
}

// uploadFile posts the file at path to POST /api/videos as multipart, streamed, and
// returns the new video's id and status.
func uploadFile(ctx context.Context, baseURL, token, path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			if err := mw.WriteField("caption", "transcode me #bench"); err != nil {
				return err
			}
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="video"; filename="clip.mov"`)
			h.Set("Content-Type", "video/quicktime")
			part, err := mw.CreatePart(h)
			if err != nil {
				return err
			}
			if _, err := io.Copy(part, f); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", baseURL+"/api/videos", pr)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var v struct {
		ID     int64
		Status string
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, "", err
	}
	if resp.StatusCode != http.StatusCreated {
		return 0, "", fmt.Errorf("status %d: %.300s", resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return 0, "", err
	}
	return v.ID, v.Status, nil
}
