package httpapi

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/gotok/tiktok/internal/postgres"
)

const (
	viewWindow   = time.Hour   // a viewer counts once per video per window
	maxViewSeen  = 1 << 20     // bound on remembered (viewer, video) pairs
	viewInterval = time.Second // how often buffered views are written
)

// viewCounter counts video views without slowing reads: Count only updates memory; a
// background loop adds the buffered counts to the database in one statement per interval.
// Deduplication is per process (several copies behind a load balancer each count a viewer
// once per hour; a shared store can replace the map when that matters).
type viewCounter struct {
	store    *postgres.Store
	log      *slog.Logger
	interval time.Duration

	mu      sync.Mutex
	seen    map[string]time.Time // "viewer/video" → when the window ends
	pending map[int64]int64      // video id → views not yet written

	stop chan struct{}
	done chan struct{}
}

func newViewCounter(store *postgres.Store, log *slog.Logger, interval time.Duration) *viewCounter {
	if interval <= 0 {
		interval = viewInterval
	}
	v := &viewCounter{
		store: store, log: log, interval: interval,
		seen: map[string]time.Time{}, pending: map[int64]int64{},
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go v.loop()
	return v
}

// Count records a view of videoID by viewer (a user id or client IP), at most once per
// viewer and video per hour.
func (v *viewCounter) Count(videoID int64, viewer string, now time.Time) {
	key := viewer + "/" + strconv.FormatInt(videoID, 10)
	v.mu.Lock()
	defer v.mu.Unlock()
	if until, ok := v.seen[key]; ok && now.Before(until) {
		return
	}
	if len(v.seen) >= maxViewSeen {
		v.pruneLocked(now)
		if len(v.seen) >= maxViewSeen {
			return // under a flood of distinct viewers, stop counting rather than grow
		}
	}
	v.seen[key] = now.Add(viewWindow)
	v.pending[videoID]++
}

func (v *viewCounter) pruneLocked(now time.Time) {
	for k, until := range v.seen {
		if !now.Before(until) {
			delete(v.seen, k)
		}
	}
}

func (v *viewCounter) loop() {
	defer close(v.done)
	t := time.NewTicker(v.interval)
	defer t.Stop()
	lastPrune := time.Now()
	for {
		select {
		case <-v.stop:
			v.flush()
			return
		case now := <-t.C:
			v.flush()
			if now.Sub(lastPrune) > time.Minute {
				v.mu.Lock()
				v.pruneLocked(now)
				v.mu.Unlock()
				lastPrune = now
			}
		}
	}
}

// flush writes the buffered counts; on failure they are kept for the next attempt.
func (v *viewCounter) flush() {
	v.mu.Lock()
	pending := v.pending
	v.pending = map[int64]int64{}
	v.mu.Unlock()
	if len(pending) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := v.store.AddViews(ctx, pending); err != nil {
		v.log.Warn("writing view counts failed; will retry", "err", err, "videos", len(pending))
		v.mu.Lock()
		for id, n := range pending {
			v.pending[id] += n
		}
		v.mu.Unlock()
	}
}

// Close writes what is buffered and stops the loop.
func (v *viewCounter) Close() {
	select {
	case <-v.stop:
	default:
		close(v.stop)
	}
	<-v.done
}
