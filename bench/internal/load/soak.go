package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// SoakOptions configure Soak.
type SoakOptions struct {
	BaseURL     string
	PID         int    // the server's process id, for its RSS (0: use its process_resident_memory_bytes metric)
	DatabaseURL string // the server's database, for the counter check ("" skips it and fails)
	Concurrency int
	Duration    time.Duration
	SampleEvery time.Duration // how often RSS and goroutines are sampled (default 2s)
	Warmup      time.Duration // samples before this are not judged (default: a tenth of Duration, at least 10s)
	Users       int           // accounts of the mixed workload (default 50)
	Seed        uint64

	// MemTolerance is how much the largest RSS of the last third of the run may exceed the
	// largest of the first third (default 0.20: 20 %).
	MemTolerance float64
	// GoroutineTolerance is how many goroutines the largest count of the last third may
	// exceed the largest of the first third by, and the count once idle after the run the
	// count before it (default 50).
	GoroutineTolerance int
}

// Sample is the state of the server at one moment of a soak.
type Sample struct {
	At         time.Duration // since the load started (negative: before, for the baseline)
	RSS        int64         // bytes
	HeapInuse  int64         // bytes
	Goroutines int
	DBConns    int
	OpenFDs    int
	Requests   int64 // requests completed so far
}

// Check is one pass/fail verdict of a soak.
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// SoakResult is what Soak measured and decided.
type SoakResult struct {
	Report   *Report
	Baseline Sample   // before the load
	Samples  []Sample // during the load
	After    Sample   // idle, after the load
	Drift    []Drift
	Checks   []Check
}

// OK reports whether every check passed.
func (r *SoakResult) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Soak runs the Mixed workload against a running server at saturation for the whole
// duration, sampling the server's RSS and goroutine count, and then checks that no request
// got a 5xx or a transport error, that memory and goroutines stayed flat, and that every
// denormalised counter equals the COUNT(*) of its rows. Progress and the verdict are
// written to out.
func Soak(ctx context.Context, o SoakOptions, out io.Writer) (*SoakResult, error) {
	if o.Duration <= 0 {
		return nil, errors.New("soak: duration must be positive")
	}
	if o.SampleEvery <= 0 {
		o.SampleEvery = 2 * time.Second
	}
	if o.Warmup <= 0 {
		o.Warmup = max(o.Duration/10, 10*time.Second)
	}
	o.Warmup = min(o.Warmup, o.Duration/2)
	if o.MemTolerance <= 0 {
		o.MemTolerance = 0.20
	}
	if o.GoroutineTolerance <= 0 {
		o.GoroutineTolerance = 50
	}
	client := NewClient(o.Concurrency)
	probe := &http.Client{Timeout: 5 * time.Second}

	mix := &Mixed{Users: o.Users}
	if err := mix.Setup(ctx, client, o.BaseURL, out); err != nil {
		return nil, fmt.Errorf("soak: setup: %w", err)
	}
	res := &SoakResult{}
	var err error
	if res.Baseline, err = sample(ctx, probe, o, 0, nil); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "soak: %s of mixed load at concurrency %d against %s; sampling every %s, warm-up %s\n",
		o.Duration, o.Concurrency, o.BaseURL, o.SampleEvery, o.Warmup)
	fmt.Fprintf(out, "%8s %10s %10s %10s %8s %8s %10s\n", "t", "rss MiB", "heap MiB", "goroutines", "db conns", "fds", "req/s")
	printSample(out, "before", res.Baseline, 0)

	var (
		progress atomic.Int64
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(o.SampleEvery)
		defer t.Stop()
		var lastN int64
		last := start
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case now := <-t.C:
				s, err := sample(ctx, probe, o, now.Sub(start), &progress)
				if err != nil {
					fmt.Fprintf(out, "soak: sample: %v\n", err)
					continue
				}
				rate := float64(s.Requests-lastN) / now.Sub(last).Seconds()
				lastN, last = s.Requests, now
				res.Samples = append(res.Samples, s)
				printSample(out, fmt.Sprintf("%.0fs", s.At.Seconds()), s, rate)
			}
		}
	}()
	res.Report, err = Run(ctx, o.BaseURL, Options{Concurrency: o.Concurrency, Duration: o.Duration, Seed: o.Seed, Progress: &progress}, mix.Scenario())
	close(stop)
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("soak: %w", err)
	}

	// Idle: let the server close what the load opened.
	client.CloseIdleConnections()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(3 * time.Second):
	}
	if res.After, err = sample(ctx, probe, o, time.Since(start), &progress); err != nil {
		return nil, err
	}
	printSample(out, "idle", res.After, 0)
	fmt.Fprintf(out, "\n%s\n", res.Report.Table())

	if o.DatabaseURL != "" {
		conn, err := pgx.Connect(ctx, o.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("soak: connect to the database: %w", err)
		}
		defer conn.Close(context.WithoutCancel(ctx))
		if res.Drift, err = CheckCounters(ctx, conn); err != nil {
			return nil, err
		}
		if rows, err := TableCounts(ctx, conn); err == nil {
			fmt.Fprintf(out, "database: %s\n", rows)
		}
	}
	res.Checks = judge(o, res)
	fmt.Fprintln(out, "checks:")
	for _, c := range res.Checks {
		mark := "PASS"
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(out, "  %s  %-22s %s\n", mark, c.Name, c.Detail)
	}
	return res, nil
}

// judge applies the soak's pass/fail rules.
func judge(o SoakOptions, r *SoakResult) []Check {
	t := &r.Report.Total
	checks := []Check{
		{"no 5xx", t.Status5xx == 0, fmt.Sprintf("%d of %d requests (4xx: %d)", t.Status5xx, t.Requests(), t.Status4xx)},
		{"no transport errors", t.Transport == 0, fmt.Sprintf("%d", t.Transport)},
	}
	var judged []Sample
	for _, s := range r.Samples {
		if s.At >= o.Warmup {
			judged = append(judged, s)
		}
	}
	if len(judged) < 3 {
		return append(checks, Check{"memory flat", false, fmt.Sprintf("only %d samples after the warm-up: run longer or sample more often", len(judged))})
	}
	third := len(judged) / 3
	first, last := judged[:third], judged[len(judged)-third:]
	maxOf := func(ss []Sample, f func(Sample) int64) int64 {
		var m int64
		for _, s := range ss {
			m = max(m, f(s))
		}
		return m
	}
	rss := func(s Sample) int64 { return s.RSS }
	gor := func(s Sample) int64 { return int64(s.Goroutines) }
	m1, m3 := maxOf(first, rss), maxOf(last, rss)
	limit := int64(float64(m1) * (1 + o.MemTolerance))
	checks = append(checks, Check{"memory flat", m3 <= limit,
		fmt.Sprintf("max RSS first third %.1f MiB, last third %.1f MiB (%+.1f %%, limit %+.0f %%)",
			mib(m1), mib(m3), 100*(float64(m3)/float64(max(m1, 1))-1), 100*o.MemTolerance)})
	g1, g3 := maxOf(first, gor), maxOf(last, gor)
	tol := int64(o.GoroutineTolerance)
	checks = append(checks, Check{"goroutines flat", g3 <= g1+tol,
		fmt.Sprintf("max first third %d, last third %d (limit +%d)", g1, g3, tol)})
	checks = append(checks, Check{"goroutines idle again", int64(r.After.Goroutines) <= int64(r.Baseline.Goroutines)+tol,
		fmt.Sprintf("before %d, idle after %d (limit +%d)", r.Baseline.Goroutines, r.After.Goroutines, tol)})
	if o.DatabaseURL == "" {
		checks = append(checks, Check{"counters = COUNT(*)", false, "no database URL given"})
	} else {
		checks = append(checks, Check{"counters = COUNT(*)", DriftTotal(r.Drift) == 0, FormatDrift(r.Drift)})
	}
	return checks
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func printSample(out io.Writer, label string, s Sample, rate float64) {
	r := ""
	if rate > 0 {
		r = fmt.Sprintf("%.0f", rate)
	}
	fmt.Fprintf(out, "%8s %10.1f %10.1f %10d %8d %8d %10s\n", label, mib(s.RSS), mib(s.HeapInuse), s.Goroutines, s.DBConns, s.OpenFDs, r)
}

// sample reads the server's metrics and, when o.PID is set, its RSS from /proc.
func sample(ctx context.Context, client *http.Client, o SoakOptions, at time.Duration, progress *atomic.Int64) (Sample, error) {
	m, err := ScrapeMetrics(ctx, client, o.BaseURL)
	if err != nil {
		return Sample{}, err
	}
	s := Sample{
		At:         at,
		RSS:        int64(m["process_resident_memory_bytes"]),
		HeapInuse:  int64(m["go_memstats_heap_inuse_bytes"]),
		Goroutines: int(m["go_goroutines"]),
		DBConns:    int(m["db_pool_connections_total"]),
		OpenFDs:    int(m["process_open_fds"]),
	}
	if progress != nil {
		s.Requests = progress.Load()
	}
	if o.PID > 0 {
		if s.RSS, err = ProcStatus(o.PID, "VmRSS"); err != nil {
			return Sample{}, err
		}
	}
	return s, nil
}

// ScrapeMetrics returns the unlabelled series of baseURL/metrics (Prometheus text format),
// such as go_goroutines.
func ScrapeMetrics(ctx context.Context, client *http.Client, baseURL string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(baseURL, "/")+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape metrics: status %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.ContainsRune(line, '{') {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			out[name] = f
		}
	}
	return out, sc.Err()
}

// ProcStatus returns a memory field of /proc/<pid>/status, such as VmRSS or VmHWM, in bytes.
func ProcStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest) // "12345 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}
