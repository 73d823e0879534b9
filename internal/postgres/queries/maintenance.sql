-- name: RecountCounters :one
-- Sets every denormalised counter to the COUNT(*) of its rows and returns how many rows
-- were wrong. Run by `tiktok recount`.
WITH
vl AS (
    UPDATE videos v SET like_count = c.n
    FROM (SELECT v2.id, count(l.video_id) AS n FROM videos v2 LEFT JOIN video_likes l ON l.video_id = v2.id GROUP BY v2.id) c
    WHERE v.id = c.id AND v.like_count <> c.n RETURNING 1
),
vc AS (
    UPDATE videos v SET comment_count = c.n
    FROM (SELECT v2.id, count(cm.id) AS n FROM videos v2 LEFT JOIN comments cm ON cm.video_id = v2.id GROUP BY v2.id) c
    WHERE v.id = c.id AND v.comment_count <> c.n RETURNING 1
),
cl AS (
    UPDATE comments cm SET like_count = c.n
    FROM (SELECT c2.id, count(l.comment_id) AS n FROM comments c2 LEFT JOIN comment_likes l ON l.comment_id = c2.id GROUP BY c2.id) c
    WHERE cm.id = c.id AND cm.like_count <> c.n RETURNING 1
),
uc AS (
    UPDATE users u SET
        follower_count = c.followers, following_count = c.following,
        video_count = c.videos, like_count = c.likes
    FROM (
        SELECT u2.id,
            (SELECT count(*) FROM follows f WHERE f.following_id = u2.id) AS followers,
            (SELECT count(*) FROM follows f WHERE f.follower_id = u2.id) AS following,
            (SELECT count(*) FROM videos v WHERE v.user_id = u2.id) AS videos,
            (SELECT count(*) FROM video_likes l JOIN videos v ON v.id = l.video_id WHERE v.user_id = u2.id) AS likes
        FROM users u2
    ) c
    WHERE u.id = c.id
      AND (u.follower_count, u.following_count, u.video_count, u.like_count) IS DISTINCT FROM (c.followers, c.following, c.videos, c.likes)
    RETURNING 1
)
SELECT ((SELECT count(*) FROM vl) + (SELECT count(*) FROM vc) + (SELECT count(*) FROM cl) + (SELECT count(*) FROM uc))::bigint AS fixed;
