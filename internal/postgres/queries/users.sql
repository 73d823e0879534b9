-- name: CreateUser :one
INSERT INTO users (username, email, password_hash, name)
VALUES (@username, @email, @password_hash, sqlc.narg(name))
RETURNING *;

-- name: GetUserByID :one
SELECT * FROM users WHERE id = @id;

-- name: GetUserByLogin :one
-- Finds an account by email or username, case-insensitively (both indexes are on lower()).
SELECT * FROM users
WHERE lower(email) = lower(@login::text) OR lower(username) = lower(@login::text)
ORDER BY (lower(email) = lower(@login::text)) DESC
LIMIT 1;

-- name: GetUserTokenVersion :one
-- The one lookup the auth middleware makes per authenticated request.
SELECT token_version FROM users WHERE id = @id;

-- name: GetUserProfile :one
-- A profile the viewer may not see (hidden_user, migration 00015) is no row.
SELECT sqlc.embed(u),
       EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = @viewer_id AND f.following_id = u.id) AS is_following
FROM users u
WHERE u.id = @id
  AND NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, u.id));

-- name: ListUsers :many
-- Newest first: users_created_at_id_idx.
SELECT sqlc.embed(u),
       EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = @viewer_id AND f.following_id = u.id) AS is_following
FROM users u
WHERE (u.created_at, u.id) < (@before_time::timestamptz, @before_id::bigint)
  AND NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, u.id))
ORDER BY u.created_at DESC, u.id DESC
LIMIT @lim;

-- name: SearchUsers :many
-- Prefix search on username or name as byte-wise ranges [@prefix, @prefix_end) over
-- users_username_prefix_idx and users_name_prefix_idx (text_pattern_ops on lower()). Unlike
-- LIKE with a parameter, a range keeps using the indexes in a generic (cached) plan.
SELECT sqlc.embed(u),
       EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = @viewer_id AND f.following_id = u.id) AS is_following
FROM users u
WHERE ((lower(u.username) ~>=~ @prefix::text AND lower(u.username) ~<~ @prefix_end::text)
    OR (lower(u.name) ~>=~ @prefix::text AND lower(u.name) ~<~ @prefix_end::text))
  AND (u.created_at, u.id) < (@before_time::timestamptz, @before_id::bigint)
  AND NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, u.id))
ORDER BY u.created_at DESC, u.id DESC
LIMIT @lim;

-- name: UserExists :one
SELECT EXISTS (SELECT 1 FROM users WHERE id = @id);

-- name: ListFollowers :many
-- Who follows @user_id, most recent first: follows_following_id_created_at_idx. Users the
-- viewer may not see are left out, and so is every row when @user_id is one (a check that
-- runs once: an empty page then, which the store answers with not_found).
SELECT u.id, u.username, u.name, u.avatar, f.created_at AS followed_at,
       EXISTS (SELECT 1 FROM follows v WHERE v.follower_id = @viewer_id AND v.following_id = u.id) AS is_following
FROM follows f
JOIN users u ON u.id = f.follower_id
WHERE f.following_id = @user_id
  AND (f.created_at, f.follower_id) < (@before_time::timestamptz, @before_id::bigint)
  AND NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, u.id))
  AND NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, @user_id::bigint))
ORDER BY f.created_at DESC, f.follower_id DESC
LIMIT @lim;

-- name: ListFollowing :many
-- Whom @user_id follows, most recent first: follows_follower_id_created_at_idx; visibility
-- as ListFollowers.
SELECT u.id, u.username, u.name, u.avatar, f.created_at AS followed_at,
       EXISTS (SELECT 1 FROM follows v WHERE v.follower_id = @viewer_id AND v.following_id = u.id) AS is_following
FROM follows f
JOIN users u ON u.id = f.following_id
WHERE f.follower_id = @user_id
  AND (f.created_at, f.following_id) < (@before_time::timestamptz, @before_id::bigint)
  AND NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, u.id))
  AND NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, @user_id::bigint))
ORDER BY f.created_at DESC, f.following_id DESC
LIMIT @lim;

-- name: Follow :execrows
INSERT INTO follows (follower_id, following_id) VALUES (@follower_id, @following_id)
ON CONFLICT DO NOTHING;

-- name: Unfollow :execrows
DELETE FROM follows WHERE follower_id = @follower_id AND following_id = @following_id;

-- name: FollowerCount :one
SELECT follower_count FROM users WHERE id = @id;

-- name: UpdateUserProfile :one
UPDATE users
SET name = CASE WHEN @set_name::boolean THEN sqlc.narg(name) ELSE name END,
    bio = CASE WHEN @set_bio::boolean THEN sqlc.narg(bio) ELSE bio END,
    avatar = CASE WHEN @set_avatar::boolean THEN sqlc.narg(avatar) ELSE avatar END,
    avatar_media = CASE WHEN @set_avatar::boolean THEN sqlc.narg(avatar_media) ELSE avatar_media END,
    avatar_small = CASE WHEN @set_avatar::boolean THEN sqlc.narg(avatar_small) ELSE avatar_small END
WHERE id = @id
RETURNING *;

-- name: UserAvatarMedia :one
-- The user's avatar files, row locked (avatar_small is owned only with avatar_media).
SELECT avatar_media, avatar_small FROM users WHERE id = @id FOR UPDATE;

-- name: DeleteUser :execrows
DELETE FROM users WHERE id = @id;

-- name: UserOwnedMedia :many
-- Every stored file the user owns: their avatar, their videos' files and their
-- storage-compatible uploads no video claimed yet.
SELECT owned.m::text AS name FROM (
    SELECT u.avatar_media AS m FROM users u WHERE u.id = @user_id::bigint
    UNION ALL SELECT u.avatar_small FROM users u WHERE u.id = @user_id::bigint AND u.avatar_media IS NOT NULL
    UNION ALL SELECT v.video_media FROM videos v WHERE v.user_id = @user_id::bigint
    UNION ALL SELECT v.thumbnail_media FROM videos v WHERE v.user_id = @user_id::bigint
    UNION ALL SELECT s.media_name FROM storage_objects s WHERE s.owner_id = @user_id::bigint AND NOT s.claimed
) owned
WHERE owned.m IS NOT NULL;

-- name: BumpTokenVersion :one
-- Revokes every token issued so far (logout, password change).
UPDATE users SET token_version = token_version + 1 WHERE id = @id
RETURNING token_version;

-- name: SetPassword :one
UPDATE users SET password_hash = @password_hash, token_version = token_version + 1 WHERE id = @id
RETURNING token_version;
