package pipeline

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func tools(t *testing.T) *Tools {
	t.Helper()
	tl, err := FindTools()
	if err != nil {
		t.Skipf("needs ffmpeg: %v", err)
	}
	return tl
}

// TestRunKillsTheProcessGroupOnTimeout: an ffmpeg run that outlives its context is killed
// with everything it started, promptly, and runs at nice 19 while it lives.
func TestRunKillsTheProcessGroupOnTimeout(t *testing.T) {
	tl := tools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		// Minutes of work: encode an endless test source to nowhere.
		_, err := tl.run(ctx, tl.FFmpeg, "-nostdin", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-t", "600", "-f", "null", "-")
		done <- err
	}()
	// While it runs: find it, and check its priority.
	var pid int
	for pid == 0 && time.Since(start) < 600*time.Millisecond {
		pid = findProcess("ffmpeg", "testsrc=size=640x360:rate=30")
		time.Sleep(20 * time.Millisecond)
	}
	if pid == 0 {
		t.Fatal("the ffmpeg run was not found in /proc")
	}
	if tl.nice != "" {
		if prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, pid); err == nil && 20-prio != 19 {
			t.Errorf("ffmpeg runs at nice %d, want 19", 20-prio)
		}
	}
	err := <-done
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("run = %v, want the deadline", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("run returned after %s", took)
	}
	time.Sleep(100 * time.Millisecond)
	if findProcess("ffmpeg", "testsrc=size=640x360:rate=30") != 0 {
		t.Errorf("ffmpeg %d still alive after its run was cancelled", pid)
	}
}

// findProcess returns the pid of a live process whose command line holds both words (0:
// none), from /proc.
func findProcess(a, b string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if strings.Contains(string(stat), ") Z ") { // a zombie is not alive
			continue
		}
		line := strings.ReplaceAll(string(cmd), "\x00", " ")
		if strings.Contains(line, a) && strings.Contains(line, b) && !strings.Contains(line, "nice") {
			return pid
		}
	}
	return 0
}

// TestNewRemovesStaleJobDirs: the temporary directories a killed worker left are removed
// by the next one to start; a recent one (another worker's job in progress) is kept.
func TestNewRemovesStaleJobDirs(t *testing.T) {
	dir := t.TempDir()
	stale, fresh, other := filepath.Join(dir, tempPrefix+"old"), filepath.Join(dir, tempPrefix+"new"), filepath.Join(dir, "unrelated")
	for _, d := range []string{stale, fresh, other} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "in.mp4"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-3 * time.Hour)
	for _, d := range []string{stale, other} {
		if err := os.Chtimes(d, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := New(nil, nil, &Tools{}, Config{Timeout: time.Minute, TempDir: dir}, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]bool{stale: false, fresh: true, other: true} {
		if _, err := os.Stat(d); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", filepath.Base(d), err == nil, want)
		}
	}
}

func TestWebSafe(t *testing.T) {
	h264 := Probe{Format: "mov,mp4,m4a,3gp,3g2,mj2", VideoCodec: "h264", PixFmt: "yuv420p", AudioCodec: "aac", Width: 720, Height: 1280}
	for _, c := range []struct {
		name string
		p    func(Probe) Probe
		file string
		want bool
	}{
		{"720p H.264 MP4", func(p Probe) Probe { return p }, "a.mp4", true},
		{"no audio", func(p Probe) Probe { p.AudioCodec = ""; return p }, "a.mp4", true},
		{"QuickTime", func(p Probe) Probe { return p }, "a.mov", false},
		{"HEVC", func(p Probe) Probe { p.VideoCodec = "hevc"; return p }, "a.mp4", false},
		{"1080p", func(p Probe) Probe { p.Width, p.Height = 1080, 1920; return p }, "a.mp4", false},
		{"10-bit", func(p Probe) Probe { p.PixFmt = "yuv420p10le"; return p }, "a.mp4", false},
		{"Opus audio", func(p Probe) Probe { p.AudioCodec = "opus"; return p }, "a.mp4", false},
		{"WebM", func(p Probe) Probe { p.Format, p.VideoCodec = "matroska,webm", "vp9"; return p }, "a.webm", false},
	} {
		if got := WebSafe(c.p(h264), c.file); got != c.want {
			t.Errorf("%s: WebSafe = %v, want %v", c.name, got, c.want)
		}
	}
}
