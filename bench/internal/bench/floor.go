package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// floorResult is the by-id rows measured twice more, back to back: on the server, and on
// the floor (bench/cmd/floor: net/http, pgx and the same statement, nothing else).
type floorResult struct {
	skipped string
	server  []row // in the order of floorRows
	floor   []row
}

// floorRows are the rows measured against the floor.
var floorRows = []string{"GET /api/videos/{id}", "GET /api/users/{id}"}

// againstFloor measures floorRows on srv and then on the floor server, each pair back to
// back so that both see the same machine (its speed drifts between the start and the end
// of a run).
func (b *run) againstFloor(ctx context.Context, t *targets, srv *server) (floorResult, error) {
	var res floorResult
	if b.o.Floor == "" {
		res.skipped = "no floor binary given (-floor)"
		return res, nil
	}
	if _, err := os.Stat(b.o.Floor); err != nil {
		res.skipped = fmt.Sprintf("no floor binary: %v (scripts/bench.sh builds bin/floor)", err)
		b.logf("%s", res.skipped)
		return res, nil
	}
	loads := map[string]wrkLoad{}
	for _, e := range t.endpoints() {
		loads[e.name] = e.load
	}
	floor, err := startServer(ctx, b.o.Floor, b.serverEnv("tiktok"), filepath.Join(b.tmp, "server-floor.log"))
	if err != nil {
		return res, err
	}
	defer floor.stop()
	for _, name := range floorRows {
		l, ok := loads[name]
		if !ok {
			return res, fmt.Errorf("no row %q to measure against the floor", name)
		}
		for _, side := range []struct {
			srv  *server
			name string
			rows *[]row
		}{{srv, name + " (next to the floor)", &res.server}, {floor, name + " (floor)", &res.floor}} {
			b.cpu.serverPID = side.srv.pid()
			m, err := b.measure(ctx, side.srv, b.o.Concurrency, l)
			b.cpu.serverPID = srv.pid()
			if err != nil {
				return res, err
			}
			r := rowOf(side.name, m)
			*side.rows = append(*side.rows, r)
			b.logf("%s", r.line())
		}
	}
	return res, nil
}
