-- Files uploaded through the Supabase-Storage-compatible routes (STORAGE_COMPAT=true):
-- the client's bucket/path mapped to the stored file. A video whose URL names such an
-- object takes ownership of the file; objects no video claims are removed by `tiktok orphans`
-- after 24 hours.

-- +goose Up
CREATE TABLE storage_objects (
    bucket       text        NOT NULL CHECK (bucket IN ('videos', 'thumbnails')),
    path         text        NOT NULL CHECK (char_length(path) BETWEEN 1 AND 512),
    media_name   text        NOT NULL UNIQUE,
    content_type text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bucket, path)
);
CREATE INDEX storage_objects_created_at_idx ON storage_objects (created_at);

-- A stored file has at most one owning video, so deleting a video never deletes a file
-- another video still plays.
CREATE UNIQUE INDEX videos_video_media_key ON videos (video_media) WHERE video_media IS NOT NULL;
CREATE UNIQUE INDEX videos_thumbnail_media_key ON videos (thumbnail_media) WHERE thumbnail_media IS NOT NULL;

-- +goose Down
DROP INDEX videos_thumbnail_media_key;
DROP INDEX videos_video_media_key;
DROP TABLE storage_objects;
