-- The For You feed (see foryou.go for how the candidates are scored and arranged).
--
-- Every source applies the same filter before its LIMIT, so a source scans past what the
-- viewer must not get instead of coming back empty:
--   not the viewer's own video, not already in the session (@exclude, as NOT IN a subquery so
--   that it is one hashed lookup per row: 0.4 ms past 1 000 ids, against 2.7 ms for
--   "<> ALL (array)", which compares with every element), not seen (while
--   @skip_seen), not marked "not interested", not by a hidden creator, and visible to the
--   viewer (hidden_video, migration 00015: not hidden by a moderator, no block between
--   the two, the creator not suspended).
-- For an anonymous viewer (@viewer_id = 0) the per-viewer probes are skipped at run time.

-- name: ForYouCandidates :many
WITH half_life AS (
    SELECT interest_half_life_seconds AS s FROM feed_ranking
), my_creators AS MATERIALIZED (
    -- the viewer's interests, read once (primary key ranges) and joined by hash: per
    -- candidate lookups cost more than the whole of these small sets
    SELECT ci.creator_id, ci.weight * power(2::double precision,
               -extract(epoch FROM now() - ci.updated_at)::double precision / (SELECT s FROM half_life)) AS w
    FROM creator_interests ci WHERE ci.user_id = @viewer_id::bigint
), my_tags AS MATERIALIZED (
    SELECT hi.hashtag_id, hi.weight * power(2::double precision,
               -extract(epoch FROM now() - hi.updated_at)::double precision / (SELECT s FROM half_life)) AS w
    FROM hashtag_interests hi WHERE hi.user_id = @viewer_id::bigint
), my_follows AS MATERIALIZED (
    SELECT f.following_id FROM follows f WHERE f.follower_id = @viewer_id::bigint
), hot AS (
    -- the global ranking: videos_hot_rank_id_idx, read from the top
    SELECT v.id FROM videos v
    WHERE v.user_id <> @viewer_id::bigint
      AND v.id NOT IN (SELECT unnest(@exclude::bigint[]))
      AND NOT (@viewer_id::bigint > 0 AND @skip_seen::boolean
               AND EXISTS (SELECT 1 FROM video_impressions i WHERE i.user_id = @viewer_id::bigint AND i.video_id = v.id))
      AND NOT (@viewer_id::bigint > 0 AND EXISTS (SELECT 1 FROM video_feedback f WHERE f.user_id = @viewer_id::bigint AND f.video_id = v.id))
      AND NOT (@viewer_id::bigint > 0 AND EXISTS (SELECT 1 FROM hidden_creators h WHERE h.user_id = @viewer_id::bigint AND h.creator_id = v.user_id))
      AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id))
    ORDER BY v.hot_rank DESC, v.id DESC
    LIMIT @hot_limit
), followed AS (
    -- the newest videos of the 50 most recently followed creators: follows_follower_id_created_at_idx,
    -- then videos_user_id_created_at_id_idx per creator
    SELECT fv.id
    FROM (SELECT fo.following_id FROM follows fo WHERE fo.follower_id = @viewer_id::bigint
          ORDER BY fo.created_at DESC, fo.following_id DESC LIMIT 50) fo
    CROSS JOIN LATERAL (
        SELECT v.id FROM videos v
        WHERE v.user_id = fo.following_id
          AND v.id NOT IN (SELECT unnest(@exclude::bigint[]))
          AND NOT (@skip_seen::boolean
                   AND EXISTS (SELECT 1 FROM video_impressions i WHERE i.user_id = @viewer_id::bigint AND i.video_id = v.id))
          AND NOT EXISTS (SELECT 1 FROM video_feedback f WHERE f.user_id = @viewer_id::bigint AND f.video_id = v.id)
          AND NOT EXISTS (SELECT 1 FROM hidden_creators h WHERE h.user_id = @viewer_id::bigint AND h.creator_id = v.user_id)
          AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id))
        ORDER BY v.created_at DESC, v.id DESC
        LIMIT 2
    ) fv
), liked_creators AS (
    -- the viewer's 10 strongest creator interests now
    SELECT mc.creator_id FROM my_creators mc WHERE mc.w > 0 ORDER BY mc.w DESC LIMIT 10
), creator_videos AS (
    SELECT cv.id
    FROM liked_creators lc
    CROSS JOIN LATERAL (
        SELECT v.id FROM videos v
        WHERE v.user_id = lc.creator_id
          AND v.id NOT IN (SELECT unnest(@exclude::bigint[]))
          AND NOT (@skip_seen::boolean
                   AND EXISTS (SELECT 1 FROM video_impressions i WHERE i.user_id = @viewer_id::bigint AND i.video_id = v.id))
          AND NOT EXISTS (SELECT 1 FROM video_feedback f WHERE f.user_id = @viewer_id::bigint AND f.video_id = v.id)
          AND NOT EXISTS (SELECT 1 FROM hidden_creators h WHERE h.user_id = @viewer_id::bigint AND h.creator_id = v.user_id)
          AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id))
        ORDER BY v.created_at DESC, v.id DESC
        LIMIT 2
    ) cv
), liked_tags AS (
    -- the viewer's 5 strongest hashtag interests now
    SELECT mt.hashtag_id FROM my_tags mt WHERE mt.w > 0 ORDER BY mt.w DESC LIMIT 5
), tag_videos AS (
    -- each tag's best-ranked videos: video_hashtags_rank_idx
    SELECT tv.video_id AS id
    FROM liked_tags lt
    CROSS JOIN LATERAL (
        SELECT vh.video_id FROM video_hashtags vh JOIN videos v ON v.id = vh.video_id
        WHERE vh.hashtag_id = lt.hashtag_id
          AND v.user_id <> @viewer_id::bigint
          AND vh.video_id NOT IN (SELECT unnest(@exclude::bigint[]))
          AND NOT (@skip_seen::boolean
                   AND EXISTS (SELECT 1 FROM video_impressions i WHERE i.user_id = @viewer_id::bigint AND i.video_id = vh.video_id))
          AND NOT EXISTS (SELECT 1 FROM video_feedback f WHERE f.user_id = @viewer_id::bigint AND f.video_id = vh.video_id)
          AND NOT EXISTS (SELECT 1 FROM hidden_creators h WHERE h.user_id = @viewer_id::bigint AND h.creator_id = v.user_id)
          AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, vh.video_id, v.user_id))
        ORDER BY vh.hot_rank DESC, vh.video_id DESC
        LIMIT 6
    ) tv
), fresh AS (
    -- new videos with few views, for the discovery slot: videos_created_at_id_idx from the
    -- newest (new videos have few views, so the scan stops early)
    SELECT v.id FROM videos v
    WHERE v.views < @fresh_max_views::bigint
      AND v.created_at > @fresh_since::timestamptz
      AND v.user_id <> @viewer_id::bigint
      AND v.id NOT IN (SELECT unnest(@exclude::bigint[]))
      AND NOT (@viewer_id::bigint > 0 AND @skip_seen::boolean
               AND EXISTS (SELECT 1 FROM video_impressions i WHERE i.user_id = @viewer_id::bigint AND i.video_id = v.id))
      AND NOT (@viewer_id::bigint > 0 AND EXISTS (SELECT 1 FROM video_feedback f WHERE f.user_id = @viewer_id::bigint AND f.video_id = v.id))
      AND NOT (@viewer_id::bigint > 0 AND EXISTS (SELECT 1 FROM hidden_creators h WHERE h.user_id = @viewer_id::bigint AND h.creator_id = v.user_id))
      AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, v.id, v.user_id))
    ORDER BY v.created_at DESC, v.id DESC
    LIMIT @fresh_limit
), cand AS (
    SELECT hot.id, true AS from_hot FROM hot
    UNION ALL SELECT followed.id, false FROM followed
    UNION ALL SELECT creator_videos.id, false FROM creator_videos
    UNION ALL SELECT tag_videos.id, false FROM tag_videos
    UNION ALL SELECT fresh.id, false FROM fresh
), ids AS MATERIALIZED (
    SELECT cand.id, bool_or(cand.from_hot) AS from_hot FROM cand GROUP BY cand.id
), tag_scores AS (
    -- per candidate, its tags (video_hashtags_pkey) the viewer has an interest in; driven
    -- from the candidates, never from the tags (a popular tag has 10^5 videos)
    SELECT ids.id AS video_id,
           (SELECT sum(mt.w) FROM video_hashtags vh JOIN my_tags mt ON mt.hashtag_id = vh.hashtag_id
            WHERE vh.video_id = ids.id) AS w
    FROM ids
)
SELECT v.id, v.user_id, v.hot_rank, v.created_at, v.views, ids.from_hot,
       (mf.following_id IS NOT NULL)::boolean AS followed,
       coalesce(mc.w, 0)::double precision AS creator_interest,
       coalesce(ts.w, 0)::double precision AS tag_interest
FROM ids
JOIN videos v ON v.id = ids.id
LEFT JOIN my_follows mf ON mf.following_id = v.user_id
LEFT JOIN my_creators mc ON mc.creator_id = v.user_id
LEFT JOIN tag_scores ts ON ts.video_id = v.id;

-- name: CreateFeedSession :exec
INSERT INTO feed_sessions (id, user_id, video_ids, creator_ids, since_fresh, stage)
VALUES (@id, sqlc.narg(user_id), @video_ids::bigint[], @creator_ids::bigint[], @since_fresh, @stage);

-- name: GetFeedSession :one
-- feed_sessions_pkey; a session belongs to its viewer (NULL: the anonymous one).
SELECT video_ids, creator_ids, since_fresh, stage FROM feed_sessions
WHERE id = @id AND user_id IS NOT DISTINCT FROM sqlc.narg(user_id);

-- name: LockFeedSession :one
SELECT video_ids, creator_ids, since_fresh, stage FROM feed_sessions
WHERE id = @id AND user_id IS NOT DISTINCT FROM sqlc.narg(user_id)
FOR UPDATE;

-- name: ExtendFeedSession :exec
UPDATE feed_sessions
SET video_ids = video_ids || @video_ids::bigint[], creator_ids = creator_ids || @creator_ids::bigint[],
    since_fresh = @since_fresh, stage = @stage
WHERE id = @id;

-- name: DeleteOldFeedSessions :execrows
-- feed_sessions_created_at_idx
DELETE FROM feed_sessions WHERE created_at < @before;

-- name: MarkSeen :execrows
-- Impressions of (user, video) pairs; unknown users or videos are skipped.
INSERT INTO video_impressions (user_id, video_id)
SELECT p.user_id, p.video_id
FROM (SELECT unnest(@user_ids::bigint[]) AS user_id, unnest(@video_ids::bigint[]) AS video_id) p
WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id)
  AND EXISTS (SELECT 1 FROM videos v WHERE v.id = p.video_id)
ORDER BY p.user_id, p.video_id
ON CONFLICT (user_id, video_id) DO NOTHING;

-- name: AddInterest :exec
SELECT add_interest(@user_id, @video_id, @delta::double precision);

-- name: MarkNotInterested :one
-- The video's creator, or no row for an unknown video.
WITH v AS (SELECT id, user_id FROM videos WHERE id = @video_id),
     f AS (INSERT INTO video_feedback (user_id, video_id) SELECT @user_id, v.id FROM v
           ON CONFLICT (user_id, video_id) DO NOTHING)
SELECT v.user_id FROM v;

-- name: LowerInterest :exec
-- "Not interested": the creator and the video's tags change by @change (negative; rows are created when
-- missing, unlike add_interest's negative path), in key order.
WITH h AS (SELECT interest_half_life_seconds AS s FROM feed_ranking),
     c AS (
        INSERT INTO creator_interests AS ci (user_id, creator_id, weight)
        SELECT @user_id, v.user_id, @change::double precision FROM videos v WHERE v.id = @video_id AND v.user_id <> @user_id
        ON CONFLICT (user_id, creator_id) DO UPDATE
        SET weight = ci.weight * power(2::double precision, -extract(epoch FROM now() - ci.updated_at)::double precision / (SELECT s FROM h)) + @change::double precision,
            updated_at = now())
INSERT INTO hashtag_interests AS hi (user_id, hashtag_id, weight)
SELECT @user_id, vh.hashtag_id, @change::double precision FROM video_hashtags vh WHERE vh.video_id = @video_id ORDER BY vh.hashtag_id
ON CONFLICT (user_id, hashtag_id) DO UPDATE
SET weight = hi.weight * power(2::double precision, -extract(epoch FROM now() - hi.updated_at)::double precision / (SELECT s FROM h)) + @change::double precision,
    updated_at = now();

-- name: HideCreator :execrows
INSERT INTO hidden_creators (user_id, creator_id) VALUES (@user_id, @creator_id)
ON CONFLICT DO NOTHING;

-- name: UnhideCreator :execrows
DELETE FROM hidden_creators WHERE user_id = @user_id AND creator_id = @creator_id;

-- name: RankingSettings :one
SELECT like_weight, comment_weight, view_weight, share_weight, half_life_seconds, interest_half_life_seconds FROM feed_ranking;

-- name: SetRankingSettings :execrows
-- Writes the weights when they differ; a row back means the ranks must be recomputed.
UPDATE feed_ranking
SET like_weight = @like_weight, comment_weight = @comment_weight, view_weight = @view_weight,
    share_weight = @share_weight,
    half_life_seconds = @half_life_seconds, interest_half_life_seconds = @interest_half_life_seconds
WHERE (like_weight, comment_weight, view_weight, share_weight, half_life_seconds, interest_half_life_seconds)
      IS DISTINCT FROM (@like_weight::double precision, @comment_weight::double precision, @view_weight::double precision,
                        @share_weight::double precision,
                        @half_life_seconds::double precision, @interest_half_life_seconds::double precision);

-- name: RerankVideos :execrows
-- After the weights changed: every video's rank again (the trigger copies it to its tags).
UPDATE videos SET hot_rank = video_hot_rank(created_at, like_count, comment_count, views, share_count)
WHERE hot_rank IS DISTINCT FROM video_hot_rank(created_at, like_count, comment_count, views, share_count);

-- name: PruneInterests :execrows
-- Interests that decayed to nothing (|weight now| < 0.01) are forgotten.
WITH h AS (SELECT interest_half_life_seconds AS s FROM feed_ranking)
DELETE FROM creator_interests ci
WHERE ci.updated_at < now() - make_interval(secs => (SELECT s FROM h) * 4)
  AND abs(ci.weight * power(2::double precision, -extract(epoch FROM now() - ci.updated_at)::double precision / (SELECT s FROM h))) < 0.01;

-- name: PruneHashtagInterests :execrows
WITH h AS (SELECT interest_half_life_seconds AS s FROM feed_ranking)
DELETE FROM hashtag_interests hi
WHERE hi.updated_at < now() - make_interval(secs => (SELECT s FROM h) * 4)
  AND abs(hi.weight * power(2::double precision, -extract(epoch FROM now() - hi.updated_at)::double precision / (SELECT s FROM h))) < 0.01;
