-- Mentions (migration 00012): one row per text and mentioned user, the text being a
-- video's caption (comment_id NULL) or a comment, with the code-point offsets of the spans.

-- name: ResolveMentionNames :many
-- The users that lower-case names in a text may mention: an index on lower(username)
-- (users_username_lower_key or users_username_prefix_idx). This is
-- the one query that decides who can be mentioned (resolveMentions in mentions.go calls it
-- with the text's author). A user the author may not see (a block either way, a suspended
-- account: hidden_user, migration 00015) cannot be mentioned: the name stays plain text.
SELECT u.id, u.username FROM users u
WHERE lower(u.username) = ANY (@names::text[])
  AND NOT EXISTS (SELECT FROM hidden_user(@author_id::bigint, u.id));

-- name: SyncVideoMentions :exec
-- Makes the caption mentions of a video the given spans (one entry per span, by user):
-- rows of users no longer mentioned are deleted, rows of users still mentioned get their
-- new offsets (an UPDATE: no insert trigger fires again), rows of new users are inserted.
WITH spans AS (
    SELECT t.u AS mentioned_id, array_agg(t.s ORDER BY t.s)::int[] AS starts, array_agg(t.e ORDER BY t.s)::int[] AS ends
    FROM (SELECT unnest(@user_ids::bigint[]) AS u, unnest(@starts::int[]) AS s, unnest(@ends::int[]) AS e) t
    GROUP BY t.u
), gone AS (
    DELETE FROM mentions m
    WHERE m.video_id = @video_id AND m.comment_id IS NULL AND m.mentioned_id <> ALL (@user_ids::bigint[])
)
INSERT INTO mentions (mentioned_id, author_id, video_id, comment_id, starts, ends)
SELECT spans.mentioned_id, @author_id, @video_id, NULL, spans.starts, spans.ends
FROM spans JOIN users u ON u.id = spans.mentioned_id
FOR KEY SHARE OF u -- a user deleted since the names were resolved is skipped, not a foreign key error
ON CONFLICT ON CONSTRAINT mentions_text_user_key DO UPDATE
SET starts = excluded.starts, ends = excluded.ends
WHERE (mentions.starts, mentions.ends) IS DISTINCT FROM (excluded.starts, excluded.ends);

-- name: SyncCommentMentions :exec
-- SyncVideoMentions for the text of comment comment_id (on video video_id).
WITH spans AS (
    SELECT t.u AS mentioned_id, array_agg(t.s ORDER BY t.s)::int[] AS starts, array_agg(t.e ORDER BY t.s)::int[] AS ends
    FROM (SELECT unnest(@user_ids::bigint[]) AS u, unnest(@starts::int[]) AS s, unnest(@ends::int[]) AS e) t
    GROUP BY t.u
), gone AS (
    DELETE FROM mentions m
    WHERE m.comment_id = @comment_id::bigint AND m.mentioned_id <> ALL (@user_ids::bigint[])
)
INSERT INTO mentions (mentioned_id, author_id, video_id, comment_id, starts, ends)
SELECT spans.mentioned_id, @author_id, @video_id, @comment_id::bigint, spans.starts, spans.ends
FROM spans JOIN users u ON u.id = spans.mentioned_id
FOR KEY SHARE OF u
ON CONFLICT ON CONSTRAINT mentions_text_user_key DO UPDATE
SET starts = excluded.starts, ends = excluded.ends
WHERE (mentions.starts, mentions.ends) IS DISTINCT FROM (excluded.starts, excluded.ends);

-- name: VideoMentions :many
-- The caption mentions of a page of videos, with the mentioned users' current usernames:
-- mentions_text_user_key (video_id = ANY, comment_id IS NULL), then a users_pkey probe per
-- row (LATERAL … LIMIT 1: as a join, the generic plan merge-joined a walk of users_pkey).
SELECT m.video_id, m.mentioned_id, u.username, m.starts, m.ends
FROM mentions m
CROSS JOIN LATERAL (SELECT x.username FROM users x WHERE x.id = m.mentioned_id LIMIT 1) u
WHERE m.video_id = ANY (@ids::bigint[]) AND m.comment_id IS NULL;

-- name: CommentMentions :many
-- The mentions of a page of comments: mentions_comment_id_idx, users_pkey probes.
SELECT m.comment_id::bigint AS comment_id, m.mentioned_id, u.username, m.starts, m.ends
FROM mentions m
CROSS JOIN LATERAL (SELECT x.username FROM users x WHERE x.id = m.mentioned_id LIMIT 1) u
WHERE m.comment_id = ANY (@ids::bigint[]);

-- name: VideoTexts :many
-- Captions and their authors, for ResolveMentionsTx (videos_pkey).
SELECT id, user_id, caption FROM videos WHERE id = ANY (@ids::bigint[]) ORDER BY id;

-- name: CommentTexts :many
-- Live comments and their authors, for ResolveMentionsTx (comments_pkey).
SELECT id, video_id, user_id::bigint AS user_id, content FROM comments
WHERE id = ANY (@ids::bigint[]) AND deleted_at IS NULL ORDER BY id;
