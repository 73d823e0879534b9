-- Bookmarks and shares (issue 11), and what the data export reads.
--
-- A bookmark is a private (user, video) mark, like a like: idempotent through its primary
-- key, counted in videos.bookmark_count by a row trigger. A share is a (user, video, UTC
-- day) row: however often a user shares a video in a day, the day has one row (the first
-- share's channel), so videos.share_count, the COUNT of the rows, counts a viewer at most
-- once per video per day. The key decides, not a read before the write: of a burst of
-- parallel shares, exactly one inserts (ON CONFLICT DO NOTHING), and only that one fires
-- the counting and interest triggers.
--
-- Shares feed the For You ranking twice: the hot rank gains a share term (feed_ranking
-- .share_weight, FEED_SHARE_WEIGHT), and a counted share adds to the sharer's interest in
-- the creator and the tags, as a like does.

-- +goose Up
ALTER TABLE videos
    ADD COLUMN bookmark_count bigint NOT NULL DEFAULT 0 CHECK (bookmark_count >= 0),
    ADD COLUMN share_count    bigint NOT NULL DEFAULT 0 CHECK (share_count >= 0);

CREATE TABLE video_bookmarks (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    video_id   bigint      NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, video_id)
);
-- the owner's list, newest bookmark first (keyset on (created_at, video_id))
CREATE INDEX video_bookmarks_user_id_created_at_idx ON video_bookmarks (user_id, created_at DESC, video_id DESC);
-- the cascade of a deleted video; with user_id, a probe for the viewer's bookmark of a video
-- is one entry whichever of the two indexes the planner picks
CREATE INDEX video_bookmarks_video_id_idx ON video_bookmarks (video_id, user_id);

CREATE TABLE video_shares (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    video_id   bigint      NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    -- the UTC day of created_at: the database's clock decides the day, not the client's
    day        date        NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')::date,
    channel    text        NOT NULL CHECK (channel ~ '^[a-z]{1,20}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, video_id, day),
    CONSTRAINT video_shares_day_of_created CHECK (day = (created_at AT TIME ZONE 'UTC')::date)
);
CREATE INDEX video_shares_video_id_idx ON video_shares (video_id);

-- The export reads a user's comments in keyset batches; (user_id) alone made each batch
-- sort all of the user's comments. This index also serves the cascade of a deleted user.
CREATE INDEX comments_user_id_created_at_id_idx ON comments (user_id, created_at DESC, id DESC);
DROP INDEX comments_user_id_idx;

-- +goose StatementBegin
CREATE FUNCTION count_video_bookmarks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    r record := CASE TG_OP WHEN 'INSERT' THEN NEW ELSE OLD END;
BEGIN
    UPDATE videos SET bookmark_count = bookmark_count + d WHERE id = r.video_id;
    RETURN NULL;
END $$;

CREATE FUNCTION count_video_shares() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    r record := CASE TG_OP WHEN 'INSERT' THEN NEW ELSE OLD END;
BEGIN
    UPDATE videos SET share_count = share_count + d WHERE id = r.video_id;
    RETURN NULL;
END $$;

-- A counted share is interest in the creator and the tags: 1.5, between a like (1) and a
-- comment (2). Shares are never undone (only cascades delete them, and those take the
-- sharer's interests or the video with them), so there is no DELETE branch.
CREATE FUNCTION share_interest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM add_interest(NEW.user_id, NEW.video_id, 1.5);
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER video_bookmarks_count AFTER INSERT OR DELETE ON video_bookmarks
    FOR EACH ROW EXECUTE FUNCTION count_video_bookmarks();
CREATE TRIGGER video_shares_count AFTER INSERT OR DELETE ON video_shares
    FOR EACH ROW EXECUTE FUNCTION count_video_shares();
CREATE TRIGGER video_shares_interest AFTER INSERT ON video_shares
    FOR EACH ROW EXECUTE FUNCTION share_interest();

-- The hot rank gains shares:
--     hot_rank = epoch(created_at) / half_life
--              + round16(log2(1 + likeW·likes + commentW·comments + viewW·views + shareW·shares))
-- still rounded to 1/16, so that most counter updates leave the rank (and its indexes) alone
-- and stay HOT. Every video has 0 shares now, so no rank changes here.
ALTER TABLE feed_ranking ADD COLUMN share_weight double precision NOT NULL DEFAULT 2 CHECK (share_weight >= 0);

DROP TRIGGER videos_hot_rank ON videos;
DROP FUNCTION video_hot_rank(timestamptz, bigint, bigint, bigint);
-- +goose StatementBegin
CREATE FUNCTION video_hot_rank(created timestamptz, likes bigint, comments bigint, views bigint, shares bigint)
RETURNS double precision LANGUAGE sql STABLE AS $$
    SELECT extract(epoch FROM created)::double precision / r.half_life_seconds
         + round(ln(1 + r.like_weight * likes + r.comment_weight * comments + r.view_weight * views
                      + r.share_weight * shares)
                 / ln(2) * 16) / 16
    FROM feed_ranking r
$$;

CREATE OR REPLACE FUNCTION set_video_hot_rank() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.hot_rank := video_hot_rank(NEW.created_at, NEW.like_count, NEW.comment_count, NEW.views, NEW.share_count);
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER videos_hot_rank BEFORE INSERT OR UPDATE OF like_count, comment_count, views, share_count, created_at ON videos
    FOR EACH ROW EXECUTE FUNCTION set_video_hot_rank();

-- The read model carries the new counters (new columns go at the end of a view).
CREATE OR REPLACE VIEW video_feed AS
SELECT v.id, v.user_id, v.caption, v.video_url, v.thumbnail_url, v.audio_name,
       v.video_storage_path, v.thumbnail_storage_path, v.video_media, v.thumbnail_media,
       v.views, v.like_count, v.comment_count, v.created_at, v.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar,
       v.sound_id, v.hot_rank,
       v.bookmark_count, v.share_count
FROM videos v
JOIN users u ON u.id = v.user_id;

-- +goose Down
DROP VIEW video_feed;
CREATE VIEW video_feed AS
SELECT v.id, v.user_id, v.caption, v.video_url, v.thumbnail_url, v.audio_name,
       v.video_storage_path, v.thumbnail_storage_path, v.video_media, v.thumbnail_media,
       v.views, v.like_count, v.comment_count, v.created_at, v.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar,
       v.sound_id, v.hot_rank
FROM videos v
JOIN users u ON u.id = v.user_id;
DROP TRIGGER videos_hot_rank ON videos;
DROP FUNCTION video_hot_rank(timestamptz, bigint, bigint, bigint, bigint);
-- +goose StatementBegin
CREATE FUNCTION video_hot_rank(created timestamptz, likes bigint, comments bigint, views bigint)
RETURNS double precision LANGUAGE sql STABLE AS $$
    SELECT extract(epoch FROM created)::double precision / r.half_life_seconds
         + round(ln(1 + r.like_weight * likes + r.comment_weight * comments + r.view_weight * views)
                 / ln(2) * 16) / 16
    FROM feed_ranking r
$$;

CREATE OR REPLACE FUNCTION set_video_hot_rank() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.hot_rank := video_hot_rank(NEW.created_at, NEW.like_count, NEW.comment_count, NEW.views);
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER videos_hot_rank BEFORE INSERT OR UPDATE OF like_count, comment_count, views, created_at ON videos
    FOR EACH ROW EXECUTE FUNCTION set_video_hot_rank();
ALTER TABLE feed_ranking DROP COLUMN share_weight;
CREATE INDEX comments_user_id_idx ON comments (user_id);
DROP INDEX comments_user_id_created_at_id_idx;
DROP TABLE video_shares, video_bookmarks;
DROP FUNCTION count_video_bookmarks, count_video_shares, share_interest;
UPDATE videos SET hot_rank = video_hot_rank(created_at, like_count, comment_count, views) WHERE share_count > 0;
ALTER TABLE videos DROP COLUMN bookmark_count, DROP COLUMN share_count;
