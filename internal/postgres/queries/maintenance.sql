-- Recount: set every denormalised counter to the COUNT(*) of its rows, set-based, touching
-- only rows that are wrong. Run in this order (users.like_count sums videos.like_count).
-- Used by `tiktok recount` and by the seed after bulk loading.

-- name: RecountVideoCounters :execrows
WITH l AS (SELECT video_id AS id, count(*) AS n FROM video_likes GROUP BY video_id),
     c AS (SELECT video_id AS id, count(*) AS n FROM comments GROUP BY video_id)
UPDATE videos v SET like_count = coalesce(l.n, 0), comment_count = coalesce(c.n, 0)
FROM videos x LEFT JOIN l ON l.id = x.id LEFT JOIN c ON c.id = x.id
WHERE v.id = x.id AND (v.like_count, v.comment_count) IS DISTINCT FROM (coalesce(l.n, 0), coalesce(c.n, 0));

-- name: RecountCommentCounters :execrows
WITH l AS (SELECT comment_id AS id, count(*) AS n FROM comment_likes GROUP BY comment_id)
UPDATE comments c SET like_count = coalesce(l.n, 0)
FROM comments x LEFT JOIN l ON l.id = x.id
WHERE c.id = x.id AND c.like_count <> coalesce(l.n, 0);

-- name: RecountUserCounters :execrows
WITH v AS (SELECT user_id AS id, count(*) AS n, sum(like_count) AS likes FROM videos GROUP BY user_id),
     fr AS (SELECT following_id AS id, count(*) AS n FROM follows GROUP BY following_id),
     fg AS (SELECT follower_id AS id, count(*) AS n FROM follows GROUP BY follower_id)
UPDATE users u SET video_count = coalesce(v.n, 0), like_count = coalesce(v.likes, 0),
                   follower_count = coalesce(fr.n, 0), following_count = coalesce(fg.n, 0)
FROM users x LEFT JOIN v ON v.id = x.id LEFT JOIN fr ON fr.id = x.id LEFT JOIN fg ON fg.id = x.id
WHERE u.id = x.id
  AND (u.video_count, u.like_count, u.follower_count, u.following_count)
      IS DISTINCT FROM (coalesce(v.n, 0), coalesce(v.likes, 0)::bigint, coalesce(fr.n, 0), coalesce(fg.n, 0));
