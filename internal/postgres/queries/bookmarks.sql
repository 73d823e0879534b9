-- Bookmarks and shares (migration 00013). Counters follow the rows through triggers; an
-- insert that conflicts inserts nothing and fires nothing.

-- name: BookmarkVideo :execrows
INSERT INTO video_bookmarks (user_id, video_id) VALUES (@user_id, @video_id)
ON CONFLICT DO NOTHING;

-- name: UnbookmarkVideo :execrows
DELETE FROM video_bookmarks WHERE user_id = @user_id AND video_id = @video_id;

-- name: VideoBookmarkCount :one
SELECT bookmark_count FROM videos WHERE id = @id;

-- name: ListBookmarks :many
-- The viewer's bookmarks, newest bookmark first: video_bookmarks_user_id_created_at_idx from
-- the cursor, then videos_pkey and users_pkey per row of the page. Every video is
-- bookmarked by the viewer, so is_bookmarked is true. A bookmarked video the viewer may no
-- longer see (hidden, or a block since) is left out; the bookmark stays.
SELECT sqlc.embed(f), b.created_at AS bookmarked_at,
       coalesce((SELECT true FROM video_likes l WHERE l.user_id = @user_id AND l.video_id = f.id), false)::boolean AS is_liked
FROM video_bookmarks b
JOIN video_feed f ON f.id = b.video_id
WHERE b.user_id = @user_id
  AND (b.created_at, b.video_id) < (@before_time::timestamptz, @before_id::bigint)
  AND NOT EXISTS (SELECT FROM hidden_video(@user_id::bigint, f.id, f.user_id))
ORDER BY b.created_at DESC, b.video_id DESC
LIMIT @lim;

-- name: ShareVideo :execrows
-- One row per (user, video, UTC day): a second share the same day inserts nothing.
INSERT INTO video_shares (user_id, video_id, channel) VALUES (@user_id, @video_id, @channel)
ON CONFLICT (user_id, video_id, day) DO NOTHING;

-- name: VideoShareCount :one
SELECT share_count FROM videos WHERE id = @id;

-- name: ListLikedVideos :many
-- The viewer's liked videos, newest like first: video_likes_user_id_created_at_idx from the
-- cursor, then videos_pkey and users_pkey per row of the page. A liked video the viewer may
-- no longer see (hidden, not ready, or a block since) is left out; the like stays.
SELECT sqlc.embed(f), l.created_at AS liked_at,
       coalesce((SELECT true FROM video_bookmarks b WHERE b.user_id = @user_id AND b.video_id = f.id), false)::boolean AS is_bookmarked
FROM video_likes l
JOIN video_feed f ON f.id = l.video_id
WHERE l.user_id = @user_id
  AND (l.created_at, l.video_id) < (@before_time::timestamptz, @before_id::bigint)
  AND NOT EXISTS (SELECT FROM hidden_video(@user_id::bigint, f.id, f.user_id))
ORDER BY l.created_at DESC, l.video_id DESC
LIMIT @lim;
