-- Recount: set every denormalised counter to the COUNT(*) of its rows, set-based, touching
-- only rows that are wrong. Run in this order (users.like_count sums videos.like_count).
-- Used by `tiktok recount` and by the seed after bulk loading.

-- name: RecountVideoCounters :execrows
-- comment_count: live comments, replies included; thread_count: top-level rows,
-- tombstones included (migration 00012).
WITH l AS (SELECT video_id AS id, count(*) AS n FROM video_likes GROUP BY video_id),
     c AS (SELECT video_id AS id, count(*) FILTER (WHERE deleted_at IS NULL) AS n,
                  count(*) FILTER (WHERE parent_id IS NULL) AS threads
           FROM comments GROUP BY video_id),
     b AS (SELECT video_id AS id, count(*) AS n FROM video_bookmarks GROUP BY video_id),
     s AS (SELECT video_id AS id, count(*) AS n FROM video_shares GROUP BY video_id)
UPDATE videos v SET like_count = coalesce(l.n, 0), comment_count = coalesce(c.n, 0), thread_count = coalesce(c.threads, 0),
                    bookmark_count = coalesce(b.n, 0), share_count = coalesce(s.n, 0)
FROM videos x LEFT JOIN l ON l.id = x.id LEFT JOIN c ON c.id = x.id
              LEFT JOIN b ON b.id = x.id LEFT JOIN s ON s.id = x.id
WHERE v.id = x.id
  AND (v.like_count, v.comment_count, v.thread_count, v.bookmark_count, v.share_count)
      IS DISTINCT FROM (coalesce(l.n, 0), coalesce(c.n, 0), coalesce(c.threads, 0), coalesce(b.n, 0), coalesce(s.n, 0));

-- name: RecountCommentCounters :execrows
WITH l AS (SELECT comment_id AS id, count(*) AS n FROM comment_likes GROUP BY comment_id),
     r AS (SELECT parent_id AS id, count(*) AS n FROM comments WHERE parent_id IS NOT NULL GROUP BY parent_id)
UPDATE comments c SET like_count = coalesce(l.n, 0), reply_count = coalesce(r.n, 0)
FROM comments x LEFT JOIN l ON l.id = x.id LEFT JOIN r ON r.id = x.id
WHERE c.id = x.id AND (c.like_count, c.reply_count) IS DISTINCT FROM (coalesce(l.n, 0), coalesce(r.n, 0));

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

-- name: RecountHashtagCounters :execrows
-- A tag's videos and the sum of their views (migration 00006). The trend score is a log of
-- uses, not a count: a deleted use still happened, so it is left alone, except where it is
-- 0 for a tag that has videos (rows bulk-loaded with the counting trigger off). There it is
-- set from the videos' creation times as log2 Σ 2^(t / 1 day), the trigger's formula, and
-- computed stably as max + log2 Σ 2^(t − max). A use more than 1000 days older than the
-- newest adds less than 2^-1000 to a sum of at least 1, nothing a double can hold, so its
-- exponent is clamped there (power() raises an error on underflow instead of giving 0).
WITH c AS (
    SELECT vh.hashtag_id AS id, count(*) AS n, sum(v.views)::bigint AS views
    FROM video_hashtags vh JOIN videos v ON v.id = vh.video_id
    GROUP BY vh.hashtag_id
),
z AS ( -- the uses of the tags whose trend score is 0, in days since the epoch
    SELECT vh.hashtag_id AS id, extract(epoch FROM v.created_at)::double precision / 86400 AS t
    FROM hashtags h JOIN video_hashtags vh ON vh.hashtag_id = h.id JOIN videos v ON v.id = vh.video_id
    WHERE h.trend_score = 0
),
tr AS (
    SELECT id, newest + ln(sum(power(2::double precision, greatest(t - newest, -1000)))) / ln(2) AS score
    FROM (SELECT id, t, max(t) OVER (PARTITION BY id) AS newest FROM z) w
    GROUP BY id, newest
)
UPDATE hashtags h SET video_count = coalesce(c.n, 0), view_count = coalesce(c.views, 0),
                      trend_score = coalesce(tr.score, x.trend_score)
FROM hashtags x LEFT JOIN c ON c.id = x.id LEFT JOIN tr ON tr.id = x.id
WHERE h.id = x.id
  AND (h.video_count, h.view_count, h.trend_score)
      IS DISTINCT FROM (coalesce(c.n, 0), coalesce(c.views, 0), coalesce(tr.score, x.trend_score));

-- name: RecountSoundCounters :execrows
WITH s AS (SELECT sound_id AS id, count(*) AS n FROM videos WHERE sound_id IS NOT NULL GROUP BY sound_id)
UPDATE sounds o SET video_count = coalesce(s.n, 0)
FROM sounds x LEFT JOIN s ON s.id = x.id
WHERE o.id = x.id AND o.video_count <> coalesce(s.n, 0);

-- name: CounterDrift :one
-- For every counter, how many rows hold a value other than the COUNT(*) of the rows it
-- counts; set-based (a few hash joins), so it stays fast on millions of rows.
WITH vl AS (SELECT video_id AS id, count(*) AS n FROM video_likes GROUP BY video_id),
     vc AS (SELECT video_id AS id, count(*) FILTER (WHERE deleted_at IS NULL) AS n,
                   count(*) FILTER (WHERE parent_id IS NULL) AS threads
            FROM comments GROUP BY video_id),
     cl AS (SELECT comment_id AS id, count(*) AS n FROM comment_likes GROUP BY comment_id),
     cr AS (SELECT parent_id AS id, count(*) AS n FROM comments WHERE parent_id IS NOT NULL GROUP BY parent_id),
     fr AS (SELECT following_id AS id, count(*) AS n FROM follows GROUP BY following_id),
     fg AS (SELECT follower_id AS id, count(*) AS n FROM follows GROUP BY follower_id),
     uv AS (SELECT user_id AS id, count(*) AS n FROM videos GROUP BY user_id),
     ul AS (SELECT v.user_id AS id, count(*) AS n FROM video_likes l JOIN videos v ON v.id = l.video_id GROUP BY v.user_id),
     ht AS (SELECT vh.hashtag_id AS id, count(*) AS n, sum(v.views) AS views
            FROM video_hashtags vh JOIN videos v ON v.id = vh.video_id GROUP BY vh.hashtag_id),
     sv AS (SELECT sound_id AS id, count(*) AS n FROM videos WHERE sound_id IS NOT NULL GROUP BY sound_id),
     vb AS (SELECT video_id AS id, count(*) AS n FROM video_bookmarks GROUP BY video_id),
     vs AS (SELECT video_id AS id, count(*) AS n FROM video_shares GROUP BY video_id)
SELECT
  (SELECT count(*) FROM videos v LEFT JOIN vl ON vl.id = v.id WHERE v.like_count <> coalesce(vl.n, 0))::bigint AS video_likes,
  (SELECT count(*) FROM videos v LEFT JOIN vc ON vc.id = v.id WHERE v.comment_count <> coalesce(vc.n, 0))::bigint AS video_comments,
  (SELECT count(*) FROM comments c LEFT JOIN cl ON cl.id = c.id WHERE c.like_count <> coalesce(cl.n, 0))::bigint AS comment_likes,
  (SELECT count(*) FROM users u LEFT JOIN fr ON fr.id = u.id WHERE u.follower_count <> coalesce(fr.n, 0))::bigint AS user_followers,
  (SELECT count(*) FROM users u LEFT JOIN fg ON fg.id = u.id WHERE u.following_count <> coalesce(fg.n, 0))::bigint AS user_following,
  (SELECT count(*) FROM users u LEFT JOIN uv ON uv.id = u.id WHERE u.video_count <> coalesce(uv.n, 0))::bigint AS user_videos,
  (SELECT count(*) FROM users u LEFT JOIN ul ON ul.id = u.id WHERE u.like_count <> coalesce(ul.n, 0))::bigint AS user_likes,
  (SELECT count(*) FROM hashtags h LEFT JOIN ht ON ht.id = h.id WHERE h.video_count <> coalesce(ht.n, 0))::bigint AS hashtag_videos,
  (SELECT count(*) FROM hashtags h LEFT JOIN ht ON ht.id = h.id WHERE h.view_count <> coalesce(ht.views, 0))::bigint AS hashtag_views,
  (SELECT count(*) FROM sounds s LEFT JOIN sv ON sv.id = s.id WHERE s.video_count <> coalesce(sv.n, 0))::bigint AS sound_videos,
  (SELECT count(*) FROM videos v LEFT JOIN vb ON vb.id = v.id WHERE v.bookmark_count <> coalesce(vb.n, 0))::bigint AS video_bookmarks,
  (SELECT count(*) FROM videos v LEFT JOIN vs ON vs.id = v.id WHERE v.share_count <> coalesce(vs.n, 0))::bigint AS video_shares,
  (SELECT count(*) FROM videos v LEFT JOIN vc ON vc.id = v.id WHERE v.thread_count <> coalesce(vc.threads, 0))::bigint AS video_threads,
  (SELECT count(*) FROM comments c LEFT JOIN cr ON cr.id = c.id WHERE c.reply_count <> coalesce(cr.n, 0))::bigint AS comment_replies;
