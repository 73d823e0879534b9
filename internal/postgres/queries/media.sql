-- name: GetStorageObject :one
SELECT media_name, content_type FROM storage_objects WHERE bucket = @bucket AND path = @path;

-- name: CheckStorageUpload :one
-- Whether bucket/path is taken and whether the would-be owner exists, before an upload's
-- body is read.
SELECT EXISTS (SELECT 1 FROM storage_objects WHERE bucket = @bucket AND path = @path) AS taken,
       EXISTS (SELECT 1 FROM users WHERE id = @owner_id) AS owner_exists;

-- name: InsertStorageObject :execrows
-- An existing path is never replaced: a duplicate inserts nothing.
INSERT INTO storage_objects (bucket, path, media_name, content_type, owner_id)
VALUES (@bucket, @path, @media_name, @content_type, @owner_id)
ON CONFLICT (bucket, path) DO NOTHING;

-- name: ClaimStorageObject :one
-- Marks owner_id's unclaimed object at bucket/path as owned by a video and returns its
-- file. A concurrent claim or sweep of the same row waits for this transaction and then
-- finds it claimed, so an object is claimed at most once and never swept once claimed.
UPDATE storage_objects SET claimed = true
WHERE bucket = @bucket AND path = @path AND owner_id = @owner_id::bigint AND NOT claimed
RETURNING media_name;

-- name: StorageObjectClaimState :one
-- Why a claim matched no row: the object's owner and whether a video already owns it.
SELECT owner_id, claimed FROM storage_objects WHERE bucket = @bucket AND path = @path;

-- name: ExpireStorageObjects :many
-- Deletes up to lim unclaimed objects older than ttl_seconds, oldest first, and returns
-- their files. Rows another transaction holds (a claim in progress, another server's
-- sweep) are skipped, so concurrent sweeps never return the same row twice.
DELETE FROM storage_objects s
USING (
    SELECT bucket, path FROM storage_objects
    WHERE NOT claimed AND created_at < now() - make_interval(secs => @ttl_seconds::float8)
    ORDER BY created_at
    LIMIT @lim
    FOR UPDATE SKIP LOCKED
) expired
WHERE s.bucket = expired.bucket AND s.path = expired.path AND NOT s.claimed
RETURNING s.media_name;

-- name: ReferencedMedia :many
-- Every stored-file name a row refers to (owned or shared), for the orphans command:
-- storage-compatible uploads count while claimed or younger than grace_seconds.
SELECT n::text AS name FROM (
    SELECT video_media AS n FROM videos WHERE video_media IS NOT NULL
    UNION SELECT thumbnail_media FROM videos WHERE thumbnail_media IS NOT NULL
    UNION SELECT video_url FROM videos WHERE video_url NOT LIKE 'http%'
    UNION SELECT thumbnail_url FROM videos WHERE thumbnail_url NOT LIKE 'http%'
    UNION SELECT avatar_media FROM users WHERE avatar_media IS NOT NULL
    UNION SELECT avatar FROM users WHERE avatar NOT LIKE 'http%'
    UNION SELECT avatar_small FROM users WHERE avatar_small IS NOT NULL
    UNION SELECT media_name FROM storage_objects WHERE claimed OR created_at > now() - make_interval(secs => @grace_seconds::float8)
    UNION SELECT key FROM upload_keys WHERE expires_at > now() -- direct uploads (00019)
) refs;

-- name: DeleteStorageObjectsByMedia :exec
-- Forgets the objects of files whose owner (a video, a user) is being deleted.
DELETE FROM storage_objects WHERE media_name = ANY(@names::text[]);

-- name: ForgetUnclaimedStorageObjects :many
-- Forgets the unclaimed objects of the named files and returns the names that are still
-- mapped afterwards: objects a video claimed meanwhile, whose files must stay.
WITH forgotten AS (
    DELETE FROM storage_objects WHERE media_name = ANY(@names::text[]) AND NOT claimed
    RETURNING media_name
)
SELECT s.media_name FROM storage_objects s
WHERE s.media_name = ANY(@names::text[])
  AND s.media_name NOT IN (SELECT media_name FROM forgotten);
