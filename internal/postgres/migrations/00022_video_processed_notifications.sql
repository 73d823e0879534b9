-- The uploader is notified when the media pipeline is done with their video: `video_ready`
-- or `video_failed` (one per video; no actor: the server did it). A trigger on the status
-- change writes it in the transaction that ends the processing, and announces it to the
-- live streams like notification_add does (00014).

-- +goose Up
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('video_like', 'comment_like', 'comment', 'reply', 'mention', 'follow',
                                                           'video_ready', 'video_failed')) NOT VALID;
ALTER TABLE notifications VALIDATE CONSTRAINT notifications_kind_check;

-- +goose StatementBegin
CREATE FUNCTION notify_video_processed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    nid bigint;
BEGIN
    -- The recipient's row is locked before the seq is taken, as in notification_add.
    INSERT INTO notifications AS n (recipient_id, kind, video_id, comment_id, actor_ids, actor_count)
    SELECT u.id, CASE NEW.status WHEN 'ready' THEN 'video_ready' ELSE 'video_failed' END, NEW.id, NULL, '{}', 0
    FROM users u WHERE u.id = NEW.user_id
    FOR NO KEY UPDATE
    ON CONFLICT (video_id, comment_id, kind, recipient_id) DO NOTHING
    RETURNING n.id INTO nid;
    IF nid IS NOT NULL AND EXISTS (SELECT FROM notification_listeners l WHERE l.user_id = NEW.user_id) THEN
        PERFORM pg_notify('notifications', NEW.user_id || ':' || nid || ':a');
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER videos_notify_processed AFTER UPDATE OF status ON videos
FOR EACH ROW WHEN (OLD.status = 'processing' AND NEW.status <> 'processing')
EXECUTE FUNCTION notify_video_processed();

-- +goose Down
DROP TRIGGER videos_notify_processed ON videos;
DROP FUNCTION notify_video_processed;
DELETE FROM notifications WHERE kind IN ('video_ready', 'video_failed');
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('video_like', 'comment_like', 'comment', 'reply', 'mention', 'follow'));
