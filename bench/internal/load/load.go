// Package load drives HTTP load against the API with net/http: a fixed number of workers,
// each with one request in flight over a keep-alive connection, run a Scenario for a
// duration (or a number of requests) and record, per endpoint, the status classes,
// transport errors and a latency histogram. It is the engine of `make soak` (the Mixed
// scenario, whose requests depend on earlier answers, plus server sampling and a counter
// check). The end-to-end benchmark (package bench) measures with wrk and uses this package
// for its API calls, server probes and the counter check.
package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one HTTP request a scenario wants made.
type Request struct {
	// Name is the endpoint the request is reported under, e.g. "GET /api/videos/{id}".
	Name   string
	Method string
	Path   string // with the query, relative to the base URL
	Body   []byte
	// ContentType defaults to application/json when Body is set.
	ContentType string
	Token       string // sent as "Authorization: Bearer <Token>" when set
	// Then, when set, is called with the status and the whole body once the response is
	// read (not for transport errors). Scenarios use it to learn ids and cursors.
	Then func(status int, body []byte)
}

// Generator returns the next request of one worker. rng is the worker's own.
type Generator func(rng *rand.Rand) Request

// Scenario makes the Generator of worker number worker (0 … concurrency-1); it is called
// once per worker before the run starts, so a worker can keep state (cursors, its user).
type Scenario func(worker int) Generator

// Repeat is the Scenario whose every worker makes requests with gen.
func Repeat(gen Generator) Scenario {
	return func(int) Generator { return gen }
}

// Options says how long a run lasts and how many requests it makes at once.
type Options struct {
	Concurrency int           // workers, each making one request at a time (default 1)
	Duration    time.Duration // stop starting requests after this long (0: no limit)
	Requests    int64         // stop after this many requests in total (0: no limit)
	Seed        uint64        // seeds the workers' random sources
	// Progress, when set, is incremented after every request (for live reporting).
	Progress *atomic.Int64
}

// NewClient returns an HTTP client for concurrency workers against one host: keep-alive,
// enough idle connections for every worker, no compression, a generous timeout.
func NewClient(concurrency int) *http.Client {
	t := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2*concurrency + 16,
		MaxIdleConnsPerHost: 2*concurrency + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: t, Timeout: 60 * time.Second}
}

// Run makes requests against baseURL (http://host:port) until opts.Duration has passed or
// opts.Requests were made, whichever comes first, or ctx is done (which also abandons
// requests in flight). Each worker makes one request at a time over the keep-alive
// connections of one net/http client. Requests in flight when the duration ends are
// finished and counted. At least one of Duration and Requests must be set.
func Run(ctx context.Context, baseURL string, opts Options, scenario Scenario) (*Report, error) {
	if opts.Duration <= 0 && opts.Requests <= 0 {
		return nil, errors.New("load: set a duration or a number of requests")
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("load: base URL %q: want http://host:port", baseURL)
	}
	base := strings.TrimRight(baseURL, "/")
	conc := max(opts.Concurrency, 1)
	client := NewClient(conc)
	defer client.CloseIdleConnections()
	gens := make([]Generator, conc)
	for i := range gens {
		gens[i] = scenario(i)
	}
	var (
		issued atomic.Int64
		wg     sync.WaitGroup
	)
	results := make([]map[string]*Stats, conc)
	start := time.Now()
	var deadline time.Time
	if opts.Duration > 0 {
		deadline = start.Add(opts.Duration)
	}
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(opts.Seed, uint64(w)+1))
			stats := map[string]*Stats{}
			results[w] = stats
			var buf bytes.Buffer
			for ctx.Err() == nil {
				if !deadline.IsZero() && !time.Now().Before(deadline) {
					return
				}
				if opts.Requests > 0 && issued.Add(1) > opts.Requests {
					return
				}
				req := gens[w](rng)
				st := stats[req.Name]
				if st == nil {
					st = &Stats{Name: req.Name}
					stats[req.Name] = st
				}
				do(ctx, client, base, &req, st, &buf)
				if opts.Progress != nil {
					opts.Progress.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return newReport(elapsed, results), nil
}

// do makes one request with client and records its outcome in st; the body is read into
// buf for the request's Then and for the samples of failures.
func do(ctx context.Context, client *http.Client, base string, r *Request, st *Stats, buf *bytes.Buffer) {
	buf.Reset()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, base+r.Path, body)
	if err != nil {
		st.transportError(0, err)
		return
	}
	if r.Body != nil {
		ct := r.ContentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err == nil {
		_, err = buf.ReadFrom(resp.Body)
		resp.Body.Close()
	}
	d := time.Since(start)
	if err != nil {
		st.transportError(d, err)
		return
	}
	st.record(d, resp.StatusCode, buf.Bytes())
	if r.Then != nil {
		r.Then(resp.StatusCode, buf.Bytes())
	}
}

// Stats are the outcomes of the requests of one endpoint.
type Stats struct {
	Name    string
	Latency Histogram // of every request that got a response

	Status2xx, Status3xx, Status4xx, Status5xx int64
	Transport                                  int64 // no response: refused, reset, timeout…

	Samples []string // a few examples of failures, for the report
}

const maxSamples = 3

func (s *Stats) record(d time.Duration, status int, body []byte) {
	s.Latency.Record(d)
	switch {
	case status < 300:
		s.Status2xx++
	case status < 400:
		s.Status3xx++
	case status < 500:
		s.Status4xx++
	default:
		s.Status5xx++
	}
	if status >= 400 && len(s.Samples) < maxSamples {
		b := string(body)
		if len(b) > 200 {
			b = b[:200] + "…"
		}
		s.Samples = append(s.Samples, fmt.Sprintf("%d %s", status, strings.TrimSpace(b)))
	}
}

func (s *Stats) transportError(d time.Duration, err error) {
	s.Transport++
	if len(s.Samples) < maxSamples {
		s.Samples = append(s.Samples, "transport: "+err.Error())
	}
}

// Requests returns the number of requests made, answered or not.
func (s *Stats) Requests() int64 {
	return s.Status2xx + s.Status3xx + s.Status4xx + s.Status5xx + s.Transport
}

// Errors returns the requests that failed: 4xx, 5xx and transport errors.
func (s *Stats) Errors() int64 { return s.Status4xx + s.Status5xx + s.Transport }

func (s *Stats) merge(o *Stats) {
	s.Latency.Merge(&o.Latency)
	s.Status2xx += o.Status2xx
	s.Status3xx += o.Status3xx
	s.Status4xx += o.Status4xx
	s.Status5xx += o.Status5xx
	s.Transport += o.Transport
	for _, x := range o.Samples {
		if len(s.Samples) < maxSamples {
			s.Samples = append(s.Samples, x)
		}
	}
}

// Report is the outcome of a run.
type Report struct {
	Elapsed   time.Duration
	Endpoints []*Stats // by name
	Total     Stats    // every endpoint together
}

func newReport(elapsed time.Duration, perWorker []map[string]*Stats) *Report {
	byName := map[string]*Stats{}
	r := &Report{Elapsed: elapsed, Total: Stats{Name: "total"}}
	for _, m := range perWorker {
		for name, st := range m {
			agg := byName[name]
			if agg == nil {
				agg = &Stats{Name: name}
				byName[name] = agg
				r.Endpoints = append(r.Endpoints, agg)
			}
			agg.merge(st)
			r.Total.merge(st)
		}
	}
	sort.Slice(r.Endpoints, func(i, j int) bool { return r.Endpoints[i].Name < r.Endpoints[j].Name })
	return r
}

// Endpoint returns the stats of the named endpoint, or empty stats.
func (r *Report) Endpoint(name string) *Stats {
	for _, s := range r.Endpoints {
		if s.Name == name {
			return s
		}
	}
	return &Stats{Name: name}
}

// Rate returns the requests per second of s over the run.
func (r *Report) Rate(s *Stats) float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(s.Requests()) / r.Elapsed.Seconds()
}

// Table formats the report as a plain-text table, one line per endpoint and a total.
func (r *Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-40s %9s %9s %8s %8s %8s %8s %8s %6s %6s %6s\n",
		"endpoint", "requests", "req/s", "p50", "p90", "p99", "max", "2xx", "4xx", "5xx", "errs")
	line := func(s *Stats) {
		h := &s.Latency
		fmt.Fprintf(&b, "%-40s %9d %9.1f %8s %8s %8s %8s %8d %6d %6d %6d\n",
			s.Name, s.Requests(), r.Rate(s), FormatDuration(h.Quantile(0.5)), FormatDuration(h.Quantile(0.9)),
			FormatDuration(h.Quantile(0.99)), FormatDuration(h.Max()), s.Status2xx, s.Status4xx, s.Status5xx, s.Transport)
	}
	for _, s := range r.Endpoints {
		line(s)
	}
	if len(r.Endpoints) > 1 {
		line(&r.Total)
	}
	for _, s := range r.Endpoints {
		for _, x := range s.Samples {
			fmt.Fprintf(&b, "  %s: %s\n", s.Name, x)
		}
	}
	return b.String()
}

// FormatDuration prints a latency with three significant digits in a unit that suits it.
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
}
