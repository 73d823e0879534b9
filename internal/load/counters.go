package load

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Drift is one denormalised counter and how many rows hold a value other than the
// COUNT(*) of the rows it counts.
type Drift struct {
	Counter string // e.g. "videos.like_count"
	Wrong   int64
}

// counterCheckSQL compares every denormalised counter of the schema with a COUNT(*) of its
// rows, set-based (a few hash joins, so it stays fast on millions of rows).
const counterCheckSQL = `
WITH vl AS (SELECT video_id AS id, count(*) AS n FROM video_likes GROUP BY video_id),
     vc AS (SELECT video_id AS id, count(*) AS n FROM comments GROUP BY video_id),
     cl AS (SELECT comment_id AS id, count(*) AS n FROM comment_likes GROUP BY comment_id),
     fr AS (SELECT following_id AS id, count(*) AS n FROM follows GROUP BY following_id),
     fg AS (SELECT follower_id AS id, count(*) AS n FROM follows GROUP BY follower_id),
     uv AS (SELECT user_id AS id, count(*) AS n FROM videos GROUP BY user_id),
     ul AS (SELECT v.user_id AS id, count(*) AS n FROM video_likes l JOIN videos v ON v.id = l.video_id GROUP BY v.user_id)
SELECT
  (SELECT count(*) FROM videos v LEFT JOIN vl ON vl.id = v.id WHERE v.like_count <> coalesce(vl.n, 0)),
  (SELECT count(*) FROM videos v LEFT JOIN vc ON vc.id = v.id WHERE v.comment_count <> coalesce(vc.n, 0)),
  (SELECT count(*) FROM comments c LEFT JOIN cl ON cl.id = c.id WHERE c.like_count <> coalesce(cl.n, 0)),
  (SELECT count(*) FROM users u LEFT JOIN fr ON fr.id = u.id WHERE u.follower_count <> coalesce(fr.n, 0)),
  (SELECT count(*) FROM users u LEFT JOIN fg ON fg.id = u.id WHERE u.following_count <> coalesce(fg.n, 0)),
  (SELECT count(*) FROM users u LEFT JOIN uv ON uv.id = u.id WHERE u.video_count <> coalesce(uv.n, 0)),
  (SELECT count(*) FROM users u LEFT JOIN ul ON ul.id = u.id WHERE u.like_count <> coalesce(ul.n, 0))`

var counterNames = []string{
	"videos.like_count", "videos.comment_count", "comments.like_count",
	"users.follower_count", "users.following_count", "users.video_count", "users.like_count",
}

// CheckCounters returns, for every denormalised counter, how many rows differ from the
// COUNT(*) of their rows. Run it when no writes are in flight.
func CheckCounters(ctx context.Context, conn interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) ([]Drift, error) {
	wrong := make([]int64, len(counterNames))
	dest := make([]any, len(wrong))
	for i := range wrong {
		dest[i] = &wrong[i]
	}
	if err := conn.QueryRow(ctx, counterCheckSQL).Scan(dest...); err != nil {
		return nil, fmt.Errorf("check counters: %w", err)
	}
	out := make([]Drift, len(wrong))
	for i, n := range wrong {
		out[i] = Drift{Counter: counterNames[i], Wrong: n}
	}
	return out, nil
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
