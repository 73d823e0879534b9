-- Notifications: "alice and 12 others liked your video", kept by triggers in the same
-- transaction as the action, and delivered live through LISTEN/NOTIFY.
--
-- Grouping. A notification is a GROUP: one row per (recipient, kind, video, comment), the
-- unique key below, holding how many actors it has (actor_count) and the most recent ones
-- (actor_ids, newest first, at most 10). A new actor updates the row; it never adds one.
--   video_like    your video was liked           one row per video
--   comment_like  your comment was liked         one row per comment (video_id: its video)
--   comment       someone commented your video   one row per comment (count 1: the text is the point)
--   reply         someone replied to your comment  one row per reply     (wired after merge)
--   mention       someone mentioned you            one row per comment / caption (wired after merge)
--   follow        someone followed you           one row per recipient
-- There is exactly one row per key, read or not: new activity on a read group REOPENS it
-- (it becomes unread and moves to the top, its count still the total: "alice and 12 others"
-- counts everyone who likes the video now, as Instagram and TikTok show it). Keeping one
-- row per key is what lets an undo find its group and keep the count exact with one
-- indexed statement, without a table of every actor.
--
-- Undo. Unlike, unfollow and deletes call notification_remove: the count goes down by one,
-- the actor leaves actor_ids, and the row is deleted when its count reaches 0. Deleting a
-- video or a comment deletes its notifications by cascade; deleting an account removes its
-- likes and follows row by row (their triggers shrink the groups) and its comments and
-- videos by cascade. Every delete of a notification row, however it happens, is announced
-- by notifications_deleted.
--
-- Events. seq is the id of the group's latest activity (a new actor), from one sequence:
-- the Server-Sent Events `id:` and the keyset of the list, newest first. notification_add
-- locks the recipient's users row (FOR NO KEY UPDATE, until commit) before it takes a seq,
-- so the seqs of one recipient are taken in commit order: a stream resuming after seq N
-- misses nothing committed later with a smaller seq, and "read up to the newest" never
-- marks a notification still being written. (Likes and follows already hold that row for
-- the owner's counters; comments and comment likes now wait for it too.) Shrinking a group
-- keeps its seq: an undo is not news and neither reopens nor reorders it.
--
-- Read state. notification_reads.read_seq per user: every notification whose seq is at or
-- below it is read. Marking read is one upsert however many notifications there are, and
-- new activity on a group (a higher seq) makes it unread again.
--
-- Delivery. Each change announces itself with pg_notify('notifications',
-- '<recipient>:<id>:<op>') in its transaction (delivered on commit, never the row itself):
-- op a = new activity (seq moved), u = the group shrank, d = deleted, r = the recipient
-- marked notifications read (id is the new read_seq). Servers LISTEN on one connection each
-- and fan out to their streams. Only recipients with an open stream are announced
-- (notification_listeners, kept by the servers): a transaction that notifies takes a
-- database-wide lock at commit and holds it through its WAL flush, so notifying commits
-- queue one behind the other. Announcing every like cost another 8 % of the like path's
-- throughput at concurrency 32 with synchronous commit, on top of the 8 % these triggers
-- cost (docs/design.md, "Notifications"), and more under load; checking one small
-- primary key costs next to nothing. A server
-- registers a stream's user before the stream reads the table, and the registration
-- waits for that user's notifications in flight (the lock above), so a notification either
-- sees the listener or committed before the stream looked.
--
-- Hooks for the other parts of issue 11:
--   notification_wanted(recipient, actor, kind, video, comment) is the one place that
--     decides whether an action notifies; blocks extend its body. notification_remove asks
--     it too, so an action that never notified is never un-counted. When a rule starts to
--     apply to existing actions (a block between users who already like and follow each
--     other), undo those actions before the rule applies (delete the likes and follows,
--     then insert the block row), so their triggers shrink the groups while the actor still
--     counts.
--   Replies and mentions: a trigger that calls
--     notification_add(parent author, NEW.user_id, 'reply', NEW.video_id, NEW.id, NEW.created_at)
--     notification_add(mentioned user, author, 'mention', video_id, comment_id or NULL, created_at)
--   on insert; deleting the reply or mention row (or the comment: cascade) removes them.
--   A comment tombstoned instead of deleted should call notification_remove for its
--   'comment' / 'reply' rows.

-- +goose Up
CREATE SEQUENCE notification_seq AS bigint;

CREATE TABLE notifications (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         text        NOT NULL CHECK (kind IN ('video_like', 'comment_like', 'comment', 'reply', 'mention', 'follow')),
    video_id     bigint      REFERENCES videos (id) ON DELETE CASCADE,
    comment_id   bigint      REFERENCES comments (id) ON DELETE CASCADE,
    -- the most recent actors still in the group, newest first (at most 10; the API shows 3)
    actor_ids    bigint[]    NOT NULL,
    actor_count  bigint      NOT NULL CHECK (actor_count >= 0),
    seq          bigint      NOT NULL DEFAULT nextval('notification_seq'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE notification_seq OWNED BY notifications.seq;
-- The group key. video_id leads so that deleting a video (ON DELETE CASCADE) finds its
-- notifications through this index; NULLS NOT DISTINCT (PostgreSQL 15) makes a follow
-- group (no video, no comment) unique too.
CREATE UNIQUE INDEX notifications_group_key ON notifications (video_id, comment_id, kind, recipient_id) NULLS NOT DISTINCT;
-- A recipient's list and stream replay (newest or oldest first), unread counts, and the
-- cascade of a deleted recipient.
CREATE INDEX notifications_recipient_seq_idx ON notifications (recipient_id, seq DESC);
-- The cascade of a deleted comment. Partial: a video like or follow row (no comment) never
-- enters it, so the like path maintains three indexes.
CREATE INDEX notifications_comment_id_idx ON notifications (comment_id) WHERE comment_id IS NOT NULL;

-- The users some server streams notifications to (server: a random id per process).
-- Servers refresh their rows every 30 s, delete the ones of users whose streams closed,
-- and delete every row not refreshed for 2 minutes (a server that died).
CREATE TABLE notification_listeners (
    user_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    server_id text        NOT NULL,
    seen_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, server_id)
);

CREATE TABLE notification_reads (
    user_id    bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    read_seq   bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
-- notification_wanted decides whether actor's action of this kind notifies recipient:
-- never for one's own actions, nor without a recipient (the video or comment is gone).
-- Blocks add their rule here. A SQL function this simple is inlined into its callers.
CREATE FUNCTION notification_wanted(recipient bigint, actor bigint, what text, video bigint, comment bigint)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT recipient IS NOT NULL AND actor IS NOT NULL AND recipient <> actor
$$;

-- notification_announce tells the servers that recipient's notification id changed (op),
-- on commit, if any server streams recipient's notifications.
CREATE FUNCTION notification_announce(recipient bigint, id bigint, op text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM notification_listeners l WHERE l.user_id = recipient) THEN
        PERFORM pg_notify('notifications', recipient || ':' || id || ':' || op);
    END IF;
END $$;

-- notification_add adds actor to recipient's group (what, video, comment): one upsert on
-- notifications_group_key that creates the group or moves the actor to the front, counts
-- one more, takes a new seq (reopening a read group) and announces it on commit.
CREATE FUNCTION notification_add(recipient bigint, actor bigint, what text, video bigint, comment bigint,
                                 happened_at timestamptz DEFAULT now())
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    nid bigint;
BEGIN
    IF NOT notification_wanted(recipient, actor, what, video, comment) THEN
        RETURN;
    END IF;
    -- The recipient's row is locked (FOR NO KEY UPDATE, until commit) before the new seq
    -- is taken, so one recipient's seqs follow commit order and a stream registering waits
    -- for us (see the top of this file). A recipient being deleted is not there any more:
    -- nothing is inserted.
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
    -- A statement of its own: its snapshot is taken after the lock above was granted, so
    -- it sees a listener registered while we waited.
    IF nid IS NOT NULL AND EXISTS (SELECT FROM notification_listeners l WHERE l.user_id = recipient) THEN
        PERFORM pg_notify('notifications', recipient || ':' || nid || ':a');
    END IF;
END $$;

-- notification_remove undoes one notification_add: the group counts one actor less, the
-- actor leaves actor_ids, and a group left with no actor is deleted (notifications_deleted
-- announces every deleted row). It keeps the group's seq and read state. Nothing happens when the action
-- never notified (notification_wanted) or the group is gone.
CREATE FUNCTION notification_remove(recipient bigint, actor bigint, what text, video bigint, comment bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    nid       bigint;
    remaining bigint;
BEGIN
    IF NOT notification_wanted(recipient, actor, what, video, comment) THEN
        RETURN;
    END IF;
    -- The last actor takes the group with it: one DELETE, the common case (most groups have
    -- one actor). Otherwise one less, under the row's lock; concurrent undos queue there,
    -- and the one that reaches 0 deletes the row. Each statement is equality on every
    -- column of notifications_group_key (a NULL needs IS NULL to use it).
    IF video IS NULL THEN
        DELETE FROM notifications
        WHERE video_id IS NULL AND comment_id IS NULL AND kind = what AND recipient_id = recipient AND actor_count <= 1;
        IF FOUND THEN
            RETURN;
        END IF;
        UPDATE notifications SET actor_count = actor_count - 1, actor_ids = array_remove(actor_ids, actor)
        WHERE video_id IS NULL AND comment_id IS NULL AND kind = what AND recipient_id = recipient
        RETURNING id, actor_count INTO nid, remaining;
    ELSIF comment IS NULL THEN
        DELETE FROM notifications
        WHERE video_id = video AND comment_id IS NULL AND kind = what AND recipient_id = recipient AND actor_count <= 1;
        IF FOUND THEN
            RETURN;
        END IF;
        UPDATE notifications SET actor_count = actor_count - 1, actor_ids = array_remove(actor_ids, actor)
        WHERE video_id = video AND comment_id IS NULL AND kind = what AND recipient_id = recipient
        RETURNING id, actor_count INTO nid, remaining;
    ELSE
        DELETE FROM notifications
        WHERE video_id = video AND comment_id = comment AND kind = what AND recipient_id = recipient AND actor_count <= 1;
        IF FOUND THEN
            RETURN;
        END IF;
        UPDATE notifications SET actor_count = actor_count - 1, actor_ids = array_remove(actor_ids, actor)
        WHERE video_id = video AND comment_id = comment AND kind = what AND recipient_id = recipient
        RETURNING id, actor_count INTO nid, remaining;
    END IF;
    IF nid IS NULL THEN
        RETURN; -- no group
    ELSIF remaining = 0 THEN
        DELETE FROM notifications WHERE id = nid;
    ELSE
        PERFORM notification_announce(recipient, nid, 'u');
    END IF;
END $$;

-- Every deleted notification is announced, however it was deleted (an undo, or a cascade
-- of its video or comment).
CREATE FUNCTION notifications_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM notification_listeners l WHERE l.user_id = OLD.recipient_id) THEN
        PERFORM pg_notify('notifications', OLD.recipient_id || ':' || OLD.id || ':d');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION notification_reads_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM notification_announce(NEW.user_id, NEW.read_seq, 'r');
    RETURN NULL;
END $$;

-- The sources. Each looks up the recipient with one primary-key probe.
CREATE FUNCTION notify_video_like() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    video_owner bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT user_id INTO video_owner FROM videos WHERE id = NEW.video_id;
        PERFORM notification_add(video_owner, NEW.user_id, 'video_like', NEW.video_id, NULL, NEW.created_at);
    ELSE
        -- A cascade from the video finds no owner: the video's notifications go with it.
        SELECT user_id INTO video_owner FROM videos WHERE id = OLD.video_id;
        PERFORM notification_remove(video_owner, OLD.user_id, 'video_like', OLD.video_id, NULL);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION notify_comment_like() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    author bigint;
    video  bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT user_id, video_id INTO author, video FROM comments WHERE id = NEW.comment_id;
        PERFORM notification_add(author, NEW.user_id, 'comment_like', video, NEW.comment_id, NEW.created_at);
    ELSE
        SELECT user_id, video_id INTO author, video FROM comments WHERE id = OLD.comment_id;
        PERFORM notification_remove(author, OLD.user_id, 'comment_like', video, OLD.comment_id);
    END IF;
    RETURN NULL;
END $$;

-- A comment notifies the video's owner; deleting it deletes the notification by cascade.
CREATE FUNCTION notify_comment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    video_owner bigint;
BEGIN
    SELECT user_id INTO video_owner FROM videos WHERE id = NEW.video_id;
    PERFORM notification_add(video_owner, NEW.user_id, 'comment', NEW.video_id, NEW.id, NEW.created_at);
    RETURN NULL;
END $$;

CREATE FUNCTION notify_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM notification_add(NEW.following_id, NEW.follower_id, 'follow', NULL, NULL, NEW.created_at);
    ELSE
        PERFORM notification_remove(OLD.following_id, OLD.follower_id, 'follow', NULL, NULL);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- Trigger names sort after the counters' (video_likes_count, follows_count…), which
-- PostgreSQL fires first: the owner's row is already locked by then.
CREATE TRIGGER video_likes_notify AFTER INSERT OR DELETE ON video_likes
    FOR EACH ROW EXECUTE FUNCTION notify_video_like();
CREATE TRIGGER comment_likes_notify AFTER INSERT OR DELETE ON comment_likes
    FOR EACH ROW EXECUTE FUNCTION notify_comment_like();
CREATE TRIGGER comments_notify AFTER INSERT ON comments
    FOR EACH ROW EXECUTE FUNCTION notify_comment();
CREATE TRIGGER follows_notify AFTER INSERT OR DELETE ON follows
    FOR EACH ROW EXECUTE FUNCTION notify_follow();
CREATE TRIGGER notifications_deleted AFTER DELETE ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_deleted();
CREATE TRIGGER notification_reads_changed AFTER INSERT OR UPDATE ON notification_reads
    FOR EACH ROW EXECUTE FUNCTION notification_reads_changed();

-- +goose Down
DROP TRIGGER video_likes_notify ON video_likes;
DROP TRIGGER comment_likes_notify ON comment_likes;
DROP TRIGGER comments_notify ON comments;
DROP TRIGGER follows_notify ON follows;
DROP TABLE notification_reads, notification_listeners, notifications;
DROP FUNCTION notify_video_like, notify_comment_like, notify_comment, notify_follow, notifications_deleted,
    notification_reads_changed, notification_add, notification_remove, notification_announce, notification_wanted;
