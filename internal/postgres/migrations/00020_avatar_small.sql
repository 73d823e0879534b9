-- Avatars are processed on upload (issue 12): the stored avatar is a 256×256 JPEG, and
-- avatar_small names its 64×64 variant (a stored file name; NULL when there is none, as for
-- an avatar that is an external URL or was uploaded before processing: clients then use
-- avatar). The user owns avatar_small exactly when they own avatar_media (both are deleted
-- with the account or when the avatar is replaced); otherwise it is shared, like the
-- seeded avatars, and the orphans command removes it once no user refers to it.

-- +goose Up
ALTER TABLE users ADD COLUMN avatar_small text;

-- +goose Down
ALTER TABLE users DROP COLUMN avatar_small;
