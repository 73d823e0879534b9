package httpapi

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRecoverPanics checks that a panicking handler answers a 500 with the generic JSON
// error body and the security headers, while the panic and its stack go to the log only.
func TestRecoverPanics(t *testing.T) {
	for _, value := range []any{
		"secret: SELECT password_hash FROM users",
		errors.New("pgx: conn closed"),
		42,
	} {
		var logs bytes.Buffer
		s := &Server{log: slog.New(slog.NewTextHandler(&logs, nil))}
		h := s.recoverPanics(securityHeaders(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic(value)
		})))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/videos", nil))

		if rec.Code != http.StatusInternalServerError {
			t.Errorf("panic(%v): status %d", value, rec.Code)
		}
		if body := rec.Body.String(); body != `{"message":"internal error","code":"internal"}`+"\n" {
			t.Errorf("panic(%v): body %q", value, body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("panic(%v): Content-Type %q", value, ct)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("panic(%v): security headers lost: %v", value, rec.Header())
		}
		if !strings.Contains(logs.String(), "panic") || !strings.Contains(logs.String(), "goroutine") {
			t.Errorf("panic(%v) not logged with its stack: %s", value, logs.String())
		}
	}
}

// TestRecoverPanicsAbort checks that http.ErrAbortHandler, the deliberate way to abort a
// response, is passed on to net/http instead of becoming a 500.
func TestRecoverPanicsAbort(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	h := s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	rec := httptest.NewRecorder()
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
		if rec.Body.Len() != 0 {
			t.Errorf("aborted response has a body: %q", rec.Body)
		}
	}()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	t.Error("ErrAbortHandler was swallowed")
}
