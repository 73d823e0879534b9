-- The media pipeline (issue 12): what an upload's processing found and where it stands.
--
-- status: 'processing' from the upload until the pipeline's job (River, migration 00018)
-- has probed it (and transcoded it or made a poster where needed); then 'ready', or
-- 'failed' with failure_reason when the file is not a playable video, is too long, or
-- could not be processed. Videos that existed before, and uploads made while processing is
-- unavailable (no ffmpeg), are 'ready' as uploaded.
--
-- A video that is not ready is seen by its owner only: moderated_video, the moderation half
-- of the visibility rule that every read goes through (00015), also answers one row for
-- it. Its probe is of videos_unready_idx, a partial index that holds only the videos not
-- ready (a handful being processed, and the failed ones), like users_suspended_idx.
--
-- duration_ms, width and height are the probe's (of the file served: the transcode's when
-- there is one), as displayed: a rotated phone video reports its upright size.

-- +goose Up
ALTER TABLE videos
    ADD COLUMN status         text    NOT NULL DEFAULT 'ready' CHECK (status IN ('processing', 'ready', 'failed')),
    ADD COLUMN failure_reason text    CHECK (char_length(failure_reason) BETWEEN 1 AND 500),
    ADD COLUMN duration_ms    integer CHECK (duration_ms >= 0),
    ADD COLUMN width          integer CHECK (width > 0),
    ADD COLUMN height         integer CHECK (height > 0),
    ADD CONSTRAINT videos_failure_reason CHECK ((status = 'failed') = (failure_reason IS NOT NULL));
CREATE INDEX videos_unready_idx ON videos (id) WHERE status <> 'ready';

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION moderated_video(viewer bigint, video bigint, owner bigint) RETURNS TABLE (hidden int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT 1 FROM video_moderation m WHERE owner <> viewer AND m.video_id = video
    UNION ALL
    SELECT 1 FROM videos p WHERE owner <> viewer AND p.id = video AND p.status <> 'ready'
$$;
-- +goose StatementEnd

CREATE OR REPLACE VIEW video_feed AS
SELECT v.id, v.user_id, v.caption, v.video_url, v.thumbnail_url, v.audio_name,
       v.video_storage_path, v.thumbnail_storage_path, v.video_media, v.thumbnail_media,
       v.views, v.like_count, v.comment_count, v.created_at, v.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar,
       v.sound_id, v.hot_rank,
       v.bookmark_count, v.share_count, m.reason AS hidden_reason,
       v.status, v.failure_reason, v.duration_ms, v.width, v.height
FROM videos v
JOIN users u ON u.id = v.user_id
LEFT JOIN video_moderation m ON m.video_id = v.id;

-- +goose Down
DROP VIEW video_feed;
CREATE VIEW video_feed AS
SELECT v.id, v.user_id, v.caption, v.video_url, v.thumbnail_url, v.audio_name,
       v.video_storage_path, v.thumbnail_storage_path, v.video_media, v.thumbnail_media,
       v.views, v.like_count, v.comment_count, v.created_at, v.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar,
       v.sound_id, v.hot_rank,
       v.bookmark_count, v.share_count, m.reason AS hidden_reason
FROM videos v
JOIN users u ON u.id = v.user_id
LEFT JOIN video_moderation m ON m.video_id = v.id;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION moderated_video(viewer bigint, video bigint, owner bigint) RETURNS TABLE (hidden int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT 1 FROM video_moderation m WHERE owner <> viewer AND m.video_id = video
$$;
-- +goose StatementEnd
DROP INDEX videos_unready_idx;
ALTER TABLE videos DROP CONSTRAINT videos_failure_reason,
    DROP COLUMN height, DROP COLUMN width, DROP COLUMN duration_ms, DROP COLUMN failure_reason, DROP COLUMN status;
