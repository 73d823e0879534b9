package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gotok/tiktok/bench/internal/load"
)

// freePort returns a TCP port on 127.0.0.1 that nothing listens on right now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// cluster is a throwaway PostgreSQL cluster run by scripts/pg.sh.
type cluster struct {
	script string // scripts/pg.sh
	dir    string
	port   int
	url    string // of database "tiktok"
	bindir string
}

// startCluster initialises and starts a cluster in dir with extra server options.
func startCluster(ctx context.Context, repo, dir, opts string) (*cluster, error) {
	c := &cluster{script: filepath.Join(repo, "scripts", "pg.sh"), dir: dir}
	out, err := exec.CommandContext(ctx, c.script, "bindir").Output()
	if err != nil {
		return nil, fmt.Errorf("find the PostgreSQL binaries (scripts/pg.sh bindir): %w", err)
	}
	c.bindir = strings.TrimSpace(string(out))
	if c.port, err = freePort(); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, c.script, "start", dir, strconv.Itoa(c.port))
	cmd.Env = append(os.Environ(), "PG_EXTRA_OPTS="+opts)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		_ = c.stop() // it may have started before failing (or being interrupted)
		return nil, fmt.Errorf("start PostgreSQL: %w\n%s", err, stderr.String())
	}
	c.url = strings.TrimSpace(string(out))
	return c, nil
}

// stop stops the cluster (its files stay until the caller removes the directory).
func (c *cluster) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, c.script, "stop", c.dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("stop PostgreSQL: %w: %s", err, out)
	}
	return nil
}

// destroy stops the cluster and deletes its files, also those pg.sh keeps outside dir (as
// root, when the postgres user cannot reach dir).
func (c *cluster) destroy() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, c.script, "destroy", c.dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("delete the PostgreSQL cluster: %w: %s", err, out)
	}
	return nil
}

// dbURL returns the URL of database name on the cluster.
func (c *cluster) dbURL(name string) string {
	u, err := url.Parse(c.url)
	if err != nil {
		return c.url
	}
	u.Path = "/" + name
	return u.String()
}

// libpqEnv returns the PG* variables that point libpq tools (pgbench, psql) at database
// name.
func (c *cluster) libpqEnv(name string) []string {
	u, _ := url.Parse(c.url)
	pw, _ := u.User.Password()
	return append(os.Environ(), "PGHOST=127.0.0.1", "PGPORT="+strconv.Itoa(c.port),
		"PGUSER="+u.User.Username(), "PGPASSWORD="+pw, "PGDATABASE="+name, "PGSSLMODE=disable")
}

// server is a running `tiktok serve`.
type server struct {
	cmd     *exec.Cmd
	url     string
	logPath string
	done    chan struct{}
	waitErr error
}

// startServer runs bin serve with exactly env (plus PATH and HOME) and a fresh port, in a
// process group of its own (a Ctrl-C reaches only the benchmark, which stops it), and
// waits until it is ready.
func startServer(ctx context.Context, bin string, env map[string]string, logPath string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "PORT=" + strconv.Itoa(port)}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s serve: %w", bin, err)
	}
	s := &server{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port), logPath: logPath, done: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	readyCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-readyCtx.Done():
		}
	}()
	if err := load.WaitReady(readyCtx, s.url, 60*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("server did not become ready: %w\n%s", err, tail(logPath, 20))
	}
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// alive reports whether the process is still running.
func (s *server) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// stop ends the server gracefully (SIGTERM), or kills its process group after 30 s.
func (s *server) stop() error {
	if !s.alive() {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
		return errors.New("server did not stop within 30s: killed")
	}
	return nil
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// runTool runs a command with env, returning its combined output in the error.
func runTool(ctx context.Context, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// pgbenchResult is what pgbench reported.
type pgbenchResult struct {
	TPS     float64
	Latency time.Duration // average
	Failed  int64
	Output  string
}

var (
	tpsRe     = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	latencyRe = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
	failedRe  = regexp.MustCompile(`number of failed transactions: ([0-9]+)`)
)

// errNoTransactions is pgbench finishing without a single transaction.
var errNoTransactions = errors.New("pgbench completed no transaction")

// runPgbench runs script with pgbench -M prepared at concurrency for d against database db.
func runPgbench(ctx context.Context, c *cluster, db, scriptPath string, vars map[string]string, concurrency int, d time.Duration) (pgbenchResult, error) {
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(concurrency), "-j", strconv.Itoa(min(2, concurrency)),
		"-T", strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second))), "-f", scriptPath}
	for k, v := range vars {
		args = append(args, "-D", k+"="+v)
	}
	// The same session settings as the server's pool (postgres.Open), so both sides run
	// the same plans.
	// Without jit=off the replay of the feed compiled 21 ms of JIT per execution once the
	// visibility probes raised its generic plan's cost past the threshold (58 tps against
	// the server's 2 342 req/s).
	env := append(c.libpqEnv(db), "PGOPTIONS=-c plan_cache_mode=force_generic_plan -c jit=off")
	out, err := runTool(ctx, env, filepath.Join(c.bindir, "pgbench"), args...)
	r := pgbenchResult{Output: out}
	if err != nil {
		return r, err
	}
	m := tpsRe.FindStringSubmatch(out)
	if m == nil {
		if strings.Contains(out, "number of transactions actually processed: 0") {
			return r, fmt.Errorf("%w in %s (connecting took the whole time?)", errNoTransactions, d)
		}
		return r, fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	r.TPS, _ = strconv.ParseFloat(m[1], 64)
	if m := latencyRe.FindStringSubmatch(out); m != nil {
		ms, _ := strconv.ParseFloat(m[1], 64)
		r.Latency = time.Duration(ms * float64(time.Millisecond))
	}
	if m := failedRe.FindStringSubmatch(out); m != nil {
		r.Failed, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return r, nil
}

// writeFile writes b to path.
func writeFile(path string, b string) error {
	return os.WriteFile(path, []byte(b), 0o644)
}
