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
--     `reply` and `mention` notifications and its likes' group) and the `reply`
--     notifications of its replies, which were its author's, are deleted;
--   * notification_add does nothing when either side may not see the other (hidden_user:
--     a block either way, or a suspended actor), so blocked users never notify each other.
--     notification_remove keeps the plain rule, so an undo always finds what its action
--     added, also when the two blocked each other since.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION notification_add(recipient bigint, actor bigint, what text, video bigint, comment bigint,
                                            happened_at timestamptz DEFAULT now())
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    nid bigint;
BEGIN
    IF NOT notification_wanted(recipient, actor, what, video, comment)
       OR EXISTS (SELECT FROM hidden_user(recipient, actor)) THEN
        RETURN;
    END IF;
    -- As in 00014: the recipient's row is locked before the new seq is taken.
    INSERT INTO notifications AS n (recipient_id, kind, video_id, comment_id, actor_ids, actor_count, created_at, updated_at)
    SELECT u.id, what, video, comment, ARRAY[actor], 1, happened_at, happened_at
    FROM users u WHERE u.id = recipient
    FOR NO KEY UPDATE
    ON CONFLICT (video_id, comment_id, kind, recipient_id) DO UPDATE
    SET actor_ids   = (actor || array_remove(n.actor_ids, actor))[1:10],
        actor_count = n.actor_count + 1,
        seq         = nextval('notification_seq'),
        updated_at  = greatest(n.updated_at, excluded.updated_at)
    RETURNING n.id INTO nid;
    IF nid IS NOT NULL AND EXISTS (SELECT FROM notification_listeners l WHERE l.user_id = recipient) THEN
        PERFORM pg_notify('notifications', recipient || ':' || nid || ':a');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION notify_comment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    video_owner   bigint;
    parent_author bigint;
BEGIN
    SELECT user_id INTO video_owner FROM videos WHERE id = NEW.video_id;
    IF NEW.parent_id IS NOT NULL THEN
        SELECT user_id INTO parent_author FROM comments WHERE id = NEW.parent_id;
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
    WHERE kind = 'reply' AND comment_id IN (SELECT r.id FROM comments r WHERE r.parent_id = NEW.id);
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

CREATE OR REPLACE FUNCTION notification_add(recipient bigint, actor bigint, what text, video bigint, comment bigint,
                                            happened_at timestamptz DEFAULT now())
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    nid bigint;
BEGIN
    IF NOT notification_wanted(recipient, actor, what, video, comment) THEN
        RETURN;
    END IF;
    INSERT INTO notifications AS n (recipient_id, kind, video_id, comment_id, actor_ids, actor_count, created_at, updated_at)
    SELECT u.id, what, video, comment, ARRAY[actor], 1, happened_at, happened_at
    FROM users u WHERE u.id = recipient
    FOR NO KEY UPDATE
    ON CONFLICT (video_id, comment_id, kind, recipient_id) DO UPDATE
    SET actor_ids   = (actor || array_remove(n.actor_ids, actor))[1:10],
        actor_count = n.actor_count + 1,
        seq         = nextval('notification_seq'),
        updated_at  = greatest(n.updated_at, excluded.updated_at)
    RETURNING n.id INTO nid;
    IF nid IS NOT NULL AND EXISTS (SELECT FROM notification_listeners l WHERE l.user_id = recipient) THEN
        PERFORM pg_notify('notifications', recipient || ':' || nid || ':a');
    END IF;
END $$;
-- +goose StatementEnd
