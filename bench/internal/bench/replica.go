package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// replicaResult is the reads-with-a-replica scenario: the same read rows measured again
// on a server whose reads go to a streaming replica of the benchmark's cluster.
type replicaResult struct {
	skipped string
	rows    []row // "<row> with 1 replica", in the order of replicaRows
}

// replicaRows are the rows measured with 0 and 1 replicas.
var replicaRows = []string{firstPageRowName, "GET /api/videos/{id}"}

// withReplica starts a streaming replica of the cluster (scripts/pg.sh replica:
// pg_basebackup -R), a server with DATABASE_REPLICA_URLS pointing at it, and measures
// replicaRows there. On this machine the replica shares the cores with everything else, so
// the rows show what routing reads to a replica costs, not the capacity a replica on its
// own machine adds.
func (b *run) withReplica(ctx context.Context, t *targets) (replicaResult, error) {
	var res replicaResult
	loads := map[string]wrkLoad{}
	for _, e := range t.endpoints() {
		loads[e.name] = e.load
	}
	port, err := freePort()
	if err != nil {
		return res, err
	}
	dir := filepath.Join(b.tmp, "replica")
	cmd := exec.CommandContext(ctx, b.cl.script, "replica", dir, strconv.Itoa(port), b.cl.dir, strconv.Itoa(b.cl.port))
	cmd.Env = append(os.Environ(), "PG_EXTRA_OPTS="+b.o.PgOpts, "PG_REPLICA_NAME=bench_replica")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b.logf("starting a streaming replica of the cluster (pg_basebackup)")
	out, err := cmd.Output()
	if err != nil {
		res.skipped = fmt.Sprintf("no replica could be started: %v: %s", err, strings.TrimSpace(stderr.String()))
		b.logf("%s", res.skipped)
		return res, nil
	}
	defer func() {
		_ = exec.Command(b.cl.script, "destroy", dir).Run()
	}()
	// The replica's processes are PostgreSQL's CPU, not another process's.
	primaryOnly := b.cpu.pgDirs
	b.cpu.pgDirs = append(slices.Clip(primaryOnly), dir)
	defer func() { b.cpu.pgDirs = primaryOnly }()
	replica := &cluster{script: b.cl.script, dir: dir, port: port, url: strings.TrimSpace(string(out))}
	srv, err := startServer(ctx, b.o.Tiktok, b.serverEnv("tiktok", "DATABASE_REPLICA_URLS", replica.dbURL("tiktok")), filepath.Join(b.tmp, "server-replica.log"))
	if err != nil {
		return res, err
	}
	defer srv.stop()
	mainPID := b.cpu.serverPID
	b.cpu.serverPID = srv.pid() // its CPU is the server's
	defer func() { b.cpu.serverPID = mainPID }()
	for _, name := range replicaRows {
		l, ok := loads[name]
		if !ok {
			return res, fmt.Errorf("no row %q to measure with a replica", name)
		}
		m, err := b.measure(ctx, srv, b.o.Concurrency, l)
		if err != nil {
			return res, err
		}
		r := rowOf(name+" with 1 replica", m)
		res.rows = append(res.rows, r)
		b.logf("%s", r.line())
	}
	return res, nil
}
