-- Storage-compatible uploads get an owner and a claim flag, so that only their owner can
-- make a video of them and unclaimed ones can be swept by age.
--
-- owner_id: the user an upload belongs to — the uploader when the upload carried a valid
-- token, else the user named by its leading user-{id}/ folder. Only that user can claim
-- the object for a video. NULL only for objects uploaded before this migration whose owner
-- cannot be told (nobody can claim them; the sweep removes them).
--
-- claimed: a video owns the object's file (videos.video_media or thumbnail_media). It is
-- set by the claim itself (UPDATE … WHERE NOT claimed), in the transaction that inserts the
-- video, so two claims serialize on the row and a sweep (DELETE … WHERE NOT claimed) can
-- never remove a row a concurrent claim took. Deleting the owning video deletes the row.

-- +goose Up
ALTER TABLE storage_objects
    ADD COLUMN owner_id bigint REFERENCES users (id) ON DELETE CASCADE,
    ADD COLUMN claimed boolean NOT NULL DEFAULT false;

UPDATE storage_objects s SET claimed = true, owner_id = v.user_id
FROM videos v
WHERE v.video_media = s.media_name OR v.thumbnail_media = s.media_name;

UPDATE storage_objects s SET owner_id = u.id
FROM users u
WHERE s.owner_id IS NULL
  AND u.id::text = substring(s.path FROM '^user-([1-9][0-9]*)/');

-- The sweep reads unclaimed objects oldest first; deleting a user finds theirs.
DROP INDEX storage_objects_created_at_idx;
CREATE INDEX storage_objects_unclaimed_created_at_idx ON storage_objects (created_at) WHERE NOT claimed;
CREATE INDEX storage_objects_owner_id_idx ON storage_objects (owner_id);

-- +goose Down
DROP INDEX storage_objects_owner_id_idx;
DROP INDEX storage_objects_unclaimed_created_at_idx;
CREATE INDEX storage_objects_created_at_idx ON storage_objects (created_at);
ALTER TABLE storage_objects DROP COLUMN claimed, DROP COLUMN owner_id;
