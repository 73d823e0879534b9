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

-- name: CounterDrift :one
-- For every counter, how many rows hold a value other than the COUNT(*) of the rows it
-- counts; set-based (a few hash joins), so it stays fast on millions of rows.
WITH vl AS (SELECT video_id AS id, count(*) AS n FROM video_likes GROUP BY video_id),
     vc AS (SELECT video_id AS id, count(*) AS n FROM comments GROUP BY video_id),
     cl AS (SELECT comment_id AS id, count(*) AS n FROM comment_likes GROUP BY comment_id),
     fr AS (SELECT following_id AS id, count(*) AS n FROM follows GROUP BY following_id),
     fg AS (SELECT follower_id AS id, count(*) AS n FROM follows GROUP BY follower_id),
     uv AS (SELECT user_id AS id, count(*) AS n FROM videos GROUP BY user_id),
     ul AS (SELECT v.user_id AS id, count(*) AS n FROM video_likes l JOIN videos v ON v.id = l.video_id GROUP BY v.user_id)
SELECT
  (SELECT count(*) FROM videos v LEFT JOIN vl ON vl.id = v.id WHERE v.like_count <> coalesce(vl.n, 0))::bigint AS video_likes,
  (SELECT count(*) FROM videos v LEFT JOIN vc ON vc.id = v.id WHERE v.comment_count <> coalesce(vc.n, 0))::bigint AS video_comments,
  (SELECT count(*) FROM comments c LEFT JOIN cl ON cl.id = c.id WHERE c.like_count <> coalesce(cl.n, 0))::bigint AS comment_likes,
  (SELECT count(*) FROM users u LEFT JOIN fr ON fr.id = u.id WHERE u.follower_count <> coalesce(fr.n, 0))::bigint AS user_followers,
  (SELECT count(*) FROM users u LEFT JOIN fg ON fg.id = u.id WHERE u.following_count <> coalesce(fg.n, 0))::bigint AS user_following,
  (SELECT count(*) FROM users u LEFT JOIN uv ON uv.id = u.id WHERE u.video_count <> coalesce(uv.n, 0))::bigint AS user_videos,
  (SELECT count(*) FROM users u LEFT JOIN ul ON ul.id = u.id WHERE u.like_count <> coalesce(ul.n, 0))::bigint AS user_likes;
