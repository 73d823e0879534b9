package notify

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

// fakeSource is a Source the test drives: each ListenNotifications call is a connection
// the test can deliver on or break.
type fakeSource struct {
	conns chan *fakeConn
	gate  chan struct{} // when set, listening waits until it is closed

	mu     sync.Mutex
	added  []int64   // AddNotificationListener calls, by user
	synced [][]int64 // SyncNotificationListeners calls
}

type fakeConn struct {
	deliver func(tiktok.NotificationSignal)
	fail    chan error
}

func newFakeSource() *fakeSource { return &fakeSource{conns: make(chan *fakeConn, 10)} }

func (f *fakeSource) ListenNotifications(ctx context.Context, connected func(), deliver func(tiktok.NotificationSignal)) error {
	c := &fakeConn{deliver: deliver, fail: make(chan error, 1)}
	if f.gate != nil {
		<-f.gate
	}
	connected()
	f.conns <- c
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-c.fail:
		return err
	}
}

func (f *fakeSource) AddNotificationListener(_ context.Context, _ string, user int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, user)
	return nil
}

func (f *fakeSource) SyncNotificationListeners(_ context.Context, _ string, users []int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.synced = append(f.synced, slices.Sorted(slices.Values(users)))
	return nil
}

func (f *fakeSource) conn(t *testing.T) *fakeConn {
	t.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("the hub did not listen")
		return nil
	}
}

// next waits for s to be woken and returns what is pending.
func next(t *testing.T, s *Subscription) Pending {
	t.Helper()
	select {
	case <-s.Wake():
		return s.Take()
	case <-time.After(5 * time.Second):
		t.Fatal("no wake-up")
		return Pending{}
	}
}

func TestHubFansOutPerUser(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.gate = make(chan struct{})
	h := NewHub(src, Config{}, nil)
	defer h.Close()
	ctx := context.Background()
	a1, _ := h.Subscribe(ctx, 1)
	a2, _ := h.Subscribe(ctx, 1)
	b, _ := h.Subscribe(ctx, 2)
	close(src.gate)
	c := src.conn(t)
	for _, s := range []*Subscription{a1, a2, b} { // the first connection: catch up
		if p := next(t, s); !p.Added || p.Resync {
			t.Fatalf("first connection: %+v, want Added only", p)
		}
	}
	c.deliver(tiktok.NotificationSignal{Recipient: 1, ID: 7, Op: tiktok.NotificationAdded})
	c.deliver(tiktok.NotificationSignal{Recipient: 1, ID: 8, Op: tiktok.NotificationRemoved})
	for _, s := range []*Subscription{a1, a2} {
		p := next(t, s)
		if !p.Added || len(p.Changes) != 1 || p.Changes[0].ID != 8 {
			t.Errorf("user 1's stream got %+v", p)
		}
	}
	select {
	case <-b.Wake():
		t.Errorf("user 2's stream was woken by user 1's notification: %+v", b.Take())
	case <-time.After(50 * time.Millisecond):
	}
	src.mu.Lock()
	if !slices.Equal(src.added, []int64{1, 2}) {
		t.Errorf("registered %v, want each user once: [1 2]", src.added)
	}
	src.mu.Unlock()
}

func TestHubCaps(t *testing.T) {
	t.Parallel()
	h := NewHub(newFakeSource(), Config{PerUser: 2, Total: 3}, nil)
	defer h.Close()
	ctx := context.Background()
	s1, err1 := h.Subscribe(ctx, 1)
	_, err2 := h.Subscribe(ctx, 1)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	_, err := h.Subscribe(ctx, 1)
	if e := tiktok.AsError(err); e.Code != tiktok.CodeRateLimited || e.RetryAfter <= 0 {
		t.Fatalf("a third stream of one user: %v, want rate_limited with a Retry-After", err)
	}
	if _, err := h.Subscribe(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Subscribe(ctx, 3); tiktok.ErrorCode(err) != tiktok.CodeRateLimited {
		t.Fatalf("a fourth stream on a server for 3: %v, want rate_limited", err)
	}
	s1.Close()
	s1.Close() // twice is fine
	if _, err := h.Subscribe(ctx, 1); err != nil {
		t.Fatalf("after a stream closed: %v", err)
	}
	if h.Streams() != 3 {
		t.Errorf("%d streams, want 3", h.Streams())
	}
}

// A stream that never takes what is pending costs a bounded amount of memory, and neither
// the publisher nor the other streams ever wait for it.
func TestHubSlowStreamBlocksNothing(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.gate = make(chan struct{})
	h := NewHub(src, Config{Buffer: 8}, nil)
	defer h.Close()
	ctx := context.Background()
	slow, _ := h.Subscribe(ctx, 1)
	fast, _ := h.Subscribe(ctx, 1)
	close(src.gate)
	c := src.conn(t)
	next(t, fast)

	var got []int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-fast.Wake():
				for _, sig := range fast.Take().Changes {
					got = append(got, sig.ID)
				}
			case <-time.After(500 * time.Millisecond):
				return
			}
		}
	}()
	start := time.Now()
	const n = 100_000
	for i := range n {
		op := tiktok.NotificationAdded
		if i%2 == 1 {
			op = tiktok.NotificationChanged
		}
		c.deliver(tiktok.NotificationSignal{Recipient: 1, ID: int64(i), Op: op})
		if i%8 == 7 {
			time.Sleep(0) // let the fast stream run
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("publishing %d announcements took %v", n, d)
	}
	<-done
	p := slow.Take()
	if !p.Added || !p.Resync || len(p.Changes) > 8 {
		t.Errorf("the slow stream holds %d changes (Added %v, Resync %v); want at most the buffer, and a resync", len(p.Changes), p.Added, p.Resync)
	}
	if len(got) == 0 || !slices.IsSorted(got) {
		t.Errorf("the fast stream got %d changes, in order: %v", len(got), slices.IsSorted(got))
	}
	select {
	case <-slow.Done():
		t.Error("the slow stream was ended; it should only be told to resync")
	default:
	}
}

func TestHubReconnects(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	h := NewHub(src, Config{MinBackoff: time.Millisecond}, nil)
	ctx := context.Background()
	s, _ := h.Subscribe(ctx, 5)
	c := src.conn(t)
	next(t, s)
	c.fail <- errors.New("connection reset")
	c = src.conn(t)
	if p := next(t, s); !p.Added || !p.Resync {
		t.Errorf("after a reconnection: %+v, want Added and Resync", p)
	}
	c.deliver(tiktok.NotificationSignal{Recipient: 5, ID: 1, Op: tiktok.NotificationAdded})
	if p := next(t, s); !p.Added {
		t.Errorf("announcement after reconnecting: %+v", p)
	}
	// The registrations are synced after a reconnection (they may have expired).
	deadline := time.Now().Add(5 * time.Second)
	for {
		src.mu.Lock()
		n := len(src.synced)
		src.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no sync after reconnecting")
		}
		time.Sleep(5 * time.Millisecond)
	}

	h.Close()
	select {
	case <-s.Done():
	default:
		t.Fatal("Close left a subscription open")
	}
	if tiktok.ErrorCode(s.Err()) != tiktok.CodeUnavailable {
		t.Errorf("Err after Close = %v", s.Err())
	}
	if _, err := h.Subscribe(ctx, 5); tiktok.ErrorCode(err) != tiktok.CodeUnavailable {
		t.Errorf("Subscribe after Close: %v, want unavailable", err)
	}
	src.mu.Lock()
	last := src.synced[len(src.synced)-1]
	src.mu.Unlock()
	if len(last) != 0 {
		t.Errorf("Close synced %v, want no registrations left", last)
	}
}
