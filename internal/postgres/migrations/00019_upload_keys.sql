-- Direct uploads (POST /api/uploads): the object key of each presigned upload, issued to one
-- user for one kind of file, claimable once until it expires (POST /api/videos with
-- videoKey). The key is the stored file's name; while a key is valid its object counts as
-- referenced for the orphans command. Rows of expired keys are deleted when their user
-- asks for the next one; their unclaimed objects are then orphans.

-- +goose Up
CREATE TABLE upload_keys (
    key          text PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('video', 'image')),
    content_type text NOT NULL,
    size         bigint NOT NULL CHECK (size > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    claimed_at   timestamptz
);
-- A user's keys by expiry: the open keys counted against the per-user cap, the expired
-- ones deleted, and the users foreign key's cascade.
CREATE INDEX upload_keys_user_id_expires_at_idx ON upload_keys (user_id, expires_at);

-- +goose Down
DROP TABLE upload_keys;
