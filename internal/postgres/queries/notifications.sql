-- Notifications (migration 00014). Every query names its recipient, so a user only ever
-- reads their own.

-- name: ListNotifications :many
-- A page newest first by latest activity: notifications_recipient_seq_idx from @before_seq
-- down; the video and comment by primary key (their text is cut to a snippet in Go).
SELECT n.id, n.kind, n.video_id, n.comment_id, n.actor_ids, n.actor_count, n.seq, n.created_at, n.updated_at,
       n.seq <= coalesce((SELECT r.read_seq FROM notification_reads r WHERE r.user_id = @recipient_id), 0)::bigint AS read,
       v.caption AS video_caption, v.thumbnail_url AS video_thumbnail_url,
       c.content AS comment_content
FROM notifications n
LEFT JOIN videos v ON v.id = n.video_id
LEFT JOIN comments c ON c.id = n.comment_id
WHERE n.recipient_id = @recipient_id AND n.seq < @before_seq
ORDER BY n.seq DESC
LIMIT @lim;

-- name: NotificationsAfter :many
-- What a stream has not sent yet, oldest first: notifications_recipient_seq_idx from
-- @after_seq up.
SELECT n.id, n.kind, n.video_id, n.comment_id, n.actor_ids, n.actor_count, n.seq, n.created_at, n.updated_at,
       n.seq <= coalesce((SELECT r.read_seq FROM notification_reads r WHERE r.user_id = @recipient_id), 0)::bigint AS read,
       v.caption AS video_caption, v.thumbnail_url AS video_thumbnail_url,
       c.content AS comment_content
FROM notifications n
LEFT JOIN videos v ON v.id = n.video_id
LEFT JOIN comments c ON c.id = n.comment_id
WHERE n.recipient_id = @recipient_id AND n.seq > @after_seq
ORDER BY n.seq
LIMIT @lim;

-- name: GetNotification :one
-- One of @recipient_id's notifications by id: notifications_pkey.
SELECT n.id, n.kind, n.video_id, n.comment_id, n.actor_ids, n.actor_count, n.seq, n.created_at, n.updated_at,
       n.seq <= coalesce((SELECT r.read_seq FROM notification_reads r WHERE r.user_id = @recipient_id), 0)::bigint AS read,
       v.caption AS video_caption, v.thumbnail_url AS video_thumbnail_url,
       c.content AS comment_content
FROM notifications n
LEFT JOIN videos v ON v.id = n.video_id
LEFT JOIN comments c ON c.id = n.comment_id
WHERE n.id = @id AND n.recipient_id = @recipient_id;

-- name: NotificationActors :many
-- The actors of a page of notifications, in one query: users_pkey.
SELECT id, username, name, avatar FROM users WHERE id = ANY(@ids::bigint[]);

-- name: LatestNotificationSeq :one
-- The newest event id of @recipient_id (0 without notifications): the first entry of
-- notifications_recipient_seq_idx.
SELECT coalesce(max(seq), 0)::bigint FROM notifications WHERE recipient_id = @recipient_id;

-- name: UnreadNotificationCount :one
-- Unread notifications, counted up to @cap: a range of notifications_recipient_seq_idx
-- above the read mark.
SELECT count(*) FROM (
    SELECT 1 FROM notifications n
    WHERE n.recipient_id = @recipient_id
      AND n.seq > coalesce((SELECT r.read_seq FROM notification_reads r WHERE r.user_id = @recipient_id), 0)
    LIMIT @cap
) unread;

-- name: MarkNotificationsRead :one
-- Moves the read mark up to @up_to, but never past the recipient's newest committed event
-- (a later one, or a forged mark, must not be born read) and never back.
-- notification_reads_pkey; the newest event from notifications_recipient_seq_idx.
INSERT INTO notification_reads AS r (user_id, read_seq)
VALUES (@user_id, least(@up_to::bigint,
        (SELECT coalesce(max(n.seq), 0) FROM notifications n WHERE n.recipient_id = @user_id)))
ON CONFLICT (user_id) DO UPDATE
SET read_seq = greatest(r.read_seq, excluded.read_seq), updated_at = now()
WHERE excluded.read_seq > r.read_seq
RETURNING read_seq;

-- name: NotificationReadMark :one
SELECT coalesce((SELECT read_seq FROM notification_reads WHERE user_id = @user_id), 0)::bigint;

-- name: LockUserForListener :one
-- Waits for the notifications being written for @id (notification_add holds the user's
-- row FOR NO KEY UPDATE until commit): users_pkey.
SELECT id FROM users WHERE id = @id FOR SHARE;

-- name: AddNotificationListener :exec
-- notification_listeners_pkey.
INSERT INTO notification_listeners (user_id, server_id) VALUES (@user_id, @server_id)
ON CONFLICT (user_id, server_id) DO UPDATE SET seen_at = now();

-- name: RefreshNotificationListeners :exec
-- notification_listeners_pkey; users_pkey skips users deleted meanwhile.
INSERT INTO notification_listeners (user_id, server_id)
SELECT u.id, @server_id FROM users u WHERE u.id = ANY(@users::bigint[])
ON CONFLICT (user_id, server_id) DO UPDATE SET seen_at = now();

-- name: ExpireNotificationListeners :exec
-- In the transaction of RefreshNotificationListeners: this server's rows it did not
-- refresh (their streams closed), and any server's rows not refreshed for 2 minutes (the
-- server is gone). The table holds a row per user with an open stream: a scan.
DELETE FROM notification_listeners
WHERE (server_id = @server_id AND seen_at < now()) OR seen_at < now() - interval '2 minutes';

-- name: BuildNotifications :execrows
-- The notification groups the likes, comments and follows stand for, for a bulk load that
-- ran with the notification triggers off (the seed): each group with its actor count, its
-- 10 newest actors and its first and latest activity, inserted in the order of their
-- latest activity so that event ids follow time. Groups that exist are left alone.
INSERT INTO notifications (recipient_id, kind, video_id, comment_id, actor_ids, actor_count, created_at, updated_at)
SELECT g.recipient_id, g.kind, g.video_id, g.comment_id, g.actor_ids, g.actor_count, g.first_at, g.last_at
FROM (
    SELECT v.user_id AS recipient_id, 'video_like'::text AS kind, v.id AS video_id, NULL::bigint AS comment_id,
           (array_agg(l.user_id ORDER BY l.created_at DESC, l.user_id DESC))[1:10]::bigint[] AS actor_ids,
           count(*) AS actor_count, min(l.created_at) AS first_at, max(l.created_at) AS last_at
    FROM video_likes l
    JOIN videos v ON v.id = l.video_id
    WHERE notification_wanted(v.user_id, l.user_id, 'video_like', v.id, NULL)
    GROUP BY v.user_id, v.id
    UNION ALL
    SELECT c.user_id, 'comment_like', c.video_id, c.id,
           (array_agg(l.user_id ORDER BY l.created_at DESC, l.user_id DESC))[1:10],
           count(*), min(l.created_at), max(l.created_at)
    FROM comment_likes l
    JOIN comments c ON c.id = l.comment_id
    WHERE notification_wanted(c.user_id, l.user_id, 'comment_like', c.video_id, c.id)
    GROUP BY c.user_id, c.video_id, c.id
    UNION ALL
    SELECT v.user_id, 'comment', v.id, c.id, ARRAY[c.user_id], 1, c.created_at, c.created_at
    FROM comments c
    JOIN videos v ON v.id = c.video_id
    WHERE notification_wanted(v.user_id, c.user_id, 'comment', v.id, c.id)
      AND c.parent_id IS NULL -- replies are loaded through the store, with the triggers on
    UNION ALL
    SELECT f.following_id, 'follow', NULL, NULL,
           (array_agg(f.follower_id ORDER BY f.created_at DESC, f.follower_id DESC))[1:10],
           count(*), min(f.created_at), max(f.created_at)
    FROM follows f
    WHERE notification_wanted(f.following_id, f.follower_id, 'follow', NULL, NULL)
    GROUP BY f.following_id
) g
ORDER BY g.last_at, g.kind, g.recipient_id, g.video_id, g.comment_id
ON CONFLICT (video_id, comment_id, kind, recipient_id) DO NOTHING;
