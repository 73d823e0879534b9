// Package ratelimit decides whether an action may happen now, per key, under a limit of
// N actions per window. The in-process Memory limiter serves one server; the Limiter
// interface lets a shared store (e.g. Redis) replace it when several copies run.
package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"
)

// Rule allows Limit actions per Window, refilled continuously (a token bucket whose burst
// is Limit). A Limit of 0 disables the rule.
type Rule struct {
	Name   string // namespaces keys: "login-ip", "writes", ...
	Limit  int
	Window time.Duration
}

// Decision is the outcome of a check.
type Decision struct {
	Allowed    bool
	RetryAfter time.Duration // when not allowed: how long until one action is allowed
}

// Limiter is a rate limiter keyed by rule and key. Its state is bounded by its own means;
// every implementation must be safe for concurrent use, and Take must be atomic: however
// many calls race for one key, at most the available units are granted.
type Limiter interface {
	// Take consumes n units (n ≥ 1; one action, or n bytes of a byte budget) for key under
	// rule if that many are available, and consumes nothing otherwise.
	Take(ctx context.Context, rule Rule, key string, n int) (Decision, error)
	// Refund gives back n units an earlier Take consumed (for example a login attempt
	// reserved before checking the password, returned when it succeeds). The bucket never
	// fills past its limit.
	Refund(ctx context.Context, rule Rule, key string, n int) error
}

// Memory is an in-process Limiter. Its memory is bounded and every call costs amortised
// O(1), however many keys it holds:
//
//   - Buckets are kept in least-recently-used order (an intrusive doubly linked list; a
//     refused Take and a Refund count as uses). Each call first forgets up to
//     expirePerCall buckets at the least-recently-used end that have refilled, since a full
//     bucket behaves exactly like an absent one. A call adds at most one bucket, so this
//     keeps up with arrivals without ever scanning the map.
//   - At most maxKeys buckets exist. A new key arriving when the limiter is full evicts the
//     least-recently-used bucket, so every new key is tracked and limited. The evicted key
//     gets a fresh (full) bucket if it returns: that is the price of the bound, and it only
//     happens to a key unused while maxKeys other keys were used since.
//
// A refilled bucket that is not at the least-recently-used end stays, counted against
// maxKeys, until the buckets used before it have refilled too (a bucket is full at most one
// window after its last use) or until it is used again; forgetting is driven by calls, so
// an idle limiter keeps its buckets.
type Memory struct {
	now     func() time.Time
	maxKeys int

	mu      sync.Mutex
	buckets map[bucketKey]*bucket
	lru     bucket // list sentinel: lru.next is the most recently used bucket, lru.prev the least
}

// expirePerCall is how many refilled buckets one call may forget. Any constant above one
// drains a backlog (each call adds at most one bucket) while bounding the work of one call.
const expirePerCall = 4

// bucketKey identifies a bucket: a rule name and a key under that rule.
type bucketKey struct{ rule, key string }

type bucket struct {
	k      bucketKey
	tokens float64
	at     time.Time
	full   time.Time // when the bucket will be full again

	prev, next *bucket // neighbours in the least-recently-used list
}

// NewMemory returns an in-process limiter holding at most maxKeys buckets (at least one);
// now is the clock.
func NewMemory(maxKeys int, now func() time.Time) *Memory {
	m := &Memory{now: now, maxKeys: max(maxKeys, 1), buckets: map[bucketKey]*bucket{}}
	m.lru.prev, m.lru.next = &m.lru, &m.lru
	return m
}

// Take implements Limiter.
func (m *Memory) Take(_ context.Context, rule Rule, key string, n int) (Decision, error) {
	return m.decide(rule, key, n), nil
}

// Refund implements Limiter.
func (m *Memory) Refund(_ context.Context, rule Rule, key string, n int) error {
	m.decide(rule, key, -n)
	return nil
}

// decide takes n units (n > 0) or gives back -n units (n < 0).
func (m *Memory) decide(rule Rule, key string, n int) Decision {
	if rule.Limit <= 0 || rule.Window <= 0 || n == 0 {
		return Decision{Allowed: true}
	}
	now := m.now()
	rate := float64(rule.Limit) / rule.Window.Seconds() // tokens per second
	k := bucketKey{rule.Name, key}

	m.mu.Lock()
	defer m.mu.Unlock()
	m.expireLocked(now)
	b, ok := m.buckets[k]
	switch {
	case ok:
		m.unlink(b)
	case n < 0: // nothing taken is remembered: the bucket is full
		return Decision{Allowed: true}
	case len(m.buckets) >= m.maxKeys:
		b = m.lru.prev // evict the least recently used bucket and reuse its memory
		m.unlink(b)
		delete(m.buckets, b.k)
		*b = bucket{k: k, tokens: float64(rule.Limit), at: now}
		m.buckets[k] = b
	default:
		b = &bucket{k: k, tokens: float64(rule.Limit), at: now}
		m.buckets[k] = b
	}
	m.pushFront(b)

	b.tokens = math.Min(float64(rule.Limit), b.tokens+now.Sub(b.at).Seconds()*rate)
	b.at = now
	if n > 0 && b.tokens < float64(n) {
		need := math.Min(float64(n), float64(rule.Limit))
		wait := time.Duration((need - b.tokens) / rate * float64(time.Second))
		return Decision{Allowed: false, RetryAfter: max(wait, time.Second)}
	}
	b.tokens = math.Min(float64(rule.Limit), b.tokens-float64(n))
	b.full = now.Add(time.Duration((float64(rule.Limit) - b.tokens) / rate * float64(time.Second)))
	return Decision{Allowed: true}
}

// expireLocked forgets up to expirePerCall buckets at the least-recently-used end that are
// full again (they behave exactly like absent ones).
func (m *Memory) expireLocked(now time.Time) {
	for range expirePerCall {
		b := m.lru.prev
		if b == &m.lru || now.Before(b.full) {
			return
		}
		m.unlink(b)
		delete(m.buckets, b.k)
	}
}

// pushFront makes b the most recently used bucket.
func (m *Memory) pushFront(b *bucket) {
	b.prev, b.next = &m.lru, m.lru.next
	b.prev.next, b.next.prev = b, b
}

// unlink takes b out of the least-recently-used list.
func (m *Memory) unlink(b *bucket) {
	b.prev.next, b.next.prev = b.next, b.prev
	b.prev, b.next = nil, nil
}
