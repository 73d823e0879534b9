-- Notifications for replies and mentions, and no notification across a block.
--
-- Migrations 00012 (replies, mentions), 00014 (notifications) and 00015 (blocks) were
-- written side by side; this one joins them:
--   * a reply notifies the author of the comment it answers (`reply`, one row per reply);
--     the video's owner gets the usual `comment` unless they are that author (one
--     notification, not two);
--   * a mention row (a caption's or a comment's, migration 00012) notifies the mentioned
--     user (`mention`); deleting the row — an edit that drops the name, a deleted comment,
--     video or account — takes it back (notification_remove);
--   * a comment that becomes a tombstone (its author deleted it while it has replies, or
--     the account went) takes its notifications with it: the rows about it (its `comment`,
--     `reply` and `mention` notifications and its likes' group) and the `reply` and
--     `comment` notifications of its replies are deleted, and a reply added under a
--     tombstone notifies nobody: whether a reply notified the owner then depends only on
--     rows that still exist (TestConcurrentStorm checks every group against them);
--   * blocks need no rule here: every action between a blocked pair is refused before it
--     writes anything (404, and ResolveMentionNames does not resolve a user the author may
--     not see), so no source row, and no notification, crosses a block. A check inside
--     notification_add was tried and removed: an action racing a block could then insert
--     its row without its notification, and its undo would take from the group an actor
--     it never added (TestConcurrentStorm caught a comment-like group one short).

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION notify_comment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    video_owner   bigint;
    parent_author bigint;
BEGIN
    SELECT user_id INTO video_owner FROM videos WHERE id = NEW.video_id;
    IF NEW.parent_id IS NOT NULL THEN
        SELECT user_id INTO parent_author FROM comments WHERE id = NEW.parent_id;
        IF parent_author IS NULL THEN
            RETURN NULL; -- a thread under a tombstone
        END IF;
        PERFORM notification_add(parent_author, NEW.user_id, 'reply', NEW.video_id, NEW.id, NEW.created_at);
        IF parent_author IS NOT DISTINCT FROM video_owner THEN
            RETURN NULL;
        END IF;
    END IF;
    PERFORM notification_add(video_owner, NEW.user_id, 'comment', NEW.video_id, NEW.id, NEW.created_at);
    RETURN NULL;
END $$;

CREATE FUNCTION notify_mention() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM notification_add(NEW.mentioned_id, NEW.author_id, 'mention', NEW.video_id, NEW.comment_id, NEW.created_at);
    ELSE
        PERFORM notification_remove(OLD.mentioned_id, OLD.author_id, 'mention', OLD.video_id, OLD.comment_id);
    END IF;
    RETURN NULL;
END $$;

-- notifications_comment_id_idx (00014, partial) finds the rows about the comment and, by
-- way of comments_parent_id_created_at_id_idx, about its replies.
CREATE FUNCTION unnotify_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM notifications WHERE comment_id = NEW.id;
    DELETE FROM notifications
    WHERE kind IN ('reply', 'comment') AND comment_id IN (SELECT r.id FROM comments r WHERE r.parent_id = NEW.id);
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER mentions_notify AFTER INSERT OR DELETE ON mentions
    FOR EACH ROW EXECUTE FUNCTION notify_mention();
CREATE TRIGGER comments_unnotify_tombstone AFTER UPDATE OF user_id ON comments
    FOR EACH ROW WHEN (OLD.user_id IS NOT NULL AND NEW.user_id IS NULL) EXECUTE FUNCTION unnotify_tombstone();

-- +goose Down
DROP TRIGGER comments_unnotify_tombstone ON comments;
DROP TRIGGER mentions_notify ON mentions;
DROP FUNCTION unnotify_tombstone, notify_mention;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION notify_comment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    video_owner bigint;
BEGIN
    SELECT user_id INTO video_owner FROM videos WHERE id = NEW.video_id;
    PERFORM notification_add(video_owner, NEW.user_id, 'comment', NEW.video_id, NEW.id, NEW.created_at);
    RETURN NULL;
END $$;

-- +goose StatementEnd
