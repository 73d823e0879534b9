package postgres_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

// Fixtures shared by the store's tests: each test gets a fresh database and builds the
// rows it needs through the Store itself.

// newStore returns a Store on a fresh, migrated database and the pool under it (for the
// SQL a test uses to look behind the Store or to set timestamps).
func newStore(t *testing.T) (*postgres.Store, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.Pool(t)
	return postgres.NewStore(pool), pool
}

// addUser registers username with the email <username in lower case>@example.com.
func addUser(t *testing.T, s *postgres.Store, username string) tiktok.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), tiktok.NewUser{
		Username: username, Email: strings.ToLower(username) + "@example.com", PasswordHash: "x",
	})
	if err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	return u
}

// addVideo creates a video by userID whose file is stored elsewhere.
func addVideo(t *testing.T, s *postgres.Store, userID int64, caption string) tiktok.Video {
	t.Helper()
	return addVideoWith(t, s, tiktok.NewVideo{UserID: userID, Caption: caption, VideoURL: "https://cdn.example.com/" + caption + ".mp4"})
}

// addVideoWith creates the video v.
func addVideoWith(t *testing.T, s *postgres.Store, v tiktok.NewVideo) tiktok.Video {
	t.Helper()
	video, err := s.CreateVideo(context.Background(), v)
	if err != nil {
		t.Fatalf("create video %q: %v", v.Caption, err)
	}
	return video
}

// addComment adds userID's comment content to videoID.
func addComment(t *testing.T, s *postgres.Store, userID, videoID int64, content string) tiktok.Comment {
	t.Helper()
	c, err := s.CreateComment(context.Background(), userID, videoID, content)
	if err != nil {
		t.Fatalf("create comment %q: %v", content, err)
	}
	return c
}

// exec runs one SQL statement on pool.
func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// count returns the result of a SELECT count(*) … on pool.
func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// wantError fails the test unless err is a *tiktok.Error with code, and with message and
// fields when those are given.
func wantError(t *testing.T, err error, code tiktok.Code, message string, fields map[string]string) {
	t.Helper()
	var te *tiktok.Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T), want a *tiktok.Error with code %s", err, err, code)
	}
	if te.Code != code {
		t.Fatalf("code %s (%v), want %s", te.Code, err, code)
	}
	if message != "" && te.Message != message {
		t.Errorf("message %q, want %q", te.Message, message)
	}
	if fields != nil && !maps.Equal(te.Fields, fields) {
		t.Errorf("fields %v, want %v", te.Fields, fields)
	}
}

// pgError returns the PostgreSQL error in err's chain, or nil.
func pgError(err error) *pgconn.PgError {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
