-- The pulled creators each user follows (issue 14, part 4, continued from 00025).
--
-- The Following page merged the newest videos of the pulled creators the viewer follows by
-- scanning the whole of feed_pull_creators and probing follows for each: a cost that grows
-- with the number of pulled creators on the platform, on every page. feed_pull_follows keeps
-- that list per user, so the page reads one range of its primary key (user_id, creator_id):
--
--   feed_pull_follows = { (f.follower_id, f.following_id) : f in follows,
--                         f.following_id in feed_pull_creators }
--
-- kept exact by triggers, in the transaction of the row that changes it:
--   follow of a pulled creator     feed_on_follow inserts the pair
--   unfollow (also block, and the follows an account deletion cascades to)
--                                  feed_on_follow deletes the pair
--   a creator becomes pulled       feed_pull_creators_follows copies the creator's follows
--                                  (the follow that crosses the threshold, feed_rebalance)
--   a creator stops being pulled   feed_pull_creators_follows deletes the creator's pairs
--   account deletion               ON DELETE CASCADE, both columns
--
-- Race: a follow and a creator becoming pulled serialize on the creator's users row. The
-- follow updates it first (follows_count), and feed_rebalance now locks the rows of the
-- creators it pulls (FOR NO KEY UPDATE, in id order: it conflicts with that update but not
-- with the foreign-key checks of rows that merely reference the creator) before inserting
-- them, so the copy, a fresh snapshot taken after the lock, sees every committed follow,
-- and a follow that waited on the lock sees the creator pulled and inserts its pair.
--
-- feed_build_pull_follows() makes the table exact set-based, for bulk loads that ran with
-- the follows triggers off (the seed, with feed_build_inboxes) and for this migration.

-- +goose Up
CREATE TABLE feed_pull_follows (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    creator_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, creator_id)
);
-- the cascade from users, and a creator leaving feed_pull_creators
CREATE INDEX feed_pull_follows_creator_id_idx ON feed_pull_follows (creator_id);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION feed_on_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM feed_inbox WHERE user_id = OLD.follower_id AND creator_id = OLD.following_id;
        DELETE FROM feed_pull_follows WHERE user_id = OLD.follower_id AND creator_id = OLD.following_id;
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT FROM feed_pull_creators WHERE creator_id = NEW.following_id) THEN
        INSERT INTO feed_pull_follows (user_id, creator_id) VALUES (NEW.follower_id, NEW.following_id)
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END IF;
    -- follows_count has just counted this follow (and locked the creator's row).
    IF (SELECT follower_count FROM users WHERE id = NEW.following_id) > (SELECT fanout_max_followers FROM feed_settings) THEN
        -- feed_pull_creators_follows copies the creator's follows, this one included
        INSERT INTO feed_pull_creators (creator_id) VALUES (NEW.following_id) ON CONFLICT DO NOTHING;
        RETURN NULL;
    END IF;
    PERFORM feed_backfill(NEW.follower_id, NEW.following_id);
    RETURN NULL;
END $$;

-- A creator entering feed_pull_creators brings their follows (fresh snapshot: the inserting
-- path holds the creator's users row, so no follow of theirs is in flight); one leaving
-- takes their pairs along.
CREATE FUNCTION feed_on_pull_creator() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM feed_pull_follows WHERE creator_id = OLD.creator_id;
        RETURN NULL;
    END IF;
    INSERT INTO feed_pull_follows (user_id, creator_id)
    SELECT f.follower_id, f.following_id FROM follows f WHERE f.following_id = NEW.creator_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

-- feed_rebalance puts the creators above fanout_max_followers into feed_pull_creators and
-- takes out those below 90 % of it, backfilling their followers' inboxes (row by row:
-- rare, and each creator's row is locked first so a concurrent post or follow waits). It
-- returns how many creators changed side. The creators it pulls are locked first, in id
-- order (see the header: the copy of their follows must see every committed follow).
CREATE OR REPLACE FUNCTION feed_rebalance() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    lim     bigint := (SELECT fanout_max_followers FROM feed_settings);
    changed bigint;
    c       bigint;
BEGIN
    -- One rebalance at a time (every server runs it hourly): two at once could take the
    -- creators' rows in different orders across their snapshots and deadlock.
    IF NOT pg_try_advisory_xact_lock(hashtext('feed_rebalance')) THEN
        RETURN 0;
    END IF;
    INSERT INTO feed_pull_creators (creator_id)
    SELECT u.id FROM users u
    WHERE u.follower_count > lim
      AND NOT EXISTS (SELECT FROM feed_pull_creators p WHERE p.creator_id = u.id)
    ORDER BY u.id
    FOR NO KEY UPDATE OF u
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

-- feed_build_pull_follows makes feed_pull_follows equal its definition, set-based (after a
-- bulk load with the follows triggers off), and returns the rows it deleted and inserted.
CREATE FUNCTION feed_build_pull_follows() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    gone  bigint;
    added bigint;
BEGIN
    DELETE FROM feed_pull_follows pf
    WHERE NOT EXISTS (SELECT FROM follows f WHERE f.follower_id = pf.user_id AND f.following_id = pf.creator_id)
       OR NOT EXISTS (SELECT FROM feed_pull_creators p WHERE p.creator_id = pf.creator_id);
    GET DIAGNOSTICS gone = ROW_COUNT;
    INSERT INTO feed_pull_follows (user_id, creator_id)
    SELECT f.follower_id, f.following_id
    FROM feed_pull_creators p JOIN follows f ON f.following_id = p.creator_id
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN gone + added;
END $$;
-- +goose StatementEnd

CREATE TRIGGER feed_pull_creators_follows AFTER INSERT OR DELETE ON feed_pull_creators
    FOR EACH ROW EXECUTE FUNCTION feed_on_pull_creator();

SELECT feed_build_pull_follows();

-- +goose Down
DROP TRIGGER feed_pull_creators_follows ON feed_pull_creators;
DROP FUNCTION feed_build_pull_follows, feed_on_pull_creator;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION feed_on_follow() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION feed_rebalance() RETURNS bigint LANGUAGE plpgsql AS $$
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
-- +goose StatementEnd

DROP TABLE feed_pull_follows;
