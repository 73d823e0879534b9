-- The Following feed from a per-user inbox: hybrid fan-out (issue 14, part 4).
--
-- Before, GET /api/videos/following pulled: for each followed creator, the newest videos
-- before the cursor, merged (ListFollowingVideos) — a cost that grows with the number
-- followed (2.5 ms of database time at 200). Now a post is pushed into each follower's
-- inbox (feed_inbox) and the page reads the inbox newest first, a range of its primary key
-- whatever the number followed. Creators with very many followers are pulled instead
-- (feed_pull_creators): their posts are not pushed, and the page merges their newest
-- videos, few by definition, with the inbox.
--
-- Writes happen in triggers, in the same transaction as the row that causes them, like the
-- counters: a post fans out to at most feed_settings.fanout_max_followers rows (a creator
-- above that is pulled), so the worst push is bounded and a follower sees a post the moment
-- it commits. Follow and post of the same creator are serialized by the creator's users row,
-- which the counter triggers (follows_count, videos_count) update first; the triggers here
-- sort after them and read with a fresh snapshot, so a follow racing a post leaves the post
-- in the inbox exactly once.
--
--   post (videos INSERT)    push to every follower, unless the creator is pulled
--   delete (videos DELETE)  remove the video from every inbox (feed_inbox_video_id_idx)
--   follow (follows INSERT) backfill the creator's newest videos into the follower's inbox
--                           (at most inbox_max); a creator whose follower_count passes
--                           fanout_max_followers joins feed_pull_creators here
--   unfollow (DELETE)       remove the creator's videos from the follower's inbox; blocking
--                           and account deletion delete follows, so they take this path
--   re-dating (videos UPDATE OF created_at: data fixes, tests) moves the video's entries
--   moderation, suspension, processing: nothing is written; the page filters every entry
--                           through hidden_video like every read (00015, 00021)
--
-- Bound: each inbox keeps about inbox_max entries. The follow path trims the follower's
-- inbox at once; a post trims the inboxes of a pseudo-random 1/32 of its followers
-- (feed_trim), so an inbox grows by a few dozen entries past the bound between trims. A
-- trim records the user's horizon (feed_inbox_horizon): the inbox holds every visible
-- video of the followed, pushed creators at or above it; older pages are read with the pull
-- query (ListFollowingVideos), as before. No horizon row: the inbox is complete.
--
-- feed_inbox has no foreign keys: a foreign-key check locks the referenced row (FOR KEY
-- SHARE) per inserted row, one users row per follower on every post; the triggers keep it
-- exact instead (unfollow, video delete; deleting a user deletes their follows both ways).
--
-- A creator falls back below the threshold only through feed_rebalance() (hysteresis: at
-- 90 % of it), which pushes their recent videos into their followers' inboxes; that is
-- a batch, not a request's work, so it runs from maintenance (every serve, hourly:
-- maintenance.FanoutEvery, which also stores FEED_FANOUT_MAX_FOLLOWERS; and the seed).

-- +goose Up
CREATE TABLE feed_settings (
    id                   boolean PRIMARY KEY DEFAULT true CHECK (id),
    fanout_max_followers bigint  NOT NULL DEFAULT 10000 CHECK (fanout_max_followers >= 0),
    inbox_max            integer NOT NULL DEFAULT 200 CHECK (inbox_max BETWEEN 10 AND 10000)
);
INSERT INTO feed_settings DEFAULT VALUES;

-- One row per (follower, followed video); the primary key is the page's index, scanned
-- backwards (newest first) from the cursor.
CREATE TABLE feed_inbox (
    user_id    bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    video_id   bigint      NOT NULL,
    creator_id bigint      NOT NULL,
    PRIMARY KEY (user_id, created_at, video_id)
);
CREATE INDEX feed_inbox_video_id_idx ON feed_inbox (video_id);

CREATE TABLE feed_inbox_horizon (
    user_id    bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    video_id   bigint      NOT NULL
);

CREATE TABLE feed_pull_creators (
    creator_id bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    since      timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
-- feed_horizon is u's horizon, or ('-infinity', 0) when u's inbox is complete: one row.
CREATE FUNCTION feed_horizon(u bigint) RETURNS TABLE (created_at timestamptz, video_id bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(max(h.created_at), '-infinity'), coalesce(max(h.video_id), 0)
    FROM feed_inbox_horizon h WHERE h.user_id = u
$$;

-- feed_raise_horizon moves u's horizon up to (t, v), never down.
CREATE FUNCTION feed_raise_horizon(u bigint, t timestamptz, v bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO feed_inbox_horizon AS h (user_id, created_at, video_id) VALUES (u, t, v)
    ON CONFLICT (user_id) DO UPDATE SET created_at = EXCLUDED.created_at, video_id = EXCLUDED.video_id
    WHERE (h.created_at, h.video_id) < (EXCLUDED.created_at, EXCLUDED.video_id)
$$;

-- feed_trim keeps u's newest inbox_max entries and raises the horizon to the oldest kept
-- when it deletes any.
CREATE FUNCTION feed_trim(u bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k record;
BEGIN
    SELECT i.created_at, i.video_id INTO k FROM feed_inbox i
    WHERE i.user_id = u
    ORDER BY i.created_at DESC, i.video_id DESC
    OFFSET (SELECT inbox_max FROM feed_settings) - 1 LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    DELETE FROM feed_inbox WHERE user_id = u AND (created_at, video_id) < (k.created_at, k.video_id);
    IF FOUND THEN
        PERFORM feed_raise_horizon(u, k.created_at, k.video_id);
    END IF;
END $$;

-- feed_backfill pushes creator's newest videos at or above follower's horizon into the
-- follower's inbox, at most inbox_max of them; when it takes that many (there may be
-- more), the horizon rises to the oldest taken, which keeps "complete above the horizon".
CREATE FUNCTION feed_backfill(follower bigint, creator bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    cap integer := (SELECT inbox_max FROM feed_settings);
    h   record;
    o   record;
BEGIN
    SELECT created_at, video_id INTO h FROM feed_inbox_horizon WHERE user_id = follower;
    WITH c AS MATERIALIZED (
        SELECT v.created_at, v.id FROM videos v
        WHERE v.user_id = creator
          AND (h.created_at IS NULL OR (v.created_at, v.id) >= (h.created_at, h.video_id))
        ORDER BY v.created_at DESC, v.id DESC
        LIMIT cap
    ), ins AS (
        INSERT INTO feed_inbox (user_id, created_at, video_id, creator_id)
        SELECT follower, c.created_at, c.id, creator FROM c
        ON CONFLICT DO NOTHING
    )
    SELECT count(*) OVER () AS n, c.created_at, c.id INTO o FROM c ORDER BY c.created_at, c.id LIMIT 1;
    IF o.n = cap THEN -- there may be more: complete only down to the oldest taken
        -- rows first, then the horizon, as feed_trim does: the same lock order
        DELETE FROM feed_inbox WHERE user_id = follower AND (created_at, video_id) < (o.created_at, o.id);
        PERFORM feed_raise_horizon(follower, o.created_at, o.id);
    END IF;
    PERFORM feed_trim(follower);
END $$;

CREATE FUNCTION feed_on_video() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM feed_inbox WHERE video_id = OLD.id;
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT FROM feed_pull_creators WHERE creator_id = NEW.user_id) THEN
        RETURN NULL; -- pulled at read time
    END IF;
    INSERT INTO feed_inbox (user_id, created_at, video_id, creator_id)
    SELECT f.follower_id, NEW.created_at, NEW.id, NEW.user_id
    FROM follows f WHERE f.following_id = NEW.user_id
    ON CONFLICT DO NOTHING;
    -- Lazy bound: about 1 in 32 followers' inboxes, a different share per video, in id order
    -- (concurrent posts lock horizon rows in the same order).
    PERFORM feed_trim(f.follower_id)
    FROM (SELECT f.follower_id FROM follows f
          WHERE f.following_id = NEW.user_id AND ((f.follower_id + hashint8(NEW.id)) & 31) = 0
          ORDER BY f.follower_id) f;
    RETURN NULL;
END $$;

-- A video's time changes only in data fixes and tests; its entries follow it (to every
-- follower whose horizon it is at or above).
CREATE FUNCTION feed_on_video_redate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM feed_inbox WHERE video_id = NEW.id;
    IF NOT EXISTS (SELECT FROM feed_pull_creators WHERE creator_id = NEW.user_id) THEN
        INSERT INTO feed_inbox (user_id, created_at, video_id, creator_id)
        SELECT f.follower_id, NEW.created_at, NEW.id, NEW.user_id
        FROM follows f
        WHERE f.following_id = NEW.user_id
          AND NOT EXISTS (SELECT FROM feed_inbox_horizon h
                          WHERE h.user_id = f.follower_id AND (h.created_at, h.video_id) > (NEW.created_at, NEW.id))
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION feed_on_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM feed_inbox WHERE user_id = OLD.follower_id AND creator_id = OLD.following_id;
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT FROM feed_pull_creators WHERE creator_id = NEW.following_id) THEN
        RETURN NULL;
    END IF;
    -- follows_count has just counted this follow (and locked the creator's row).
    IF (SELECT follower_count FROM users WHERE id = NEW.following_id) > (SELECT fanout_max_followers FROM feed_settings) THEN
        INSERT INTO feed_pull_creators (creator_id) VALUES (NEW.following_id) ON CONFLICT DO NOTHING;
        RETURN NULL;
    END IF;
    PERFORM feed_backfill(NEW.follower_id, NEW.following_id);
    RETURN NULL;
END $$;

-- feed_rebalance puts the creators above fanout_max_followers into feed_pull_creators and
-- takes out those below 90 % of it, backfilling their followers' inboxes (row by row:
-- rare, and each creator's row is locked first so a concurrent post or follow waits). It
-- returns how many creators changed side.
CREATE FUNCTION feed_rebalance() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    lim     bigint := (SELECT fanout_max_followers FROM feed_settings);
    changed bigint;
    c       bigint;
BEGIN
    INSERT INTO feed_pull_creators (creator_id)
    SELECT u.id FROM users u WHERE u.follower_count > lim
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS changed = ROW_COUNT;
    FOR c IN SELECT p.creator_id FROM feed_pull_creators p JOIN users u ON u.id = p.creator_id
             WHERE u.follower_count * 10 < lim * 9 ORDER BY p.creator_id LOOP
        PERFORM 1 FROM users WHERE id = c FOR UPDATE;
        DELETE FROM feed_pull_creators WHERE creator_id = c;
        PERFORM feed_backfill(f.follower_id, c)
        FROM (SELECT follower_id FROM follows WHERE following_id = c ORDER BY follower_id) f;
        changed := changed + 1;
    END LOOP;
    RETURN changed;
END $$;

-- feed_build_inboxes fills empty inboxes set-based, for bulk loads that ran with the feed
-- triggers off (the seed, this migration): each user's newest inbox_max videos of the
-- pushed creators they follow, and a horizon at the oldest for each user whose inbox is
-- full (complete above it: a video above it is among its creator's newest inbox_max, so
-- it was a candidate). Run feed_rebalance first. Returns the entries inserted.
CREATE FUNCTION feed_build_inboxes() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    cap integer := (SELECT inbox_max FROM feed_settings);
    n   bigint;
BEGIN
    INSERT INTO feed_inbox (user_id, created_at, video_id, creator_id)
    SELECT x.follower_id, x.created_at, x.id, x.user_id FROM (
        SELECT f.follower_id, v.created_at, v.id, v.user_id,
               row_number() OVER (PARTITION BY f.follower_id ORDER BY v.created_at DESC, v.id DESC) AS rn
        FROM follows f
        CROSS JOIN LATERAL (
            SELECT vv.created_at, vv.id, vv.user_id FROM videos vv
            WHERE vv.user_id = f.following_id
            ORDER BY vv.created_at DESC, vv.id DESC LIMIT cap
        ) v
        WHERE NOT EXISTS (SELECT FROM feed_pull_creators p WHERE p.creator_id = f.following_id)
    ) x
    WHERE x.rn <= cap
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO feed_inbox_horizon AS h (user_id, created_at, video_id)
    SELECT DISTINCT ON (i.user_id) i.user_id, i.created_at, i.video_id
    FROM feed_inbox i
    WHERE i.user_id IN (SELECT user_id FROM feed_inbox GROUP BY user_id HAVING count(*) >= cap)
    ORDER BY i.user_id, i.created_at, i.video_id
    ON CONFLICT (user_id) DO UPDATE SET created_at = EXCLUDED.created_at, video_id = EXCLUDED.video_id
    WHERE (h.created_at, h.video_id) < (EXCLUDED.created_at, EXCLUDED.video_id);
    RETURN n;
END $$;
-- +goose StatementEnd

-- Names sort after the counters' (videos_count, follows_count), which lock the creator's row.
CREATE TRIGGER videos_feed AFTER INSERT OR DELETE ON videos
    FOR EACH ROW EXECUTE FUNCTION feed_on_video();
CREATE TRIGGER videos_feed_redate AFTER UPDATE OF created_at ON videos
    FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at) EXECUTE FUNCTION feed_on_video_redate();
CREATE TRIGGER follows_feed AFTER INSERT OR DELETE ON follows
    FOR EACH ROW EXECUTE FUNCTION feed_on_follow();

SELECT feed_rebalance();
SELECT feed_build_inboxes();

-- +goose Down
DROP TRIGGER follows_feed ON follows;
DROP TRIGGER videos_feed_redate ON videos;
DROP TRIGGER videos_feed ON videos;
DROP FUNCTION feed_build_inboxes, feed_rebalance, feed_on_follow, feed_on_video_redate, feed_on_video, feed_backfill, feed_trim, feed_raise_horizon, feed_horizon;
DROP TABLE feed_pull_creators, feed_inbox_horizon, feed_inbox, feed_settings;
