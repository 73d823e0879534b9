-- Read models: a video or comment row together with its author's public fields, so every
-- list is one query (no N+1) and every query returns the same row shape. Plain views are
-- inlined by the planner, so the tables' indexes still serve them.

-- +goose Up
CREATE VIEW video_feed AS
SELECT v.id, v.user_id, v.caption, v.video_url, v.thumbnail_url, v.audio_name,
       v.video_storage_path, v.thumbnail_storage_path, v.video_media, v.thumbnail_media,
       v.views, v.like_count, v.comment_count, v.created_at, v.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar
FROM videos v
JOIN users u ON u.id = v.user_id;

CREATE VIEW comment_feed AS
SELECT c.id, c.user_id, c.video_id, c.content, c.like_count, c.created_at, c.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar
FROM comments c
JOIN users u ON u.id = c.user_id;

-- +goose Down
DROP VIEW comment_feed;
DROP VIEW video_feed;
