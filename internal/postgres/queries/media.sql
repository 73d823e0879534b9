-- name: GetStorageObject :one
SELECT media_name, content_type FROM storage_objects WHERE bucket = @bucket AND path = @path;

-- name: InsertStorageObject :execrows
INSERT INTO storage_objects (bucket, path, media_name, content_type)
VALUES (@bucket, @path, @media_name, @content_type)
ON CONFLICT (bucket, path) DO NOTHING;

-- name: UpsertStorageObject :exec
-- The replaced file stays until `tiktok orphans` finds nothing refers to it.
INSERT INTO storage_objects (bucket, path, media_name, content_type)
VALUES (@bucket, @path, @media_name, @content_type)
ON CONFLICT (bucket, path) DO UPDATE
SET media_name = excluded.media_name, content_type = excluded.content_type, created_at = now();

-- name: ReferencedMedia :many
-- Every stored-file name a row refers to (owned or shared), for the orphans command.
SELECT n::text AS name FROM (
    SELECT video_media AS n FROM videos WHERE video_media IS NOT NULL
    UNION SELECT thumbnail_media FROM videos WHERE thumbnail_media IS NOT NULL
    UNION SELECT video_url FROM videos WHERE video_url NOT LIKE 'http%'
    UNION SELECT thumbnail_url FROM videos WHERE thumbnail_url NOT LIKE 'http%'
    UNION SELECT avatar_media FROM users WHERE avatar_media IS NOT NULL
    UNION SELECT avatar FROM users WHERE avatar NOT LIKE 'http%'
    UNION SELECT media_name FROM storage_objects WHERE created_at > now() - make_interval(secs => @grace_seconds::float8)
) refs;

-- name: DeleteStorageObjectsByMedia :exec
DELETE FROM storage_objects WHERE media_name = ANY(@names::text[]);
