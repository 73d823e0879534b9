package ratelimit

import (
	"context"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestMemoryBucket(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(100, c.now)
	rule := Rule{Name: "r", Limit: 3, Window: time.Minute}
	ctx := context.Background()
	for i := range 3 {
		if d, _ := m.Take(ctx, rule, "k"); !d.Allowed {
			t.Fatalf("take %d refused", i)
		}
	}
	d, _ := m.Take(ctx, rule, "k")
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 20*time.Second {
		t.Fatalf("4th take: %+v", d)
	}
	if d, _ := m.Take(ctx, rule, "other"); !d.Allowed {
		t.Fatal("keys are not independent")
	}
	if d, _ := m.Peek(ctx, rule, "k"); d.Allowed {
		t.Fatal("peek allowed an exhausted key")
	}
	c.t = c.t.Add(20 * time.Second) // one token refilled
	if d, _ := m.Peek(ctx, rule, "k"); !d.Allowed {
		t.Fatal("peek refused after refill")
	}
	if d, _ := m.Take(ctx, rule, "k"); !d.Allowed {
		t.Fatal("take refused after refill")
	}
	if d, _ := m.Take(ctx, rule, "k"); d.Allowed {
		t.Fatal("more than the refill allowed")
	}
}

func TestMemoryDisabledAndBounded(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(2, c.now)
	ctx := context.Background()
	if d, _ := m.Take(ctx, Rule{Name: "off", Limit: 0, Window: time.Minute}, "k"); !d.Allowed {
		t.Fatal("limit 0 must disable the rule")
	}
	rule := Rule{Name: "r", Limit: 1, Window: time.Hour}
	m.Take(ctx, rule, "a")
	m.Take(ctx, rule, "b")
	m.Take(ctx, rule, "c") // over maxKeys: allowed, untracked
	if len(m.buckets) > 2 {
		t.Fatalf("%d buckets, max 2", len(m.buckets))
	}
	c.t = c.t.Add(2 * time.Hour)
	m.Take(ctx, rule, "d") // sweep forgets the full buckets
	if len(m.buckets) != 1 {
		t.Fatalf("%d buckets after sweep", len(m.buckets))
	}
}
