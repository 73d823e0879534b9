package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cpuMeter tells how much of the machine's CPU processes outside the benchmark used during
// a measurement (a build or a test suite running alongside steals cores from the server
// and makes its numbers meaningless). The benchmark's own processes are this process and
// its descendants (the server, pgbench) and the PostgreSQL postmasters and their backends.
type cpuMeter struct {
	pgDirs    []string // the clusters' data directories (postmaster.pid names the postmaster): the primary's, and a replica's while one runs
	serverPID int      // the server under measurement, if any
}

// cpuSnap is a reading of the machine's and the benchmark's CPU time, in clock ticks:
// the machine's capacity and busy time, the benchmark's processes together, and three
// parts of them: this process itself, the server and PostgreSQL. The rest of "ours" is
// the other children of this process: wrk (the load generator) and pgbench.
type cpuSnap struct {
	total, busy, ours  uint64
	self, server, psql uint64
}

func (m *cpuMeter) snap() cpuSnap {
	var s cpuSnap
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
		for i, x := range f[1:] {
			n, _ := strconv.ParseUint(x, 10, 64)
			if i >= 8 { // guest time is already counted in user
				break
			}
			s.total += n
			if i != 3 && i != 4 { // idle, iowait
				s.busy += n
			}
		}
	}
	type proc struct {
		ppid       int
		ticks, own uint64 // with and without waited-for children
	}
	procs := map[int]proc{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b)[i+1:]) // state ppid … utime(11) stime cutime cstime
		if len(f) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		var ticks, own uint64
		for i, x := range f[11:15] {
			n, _ := strconv.ParseUint(x, 10, 64)
			ticks += n
			if i < 2 {
				own += n
			}
		}
		procs[pid] = proc{ppid, ticks, own}
	}
	roots := map[int]bool{os.Getpid(): true}
	for _, dir := range m.pgDirs {
		if b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid")); err == nil {
			line, _, _ := strings.Cut(string(b), "\n")
			if pid, err := strconv.Atoi(strings.TrimSpace(line)); err == nil {
				roots[pid] = true
			}
		}
	}
	rootOf := func(pid int) int {
		for depth := 0; pid > 1 && depth < 64; depth++ {
			if roots[pid] {
				return pid
			}
			pid = procs[pid].ppid
		}
		return 0
	}
	self := os.Getpid()
	for pid, p := range procs {
		root := rootOf(pid)
		switch {
		case root == 0:
			continue
		case pid == self:
			s.self += p.own
		case pid == m.serverPID:
			s.server += p.own
		case root != self:
			s.psql += p.ticks
		}
		s.ours += p.ticks
	}
	return s
}

// cpuSplit is how the machine's CPU capacity was used during a measurement.
type cpuSplit struct {
	other, server, psql, loadgen float64 // fractions of all cores; loadgen: wrk (see measureOnce)
	tools                        float64 // the benchmark's other children: pgbench
}

func split(a, b cpuSnap) cpuSplit {
	capacity := float64(b.total - a.total)
	if capacity <= 0 {
		return cpuSplit{}
	}
	f := func(x, y uint64) float64 { return max(0, float64(y)-float64(x)) / capacity }
	c := cpuSplit{other: otherShare(a, b), server: f(a.server, b.server), psql: f(a.psql, b.psql), loadgen: f(a.self, b.self)}
	c.tools = max(0, f(a.ours, b.ours)-c.server-c.psql-c.loadgen)
	return c
}

// otherShare returns the fraction of the machine's CPU capacity that processes outside the
// benchmark used between a and b.
func otherShare(a, b cpuSnap) float64 {
	if b.total <= a.total {
		return 0
	}
	other := float64(b.busy-a.busy) - float64(b.ours-a.ours)
	return max(0, other/float64(b.total-a.total))
}
