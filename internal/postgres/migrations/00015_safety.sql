-- Safety: blocks, roles, reports and moderation, and the one rule that decides what a
-- viewer may see.
--
-- Visibility. Everything a user owns (their profile, videos and comments) is hidden from a
-- viewer when the owner is suspended or when either of the two blocks the other; a video
-- or comment a moderator hid (video_moderation, comment_moderation) is hidden from everyone
-- but its owner. Nothing is ever hidden from its owner. Three SQL functions say it, and
-- every read query filters through them (NOT EXISTS (SELECT FROM hidden_video(…))):
--
--   hidden_user(viewer, owner)             one row when owner's things are hidden from viewer
--   hidden_video(viewer, video, owner)     … the video: moderated_video, or hidden_user
--   hidden_comment(viewer, comment, owner) … the comment: moderated_comment, or hidden_user
--
-- They are set-returning SQL functions on purpose: PostgreSQL inlines those into the
-- calling query (a boolean SQL function holding a sub-select is never inlined and would run
-- as a function call per row), so each call becomes a few index probes of the caller's
-- plan, each behind a one-time filter: for an anonymous viewer (0) the block probes are
-- skipped at run time and what is left is the moderation check (video_moderation_pkey, and
-- users_suspended_idx, a partial index holding only suspended accounts); for a signed-in
-- viewer two probes of the blocks table are added (blocks_pkey, blocks_blocked_id_idx).
--
-- Search calls them too. search_visible (00008), the seam search was built with, cannot
-- carry this rule: a scalar SQL function whose body holds a sub-select is never inlined,
-- and as a function call it cost 27 µs per candidate (measured over 1 000 videos: 27 ms,
-- against 1.9 ms for the same rule inlined), a search's whole budget for 100 candidates. So
-- search's video and user candidates go through hidden_video and hidden_user like every
-- other read, and search_visible stays what it was (constant true, inlined away) for
-- hashtags and sounds, which nothing hides.
--
-- Counters (likes, comments, videos, followers) keep counting every row, hidden or not:
-- they are kept exact by triggers, and lists and feeds leave out what the viewer may not
-- see. Blocking deletes the follows between the two users, so follower counts stay exact.

-- +goose Up
ALTER TABLE users
    ADD COLUMN role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
    ADD COLUMN suspended_at timestamptz;
-- Only suspended accounts: the probe of every visibility check, a few entries at most.
CREATE INDEX users_suspended_idx ON users (id) WHERE suspended_at IS NOT NULL;

CREATE TABLE blocks (
    blocker_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CONSTRAINT blocks_not_self CHECK (blocker_id <> blocked_id)
);
-- The primary key answers "does A block B" (and this index the same the other way round,
-- and the cascade of a deleted account): every visibility check probes them once per row,
-- with both columns fixed. There is deliberately no index (blocker_id, created_at, …) for
-- the list of one's blocks: the planner costs it the same as the primary key for such a
-- probe (equal estimates, one row each) and may take it, and then a probe reads every block
-- of the user instead of one entry. The list sorts the user's range of the primary key.
CREATE INDEX blocks_blocked_id_idx ON blocks (blocked_id, blocker_id);

-- A hidden video or comment: one row while it is hidden. hidden_by is NULL for the system
-- (the report threshold) or a moderator whose account is gone.
CREATE TABLE video_moderation (
    video_id  bigint      PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
    reason    text        NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    automatic boolean     NOT NULL DEFAULT false,
    hidden_by bigint      REFERENCES users (id) ON DELETE SET NULL,
    hidden_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX video_moderation_hidden_by_idx ON video_moderation (hidden_by);

CREATE TABLE comment_moderation (
    comment_id bigint      PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
    reason     text        NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    automatic  boolean     NOT NULL DEFAULT false,
    hidden_by  bigint      REFERENCES users (id) ON DELETE SET NULL,
    hidden_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comment_moderation_hidden_by_idx ON comment_moderation (hidden_by);

-- +goose StatementBegin
CREATE FUNCTION hidden_user(viewer bigint, owner bigint) RETURNS TABLE (hidden int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT 1 FROM users s WHERE owner <> viewer AND s.id = owner AND s.suspended_at IS NOT NULL
    UNION ALL
    SELECT 1 FROM blocks b WHERE viewer > 0 AND b.blocker_id = viewer AND b.blocked_id = owner
    UNION ALL
    SELECT 1 FROM blocks b WHERE viewer > 0 AND b.blocker_id = owner AND b.blocked_id = viewer
$$;

-- The moderation half of hidden_video and hidden_comment, for a list that checks the
-- owner once for many of their videos (the following feed).
CREATE FUNCTION moderated_video(viewer bigint, video bigint, owner bigint) RETURNS TABLE (hidden int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT 1 FROM video_moderation m WHERE owner <> viewer AND m.video_id = video
$$;

CREATE FUNCTION moderated_comment(viewer bigint, comment bigint, owner bigint) RETURNS TABLE (hidden int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT 1 FROM comment_moderation m WHERE owner <> viewer AND m.comment_id = comment
$$;

CREATE FUNCTION hidden_video(viewer bigint, video bigint, owner bigint) RETURNS TABLE (hidden int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT m.hidden FROM moderated_video(viewer, video, owner) m
    UNION ALL
    SELECT h.hidden FROM hidden_user(viewer, owner) h
$$;

CREATE FUNCTION hidden_comment(viewer bigint, comment bigint, owner bigint) RETURNS TABLE (hidden int)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT m.hidden FROM moderated_comment(viewer, comment, owner) m
    UNION ALL
    SELECT h.hidden FROM hidden_user(viewer, owner) h
$$;
-- +goose StatementEnd

-- The read models carry the moderation state, which only the owner is shown (a new column
-- goes at the end of a view). Hidden rows are rare: one probe of a small primary key.
CREATE OR REPLACE VIEW video_feed AS
SELECT v.id, v.user_id, v.caption, v.video_url, v.thumbnail_url, v.audio_name,
       v.video_storage_path, v.thumbnail_storage_path, v.video_media, v.thumbnail_media,
       v.views, v.like_count, v.comment_count, v.created_at, v.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar,
       v.sound_id, v.hot_rank,
       v.bookmark_count, v.share_count, m.reason AS hidden_reason
FROM videos v
JOIN users u ON u.id = v.user_id
LEFT JOIN video_moderation m ON m.video_id = v.id;

CREATE OR REPLACE VIEW comment_feed AS
SELECT c.id, c.user_id, c.video_id, c.content, c.like_count, c.created_at, c.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar,
       c.parent_id, c.reply_count, (c.deleted_at IS NOT NULL)::boolean AS deleted,
       m.reason AS hidden_reason
FROM comments c
LEFT JOIN users u ON u.id = c.user_id
LEFT JOIN comment_moderation m ON m.comment_id = c.id;

-- Reports: a user reports a video, a comment or a user (exactly one of the three ids; they
-- cascade, so a report goes with its target). A reporter has at most one open report per
-- target (reports_open_key), which also makes a burst of the same report insert one row.
CREATE TABLE reports (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    video_id        bigint      REFERENCES videos (id) ON DELETE CASCADE,
    comment_id      bigint      REFERENCES comments (id) ON DELETE CASCADE,
    user_id         bigint      REFERENCES users (id) ON DELETE CASCADE,
    target_type     text        NOT NULL GENERATED ALWAYS AS (
                        CASE WHEN video_id IS NOT NULL THEN 'video' WHEN comment_id IS NOT NULL THEN 'comment' ELSE 'user' END) STORED,
    target_id       bigint      NOT NULL GENERATED ALWAYS AS (coalesce(video_id, comment_id, user_id)) STORED,
    reason          text        NOT NULL CHECK (reason IN ('spam', 'harassment', 'hate', 'violence', 'sexual',
                        'self_harm', 'misinformation', 'intellectual_property', 'impersonation', 'other')),
    details         text        CHECK (char_length(details) BETWEEN 1 AND 1000),
    status          text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution      text        CHECK (resolution IN ('actioned', 'dismissed')),
    resolution_note text        CHECK (char_length(resolution_note) BETWEEN 1 AND 1000),
    resolved_by     bigint      REFERENCES users (id) ON DELETE SET NULL,
    resolved_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reports_one_target CHECK (num_nonnulls(video_id, comment_id, user_id) = 1),
    CONSTRAINT reports_resolution CHECK ((status = 'resolved') = (resolution IS NOT NULL AND resolved_at IS NOT NULL))
);
CREATE UNIQUE INDEX reports_open_key ON reports (reporter_id, target_type, target_id) WHERE status = 'open';
CREATE INDEX reports_target_open_idx ON reports (target_type, target_id, created_at DESC, id DESC) WHERE status = 'open';
CREATE INDEX reports_reporter_id_idx ON reports (reporter_id);
CREATE INDEX reports_video_id_idx ON reports (video_id) WHERE video_id IS NOT NULL;
CREATE INDEX reports_comment_id_idx ON reports (comment_id) WHERE comment_id IS NOT NULL;
CREATE INDEX reports_user_id_idx ON reports (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX reports_resolved_by_idx ON reports (resolved_by) WHERE resolved_by IS NOT NULL;

-- The moderators' queue: one row per reported target with its number of open reports (a
-- counter kept by the trigger below, = COUNT(*) of its open reports) and when it entered
-- the queue (its first open report since the last time it had none). The same three ids
-- as reports, so a row goes with its target.
CREATE TABLE report_targets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    video_id    bigint      REFERENCES videos (id) ON DELETE CASCADE,
    comment_id  bigint      REFERENCES comments (id) ON DELETE CASCADE,
    user_id     bigint      REFERENCES users (id) ON DELETE CASCADE,
    target_type text        NOT NULL GENERATED ALWAYS AS (
                    CASE WHEN video_id IS NOT NULL THEN 'video' WHEN comment_id IS NOT NULL THEN 'comment' ELSE 'user' END) STORED,
    target_id   bigint      NOT NULL GENERATED ALWAYS AS (coalesce(video_id, comment_id, user_id)) STORED,
    open_count  bigint      NOT NULL DEFAULT 0 CHECK (open_count >= 0),
    queued_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT report_targets_target_key UNIQUE (target_type, target_id),
    CONSTRAINT report_targets_one_target CHECK (num_nonnulls(video_id, comment_id, user_id) = 1)
);
-- the queue, oldest first: only targets with open reports
CREATE INDEX report_targets_queue_idx ON report_targets (queued_at, id) WHERE open_count > 0;
CREATE INDEX report_targets_video_id_idx ON report_targets (video_id) WHERE video_id IS NOT NULL;
CREATE INDEX report_targets_comment_id_idx ON report_targets (comment_id) WHERE comment_id IS NOT NULL;
CREATE INDEX report_targets_user_id_idx ON report_targets (user_id) WHERE user_id IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION count_open_reports() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.status = 'open' THEN
        INSERT INTO report_targets AS t (video_id, comment_id, user_id, open_count)
        VALUES (NEW.video_id, NEW.comment_id, NEW.user_id, 1)
        ON CONFLICT (target_type, target_id) DO UPDATE
        SET open_count = t.open_count + 1,
            queued_at = CASE WHEN t.open_count = 0 THEN now() ELSE t.queued_at END;
    ELSIF (TG_OP = 'DELETE' AND OLD.status = 'open')
       OR (TG_OP = 'UPDATE' AND OLD.status = 'open' AND NEW.status <> 'open') THEN
        -- no row: the target itself is being deleted, and its row went first
        UPDATE report_targets SET open_count = open_count - 1
        WHERE target_type = OLD.target_type AND target_id = OLD.target_id;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER reports_count AFTER INSERT OR DELETE OR UPDATE OF status ON reports
    FOR EACH ROW EXECUTE FUNCTION count_open_reports();

-- Every moderation action, newest first: by a moderator or admin (source 'moderator',
-- actor_id NULL once their account is gone), by the system (the report threshold) or from
-- the command line (`tiktok user role`). No foreign key on the target: the history
-- outlives it.
CREATE TABLE moderation_audit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id    bigint      REFERENCES users (id) ON DELETE SET NULL,
    source      text        NOT NULL CHECK (source IN ('moderator', 'system', 'cli')),
    action      text        NOT NULL CHECK (action IN ('hide_video', 'unhide_video', 'hide_comment', 'unhide_comment',
                    'suspend_user', 'unsuspend_user', 'resolve_reports', 'set_role')),
    target_type text        NOT NULL CHECK (target_type IN ('video', 'comment', 'user')),
    target_id   bigint      NOT NULL,
    reason      text        CHECK (char_length(reason) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_audit_created_at_id_idx ON moderation_audit (created_at DESC, id DESC);
CREATE INDEX moderation_audit_actor_id_idx ON moderation_audit (actor_id) WHERE actor_id IS NOT NULL;

-- +goose Down
DROP TABLE moderation_audit;
DROP TRIGGER reports_count ON reports;
DROP FUNCTION count_open_reports;
DROP TABLE report_targets, reports;
DROP VIEW comment_feed;
CREATE VIEW comment_feed AS
SELECT c.id, c.user_id, c.video_id, c.content, c.like_count, c.created_at, c.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar,
       c.parent_id, c.reply_count, (c.deleted_at IS NOT NULL)::boolean AS deleted
FROM comments c
LEFT JOIN users u ON u.id = c.user_id;
DROP VIEW video_feed;
CREATE VIEW video_feed AS
SELECT v.id, v.user_id, v.caption, v.video_url, v.thumbnail_url, v.audio_name,
       v.video_storage_path, v.thumbnail_storage_path, v.video_media, v.thumbnail_media,
       v.views, v.like_count, v.comment_count, v.created_at, v.updated_at,
       u.username AS author_username, u.name AS author_name, u.avatar AS author_avatar,
       v.sound_id, v.hot_rank,
       v.bookmark_count, v.share_count
FROM videos v
JOIN users u ON u.id = v.user_id;
DROP FUNCTION hidden_comment, hidden_video, moderated_comment, moderated_video, hidden_user;
DROP TABLE comment_moderation, video_moderation, blocks;
ALTER TABLE users DROP COLUMN suspended_at, DROP COLUMN role;
