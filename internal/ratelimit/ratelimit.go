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

// Limiter is a rate limiter keyed by rule and key.
type Limiter interface {
	// Take consumes one action for key under rule if one is available.
	Take(ctx context.Context, rule Rule, key string) (Decision, error)
	// Peek reports whether an action would be allowed, without consuming it.
	Peek(ctx context.Context, rule Rule, key string) (Decision, error)
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
func (m *Memory) Take(_ context.Context, rule Rule, key string) (Decision, error) {
	return m.decide(rule, key, true), nil
}

// Peek implements Limiter.
func (m *Memory) Peek(_ context.Context, rule Rule, key string) (Decision, error) {
	return m.decide(rule, key, false), nil
}

func (m *Memory) decide(rule Rule, key string, take bool) Decision {
	if rule.Limit <= 0 || rule.Window <= 0 {
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
		if !take {
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
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / rate * float64(time.Second))
		return Decision{Allowed: false, RetryAfter: wait}
	}
	if take {
		b.tokens--
		b.full = now.Add(time.Duration((float64(rule.Limit) - b.tokens) / rate * float64(time.Second)))
	}
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
