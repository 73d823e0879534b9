-- Counters (likes, comments, views, followers) update rows of these tables all the time.
-- Room on each page lets those updates stay HOT (no index entries, no visibility-map
-- clearing that would send the feeds' index-only scans to the heap). Applies to pages
-- written from now on.

-- +goose Up
ALTER TABLE videos SET (fillfactor = 85);
ALTER TABLE users SET (fillfactor = 85);
ALTER TABLE comments SET (fillfactor = 90);

-- +goose Down
ALTER TABLE videos RESET (fillfactor);
ALTER TABLE users RESET (fillfactor);
ALTER TABLE comments RESET (fillfactor);
