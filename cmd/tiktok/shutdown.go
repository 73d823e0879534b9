package main

import (
	"net/http"
	"sync"
	"time"
)

// requestTracker counts the requests whose handlers are running.
type requestTracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // made by wait, closed when n drops to zero
}

// track returns h counting its running requests in t.
func (t *requestTracker) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.mu.Lock()
		t.n++
		t.mu.Unlock()
		defer func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			if t.n--; t.n == 0 && t.idle != nil {
				close(t.idle)
				t.idle = nil
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// wait waits up to timeout until no handler runs and returns how many still do.
func (t *requestTracker) wait(timeout time.Duration) int {
	t.mu.Lock()
	if t.n == 0 {
		t.mu.Unlock()
		return 0
	}
	if t.idle == nil {
		t.idle = make(chan struct{})
	}
	idle := t.idle
	t.mu.Unlock()
	select {
	case <-idle:
	case <-time.After(timeout):
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}
