package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/readpref"
)

// TestReplicaFailsMidResult: a replica that goes away after it sent part of a result (a
// fast shutdown ends its sessions wherever they are) costs the read nothing: the whole
// statement is answered by the primary. Before the fix only a failure before the first
// row was retried; one after it reached the client as 503.
func TestReplicaFailsMidResult(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	rp := pgtest.ReplicaPool(t, pool)
	if rp == nil {
		t.Skip("no streaming replica (TEST_REPLICA_URL; make test starts one)")
	}
	ctx := context.Background()
	s := postgres.NewStoreWithReplicas(ctx, pool, []*pgxpool.Pool{rp}, postgres.ReplicaOptions{CheckInterval: 100 * time.Millisecond})
	t.Cleanup(s.Close)

	// On the replica the session ends itself at the third row, the first two already sent.
	const sql = `SELECT g, CASE WHEN g = 3 AND pg_is_in_recovery() THEN pg_terminate_backend(pg_backend_pid()) END
		FROM generate_series(1, 5) g`
	read := readpref.With(ctx, readpref.Pref{Replica: true})
	rows, err := postgres.RoutedQuery(s, read, sql)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (int32, error) {
		var g int32
		var ended *bool
		return g, row.Scan(&g, &ended)
	})
	if err != nil {
		t.Fatalf("read failed with the replica: %v", err)
	}
	if want := []int32{1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v (each once, all from one server)", got, want)
	}
	if st := s.ReplicaStats(); st.Fallbacks != 1 || st.PrimaryReads != 1 || st.Replicas[0].Reads != 0 {
		t.Fatalf("routing %+v: want the read counted once, on the primary, as a fallback", st)
	}
}
