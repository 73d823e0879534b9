package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/gotok/tiktok/bench/internal/load"
	"github.com/gotok/tiktok/internal/postgres"
)

// bcryptRate returns how many bcrypt comparisons per second GOMAXPROCS goroutines manage
// at cost, over d: the ceiling of login throughput on this machine.
func bcryptRate(ctx context.Context, cost int, d time.Duration) (float64, int, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(Password), cost)
	if err != nil {
		return 0, 0, err
	}
	procs := runtime.GOMAXPROCS(0)
	var (
		n  atomic.Int64
		wg sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if bcrypt.CompareHashAndPassword(hash, []byte(Password)) != nil {
					panic("bcrypt: the password does not match its own hash")
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	return float64(n.Load()) / time.Since(start).Seconds(), procs, nil
}

// uploadResult is what uploading one large video did to the server's memory.
type uploadResult struct {
	Bytes           int64
	Status          int
	Body            string
	Elapsed         time.Duration
	BaseRSS, MaxRSS int64
}

func (u uploadResult) delta() int64 { return u.MaxRSS - u.BaseRSS }

// mp4Stream writes size bytes that the server's sniffer takes for an MP4 video: an ftyp
// box (brand isom) followed by zeros.
func mp4Stream(w io.Writer, size int64) error {
	head := make([]byte, 24)
	binary.BigEndian.PutUint32(head[0:4], 24)
	copy(head[4:], "ftypisom")
	binary.BigEndian.PutUint32(head[12:16], 0x200)
	copy(head[16:], "isomiso2")
	if _, err := w.Write(head); err != nil {
		return err
	}
	zeros := make([]byte, 1<<20)
	for left := size - int64(len(head)); left > 0; {
		n := min(left, int64(len(zeros)))
		if _, err := w.Write(zeros[:n]); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

// measureUpload streams a video of size bytes to POST /api/videos as multipart (made on
// the fly, never held in memory) and samples the server's RSS every 10 ms meanwhile.
func measureUpload(ctx context.Context, srv *server, token string, size int64) (uploadResult, error) {
	res := uploadResult{Bytes: size}
	time.Sleep(500 * time.Millisecond) // let the login's garbage settle
	var err error
	if res.BaseRSS, err = load.ProcStatus(srv.pid(), "VmRSS"); err != nil {
		return res, err
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			if err := mw.WriteField("caption", "a 200 MiB upload #bench"); err != nil {
				return err
			}
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="video"; filename="big.mp4"`)
			h.Set("Content-Type", "video/mp4")
			part, err := mw.CreatePart(h)
			if err != nil {
				return err
			}
			if err := mp4Stream(part, size); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", srv.url+"/api/videos", pr)
	if err != nil {
		return res, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	res.MaxRSS = res.BaseRSS
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if rss, err := load.ProcStatus(srv.pid(), "VmRSS"); err == nil {
					res.MaxRSS = max(res.MaxRSS, rss)
				}
			}
		}
	}()
	start := time.Now()
	resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	if err == nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		res.Status, res.Body = resp.StatusCode, strings.TrimSpace(string(b))
	}
	res.Elapsed = time.Since(start)
	close(stop)
	wg.Wait()
	if rss, e := load.ProcStatus(srv.pid(), "VmRSS"); e == nil {
		res.MaxRSS = max(res.MaxRSS, rss)
	}
	return res, err
}

// explainQuery is one hot-path statement with realistic arguments, as SQL literals.
type explainQuery struct {
	row   string // the benchmark row it belongs to, for the discovery rows' targets ("" for the others)
	name  string // the sqlc query
	what  string // which request sends it
	args  []string
	write bool // run inside a transaction that is rolled back
}

// explained is the plan of one query.
type explained struct {
	explainQuery
	missing   bool // postgres.QueryText does not export the query: no plan
	plan      string
	seqScans  []string // tables read by a sequential scan (but singleRowTables and tables of one page)
	execution string   // "Execution Time: …"

	planningMs, executionMs float64
}

// explainAll runs EXPLAIN (ANALYZE, BUFFERS) of every query on the database at url, the way
// the server runs it: as a prepared statement (pgx prepares every statement), executed a
// few times first so the plan cache has settled on a custom or generic plan. Writes run
// inside a transaction that is rolled back, their warm-up executions each undone.
func explainAll(ctx context.Context, url string, qs []explainQuery) ([]explained, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	pg := conn.PgConn()
	exec := func(sql string) ([]string, error) {
		results, err := pg.Exec(ctx, sql).ReadAll()
		if err != nil {
			return nil, err
		}
		var lines []string
		for _, r := range results {
			if r.Err != nil {
				return nil, r.Err
			}
			for _, row := range r.Rows {
				if len(row) > 0 {
					lines = append(lines, string(row[0]))
				}
			}
		}
		return lines, nil
	}
	// The server's session settings (postgres.Open), so the plans shown are the ones it runs.
	for _, set := range []string{"SET plan_cache_mode = force_generic_plan", "SET jit = off"} {
		if _, err := exec(set); err != nil {
			return nil, fmt.Errorf("explain: %w", err)
		}
	}
	// Tables of at most one page (after the load's VACUUM ANALYZE): reading one whole is a
	// single page read, which no index beats, so the planner rightly scans them.
	small, err := exec("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relpages <= 1")
	if err != nil {
		return nil, fmt.Errorf("explain: small tables: %w", err)
	}
	onePage := map[string]bool{}
	for _, name := range small {
		onePage[name] = true
	}
	var out []explained
	for _, q := range qs {
		e := explained{explainQuery: q}
		text, ok := postgres.QueryText(q.name)
		if !ok { // a name wired before its query was exported: reported, not fatal
			e.missing = true
			out = append(out, e)
			continue
		}
		call := "EXECUTE bench_q(" + strings.Join(q.args, ", ") + ")"
		steps := []string{"PREPARE bench_q AS " + text}
		if q.write {
			// Writes run in a transaction that is rolled back; each warm-up execution is
			// undone too, so the measured one does the same work (and finds the trigger
			// functions compiled and the caches warm, as a long-lived connection would).
			steps = append([]string{"BEGIN"}, steps...)
			for range 6 {
				steps = append(steps, "SAVEPOINT warm", call, "ROLLBACK TO SAVEPOINT warm")
			}
		} else {
			for range 6 {
				steps = append(steps, call)
			}
		}
		for _, s := range steps {
			if _, err := exec(s); err != nil {
				_, _ = exec("ROLLBACK")
				_, _ = exec("DEALLOCATE ALL")
				return nil, fmt.Errorf("explain %s: %s: %w", q.name, s, err)
			}
		}
		lines, err := exec("EXPLAIN (ANALYZE, BUFFERS) " + call)
		if q.write {
			_, _ = exec("ROLLBACK")
		}
		_, _ = exec("DEALLOCATE ALL")
		if err != nil {
			return nil, fmt.Errorf("explain %s: %w", q.name, err)
		}
		e.plan = strings.Join(lines, "\n")
		for _, l := range lines {
			if i := strings.Index(l, "Seq Scan on "); i >= 0 {
				f := strings.Fields(l[i+len("Seq Scan on "):])
				if len(f) > 0 && !singleRowTables[f[0]] && !onePage[f[0]] {
					e.seqScans = append(e.seqScans, f[0])
				}
			}
			t := strings.TrimSpace(l)
			if v, ok := strings.CutPrefix(t, "Execution Time:"); ok {
				e.execution = strings.TrimSpace(v)
				fmt.Sscanf(e.execution, "%g ms", &e.executionMs)
			}
			if v, ok := strings.CutPrefix(t, "Planning Time:"); ok {
				fmt.Sscanf(strings.TrimSpace(v), "%g ms", &e.planningMs)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// machine describes where the benchmark ran.
type machine struct {
	CPU, Kernel, OS, Go, Postgres, Pgbench, Wrk string
	Cores                                       int
	RAM                                         int64
}

func describeMachine(ctx context.Context, c *cluster) machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
				m.RAM = kb << 10
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	if conn, err := pgx.Connect(ctx, c.url); err == nil {
		_ = conn.QueryRow(ctx, "SELECT version()").Scan(&m.Postgres)
		conn.Close(ctx)
	}
	if out, err := runTool(ctx, os.Environ(), c.bindir+"/pgbench", "--version"); err == nil {
		m.Pgbench = strings.TrimSpace(out)
	}
	// wrk -v prints its version and usage, and exits 1.
	out, _ := exec.CommandContext(ctx, "wrk", "-v").CombinedOutput()
	m.Wrk, _, _ = strings.Cut(strings.TrimSpace(string(out)), " Copyright")
	return m
}

// tableStat is PostgreSQL's activity counters of one table.
type tableStat struct {
	Inserts, Updates, HotUpdates, Deletes, Dead, Autovacuums, Autoanalyzes int64
}

// statTables are the tables the API writes to.
var statTables = []string{"users", "videos", "comments", "video_likes", "comment_likes", "follows",
	"hashtags", "video_hashtags", "video_impressions", "feed_sessions"}

// tableStats reads pg_stat_user_tables for statTables.
func tableStats(ctx context.Context, url string) (map[string]tableStat, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// The statistics collector reports with a delay; ask for fresh numbers.
	_, _ = conn.Exec(ctx, "SELECT pg_stat_clear_snapshot()")
	rows, _ := conn.Query(ctx, `SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, n_dead_tup, autovacuum_count, autoanalyze_count
		FROM pg_stat_user_tables WHERE relname = ANY($1)`, statTables)
	out := map[string]tableStat{}
	var (
		name string
		t    tableStat
	)
	_, err = pgx.ForEachRow(rows, []any{&name, &t.Inserts, &t.Updates, &t.HotUpdates, &t.Deletes, &t.Dead, &t.Autovacuums, &t.Autoanalyzes}, func() error {
		out[name] = t
		return nil
	})
	return out, err
}

// singleRowTables hold one row by construction, so reading them by a sequential scan is
// the cheapest plan and not a missing index: feed_ranking's primary key is
// "singleton boolean CHECK (singleton)".
var singleRowTables = map[string]bool{"feed_ranking": true}
