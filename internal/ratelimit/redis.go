package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Limiter whose buckets live in Redis, shared by every server that uses the
// same Redis: the same token bucket as Memory, computed by one Lua script per call, so a
// call is atomic however many servers race for a key, and the clock is the Redis server's
// (servers' clocks need not agree).
//
// A bucket is a hash {t: tokens, a: refilled at, ms} that expires when it would be full
// again (a full bucket behaves like an absent one), so Redis holds only keys used within
// their rule's window; under a maxmemory eviction policy an evicted bucket is a full one,
// like Memory's eviction.
type Redis struct {
	client redis.UniversalClient
	prefix string
}

// NewRedis returns a limiter keeping its buckets in client under keys "<prefix>rl:<rule>:<key>".
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// bucketScript takes ARGV[3] units (or gives back -ARGV[3]) from the bucket KEYS[1] of
// ARGV[1] units per ARGV[2] ms. It returns {1, 0} when allowed, {0, wait ms} when not.
var bucketScript = redis.NewScript(`
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = limit / window
local v = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens, at = tonumber(v[1]), tonumber(v[2])
if tokens == nil or at == nil then
  if n < 0 then return {1, 0} end
  tokens, at = limit, now
end
tokens = math.min(limit, tokens + math.max(0, now - at) * rate)
if n > 0 and tokens < n then
  return {0, math.ceil((math.min(n, limit) - tokens) / rate)}
end
tokens = math.min(limit, tokens - n)
local full = math.ceil((limit - tokens) / rate)
if full <= 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'a', now)
  redis.call('PEXPIRE', KEYS[1], full)
end
return {1, 0}
`)

// Take implements Limiter.
func (l *Redis) Take(ctx context.Context, rule Rule, key string, n int) (Decision, error) {
	return l.run(ctx, rule, key, n)
}

// Refund implements Limiter.
func (l *Redis) Refund(ctx context.Context, rule Rule, key string, n int) error {
	_, err := l.run(ctx, rule, key, -n)
	return err
}

func (l *Redis) run(ctx context.Context, rule Rule, key string, n int) (Decision, error) {
	if rule.Limit <= 0 || rule.Window <= 0 || n == 0 {
		return Decision{Allowed: true}, nil
	}
	window := max(rule.Window.Milliseconds(), 1)
	res, err := bucketScript.Run(ctx, l.client, []string{l.prefix + "rl:" + rule.Name + ":" + key},
		rule.Limit, window, n).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("redis rate limit %s: %w", rule.Name, err)
	}
	if len(res) != 2 {
		return Decision{}, fmt.Errorf("redis rate limit %s: unexpected reply %v", rule.Name, res)
	}
	if res[0] == 1 {
		return Decision{Allowed: true}, nil
	}
	return Decision{Allowed: false, RetryAfter: max(time.Duration(res[1])*time.Millisecond, time.Second)}, nil
}

// Fallback is a Limiter that asks Primary (Redis) and, when Primary fails, decides with
// Local (an in-process Memory) instead: while the shared store is out, each server enforces
// every limit on its own, as a single server always did (globally at most one limit per
// server), rather than allowing everything or refusing everything.
//
// After a failure Primary is not asked again for Cooldown, so an outage costs one timeout
// per Cooldown rather than one per request. OnError, when set, is told of each failure.
type Fallback struct {
	Primary, Local Limiter
	Cooldown       time.Duration
	OnError        func(error)
	Now            func() time.Time

	downUntil atomic.Int64 // Unix nanoseconds until which Primary is skipped
}

// Take implements Limiter.
func (f *Fallback) Take(ctx context.Context, rule Rule, key string, n int) (Decision, error) {
	if f.primaryUp() {
		d, err := f.Primary.Take(ctx, rule, key, n)
		if err == nil || ctx.Err() != nil {
			return d, err
		}
		f.failed(err)
	}
	return f.Local.Take(ctx, rule, key, n)
}

// Refund implements Limiter. A unit is given back where it is most likely to have been
// taken: Primary while it answers, Local otherwise (a unit taken from one and refunded to
// the other only lets one more action through, never past the limit).
func (f *Fallback) Refund(ctx context.Context, rule Rule, key string, n int) error {
	if f.primaryUp() {
		err := f.Primary.Refund(ctx, rule, key, n)
		if err == nil || ctx.Err() != nil {
			return err
		}
		f.failed(err)
	}
	return f.Local.Refund(ctx, rule, key, n)
}

func (f *Fallback) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Fallback) primaryUp() bool { return f.now().UnixNano() >= f.downUntil.Load() }

func (f *Fallback) failed(err error) {
	cool := f.Cooldown
	if cool <= 0 {
		cool = time.Second
	}
	f.downUntil.Store(f.now().Add(cool).UnixNano())
	if f.OnError != nil && !errors.Is(err, context.Canceled) {
		f.OnError(err)
	}
}
