package httpapi

import (
	"context"
	"sync"
)

// gate lets at most n callers per key in at once. enter waits its turn in arrival order;
// tryEnter does not wait. The server keeps two: password checks take turns per client
// (bcrypt runs on a few worker threads, and without the gate one client's burst would fill
// their queue, so that every other client's login waited behind all of it), and
// storage-compatible uploads are limited in number per client.
//
// Its memory is bounded by the callers present: an entry exists only while it has holders
// or waiters.
type gate struct {
	n  int
	mu sync.Mutex
	m  map[string]*gateEntry
}

type gateEntry struct {
	slots chan struct{}
	users int
}

func newGate(n int) *gate { return &gate{n: n, m: map[string]*gateEntry{}} }

// enter waits for a slot of key (or for ctx to end) and returns the function that leaves.
func (g *gate) enter(ctx context.Context, key string) (leave func(), err error) {
	g.mu.Lock()
	e := g.m[key]
	if e == nil {
		e = &gateEntry{slots: make(chan struct{}, g.n)}
		g.m[key] = e
	}
	e.users++
	g.mu.Unlock()
	release := func() {
		g.mu.Lock()
		if e.users--; e.users == 0 {
			delete(g.m, key)
		}
		g.mu.Unlock()
	}
	select {
	case e.slots <- struct{}{}:
		return func() { <-e.slots; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// tryEnter takes a slot of key if one is free, returning the function that leaves.
func (g *gate) tryEnter(key string) (leave func(), ok bool) {
	g.mu.Lock()
	e := g.m[key]
	if e == nil {
		e = &gateEntry{slots: make(chan struct{}, g.n)}
		g.m[key] = e
	}
	select {
	case e.slots <- struct{}{}:
		e.users++
		g.mu.Unlock()
		return func() {
			<-e.slots
			g.mu.Lock()
			if e.users--; e.users == 0 {
				delete(g.m, key)
			}
			g.mu.Unlock()
		}, true
	default:
		if e.users == 0 {
			delete(g.m, key)
		}
		g.mu.Unlock()
		return nil, false
	}
}
