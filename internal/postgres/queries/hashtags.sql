-- Hashtags: the store parses a caption's tags (tiktok.Hashtags) and keeps video_hashtags
-- equal to them in the transaction that writes the caption; the triggers of migration
-- 00006 keep the counters and the copied hot rank.
--
-- Lock order. Every writer takes the rows it changes in one order, so that writers can
-- wait for each other but never in a cycle. First the dictionary rows (new tags in name
-- order, then the sound), holding no other lock yet; then, of the counter rows: videos by
-- id, their owner (users), sounds by id, hashtags by id. Triggers take them in that order
-- or the writer locks them beforehand (LockVideos, LockUser, LockSounds, LockHashtags…).

-- name: UpsertHashtags :many
-- Creates the tags that do not exist yet, in byte order of their names, so that
-- transactions creating the same new tags queue in one order (hashtags_name_key), and
-- returns the id of every tag that was inserted or visible when the statement started. A
-- tag another transaction committed while this one waited for it is missing from the
-- result: HashtagIDsByName finds it.
WITH input AS (
    SELECT DISTINCT n FROM unnest(@names::text[]) AS n
), ins AS (
    INSERT INTO hashtags (name)
    SELECT n FROM input ORDER BY n COLLATE "C"
    ON CONFLICT (name) DO NOTHING
    RETURNING id, name
)
SELECT ins.id, ins.name FROM ins
UNION ALL
SELECT h.id, h.name FROM hashtags h JOIN input ON h.name = input.n;

-- name: HashtagIDsByName :many
-- hashtags_name_key (equality on name; the planner may take hashtags_name_prefix_idx,
-- the same btree order for '=').
SELECT id, name FROM hashtags WHERE name = ANY (@names::text[]);

-- name: LockHashtagChanges :many
-- Locks, in id order (hashtags_pkey), the counter rows that giving video @video_id exactly
-- the tags @ids changes: the tags it loses and the tags it gains (video_hashtags primary
-- key). Returns their ids; none means the video already has exactly these tags.
WITH old AS (
    SELECT hashtag_id AS id FROM video_hashtags WHERE video_id = @video_id
), new AS (
    SELECT unnest(@ids::bigint[]) AS id
), changed AS (
    (SELECT id FROM old EXCEPT SELECT id FROM new)
    UNION
    (SELECT id FROM new EXCEPT SELECT id FROM old)
)
SELECT h.id FROM hashtags h
WHERE h.id IN (SELECT id FROM changed)
ORDER BY h.id
FOR NO KEY UPDATE OF h;

-- name: UntagVideo :exec
-- Removes the tags of @video_id that are not in @ids (video_hashtags primary key).
DELETE FROM video_hashtags
WHERE video_id = @video_id AND hashtag_id <> ALL (@ids::bigint[]);

-- name: TagVideo :exec
-- Gives @video_id the tags @ids it does not have yet, in id order (video_hashtags
-- primary key decides what it has).
INSERT INTO video_hashtags (video_id, hashtag_id)
SELECT @video_id, id FROM unnest(@ids::bigint[]) AS id ORDER BY id
ON CONFLICT DO NOTHING;

-- name: LockVideosHashtags :exec
-- Locks the counter rows of the tags of videos @ids in id order (video_hashtags primary
-- key, hashtags_pkey), before the videos are deleted or their views added.
SELECT h.id FROM hashtags h
WHERE h.id IN (SELECT vh.hashtag_id FROM video_hashtags vh WHERE vh.video_id = ANY (@ids::bigint[]))
ORDER BY h.id
FOR NO KEY UPDATE OF h;

-- name: HashtagByName :one
-- hashtags_name_key or hashtags_name_prefix_idx (both serve '=' on name).
SELECT id, name, video_count, view_count FROM hashtags WHERE name = @name;

-- name: TrendingHashtags :many
-- By recent use with decay (trend_score, see migration 00006): hashtags_trend_idx
-- (trend_score DESC, id DESC); tags that no video carries any more are skipped.
SELECT id, name, video_count, view_count
FROM hashtags
WHERE video_count > 0
ORDER BY trend_score DESC, id DESC
LIMIT @lim;

-- name: HashtagVideoCandidates :many
-- Candidates for a tag page, each with its creator and rank (videos_pkey): the videos of
-- @deferred the tag still has, one primary key probe each (video_hashtags_pkey; as a
-- semi-join the generic plan would read the tag's whole range of
-- video_hashtags_rank_idx, 45 ms for a tag of 160 000 videos), then the next @lim videos
-- of the tag after the cursor by rank, skipping @exclude and what the viewer may not see
-- (video_hashtags_rank_idx (hashtag_id, hot_rank DESC, video_id DESC), index only, then
-- videos_pkey for the owner and hidden_video's probes, migration 00015). The caller orders
-- them.
SELECT c.video_id, coalesce(c.hot_rank, v.hot_rank)::float8 AS hot_rank, v.user_id, c.deferred
FROM (
    SELECT d.id::bigint AS video_id, NULL::float8 AS hot_rank, true AS deferred
    FROM unnest(@deferred::bigint[]) AS d (id)
    CROSS JOIN LATERAL (
        SELECT 1 FROM video_hashtags x WHERE x.video_id = d.id AND x.hashtag_id = @hashtag_id LIMIT 1
    ) tagged
    UNION ALL
    (SELECT vh.video_id, vh.hot_rank, false AS deferred
     FROM video_hashtags vh
     WHERE vh.hashtag_id = @hashtag_id
       AND (vh.hot_rank, vh.video_id) < (@after_rank::float8, @after_id::bigint)
       AND vh.video_id <> ALL (@exclude::bigint[])
       -- a filter per row of the ordered range (not a join, which a generic plan turned
       -- into a hash join over the whole tag: 2 s for a tag of 100 000 videos)
       AND NOT EXISTS (SELECT FROM videos o WHERE o.id = vh.video_id
                       AND EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, o.id, o.user_id)))
     ORDER BY vh.hot_rank DESC, vh.video_id DESC
     LIMIT @lim)
) c
JOIN videos v ON v.id = c.video_id;

-- name: VideosByIDs :many
-- The videos @ids the viewer may see (hidden_video, migration 00015), in no particular
-- order (videos_pkey).
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM video_likes l WHERE l.user_id = @viewer_id AND l.video_id = f.id), false)::boolean AS is_liked,
       coalesce((SELECT true FROM video_bookmarks b WHERE b.user_id = @viewer_id AND b.video_id = f.id), false)::boolean AS is_bookmarked
FROM video_feed f
WHERE f.id = ANY (@ids::bigint[])
  AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, f.id, f.user_id));
