package httpapi

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGate(t *testing.T) {
	g := newGate(2)
	leaveA, ok := g.tryEnter("k")
	leaveB, ok2 := g.tryEnter("k")
	if !ok || !ok2 {
		t.Fatal("two slots of two refused")
	}
	if _, ok := g.tryEnter("k"); ok {
		t.Fatal("a third holder of two slots admitted")
	}
	if _, ok := g.tryEnter("other"); !ok {
		t.Fatal("keys are not independent")
	}

	// enter waits for a slot, and gives up when its context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := g.enter(ctx, "k"); err == nil {
		t.Fatal("enter admitted a third holder")
	}
	entered := make(chan func())
	go func() {
		leave, err := g.enter(context.Background(), "k")
		if err != nil {
			t.Error(err)
		}
		entered <- leave
	}()
	leaveA()
	(<-entered)()
	leaveB()

	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.m) != 1 { // "other" is still held
		t.Fatalf("%d entries left, want 1", len(g.m))
	}
}

// TestGateBurst: however many arrive at once, at most n are ever inside, and the memory is
// gone when they have left.
func TestGateBurst(t *testing.T) {
	g := newGate(3)
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			leave, err := g.enter(context.Background(), "k")
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			leave()
		}()
	}
	wg.Wait()
	if most.Load() > 3 || most.Load() < 1 {
		t.Fatalf("%d inside at once, want at most 3", most.Load())
	}
	if len(g.m) != 0 {
		t.Fatalf("%d entries left after everyone left", len(g.m))
	}
}
