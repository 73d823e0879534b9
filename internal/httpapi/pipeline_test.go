package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/jobs"
	"github.com/gotok/tiktok/internal/pipeline"
	"github.com/gotok/tiktok/internal/pipeline/pipelinetest"
)

// The media pipeline through the real router, River and ffmpeg: uploads are processing
// and seen by their owner only until a worker has processed them; then they are ready
// (probed, transcoded where not web-safe, with a poster) or failed with a reason.

func withProcessing() option {
	return func(d *httpapi.Deps) { d.Config.Processing = true }
}

// clip makes a test clip with ffmpeg's test sources: args go between the inputs and the
// output file, ext names the container.
func clip(t *testing.T, size string, seconds float64, ext string, args ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "clip"+ext)
	cmd := exec.Command("ffmpeg", append(append([]string{"-nostdin", "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc=size=%s:rate=10:duration=%g", size, seconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:duration=%g", seconds)}, args...), out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rotate90 remuxes an MP4 with a display matrix that turns it by 90°, the way a phone
// stores a video recorded upright.
func rotate90(t *testing.T, mp4 []byte) []byte {
	t.Helper()
	in, out := writeTemp(t, mp4), filepath.Join(t.TempDir(), "rotated.mp4")
	cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", in, "-c", "copy", "-metadata:s:v:0", "rotate=90", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitStatus polls the owner's view of video id until its status is no longer processing.
func waitStatus(t *testing.T, e *env, id int64, token string) response {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		res := e.request("GET", fmt.Sprintf("/api/videos/%d", id), nil, token)
		expect(t, res, http.StatusOK, "")
		if res.str("status") != "processing" {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("video %d still processing after 60 s", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fetchMedia GETs an absolute media URL of a response through the router.
func fetchMedia(t *testing.T, e *env, url string) []byte {
	t.Helper()
	i := strings.Index(url, "/uploads/")
	if i < 0 {
		t.Fatalf("media URL %q is not one of ours", url)
	}
	res := e.request("GET", url[i:], nil, "")
	expect(t, res, http.StatusOK, "")
	return res.raw
}

func TestMediaPipeline(t *testing.T) {
	t.Parallel()
	tools := pipelinetest.Tools(t)
	e := newEnv(t, withProcessing())
	owner, other := e.register("creator"), e.register("viewer")
	if res := e.request("GET", "/healthz", nil, ""); res.str("mediaProcessing") != "available" {
		t.Errorf("/healthz with processing: %s", res)
	}
	if res := newEnv(t).request("GET", "/healthz", nil, ""); res.str("mediaProcessing") != "unavailable" {
		t.Errorf("/healthz without processing: %s", res)
	}

	websafe := clip(t, "360x640", 2, ".mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")
	hevc := clip(t, "1280x960", 1, ".mov", "-c:v", "libx265", "-x265-params", "log-level=error", "-tag:v", "hvc1", "-c:a", "aac", "-shortest")
	rotated := rotate90(t, clip(t, "640x360", 1, ".mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-an"))
	long := clip(t, "160x120", 4, ".mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-an")
	broken := append([]byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"), bytes.Repeat([]byte("not a video "), 100)...)
	thumb := sampleImage(t)

	upload := func(name string, data []byte, withThumb bool) int64 {
		t.Helper()
		files := map[string]fileUpload{"video": {name, data}}
		if withThumb {
			files["thumbnail"] = fileUpload{"t.jpg", thumb}
		}
		res := e.upload("POST", "/api/videos", owner.token, map[string]string{"caption": name + " #pipeline"}, files)
		expect(t, res, http.StatusCreated, "")
		if res.str("status") != "processing" || res.get("durationMs") != nil {
			t.Fatalf("a new upload: %s", res)
		}
		return res.num("id")
	}
	ids := map[string]int64{
		"websafe": upload("websafe.mp4", websafe, false),
		"hevc":    upload("iphone.mov", hevc, true),
		"rotated": upload("rotated.mp4", rotated, false),
		"long":    upload("long.mp4", long, false),
		"broken":  upload("broken.mp4", broken, false),
		"deleted": upload("deleted.mp4", websafe, false),
	}
	uploaded, thumbs := map[string]string{}, map[string]string{}
	for k, id := range ids {
		res := e.request("GET", fmt.Sprintf("/api/videos/%d", id), nil, owner.token)
		uploaded[k], thumbs[k] = res.str("videoUrl"), res.str("thumbnailUrl")
	}

	// Before any worker runs: every upload has its job (they committed together), and is
	// the owner's alone.
	var orphans int
	if err := e.pool.QueryRow(context.Background(), `
		SELECT count(*) FROM videos v WHERE v.status = 'processing'
		AND NOT EXISTS (SELECT FROM river_job j WHERE j.kind = 'process_video' AND (j.args->>'videoId')::bigint = v.id)`).Scan(&orphans); err != nil || orphans != 0 {
		t.Fatalf("%d processing videos without a job (%v)", orphans, err)
	}
	for _, who := range []registered{other, {}} {
		expect(t, e.request("GET", fmt.Sprintf("/api/videos/%d", ids["websafe"]), nil, who.token), http.StatusNotFound, "not_found")
		for _, path := range []string{"/api/videos", fmt.Sprintf("/api/users/%d/videos", owner.id), "/api/hashtags/pipeline/videos", "/api/search?q=websafe"} {
			res := e.request("GET", path, nil, who.token)
			if strings.Contains(string(res.raw), "websafe.mp4 #pipeline") {
				t.Errorf("%s shows a processing video to %q: %.300s", path, who.username, res.raw)
			}
		}
	}
	expect(t, e.request("DELETE", fmt.Sprintf("/api/videos/%d", ids["deleted"]), nil, owner.token), http.StatusOK, "")

	pipelinetest.StartWorker(t, e.pool, e.store, e.media, pipeline.Config{MaxSeconds: 3})

	// A small H.264 MP4 is served as uploaded, with a poster made for it.
	res := waitStatus(t, e, ids["websafe"], owner.token)
	if res.str("status") != "ready" || res.str("videoUrl") != uploaded["websafe"] || res.num("width") != 360 || res.num("height") != 640 ||
		res.num("durationMs") < 1900 || res.num("durationMs") > 2200 || res.get("failureReason") != nil {
		t.Errorf("web-safe upload: %s", res)
	}
	if poster := fetchMedia(t, e, res.str("thumbnailUrl")); !bytes.HasPrefix(poster, []byte{0xFF, 0xD8, 0xFF}) {
		t.Errorf("poster is not a JPEG: % x", poster[:min(8, len(poster))])
	}
	expect(t, e.request("GET", fmt.Sprintf("/api/videos/%d", ids["websafe"]), nil, other.token), http.StatusOK, "")

	// HEVC in QuickTime at 1280x960 becomes H.264/AAC MP4 at 960x720, index first; the
	// upload is deleted, the uploader's thumbnail kept.
	res = waitStatus(t, e, ids["hevc"], owner.token)
	if res.str("status") != "ready" || res.num("width") != 960 || res.num("height") != 720 || !strings.HasSuffix(res.str("videoUrl"), ".mp4") || res.str("videoUrl") == uploaded["hevc"] {
		t.Errorf("HEVC upload: %s", res)
	}
	mp4 := fetchMedia(t, e, res.str("videoUrl"))
	if moov, mdat := bytes.Index(mp4, []byte("moov")), bytes.Index(mp4, []byte("mdat")); moov < 0 || moov > mdat {
		t.Errorf("transcode is not faststart: moov at %d, mdat at %d", moov, mdat)
	}
	probe, err := tools.Probe(context.Background(), writeTemp(t, mp4))
	if err != nil || probe.VideoCodec != "h264" || probe.AudioCodec != "aac" || probe.PixFmt != "yuv420p" {
		t.Errorf("transcode: %+v %v", probe, err)
	}
	if i := strings.Index(uploaded["hevc"], "/uploads/"); i >= 0 {
		expect(t, e.request("GET", uploaded["hevc"][i:], nil, ""), http.StatusNotFound, "")
	}
	if thumbs["hevc"] == "" || res.str("thumbnailUrl") != thumbs["hevc"] {
		t.Errorf("the uploader's thumbnail %q was replaced by %q", thumbs["hevc"], res.str("thumbnailUrl"))
	}

	// A phone video recorded upright: its displayed size.
	res = waitStatus(t, e, ids["rotated"], owner.token)
	if res.str("status") != "ready" || res.num("width") != 360 || res.num("height") != 640 {
		t.Errorf("rotated upload: %s", res)
	}

	// Too long, and not a video: failed with a reason, still the owner's alone.
	for k, want := range map[string]string{"long": "the limit is 3 s", "broken": "not a playable video"} {
		res = waitStatus(t, e, ids[k], owner.token)
		if res.str("status") != "failed" || !strings.Contains(res.str("failureReason"), want) {
			t.Errorf("%s upload: %s, want failed with %q", k, res, want)
		}
		expect(t, e.request("GET", fmt.Sprintf("/api/videos/%d", ids[k]), nil, other.token), http.StatusNotFound, "not_found")
	}

	// The uploader is notified of each outcome, once per video, by no one.
	waitJobsDone(t, e)
	res = e.request("GET", "/api/notifications", nil, owner.token)
	expect(t, res, http.StatusOK, "")
	got := map[string]string{}
	for _, n := range res.get("notifications").([]any) {
		n := n.(map[string]any)
		video, _ := n["video"].(map[string]any)
		if video == nil || n["actorCount"] != 0.0 || len(n["actors"].([]any)) != 0 {
			t.Errorf("processing notification %v", n)
			continue
		}
		got[fmt.Sprint(video["id"])] += n["kind"].(string)
	}
	for k, want := range map[string]string{"websafe": "video_ready", "hevc": "video_ready", "rotated": "video_ready", "long": "video_failed", "broken": "video_failed"} {
		if got[fmt.Sprint(ids[k])] != want {
			t.Errorf("%s: notified %q, want %q", k, got[fmt.Sprint(ids[k])], want)
		}
	}
	if len(got) != 5 {
		t.Errorf("notifications of %d videos, want 5: %v", len(got), got)
	}

	// Nothing is left behind: every stored file belongs to a video.
	var names []string
	if err := e.media.Walk(context.Background(), func(name string, _ int64, _ time.Time) error {
		names = append(names, name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var owned int
	if err := e.pool.QueryRow(context.Background(), `
		SELECT count(*) FROM unnest($1::text[]) n
		WHERE EXISTS (SELECT FROM videos WHERE video_media = n OR thumbnail_media = n)`, names).Scan(&owned); err != nil || owned != len(names) {
		t.Errorf("%d stored files, %d of them a video's (%v): %v", len(names), owned, err, names)
	}
}

// waitJobsDone waits until no processing job is left to run.
func waitJobsDone(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var left int
		if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still pending after 60 s", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMediaPipelineLastAttemptFails: a job whose every attempt fails for a reason that is
// not the file's (here the upload is gone from storage) marks the video failed on its last
// attempt, so no video stays processing for ever.
func TestMediaPipelineLastAttemptFails(t *testing.T) {
	t.Parallel()
	tools := pipelinetest.Tools(t)
	e := newEnv(t, withProcessing())
	owner := e.register("creator")
	res := e.upload("POST", "/api/videos", owner.token, nil, map[string]fileUpload{"video": {"v.mp4", clip(t, "160x120", 1, ".mp4", "-c:v", "libx264", "-an")}})
	expect(t, res, http.StatusCreated, "")
	id := res.num("id")
	if err := os.Remove(filepath.Join(e.mediaDir, res.str("videoUrl")[strings.LastIndex(res.str("videoUrl"), "/")+1:])); err != nil {
		t.Fatal(err)
	}
	proc, err := pipeline.New(e.store, e.media, tools, pipeline.Config{MaxSeconds: 10, Timeout: time.Minute, TempDir: t.TempDir()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	w := &pipeline.Worker{P: proc}
	job := func(attempt int) *river.Job[jobs.ProcessVideo] {
		return &river.Job[jobs.ProcessVideo]{JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: jobs.MaxAttempts}, Args: jobs.ProcessVideo{VideoID: id}}
	}
	if err := w.Work(context.Background(), job(1)); err == nil {
		t.Fatal("processing a missing upload succeeded")
	}
	if got := e.videoField(id, owner.token, "status"); got != "processing" {
		t.Fatalf("after a failed attempt with retries left: %v, want processing", got)
	}
	if err := w.Work(context.Background(), job(jobs.MaxAttempts)); err == nil {
		t.Fatal("the last attempt succeeded")
	}
	res = e.request("GET", fmt.Sprintf("/api/videos/%d", id), nil, owner.token)
	if res.str("status") != "failed" || res.str("failureReason") != "The video could not be processed" {
		t.Errorf("after the last attempt: %s", res)
	}
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
