package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// The benchmark's history: every run appends one JSON line to a file (Options.History,
// docs/bench-history.jsonl by default), so a regression shows as a diff in review and
// `make bench-compare` (Compare) prints the change of the latest run against the previous
// comparable one (same dataset sizes, concurrency and duration).

// historyEntry is one run.
type historyEntry struct {
	Time        time.Time      `json:"time"`
	Commit      string         `json:"commit,omitempty"` // git HEAD, "+dirty" when the tree had changes
	Command     string         `json:"command"`
	Sizes       string         `json:"sizes"`
	Concurrency int            `json:"concurrency"`
	Duration    string         `json:"duration"`
	Cores       int            `json:"cores"`
	Elapsed     string         `json:"elapsed"`
	Rows        []historyRow   `json:"rows"`
	Goals       []historyGoal  `json:"goals"`
	Extra       map[string]any `json:"extra,omitempty"`
}

// historyRow is one measured row; times in milliseconds, CPU per request in microseconds.
type historyRow struct {
	Name       string  `json:"name"`
	RPS        float64 `json:"rps"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	Errors     int64   `json:"errors"`
	DBTPS      float64 `json:"db_tps,omitempty"`
	APIOverDB  float64 `json:"api_over_db,omitempty"`
	ServerUS   float64 `json:"server_us_per_request,omitempty"`
	PostgresUS float64 `json:"postgres_us_per_request,omitempty"`
	OtherCPU   float64 `json:"other_cpu"`
	Skipped    string  `json:"skipped,omitempty"`
	Unreplayed bool    `json:"unreplayed,omitempty"`
	Disturbed  bool    `json:"disturbed,omitempty"`
	Replayed   bool    `json:"replayed,omitempty"`
}

type historyGoal struct {
	Name     string `json:"name"`
	Pass     bool   `json:"pass"`
	Measured string `json:"measured"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// historyOf makes the history entry of a finished run.
func (r *results) historyOf(o Options) historyEntry {
	e := historyEntry{
		Time: time.Now().UTC().Truncate(time.Second), Commit: gitCommit(o.Repo), Command: o.Command,
		Sizes: fmt.Sprint(o.Sizes), Concurrency: o.Concurrency, Duration: o.Duration.String(),
		Cores: r.machine.Cores, Elapsed: r.elapsed.Round(time.Second).String(),
	}
	add := func(x row) {
		if x.name == "" {
			return
		}
		h := historyRow{Name: x.name, RPS: round1(x.rps), P50ms: ms(x.p50), P99ms: ms(x.p99), Errors: x.errors + x.dbFailed,
			OtherCPU: round3(x.other()), Skipped: x.skipped, Unreplayed: x.unreplayed, Disturbed: x.other() > maxOther}
		if x.hasDB {
			h.DBTPS, h.APIOverDB, h.Replayed = round1(x.dbTPS), round3(x.ratio()), true
		}
		if x.rps > 0 {
			h.ServerUS = float64(perRequest(x.cpu.server, x.rps, r.machine.Cores).Nanoseconds()) / 1000
			h.PostgresUS = float64(perRequest(x.cpu.psql, x.rps, r.machine.Cores).Nanoseconds()) / 1000
		}
		e.Rows = append(e.Rows, h)
	}
	for _, x := range r.rows {
		add(x)
	}
	for _, x := range slices.Concat([]row{r.small, r.readsAlone, r.readsWith, r.loginsWith, r.transcode.reads}, r.replica.rows, r.floor.server, r.floor.floor) {
		add(x)
	}
	for _, g := range r.goals {
		e.Goals = append(e.Goals, historyGoal{Name: g.name, Pass: g.pass, Measured: g.measured})
	}
	return e
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// gitCommit returns the repository's HEAD, with "+dirty" when it has uncommitted changes;
// "" outside a git checkout.
func gitCommit(repo string) string {
	out, err := exec.Command("git", "-C", repo, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	commit := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", repo, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		commit += "+dirty"
	}
	return commit
}

// appendHistory appends e to the file at path as one JSON line.
func appendHistory(path string, e historyEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("bench history: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("bench history: %w", err)
	}
	return f.Close()
}

// readHistory reads every entry of the file at path (a missing file has none).
func readHistory(path string) ([]historyEntry, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []historyEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e historyEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// Compare prints the change of the latest run in the history file at path against the
// previous run with the same dataset sizes, concurrency and duration: per row the
// throughput, the p99 and the server's CPU per request, and the targets that changed.
func Compare(path string, w io.Writer) error {
	all, err := readHistory(path)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return fmt.Errorf("%s has no runs yet: run make bench", path)
	}
	cur := all[len(all)-1]
	var prev *historyEntry
	for i := len(all) - 2; i >= 0; i-- {
		if all[i].Sizes == cur.Sizes && all[i].Concurrency == cur.Concurrency && all[i].Duration == cur.Duration {
			prev = &all[i]
			break
		}
	}
	if prev == nil {
		return fmt.Errorf("no earlier run of %s at concurrency %d for %s to compare the latest (%s) with", cur.Sizes, cur.Concurrency, cur.Duration, cur.Time.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "latest   %s  %s\nprevious %s  %s\n\n", cur.Time.Format(time.RFC3339), cur.Commit, prev.Time.Format(time.RFC3339), prev.Commit)
	before := map[string]historyRow{}
	for _, x := range prev.Rows {
		before[x.Name] = x
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "row\treq/s\tchange\tp99 ms\tchange\tserver µs/req\tchange\t")
	change := func(a, b float64) string {
		if a <= 0 || b <= 0 {
			return "–"
		}
		return fmt.Sprintf("%+.0f %%", 100*(b-a)/a)
	}
	for _, x := range cur.Rows {
		b, ok := before[x.Name]
		if !ok {
			fmt.Fprintf(tw, "%s\t%.0f\tnew\t%.1f\t\t%.0f\t\t\n", x.Name, x.RPS, x.P99ms, x.ServerUS)
			continue
		}
		mark := ""
		if x.Disturbed || b.Disturbed {
			mark = " (disturbed)"
		}
		fmt.Fprintf(tw, "%s%s\t%.0f\t%s\t%.1f\t%s\t%.0f\t%s\t\n", x.Name, mark, x.RPS, change(b.RPS, x.RPS), x.P99ms, change(b.P99ms, x.P99ms), x.ServerUS, change(b.ServerUS, x.ServerUS))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	was := map[string]bool{}
	for _, g := range prev.Goals {
		was[g.Name] = g.Pass
	}
	for _, g := range cur.Goals {
		if p, ok := was[g.Name]; ok && p != g.Pass {
			state := "now FAILS"
			if g.Pass {
				state = "now passes"
			}
			fmt.Fprintf(w, "target %q %s: %s\n", g.Name, state, g.Measured)
		}
	}
	return nil
}
