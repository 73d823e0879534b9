package httpapi

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

const (
	viewWindow   = time.Hour   // a viewer counts once per video per window
	maxViewSeen  = 1 << 20     // bound on remembered (viewer, video) pairs
	viewInterval = time.Second // how often buffered views are written

	viewExpirePerCall = 4    // expired pairs Count may forget per call
	viewExpireChunk   = 4096 // expired pairs the background loop forgets per lock hold

	maxViewClaims   = 1 << 16 // views waiting for the shared de-duplication, at most
	viewClaimsBatch = 1000    // claims sent to the shared store in one round trip
)

// viewCounter counts video views without slowing reads: Count only updates memory; a
// background loop adds the buffered counts to the database in one statement per interval.
// De-duplication is per process unless shared is set: then a view new to this process is
// also claimed in the shared store (Redis) before it counts, in one round trip per flush,
// so that several servers count a viewer once per hour between them.
type viewCounter struct {
	store    ViewRecorder
	log      *slog.Logger
	interval time.Duration
	shared   SharedViews // nil: de-duplicate in this process only

	mu      sync.Mutex
	seen    *viewSeen       // (viewer, video) pairs counted in the last window
	pending map[int64]int64 // video id → views not yet written
	claims  []viewClaim     // views new to this process, to claim in shared at the next flush

	stop chan struct{}
	done chan struct{}
}

// viewClaim is a view waiting for the shared de-duplication.
type viewClaim struct {
	video int64
	key   string // "<video>:<viewer>"
}

func newViewCounter(store ViewRecorder, log *slog.Logger, interval time.Duration, shared SharedViews) *viewCounter {
	if interval <= 0 {
		interval = viewInterval
	}
	v := &viewCounter{
		store: store, log: log, interval: interval, shared: shared,
		seen: newViewSeen(maxViewSeen, viewWindow), pending: map[int64]int64{},
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go v.loop()
	return v
}

// Count records a view of videoID by viewer (a user id or client IP), at most once per
// viewer and video per hour. Its cost is amortised O(1) however many pairs are remembered.
func (v *viewCounter) Count(videoID int64, viewer string, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.seen.add(viewKey{viewer: viewer, video: videoID}, now) {
		return
	}
	if v.shared == nil || len(v.claims) >= maxViewClaims {
		// Beyond maxViewClaims waiting (the store is slower than the views arrive) a view
		// counts as if it were the only server's, rather than memory growing without bound.
		v.pending[videoID]++
		return
	}
	v.claims = append(v.claims, viewClaim{video: videoID, key: strconv.FormatInt(videoID, 10) + ":" + viewer})
}

// claim asks the shared store which of the waiting views are the first of their pair
// across servers and adds those to pending. When the store fails, every one of them counts
// (fail open: de-duplicated by this process only, as with one server) — a view is never
// lost to an outage, at the price of counting a viewer once per server meanwhile.
func (v *viewCounter) claim() {
	v.mu.Lock()
	claims := v.claims
	v.claims = nil
	v.mu.Unlock()
	var failed int
	var lastErr error
	for len(claims) > 0 {
		batch := claims[:min(len(claims), viewClaimsBatch)]
		claims = claims[len(batch):]
		keys := make([]string, len(batch))
		for i, c := range batch {
			keys[i] = c.key
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		first, err := v.shared.First(ctx, keys, viewWindow)
		cancel()
		if err != nil {
			failed, lastErr = failed+len(batch), err
		}
		v.mu.Lock()
		for i, c := range batch {
			if err != nil || first[i] {
				v.pending[c.video]++
			}
		}
		v.mu.Unlock()
	}
	if failed > 0 {
		v.log.Warn("shared view de-duplication failed; counted this server's views", "err", lastErr, "views", failed)
	}
}

func (v *viewCounter) loop() {
	defer close(v.done)
	t := time.NewTicker(v.interval)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			v.flush()
			return
		case now := <-t.C:
			v.flush()
			v.expire(now)
		}
	}
}

// expire forgets every pair whose window has ended, holding the lock for at most
// viewExpireChunk pairs at a time so that Count is never kept waiting long.
func (v *viewCounter) expire(now time.Time) {
	for {
		v.mu.Lock()
		n := v.seen.expire(now, viewExpireChunk)
		v.mu.Unlock()
		if n < viewExpireChunk {
			return
		}
	}
}

// flush writes the buffered counts; on failure they are kept for the next attempt.
func (v *viewCounter) flush() {
	if v.shared != nil {
		v.claim()
	}
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

// viewKey identifies a viewer's views of one video.
type viewKey struct {
	viewer string
	video  int64
}

// viewSeen is a bounded set of (viewer, video) pairs, each remembered for one window after
// it was added, with amortised O(1) operations. Because every pair lives for the same
// window, insertion order is expiry order: a FIFO ring buffer beside the map lets expired
// pairs be forgotten from its head, with no scan.
//
// When max pairs are remembered and none has expired, adding a pair evicts the oldest one.
// That viewer may then be counted a second time within the window: the chosen degradation
// under a flood of distinct viewers. The alternatives are worse: refusing new pairs would
// let a flood stop all counting for an hour, and growing would let it exhaust memory. The
// inflation is no worse than the flood itself: evicting a pair takes max newer distinct
// pairs, each counted once, and each request is still counted at most once, exactly as a
// request from a fresh viewer would be.
type viewSeen struct {
	window time.Duration
	max    int
	until  map[viewKey]int64 // pair → end of its window, in Unix nanoseconds

	// ring holds the pairs in the order they were added, with their window ends: n entries
	// from index head, wrapping around. A pair counted again after its window ended (while
	// its old entry still waited to be forgotten) has two entries; the older is then stale
	// and is dropped without touching the map. So the map never holds more pairs than the
	// ring, and the ring never more than max.
	ring    []viewEntry
	head, n int
}

type viewEntry struct {
	key   viewKey
	until int64
}

// newViewSeen returns an empty set remembering each pair for window, at most limit pairs
// (at least one).
func newViewSeen(limit int, window time.Duration) *viewSeen {
	return &viewSeen{window: window, max: max(limit, 1), until: map[viewKey]int64{}}
}

// add reports whether key counts as a new view at now (it was not added in the last window),
// and remembers it if so. It first forgets up to viewExpirePerCall expired pairs; since it
// adds at most one, that is enough to keep up without the background loop.
func (s *viewSeen) add(key viewKey, now time.Time) bool {
	t := now.UnixNano()
	s.expireNanos(t, viewExpirePerCall)
	if until, ok := s.until[key]; ok && t < until {
		return false
	}
	if s.n >= s.max {
		s.pop() // full of unexpired pairs: forget the oldest
	}
	until := now.Add(s.window).UnixNano()
	s.until[key] = until
	s.push(viewEntry{key: key, until: until})
	return true
}

// expire forgets at most limit pairs whose window ended by now; it returns how many
// entries it removed from the ring.
func (s *viewSeen) expire(now time.Time, limit int) int {
	return s.expireNanos(now.UnixNano(), limit)
}

func (s *viewSeen) expireNanos(t int64, limit int) int {
	removed := 0
	for removed < limit && s.n > 0 && s.ring[s.head].until <= t {
		s.pop()
		removed++
	}
	return removed
}

// len returns how many pairs are remembered.
func (s *viewSeen) len() int { return len(s.until) }

// pop forgets the oldest entry of the ring, and its pair unless that was added again since.
func (s *viewSeen) pop() {
	e := s.ring[s.head]
	s.ring[s.head] = viewEntry{} // release the viewer string
	s.head = (s.head + 1) % len(s.ring)
	s.n--
	if s.until[e.key] == e.until {
		delete(s.until, e.key)
	}
}

// push appends e to the ring, doubling its capacity (up to max) when it is full.
func (s *viewSeen) push(e viewEntry) {
	if s.n == len(s.ring) {
		ring := make([]viewEntry, min(max(2*len(s.ring), 64), s.max))
		k := copy(ring, s.ring[s.head:])
		copy(ring[k:], s.ring[:s.head])
		s.ring, s.head = ring, 0
	}
	s.ring[(s.head+s.n)%len(s.ring)] = e
	s.n++
}
