package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/readpref"
)

func TestClassify(t *testing.T) {
	for sql, want := range map[string]bool{
		"-- name: GetVideo :one\nSELECT id FROM videos WHERE id = $1":                         true,
		"-- name: ListX :many\n  WITH a AS (SELECT 1) SELECT * FROM a":                        true,
		"-- name: CreateUser :one\nINSERT INTO users (username) VALUES ($1) RETURNING id":     false,
		"-- name: LockVideo :one\nSELECT id FROM videos WHERE id = $1 FOR UPDATE":             false,
		"-- name: LockPair :many\nSELECT id FROM users WHERE id = ANY($1) FOR SHARE":          false,
		"-- name: Upsert :one\nWITH ins AS (INSERT INTO t VALUES (1) RETURNING id) SELECT id": false,
		"-- name: Bump :one\nUPDATE users SET v = v + 1 RETURNING v":                          false,
		"-- name: Gone :exec\nDELETE FROM t":                                                  false,
		"SELECT pg_notify('x', 'y')":                                                          false,
		"SELECT nextval('s')":                                                                 false,
		"select 1":                                                                            true,
	} {
		if got := classify(sql); got != want {
			t.Errorf("classify(%q) = %v, want %v", sql, got, want)
		}
	}
}

// The memory positions are bounded: past maxWriters writers in one generation they are
// dropped, and their highest position becomes a floor for everyone until they would have
// expired, so that no writer reads a replica behind their write.
func TestMemoryPositions(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	m := NewMemoryPositions(time.Second, 3, clock).(*memoryPositions)

	m.Remember(ctx, "a", 100)
	m.Remember(ctx, "a", 90) // an older position never lowers the newer one
	if got := m.Lookup(ctx, "a"); got != 100 {
		t.Fatalf("a: %d", got)
	}
	if got := m.Lookup(ctx, "b"); got != 0 {
		t.Fatalf("b never wrote: %d", got)
	}
	now = now.Add(1500 * time.Millisecond) // one rotation: still remembered
	if got := m.Lookup(ctx, "a"); got != 100 {
		t.Fatalf("a after one rotation: %d", got)
	}
	now = now.Add(1500 * time.Millisecond) // two: forgotten
	if got := m.Lookup(ctx, "a"); got != 0 {
		t.Fatalf("a after two rotations: %d", got)
	}

	for i := 0; i < 4; i++ { // one more than the bound
		m.Remember(ctx, fmt.Sprintf("w%d", i), uint64(200+i))
	}
	if len(m.cur)+len(m.prev) > 3 {
		t.Fatalf("%d writers kept, bound 3", len(m.cur)+len(m.prev))
	}
	for _, w := range []string{"w0", "w3", "stranger"} {
		if got := m.Lookup(ctx, w); got < 203 {
			t.Fatalf("%s after the overflow: %d, want the floor 203", w, got)
		}
	}
	now = now.Add(2100 * time.Millisecond)
	if got := m.Lookup(ctx, "stranger"); got != 0 {
		t.Fatalf("the floor outlived the positions it stands for: %d", got)
	}
}

func TestReplicaLag(t *testing.T) {
	r := newRouter(nil, nil, ReplicaOptions{MaxLag: time.Second, CheckInterval: 100 * time.Millisecond})
	t0 := time.Unix(1000, 0)
	for i, lsn := range []uint64{1000, 1000, 2000, 3000} {
		r.samples[r.head] = walSample{at: t0.Add(time.Duration(i) * time.Second), lsn: lsn}
		r.head++
	}
	now := t0.Add(4 * time.Second)
	for _, tc := range []struct {
		replayed uint64
		bytes    uint64
		lag      time.Duration
	}{
		{3000, 0, 0},
		{3000 - lagSlack, lagSlack, 0}, // a page header's worth behind: caught up
		{2500, 500, time.Second},       // missing what the primary had 1s ago
		{1500, 1500, 2 * time.Second},
		{500, 2500, 4 * time.Second},
	} {
		b, lag := r.lag(tc.replayed, now)
		if b != tc.bytes || lag != tc.lag {
			t.Errorf("replayed %d: %d bytes, %s; want %d, %s", tc.replayed, b, lag, tc.bytes, tc.lag)
		}
	}
}

// countingPositions counts the lookups made of the positions it wraps.
type countingPositions struct {
	WritePositions
	lookups atomic.Int64
}

func (c *countingPositions) Lookup(ctx context.Context, writer string) uint64 {
	c.lookups.Add(1)
	return c.WritePositions.Lookup(ctx, writer)
}

// TestNeedLookedUpOncePerRequest: a request that carries a readpref.Need looks its writer's
// position up once (with Redis, one round trip instead of one per statement), and its own
// writes raise what its later statements need; without a Need every statement looks it up.
func TestNeedLookedUpOncePerRequest(t *testing.T) {
	ctx := context.Background()
	positions := &countingPositions{WritePositions: NewMemoryPositions(time.Minute, 10, time.Now)}
	positions.Remember(ctx, "u1", 500)
	rep := &replica{name: "r0"}
	rep.up.Store(true)
	rep.checked.Store(time.Now().UnixNano())
	rep.replayed.Store(600)
	r := &router{replicas: []*replica{rep}, positions: positions, interval: time.Second}

	req := readpref.With(ctx, readpref.Pref{Writer: "u1", Replica: true, Need: new(readpref.Need)})
	for range 3 {
		if r.pick(req, true) != rep {
			t.Fatal("a replica that replayed the writer's position was not picked")
		}
	}
	if n := positions.lookups.Load(); n != 1 {
		t.Fatalf("%d lookups for three statements of one request, want 1", n)
	}
	// The request writes past what the replica replayed: its later reads go to the primary.
	readpref.From(req).Need.Raise(700)
	if r.pick(req, true) != nil {
		t.Fatal("after the request's own write at 700 a replica at 600 answered its read")
	}
	if n := positions.lookups.Load(); n != 1 {
		t.Fatalf("%d lookups after the raise, want still 1", n)
	}

	plain := readpref.With(ctx, readpref.Pref{Writer: "u1", Replica: true})
	r.pick(plain, true)
	r.pick(plain, true)
	if n := positions.lookups.Load(); n != 3 {
		t.Fatalf("%d lookups, want 1 + 2 without a Need", n)
	}
}
