-- The six tables of the data model. Counters are denormalised and maintained by triggers
-- in the same transaction as the rows they count, so cascading deletes keep them true too.

-- +goose Up
CREATE TABLE users (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        text        NOT NULL CHECK (username ~ '^[A-Za-z0-9_.]{3,30}$'),
    email           text        NOT NULL CHECK (email = lower(email) AND char_length(email) <= 254),
    password_hash   text        NOT NULL,
    name            text        CHECK (char_length(name) <= 50),
    bio             text        CHECK (char_length(bio) <= 500),
    avatar          text,
    avatar_media    text,
    token_version   bigint      NOT NULL DEFAULT 0,
    follower_count  bigint      NOT NULL DEFAULT 0 CHECK (follower_count >= 0),
    following_count bigint      NOT NULL DEFAULT 0 CHECK (following_count >= 0),
    video_count     bigint      NOT NULL DEFAULT 0 CHECK (video_count >= 0),
    like_count      bigint      NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
CREATE INDEX users_created_at_id_idx ON users (created_at DESC, id DESC);
CREATE INDEX users_username_prefix_idx ON users (lower(username) text_pattern_ops);
CREATE INDEX users_name_prefix_idx ON users (lower(name) text_pattern_ops);

CREATE TABLE videos (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id                bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    caption                text        NOT NULL DEFAULT '' CHECK (char_length(caption) <= 2200),
    video_url              text        NOT NULL,
    thumbnail_url          text,
    audio_name             text        CHECK (char_length(audio_name) <= 255),
    video_storage_path     text,
    thumbnail_storage_path text,
    video_media            text,
    thumbnail_media        text,
    views                  bigint      NOT NULL DEFAULT 0 CHECK (views >= 0),
    like_count             bigint      NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    comment_count          bigint      NOT NULL DEFAULT 0 CHECK (comment_count >= 0),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX videos_created_at_id_idx ON videos (created_at DESC, id DESC);
CREATE INDEX videos_user_id_created_at_id_idx ON videos (user_id, created_at DESC, id DESC);

CREATE TABLE comments (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    video_id   bigint      NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    content    text        NOT NULL CHECK (char_length(content) BETWEEN 1 AND 1000),
    like_count bigint      NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_video_id_created_at_id_idx ON comments (video_id, created_at DESC, id DESC);
CREATE INDEX comments_user_id_idx ON comments (user_id);

CREATE TABLE video_likes (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    video_id   bigint      NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, video_id)
);
CREATE INDEX video_likes_video_id_idx ON video_likes (video_id);

CREATE TABLE comment_likes (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    comment_id bigint      NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, comment_id)
);
CREATE INDEX comment_likes_comment_id_idx ON comment_likes (comment_id);

CREATE TABLE follows (
    follower_id  bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    following_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower_id, following_id),
    CONSTRAINT follows_not_self CHECK (follower_id <> following_id)
);
-- followers of a user, newest first; the primary key serves "whom does X follow" lookups,
-- this one the following list in order.
CREATE INDEX follows_following_id_created_at_idx ON follows (following_id, created_at DESC, follower_id DESC);
CREATE INDEX follows_follower_id_created_at_idx ON follows (follower_id, created_at DESC, following_id DESC);

-- updated_at follows every UPDATE.
-- +goose StatementBegin
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER users_updated_at BEFORE UPDATE OF username, email, password_hash, name, bio, avatar ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER videos_updated_at BEFORE UPDATE OF caption, audio_name, video_url, thumbnail_url ON videos
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER comments_updated_at BEFORE UPDATE OF content ON comments
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Counters. Each trigger runs only for a row that really was inserted or deleted
-- (INSERT ... ON CONFLICT DO NOTHING inserts nothing for a duplicate), including rows
-- removed by ON DELETE CASCADE.
-- +goose StatementBegin
CREATE FUNCTION count_video_likes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    r record := CASE TG_OP WHEN 'INSERT' THEN NEW ELSE OLD END;
BEGIN
    WITH v AS (
        UPDATE videos SET like_count = like_count + d WHERE id = r.video_id RETURNING user_id
    )
    UPDATE users SET like_count = like_count + d FROM v WHERE users.id = v.user_id;
    RETURN NULL;
END $$;

CREATE FUNCTION count_comment_likes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    r record := CASE TG_OP WHEN 'INSERT' THEN NEW ELSE OLD END;
BEGIN
    UPDATE comments SET like_count = like_count + d WHERE id = r.comment_id;
    RETURN NULL;
END $$;

CREATE FUNCTION count_comments() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    r record := CASE TG_OP WHEN 'INSERT' THEN NEW ELSE OLD END;
BEGIN
    UPDATE videos SET comment_count = comment_count + d WHERE id = r.video_id;
    RETURN NULL;
END $$;

CREATE FUNCTION count_videos() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE users SET video_count = video_count + 1 WHERE id = NEW.user_id;
    ELSE
        -- The cascade removes the video's likes after the video row is gone, so their
        -- trigger cannot find the owner; take the video's likes off the owner here.
        UPDATE users SET video_count = video_count - 1, like_count = like_count - OLD.like_count
        WHERE id = OLD.user_id;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION count_follows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    r record := CASE TG_OP WHEN 'INSERT' THEN NEW ELSE OLD END;
BEGIN
    UPDATE users SET following_count = following_count + d WHERE id = r.follower_id;
    UPDATE users SET follower_count = follower_count + d WHERE id = r.following_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER video_likes_count AFTER INSERT OR DELETE ON video_likes
    FOR EACH ROW EXECUTE FUNCTION count_video_likes();
CREATE TRIGGER comment_likes_count AFTER INSERT OR DELETE ON comment_likes
    FOR EACH ROW EXECUTE FUNCTION count_comment_likes();
CREATE TRIGGER comments_count AFTER INSERT OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION count_comments();
CREATE TRIGGER videos_count AFTER INSERT OR DELETE ON videos
    FOR EACH ROW EXECUTE FUNCTION count_videos();
CREATE TRIGGER follows_count AFTER INSERT OR DELETE ON follows
    FOR EACH ROW EXECUTE FUNCTION count_follows();

-- +goose Down
DROP TABLE follows, comment_likes, video_likes, comments, videos, users;
DROP FUNCTION count_video_likes, count_comment_likes, count_comments, count_videos, count_follows, set_updated_at;
