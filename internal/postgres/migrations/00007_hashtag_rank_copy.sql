-- A tag page reads video_hashtags.hot_rank, a copy of its video's rank. Migration 00006
-- copied it with a trigger on UPDATE OF hot_rank, but a column list only matches columns
-- an UPDATE statement names: the rank changes through the BEFORE trigger of a counter
-- update (likes, comments, views), which names like_count, comment_count or views, so the
-- copy never fired and tag pages kept every video's rank from the moment it was tagged.
-- The trigger now fires on any update that changes the rank.

-- +goose Up
DROP TRIGGER videos_copy_hot_rank ON videos;
CREATE TRIGGER videos_copy_hot_rank AFTER UPDATE ON videos
    FOR EACH ROW WHEN (OLD.hot_rank IS DISTINCT FROM NEW.hot_rank) EXECUTE FUNCTION copy_video_hot_rank();
UPDATE video_hashtags vh SET hot_rank = v.hot_rank
FROM videos v
WHERE v.id = vh.video_id AND vh.hot_rank IS DISTINCT FROM v.hot_rank;

-- +goose Down
DROP TRIGGER videos_copy_hot_rank ON videos;
CREATE TRIGGER videos_copy_hot_rank AFTER UPDATE OF hot_rank ON videos
    FOR EACH ROW WHEN (OLD.hot_rank IS DISTINCT FROM NEW.hot_rank) EXECUTE FUNCTION copy_video_hot_rank();
