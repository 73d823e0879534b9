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
		if d, _ := m.Take(ctx, rule, "k", 1); !d.Allowed {
			t.Fatalf("take %d refused", i)
		}
	}
	d, _ := m.Take(ctx, rule, "k", 1)
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 20*time.Second {
		t.Fatalf("4th take: %+v", d)
	}
	if d, _ := m.Take(ctx, rule, "other", 1); !d.Allowed {
		t.Fatal("keys are not independent")
	}
	c.t = c.t.Add(20 * time.Second) // one token refilled
	if d, _ := m.Take(ctx, rule, "k", 1); !d.Allowed {
		t.Fatal("take refused after refill")
	}
	if d, _ := m.Take(ctx, rule, "k", 1); d.Allowed {
		t.Fatal("more than the refill allowed")
	}
}

func TestMemoryDisabledAndBounded(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(2, c.now)
	ctx := context.Background()
	if d, _ := m.Take(ctx, Rule{Name: "off", Limit: 0, Window: time.Minute}, "k", 1); !d.Allowed {
		t.Fatal("limit 0 must disable the rule")
	}
	rule := Rule{Name: "r", Limit: 1, Window: time.Hour}
	m.Take(ctx, rule, "a", 1)
	m.Take(ctx, rule, "b", 1)
	m.Take(ctx, rule, "c", 1) // over maxKeys: evicts "a", the least recently used
	if len(m.buckets) > 2 {
		t.Fatalf("%d buckets, max 2", len(m.buckets))
	}
	c.t = c.t.Add(2 * time.Hour)
	m.Take(ctx, rule, "d", 1) // sweep forgets the full buckets
	if len(m.buckets) != 1 {
		t.Fatalf("%d buckets after sweep", len(m.buckets))
	}
}

func TestMemoryRefundAndWeights(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(100, c.now)
	ctx := context.Background()
	rule := Rule{Name: "r", Limit: 2, Window: time.Hour}
	m.Take(ctx, rule, "k", 1)
	m.Take(ctx, rule, "k", 1)
	if d, _ := m.Take(ctx, rule, "k", 1); d.Allowed {
		t.Fatal("third take allowed")
	}
	m.Refund(ctx, rule, "k", 1)
	if d, _ := m.Take(ctx, rule, "k", 1); !d.Allowed {
		t.Fatal("refunded unit not available")
	}
	m.Refund(ctx, rule, "k", 5) // never past the limit
	for i := range 3 {
		d, _ := m.Take(ctx, rule, "k", 1)
		if d.Allowed != (i < 2) {
			t.Fatalf("take %d after over-refund: %+v", i, d)
		}
	}
	bytes := Rule{Name: "bytes", Limit: 1000, Window: time.Hour}
	if d, _ := m.Take(ctx, bytes, "ip", 600); !d.Allowed {
		t.Fatal("600 of 1000 refused")
	}
	if d, _ := m.Take(ctx, bytes, "ip", 600); d.Allowed || d.RetryAfter < time.Second {
		t.Fatalf("1200 of 1000 allowed: %+v", d)
	}
	if d, _ := m.Take(ctx, bytes, "ip", 400); !d.Allowed {
		t.Fatal("a refused take consumed units")
	}
}
