// Package pipeline processes uploaded videos in the background: a River job (package jobs)
// per upload probes the file with ffprobe, refuses what is not a playable video or is too
// long, transcodes what is not web-safe to an H.264/AAC MP4 of at most 720 pixels on the
// short side, makes a poster when the uploader gave no thumbnail, and marks the video ready
// or failed. ffmpeg runs as bounded, low-priority child processes with timeouts, on
// temporary files that are always removed.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/gotok/tiktok/internal/jobs"
	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/tiktok"
)

// Store is what the pipeline reads and writes of videos (implemented by postgres.Store).
type Store interface {
	VideoForProcessing(ctx context.Context, id int64) (tiktok.ProcessingVideo, error)
	FinishVideoProcessing(ctx context.Context, id int64, res tiktok.ProcessingResult) ([]string, error)
	FailVideoProcessing(ctx context.Context, id int64, reason string) (bool, error)
}

// Config bounds the pipeline.
type Config struct {
	MaxSeconds    int           // longest video accepted (MAX_VIDEO_SECONDS)
	MaxVideoBytes int64         // largest transcode stored (the upload limit)
	Timeout       time.Duration // of one ffprobe or ffmpeg run (FFMPEG_TIMEOUT)
	Concurrency   int           // ffmpeg processes at once in this process (MEDIA_WORKERS)
	TempDir       string        // where the job's temporary files go
}

// Processor processes videos. It is safe for concurrent use; at most Concurrency jobs run
// ffmpeg at once.
type Processor struct {
	store Store
	files media.Storage
	tools *Tools
	cfg   Config
	slots chan struct{}
	log   *slog.Logger
}

// tempPrefix starts the names of the jobs' temporary directories.
const tempPrefix = "tiktok-job-"

// New returns a Processor. It removes the temporary directories that jobs of a process
// that was killed left in cfg.TempDir (those older than twice the timeout of a job, so a
// job of another worker on the same machine is left alone).
func New(store Store, files media.Storage, tools *Tools, cfg Config, log *slog.Logger) (*Processor, error) {
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if err := os.MkdirAll(cfg.TempDir, 0o700); err != nil {
		return nil, fmt.Errorf("pipeline temp dir: %w", err)
	}
	p := &Processor{store: store, files: files, tools: tools, cfg: cfg, slots: make(chan struct{}, cfg.Concurrency), log: log}
	p.removeStale(time.Now().Add(-2 * p.JobTimeout()))
	return p, nil
}

// JobTimeout bounds one job: a probe, a transcode, a probe of it and a poster, plus
// copying the files.
func (p *Processor) JobTimeout() time.Duration { return 4*p.cfg.Timeout + time.Minute }

// removeStale removes the job directories in TempDir last changed before cutoff.
func (p *Processor) removeStale(cutoff time.Time) {
	entries, err := os.ReadDir(p.cfg.TempDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
			if err := os.RemoveAll(filepath.Join(p.cfg.TempDir, e.Name())); err == nil {
				p.log.Info("removed a killed job's temporary files", "dir", e.Name())
			}
		}
	}
}

// Outcome is how processing a video ended.
type Outcome struct {
	Status     tiktok.VideoStatus // ready or failed; "" when there was nothing to do
	Reason     string             // why it failed
	Transcoded bool
	Poster     bool
}

// Process processes video id: it returns the outcome, or an error when processing could not
// be completed for a reason that is not the file's (storage, database, a timeout) — the
// job is then retried.
func (p *Processor) Process(ctx context.Context, id int64) (Outcome, error) {
	v, err := p.store.VideoForProcessing(ctx, id)
	if tiktok.ErrorCode(err) == tiktok.CodeNotFound {
		return Outcome{}, nil // deleted before it was processed
	}
	if err != nil {
		return Outcome{}, err
	}
	if v.Status != tiktok.VideoProcessing {
		return Outcome{}, nil // done already (a job that ran twice)
	}
	if v.VideoMedia == nil {
		_, err := p.store.FinishVideoProcessing(ctx, id, tiktok.ProcessingResult{})
		return Outcome{Status: tiktok.VideoReady}, ignoreGone(err)
	}

	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	case <-ctx.Done():
		return Outcome{}, ctx.Err()
	}
	dir, err := os.MkdirTemp(p.cfg.TempDir, tempPrefix)
	if err != nil {
		return Outcome{}, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)

	in := filepath.Join(dir, "in"+filepath.Ext(*v.VideoMedia))
	if err := p.download(ctx, *v.VideoMedia, in); err != nil {
		return Outcome{}, err
	}
	probe, err := p.probe(ctx, in)
	var notVideo *NotVideoError
	if errors.As(err, &notVideo) {
		return p.fail(ctx, id, notVideo.Reason)
	}
	if err != nil {
		return Outcome{}, err
	}
	if p.cfg.MaxSeconds > 0 && probe.Duration > float64(p.cfg.MaxSeconds) {
		return p.fail(ctx, id, fmt.Sprintf("The video is %s long; the limit is %s", seconds(probe.Duration), seconds(float64(p.cfg.MaxSeconds))))
	}

	var (
		res     tiktok.ProcessingResult
		out     Outcome
		created []string // files stored by this job, deleted unless the video takes them
	)
	defer func() {
		for _, name := range created {
			if err := p.files.Delete(context.WithoutCancel(ctx), name); err != nil {
				p.log.Warn("delete a processing output", "name", name, "err", err)
			}
		}
	}()
	served := in
	if !WebSafe(probe, *v.VideoMedia) {
		mp4 := filepath.Join(dir, "out.mp4")
		if err := p.ffmpeg(ctx, func(ctx context.Context) error { return p.tools.Transcode(ctx, in, mp4) }); err != nil {
			return Outcome{}, fmt.Errorf("transcode video %d: %w", id, err)
		}
		if probe, err = p.probe(ctx, mp4); err != nil {
			return Outcome{}, fmt.Errorf("probe the transcode of video %d: %w", id, err)
		}
		saved, err := p.store1(ctx, media.Video, mp4, p.cfg.MaxVideoBytes)
		if err != nil {
			return Outcome{}, err
		}
		created = append(created, saved)
		res.VideoMedia, served, out.Transcoded = &saved, mp4, true
	}
	if v.ThumbnailMedia == nil {
		jpg := filepath.Join(dir, "poster.jpg")
		if err := p.ffmpeg(ctx, func(ctx context.Context) error { return p.tools.Poster(ctx, served, probe.Duration, jpg) }); err != nil {
			return Outcome{}, fmt.Errorf("poster of video %d: %w", id, err)
		}
		saved, err := p.store1(ctx, media.Image, jpg, media.MaxImageBytes)
		if err != nil {
			return Outcome{}, err
		}
		created = append(created, saved)
		res.ThumbnailMedia, out.Poster = &saved, true
	}
	ms, w, h := int32(math.Round(probe.Duration*1000)), int32(probe.Width), int32(probe.Height)
	res.DurationMs, res.Width, res.Height = &ms, &w, &h

	replaced, err := p.store.FinishVideoProcessing(ctx, id, res)
	if tiktok.ErrorCode(err) == tiktok.CodeNotFound {
		return Outcome{}, nil // deleted (or failed) meanwhile: the deferred delete takes the outputs
	}
	if err != nil {
		return Outcome{}, err
	}
	created = nil // the video owns them now
	for _, name := range replaced {
		if err := p.files.Delete(context.WithoutCancel(ctx), name); err != nil {
			p.log.Warn("delete a replaced upload", "name", name, "err", err)
		}
	}
	out.Status = tiktok.VideoReady
	return out, nil
}

// Fail marks video id failed with reason (the job's last attempt failed).
func (p *Processor) Fail(ctx context.Context, id int64, reason string) error {
	_, err := p.fail(ctx, id, reason)
	return err
}

func (p *Processor) fail(ctx context.Context, id int64, reason string) (Outcome, error) {
	if _, err := p.store.FailVideoProcessing(ctx, id, reason); err != nil {
		return Outcome{}, err
	}
	return Outcome{Status: tiktok.VideoFailed, Reason: reason}, nil
}

// probe runs ffprobe with the tools' timeout.
func (p *Processor) probe(ctx context.Context, path string) (Probe, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	return p.tools.Probe(ctx, path)
}

// ffmpeg runs fn with the tools' timeout.
func (p *Processor) ffmpeg(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	return fn(ctx)
}

// download copies the stored file name to path.
func (p *Processor) download(ctx context.Context, name, path string) error {
	src, err := p.files.Open(ctx, name)
	if err != nil {
		return fmt.Errorf("open upload %s: %w", name, err)
	}
	defer src.Close()
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("temp file: %w", err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return fmt.Errorf("download upload %s: %w", name, err)
	}
	return dst.Close()
}

// store1 stores the file at path through media.Save and returns its name.
func (p *Processor) store1(ctx context.Context, kind media.Kind, path string, max int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open output: %w", err)
	}
	defer f.Close()
	saved, err := media.Save(ctx, p.files, kind, f, max)
	if err != nil {
		return "", fmt.Errorf("store output: %w", err)
	}
	return saved.Name, nil
}

// WebSafe reports whether a probed upload stored as name plays in every browser as it is:
// an MP4 (not QuickTime or WebM) of H.264 in yuv420p with AAC audio or none, at most 720
// pixels on the short side. Such a file is served as uploaded.
func WebSafe(p Probe, name string) bool {
	return strings.HasSuffix(name, ".mp4") && strings.Contains(p.Format, "mp4") &&
		p.VideoCodec == "h264" && (p.PixFmt == "yuv420p" || p.PixFmt == "yuvj420p") &&
		(p.AudioCodec == "" || p.AudioCodec == "aac") && p.ShortSide() <= 720
}

// seconds formats a duration in seconds for a failure reason: "601 s", "12.5 min".
func seconds(s float64) string {
	if s >= 120 {
		return fmt.Sprintf("%.1f min", s/60)
	}
	return fmt.Sprintf("%.0f s", math.Ceil(s))
}

// ignoreGone turns not_found (the video is gone or not processing) into nil.
func ignoreGone(err error) error {
	if tiktok.ErrorCode(err) == tiktok.CodeNotFound {
		return nil
	}
	return err
}

// Worker works jobs.ProcessVideo jobs with a Processor.
type Worker struct {
	river.WorkerDefaults[jobs.ProcessVideo]
	P *Processor
}

// Timeout bounds a job (River's default, one minute, is too short for a transcode).
func (w *Worker) Timeout(*river.Job[jobs.ProcessVideo]) time.Duration { return w.P.JobTimeout() }

// Work processes the job's video. A failure that is not the file's is returned, and River
// retries the job with backoff; the last attempt's failure marks the video failed too, so
// no video stays "processing" for ever (the job is then discarded, and listed by
// `tiktok jobs`).
func (w *Worker) Work(ctx context.Context, job *river.Job[jobs.ProcessVideo]) error {
	start := time.Now()
	out, err := w.P.Process(ctx, job.Args.VideoID)
	if err != nil {
		w.P.log.Warn("video processing failed", "video", job.Args.VideoID, "attempt", job.Attempt, "err", err)
		if job.Attempt >= job.MaxAttempts {
			if ferr := w.P.Fail(context.WithoutCancel(ctx), job.Args.VideoID, "The video could not be processed"); ferr != nil {
				return errors.Join(err, ferr)
			}
		}
		return err
	}
	if out.Status != "" {
		w.P.log.Info("video processed", "video", job.Args.VideoID, "status", out.Status, "reason", out.Reason,
			"transcoded", out.Transcoded, "poster", out.Poster, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}
