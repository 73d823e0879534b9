-- The views flushed to videos (one statement a second for every video viewed) counted
-- toward their tags through a row trigger: one hashtags update per video, so a popular
-- tag's row was updated thousands of times in one transaction, each update walking the
-- chain of versions the previous ones left. At a million videos a flush of 16 000–29 000
-- videos outlasted its deadline, was retried, and held those videos' locks for seconds at
-- a time: likes and comments queued behind it (p99 4.7 s). The store now adds the views to
-- the tags itself, one update per tag, in the flush's transaction (AddHashtagViews).

-- +goose Up
DROP TRIGGER videos_hashtag_views ON videos;

-- +goose Down
CREATE TRIGGER videos_hashtag_views AFTER UPDATE OF views ON videos
    FOR EACH ROW WHEN (OLD.views <> NEW.views) EXECUTE FUNCTION count_hashtag_views();
