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

// Memory is an in-process Limiter. Its memory is bounded: buckets that have refilled are
// forgotten, and at most maxKeys buckets exist (past that, new keys are allowed without
// being tracked rather than growing without bound).
type Memory struct {
	now     func() time.Time
	maxKeys int

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
	full   time.Time // when the bucket will be full again
}

// NewMemory returns an in-process limiter holding at most maxKeys buckets; now is the clock.
func NewMemory(maxKeys int, now func() time.Time) *Memory {
	return &Memory{now: now, maxKeys: maxKeys, buckets: map[string]*bucket{}}
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
	k := rule.Name + "\x00" + key

	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.sweep) > time.Minute || len(m.buckets) >= m.maxKeys {
		m.sweepLocked(now)
	}
	b, ok := m.buckets[k]
	if !ok {
		if n < 0 { // nothing taken is remembered: the bucket is full
			return Decision{Allowed: true}
		}
		if len(m.buckets) >= m.maxKeys {
			return Decision{Allowed: true}
		}
		b = &bucket{tokens: float64(rule.Limit), at: now}
		m.buckets[k] = b
	}
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

// sweepLocked forgets buckets that are full again (they behave exactly like absent ones).
func (m *Memory) sweepLocked(now time.Time) {
	for k, b := range m.buckets {
		if !now.Before(b.full) {
			delete(m.buckets, k)
		}
	}
	m.sweep = now
}
