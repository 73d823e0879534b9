-- Keyset pages: every list takes the sort key of the last row it returned
-- ((created_at, id) < (@before_time, @before_id)); the first page passes (9999-12-31, max int64) (endOfTime in page.go),
-- so a single plan serves every page through the same index.
--
-- The viewer's marks (is_liked, is_bookmarked) are scalar subqueries, one primary-key probe
-- per row of the page. Written as EXISTS, the generic plan hashes all of the viewer's likes
-- instead: 582 likes cost 1.4 ms a page at a million videos, and it grows with every like.
--
-- Every read leaves out what the viewer may not see: NOT EXISTS (SELECT FROM
-- hidden_video(viewer, video, owner)), the rule of migration 00015 (a few index probes per
-- row, behind one-time filters; only the moderation check for an anonymous viewer).

-- name: ListVideos :many
-- For You feed, newest first: videos_created_at_id_idx.
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM video_likes l WHERE l.user_id = @viewer_id AND l.video_id = f.id), false)::boolean AS is_liked,
       coalesce((SELECT true FROM video_bookmarks b WHERE b.user_id = @viewer_id AND b.video_id = f.id), false)::boolean AS is_bookmarked
FROM video_feed f
WHERE (f.created_at, f.id) < (@before_time::timestamptz, @before_id::bigint)
  AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, f.id, f.user_id))
ORDER BY f.created_at DESC, f.id DESC
LIMIT @lim;

-- name: ListFollowingVideos :many
-- Videos of the users the viewer follows: for each followed user, the newest @lim videos
-- before the cursor (videos_user_id_created_at_id_idx), merged; cost is bounded by
-- (followed users x page size), whatever the table size. hidden_video in two halves: the
-- owner once per followed user (hidden_user), each video for moderation (moderated_video);
-- per video, the whole rule cost 9 ms for 200 followed users against 1.5 ms without it.
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM video_likes l WHERE l.user_id = @viewer_id AND l.video_id = f.id), false)::boolean AS is_liked,
       coalesce((SELECT true FROM video_bookmarks b WHERE b.user_id = @viewer_id AND b.video_id = f.id), false)::boolean AS is_bookmarked
FROM video_feed f
WHERE f.id IN (
    SELECT v.id
    FROM follows fo
    CROSS JOIN LATERAL (
        SELECT vv.id, vv.created_at FROM videos vv
        WHERE vv.user_id = fo.following_id
          AND (vv.created_at, vv.id) < (@before_time::timestamptz, @before_id::bigint)
          AND NOT EXISTS (SELECT FROM moderated_video(@viewer_id::bigint, vv.id, vv.user_id))
        ORDER BY vv.created_at DESC, vv.id DESC
        LIMIT @lim
    ) v
    WHERE fo.follower_id = @viewer_id
      AND NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, fo.following_id))
    ORDER BY v.created_at DESC, v.id DESC
    LIMIT @lim
)
ORDER BY f.created_at DESC, f.id DESC;

-- name: ListUserVideos :many
-- A profile's videos, newest first: videos_user_id_created_at_id_idx.
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM video_likes l WHERE l.user_id = @viewer_id AND l.video_id = f.id), false)::boolean AS is_liked,
       coalesce((SELECT true FROM video_bookmarks b WHERE b.user_id = @viewer_id AND b.video_id = f.id), false)::boolean AS is_bookmarked
FROM video_feed f
WHERE f.user_id = @user_id
  AND (f.created_at, f.id) < (@before_time::timestamptz, @before_id::bigint)
  AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, f.id, f.user_id))
ORDER BY f.created_at DESC, f.id DESC
LIMIT @lim;

-- name: GetVideo :one
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM video_likes l WHERE l.user_id = @viewer_id AND l.video_id = f.id), false)::boolean AS is_liked,
       coalesce((SELECT true FROM video_bookmarks b WHERE b.user_id = @viewer_id AND b.video_id = f.id), false)::boolean AS is_bookmarked
FROM video_feed f
WHERE f.id = @id
  AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, f.id, f.user_id));

-- name: VideoOwner :one
SELECT user_id FROM videos WHERE id = @id;

-- name: CreateVideo :one
INSERT INTO videos (user_id, caption, video_url, thumbnail_url, audio_name, sound_id,
                    video_storage_path, thumbnail_storage_path, video_media, thumbnail_media, status)
VALUES (@user_id, @caption, @video_url, sqlc.narg(thumbnail_url), sqlc.narg(audio_name), sqlc.narg(sound_id),
        sqlc.narg(video_storage_path), sqlc.narg(thumbnail_storage_path),
        sqlc.narg(video_media), sqlc.narg(thumbnail_media), @status)
RETURNING id;

-- name: UpdateVideo :execrows
-- Changes the caption (NULL: unchanged) and leaves the audio and the sound as they are.
UPDATE videos
SET caption = coalesce(sqlc.narg(caption), caption)
WHERE id = @id AND user_id = @user_id;

-- name: UpdateVideoAudio :execrows
-- Changes the caption (NULL: unchanged), the audio name and its sound together. Only this
-- statement names sound_id, so that the sound counter trigger (UPDATE OF sound_id) fires
-- only when the audio changes.
UPDATE videos
SET caption = coalesce(sqlc.narg(caption), caption),
    audio_name = sqlc.narg(audio_name),
    sound_id = sqlc.narg(sound_id)
WHERE id = @id AND user_id = @user_id;

-- name: LockVideo :one
-- Locks userID's video @id before its sound or tags change and returns its sound
-- (videos_pkey); no row: not found, or someone else's.
SELECT sound_id FROM videos WHERE id = @id AND user_id = @user_id FOR NO KEY UPDATE;

-- name: LockVideoForDelete :one
-- Locks userID's video @id for deletion (FOR UPDATE, as the DELETE will) and returns its
-- sound (videos_pkey); no row: not found, or someone else's.
SELECT sound_id FROM videos WHERE id = @id AND user_id = @user_id FOR UPDATE;

-- name: DeleteVideo :one
DELETE FROM videos WHERE id = @id AND user_id = @user_id
RETURNING video_media, thumbnail_media;

-- name: LikeVideo :execrows
INSERT INTO video_likes (user_id, video_id) VALUES (@user_id, @video_id)
ON CONFLICT DO NOTHING;

-- name: UnlikeVideo :execrows
DELETE FROM video_likes WHERE user_id = @user_id AND video_id = @video_id;

-- name: VideoLikeCount :one
SELECT like_count FROM videos WHERE id = @id;

-- name: LockVideos :exec
-- Locks videos in id order (videos_pkey) before a statement that updates several.
SELECT id FROM videos WHERE id = ANY (@ids::bigint[]) ORDER BY id FOR NO KEY UPDATE;

-- name: LockUser :exec
-- Locks a user's counter row (users_pkey) before deleting one of their videos.
SELECT id FROM users WHERE id = @id FOR NO KEY UPDATE;

-- name: AddVideoViews :exec
-- Applies buffered view counts in one statement.
UPDATE videos v SET views = v.views + d.n
FROM (SELECT unnest(@ids::bigint[]) AS id, unnest(@counts::bigint[]) AS n) d
WHERE v.id = d.id;

-- name: AddHashtagViews :exec
-- The same views counted toward the videos' tags, one update per tag (video_hashtags_pkey
-- per video, hashtags_pkey per tag); run after AddVideoViews in its transaction.
UPDATE hashtags h SET view_count = h.view_count + s.n
FROM (SELECT vh.hashtag_id, sum(d.n)::bigint AS n
      FROM (SELECT unnest(@ids::bigint[]) AS id, unnest(@counts::bigint[]) AS n) d
      JOIN video_hashtags vh ON vh.video_id = d.id
      GROUP BY vh.hashtag_id) s
WHERE h.id = s.hashtag_id;

-- name: VideoExists :one
SELECT EXISTS (SELECT 1 FROM videos WHERE id = @id);
