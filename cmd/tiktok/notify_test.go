package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/apitest"
	"github.com/gotok/tiktok/internal/pgtest"
)

// childEnv, when set in the environment, makes the test binary run `tiktok serve` instead
// of the tests: startServeProcess starts it as a process of its own.
const childEnv = "TIKTOK_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "serve" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, []string{"serve"}, os.Getenv, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "tiktok:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startServeProcess runs `serve` with vars in a separate process (this test binary, see
// TestMain) and waits until /healthz answers 200. stop sends it SIGTERM and waits; the
// process is stopped at cleanup if the test has not stopped it.
func startServeProcess(t *testing.T, vars map[string]string) *server {
	t.Helper()
	port := strconv.Itoa(freePort(t))
	env := append(os.Environ(), childEnv+"=serve", "PORT="+port)
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	logs := &apitest.LogBuffer{}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	s := &server{
		url:    "http://127.0.0.1:" + port,
		client: &http.Client{Timeout: 30 * time.Second},
		cancel: func() { _ = cmd.Process.Signal(syscall.SIGTERM) },
		done:   done,
		logs:   logs,
	}
	s.api = apitest.Client{URL: s.url, HTTP: s.client}
	t.Cleanup(func() {
		if err := s.stop(t); err != nil {
			_ = cmd.Process.Kill()
			t.Errorf("serve process: %v", err)
		}
		if t.Failed() {
			t.Logf("server log (pid %d):\n%s", cmd.Process.Pid, logs)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := s.client.Get(s.url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-done:
			s.once.Do(func() { s.err = err })
			t.Fatalf("serve exited before it was healthy: %v\n%s", err, logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz did not answer 200 within 30s (last: %v)\n%s", err, logs)
		}
	}
}

// event is one Server-Sent Event.
type event struct{ id, name, data string }

// openStream opens the notification stream of token on s and returns its events (the
// channel is closed when the stream ends).
func openStream(t *testing.T, s *server, token string) <-chan event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/api/notifications/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := (&http.Client{}).Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("stream: %d", res.StatusCode)
	}
	t.Cleanup(func() { cancel(); res.Body.Close() })
	events := make(chan event, 100)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		var ev event
		for sc.Scan() {
			line := sc.Text()
			field, value, _ := strings.Cut(line, ": ")
			switch {
			case line == "":
				if ev.name != "" {
					events <- ev
				}
				ev = event{}
			case field == "id":
				ev.id = value
			case field == "event":
				ev.name = value
			case field == "data":
				ev.data = value
			}
		}
	}()
	return events
}

func nextEvent(t *testing.T, events <-chan event) event {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
		return event{}
	}
}

// TestNotificationsAcrossProcesses runs two server processes on one database: a like sent
// to one reaches a stream opened on the other, through PostgreSQL LISTEN/NOTIFY.
func TestNotificationsAcrossProcesses(t *testing.T) {
	t.Parallel()
	vars := testEnv(t)
	vars["DATABASE_URL"] = pgtest.URL(t)
	vars["JWT_SECRET"] = strings.Repeat("shared-secret-", 3) // both processes verify each other's tokens
	a := startServeProcess(t, maps.Clone(vars))
	b := startServeProcess(t, maps.Clone(vars))

	register := func(s *server, name string) (int64, string) {
		status, body := s.call(t, "POST", "/api/users/register", "", map[string]string{
			"username": name, "email": name + "@example.com", "password": "correct horse"})
		if status != http.StatusCreated {
			t.Fatalf("register %s: %d %v", name, status, body)
		}
		return int64(body["user"].(map[string]any)["id"].(float64)), body["token"].(string)
	}
	_, owner := register(a, "procowner")
	fanID, fan := register(b, "procfan")
	status, video := a.call(t, "POST", "/api/videos", owner, map[string]any{"caption": "two servers", "videoUrl": "https://cdn.example.com/v.mp4"})
	if status != http.StatusCreated {
		t.Fatalf("create video: %d %v", status, video)
	}
	videoID := int64(video["id"].(float64))

	onB := openStream(t, b, owner)
	if status, body := a.call(t, "POST", fmt.Sprintf("/api/videos/%d/like", videoID), fan, nil); status != http.StatusOK {
		t.Fatalf("like on A: %d %v", status, body)
	}
	ev := nextEvent(t, onB)
	var n struct {
		Kind   string `json:"kind"`
		Actors []struct {
			ID int64 `json:"id"`
		} `json:"actors"`
		Video struct {
			ID int64 `json:"id"`
		} `json:"video"`
	}
	if err := json.Unmarshal([]byte(ev.data), &n); err != nil || ev.name != "notification" || ev.id == "" ||
		n.Kind != "video_like" || n.Video.ID != videoID || len(n.Actors) != 1 || n.Actors[0].ID != fanID {
		t.Fatalf("stream on B after a like on A: %+v (%v)", ev, err)
	}

	// And the other way round, with a stream on each.
	onA := openStream(t, a, owner)
	if status, body := b.call(t, "POST", "/api/comments", fan, map[string]any{"videoId": videoID, "content": "from B"}); status != http.StatusCreated {
		t.Fatalf("comment on B: %d %v", status, body)
	}
	for name, events := range map[string]<-chan event{"A": onA, "B": onB} {
		if ev := nextEvent(t, events); ev.name != "notification" || !strings.Contains(ev.data, `"from B"`) {
			t.Errorf("stream on %s after a comment on B: %+v", name, ev)
		}
	}
}

// TestServeEndsStreamsOnShutdown: open notification streams do not hold up a graceful
// shutdown; they are told why they end.
func TestServeEndsStreamsOnShutdown(t *testing.T) {
	t.Parallel()
	vars := testEnv(t)
	vars["DATABASE_URL"] = pgtest.URL(t)
	s := startServe(t, vars)
	status, reg := s.call(t, "POST", "/api/users/register", "", map[string]string{
		"username": "streaming", "email": "streaming@example.com", "password": "correct horse"})
	if status != http.StatusCreated {
		t.Fatalf("register: %d %v", status, reg)
	}
	events := openStream(t, s, reg["token"].(string))
	start := time.Now()
	s.cancel()
	ev := nextEvent(t, events)
	if ev.name != "end" || !strings.Contains(ev.data, `"unavailable"`) {
		t.Errorf("at shutdown the stream sent %+v, want end with unavailable", ev)
	}
	select {
	case err := <-s.done:
		s.once.Do(func() { s.err = err })
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return within 10s with a stream open")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown with an open stream took %v", d)
	}
	if _, ok := <-events; ok {
		t.Error("the stream goes on after shutdown")
	}
}
