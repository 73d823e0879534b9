package redisstate

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Positions shares the writers' last WAL positions (read-your-writes with read replicas,
// postgres.WritePositions) among the servers: a user whose next request lands on another
// server still reads only from a replica that has replayed their write. Each position is
// kept for ttl (postgres.WriteWindow), and only ever raised.
//
// It also remembers the positions in this process (local). While Redis fails, Lookup
// answers "the primary" (math.MaxUint64) for every signed-in reader: a write made through
// another server cannot be known then, and correctness goes before the replicas' share of
// the load. Remember still records locally.
type Positions struct {
	client  redis.UniversalClient
	prefix  string
	ttl     time.Duration
	local   positions
	breaker Breaker
}

// positions is postgres.WritePositions (the in-process fallback), declared here so that
// this package does not depend on the store.
type positions interface {
	Remember(ctx context.Context, writer string, lsn uint64)
	Lookup(ctx context.Context, writer string) uint64
}

// NewPositions returns Positions on client under prefix, with local as the in-process copy.
func NewPositions(client redis.UniversalClient, prefix string, ttl time.Duration, local positions) *Positions {
	return &Positions{client: client, prefix: prefix + "rw:", ttl: ttl, local: local}
}

// raise sets the key to ARGV[1] unless it holds a larger position, with a TTL of ARGV[2] ms.
var raise = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if (not v) or tonumber(v) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 0`)

// Remember records writer's position here and in Redis.
func (p *Positions) Remember(ctx context.Context, writer string, lsn uint64) {
	p.local.Remember(ctx, writer, lsn)
	if !p.breaker.Up() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	err := raise.Run(ctx, p.client, []string{p.prefix + writer}, strconv.FormatUint(lsn, 10), p.ttl.Milliseconds()).Err()
	if err != nil && err != redis.Nil {
		p.breaker.Failed()
	}
}

// Lookup returns the position writer's reads need: the larger of this process's and
// Redis's, or math.MaxUint64 (read the primary) while Redis fails.
func (p *Positions) Lookup(ctx context.Context, writer string) uint64 {
	local := p.local.Lookup(ctx, writer)
	if !p.breaker.Up() {
		return math.MaxUint64
	}
	ctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	v, err := p.client.Get(ctx, p.prefix+writer).Uint64()
	switch {
	case err == redis.Nil:
		return local
	case err != nil:
		p.breaker.Failed()
		return math.MaxUint64
	}
	return max(local, v)
}
