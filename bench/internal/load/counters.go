package load

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/postgres"
)

// Drift is one denormalised counter and how many rows disagree with COUNT(*).
type Drift = postgres.Drift

// CheckCounters returns, for every denormalised counter, how many rows differ from the
// COUNT(*) of their rows. Run it when no writes are in flight.
func CheckCounters(ctx context.Context, conn postgres.Querier) ([]Drift, error) {
	return postgres.CheckCounters(ctx, conn)
}

// DriftTotal returns the number of wrong counters in d.
func DriftTotal(d []Drift) int64 {
	var n int64
	for _, x := range d {
		n += x.Wrong
	}
	return n
}

// FormatDrift prints d on one line: "videos.like_count 0, …".
func FormatDrift(d []Drift) string {
	parts := make([]string, len(d))
	for i, x := range d {
		parts[i] = fmt.Sprintf("%s %d", x.Counter, x.Wrong)
	}
	return strings.Join(parts, ", ")
}

// TableCounts returns the row count of each table the counters count.
func TableCounts(ctx context.Context, conn interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (string, error) {
	var u, v, c, vl, cl, f int64
	err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM videos), (SELECT count(*) FROM comments),
		(SELECT count(*) FROM video_likes), (SELECT count(*) FROM comment_likes), (SELECT count(*) FROM follows)`).Scan(&u, &v, &c, &vl, &cl, &f)
	if err != nil {
		return "", fmt.Errorf("count rows: %w", err)
	}
	return fmt.Sprintf("%d users, %d videos, %d comments, %d video likes, %d comment likes, %d follows", u, v, c, vl, cl, f), nil
}
