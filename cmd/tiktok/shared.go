package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/gotok/tiktok/internal/config"
	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/ratelimit"
	"github.com/gotok/tiktok/internal/redisstate"
)

// redisPrefix namespaces every key the server writes in Redis.
const redisPrefix = "tiktok:"

// sharedState is what the servers share through REDIS_URL; without it every field is nil
// and httpapi keeps that state in process.
type sharedState struct {
	limiter    ratelimit.Limiter
	views      httpapi.SharedViews
	cache      httpapi.SharedCache
	slots      httpapi.SharedSlots
	collectors []prometheus.Collector
	// positions makes the read replicas' read-your-writes positions shared (nil: each
	// server's own), given the replica options.
	positions func(postgres.ReplicaOptions) postgres.WritePositions
	close     func()
}

// openShared connects the shared state to Redis when REDIS_URL is set. A Redis that does not
// answer at start is only a warning: every use of it has a fallback (docs/design.md).
func openShared(ctx context.Context, cfg config.Config, log *slog.Logger) (sharedState, error) {
	if cfg.RedisURL == "" {
		return sharedState{close: func() {}}, nil
	}
	client, errs, err := redisstate.Open(cfg.RedisURL)
	if err != nil {
		return sharedState{}, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		log.Warn("redis does not answer; rate limits, view de-duplication and the feed cache fall back to this process until it does", "err", err)
	} else {
		log.Info("shared state in redis", "addr", client.Options().Addr)
	}
	return sharedState{
		limiter: redisstate.NewLimiter(client, redisPrefix, func(err error) {
			if !errors.Is(err, redis.ErrClosed) {
				log.Warn("redis rate limiter failed; limiting in this process for a second", "err", err)
			}
		}),
		views:      redisstate.NewViews(client, redisPrefix),
		cache:      redisstate.NewCache(client, redisPrefix, 1<<20),
		slots:      redisstate.NewSlots(client, redisPrefix),
		collectors: []prometheus.Collector{errs},
		positions: func(o postgres.ReplicaOptions) postgres.WritePositions {
			ttl := postgres.WriteWindow(o)
			return redisstate.NewPositions(client, redisPrefix, ttl, postgres.NewMemoryPositions(ttl, postgres.DefaultMaxWriters, time.Now))
		},
		close: func() { client.Close() },
	}, nil
}
