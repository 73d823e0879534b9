package httpapi

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// These tests and benchmarks use no database: the counters have no store and no loop.

var viewT0 = time.Unix(1_700_000_000, 0)

// newTestViewCounter returns a counter remembering at most limit pairs, without the
// background loop (so nothing is flushed).
func newTestViewCounter(limit int) *viewCounter {
	return &viewCounter{seen: newViewSeen(limit, viewWindow), pending: map[int64]int64{}}
}

// checkViewSeen fails the test unless the set's invariants hold: at most max ring entries,
// no more pairs than entries, every pair's window end matching an entry, and entries in
// window-end order (the clock of these tests never goes back).
func checkViewSeen(t *testing.T, s *viewSeen) {
	t.Helper()
	if s.n > s.max || s.len() > s.n {
		t.Fatalf("%d pairs, %d ring entries, max %d", s.len(), s.n, s.max)
	}
	matched := 0
	for i := range s.n {
		e := s.ring[(s.head+i)%len(s.ring)]
		if i > 0 && e.until < s.ring[(s.head+i-1)%len(s.ring)].until {
			t.Fatalf("ring entry %d out of order", i)
		}
		if s.until[e.key] == e.until {
			matched++
		}
	}
	if matched != s.len() {
		t.Fatalf("%d of %d pairs have their ring entry", matched, s.len())
	}
}

func TestViewCounterDedupsWithinWindow(t *testing.T) {
	v := newTestViewCounter(100)
	v.Count(1, "ip1", viewT0)
	v.Count(1, "ip1", viewT0.Add(time.Minute))
	v.Count(1, "ip1", viewT0.Add(viewWindow-time.Nanosecond))
	if v.pending[1] != 1 {
		t.Fatalf("%d views within one window, want 1", v.pending[1])
	}
	v.Count(1, "ip2", viewT0.Add(time.Minute)) // another viewer
	v.Count(2, "ip1", viewT0.Add(time.Minute)) // another video
	if v.pending[1] != 2 || v.pending[2] != 1 {
		t.Fatalf("pending %v, want 1→2 2→1", v.pending)
	}
	v.Count(1, "ip1", viewT0.Add(viewWindow)) // the window has ended
	if v.pending[1] != 3 {
		t.Fatalf("%d views, want 3 after the window", v.pending[1])
	}
	checkViewSeen(t, v.seen)
}

// TestViewCounterFullStillCounts fills the counter with maxViewSeen unexpired pairs: a new
// viewer must still be counted (the oldest pair is forgotten) and the bound must hold.
func TestViewCounterFullStillCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a map of maxViewSeen pairs")
	}
	v := newTestViewCounter(maxViewSeen)
	for i := range maxViewSeen {
		v.Count(1, "fill"+strconv.Itoa(i), viewT0)
	}
	now := viewT0.Add(time.Minute)
	v.Count(2, "new", now)
	v.Count(2, "new", now)
	if v.pending[2] != 1 {
		t.Fatalf("new viewer of a full counter counted %d times, want 1", v.pending[2])
	}
	if n := v.seen.len(); n != maxViewSeen {
		t.Fatalf("%d pairs remembered, want %d", n, maxViewSeen)
	}
	v.Count(1, "fill0", now) // the oldest pair was evicted: counted again (the degradation)
	v.Count(1, "fill2", now) // later pairs are still remembered
	if v.pending[1] != maxViewSeen+1 {
		t.Fatalf("%d views of video 1, want %d", v.pending[1], maxViewSeen+1)
	}
}

func TestViewSeenEvictsOldestWhenFull(t *testing.T) {
	s := newViewSeen(3, viewWindow)
	for i, viewer := range []string{"a", "b", "c", "d"} {
		if !s.add(viewKey{viewer, 1}, viewT0.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("%s not counted", viewer)
		}
		checkViewSeen(t, s)
	}
	now := viewT0.Add(time.Minute)
	for _, viewer := range []string{"b", "c", "d"} {
		if s.add(viewKey{viewer, 1}, now) {
			t.Fatalf("%s counted twice", viewer)
		}
	}
	if !s.add(viewKey{"a", 1}, now) { // evicted by d, so counted again; this evicts b
		t.Fatal("evicted pair not counted again")
	}
	if !s.add(viewKey{"b", 1}, now) {
		t.Fatal("b was not the oldest")
	}
	checkViewSeen(t, s)
	if s.len() != 3 {
		t.Fatalf("%d pairs, want 3", s.len())
	}
}

func TestViewSeenBound(t *testing.T) {
	s := newViewSeen(100, viewWindow)
	for i := range 10_000 {
		s.add(viewKey{strconv.Itoa(i % 3000), int64(i % 7)}, viewT0.Add(time.Duration(i)*time.Millisecond))
		if s.n > 100 || s.len() > 100 {
			t.Fatalf("after %d adds: %d pairs, %d ring entries", i+1, s.len(), s.n)
		}
	}
	checkViewSeen(t, s)
	if len(s.ring) > 100 {
		t.Fatalf("ring capacity %d, max 100", len(s.ring))
	}
}

func TestViewSeenExpires(t *testing.T) {
	v := newTestViewCounter(maxViewSeen)
	const pairs = 3*viewExpireChunk + 5 // the loop forgets them in several lock holds
	for i := range pairs {
		v.Count(int64(i), "ip", viewT0)
	}
	v.Count(1, "later", viewT0.Add(time.Minute))
	v.expire(viewT0.Add(viewWindow))
	if n := v.seen.len(); n != 1 {
		t.Fatalf("%d pairs after their window, want 1", n)
	}
	checkViewSeen(t, v.seen)

	// Count forgets viewExpirePerCall expired pairs per call by itself.
	s := newViewSeen(100, viewWindow)
	for i := range 10 {
		s.add(viewKey{"ip", int64(i)}, viewT0)
	}
	s.add(viewKey{"ip", 100}, viewT0.Add(viewWindow))
	if s.len() != 10-viewExpirePerCall+1 {
		t.Fatalf("%d pairs after one add, want %d", s.len(), 10-viewExpirePerCall+1)
	}
}

// TestViewSeenCountedAgainBeforeForgotten counts a pair again after its window while its
// old ring entry still waits to be forgotten: forgetting that stale entry must keep the pair.
func TestViewSeenCountedAgainBeforeForgotten(t *testing.T) {
	s := newViewSeen(100, viewWindow)
	for i := range viewExpirePerCall + 1 {
		s.add(viewKey{"other", int64(i)}, viewT0)
	}
	a := viewKey{"a", 1}
	s.add(a, viewT0)
	later := viewT0.Add(viewWindow)
	if !s.add(a, later) {
		t.Fatal("not counted after the window")
	}
	if s.n != 3 { // one "other", a's stale entry, a's new entry
		t.Fatalf("%d ring entries, want 3", s.n)
	}
	s.expire(later, 100)
	checkViewSeen(t, s)
	if s.len() != 1 || s.add(a, later.Add(time.Minute)) {
		t.Fatal("pair forgotten with its stale entry")
	}
}

// TestViewSeenModel compares random adds against a plain map of window ends, with a bound
// large enough that nothing is evicted, then checks a small bound's invariants and that it
// never deduplicates a pair that was not counted within the window.
func TestViewSeenModel(t *testing.T) {
	for _, limit := range []int{1 << 16, 50} {
		r := rand.New(rand.NewPCG(1, uint64(limit)))
		s := newViewSeen(limit, viewWindow)
		last := map[viewKey]time.Time{}
		now := viewT0
		for i := range 50_000 {
			now = now.Add(time.Duration(r.IntN(int(time.Second))))
			k := viewKey{strconv.Itoa(r.IntN(200)), int64(r.IntN(20))}
			prev, seen := last[k]
			fresh := !seen || !now.Before(prev.Add(viewWindow))
			got := s.add(k, now)
			if got && !fresh && limit > len(last) {
				t.Fatalf("limit %d, add %d: %v counted twice within the window", limit, i, k)
			}
			if !got && fresh {
				t.Fatalf("limit %d, add %d: %v not counted", limit, i, k)
			}
			if got {
				last[k] = now
			}
			if i%4999 == 0 {
				checkViewSeen(t, s)
			}
		}
		checkViewSeen(t, s)
	}
}

// BenchmarkViewCountEmpty measures counting a new viewer in a counter far from its bound
// (it is replaced by a fresh one, outside the timer, every 1<<16 calls).
func BenchmarkViewCountEmpty(b *testing.B) {
	v := newTestViewCounter(maxViewSeen)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i%(1<<16) == 0 && i > 0 {
			b.StopTimer()
			v = newTestViewCounter(maxViewSeen)
			b.StartTimer()
		}
		v.Count(int64(i%100), "ip"+strconv.Itoa(i), viewT0)
		i++
	}
}

// BenchmarkViewCountFull measures counting a new viewer in a counter holding maxViewSeen
// pairs, none expired: every call must make room.
func BenchmarkViewCountFull(b *testing.B) {
	v := newTestViewCounter(maxViewSeen)
	for i := range maxViewSeen {
		v.Count(int64(i%100), "fill"+strconv.Itoa(i), viewT0)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		v.Count(int64(i%100), "ip"+strconv.Itoa(i), viewT0)
		i++
	}
}

// BenchmarkViewCountHalfFull is BenchmarkViewCountFull with twice the bound, so that no
// call evicts: the same number of pairs (and cache misses) without eviction.
func BenchmarkViewCountHalfFull(b *testing.B) {
	v := newTestViewCounter(2 * maxViewSeen)
	for i := range maxViewSeen {
		v.Count(int64(i%100), "fill"+strconv.Itoa(i), viewT0)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		v.Count(int64(i%100), "ip"+strconv.Itoa(i), viewT0)
		i++
	}
}
