// Package readpref carries, in a request's context, where the database reads of that
// request may go: whether a read replica may answer them, and who is asking (so that a
// user who just wrote reads what they wrote). The HTTP layer sets it for each request;
// the store (package postgres) routes by it. Without it every read goes to the primary,
// as it does for background jobs and commands.
package readpref

import (
	"context"
	"strconv"
)

// Pref is a request's read preference.
type Pref struct {
	// Writer identifies whose writes this request must see ("" for anonymous requests):
	// the store remembers the primary's WAL position after each write of a writer and
	// reads that writer's data only from a replica that has replayed it.
	Writer string
	// Replica allows the request's read-only statements to run on a replica.
	Replica bool
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
