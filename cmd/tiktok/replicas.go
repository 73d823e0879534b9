package main

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/config"
	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/postgres"
)

// openStore returns the Store of serve: on pool alone, or with the read replicas of
// DATABASE_REPLICA_URLS. The returned function stops the replicas' health check and closes
// their pools.
// shared, when not nil, makes the writers' positions shared through Redis (REDIS_URL), so
// that read-your-writes holds whichever server a user's next request reaches.
func openStore(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, shared func(postgres.ReplicaOptions) postgres.WritePositions, log *slog.Logger) (*postgres.Store, func(), error) {
	if len(cfg.ReplicaURLs) == 0 {
		return postgres.NewStore(pool), func() {}, nil
	}
	var replicas []*pgxpool.Pool
	closeAll := func() {
		for _, r := range replicas {
			r.Close()
		}
	}
	for _, u := range cfg.ReplicaURLs {
		r, err := postgres.OpenReplica(ctx, u)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		replicas = append(replicas, r)
	}
	opts := postgres.ReplicaOptions{MaxLag: cfg.ReplicaMaxLag, Logger: log}
	if shared != nil {
		opts.Positions = shared(opts)
	}
	store := postgres.NewStoreWithReplicas(ctx, pool, replicas, opts)
	log.Info("read replicas", "count", len(replicas), "max_lag", cfg.ReplicaMaxLag)
	return store, func() { store.Close(); closeAll() }, nil
}

// replicaStats reports the store's read replicas for the metrics (nil without any).
func replicaStats(cfg config.Config, store *postgres.Store) func() httpapi.ReplicaStats {
	if len(cfg.ReplicaURLs) == 0 {
		return nil
	}
	return func() httpapi.ReplicaStats {
		st := store.ReplicaStats()
		out := httpapi.ReplicaStats{PrimaryReads: st.PrimaryReads, Fallbacks: st.Fallbacks}
		for _, r := range st.Replicas {
			out.Replicas = append(out.Replicas, httpapi.ReplicaStat(r))
		}
		return out
	}
}
