package seed

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/pipeline"
)

// probeSamples probes each sample clip with the media pipeline's ffprobe, so seeded videos
// carry their real duration and size. Without ffprobe (or when a probe fails) the values
// stay unknown (NULL), as for any video the pipeline has not probed, and it says so.
func probeSamples(ctx context.Context, samples []media.Sample, out io.Writer) []sampleFiles {
	probes := make([]sampleFiles, len(samples))
	tools, err := pipeline.FindTools()
	if err != nil {
		fmt.Fprintf(out, "seed: %v: seeded videos have no duration or size\n", err)
		return probes
	}
	dir, err := os.MkdirTemp("", "tiktok-seed-probe-")
	if err != nil {
		fmt.Fprintf(out, "seed: probe: %v\n", err)
		return probes
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	for i, s := range samples {
		path := filepath.Join(dir, s.Name+".mp4")
		if err := os.WriteFile(path, s.Video, 0o600); err != nil {
			fmt.Fprintf(out, "seed: probe %s: %v\n", s.Name, err)
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		p, err := tools.Probe(pctx, path)
		cancel()
		if err != nil {
			fmt.Fprintf(out, "seed: probe %s: %v\n", s.Name, err)
			continue
		}
		ms, w, h := int32(math.Round(p.Duration*1000)), int32(p.Width), int32(p.Height)
		probes[i] = sampleFiles{durationMs: &ms, width: &w, height: &h}
	}
	fmt.Fprintf(out, "seed: probed %d sample clips (%s)\n", len(samples), time.Since(start).Round(time.Millisecond))
	return probes
}
