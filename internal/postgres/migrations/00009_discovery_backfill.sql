-- Videos that existed before the discovery schema have no hashtags and no sound: their
-- captions are parsed in Go (tiktok.Hashtags), which a migration cannot call. This row
-- marks them — every video below below_id — for serve to backfill in the background,
-- newest first (postgres.BackfillDiscovery); videos created since are synced as they are
-- written. No row: nothing to do (a new database, or the backfill finished).

-- +goose Up
CREATE TABLE discovery_backfill (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    below_id  bigint  NOT NULL
);
INSERT INTO discovery_backfill (below_id)
SELECT max(v.id) + 1 FROM videos v
HAVING count(*) > 0 AND NOT EXISTS (SELECT 1 FROM video_hashtags) AND NOT EXISTS (SELECT 1 FROM videos WHERE sound_id IS NOT NULL);

-- +goose Down
DROP TABLE discovery_backfill;
