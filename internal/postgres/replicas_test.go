package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/readpref"
)

// storeWithReplica returns a Store on a fresh database that reads from the test cluster's
// streaming replica, and its pool on the replica; it skips the test without one.
func storeWithReplica(t *testing.T) (*postgres.Store, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.Pool(t)
	rp := pgtest.ReplicaPool(t, pool)
	if rp == nil {
		t.Skip("no streaming replica (TEST_REPLICA_URL; make test starts one)")
	}
	s := postgres.NewStoreWithReplicas(context.Background(), pool, []*pgxpool.Pool{rp},
		postgres.ReplicaOptions{CheckInterval: 100 * time.Millisecond})
	t.Cleanup(s.Close)
	return s, rp
}

// TestReplicaFailsMidResult: a replica that goes away after it sent part of a result (a
// fast shutdown ends its sessions wherever they are) costs the read nothing: the whole
// statement is answered by the primary. Before the fix only a failure before the first
// row was retried; one after it reached the client as 503.
func TestReplicaFailsMidResult(t *testing.T) {
	t.Parallel()
	s, _ := storeWithReplica(t)
	ctx := context.Background()

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

// TestReplicaResult: a replica's result, read whole before it is handed over, behaves as
// pgx's own rows: values, NULLs, scan errors, the command tag; its connection goes back
// to the pool at Close, after which it refuses to scan; and a result read into a reused
// buffer carries its own values.
func TestReplicaResult(t *testing.T) {
	t.Parallel()
	s, rp := storeWithReplica(t)
	ctx := context.Background()
	read := readpref.With(ctx, readpref.Pref{Replica: true})

	for round := range 3 { // later rounds read into the buffers earlier ones gave back
		rows, err := postgres.RoutedQuery(s, read,
			`SELECT g, CASE WHEN g % 2 = 0 THEN repeat('x', g * $1::int) END FROM generate_series(1, 5) g`, 1000*(round+1))
		if err != nil {
			t.Fatal(err)
		}
		if rows.Conn() == nil || len(rows.FieldDescriptions()) != 2 {
			t.Fatalf("round %d: a result in hand has no connection or not its two columns", round)
		}
		var n int
		for rows.Next() {
			n++
			var g int32
			var text *string
			if err := rows.Scan(&g, &text); err != nil {
				t.Fatal(err)
			}
			want := ""
			if g%2 == 0 {
				want = strings.Repeat("x", int(g)*1000*(round+1))
			}
			if got := ""; g != int32(n) || (text == nil) != (want == "") || (text != nil && *text != want) {
				if text != nil {
					got = (*text)[:min(10, len(*text))]
				}
				t.Fatalf("round %d row %d: %d, %q…, want %d and %d x", round, n, g, got, n, len(want))
			}
			if vals, err := rows.Values(); err != nil || len(vals) != 2 || vals[0] != int32(n) {
				t.Fatalf("round %d row %d: Values %v, %v", round, n, vals, err)
			}
		}
		if err := rows.Err(); err != nil || n != 5 || rows.CommandTag().String() != "SELECT 5" {
			t.Fatalf("round %d: %d rows, err %v, tag %q", round, n, err, rows.CommandTag())
		}
		var g int32
		if err := rows.Scan(&g, new(*string)); err == nil {
			t.Fatal("a closed result scanned")
		}
		if rows.Conn() != nil {
			t.Fatal("a closed result still names its connection")
		}
		if st := rp.Stat(); st.AcquiredConns() != 0 {
			t.Fatalf("round %d: %d replica connections still held after the result closed", round, st.AcquiredConns())
		}
	}

	// A scan into the wrong type fails as pgx's own does, and gives the connection back.
	rows, err := postgres.RoutedQuery(s, read, `SELECT 'not a number'`)
	if err != nil {
		t.Fatal(err)
	}
	var bad int64
	if !rows.Next() || rows.Scan(&bad) == nil {
		t.Fatal("text scanned into an int64")
	}
	rows.Close()
	if st := rp.Stat(); st.AcquiredConns() != 0 {
		t.Fatalf("%d replica connections held after a failed scan", st.AcquiredConns())
	}
	if st := s.ReplicaStats(); st.Replicas[0].Reads != 4 || st.PrimaryReads != 0 {
		t.Fatalf("routing %+v: want the four reads on the replica", st)
	}
}
