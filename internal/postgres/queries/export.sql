-- The data export (GET /api/users/me/export): one user's rows of each table, in keyset
-- batches along an index that starts with the user's id, so a batch costs O(batch) however
-- much the user has. Most sections follow their table's primary key (user_id, other id)
-- upwards from @after_id (0 for the first batch); sections that the API already lists
-- (videos, follows) reuse those lists' queries.

-- name: ListUserComments :many
-- A user's comments, newest first: comments_user_id_created_at_id_idx.
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM comment_likes l WHERE l.user_id = @viewer_id AND l.comment_id = f.id), false)::boolean AS is_liked
FROM comment_feed f
WHERE f.user_id = @user_id::bigint
  AND (f.created_at, f.id) < (@before_time::timestamptz, @before_id::bigint)
ORDER BY f.created_at DESC, f.id DESC
LIMIT @lim;

-- name: ExportVideoLikes :many
-- video_likes_pkey
SELECT video_id AS id, created_at AS at FROM video_likes
WHERE user_id = @user_id AND video_id > @after_id
ORDER BY video_id LIMIT @lim;

-- name: ExportCommentLikes :many
-- comment_likes_pkey
SELECT comment_id AS id, created_at AS at FROM comment_likes
WHERE user_id = @user_id AND comment_id > @after_id
ORDER BY comment_id LIMIT @lim;

-- name: ExportBookmarks :many
-- video_bookmarks_pkey
SELECT video_id AS id, created_at AS at FROM video_bookmarks
WHERE user_id = @user_id AND video_id > @after_id
ORDER BY video_id LIMIT @lim;

-- name: ExportImpressions :many
-- video_impressions_pkey
SELECT video_id AS id, seen_at AS at FROM video_impressions
WHERE user_id = @user_id AND video_id > @after_id
ORDER BY video_id LIMIT @lim;

-- name: ExportNotInterested :many
-- video_feedback_pkey
SELECT video_id AS id, created_at AS at FROM video_feedback
WHERE user_id = @user_id AND video_id > @after_id
ORDER BY video_id LIMIT @lim;

-- name: ExportBlocks :many
-- blocks_pkey
SELECT blocked_id AS id, created_at AS at FROM blocks
WHERE blocker_id = @user_id AND blocked_id > @after_id
ORDER BY blocked_id LIMIT @lim;

-- name: ExportHiddenCreators :many
-- hidden_creators_pkey
SELECT creator_id AS id, created_at AS at FROM hidden_creators
WHERE user_id = @user_id AND creator_id > @after_id
ORDER BY creator_id LIMIT @lim;

-- name: ExportShares :many
-- video_shares_pkey, upwards from (@after_id, the UTC day of @after_day); a day comes back
-- as the timestamptz of its UTC midnight, whatever the session's time zone.
SELECT video_id, (day::timestamp AT TIME ZONE 'UTC')::timestamptz AS day, channel, created_at FROM video_shares
WHERE user_id = @user_id
  AND (video_id, day) > (@after_id::bigint, ((@after_day::timestamptz) AT TIME ZONE 'UTC')::date)
ORDER BY video_shares.video_id, video_shares.day LIMIT @lim;

-- name: ExportCreatorInterests :many
-- creator_interests_pkey; the weight as stored, at updated_at (it decays from there)
SELECT creator_id AS id, weight, updated_at FROM creator_interests
WHERE user_id = @user_id AND creator_id > @after_id
ORDER BY creator_id LIMIT @lim;

-- name: ExportHashtagInterests :many
-- hashtag_interests_pkey, with each tag's name (hashtags_pkey)
SELECT hi.hashtag_id AS id, h.name, hi.weight, hi.updated_at FROM hashtag_interests hi
JOIN hashtags h ON h.id = hi.hashtag_id
WHERE hi.user_id = @user_id AND hi.hashtag_id > @after_id
ORDER BY hi.hashtag_id LIMIT @lim;

-- name: ExportNotifications :many
-- The notifications one received, by event id upwards from @after_seq (0: from the first):
-- the stream's query (NotificationsAfter) without the video and comment snippets, since
-- the export holds the ids.
SELECT n.id, n.kind, n.video_id, n.comment_id, n.actor_ids, n.actor_count, n.seq, n.created_at, n.updated_at,
       n.seq <= coalesce((SELECT r.read_seq FROM notification_reads r WHERE r.user_id = @recipient_id), 0)::bigint AS read
FROM notifications n
WHERE n.recipient_id = @recipient_id AND n.seq > @after_seq
ORDER BY n.seq
LIMIT @lim;

-- name: ExportReports :many
-- The reports one filed, open or resolved: reports_reporter_id_id_idx.
SELECT id, target_type, target_id, reason, details, status, resolution, created_at, resolved_at FROM reports
WHERE reporter_id = @user_id AND id > @after_id
ORDER BY id LIMIT @lim;

-- name: ExportMentions :many
-- Where others mentioned one (the mentions one made are spans of one's own videos and
-- comments): mentions_mentioned_id_idx, newest first from (@before_time, @before_id).
SELECT id, author_id, video_id, comment_id, created_at FROM mentions
WHERE mentioned_id = @user_id
  AND (created_at, id) < (@before_time::timestamptz, @before_id::bigint)
ORDER BY created_at DESC, id DESC LIMIT @lim;
