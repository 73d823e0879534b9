package bench

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHistoryCompare(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	entry := func(at time.Time, sizes string, rps, p99 float64, pass bool) historyEntry {
		return historyEntry{Time: at, Sizes: sizes, Concurrency: 32, Duration: "10s", Commit: "abc",
			Rows:  []historyRow{{Name: "GET /api/videos (first page)", RPS: rps, P99ms: p99, ServerUS: 250}},
			Goals: []historyGoal{{Name: "zero errors", Pass: pass, Measured: "x"}}}
	}
	t0 := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	if err := Compare(path, &strings.Builder{}); err == nil {
		t.Error("comparing an empty history succeeded")
	}
	for _, e := range []historyEntry{
		entry(t0, "big", 1000, 10, true),
		entry(t0.Add(time.Hour), "small", 5000, 2, true), // another dataset: not comparable
		entry(t0.Add(2*time.Hour), "big", 1100, 12, false),
	} {
		if err := appendHistory(path, e); err != nil {
			t.Fatal(err)
		}
	}
	var out strings.Builder
	if err := Compare(path, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"+10 %", "+20 %", "2026-11-30T06:00:00Z", `target "zero errors" now FAILS`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("compare output lacks %q:\n%s", want, out.String())
		}
	}
	if err := appendHistory(path, entry(t0.Add(3*time.Hour), "tiny", 1, 1, true)); err != nil {
		t.Fatal(err)
	}
	if err := Compare(path, &strings.Builder{}); err == nil || !strings.Contains(err.Error(), "no earlier run") {
		t.Errorf("compare with no comparable run: %v", err)
	}
}
