package load

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunSpeaksHTTP drives a real net/http server through every kind of response a run
// must record: sized, chunked, empty, errors, bodies sent, and connections the server
// closes.
func TestRunSpeaksHTTP(t *testing.T) {
	big := strings.Repeat("x", 100_000)
	var served atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /small", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"id":7}`) })
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) }) // chunked
	mux.HandleFunc("DELETE /empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /missing", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusNotFound) })
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "bug", http.StatusInternalServerError) })
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %d", r.Header.Get("Authorization"), r.Header.Get("Content-Type"), len(b))
	})
	mux.HandleFunc("GET /close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()

	var bad atomic.Int64
	check := func(want string) func(int, []byte) {
		return func(_ int, body []byte) {
			if string(body) != want {
				bad.Add(1)
			}
		}
	}
	gen := func(rng *rand.Rand) Request {
		switch rng.IntN(7) {
		case 0:
			return Request{Name: "small", Method: "GET", Path: "/small", Then: check(`{"id":7}`)}
		case 1:
			return Request{Name: "big", Method: "GET", Path: "/big", Then: check(big)}
		case 2:
			return Request{Name: "empty", Method: "DELETE", Path: "/empty"}
		case 3:
			return Request{Name: "missing", Method: "GET", Path: "/missing"}
		case 4:
			return Request{Name: "broken", Method: "GET", Path: "/broken"}
		case 5:
			return Request{Name: "echo", Method: "POST", Path: "/echo", Token: "tok", Body: []byte(`{"a":1}`), Then: check("Bearer tok application/json 7")}
		default:
			return Request{Name: "close", Method: "GET", Path: "/close", Then: check("bye")}
		}
	}
	rep, err := Run(context.Background(), srv.URL, Options{Concurrency: 8, Requests: 3000, Seed: 3}, Repeat(gen))
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.Total.Requests(); n != 3000 || served.Load() != 3000 {
		t.Fatalf("made %d requests, server saw %d, want 3000", n, served.Load())
	}
	if rep.Total.Transport != 0 || bad.Load() != 0 {
		t.Fatalf("%d transport errors, %d wrong bodies:\n%s", rep.Total.Transport, bad.Load(), rep.Table())
	}
	if s := rep.Endpoint("missing"); s.Status4xx != s.Requests() || len(s.Samples) == 0 || !strings.Contains(s.Samples[0], "404 nope") {
		t.Errorf("missing: %+v", s)
	}
	if s := rep.Endpoint("broken"); s.Status5xx != s.Requests() {
		t.Errorf("broken: %+v", s)
	}
	if s := rep.Endpoint("empty"); s.Status2xx != s.Requests() {
		t.Errorf("empty: %+v", s)
	}
}

// TestRunStopsOnTime ends a timed run about when asked, and a cancelled one at once, also
// with a request in flight.
func TestRunStopsOnTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(time.Second)
		}
	}))
	defer srv.Close()
	start := time.Now()
	rep, err := Run(context.Background(), srv.URL, Options{Concurrency: 4, Duration: 300 * time.Millisecond},
		Repeat(func(*rand.Rand) Request { return Request{Name: "x", Method: "GET", Path: "/"} }))
	if err != nil || time.Since(start) > 2*time.Second || rep.Total.Status2xx == 0 {
		t.Fatalf("timed run: %v after %s, %d ok", err, time.Since(start), rep.Total.Status2xx)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = Run(ctx, srv.URL, Options{Concurrency: 2, Duration: time.Minute},
		Repeat(func(*rand.Rand) Request { return Request{Name: "slow", Method: "GET", Path: "/slow"} }))
	if err == nil || time.Since(start) > 1500*time.Millisecond {
		t.Fatalf("cancelled run: %v after %s", err, time.Since(start))
	}
}
