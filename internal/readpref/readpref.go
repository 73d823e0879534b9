// Package readpref carries, in a request's context, where the database reads of that
// request may go: whether a read replica may answer them, and who is asking (so that a
// user who just wrote reads what they wrote). The HTTP layer sets it for each request;
// the store (package postgres) routes by it. Without it every read goes to the primary,
// as it does for background jobs and commands.
package readpref

import (
	"context"
	"strconv"
	"sync"
)

// Pref is a request's read preference.
type Pref struct {
	// Writer identifies whose writes this request must see ("" for anonymous requests):
	// the store remembers the primary's WAL position after each write of a writer and
	// reads that writer's data only from a replica that has replayed it.
	Writer string
	// Replica allows the request's read-only statements to run on a replica.
	Replica bool
	// Need, when set, holds for the request the position Writer's reads need once the
	// store has looked it up (a round trip to Redis when positions are shared), so that
	// a request's later statements do not look it up again.
	Need *Need
}

type key struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Pref) context.Context {
	return context.WithValue(ctx, key{}, p)
}

// From returns the preference ctx carries, the zero Pref (primary, anonymous) when none.
func From(ctx context.Context) Pref {
	p, _ := ctx.Value(key{}).(Pref)
	return p
}

// Primary returns ctx whose reads go to the primary, keeping its writer: for the reads
// that decide on access (token versions, roles) and those of state the caller itself
// keeps writing (a feed session, the notifications a live stream was just told about).
func Primary(ctx context.Context) context.Context {
	p, ok := ctx.Value(key{}).(Pref)
	if !ok || !p.Replica {
		return ctx
	}
	p.Replica = false
	return With(ctx, p)
}

// User is the Writer of user id's requests.
func User(id int64) string { return "u" + strconv.FormatInt(id, 10) }

// Need is a request's remembered position: unknown until Set, and raised by the request's
// own writes. Safe for concurrent use (a request may read in parallel).
type Need struct {
	mu    sync.Mutex
	known bool
	lsn   uint64
}

// Get returns the position and whether it is known.
func (n *Need) Get() (uint64, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lsn, n.known
}

// Set records the looked-up position (never lowering one the request's writes raised).
func (n *Need) Set(lsn uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.known, n.lsn = true, max(n.lsn, lsn)
}

// Raise records a write of the request at lsn: its later reads need at least that.
func (n *Need) Raise(lsn uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lsn = max(n.lsn, lsn)
}
