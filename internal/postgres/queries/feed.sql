-- name: ListFollowingInbox :many
-- The Following feed from the viewer's inbox (migration 00025), in one statement:
-- page: the inbox's primary key scanned backwards from the cursor down to the viewer's
--   horizon (feed_horizon), each entry through the visibility rule until @lim pass,
--   merged with the newest videos of the followed creators that are pulled (the viewer's
--   range of feed_pull_follows_pkey, migration 00027: few, by definition; each from
--   videos_user_id_created_at_id_idx).
--   Its cost does not depend on how many creators the viewer follows.
-- then, only when the page is short and the inbox has a horizon (a one-time filter: not
--   run otherwise), the rest from the pull query (every followed creator's newest videos,
--   merged, as ListFollowingVideos) below the horizon, where the inbox may lack entries.
WITH page AS MATERIALIZED (
    SELECT e.created_at, e.video_id FROM (
        (SELECT i.created_at, i.video_id
         FROM feed_inbox i
         WHERE i.user_id = @viewer_id
           AND (i.created_at, i.video_id) < (@before_time::timestamptz, @before_id::bigint)
           AND (i.created_at, i.video_id) >= (SELECT h.created_at, h.video_id FROM feed_horizon(@viewer_id::bigint) h)
           AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, i.video_id, i.creator_id))
         ORDER BY i.created_at DESC, i.video_id DESC
         LIMIT @lim)
        UNION
        (SELECT v.created_at, v.id
         FROM feed_pull_follows p
         CROSS JOIN LATERAL (
             SELECT vv.id, vv.created_at FROM videos vv
             WHERE vv.user_id = p.creator_id
               AND (vv.created_at, vv.id) < (@before_time::timestamptz, @before_id::bigint)
               AND (vv.created_at, vv.id) >= (SELECT h.created_at, h.video_id FROM feed_horizon(@viewer_id::bigint) h)
               AND NOT EXISTS (SELECT FROM moderated_video(@viewer_id::bigint, vv.id, vv.user_id))
             ORDER BY vv.created_at DESC, vv.id DESC
             LIMIT @lim
         ) v
         WHERE p.user_id = @viewer_id
           AND NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, p.creator_id)))
    ) e
    ORDER BY e.created_at DESC, e.video_id DESC
    LIMIT @lim
), horizon AS MATERIALIZED (
    SELECT h.created_at, h.video_id FROM feed_inbox_horizon h WHERE h.user_id = @viewer_id
)
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM video_likes l WHERE l.user_id = @viewer_id AND l.video_id = f.id), false)::boolean AS is_liked,
       coalesce((SELECT true FROM video_bookmarks b WHERE b.user_id = @viewer_id AND b.video_id = f.id), false)::boolean AS is_bookmarked
FROM video_feed f
WHERE f.id IN (
    SELECT pg.video_id FROM page pg
    UNION ALL
    (SELECT v.id
     FROM follows fo
     CROSS JOIN LATERAL (
         SELECT vv.id, vv.created_at FROM videos vv
         WHERE vv.user_id = fo.following_id
           AND (vv.created_at, vv.id) < (@before_time::timestamptz, @before_id::bigint)
           AND (vv.created_at, vv.id) < (SELECT hz.created_at, hz.video_id FROM horizon hz)
           AND NOT EXISTS (SELECT FROM moderated_video(@viewer_id::bigint, vv.id, vv.user_id))
         ORDER BY vv.created_at DESC, vv.id DESC
         LIMIT @lim
     ) v
     WHERE fo.follower_id = @viewer_id
       AND (SELECT count(*) FROM page) < @lim
       AND EXISTS (SELECT FROM horizon)
       AND NOT EXISTS (SELECT FROM hidden_user(@viewer_id::bigint, fo.following_id))
     ORDER BY v.created_at DESC, v.id DESC
     LIMIT @lim)
)
ORDER BY f.created_at DESC, f.id DESC
LIMIT @lim;

-- name: SetFeedFanoutMaxFollowers :exec
UPDATE feed_settings SET fanout_max_followers = @max_followers WHERE fanout_max_followers <> @max_followers;

-- name: RebalanceFeed :one
SELECT feed_rebalance()::bigint;

-- name: BuildFeedInboxes :one
SELECT feed_build_inboxes()::bigint;

-- name: BuildFeedPullFollows :one
SELECT feed_build_pull_follows()::bigint;
