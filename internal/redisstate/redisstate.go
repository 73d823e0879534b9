// Package redisstate keeps the state several server copies must share in Redis (REDIS_URL):
// the client with the timeouts a request path can afford, view de-duplication (Views),
// small shared caches (Cache) and concurrency slots (Slots); rate limits are
// ratelimit.Redis. Every user of it decides what to do when Redis does not answer
// (docs/design.md, "Shared state in Redis"); this package only reports the failure, counts
// it (redis_errors_total) and keeps a caller from waiting on a Redis that just failed
// (Breaker).
package redisstate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/gotok/tiktok/internal/ratelimit"
)

// Timeouts of a client Open makes, unless the URL sets its own (dial_timeout,
// read_timeout, write_timeout, pool_timeout): a request waits at most about this long on
// a Redis that does not answer before its fallback decides.
const (
	DialTimeout = 250 * time.Millisecond
	IOTimeout   = 250 * time.Millisecond
)

// Open returns a client of the Redis at rawURL (redis://[user:password@]host:port[/db] or
// rediss:// for TLS) with short timeouts, one dial attempt and one retry, and a counter of its failed
// commands (redis_errors_total) to register with the metrics. It does not connect: a Redis
// that is down when the server starts is handled like one that goes down later.
func Open(rawURL string) (*redis.Client, prometheus.Counter, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	if opt.DialTimeout == 0 {
		opt.DialTimeout = DialTimeout
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = IOTimeout
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = IOTimeout
	}
	if opt.PoolTimeout == 0 {
		opt.PoolTimeout = IOTimeout
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = 1
	}
	if opt.DialerRetries == 0 { // go-redis would dial 5 times, 100 ms apart
		opt.DialerRetries, opt.DialerRetryTimeout = 1, 10*time.Millisecond
	}
	errs := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "redis_errors_total",
		Help: "Redis commands that failed (timeouts, refused connections, errors); each was decided by its fallback.",
	})
	c := redis.NewClient(opt)
	c.AddHook(errorHook{errs})
	return c, errs, nil
}

// errorHook counts failed commands; a missing key (redis.Nil) is an answer, not a failure.
type errorHook struct{ errs prometheus.Counter }

func (h errorHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return next(ctx, network, addr)
	}
}

func (h errorHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err != nil && !errors.Is(err, redis.Nil) {
			h.errs.Inc()
		}
		return err
	}
}

func (h errorHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if err != nil && !errors.Is(err, redis.Nil) {
			h.errs.Inc()
		}
		return err
	}
}

// Breaker remembers a failure for a cooldown, during which callers skip Redis and use
// their fallback at once: an outage costs one timeout per cooldown, not one per request.
type Breaker struct {
	Cooldown time.Duration // 0: one second
	until    atomic.Int64  // Unix nanoseconds
}

// Up reports whether Redis may be asked now.
func (b *Breaker) Up() bool { return time.Now().UnixNano() >= b.until.Load() }

// Failed starts a cooldown.
func (b *Breaker) Failed() {
	cool := b.Cooldown
	if cool <= 0 {
		cool = time.Second
	}
	b.until.Store(time.Now().Add(cool).UnixNano())
}

// ErrDown is returned while a Breaker's cooldown runs.
var ErrDown = errors.New("redis: skipped after a recent failure")

// Views de-duplicates views across servers: a (video, viewer) pair is remembered as a key
// "<prefix>v:<video>:<viewer>" that expires after the window (SET NX EX), so the first
// server to claim a pair within the window counts it and every other claim fails.
type Views struct {
	client  redis.UniversalClient
	prefix  string
	breaker Breaker
}

// NewViews returns view de-duplication in client under prefix.
func NewViews(client redis.UniversalClient, prefix string) *Views {
	return &Views{client: client, prefix: prefix}
}

// First claims each key (a video id and viewer) for window, in one round trip, and reports
// which claims were first. On error it claims nothing the caller can rely on.
func (v *Views) First(ctx context.Context, keys []string, window time.Duration) ([]bool, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if !v.breaker.Up() {
		return nil, ErrDown
	}
	cmds := make([]*redis.BoolCmd, len(keys))
	_, err := v.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.SetNX(ctx, v.prefix+"v:"+k, 1, window)
		}
		return nil
	})
	if err != nil {
		v.breaker.Failed()
		return nil, fmt.Errorf("redis view de-duplication: %w", err)
	}
	first := make([]bool, len(keys))
	for i, c := range cmds {
		first[i] = c.Val()
	}
	return first, nil
}

// Cache is a small shared cache: values up to MaxBytes, each stored with a TTL, under
// "<prefix>c:<key>".
type Cache struct {
	client   redis.UniversalClient
	prefix   string
	maxBytes int
	breaker  Breaker
}

// NewCache returns a cache in client under prefix that stores values of at most maxBytes.
func NewCache(client redis.UniversalClient, prefix string, maxBytes int) *Cache {
	return &Cache{client: client, prefix: prefix, maxBytes: maxBytes}
}

// ErrTooLarge is Set's answer to a value over the cache's bound; nothing is stored.
var ErrTooLarge = errors.New("redis cache: value too large")

// Get returns the value of key and how long it has left, or nil when there is none.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, time.Duration, error) {
	if !c.breaker.Up() {
		return nil, 0, ErrDown
	}
	var get *redis.StringCmd
	var ttl *redis.DurationCmd
	_, err := c.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, c.prefix+"c:"+key)
		ttl = p.PTTL(ctx, c.prefix+"c:"+key)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return nil, 0, nil
	}
	if err != nil {
		c.breaker.Failed()
		return nil, 0, fmt.Errorf("redis cache get: %w", err)
	}
	b, _ := get.Bytes()
	return b, ttl.Val(), nil
}

// Set stores val under key for ttl (at least a millisecond).
func (c *Cache) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if len(val) > c.maxBytes {
		return fmt.Errorf("%w: %s bytes", ErrTooLarge, strconv.Itoa(len(val)))
	}
	if !c.breaker.Up() {
		return ErrDown
	}
	if err := c.client.Set(ctx, c.prefix+"c:"+key, val, max(ttl, time.Millisecond)).Err(); err != nil {
		c.breaker.Failed()
		return fmt.Errorf("redis cache set: %w", err)
	}
	return nil
}

// NewLimiter returns the rate limiter of servers sharing client: buckets in Redis
// (ratelimit.Redis), decided by an in-process ratelimit.Memory while Redis fails, for a
// second after each failure (ratelimit.Fallback); onError, when set, hears of failures.
func NewLimiter(client redis.UniversalClient, prefix string, onError func(error)) *ratelimit.Fallback {
	return &ratelimit.Fallback{
		Primary: ratelimit.NewRedis(client, prefix),
		Local:   ratelimit.NewMemory(1<<20, time.Now),
		OnError: onError,
	}
}

// Slots bounds how many of something one key may hold at once across servers (storage
// uploads in progress per client): a sorted set "<prefix>s:<name>:<key>" of leases scored
// by their expiry, so a lease a crashed server never gave back ends by itself.
type Slots struct {
	client  redis.UniversalClient
	prefix  string
	breaker Breaker
}

// NewSlots returns concurrency slots in client under prefix.
func NewSlots(client redis.UniversalClient, prefix string) *Slots {
	return &Slots{client: client, prefix: prefix}
}

// slotScript drops the expired leases of KEYS[1] and then, if lease ARGV[3] is still held,
// extends it to ARGV[2] ms from now; if not, adds it when fewer than ARGV[1] remain. 1 when
// the lease is held, 0 when the slots are full.
var slotScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return 1
`)

// lease is one slot held: it ends when released or when its ttl passes without a renewal.
type lease struct {
	s             *Slots
	name, key, id string
	limit         int
	ttl           time.Duration
}

// renew takes the lease's slot, or extends it by its ttl from now when it is held: a lease
// that lapsed (a Redis outage longer than the ttl) takes a slot again. False when it is
// not held and the slots are full.
func (l *lease) renew(ctx context.Context) (bool, error) {
	if !l.s.breaker.Up() {
		return false, ErrDown
	}
	n, err := slotScript.Run(ctx, l.s.client, []string{l.key}, l.limit, max(l.ttl.Milliseconds(), 1), l.id).Int()
	if err != nil {
		l.s.breaker.Failed()
		return false, fmt.Errorf("redis slots %s: %w", l.name, err)
	}
	return n == 1, nil
}

// release gives the slot back. A lease not given back (Redis failed meanwhile) ends with
// its ttl.
func (l *lease) release() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.s.client.ZRem(ctx, l.key, l.id)
}

// Hold takes one of limit slots of key under name for ttl, returning the functions that
// renew it (by ttl from then; false when it had lapsed and the slots are full meanwhile)
// and give it back, or ok false when all are taken.
func (s *Slots) Hold(ctx context.Context, name, key string, limit int, ttl time.Duration) (renew func(context.Context) (bool, error), release func(), ok bool, err error) {
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, nil, false, fmt.Errorf("lease id: %w", err)
	}
	l := &lease{s: s, name: name, key: s.prefix + "s:" + name + ":" + key, id: hex.EncodeToString(id[:]), limit: limit, ttl: ttl}
	if ok, err = l.renew(ctx); err != nil || !ok {
		return nil, nil, false, err
	}
	return l.renew, l.release, true, nil
}

// Acquire takes one of limit slots of key under name for at most ttl, returning the
// function that gives it back, or ok false when all are taken.
func (s *Slots) Acquire(ctx context.Context, name, key string, limit int, ttl time.Duration) (release func(), ok bool, err error) {
	_, release, ok, err = s.Hold(ctx, name, key, limit, ttl)
	return release, ok, err
}
