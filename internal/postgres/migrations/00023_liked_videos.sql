-- One's liked videos, newest like first (GET /api/users/me/likes, the web client's Liked
-- tab): the like rows of one user in the order they were made. The primary key
-- (user_id, video_id) orders them by video; this index orders them by time, as
-- video_bookmarks_user_id_created_at_idx does bookmarks. It is the like path's third index
-- (with the primary key and video_likes_video_id_idx).

-- +goose Up
CREATE INDEX video_likes_user_id_created_at_idx ON video_likes (user_id, created_at DESC, video_id DESC);

-- +goose Down
DROP INDEX video_likes_user_id_created_at_idx;
