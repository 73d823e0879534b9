-- Servers cache users' token versions (the per-request check that a token is not revoked)
-- and must hear of every change at once: each bump (logout, password change, suspension)
-- and each deleted account is announced on the token_versions channel, '<user>:<version>'
-- (-1: deleted), when its transaction commits; a TRUNCATE of users (seed --reset) announces
-- 'reset'. A server that is not listening caches nothing (internal/httpapi/tokencache.go).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION announce_token_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('token_versions', 'reset');
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('token_versions', OLD.id || ':-1');
    ELSIF NEW.token_version IS DISTINCT FROM OLD.token_version THEN
        PERFORM pg_notify('token_versions', NEW.id || ':' || NEW.token_version);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER users_announce_token_version AFTER UPDATE OF token_version OR DELETE ON users
FOR EACH ROW EXECUTE FUNCTION announce_token_version();
CREATE TRIGGER users_announce_truncate AFTER TRUNCATE ON users
FOR EACH STATEMENT EXECUTE FUNCTION announce_token_version();

-- +goose Down
DROP TRIGGER users_announce_truncate ON users;
DROP TRIGGER users_announce_token_version ON users;
DROP FUNCTION announce_token_version;
