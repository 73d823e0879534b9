-- The data export's sections of reports (GET /api/users/me/export) page up the reporter's
-- reports by id, so the reporter's index carries the id: a batch reads O(batch) rows
-- however many reports the user filed. It still serves the users foreign key's cascade.

-- +goose Up
CREATE INDEX reports_reporter_id_id_idx ON reports (reporter_id, id);
DROP INDEX reports_reporter_id_idx;

-- +goose Down
CREATE INDEX reports_reporter_id_idx ON reports (reporter_id);
DROP INDEX reports_reporter_id_id_idx;
