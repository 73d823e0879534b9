-- Discovery: an indexable "hot" rank, hashtags, sounds, search, and what a viewer has seen,
-- engaged with or asked not to see.
--
-- The hot rank is Reddit's idea in half-life units:
--
--     hot_rank = epoch(created_at) / half_life + round16(log2(1 + likeW·likes + commentW·comments + viewW·views))
--
-- Doubling a video's weighted engagement is worth as much as being one half-life newer.
-- Time enters only through created_at, so the order of two videos changes only when their
-- counters change: the rank is a stored column, kept by a trigger as counters move, and the
-- For You feed reads it from an index instead of scoring rows at request time. The log is
-- rounded to 1/16 so that most counter updates leave the rank (and so every index on it)
-- unchanged and stay HOT. The weights live in feed_ranking (one row); `serve` writes the
-- configured ones there and re-ranks every video when they change.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE feed_ranking (
    singleton         boolean          PRIMARY KEY DEFAULT true CHECK (singleton),
    like_weight       double precision NOT NULL DEFAULT 1   CHECK (like_weight >= 0),
    comment_weight    double precision NOT NULL DEFAULT 3   CHECK (comment_weight >= 0),
    view_weight       double precision NOT NULL DEFAULT 0.1 CHECK (view_weight >= 0),
    half_life_seconds double precision NOT NULL DEFAULT 21600 CHECK (half_life_seconds >= 60),
    -- how fast a viewer's interests fade (see creator_interests)
    interest_half_life_seconds double precision NOT NULL DEFAULT 1209600 CHECK (interest_half_life_seconds >= 60)
);
INSERT INTO feed_ranking DEFAULT VALUES;

-- +goose StatementBegin
CREATE FUNCTION video_hot_rank(created timestamptz, likes bigint, comments bigint, views bigint)
RETURNS double precision LANGUAGE sql STABLE AS $$
    SELECT extract(epoch FROM created)::double precision / r.half_life_seconds
         + round(ln(1 + r.like_weight * likes + r.comment_weight * comments + r.view_weight * views)
                 / ln(2) * 16) / 16
    FROM feed_ranking r
$$;

CREATE FUNCTION set_video_hot_rank() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.hot_rank := video_hot_rank(NEW.created_at, NEW.like_count, NEW.comment_count, NEW.views);
    RETURN NEW;
END $$;
-- +goose StatementEnd

ALTER TABLE videos ADD COLUMN hot_rank double precision;
UPDATE videos SET hot_rank = video_hot_rank(created_at, like_count, comment_count, views);
ALTER TABLE videos ALTER COLUMN hot_rank SET NOT NULL;
CREATE TRIGGER videos_hot_rank BEFORE INSERT OR UPDATE OF like_count, comment_count, views, created_at ON videos
    FOR EACH ROW EXECUTE FUNCTION set_video_hot_rank();
-- user_id is included so the For You scan, which skips the viewer's own videos and hidden
-- creators, runs index-only: reading 1 070 entries past a viewer's 1 000 seen videos took
-- 0.3 ms that way against 3–16 ms fetching each row. (No index may mention views, likes
-- or comments, not even in a partial index's WHERE: a column an index uses makes every
-- update of it non-HOT, and views change all the time.)
CREATE INDEX videos_hot_rank_id_idx ON videos (hot_rank DESC, id DESC) INCLUDE (user_id);

-- Captions are searchable: a generated tsvector ('simple': no stemming, any language).
ALTER TABLE videos ADD COLUMN caption_search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', caption)) STORED;
-- fastupdate off on the GIN indexes of videos and users: a like or a view that moves a
-- video's rank is a non-HOT update that inserts into every index of the row, and with a
-- pending list (the default) one of those writes now and then merges megabytes of pending
-- entries into the index while it holds the video's and its owner's row locks. Without it
-- each insert costs a little more every time (a micro-benchmark of rank-moving updates:
-- 1 686 against 2 895 pairs a second) and none stalls. (It did not cure the benchmark's
-- like p99 of 4.7 s, whose cause is still open: docs/benchmarks.md.)
CREATE INDEX videos_caption_search_idx ON videos USING gin (caption_search) WITH (fastupdate = off);

-- Usernames and names are found by similarity, so typos still match.
CREATE INDEX users_username_trgm_idx ON users USING gin (lower(username) gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX users_name_trgm_idx ON users USING gin (lower(name) gin_trgm_ops) WITH (fastupdate = off);

-- Hashtags: names are stored normalised (NFC, lower case, without '#'), parsed from
-- captions by the store in the transaction that writes the caption.
CREATE TABLE hashtags (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text             NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 100),
    video_count bigint           NOT NULL DEFAULT 0 CHECK (video_count >= 0),
    view_count  bigint           NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    -- log2 of Σ 2^(t_use / 1 day) over every use: recent use with a one-day half-life, in a
    -- form that only grows and needs no periodic decay (comparing two tags at any moment
    -- compares these numbers).
    trend_score double precision NOT NULL DEFAULT 0,
    created_at  timestamptz      NOT NULL DEFAULT now()
);
ALTER TABLE hashtags SET (fillfactor = 85);
CREATE INDEX hashtags_trend_idx ON hashtags (trend_score DESC, id DESC);
CREATE INDEX hashtags_name_prefix_idx ON hashtags (name text_pattern_ops);
CREATE INDEX hashtags_name_trgm_idx ON hashtags USING gin (name gin_trgm_ops);

-- The tags of a video, with the video's hot rank copied so a tag page is one index range.
CREATE TABLE video_hashtags (
    video_id   bigint           NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    hashtag_id bigint           NOT NULL REFERENCES hashtags (id) ON DELETE CASCADE,
    hot_rank   double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, hashtag_id)
);
CREATE INDEX video_hashtags_rank_idx ON video_hashtags (hashtag_id, hot_rank DESC, video_id DESC);

-- Sounds: a video's audioName is a sound, one row per name (compared NFC, case-insensitive).
CREATE TABLE sounds (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    name_key    text        NOT NULL UNIQUE,
    video_count bigint      NOT NULL DEFAULT 0 CHECK (video_count >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE sounds SET (fillfactor = 85);
CREATE INDEX sounds_name_prefix_idx ON sounds (name_key text_pattern_ops);
CREATE INDEX sounds_name_trgm_idx ON sounds USING gin (name_key gin_trgm_ops);
CREATE INDEX sounds_video_count_idx ON sounds (video_count DESC, id DESC);

ALTER TABLE videos ADD COLUMN sound_id bigint REFERENCES sounds (id) ON DELETE SET NULL;
CREATE INDEX videos_sound_rank_idx ON videos (sound_id, hot_rank DESC, id DESC) WHERE sound_id IS NOT NULL;

-- +goose StatementBegin
-- A video_hashtags row takes its video's rank, and counts toward its tag: one video, the
-- video's views, and a use (trend). A deleted row takes back the video and, when the video
-- still exists (a caption edit), its views; a deleted video took its views back before the
-- cascade (videos_untag below). Uses are events: a deleted one still happened.
CREATE FUNCTION count_video_hashtags() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_views bigint;
    t       double precision := extract(epoch FROM now()) / 86400;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT views INTO v_views FROM videos WHERE id = NEW.video_id;
        UPDATE hashtags
        SET video_count = video_count + 1,
            view_count = view_count + coalesce(v_views, 0),
            trend_score = CASE WHEN trend_score = 0 THEN t
                               -- the exponent is clamped: power() raises an error on underflow (a tag
                               -- unused for three years), and 2^-1000 adds nothing anyway
                               ELSE greatest(trend_score, t) + ln(1 + power(2::double precision, greatest(least(trend_score, t) - greatest(trend_score, t), -1000))) / ln(2)
                          END
        WHERE id = NEW.hashtag_id;
    ELSE
        SELECT views INTO v_views FROM videos WHERE id = OLD.video_id;
        UPDATE hashtags
        SET video_count = video_count - 1,
            view_count = greatest(view_count - coalesce(v_views, 0), 0)
        WHERE id = OLD.hashtag_id;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION set_video_hashtag_rank() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT hot_rank INTO NEW.hot_rank FROM videos WHERE id = NEW.video_id;
    NEW.hot_rank := coalesce(NEW.hot_rank, 0);
    RETURN NEW;
END $$;

CREATE FUNCTION copy_video_hot_rank() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE video_hashtags SET hot_rank = NEW.hot_rank WHERE video_id = NEW.id;
    RETURN NULL;
END $$;

-- Views added to a video count toward its tags.
CREATE FUNCTION count_hashtag_views() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE hashtags h SET view_count = h.view_count + (NEW.views - OLD.views)
    FROM video_hashtags vh
    WHERE vh.video_id = NEW.id AND h.id = vh.hashtag_id;
    RETURN NULL;
END $$;

CREATE FUNCTION untag_video() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE hashtags h SET view_count = greatest(h.view_count - OLD.views, 0)
    FROM video_hashtags vh
    WHERE vh.video_id = OLD.id AND h.id = vh.hashtag_id;
    RETURN OLD;
END $$;

CREATE FUNCTION count_sound_videos() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.sound_id IS NOT NULL THEN
        UPDATE sounds SET video_count = video_count - 1 WHERE id = OLD.sound_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.sound_id IS NOT NULL THEN
        UPDATE sounds SET video_count = video_count + 1 WHERE id = NEW.sound_id;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER video_hashtags_count AFTER INSERT OR DELETE ON video_hashtags
    FOR EACH ROW EXECUTE FUNCTION count_video_hashtags();
CREATE TRIGGER video_hashtags_rank BEFORE INSERT ON video_hashtags
    FOR EACH ROW EXECUTE FUNCTION set_video_hashtag_rank();
CREATE TRIGGER videos_copy_hot_rank AFTER UPDATE OF hot_rank ON videos
    FOR EACH ROW WHEN (OLD.hot_rank IS DISTINCT FROM NEW.hot_rank) EXECUTE FUNCTION copy_video_hot_rank();
CREATE TRIGGER videos_hashtag_views AFTER UPDATE OF views ON videos
    FOR EACH ROW WHEN (OLD.views <> NEW.views) EXECUTE FUNCTION count_hashtag_views();
CREATE TRIGGER videos_untag BEFORE DELETE ON videos
    FOR EACH ROW EXECUTE FUNCTION untag_video();
CREATE TRIGGER videos_sound_count AFTER INSERT OR DELETE OR UPDATE OF sound_id ON videos
    FOR EACH ROW EXECUTE FUNCTION count_sound_videos();

-- The read model carries the sound and the rank (new columns go at the end of a view).
CREATE OR REPLACE VIEW video_feed AS
SELECT v.id, v.user_id, v.caption, v.video_url, v.thumbnail_url, v.audio_name,
       v.video_storage_path, v.thumbnail_storage_path, v.video_media, v.thumbnail_media,
       v.views, v.like_count, v.comment_count, v.created_at, v.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar,
       v.sound_id, v.hot_rank
FROM videos v
JOIN users u ON u.id = v.user_id;

-- What a signed-in viewer has seen (a view, or ids the client reports as displayed).
CREATE TABLE video_impressions (
    user_id  bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    video_id bigint      NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    seen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, video_id)
);
CREATE INDEX video_impressions_seen_at_idx ON video_impressions (seen_at);
CREATE INDEX video_impressions_video_id_idx ON video_impressions (video_id);

-- Explicit feedback: "not interested" in a video (never shown again; its creator and tags
-- weigh less), and hidden creators (never shown).
CREATE TABLE video_feedback (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    video_id   bigint      NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, video_id)
);
CREATE INDEX video_feedback_video_id_idx ON video_feedback (video_id);

CREATE TABLE hidden_creators (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    creator_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, creator_id),
    CHECK (user_id <> creator_id)
);
CREATE INDEX hidden_creators_creator_id_idx ON hidden_creators (creator_id);

-- Interests: how much a viewer engages with a creator or a tag, decaying lazily — the
-- value at time t is weight · 2^(-(t - updated_at) / interest half-life); every event
-- first decays the stored weight to now, then adds its own. Negative for "not interested".
CREATE TABLE creator_interests (
    user_id    bigint           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    creator_id bigint           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    weight     double precision NOT NULL,
    updated_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, creator_id)
);
CREATE INDEX creator_interests_creator_id_idx ON creator_interests (creator_id);
CREATE INDEX creator_interests_updated_at_idx ON creator_interests (updated_at);

CREATE TABLE hashtag_interests (
    user_id    bigint           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hashtag_id bigint           NOT NULL REFERENCES hashtags (id) ON DELETE CASCADE,
    weight     double precision NOT NULL,
    updated_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, hashtag_id)
);
CREATE INDEX hashtag_interests_hashtag_id_idx ON hashtag_interests (hashtag_id);
CREATE INDEX hashtag_interests_updated_at_idx ON hashtag_interests (updated_at);

-- +goose StatementBegin
-- add_interest moves viewer's interest in video's creator and tags by delta (nothing for
-- one's own videos or a video that is gone). A negative delta only lowers interests that
-- exist: it is an unlike (or a cascade of a deleted account), not a new taste. Rows are
-- written in key order (creator, then tags by id) so concurrent events of one viewer
-- cannot deadlock.
CREATE FUNCTION add_interest(viewer bigint, video bigint, delta double precision) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    h       double precision;
    creator bigint;
BEGIN
    SELECT interest_half_life_seconds INTO h FROM feed_ranking;
    SELECT user_id INTO creator FROM videos WHERE id = video;
    IF creator IS NULL OR creator = viewer THEN
        RETURN;
    END IF;
    IF delta < 0 THEN
        UPDATE creator_interests ci
        SET weight = ci.weight * power(2::double precision, -extract(epoch FROM now() - ci.updated_at)::double precision / h) + delta,
            updated_at = now()
        WHERE ci.user_id = viewer AND ci.creator_id = creator;
        UPDATE hashtag_interests hi
        SET weight = hi.weight * power(2::double precision, -extract(epoch FROM now() - hi.updated_at)::double precision / h) + delta,
            updated_at = now()
        FROM (SELECT vh.hashtag_id FROM video_hashtags vh WHERE vh.video_id = video ORDER BY vh.hashtag_id) t
        WHERE hi.user_id = viewer AND hi.hashtag_id = t.hashtag_id;
        RETURN;
    END IF;
    INSERT INTO creator_interests AS ci (user_id, creator_id, weight) VALUES (viewer, creator, delta)
    ON CONFLICT (user_id, creator_id) DO UPDATE
    SET weight = ci.weight * power(2::double precision, -extract(epoch FROM now() - ci.updated_at)::double precision / h) + delta,
        updated_at = now();
    INSERT INTO hashtag_interests AS hi (user_id, hashtag_id, weight)
    SELECT viewer, vh.hashtag_id, delta FROM video_hashtags vh WHERE vh.video_id = video ORDER BY vh.hashtag_id
    ON CONFLICT (user_id, hashtag_id) DO UPDATE
    SET weight = hi.weight * power(2::double precision, -extract(epoch FROM now() - hi.updated_at)::double precision / h) + delta,
        updated_at = now();
END $$;

-- Engagement feeds interests: a like 1 (an unlike takes it back), a comment 2.
CREATE FUNCTION like_interest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM add_interest(NEW.user_id, NEW.video_id, 1);
    ELSE
        PERFORM add_interest(OLD.user_id, OLD.video_id, -1);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION comment_interest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM add_interest(NEW.user_id, NEW.video_id, 2);
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER video_likes_interest AFTER INSERT OR DELETE ON video_likes
    FOR EACH ROW EXECUTE FUNCTION like_interest();
CREATE TRIGGER comments_interest AFTER INSERT ON comments
    FOR EACH ROW EXECUTE FUNCTION comment_interest();

-- A For You session: the ids served so far, in order, so that paging never repeats a video
-- and the diversity rules hold across page boundaries. Short-lived and rebuilt on loss, so
-- unlogged (no WAL).
CREATE UNLOGGED TABLE feed_sessions (
    id          bigint      PRIMARY KEY, -- random: a cursor names its session
    user_id     bigint,                  -- NULL: anonymous, shared by every anonymous viewer
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- the videos of the session so far, in feed order, and their creators
    video_ids   bigint[]    NOT NULL,
    creator_ids bigint[]    NOT NULL,
    -- how many videos at the end of video_ids came after the last fresh one
    since_fresh int         NOT NULL DEFAULT 0,
    -- 0: unseen videos only; 1: every unseen one was served, already-seen ones follow;
    -- 2: nothing is left to serve
    stage       smallint    NOT NULL DEFAULT 0 CHECK (stage BETWEEN 0 AND 2)
);
CREATE INDEX feed_sessions_created_at_idx ON feed_sessions (created_at);

-- +goose Down
DROP VIEW video_feed;
CREATE VIEW video_feed AS
SELECT v.id, v.user_id, v.caption, v.video_url, v.thumbnail_url, v.audio_name,
       v.video_storage_path, v.thumbnail_storage_path, v.video_media, v.thumbnail_media,
       v.views, v.like_count, v.comment_count, v.created_at, v.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar
FROM videos v
JOIN users u ON u.id = v.user_id;
DROP TRIGGER video_likes_interest ON video_likes;
DROP TRIGGER comments_interest ON comments;
DROP FUNCTION like_interest, comment_interest, add_interest;
DROP TABLE feed_sessions, hashtag_interests, creator_interests, hidden_creators, video_feedback, video_impressions;
DROP TRIGGER videos_sound_count ON videos;
DROP TRIGGER videos_untag ON videos;
DROP TRIGGER videos_hashtag_views ON videos;
DROP TRIGGER videos_copy_hot_rank ON videos;
DROP TRIGGER videos_hot_rank ON videos;
ALTER TABLE videos DROP COLUMN sound_id, DROP COLUMN caption_search, DROP COLUMN hot_rank;
DROP TABLE video_hashtags, hashtags, sounds;
DROP INDEX users_username_trgm_idx, users_name_trgm_idx;
DROP FUNCTION count_video_hashtags, set_video_hashtag_rank, copy_video_hot_rank, count_hashtag_views,
    untag_video, count_sound_videos, set_video_hot_rank, video_hot_rank;
DROP TABLE feed_ranking;
