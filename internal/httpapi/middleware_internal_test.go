package httpapi

import (
	"regexp"
	"sync"
	"testing"
)

// TestRequestIDs: generated request ids are 16 hex digits, distinct under concurrency, and
// two processes (two generators) start from different prefixes.
func TestRequestIDs(t *testing.T) {
	g := newRequestIDs()
	hex16 := regexp.MustCompile(`^[0-9a-f]{16}$`)
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				id := g.next()
				mu.Lock()
				if seen[id] || !hex16.MatchString(id) {
					t.Errorf("id %q repeated or not 16 hex digits", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	a, b := newRequestIDs(), newRequestIDs()
	if a.prefix == b.prefix && newRequestIDs().prefix == a.prefix {
		t.Errorf("three generators share the prefix %x: it is not random", a.prefix)
	}
}
