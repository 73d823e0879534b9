-- name: CreateUser :one
INSERT INTO users (username, email, password_hash, name)
VALUES (@username, @email, @password_hash, sqlc.narg(name))
RETURNING *;

-- name: GetUserByID :one
SELECT * FROM users WHERE id = @id;

-- name: GetUserByLogin :one
-- Finds an account by email or username, case-insensitively (both indexes are on lower()).
SELECT * FROM users
WHERE lower(email) = lower(@login::text) OR lower(username) = lower(@login::text)
ORDER BY (lower(email) = lower(@login::text)) DESC
LIMIT 1;

-- name: GetUserTokenVersion :one
-- The one lookup the auth middleware makes per authenticated request.
SELECT token_version FROM users WHERE id = @id;

-- name: UsernameExists :one
SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = lower(@username::text));
