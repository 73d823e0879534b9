-- Sounds: one row per audio name, compared by tiktok.SoundKey (name_key); videos.sound_id
-- is written with audio_name in one transaction, and the trigger of migration 00006 keeps
-- sounds.video_count.

-- name: UpsertSound :many
-- Creates the sound @name_key unless it exists (sounds_name_key_key) and returns its id;
-- no row when another transaction committed it while this one waited: SoundIDByKey finds
-- it.
WITH ins AS (
    INSERT INTO sounds (name, name_key) VALUES (@name, @name_key)
    ON CONFLICT (name_key) DO NOTHING
    RETURNING id
)
SELECT ins.id FROM ins
UNION ALL
SELECT s.id FROM sounds s WHERE s.name_key = @name_key;

-- name: SoundIDByKey :one
-- sounds_name_key_key or sounds_name_prefix_idx (both serve '=' on name_key).
SELECT id FROM sounds WHERE name_key = @name_key;

-- name: LockSounds :exec
-- Locks sound counter rows in id order (sounds_pkey) before a video changes its sound.
SELECT id FROM sounds WHERE id = ANY (@ids::bigint[]) ORDER BY id FOR NO KEY UPDATE;

-- name: SoundByID :one
-- sounds_pkey.
SELECT id, name, video_count FROM sounds WHERE id = @id;

-- name: SoundExists :one
-- sounds_pkey.
SELECT EXISTS (SELECT 1 FROM sounds WHERE id = @id);

-- name: ListSoundVideos :many
-- The videos using a sound, best ranked first: videos_sound_rank_idx (sound_id, hot_rank
-- DESC, id DESC) WHERE sound_id IS NOT NULL. The first page starts below ('Infinity',
-- max int64).
SELECT sqlc.embed(f),
       coalesce((SELECT true FROM video_likes l WHERE l.user_id = @viewer_id AND l.video_id = f.id), false)::boolean AS is_liked,
       coalesce((SELECT true FROM video_bookmarks b WHERE b.user_id = @viewer_id AND b.video_id = f.id), false)::boolean AS is_bookmarked
FROM video_feed f
WHERE f.sound_id = @sound_id::bigint
  AND (f.hot_rank, f.id) < (@after_rank::float8, @after_id::bigint)
  AND NOT EXISTS (SELECT FROM hidden_video(@viewer_id::bigint, f.id, f.user_id))
ORDER BY f.hot_rank DESC, f.id DESC
LIMIT @lim;
