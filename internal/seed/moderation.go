package seed

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
)

// ModeratorEmail is the seeded moderator's login; its password is the seeded users' one.
const ModeratorEmail = "mod@example.com"

// seedModeration adds the moderator account (moderator, mod@example.com, role moderator,
// the users' password) and a few open reports by the seeded users, so the moderators'
// queue has something in it: the first three videos reported by one, two and three users,
// the first comment and the last user by one each. It returns how many reports it made.
func seedModeration(ctx context.Context, tx pgx.Tx, passwordHash string, out io.Writer) (int, error) {
	_, err := tx.Exec(ctx, `INSERT INTO users (username, email, password_hash, name, role)
		VALUES ('moderator', $1, $2, 'Moderator', 'moderator')`, ModeratorEmail, passwordHash)
	if err != nil {
		return 0, fmt.Errorf("seed: moderator: %w", err)
	}
	// Each report: reporter = the i-th user (by id) who is not the target's owner. The
	// reports_count trigger fills the moderators' queue.
	tag, err := tx.Exec(ctx, `
		WITH reporters AS (
		    SELECT id, row_number() OVER (ORDER BY id) AS n FROM users WHERE role = 'user'
		), videos3 AS (
		    SELECT id, user_id, row_number() OVER (ORDER BY id) AS n FROM videos ORDER BY id LIMIT 3
		), video_reports AS (
		    SELECT r.id AS reporter, v.id AS video, (ARRAY['spam', 'misinformation', 'harassment'])[v.n] AS reason
		    FROM videos3 v
		    CROSS JOIN LATERAL (SELECT id FROM reporters WHERE id <> v.user_id ORDER BY n LIMIT v.n) r
		), one_comment AS (
		    SELECT c.id, c.user_id FROM comments c ORDER BY c.id LIMIT 1
		), last_user AS (
		    SELECT id FROM reporters ORDER BY n DESC LIMIT 1
		)
		INSERT INTO reports (reporter_id, video_id, comment_id, user_id, reason, details)
		SELECT reporter, video, NULL::bigint, NULL::bigint, reason, 'Seeded report' FROM video_reports
		UNION ALL
		SELECT (SELECT id FROM reporters WHERE id <> c.user_id ORDER BY n LIMIT 1), NULL, c.id, NULL, 'hate', NULL
		FROM one_comment c
		UNION ALL
		SELECT (SELECT id FROM reporters WHERE id <> u.id ORDER BY n LIMIT 1), NULL, NULL, u.id, 'impersonation', 'Not the real one'
		FROM last_user u
		WHERE EXISTS (SELECT 1 FROM reporters WHERE id <> u.id)`)
	if err != nil {
		return 0, fmt.Errorf("seed: reports: %w", err)
	}
	fmt.Fprintf(out, "seed: moderator %s (password as the users'), %d open reports\n", ModeratorEmail, tag.RowsAffected())
	return int(tag.RowsAffected()), nil
}
