-- The media pipeline (package pipeline): what a processing job reads and how it ends.

-- name: VideoForProcessing :one
-- videos_pkey
SELECT id, user_id, status, video_media, thumbnail_media FROM videos WHERE id = @id;

-- name: FinishVideoProcessing :one
-- Marks a processing video ready with what probing found; a transcode (sqlc.narg(video_media))
-- replaces the served file and a poster (sqlc.narg(thumbnail_media)) becomes the thumbnail.
-- Returns the files it had before (those replaced are to be deleted once this commits); no row when the video is gone or
-- not processing any more. videos_pkey
UPDATE videos v
SET status = 'ready', duration_ms = @duration_ms, width = @width, height = @height,
    video_media = coalesce(sqlc.narg(video_media), v.video_media),
    video_url = coalesce(sqlc.narg(video_media), v.video_url),
    thumbnail_media = coalesce(sqlc.narg(thumbnail_media), v.thumbnail_media),
    thumbnail_url = coalesce(sqlc.narg(thumbnail_media), v.thumbnail_url)
FROM (SELECT o.id, o.video_media, o.thumbnail_media FROM videos o WHERE o.id = @id FOR UPDATE) old
WHERE v.id = old.id AND v.status = 'processing'
RETURNING old.video_media AS old_video_media, old.thumbnail_media AS old_thumbnail_media;

-- name: FailVideoProcessing :execrows
-- Marks a processing video failed; 0 rows when it is gone or not processing. videos_pkey
UPDATE videos SET status = 'failed', failure_reason = @reason
WHERE id = @id AND status = 'processing';

-- name: SetVideoProbe :execrows
-- What probing the files found, for videos stored without the pipeline (the seed):
-- videos_video_media_key.
UPDATE videos SET duration_ms = @duration_ms, width = @width, height = @height
WHERE video_media = ANY(@names::text[]);
