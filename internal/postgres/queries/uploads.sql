-- Direct uploads (migration 00019).

-- name: LockUserUploadKeys :exec
-- Serialises the key issues of one user (transaction-scoped), so that the cap on open keys
-- holds under a burst of parallel requests.
SELECT pg_advisory_xact_lock(hashtext('upload_keys'), mod(@user_id::bigint, 2147483647)::int);

-- name: DeleteExpiredUploadKeys :exec
-- upload_keys_user_id_expires_at_idx.
DELETE FROM upload_keys WHERE user_id = @user_id AND expires_at <= now();

-- name: OpenUploadKeys :one
-- The user's keys that may still be claimed, and when the first of them expires
-- (upload_keys_user_id_expires_at_idx).
SELECT count(*) AS n, coalesce(min(expires_at), now())::timestamptz AS first_expiry
FROM upload_keys
WHERE user_id = @user_id AND expires_at > now() AND claimed_at IS NULL;

-- name: InsertUploadKey :one
INSERT INTO upload_keys (key, user_id, kind, content_type, size, expires_at)
VALUES (@key, @user_id, @kind, @content_type, @size, now() + make_interval(secs => @ttl_seconds::float8))
RETURNING expires_at;

-- name: GetUploadKey :one
-- Primary key.
SELECT user_id, kind, content_type, size, expires_at <= now() AS expired, (claimed_at IS NOT NULL)::bool AS claimed
FROM upload_keys WHERE key = @key;

-- name: ClaimUploadKey :execrows
-- Claims a key once: of parallel claims exactly one updates the row (the others wait for
-- its lock, then see claimed_at set). Primary key.
UPDATE upload_keys SET claimed_at = now()
WHERE key = @key AND user_id = @user_id AND kind = @kind AND claimed_at IS NULL AND expires_at > now();
