package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Tools runs ffprobe and ffmpeg (Debian's ffmpeg package) as child processes on files that
// uploaders control, so defensively: inputs may only be read from local files
// (-protocol_whitelist file: no playlist or reference inside a file can make ffmpeg fetch
// a URL), the files were sniffed as MP4, QuickTime or WebM before they were stored, and
// each process runs at the
// lowest CPU priority (nice 19) so that serving stays fast while a transcode runs, in a
// process group of its own that is killed whole when its context ends (a timeout, or the
// worker shutting down), and with at most a bounded tail of its error output kept.
type Tools struct {
	FFmpeg, FFprobe string // paths of the binaries
	nice            string // path of nice(1), or "" to run at normal priority
	// Threads bounds the threads of one ffmpeg (0: ffmpeg's choice).
	Threads int
}

// FindTools looks ffmpeg and ffprobe up on PATH; ErrUnavailable when either is missing.
func FindTools() (*Tools, error) {
	ffmpeg, err1 := exec.LookPath("ffmpeg")
	ffprobe, err2 := exec.LookPath("ffprobe")
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	nice, _ := exec.LookPath("nice")
	return &Tools{FFmpeg: ffmpeg, FFprobe: ffprobe, nice: nice}, nil
}

// ErrUnavailable reports that the machine has no ffmpeg/ffprobe.
var ErrUnavailable = errors.New("ffmpeg/ffprobe not found (install Debian's ffmpeg package: scripts/install-deps.sh)")

// Probe is what ffprobe found in a file.
type Probe struct {
	Format     string  // ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
	Duration   float64 // seconds
	VideoCodec string  // e.g. "h264", "hevc", "vp9"; "" without a video stream
	PixFmt     string  // e.g. "yuv420p"
	AudioCodec string  // e.g. "aac"; "" without audio
	// Width and Height are the frame's size as displayed: swapped when the stream is
	// rotated by 90° or 270°.
	Width, Height int
	Rotation      int // degrees, as the stream's display matrix says (0, 90, 180, 270)
}

// ShortSide is the smaller of the displayed width and height.
func (p Probe) ShortSide() int { return min(p.Width, p.Height) }

// probeJSON is the part of ffprobe's JSON output that Probe reads.
type probeJSON struct {
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
	Streams []struct {
		CodecType    string            `json:"codec_type"`
		CodecName    string            `json:"codec_name"`
		Width        int               `json:"width"`
		Height       int               `json:"height"`
		PixFmt       string            `json:"pix_fmt"`
		Duration     string            `json:"duration"`
		Tags         map[string]string `json:"tags"`
		Disposition  map[string]int    `json:"disposition"`
		SideDataList []struct {
			Rotation float64 `json:"rotation"`
		} `json:"side_data_list"`
	} `json:"streams"`
}

// NotVideoError is a file that is not a playable video; its message is for the uploader.
type NotVideoError struct{ Reason string }

func (e *NotVideoError) Error() string { return e.Reason }

// Probe runs ffprobe on path. A file ffprobe cannot read, or without a video stream, is a
// *NotVideoError.
func (t *Tools) Probe(ctx context.Context, path string) (Probe, error) {
	out, err := t.run(ctx, t.FFprobe, "-v", "error", "-protocol_whitelist", "file", "-print_format", "json", "-show_format", "-show_streams", "--", path)
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && ctx.Err() == nil {
			return Probe{}, &NotVideoError{Reason: "The file is not a playable video"}
		}
		return Probe{}, err
	}
	var pj probeJSON
	if err := json.Unmarshal(out, &pj); err != nil {
		return Probe{}, fmt.Errorf("ffprobe output: %w", err)
	}
	p := Probe{Format: pj.Format.FormatName}
	p.Duration, _ = strconv.ParseFloat(pj.Format.Duration, 64)
	for _, s := range pj.Streams {
		switch {
		case s.CodecType == "video" && p.VideoCodec == "" && s.Disposition["attached_pic"] == 0:
			p.VideoCodec, p.PixFmt, p.Width, p.Height = s.CodecName, s.PixFmt, s.Width, s.Height
			rot := 0.0
			if r, err := strconv.ParseFloat(s.Tags["rotate"], 64); err == nil {
				rot = r
			}
			for _, sd := range s.SideDataList {
				if sd.Rotation != 0 {
					rot = sd.Rotation
				}
			}
			p.Rotation = ((int(math.Round(rot))%360 + 360) % 360)
			if p.Rotation == 90 || p.Rotation == 270 {
				p.Width, p.Height = p.Height, p.Width
			}
			if p.Duration == 0 {
				p.Duration, _ = strconv.ParseFloat(s.Duration, 64)
			}
		case s.CodecType == "audio" && p.AudioCodec == "":
			p.AudioCodec = s.CodecName
		}
	}
	if p.VideoCodec == "" || p.Width <= 0 || p.Height <= 0 {
		return Probe{}, &NotVideoError{Reason: "The file has no video stream"}
	}
	return p, nil
}

// scale720 scales a frame (after ffmpeg's automatic rotation) so that its short side is at
// most 720 pixels, keeping the aspect ratio, with even sides (H.264 in yuv420p needs them).
const scale720 = "scale=w='if(lte(iw,ih),min(720,trunc(iw/2)*2),-2)':h='if(lte(iw,ih),-2,min(720,trunc(ih/2)*2))'"

// Transcode writes in as a web-safe MP4 to out: H.264 (yuv420p, CRF 23) at most 720 pixels
// on the short side, AAC audio when there is audio, and the index at the front
// (+faststart) so playback starts before the whole file has arrived.
func (t *Tools) Transcode(ctx context.Context, in, out string) error {
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-protocol_whitelist", "file", "-i", in,
		"-map", "0:v:0", "-map", "0:a:0?", "-vf", scale720,
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "128k", "-ac", "2",
		"-movflags", "+faststart", "-map_metadata", "-1"}
	if t.Threads > 0 {
		args = append(args, "-threads", strconv.Itoa(t.Threads))
	}
	args = append(args, "-f", "mp4", out)
	_, err := t.run(ctx, t.FFmpeg, args...)
	return err
}

// Poster writes a JPEG frame of in, from about the first second (from the middle of a
// shorter clip), at most 720 pixels on the short side, to out.
func (t *Tools) Poster(ctx context.Context, in string, duration float64, out string) error {
	at := 1.0
	if duration < 2 {
		at = duration / 2
	}
	_, err := t.run(ctx, t.FFmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-ss", strconv.FormatFloat(at, 'f', 3, 64), "-protocol_whitelist", "file", "-i", in,
		"-frames:v", "1", "-vf", scale720, "-q:v", "3", "-map_metadata", "-1", "-f", "image2", "-c:v", "mjpeg", out)
	return err
}

// maxStderr is how much of a tool's error output is kept for the error message.
const maxStderr = 2 << 10

// run runs name with args at low priority and returns its standard output. When ctx ends
// the whole process group is killed.
func (t *Tools) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	if t.nice != "" {
		args = append([]string{"-n", "19", name}, args...)
		name = t.nice
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: maxStderr}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", baseName(args, name), ctx.Err())
		}
		return nil, fmt.Errorf("%s: %w: %s", baseName(args, name), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// baseName names the tool a command runs (after nice's arguments) for error messages.
func baseName(args []string, name string) string {
	if strings.HasSuffix(name, "nice") && len(args) > 2 {
		name = args[2]
	}
	return name[strings.LastIndexByte(name, '/')+1:]
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string { return string(b.buf) }
