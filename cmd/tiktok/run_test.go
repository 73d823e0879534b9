package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peterldowns/pgtestdb"

	"github.com/gotok/tiktok/internal/apitest"
	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
)

// testEnv returns the variables every test starts from: a cheap bcrypt cost, a private
// data directory, quiet logs and an ENV_FILE that does not exist, so that no .env of the
// developer's leaks into the test.
func testEnv(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	return map[string]string{
		"BCRYPT_COST": "4",
		"DATA_DIR":    dir,
		"LOG_LEVEL":   "warn",
		"ENV_FILE":    filepath.Join(dir, "absent.env"),
	}
}

func getenvFrom(vars map[string]string) func(string) string {
	return func(key string) string { return vars[key] }
}

// freePort returns a TCP port that nothing listened on a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// server is one `tiktok serve` started by a test.
type server struct {
	url    string
	client *http.Client
	api    apitest.Client // url through client
	cancel context.CancelFunc
	done   chan error // receives run's result once
	logs   *apitest.LogBuffer

	once sync.Once
	err  error
}

// startServe runs `serve` with vars (PORT is chosen here) and waits until /healthz
// answers 200. The server is stopped at cleanup if the test has not stopped it.
func startServe(t *testing.T, vars map[string]string) *server {
	t.Helper()
	port := strconv.Itoa(freePort(t))
	vars["PORT"] = port
	ctx, cancel := context.WithCancel(context.Background())
	transport := &http.Transport{ExpectContinueTimeout: 30 * time.Second}
	s := &server{
		url:    "http://127.0.0.1:" + port,
		client: &http.Client{Transport: transport, Timeout: 30 * time.Second},
		cancel: cancel,
		done:   make(chan error, 1),
		logs:   &apitest.LogBuffer{},
	}
	s.api = apitest.Client{URL: s.url, HTTP: s.client}
	go func() { s.done <- run(ctx, []string{"serve"}, getenvFrom(vars), io.Discard, s.logs) }()
	t.Cleanup(func() {
		if err := s.stop(t); err != nil {
			t.Errorf("run: %v", err)
		}
		transport.CloseIdleConnections()
		if t.Failed() {
			t.Logf("server log:\n%s", s.logs)
		}
	})

	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-s.done:
			s.once.Do(func() { s.err = err })
			t.Fatalf("run returned before the server was healthy: %v\n%s", err, s.logs)
		default:
		}
		res, err := s.client.Get(s.url + "/healthz")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz did not answer 200 within 20s (last: %v)\n%s", err, s.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop cancels run's context and returns run's result, failing the test if run does not
// return promptly.
func (s *server) stop(t *testing.T) error {
	t.Helper()
	s.once.Do(func() {
		s.cancel()
		select {
		case s.err = <-s.done:
		case <-time.After(10 * time.Second):
			s.err = errors.New("run did not return within 10s of cancellation")
		}
	})
	return s.err
}

// call sends a JSON request and decodes the answer, failing the test unless it is a JSON
// object.
func (s *server) call(t *testing.T, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	res, err := s.api.Do(method, path, body, token)
	if err != nil {
		t.Fatal(err)
	}
	if res.Body == nil {
		t.Fatalf("%s %s: %d, body is not a JSON object: %q", method, path, res.Status, res.Raw)
	}
	return res.Status, res.Body
}

func TestServe(t *testing.T) {
	t.Parallel()
	vars := testEnv(t)
	vars["DATABASE_URL"] = pgtest.URL(t)
	s := startServe(t, vars)

	if status, body := s.call(t, "GET", "/readyz", "", nil); status != http.StatusOK {
		t.Fatalf("GET /readyz = %d %v, want 200", status, body)
	}

	status, reg := s.call(t, "POST", "/api/users/register", "", map[string]string{
		"username": "lifecycle", "email": "Lifecycle@Example.com", "password": "correct horse",
	})
	if status != http.StatusCreated {
		t.Fatalf("register = %d %v, want 201", status, reg)
	}
	if tok, _ := reg["token"].(string); tok == "" {
		t.Errorf("register returned no token: %v", reg)
	}

	status, login := s.call(t, "POST", "/api/users/login", "", map[string]string{
		"email": "lifecycle@example.com", "password": "correct horse",
	})
	if status != http.StatusOK {
		t.Fatalf("login = %d %v, want 200", status, login)
	}
	token, _ := login["token"].(string)
	if token == "" {
		t.Fatalf("login returned no token: %v", login)
	}

	status, me := s.call(t, "GET", "/api/users/me", token, nil)
	if status != http.StatusOK {
		t.Fatalf("GET /api/users/me = %d %v, want 200", status, me)
	}
	if me["username"] != "lifecycle" || me["email"] != "lifecycle@example.com" {
		t.Errorf("GET /api/users/me = %v, want username lifecycle and the lower-cased email", me)
	}
	user, _ := login["user"].(map[string]any)
	if user == nil || me["id"] != user["id"] {
		t.Errorf("me.id = %v, login user = %v", me["id"], user)
	}

	if status, _ := s.call(t, "GET", "/api/users/me", "", nil); status != http.StatusUnauthorized {
		t.Errorf("GET /api/users/me without a token = %d, want 401", status)
	}

	start := time.Now()
	if err := s.stop(t); err != nil {
		t.Fatalf("run after cancellation: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("graceful shutdown of an idle server took %v", d)
	}
	if _, err := s.client.Get(s.url + "/healthz"); err == nil {
		t.Error("the server still answers after run returned")
	}
}

// TestServeFinishesInFlightRequest cancels run's context while a registration's body is
// only half sent: the request must still complete with 201, and run must return nil after it.
func TestServeFinishesInFlightRequest(t *testing.T) {
	t.Parallel()
	vars := testEnv(t)
	vars["DATABASE_URL"] = pgtest.URL(t)
	s := startServe(t, vars)

	body := `{"username":"slowpoke","email":"slow@example.com","password":"correct horse"}`
	pr, pw := io.Pipe()
	defer pw.Close()
	// With Expect: 100-continue the client sends the body only after the server's handler
	// starts reading it, so once the first write below returns, the request is in flight.
	req, err := s.api.NewRequest("POST", "/api/users/register", pr, "", "Expect", "100-continue")
	if err != nil {
		t.Fatal(err)
	}

	type result struct {
		status int
		body   string
		err    error
	}
	resc := make(chan result, 1)
	go func() {
		res, err := s.api.Send(req)
		resc <- result{status: res.Status, body: string(res.Raw), err: err}
	}()

	write := func(p string) {
		t.Helper()
		errc := make(chan error, 1)
		go func() { _, err := io.WriteString(pw, p); errc <- err }()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("send body: %v", err)
			}
		case r := <-resc:
			t.Fatalf("request ended before its body was sent: %+v", r)
		case <-time.After(10 * time.Second):
			t.Fatal("the server did not read the request body within 10s")
		}
	}

	half := len(body) / 2
	write(body[:half])
	s.cancel()
	select {
	case err := <-s.done:
		s.once.Do(func() { s.err = err })
		t.Fatalf("run returned (%v) while a request was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	write(body[half:])
	pw.Close()

	var r result
	select {
	case r = <-resc:
	case <-time.After(10 * time.Second):
		t.Fatal("the in-flight request got no answer within 10s")
	}
	if r.err != nil || r.status != http.StatusCreated {
		t.Fatalf("in-flight register = %d %q (%v), want 201", r.status, r.body, r.err)
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("run after cancellation: %v", err)
	}
}

// migrationFiles lists the embedded migrations in order.
func migrationFiles(t *testing.T) []string {
	t.Helper()
	names, err := postgres.MigrationNames()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no embedded migrations")
	}
	slices.Sort(names)
	return names
}

// parseStatus reads `migrate status` output: migration file → "applied" or "pending".
func parseStatus(t *testing.T, out string) map[string]string {
	t.Helper()
	states := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			t.Fatalf("unexpected status line %q", sc.Text())
		}
		states[f[0]] = f[1]
	}
	return states
}

func TestMigrateCommands(t *testing.T) {
	t.Parallel()
	vars := testEnv(t)
	vars["DATABASE_URL"] = pgtestdb.Custom(t, pgtest.ServerConfig(t), pgtestdb.NoopMigrator{}).URL()
	vars["AUTO_MIGRATE"] = "false"
	files := migrationFiles(t)
	last := files[len(files)-1]

	migrate := func(sub string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{"migrate", sub}, getenvFrom(vars), &stdout, &stderr); err != nil {
			t.Fatalf("migrate %s: %v\n%s", sub, err, stderr.String())
		}
		return stdout.String()
	}
	wantStates := func(out string, applied int) {
		t.Helper()
		got := parseStatus(t, out)
		for i, f := range files {
			want := "pending"
			if i < applied {
				want = "applied"
			}
			if got[f] != want {
				t.Errorf("status of %s = %q, want %q\n%s", f, got[f], want, out)
			}
		}
		if len(got) != len(files) {
			t.Errorf("status lists %d migrations, want %d\n%s", len(got), len(files), out)
		}
	}

	// serve with AUTO_MIGRATE=false must leave the schema alone.
	s := startServe(t, vars)
	if err := s.stop(t); err != nil {
		t.Fatalf("serve: %v", err)
	}
	wantStates(migrate("status"), 0)

	out := migrate("up")
	for _, f := range files {
		if !strings.Contains(out, "migrated "+f) {
			t.Errorf("migrate up output does not report %s:\n%s", f, out)
		}
	}
	wantStates(migrate("status"), len(files))
	if out := migrate("up"); out != "" {
		t.Errorf("second migrate up printed %q, want nothing (no pending migration)", out)
	}

	if out := migrate("down"); !strings.Contains(out, "rolled back "+last) {
		t.Errorf("migrate down output = %q, want it to report %s", out, last)
	}
	wantStates(migrate("status"), len(files)-1)

	if out := migrate("up"); strings.TrimSpace(out) == "" || !strings.Contains(out, "migrated "+last) {
		t.Errorf("migrate up after down = %q, want it to re-apply %s", out, last)
	}
	wantStates(migrate("status"), len(files))

	for _, args := range [][]string{{"migrate"}, {"migrate", "sideways"}, {"migrate", "up", "down"}} {
		if err := run(context.Background(), args, getenvFrom(vars), io.Discard, io.Discard); err == nil {
			t.Errorf("run %q succeeded, want a usage error", args)
		}
	}
}

func TestServeProductionRequiresSecret(t *testing.T) {
	t.Parallel()
	// A valid but unused database address: run must fail on the configuration first.
	unused := strconv.Itoa(freePort(t))
	tests := []struct {
		name  string
		setup func(t *testing.T, vars map[string]string)
	}{
		{"environment", func(t *testing.T, vars map[string]string) { vars["APP_ENV"] = "production" }},
		{"env file", func(t *testing.T, vars map[string]string) {
			path := filepath.Join(t.TempDir(), "prod.env")
			if err := os.WriteFile(path, []byte("APP_ENV=production\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			vars["ENV_FILE"] = path
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars := testEnv(t)
			vars["LOG_LEVEL"] = "info" // the "listening" line would show
			vars["PORT"] = strconv.Itoa(freePort(t))
			vars["DATABASE_URL"] = "postgres://nobody@127.0.0.1:" + unused + "/none?connect_timeout=1"
			tt.setup(t, vars)
			var stderr apitest.LogBuffer
			done := make(chan error, 1)
			go func() { done <- run(context.Background(), []string{"serve"}, getenvFrom(vars), io.Discard, &stderr) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("run did not return within 10s")
			}
			if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
				t.Fatalf("run = %v, want an error mentioning JWT_SECRET", err)
			}
			if strings.Contains(stderr.String(), "listening") {
				t.Errorf("the server listened:\n%s", stderr.String())
			}
			if _, err := os.Stat(filepath.Join(vars["DATA_DIR"], "jwt_secret")); err == nil {
				t.Error("production generated a development secret")
			}
		})
	}
}

func TestRunCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args       []string
		wantErr    string // substring; empty = success
		wantStdout bool   // usage on stdout
		wantStderr bool   // usage on stderr
	}{
		{args: nil, wantErr: "missing command", wantStderr: true},
		{args: []string{}, wantErr: "missing command", wantStderr: true},
		{args: []string{"frobnicate"}, wantErr: `"frobnicate"`, wantStderr: true},
		{args: []string{"Serve"}, wantErr: `"Serve"`, wantStderr: true},
		{args: []string{"help"}, wantStdout: true},
		{args: []string{"-h"}, wantStdout: true},
		{args: []string{"--help"}, wantStdout: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.args), func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, getenvFrom(testEnv(t)), &stdout, &stderr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("run(%q) = %v, want nil", tt.args, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("run(%q) = %v, want an error containing %s", tt.args, err, tt.wantErr)
			}
			if got := strings.Contains(stdout.String(), "usage: tiktok"); got != tt.wantStdout {
				t.Errorf("usage on stdout = %v, want %v; stdout:\n%s", got, tt.wantStdout, stdout.String())
			}
			if got := strings.Contains(stderr.String(), "usage: tiktok"); got != tt.wantStderr {
				t.Errorf("usage on stderr = %v, want %v; stderr:\n%s", got, tt.wantStderr, stderr.String())
			}
		})
	}
}

func TestWithDotEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "test.env")
	file := "# comment\nFROM_FILE=file\nBOTH=file\nQUOTED=\"a b\"\nexport EXPORTED=yes\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}

	getenv, err := withDotEnv(getenvFrom(map[string]string{"ENV_FILE": path, "BOTH": "environment", "ONLY_ENV": "environment"}))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"FROM_FILE": "file",
		"BOTH":      "environment", // the real environment wins
		"ONLY_ENV":  "environment",
		"QUOTED":    "a b",
		"EXPORTED":  "yes",
		"MISSING":   "",
	} {
		if got := getenv(key); got != want {
			t.Errorf("getenv(%q) = %q, want %q", key, got, want)
		}
	}

	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		getenv, err := withDotEnv(getenvFrom(map[string]string{"ENV_FILE": filepath.Join(dir, "absent.env"), "A": "1"}))
		if err != nil {
			t.Fatalf("a missing env file must be ignored: %v", err)
		}
		if getenv("A") != "1" {
			t.Errorf("getenv(A) = %q, want 1", getenv("A"))
		}
	})
	t.Run("unreadable file", func(t *testing.T) {
		t.Parallel()
		if _, err := withDotEnv(getenvFrom(map[string]string{"ENV_FILE": dir})); err == nil {
			t.Error("withDotEnv accepted a directory as ENV_FILE")
		}
	})
}
