package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/postgres"
)

// threadVideos is how many of the most commented videos get reply threads, and
// threadsPerVideo how many of each one's oldest comments get replies.
const (
	threadVideos    = 3
	threadsPerVideo = 2
	mentionCaptions = 3 // the most liked videos whose captions mention a user
)

var replyLines = []string{"so true 😂", "this made my day", "came here to say this", "facts 💯"}

// seedThreads adds replies and mentions to the seeded data, in the seed's transaction
// after the counting triggers are back on (the triggers count the replies): on the
// threadVideos most commented videos, each of the threadsPerVideo oldest comments gets a
// reply from the next user (by id) mentioning the video's creator, and a reply to that
// reply from the user after, which starts with a mention of the replier as the API writes
// one ("@user4 …"); the mentionCaptions most liked videos' captions get a "cc @user". The
// mentions are then resolved by the store's own code (postgres.ResolveMentionsTx). The
// choices follow counts and ids only, so a seed gives the same threads every time.
func seedThreads(ctx context.Context, tx pgx.Tx, out io.Writer) error {
	start := time.Now()
	rows, _ := tx.Query(ctx, `
		SELECT c.id, c.video_id, c.user_id, v.username, c.created_at
		FROM (SELECT x.id, u.username FROM videos x JOIN users u ON u.id = x.user_id
		      ORDER BY x.comment_count DESC, x.id LIMIT $1) v
		CROSS JOIN LATERAL (
			SELECT id, video_id, user_id, created_at FROM comments
			WHERE video_id = v.id AND parent_id IS NULL
			ORDER BY created_at, id LIMIT $2
		) c
		ORDER BY c.id`, threadVideos, threadsPerVideo)
	type top struct {
		id, video, author int64
		creator           string
		at                time.Time
	}
	tops, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (top, error) {
		var t top
		return t, r.Scan(&t.id, &t.video, &t.author, &t.creator, &t.at)
	})
	if err != nil {
		return fmt.Errorf("seed: threads: %w", err)
	}
	var commentIDs []int64
	replies := 0
	for i, t := range tops {
		replier, replierName, err := nextUser(ctx, tx, t.author)
		if err != nil {
			return err
		}
		second, _, err := nextUser(ctx, tx, replier)
		if err != nil {
			return err
		}
		if replier == t.author { // a single user: nobody to reply
			break
		}
		line := replyLines[i%len(replyLines)]
		age := time.Since(t.at)
		for _, r := range []struct {
			user    int64
			content string
			at      time.Time
		}{
			{replier, fmt.Sprintf("@%s %s", t.creator, line), t.at.Add(age / 2)},
			{second, fmt.Sprintf("@%s %s", replierName, replyLines[(i+1)%len(replyLines)]), t.at.Add(age * 3 / 4)},
		} {
			var id int64
			err := tx.QueryRow(ctx, `INSERT INTO comments (user_id, video_id, parent_id, content, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, r.user, t.video, t.id, r.content, r.at).Scan(&id)
			if err != nil {
				return fmt.Errorf("seed: reply: %w", err)
			}
			commentIDs = append(commentIDs, id)
			replies++
		}
	}
	rows, _ = tx.Query(ctx, `
		UPDATE videos v SET caption = v.caption || ' cc @' || n.username
		FROM (SELECT id FROM videos ORDER BY like_count DESC, id LIMIT $1) top
		CROSS JOIN LATERAL (
			SELECT coalesce((SELECT username FROM users u WHERE u.id > x.user_id ORDER BY u.id LIMIT 1),
			                (SELECT username FROM users ORDER BY id LIMIT 1)) AS username
			FROM videos x WHERE x.id = top.id
		) n
		WHERE v.id = top.id AND char_length(v.caption) <= 2200 - 35
		RETURNING v.id`, mentionCaptions)
	videoIDs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("seed: caption mentions: %w", err)
	}
	spans, err := postgres.ResolveMentionsTx(ctx, tx, videoIDs, commentIDs)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(out, "seed: %d replies (%d of them to replies), %d mentions in %d captions and comments (%s)\n",
		replies, replies/2, spans, len(videoIDs)+len(commentIDs), time.Since(start).Round(time.Millisecond))
	return nil
}

// nextUser returns the user after id in id order, wrapping around to the first.
func nextUser(ctx context.Context, tx pgx.Tx, id int64) (int64, string, error) {
	var next int64
	var name string
	err := tx.QueryRow(ctx, `SELECT id, username FROM users WHERE id > $1 ORDER BY id LIMIT 1`, id).Scan(&next, &name)
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `SELECT id, username FROM users ORDER BY id LIMIT 1`).Scan(&next, &name)
	}
	if err != nil {
		return 0, "", fmt.Errorf("seed: next user: %w", err)
	}
	return next, name, nil
}
