package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgScript returns the absolute path of scripts/pg.sh. The test is skipped when no
// PostgreSQL binaries are installed and TEST_PG_BINDIR is unset (scripts/test.sh, which
// `make test` runs, sets it, so there the test always runs).
func pgScript(t *testing.T) string {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "pg.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(script, "bindir").CombinedOutput(); err != nil {
		if os.Getenv("TEST_PG_BINDIR") == "" {
			t.Skipf("this test starts its own PostgreSQL and needs its binaries:\n%s", out)
		}
		t.Fatalf("pg.sh bindir: %v\n%s", err, out)
	}
	return script
}

// clusterOwner is the user pg.sh runs PostgreSQL as when it is run by root.
func clusterOwner(t *testing.T) *user.User {
	t.Helper()
	u, err := user.Lookup("postgres")
	if err != nil {
		if u, err = user.Lookup("nobody"); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// pgshRun runs pg.sh with args in the working directory wd, as the user runAs (nil: as the
// test itself), and returns its stdout and stderr.
func pgshRun(t *testing.T, script, wd string, runAs *user.User, env []string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	name, argv := script, args
	if runAs != nil {
		name, argv = "runuser", append([]string{"-u", runAs.Username, "--", script}, args...)
	}
	cmd := exec.CommandContext(ctx, name, argv...)
	cmd.Dir = wd
	// Durability is pointless for a cluster deleted in a few seconds.
	cmd.Env = append(append(os.Environ(), "PG_EXTRA_OPTS=-c fsync=off -c synchronous_commit=off"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		err = &pgshError{args: args, err: err, stderr: stderr.String()}
	}
	return strings.TrimSpace(stdout.String()), stderr.String(), err
}

// querySelect1 connects to url and runs SELECT 1.
func querySelect1(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	defer conn.Close(ctx)
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
}

func exec1(t *testing.T, url, sql string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestPgScriptPrivateDirAsRoot is `make run` by root in a checkout inside a private (0700)
// directory, such as /root or one made by mktemp -d: the postgres user, which runs the
// server, cannot reach .data/postgres there. pg.sh must keep the cluster where that user can
// reach it, link .data/postgres to it, and start, reuse, stop and delete it through the
// link — without changing the permissions of the private directory, and without warnings of
// the owner about a working directory it cannot enter.
func TestPgScriptPrivateDirAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("runs only as root: pg.sh then runs PostgreSQL as the postgres user, which cannot enter root's private directories")
	}
	script := pgScript(t)
	owner := clusterOwner(t)
	private := t.TempDir()
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(private, "clone")
	if err := os.Mkdir(clone, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(clone, ".data", "postgres")
	port := strconv.Itoa(freePort(t))
	// The working directory is the checkout, as for make run, and TMPDIR is private too, as
	// for scripts/test.sh with TMPDIR inside a private directory.
	pgsh := func(args ...string) (string, string, error) {
		return pgshRun(t, script, clone, nil, []string{"TMPDIR=" + private}, args...)
	}

	var external string // where the cluster's files are, once known
	t.Cleanup(func() {
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(dir, "server.log")); err == nil {
				t.Logf("PostgreSQL log:\n%s", tail(string(log), 40))
			}
		}
		if _, _, err := pgsh("destroy", dir); err != nil {
			t.Errorf("pg.sh destroy: %v", err)
		}
		if external == "" {
			return
		}
		if _, err := os.Stat(external); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("pg.sh destroy left %s behind (%v)", external, err)
			// Do not leave a server running on files about to be deleted.
			if bindir, err := exec.Command(script, "bindir").Output(); err == nil {
				pgCtl := filepath.Join(strings.TrimSpace(string(bindir)), "pg_ctl")
				_, _, _ = pgshRun(t, pgCtl, "/", owner, nil, "-D", filepath.Join(external, "postgres"), "-m", "immediate", "stop")
			}
			os.RemoveAll(external)
		}
	})

	url, stderr, err := pgsh("start", dir, port)
	if err != nil {
		t.Fatal(err)
	}
	target, err := os.Readlink(dir)
	if err != nil {
		t.Fatalf("%s is not a symlink to the cluster kept elsewhere: %v", dir, err)
	}
	external = filepath.Dir(target)
	if strings.HasPrefix(target, private+"/") {
		t.Fatalf("the cluster is in the private directory: %s", target)
	}
	if _, _, err := pgshRun(t, "/usr/bin/test", "/", owner, nil, "-O", filepath.Join(target, "PG_VERSION")); err != nil {
		t.Fatalf("%s does not own %s: %v", owner.Username, target, err)
	}
	if fileMode(t, target) != 0o700 {
		t.Errorf("cluster directory %s: mode %v, want 0700", target, fileMode(t, target))
	}
	initdbLog, _ := os.ReadFile(dir + ".initdb.log")
	for _, out := range []string{stderr, string(initdbLog)} {
		if strings.Contains(out, "Permission denied") || strings.Contains(out, "could not change directory") {
			t.Errorf("the cluster's owner ran into a directory it cannot enter:\n%s", out)
		}
	}
	querySelect1(t, url)
	if err := exec1(t, url, "CREATE TABLE kept (id int)"); err != nil {
		t.Fatal(err)
	}

	// A second start (a second make run) finds it running and reuses it.
	url2, _, err := pgsh("start", dir, port)
	if err != nil {
		t.Fatal(err)
	}
	if url2 != url {
		t.Errorf("second start: URL %s, want %s", url2, url)
	}
	if got, _, err := pgsh("url", dir, port); err != nil || got != url {
		t.Errorf("pg.sh url = %q, %v; want %s", got, err, url)
	}
	if out, _, err := pgsh("status", dir); err != nil || !strings.Contains(out, target) {
		t.Errorf("pg.sh status (running) = %q, %v; want it to name %s", out, err, target)
	}

	// make db-stop stops it ...
	if _, _, err := pgsh("stop", dir); err != nil {
		t.Fatal(err)
	}
	var exitErr *exec.ExitError
	if _, _, err := pgsh("status", dir); !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Errorf("pg.sh status after stop: %v, want exit status 3", err)
	}
	if err := exec1(t, url, "SELECT 1"); err == nil {
		t.Error("the server still answers after pg.sh stop")
	}
	// ... and the next make run starts the same cluster again.
	if _, _, err := pgsh("start", dir, port); err != nil {
		t.Fatal(err)
	}
	if err := exec1(t, url, "SELECT * FROM kept"); err != nil {
		t.Errorf("restarted cluster is not the same one: %v", err)
	}

	if m := fileMode(t, private); m != 0o700 {
		t.Errorf("private directory: mode %v, want it left at 0700", m)
	}
	if m := fileMode(t, dir+".password"); m != 0o600 {
		t.Errorf("password file: mode %v, want 0600", m)
	}

	// make clean deletes it, wherever it is.
	if _, _, err := pgsh("destroy", dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, dir + ".password", external} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after pg.sh destroy, %s: %v, want it deleted", p, err)
		}
	}
}

// TestPgScriptNormalUser: a normal user's cluster stays in the directory asked for (here in
// a private home directory of the postgres user, which runs pg.sh itself), as before.
func TestPgScriptNormalUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("runs only as root, to run pg.sh as another user (as a normal user, every test using newCluster takes this path)")
	}
	script := pgScript(t)
	owner := clusterOwner(t)
	uid, _ := strconv.Atoi(owner.Uid)
	gid, _ := strconv.Atoi(owner.Gid)
	base := t.TempDir()
	for _, d := range []string{base, filepath.Dir(base)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := pgshRun(t, "/usr/bin/test", "/", owner, nil, "-x", base); err != nil {
		t.Skipf("%s cannot reach the temporary directory %s (TMPDIR inside a private directory?)", owner.Username, base)
	}
	// A copy of the script that user may run, in a home of its own.
	body, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(base, "pg.sh")
	if err := os.WriteFile(copied, body, 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(base, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, uid, gid); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, ".data", "postgres")
	pgsh := func(args ...string) (string, string, error) {
		return pgshRun(t, copied, home, owner, []string{"TMPDIR=" + home}, args...)
	}
	t.Cleanup(func() {
		if _, _, err := pgsh("destroy", dir); err != nil {
			t.Errorf("pg.sh destroy: %v", err)
		}
	})

	url, _, err := pgsh("start", dir, strconv.Itoa(freePort(t)))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() {
		t.Fatalf("%s: mode %v, want the cluster directory itself", dir, fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		t.Fatal(err)
	}
	querySelect1(t, url)
	if _, _, err := pgsh("stop", dir); err != nil {
		t.Fatal(err)
	}
	if m := fileMode(t, home); m != 0o700 {
		t.Errorf("home directory: mode %v, want it left at 0700", m)
	}
}
