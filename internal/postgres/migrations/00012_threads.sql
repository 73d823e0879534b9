-- Replies and mentions (issue 11, part A).
--
-- Replies: a comment may have a parent_id, always a top-level comment (one visible level,
-- as TikTok: the store attaches a reply to a reply to the top-level comment). A comment
-- that loses its author becomes a tombstone: user_id NULL, content '', deleted_at set.
-- That happens when its author (or the video's owner) deletes a comment that has replies,
-- and when its author's account is deleted (the foreign key is ON DELETE SET NULL now, so
-- the replies of others under a deleted account's comment stay). A tombstone without
-- replies is deleted at once, and the last reply of a tombstone takes the tombstone with it.
--
-- Counters, kept by the triggers below in the transaction of the rows they count:
--   videos.comment_count  live comments of the video, replies included (not tombstones)
--   videos.thread_count   top-level rows of the video, tombstones included (the rows of
--                         the top-level list: its page count)
--   comments.reply_count  replies of a top-level comment
--
-- Mentions: one row per (text, mentioned user), the text being a video's caption
-- (comment_id NULL) or a comment, with the code-point offsets of every span of that user
-- in the text. An edit updates the offsets of users still mentioned, so an INSERT trigger
-- on mentions sees each newly mentioned user once.

-- +goose Up
ALTER TABLE comments
    ADD COLUMN parent_id   bigint REFERENCES comments (id) ON DELETE CASCADE,
    ADD COLUMN reply_count bigint NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
    ADD COLUMN deleted_at  timestamptz,
    ALTER COLUMN user_id DROP NOT NULL,
    DROP CONSTRAINT comments_content_check,
    ADD CONSTRAINT comments_content_check
        CHECK (CASE WHEN deleted_at IS NULL THEN char_length(content) BETWEEN 1 AND 1000 ELSE content = '' END),
    ADD CONSTRAINT comments_tombstone_check CHECK ((deleted_at IS NULL) = (user_id IS NOT NULL)),
    ADD CONSTRAINT comments_one_level_check CHECK (parent_id IS NULL OR reply_count = 0),
    DROP CONSTRAINT comments_user_id_fkey,
    ADD CONSTRAINT comments_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL;

-- The top-level list (newest first) without walking past replies; the replies of a
-- comment oldest first (also the parent_id foreign key's cascade).
CREATE INDEX comments_video_top_idx ON comments (video_id, created_at DESC, id DESC) WHERE parent_id IS NULL;
CREATE INDEX comments_parent_id_created_at_id_idx ON comments (parent_id, created_at, id) WHERE parent_id IS NOT NULL;

ALTER TABLE videos ADD COLUMN thread_count bigint NOT NULL DEFAULT 0 CHECK (thread_count >= 0);
UPDATE videos SET thread_count = comment_count WHERE comment_count > 0; -- every comment so far is top-level

CREATE TABLE mentions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mentioned_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    author_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    video_id     bigint      NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    comment_id   bigint      REFERENCES comments (id) ON DELETE CASCADE, -- NULL: the caption
    -- the spans of this user in the text: [starts[i], ends[i]) in code points, '@' included
    starts       integer[]   NOT NULL,
    ends         integer[]   NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (cardinality(starts) >= 1 AND cardinality(starts) = cardinality(ends)),
    -- one row per text and user; also serves a page of captions (video_id = ANY, comment_id
    -- IS NULL) and the video foreign key's cascade
    CONSTRAINT mentions_text_user_key UNIQUE NULLS NOT DISTINCT (video_id, comment_id, mentioned_id)
);
CREATE INDEX mentions_comment_id_idx ON mentions (comment_id, mentioned_id) WHERE comment_id IS NOT NULL;
CREATE INDEX mentions_mentioned_id_idx ON mentions (mentioned_id, created_at DESC, id DESC);
CREATE INDEX mentions_author_id_idx ON mentions (author_id);

-- The read model carries the thread columns; a tombstone has no author (LEFT JOIN).
CREATE OR REPLACE VIEW comment_feed AS
SELECT c.id, c.user_id, c.video_id, c.content, c.like_count, c.created_at, c.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar,
       c.parent_id, c.reply_count, (c.deleted_at IS NOT NULL)::boolean AS deleted
FROM comments c
LEFT JOIN users u ON u.id = c.user_id;

-- +goose StatementBegin
-- count_comments (trigger comments_count, migration 00001) counts replies and threads too.
-- A deleted tombstone was taken off comment_count when it became one; the last reply of a
-- tombstone deletes it (whose own trigger then takes the thread off).
CREATE OR REPLACE FUNCTION count_comments() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    left_replies bigint;
    tombstone    boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE videos SET comment_count = comment_count + 1,
                          thread_count = thread_count + (NEW.parent_id IS NULL)::int
        WHERE id = NEW.video_id;
        IF NEW.parent_id IS NOT NULL THEN
            UPDATE comments SET reply_count = reply_count + 1 WHERE id = NEW.parent_id;
        END IF;
        RETURN NULL;
    END IF;
    UPDATE videos SET comment_count = comment_count - (OLD.deleted_at IS NULL)::int,
                      thread_count = thread_count - (OLD.parent_id IS NULL)::int
    WHERE id = OLD.video_id;
    IF OLD.parent_id IS NOT NULL THEN
        UPDATE comments SET reply_count = reply_count - 1 WHERE id = OLD.parent_id
        RETURNING reply_count, deleted_at IS NOT NULL INTO left_replies, tombstone;
        IF left_replies = 0 AND tombstone THEN
            DELETE FROM comments WHERE id = OLD.parent_id;
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- A comment whose author is gone (deleted by its author or the video's owner while it has
-- replies, or its author's account deleted) becomes a tombstone.
CREATE FUNCTION tombstone_comment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.content := '';
    NEW.deleted_at := now();
    NEW.updated_at := now();
    RETURN NEW;
END $$;

-- A new tombstone: the video counts one comment fewer, its likes and mentions go, and
-- without replies the row goes too.
CREATE FUNCTION comment_tombstoned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE videos SET comment_count = comment_count - 1 WHERE id = NEW.video_id;
    DELETE FROM comment_likes WHERE comment_id = NEW.id;
    DELETE FROM mentions WHERE comment_id = NEW.id;
    DELETE FROM comments WHERE id = NEW.id AND reply_count = 0;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER comments_tombstone BEFORE UPDATE OF user_id ON comments
    FOR EACH ROW WHEN (OLD.user_id IS NOT NULL AND NEW.user_id IS NULL) EXECUTE FUNCTION tombstone_comment();
CREATE TRIGGER comments_tombstoned AFTER UPDATE OF user_id ON comments
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL) EXECUTE FUNCTION comment_tombstoned();

-- +goose Down
DROP TRIGGER comments_tombstoned ON comments;
DROP TRIGGER comments_tombstone ON comments;
DROP FUNCTION comment_tombstoned, tombstone_comment;
-- Replies and tombstones have no place in the old schema (deleted while the triggers
-- still count them).
DELETE FROM comments WHERE parent_id IS NOT NULL;
DELETE FROM comments WHERE deleted_at IS NOT NULL;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION count_comments() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    r record := CASE TG_OP WHEN 'INSERT' THEN NEW ELSE OLD END;
BEGIN
    UPDATE videos SET comment_count = comment_count + d WHERE id = r.video_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd
DROP VIEW comment_feed;
CREATE VIEW comment_feed AS
SELECT c.id, c.user_id, c.video_id, c.content, c.like_count, c.created_at, c.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar
FROM comments c
JOIN users u ON u.id = c.user_id;
DROP TABLE mentions;
ALTER TABLE videos DROP COLUMN thread_count;
ALTER TABLE comments
    DROP CONSTRAINT comments_user_id_fkey,
    ADD CONSTRAINT comments_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    DROP CONSTRAINT comments_one_level_check,
    DROP CONSTRAINT comments_tombstone_check,
    DROP CONSTRAINT comments_content_check,
    ADD CONSTRAINT comments_content_check CHECK (char_length(content) BETWEEN 1 AND 1000),
    ALTER COLUMN user_id SET NOT NULL,
    DROP COLUMN deleted_at,
    DROP COLUMN reply_count,
    DROP COLUMN parent_id;
