package ratelimit

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchMaxKeys is the bound the server uses (httpapi.NewServer).
const benchMaxKeys = 1 << 20

var benchRule = Rule{Name: "bench", Limit: 5, Window: time.Hour}

// fixedNow is a clock that never moves, so no bucket refills during a benchmark.
func fixedNow() time.Time { return time.Unix(1_700_000_000, 0) }

// BenchmarkMemoryTakeEmpty measures a Take of a new key into a limiter far from its bound
// (it is replaced by a fresh one, outside the timer, every 1<<16 calls).
func BenchmarkMemoryTakeEmpty(b *testing.B) {
	ctx := context.Background()
	m := NewMemory(benchMaxKeys, fixedNow)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i%(1<<16) == 0 && i > 0 {
			b.StopTimer()
			m = NewMemory(benchMaxKeys, fixedNow)
			b.StartTimer()
		}
		if d, _ := m.Take(ctx, benchRule, strconv.Itoa(i), 1); !d.Allowed {
			b.Fatal("new key refused")
		}
		i++
	}
}

// BenchmarkMemoryTakeFull measures a Take of a new key into a limiter holding maxKeys
// buckets, none of which has refilled: every call must make room.
func BenchmarkMemoryTakeFull(b *testing.B) {
	ctx := context.Background()
	m := NewMemory(benchMaxKeys, fixedNow)
	for i := range benchMaxKeys {
		m.Take(ctx, benchRule, "fill"+strconv.Itoa(i), 1)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if d, _ := m.Take(ctx, benchRule, strconv.Itoa(i), 1); !d.Allowed {
			b.Fatal("new key refused")
		}
		i++
	}
}

// BenchmarkMemoryTakeHalfFull is BenchmarkMemoryTakeFull with twice the bound, so that no
// call evicts: the same number of buckets (and cache misses) without eviction. It separates
// the cost of eviction from that of a large map.
func BenchmarkMemoryTakeHalfFull(b *testing.B) {
	ctx := context.Background()
	m := NewMemory(2*benchMaxKeys, fixedNow)
	for i := range benchMaxKeys {
		m.Take(ctx, benchRule, "fill"+strconv.Itoa(i), 1)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if d, _ := m.Take(ctx, benchRule, strconv.Itoa(i), 1); !d.Allowed {
			b.Fatal("new key refused")
		}
		i++
	}
}

// BenchmarkMemoryTakeParallel measures Takes from every core on distinct keys of a full
// limiter, to show whether the single mutex is a bottleneck.
func BenchmarkMemoryTakeParallel(b *testing.B) {
	ctx := context.Background()
	m := NewMemory(benchMaxKeys, fixedNow)
	for i := range benchMaxKeys {
		m.Take(ctx, benchRule, "fill"+strconv.Itoa(i), 1)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Take(ctx, benchRule, strconv.FormatInt(next.Add(1), 10), 1)
		}
	})
}
