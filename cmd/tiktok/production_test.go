package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/pgtest"
)

const testSecret32 = "0123456789abcdef0123456789abcdef"

// TestServeProductionRequiresPublicURL: production never builds absolute URLs from the
// request's Host header, which any client sets (`Host: evil.example` came back in
// `videoUrl`); without PUBLIC_URL it refuses to start.
func TestServeProductionRequiresPublicURL(t *testing.T) {
	t.Parallel()
	vars := testEnv(t)
	vars["APP_ENV"] = "production"
	vars["JWT_SECRET"] = testSecret32
	vars["PORT"] = strconv.Itoa(freePort(t))
	vars["DATABASE_URL"] = pgtest.URL(t)
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), []string{"serve"}, getenvFrom(vars), io.Discard, io.Discard) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "PUBLIC_URL") {
			t.Fatalf("run = %v, want an error naming PUBLIC_URL", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("production started without PUBLIC_URL")
	}
}

// TestServeProductionMetricsListener: in production /metrics is not on the API's
// listener, which clients reach, but on a listener of its own (METRICS_ADDR); and links
// are built from PUBLIC_URL whatever Host the request names.
func TestServeProductionMetricsListener(t *testing.T) {
	t.Parallel()
	vars := testEnv(t)
	vars["APP_ENV"] = "production"
	vars["JWT_SECRET"] = testSecret32
	vars["PUBLIC_URL"] = "https://api.example"
	metricsAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	vars["METRICS_ADDR"] = metricsAddr
	vars["DATABASE_URL"] = pgtest.URL(t)
	s := startServe(t, vars)

	res, err := s.client.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the API listener = %d, want 404", res.StatusCode)
	}
	res, err = s.client.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `http_requests_total{method="GET",route="unmatched",status="404"} 1`) {
		t.Errorf("GET %s/metrics = %d:\n%s", metricsAddr, res.StatusCode, body)
	}

	for _, name := range []string{"hosta", "hostb"} {
		if status, body := s.call(t, "POST", "/api/users/register", "", map[string]string{
			"username": name, "email": name + "@example.com", "password": "password123",
		}); status != http.StatusCreated {
			t.Fatalf("register = %d %v", status, body)
		}
	}
	req, _ := http.NewRequest("GET", s.url+"/api/users?limit=1", nil)
	req.Host = "evil.example"
	res, err = s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if link := res.Header.Get("Link"); !strings.HasPrefix(link, "<https://api.example/api/users?") {
		t.Errorf("Link %q, want one on PUBLIC_URL", link)
	}
}
