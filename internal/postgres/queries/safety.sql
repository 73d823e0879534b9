-- Safety: visibility checks, blocks, roles, reports, moderation and its audit log
-- (migration 00015 has the tables and the visibility functions).

-- name: VisibleVideoOwner :one
-- The owner of video @id when @viewer_id may see it (videos_pkey, then hidden_video's
-- probes); no row: unknown, or not for this viewer.
SELECT v.user_id FROM videos v
WHERE v.id = @id
  AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id));

-- name: VisibleCommentOwner :one
-- The author of comment @id when @viewer_id may see it and its video (comments_pkey,
-- videos_pkey); no row otherwise. A tombstone (no author) is owned by 0, nobody.
SELECT coalesce(c.user_id, 0)::bigint AS user_id FROM comments c
JOIN videos v ON v.id = c.video_id
WHERE c.id = @id
  AND NOT EXISTS (SELECT FROM hidden_comment(@viewer_id::bigint, c.id, c.user_id))
  AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id));

-- name: VisibleUser :one
-- User @id when @viewer_id may see them (users_pkey); no row otherwise.
SELECT u.id FROM users u
WHERE u.id = @id
  AND NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, u.id));

-- name: BlockedEitherWay :one
-- Whether @a blocks @b or @b blocks @a (blocks_pkey, twice).
SELECT EXISTS (SELECT 1 FROM blocks b
               WHERE (b.blocker_id = @a AND b.blocked_id = @b) OR (b.blocker_id = @b AND b.blocked_id = @a));

-- name: LockUserPair :many
-- Locks two users' rows in id order (users_pkey): a follow and a block between the same
-- two users take these locks first, so one waits for the other and sees its result.
SELECT id FROM users WHERE id IN (@a::bigint, @b::bigint) ORDER BY id FOR NO KEY UPDATE;

-- name: BlockUser :execrows
INSERT INTO blocks (blocker_id, blocked_id) VALUES (@blocker_id, @blocked_id)
ON CONFLICT DO NOTHING;

-- name: UnblockUser :execrows
DELETE FROM blocks WHERE blocker_id = @blocker_id AND blocked_id = @blocked_id;

-- name: DeleteFollowsBetween :execrows
-- Both follows between @a and @b (follows_pkey); the counter triggers fire for each.
DELETE FROM follows
WHERE (follower_id = @a AND following_id = @b) OR (follower_id = @b AND following_id = @a);

-- name: ListBlocks :many
-- Whom @blocker_id blocks, most recent first: the blocker's range of blocks_pkey, sorted
-- (a user's own blocks; see migration 00015 for why there is no index on created_at).
SELECT u.id, u.username, u.name, u.avatar, b.created_at AS blocked_at
FROM blocks b
JOIN users u ON u.id = b.blocked_id
WHERE b.blocker_id = @blocker_id
  AND (b.created_at, b.blocked_id) < (@before_time::timestamptz, @before_id::bigint)
ORDER BY b.created_at DESC, b.blocked_id DESC
LIMIT @lim;

-- name: UserRole :one
-- users_pkey: the role the moderation routes check on every request.
SELECT role FROM users WHERE id = @id;

-- name: LockUserForModeration :one
-- users_pkey; the row stays locked until the action's transaction ends.
SELECT id, role, suspended_at FROM users WHERE id = @id FOR NO KEY UPDATE;

-- name: SetUserRole :exec
UPDATE users SET role = @role WHERE id = @id;

-- name: UserIDByEmail :one
-- users_email_lower_key.
SELECT id, role FROM users WHERE lower(email) = lower(@email::text);

-- name: SuspendUser :exec
-- Suspends user @id and revokes every token they hold.
UPDATE users SET suspended_at = now(), token_version = token_version + 1 WHERE id = @id;

-- name: UnsuspendUser :exec
UPDATE users SET suspended_at = NULL WHERE id = @id;

-- name: HideVideo :one
-- Hides video @id (or changes why it is hidden); no row for an unknown video.
INSERT INTO video_moderation AS m (video_id, reason, hidden_by)
SELECT v.id, @reason, @hidden_by FROM videos v WHERE v.id = @video_id
ON CONFLICT (video_id) DO UPDATE
SET reason = excluded.reason, hidden_by = excluded.hidden_by, automatic = false, hidden_at = now()
RETURNING (xmax = 0)::boolean AS inserted;

-- name: AutoHideVideo :execrows
-- Hides video @video_id on behalf of the report threshold, unless it is hidden already.
INSERT INTO video_moderation (video_id, reason, automatic) VALUES (@video_id, @reason, true)
ON CONFLICT (video_id) DO NOTHING;

-- name: UnhideVideo :execrows
DELETE FROM video_moderation WHERE video_id = @video_id;

-- name: HideComment :one
INSERT INTO comment_moderation AS m (comment_id, reason, hidden_by)
SELECT c.id, @reason, @hidden_by FROM comments c WHERE c.id = @comment_id
ON CONFLICT (comment_id) DO UPDATE
SET reason = excluded.reason, hidden_by = excluded.hidden_by, automatic = false, hidden_at = now()
RETURNING (xmax = 0)::boolean AS inserted;

-- name: UnhideComment :execrows
DELETE FROM comment_moderation WHERE comment_id = @comment_id;

-- name: VideoExistsForUpdate :one
-- videos_pkey; locks the video so that a hide and an unhide of it queue.
SELECT id FROM videos WHERE id = @id FOR NO KEY UPDATE;

-- name: CommentExistsForUpdate :one
SELECT id FROM comments WHERE id = @id FOR NO KEY UPDATE;

-- name: CreateReport :one
-- A new open report; no row when the reporter already has an open report on this target
-- (reports_open_key: of a burst of the same report exactly one inserts).
INSERT INTO reports (reporter_id, video_id, comment_id, user_id, reason, details)
VALUES (@reporter_id, sqlc.narg(video_id), sqlc.narg(comment_id), sqlc.narg(user_id), @reason, sqlc.narg(details))
ON CONFLICT (reporter_id, target_type, target_id) WHERE status = 'open' DO NOTHING
RETURNING id, reason, details, status, created_at;

-- name: OpenReport :one
-- The reporter's open report on a target (reports_open_key).
SELECT id, reason, details, status, created_at FROM reports
WHERE reporter_id = @reporter_id AND target_type = @target_type AND target_id = @target_id AND status = 'open';

-- name: OpenReportCount :one
-- How many users have an open report on a target (report_targets_target_key); the row is
-- locked by the report just inserted in this transaction.
SELECT open_count FROM report_targets WHERE target_type = @target_type AND target_id = @target_id;

-- name: ResolveReports :execrows
-- Closes every open report on a target (reports_target_open_idx).
UPDATE reports
SET status = 'resolved', resolution = @resolution, resolution_note = sqlc.narg(note),
    resolved_by = @resolved_by, resolved_at = now()
WHERE target_type = @target_type AND target_id = @target_id AND status = 'open';

-- name: ReportQueue :many
-- The targets with open reports, longest waiting first (report_targets_queue_idx, from the
-- cursor), each with what the moderator needs to judge it: the owner, the caption or
-- comment, whether it is hidden or its owner suspended (primary keys).
SELECT t.id, t.target_type, t.target_id, t.open_count, t.queued_at,
       o.id AS owner_id, o.username AS owner_username, o.name AS owner_name, o.avatar AS owner_avatar,
       (o.suspended_at IS NOT NULL)::boolean AS owner_suspended,
       coalesce(v.caption, c.content, '')::text AS text,
       c.video_id AS comment_video_id,
       vm.reason AS video_hidden_reason, cm.reason AS comment_hidden_reason
FROM report_targets t
LEFT JOIN videos v ON v.id = t.video_id
LEFT JOIN comments c ON c.id = t.comment_id
LEFT JOIN users o ON o.id = coalesce(v.user_id, c.user_id, t.user_id)
LEFT JOIN video_moderation vm ON vm.video_id = t.video_id
LEFT JOIN comment_moderation cm ON cm.comment_id = t.comment_id
WHERE t.open_count > 0
  AND (t.queued_at, t.id) > (@after_time::timestamptz, @after_id::bigint)
ORDER BY t.queued_at, t.id
LIMIT @lim;

-- name: LatestOpenReports :many
-- The newest @per open reports of each target of a queue page, with their reporters
-- (reports_target_open_idx per target, users_pkey).
SELECT r.id, r.target_type, r.target_id, r.reason, r.details, r.status, r.created_at,
       u.id AS reporter_id, u.username AS reporter_username, u.name AS reporter_name, u.avatar AS reporter_avatar
FROM (SELECT unnest(@types::text[]) AS type, unnest(@ids::bigint[]) AS id) t
CROSS JOIN LATERAL (
    SELECT x.id, x.reporter_id, x.target_type, x.target_id, x.reason, x.details, x.status, x.created_at
    FROM reports x
    WHERE x.target_type = t.type AND x.target_id = t.id AND x.status = 'open'
    ORDER BY x.created_at DESC, x.id DESC
    LIMIT @per::int
) r
JOIN users u ON u.id = r.reporter_id
ORDER BY r.target_type, r.target_id, r.created_at DESC, r.id DESC;

-- name: AddAudit :exec
INSERT INTO moderation_audit (actor_id, source, action, target_type, target_id, reason)
VALUES (sqlc.narg(actor_id), @source, @action, @target_type, @target_id, sqlc.narg(reason));

-- name: ListAudit :many
-- The audit log, newest first: moderation_audit_created_at_id_idx, actors by users_pkey.
SELECT a.id, a.source, a.action, a.target_type, a.target_id, a.reason, a.created_at,
       u.id AS actor_id, u.username AS actor_username, u.name AS actor_name, u.avatar AS actor_avatar
FROM moderation_audit a
LEFT JOIN users u ON u.id = a.actor_id
WHERE (a.created_at, a.id) < (@before_time::timestamptz, @before_id::bigint)
ORDER BY a.created_at DESC, a.id DESC
LIMIT @lim;

-- name: VisibleVideoCommentCount :one
-- The comment count of video @id when @viewer_id may see the video (videos_pkey).
SELECT v.comment_count, v.thread_count FROM videos v
WHERE v.id = @id
  AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id));

-- name: RecountReportTargets :one
-- Sets every queue row's open_count to the COUNT(*) of its open reports, adding the rows
-- of targets that have open reports and none (only a load with the trigger off leaves
-- those); returns how many rows it wrote.
WITH n AS (
    SELECT r.video_id, r.comment_id, r.user_id, r.target_type, r.target_id, count(*) AS n
    FROM reports r WHERE r.status = 'open'
    GROUP BY r.video_id, r.comment_id, r.user_id, r.target_type, r.target_id
), ins AS (
    INSERT INTO report_targets (video_id, comment_id, user_id, open_count)
    SELECT n.video_id, n.comment_id, n.user_id, n.n FROM n
    WHERE NOT EXISTS (SELECT 1 FROM report_targets t WHERE t.target_type = n.target_type AND t.target_id = n.target_id)
    ON CONFLICT (target_type, target_id) DO NOTHING
    RETURNING 1
), upd AS (
    UPDATE report_targets t SET open_count = coalesce(n.n, 0)
    FROM report_targets x LEFT JOIN n ON n.target_type = x.target_type AND n.target_id = x.target_id
    WHERE t.id = x.id AND t.open_count <> coalesce(n.n, 0)
    RETURNING 1
)
SELECT ((SELECT count(*) FROM ins) + (SELECT count(*) FROM upd))::bigint AS fixed;

-- name: ReportTargetDrift :one
-- How many queue rows hold an open_count other than the COUNT(*) of their open reports,
-- plus targets with open reports and no queue row.
WITH n AS (SELECT target_type, target_id, count(*) AS n FROM reports WHERE status = 'open' GROUP BY target_type, target_id)
SELECT ((SELECT count(*) FROM report_targets t LEFT JOIN n ON n.target_type = t.target_type AND n.target_id = t.target_id
         WHERE t.open_count <> coalesce(n.n, 0))
      + (SELECT count(*) FROM n WHERE NOT EXISTS (
             SELECT 1 FROM report_targets t WHERE t.target_type = n.target_type AND t.target_id = n.target_id)))::bigint AS wrong;
