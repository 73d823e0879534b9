package main

import (
	"context"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/redistest"
)

// TestServeWithRedis: two serve copies with one REDIS_URL share the failed-login budget
// (3 wrong passwords spread over both lock the account on both) and keep their buckets in
// Redis under "tiktok:".
func TestServeWithRedis(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	vars := testEnv(t)
	vars["DATABASE_URL"] = pgtest.URL(t)
	vars["JWT_SECRET"] = strings.Repeat("shared-secret-", 3)
	vars["REDIS_URL"] = rs.URL()
	vars["RATE_LIMIT_LOGIN_ACCOUNT"] = "3"
	a := startServe(t, maps.Clone(vars))
	b := startServe(t, maps.Clone(vars))

	if status, body := a.call(t, "POST", "/api/users/register", "", map[string]string{
		"username": "shared", "email": "shared@example.com", "password": "correct horse"}); status != http.StatusCreated {
		t.Fatalf("register: %d %v", status, body)
	}
	bad := map[string]string{"email": "shared@example.com", "password": "wrong horse"}
	for i, s := range []*server{a, b, a} {
		if status, body := s.call(t, "POST", "/api/users/login", "", bad); status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d %v", i, status, body)
		}
	}
	for name, s := range map[string]*server{"a": a, "b": b} {
		if status, body := s.call(t, "POST", "/api/users/login", "", bad); status != http.StatusTooManyRequests {
			t.Fatalf("4th wrong password on %s: %d %v, want 429 (the budget is shared)", name, status, body)
		}
	}
	keys, err := rs.Client().Keys(context.Background(), "tiktok:rl:login-account:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("login buckets in Redis: %v %v", keys, err)
	}
}

// TestServeRedisDown: a REDIS_URL nothing answers at does not stop serve: it warns, and
// serves with each server's own limits (no 5xx); /metrics counts the failures.
func TestServeRedisDown(t *testing.T) {
	t.Parallel()
	vars := testEnv(t)
	vars["DATABASE_URL"] = pgtest.URL(t)
	vars["REDIS_URL"] = "redis://127.0.0.1:" + strconv.Itoa(freePort(t)) + "/0"
	vars["RATE_LIMIT_LOGIN_ACCOUNT"] = "2"
	s := startServe(t, vars)
	if status, body := s.call(t, "GET", "/readyz", "", nil); status != http.StatusOK {
		t.Fatalf("readyz: %d %v", status, body)
	}
	if status, body := s.call(t, "POST", "/api/users/register", "", map[string]string{
		"username": "alone", "email": "alone@example.com", "password": "correct horse"}); status != http.StatusCreated {
		t.Fatalf("register: %d %v", status, body)
	}
	bad := map[string]string{"email": "alone@example.com", "password": "wrong horse"}
	for _, want := range []int{401, 401, 429} {
		if status, body := s.call(t, "POST", "/api/users/login", "", bad); status != want {
			t.Fatalf("wrong password: %d %v, want %d (limited in process)", status, body, want)
		}
	}
	res, err := s.client.Get(s.url + "/api/videos/for-you")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("anonymous feed without Redis: %v %v", res, err)
	}
	res.Body.Close()
	res, err = s.client.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(metrics), "redis_errors_total") || strings.Contains(string(metrics), "redis_errors_total 0\n") {
		t.Fatalf("redis_errors_total does not count the failures")
	}
	if !strings.Contains(s.logs.String(), "redis does not answer") {
		t.Errorf("no warning that Redis does not answer:\n%s", s.logs)
	}
}
