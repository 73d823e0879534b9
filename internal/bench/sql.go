package bench

// sqlText holds the statements the handlers on the hot paths send, exactly as sqlc generated
// them into internal/postgres/internal/db (which this package may not import);
// TestSQLMatchesSqlc fails when they drift apart. The pgbench scripts and the EXPLAINs are
// built from these.
var sqlText = map[string]string{
	"ListVideos": `SELECT f.id, f.user_id, f.caption, f.video_url, f.thumbnail_url, f.audio_name, f.video_storage_path, f.thumbnail_storage_path, f.video_media, f.thumbnail_media, f.views, f.like_count, f.comment_count, f.created_at, f.updated_at, f.author_username, f.author_name, f.author_avatar,
       EXISTS (SELECT 1 FROM video_likes l WHERE l.user_id = $1 AND l.video_id = f.id) AS is_liked
FROM video_feed f
WHERE (f.created_at, f.id) < ($2::timestamptz, $3::bigint)
ORDER BY f.created_at DESC, f.id DESC
LIMIT $4`,
	"ListFollowingVideos": `SELECT f.id, f.user_id, f.caption, f.video_url, f.thumbnail_url, f.audio_name, f.video_storage_path, f.thumbnail_storage_path, f.video_media, f.thumbnail_media, f.views, f.like_count, f.comment_count, f.created_at, f.updated_at, f.author_username, f.author_name, f.author_avatar,
       EXISTS (SELECT 1 FROM video_likes l WHERE l.user_id = $1 AND l.video_id = f.id) AS is_liked
FROM video_feed f
WHERE f.id IN (
    SELECT v.id
    FROM follows fo
    CROSS JOIN LATERAL (
        SELECT vv.id, vv.created_at FROM videos vv
        WHERE vv.user_id = fo.following_id
          AND (vv.created_at, vv.id) < ($2::timestamptz, $3::bigint)
        ORDER BY vv.created_at DESC, vv.id DESC
        LIMIT $4
    ) v
    WHERE fo.follower_id = $1
    ORDER BY v.created_at DESC, v.id DESC
    LIMIT $4
)
ORDER BY f.created_at DESC, f.id DESC`,
	"ListUserVideos": `SELECT f.id, f.user_id, f.caption, f.video_url, f.thumbnail_url, f.audio_name, f.video_storage_path, f.thumbnail_storage_path, f.video_media, f.thumbnail_media, f.views, f.like_count, f.comment_count, f.created_at, f.updated_at, f.author_username, f.author_name, f.author_avatar,
       EXISTS (SELECT 1 FROM video_likes l WHERE l.user_id = $1 AND l.video_id = f.id) AS is_liked
FROM video_feed f
WHERE f.user_id = $2
  AND (f.created_at, f.id) < ($3::timestamptz, $4::bigint)
ORDER BY f.created_at DESC, f.id DESC
LIMIT $5`,
	"GetVideo": `SELECT f.id, f.user_id, f.caption, f.video_url, f.thumbnail_url, f.audio_name, f.video_storage_path, f.thumbnail_storage_path, f.video_media, f.thumbnail_media, f.views, f.like_count, f.comment_count, f.created_at, f.updated_at, f.author_username, f.author_name, f.author_avatar,
       EXISTS (SELECT 1 FROM video_likes l WHERE l.user_id = $1 AND l.video_id = f.id) AS is_liked
FROM video_feed f
WHERE f.id = $2`,
	"ListVideoComments": `SELECT f.id, f.user_id, f.video_id, f.content, f.like_count, f.created_at, f.updated_at, f.author_username, f.author_name, f.author_avatar,
       EXISTS (SELECT 1 FROM comment_likes l WHERE l.user_id = $1 AND l.comment_id = f.id) AS is_liked
FROM comment_feed f
WHERE f.video_id = $2
  AND (f.created_at, f.id) < ($3::timestamptz, $4::bigint)
ORDER BY f.created_at DESC, f.id DESC
LIMIT $5`,
	"VideoCommentCount": `SELECT comment_count FROM videos WHERE id = $1`,
	"VideoExists":       `SELECT EXISTS (SELECT 1 FROM videos WHERE id = $1)`,
	"GetUserProfile": `SELECT u.id, u.username, u.email, u.password_hash, u.name, u.bio, u.avatar, u.avatar_media, u.token_version, u.follower_count, u.following_count, u.video_count, u.like_count, u.created_at, u.updated_at,
       EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.following_id = u.id) AS is_following
FROM users u
WHERE u.id = $2`,
	"UserExists":          `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`,
	"GetUserTokenVersion": `SELECT token_version FROM users WHERE id = $1`,
	"GetUserByLogin": `SELECT id, username, email, password_hash, name, bio, avatar, avatar_media, token_version, follower_count, following_count, video_count, like_count, created_at, updated_at FROM users
WHERE lower(email) = lower($1::text) OR lower(username) = lower($1::text)
ORDER BY (lower(email) = lower($1::text)) DESC
LIMIT 1`,
	"LikeVideo": `INSERT INTO video_likes (user_id, video_id) VALUES ($1, $2)
ON CONFLICT DO NOTHING`,
	"UnlikeVideo":    `DELETE FROM video_likes WHERE user_id = $1 AND video_id = $2`,
	"VideoLikeCount": `SELECT like_count FROM videos WHERE id = $1`,
	"CreateComment": `INSERT INTO comments (user_id, video_id, content) VALUES ($1, $2, $3)
RETURNING id`,
	"GetComment": `SELECT f.id, f.user_id, f.video_id, f.content, f.like_count, f.created_at, f.updated_at, f.author_username, f.author_name, f.author_avatar,
       EXISTS (SELECT 1 FROM comment_likes l WHERE l.user_id = $1 AND l.comment_id = f.id) AS is_liked,
       v.caption AS video_caption, v.thumbnail_url AS video_thumbnail_url, v.user_id AS video_owner_id
FROM comment_feed f
JOIN videos v ON v.id = f.video_id
WHERE f.id = $2`,
	"AddVideoViews": `UPDATE videos v SET views = v.views + d.n
FROM (SELECT unnest($1::bigint[]) AS id, unnest($2::bigint[]) AS n) d
WHERE v.id = d.id`,
}
