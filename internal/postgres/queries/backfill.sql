-- The discovery backfill (migration 00009, backfill.go).

-- name: LockBackfill :one
-- The position, locked; SKIP LOCKED: another server is on it, or no row: nothing to do.
SELECT below_id FROM discovery_backfill FOR UPDATE SKIP LOCKED;

-- name: BackfillBatch :many
-- The next videos below the position, newest first (videos_pkey).
SELECT id, caption, audio_name, sound_id FROM videos
WHERE id < @below_id
ORDER BY id DESC
LIMIT @lim;

-- name: SetVideoSound :exec
UPDATE videos SET sound_id = @sound_id WHERE id = @id;

-- name: MoveBackfill :exec
UPDATE discovery_backfill SET below_id = @below_id;

-- name: FinishBackfill :exec
DELETE FROM discovery_backfill;

-- name: RecomputeTrends :execrows
-- Every tag's trend as if each of its videos had been tagged when it was posted:
-- log2 Σ 2^(t/1 day), computed as max + log2 Σ 2^(t − max) so that it cannot overflow (the
-- exponent clamped at −1000, where power() would raise an underflow error).
-- (The backfill tags old videos now, which the trigger counts as uses now.)
WITH u AS (
    SELECT vh.hashtag_id, extract(epoch FROM v.created_at)::double precision / 86400 AS t
    FROM video_hashtags vh JOIN videos v ON v.id = vh.video_id
), m AS (
    SELECT hashtag_id, max(t) AS mx FROM u GROUP BY hashtag_id
), s AS (
    SELECT u.hashtag_id, m.mx + ln(sum(power(2::double precision, greatest(u.t - m.mx, -1000)))) / ln(2) AS score
    FROM u JOIN m USING (hashtag_id)
    GROUP BY u.hashtag_id, m.mx
)
UPDATE hashtags h SET trend_score = s.score
FROM s
WHERE h.id = s.hashtag_id AND h.trend_score IS DISTINCT FROM s.score;
