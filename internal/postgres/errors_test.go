package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/peterldowns/pgtestdb"
	"github.com/pressly/goose/v3"

	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

// TestCreateUserConflict: a unique violation on username or email (both compared
// case-insensitively) becomes username_taken or email_taken naming the field, with the
// database's error kept as the cause; other constraint violations are not translated.
func TestCreateUserConflict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	addUser(t, s, "Maria") // email maria@example.com
	tests := []struct {
		name       string
		user       tiktok.NewUser
		code       tiktok.Code
		message    string
		fields     map[string]string
		sqlstate   string // of the PostgreSQL error kept as the cause
		constraint string
	}{
		{"same username", tiktok.NewUser{Username: "Maria", Email: "other1@example.com"},
			tiktok.CodeUsernameTaken, "Username already in use", map[string]string{"username": "is already taken"}, "23505", "users_username_lower_key"},
		{"username in another case", tiktok.NewUser{Username: "mARIA", Email: "other2@example.com"},
			tiktok.CodeUsernameTaken, "Username already in use", map[string]string{"username": "is already taken"}, "23505", "users_username_lower_key"},
		{"same email", tiktok.NewUser{Username: "other3", Email: "maria@example.com"},
			tiktok.CodeEmailTaken, "Email already in use", map[string]string{"email": "is already taken"}, "23505", "users_email_lower_key"},
		// Emails are stored lower-cased (the caller lower-cases them); a CHECK violation is
		// a bug of the caller's, not a conflict, and stays untranslated.
		{"email not lower-cased", tiktok.NewUser{Username: "other4", Email: "Maria@example.com"},
			tiktok.CodeInternal, "", nil, "23514", "users_email_check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.user.PasswordHash = "x"
			_, err := s.CreateUser(ctx, tt.user)
			if tt.code == tiktok.CodeInternal {
				if code := tiktok.ErrorCode(err); code != tiktok.CodeInternal {
					t.Fatalf("code %s (%v), want the error untranslated", code, err)
				}
			} else {
				wantError(t, err, tt.code, tt.message, tt.fields)
			}
			pgErr := pgError(err)
			if pgErr == nil || pgErr.Code != tt.sqlstate || pgErr.ConstraintName != tt.constraint {
				t.Errorf("cause %v, want SQLSTATE %s on %s", pgErr, tt.sqlstate, tt.constraint)
			}
		})
	}
	if n := count(t, pool, `SELECT count(*) FROM users`); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
}

// TestCreateUserRace: of concurrent registrations of one username (or one email) exactly
// one succeeds; every other fails with username_taken (email_taken), not with a 500.
func TestCreateUserRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	const racers = 8
	tests := []struct {
		name string
		user func(i int) tiktok.NewUser
		code tiktok.Code
	}{
		{"username", func(i int) tiktok.NewUser {
			return tiktok.NewUser{Username: "Racer", Email: fmt.Sprintf("racer%d@example.com", i), PasswordHash: "x"}
		}, tiktok.CodeUsernameTaken},
		{"email", func(i int) tiktok.NewUser {
			return tiktok.NewUser{Username: fmt.Sprintf("mail%d", i), Email: "same@example.com", PasswordHash: "x"}
		}, tiktok.CodeEmailTaken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := make([]error, racers)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = s.CreateUser(ctx, tt.user(i))
				}()
			}
			close(start)
			wg.Wait()
			created := 0
			for _, err := range errs {
				switch code := tiktok.ErrorCode(err); {
				case err == nil:
					created++
				case code != tt.code:
					t.Errorf("a losing registration failed with %s (%v), want %s", code, err, tt.code)
				}
			}
			if created != 1 {
				t.Errorf("%d of %d concurrent registrations succeeded, want 1", created, racers)
			}
		})
	}
	if n := count(t, pool, `SELECT count(*) FROM users`); n != 2 {
		t.Errorf("%d users, want 2", n)
	}
}

// TestErrorCodes: every Store method that names a row by id answers not_found for a row
// that does not exist (with a message naming what), forbidden for someone else's row,
// and leaves the rows alone when it fails.
func TestErrorCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	owner, stranger, commenter := addUser(t, s, "owner"), addUser(t, s, "stranger"), addUser(t, s, "commenter")
	v := addVideo(t, s, owner.ID, "v")
	c := addComment(t, s, commenter.ID, v.ID, "hi")
	gone := addUser(t, s, "gone")
	if _, err := s.DeleteUser(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	const missing = 1 << 40
	page := tiktok.Page{Limit: 10}
	const (
		noUser    = "User not found"
		noVideo   = "Video not found"
		noComment = "Comment not found"
		forbidden = "You are not allowed to do this"
	)
	tests := []struct {
		name    string
		call    func() error
		code    tiktok.Code
		message string
	}{
		{"UserByID", func() error { _, err := s.UserByID(ctx, missing); return err }, tiktok.CodeNotFound, noUser},
		{"UserByID deleted", func() error { _, err := s.UserByID(ctx, gone.ID); return err }, tiktok.CodeNotFound, noUser},
		{"UserByLogin", func() error { _, err := s.UserByLogin(ctx, "nobody@example.com"); return err }, tiktok.CodeNotFound, noUser},
		{"TokenVersion", func() error { _, err := s.TokenVersion(ctx, gone.ID); return err }, tiktok.CodeNotFound, noUser},
		{"UserProfile", func() error { _, err := s.UserProfile(ctx, missing, owner.ID); return err }, tiktok.CodeNotFound, noUser},
		{"ListFollowers", func() error { _, err := s.ListFollowers(ctx, missing, page); return err }, tiktok.CodeNotFound, noUser},
		{"ListFollowing", func() error { _, err := s.ListFollowing(ctx, missing, page); return err }, tiktok.CodeNotFound, noUser},
		{"ListUserVideos", func() error { _, err := s.ListUserVideos(ctx, missing, page); return err }, tiktok.CodeNotFound, noUser},
		{"follow unknown user", func() error { _, err := s.SetFollow(ctx, owner.ID, missing, true); return err }, tiktok.CodeNotFound, noUser},
		{"unfollow unknown user", func() error { _, err := s.SetFollow(ctx, owner.ID, missing, false); return err }, tiktok.CodeNotFound, noUser},
		{"follow as a deleted user", func() error { _, err := s.SetFollow(ctx, gone.ID, owner.ID, true); return err }, tiktok.CodeNotFound, noUser},
		{"follow self", func() error { _, err := s.SetFollow(ctx, owner.ID, owner.ID, true); return err }, tiktok.CodeCannotFollowSelf, "You cannot follow yourself"},
		{"UpdateProfile", func() error {
			_, _, err := s.UpdateProfile(ctx, missing, tiktok.ProfileUpdate{SetName: true, Name: ptr("x")})
			return err
		}, tiktok.CodeNotFound, noUser},
		{"DeleteUser", func() error { _, err := s.DeleteUser(ctx, gone.ID); return err }, tiktok.CodeNotFound, noUser},
		{"RevokeTokens", func() error { _, err := s.RevokeTokens(ctx, missing); return err }, tiktok.CodeNotFound, noUser},
		{"SetPassword", func() error { _, err := s.SetPassword(ctx, missing, "h"); return err }, tiktok.CodeNotFound, noUser},

		{"Video", func() error { _, err := s.Video(ctx, missing, owner.ID); return err }, tiktok.CodeNotFound, noVideo},
		{"VideoExists", func() error { return s.VideoExists(ctx, missing) }, tiktok.CodeNotFound, noVideo},
		{"UpdateVideo", func() error {
			_, err := s.UpdateVideo(ctx, missing, owner.ID, tiktok.VideoUpdate{Caption: ptr("x")})
			return err
		}, tiktok.CodeNotFound, noVideo},
		{"UpdateVideo of another user", func() error {
			_, err := s.UpdateVideo(ctx, v.ID, stranger.ID, tiktok.VideoUpdate{Caption: ptr("mine now")})
			return err
		}, tiktok.CodeForbidden, forbidden},
		{"DeleteVideo", func() error { _, err := s.DeleteVideo(ctx, missing, owner.ID); return err }, tiktok.CodeNotFound, noVideo},
		{"DeleteVideo of another user", func() error { _, err := s.DeleteVideo(ctx, v.ID, stranger.ID); return err }, tiktok.CodeForbidden, forbidden},
		{"like unknown video", func() error { _, err := s.SetVideoLike(ctx, owner.ID, missing, true); return err }, tiktok.CodeNotFound, noVideo},
		{"unlike unknown video", func() error { _, err := s.SetVideoLike(ctx, owner.ID, missing, false); return err }, tiktok.CodeNotFound, noVideo},
		{"ListComments", func() error { _, err := s.ListComments(ctx, missing, page); return err }, tiktok.CodeNotFound, noVideo},
		{"ListCommentsPage", func() error { _, _, err := s.ListCommentsPage(ctx, missing, 0, 10, 0); return err }, tiktok.CodeNotFound, noVideo},
		{"CommentCount", func() error { _, err := s.CommentCount(ctx, missing); return err }, tiktok.CodeNotFound, noVideo},
		{"CreateComment", func() error { _, err := s.CreateComment(ctx, owner.ID, missing, "x"); return err }, tiktok.CodeNotFound, noVideo},
		{"CreateVideo as a deleted user", func() error {
			_, err := s.CreateVideo(ctx, tiktok.NewVideo{UserID: gone.ID, VideoURL: "https://cdn.example.com/x.mp4"})
			return err
		}, tiktok.CodeTokenInvalid, "Not authorized, user no longer exists"},

		{"Comment", func() error { _, err := s.Comment(ctx, missing, 0); return err }, tiktok.CodeNotFound, noComment},
		{"UpdateComment", func() error { _, err := s.UpdateComment(ctx, missing, owner.ID, "x"); return err }, tiktok.CodeNotFound, noComment},
		{"UpdateComment of another user", func() error { _, err := s.UpdateComment(ctx, c.ID, owner.ID, "edited"); return err }, tiktok.CodeForbidden, forbidden},
		{"DeleteComment", func() error { return s.DeleteComment(ctx, missing, owner.ID) }, tiktok.CodeNotFound, noComment},
		{"DeleteComment of another user", func() error { return s.DeleteComment(ctx, c.ID, stranger.ID) }, tiktok.CodeForbidden, forbidden},
		{"like unknown comment", func() error { _, err := s.SetCommentLike(ctx, owner.ID, missing, true); return err }, tiktok.CodeNotFound, noComment},
		{"unlike unknown comment", func() error { _, err := s.SetCommentLike(ctx, owner.ID, missing, false); return err }, tiktok.CodeNotFound, noComment},

		{"StorageObject", func() error { _, err := s.StorageObject(ctx, "videos", "user-1/none.mp4"); return err }, tiktok.CodeNotFound, "Object not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.call(), tt.code, tt.message, nil)
		})
	}

	// The refused changes changed nothing; the video's owner may delete others' comments.
	got, err := s.Video(ctx, v.ID, 0)
	if err != nil || got.Caption != "v" || got.CommentCount != 1 {
		t.Errorf("video after refused changes: %+v, %v", got, err)
	}
	if gc, err := s.Comment(ctx, c.ID, 0); err != nil || gc.Content != "hi" {
		t.Errorf("comment after refused changes: %+v, %v", gc, err)
	}
	if err := s.DeleteComment(ctx, c.ID, owner.ID); err != nil {
		t.Errorf("the video's owner deleting a comment on it: %v", err)
	}
	wantError(t, s.DeleteComment(ctx, c.ID, owner.ID), tiktok.CodeNotFound, noComment, nil)
}

// closedAddress returns a loopback address nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// storeCall is one call of a Store method, for the tests of unavailable databases.
type storeCall struct {
	name string
	call func(context.Context) error
}

// storeCalls are Store methods of each kind: a read, a single statement, a transaction,
// a relation change, a maintenance query.
func storeCalls(s *postgres.Store, userID, videoID int64) []storeCall {
	return []storeCall{
		{"UserByID", func(ctx context.Context) error { _, err := s.UserByID(ctx, userID); return err }},
		{"ListVideos", func(ctx context.Context) error { _, err := s.ListVideos(ctx, tiktok.Page{Limit: 10}); return err }},
		{"CreateComment", func(ctx context.Context) error { _, err := s.CreateComment(ctx, userID, videoID, "hello"); return err }},
		{"DeleteVideo", func(ctx context.Context) error { _, err := s.DeleteVideo(ctx, videoID, userID); return err }},
		{"SetVideoLike", func(ctx context.Context) error { _, err := s.SetVideoLike(ctx, userID, videoID, true); return err }},
		{"ExpireStorageObjects", func(ctx context.Context) error { _, err := s.ExpireStorageObjects(ctx, time.Hour, 10); return err }},
		{"ForYou", func(ctx context.Context) error { _, err := s.ForYou(ctx, userID, tiktok.FeedCursor{}, 10); return err }},
		{"NotInterested", func(ctx context.Context) error { return s.NotInterested(ctx, userID, videoID, true) }},
		{"MarkSeen", func(ctx context.Context) error {
			_, err := s.MarkSeen(ctx, []int64{userID}, []int64{videoID})
			return err
		}},
	}
}

// TestUnavailableWithoutServer: with nothing listening at the database's address every
// Store method fails at once with unavailable, the connection error kept as the cause.
func TestUnavailableWithoutServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := postgres.Open(ctx, "postgres://nobody:secret@"+closedAddress(t)+"/none?connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := postgres.NewStore(pool)
	calls := append(storeCalls(s, 1, 1), []storeCall{
		{"Ping", s.Ping},
		{"CreateUser", func(ctx context.Context) error {
			_, err := s.CreateUser(ctx, tiktok.NewUser{Username: "nobody", Email: "nobody@example.com", PasswordHash: "x"})
			return err
		}},
		{"CheckCounters", func(ctx context.Context) error { _, err := postgres.CheckCounters(ctx, pool); return err }},
		{"Recount", func(ctx context.Context) error { _, err := s.Recount(ctx); return err }},
	}...)
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := tt.call(ctx)
			wantError(t, err, tiktok.CodeUnavailable, "Service temporarily unavailable", nil)
			var connErr *pgconn.ConnectError
			if !errors.As(err, &connErr) {
				t.Errorf("cause %v, want a *pgconn.ConnectError", err)
			}
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("took %v: a refused connection must fail at once, not wait for a timeout", d)
			}
		})
	}
}

// TestDeadlineWhileConnecting: a deadline that passes while the pool is still connecting
// (the server accepted the connection but does not answer) is unavailable, like one that
// passes while a query waits.
func TestDeadlineWhileConnecting(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn // accepted, never answered
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	ctx := context.Background()
	pool, err := postgres.Open(ctx, "postgres://nobody:secret@"+ln.Addr().String()+"/none")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	timeout, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = postgres.NewStore(pool).UserByID(timeout, 1)
	wantError(t, err, tiktok.CodeUnavailable, "Service temporarily unavailable", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cause %v, want context.DeadlineExceeded", err)
	}
}

// TestUnavailableBeforeMigration: on a database whose schema is not migrated yet (serve
// migrates in the background when the database was down at start) the server answers
// pings but every query fails with unavailable; once migrated the same Store works.
func TestUnavailableBeforeMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := postgres.Open(ctx, pgtestdb.Custom(t, pgtest.ServerConfig(t), pgtestdb.NoopMigrator{}).URL())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := postgres.NewStore(pool)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping on an unmigrated database: %v", err)
	}
	for _, tt := range storeCalls(s, 1, 1) {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(ctx)
			wantError(t, err, tiktok.CodeUnavailable, "Service temporarily unavailable", nil)
			if pgErr := pgError(err); pgErr == nil || pgErr.Code != "42P01" {
				t.Errorf("cause %v, want SQLSTATE 42P01 (undefined table)", err)
			}
		})
	}
	if err := postgres.Migrate(ctx, pool, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListVideos(ctx, tiktok.Page{Limit: 10}); err != nil {
		t.Errorf("ListVideos after migrating: %v", err)
	}
}

// TestUnavailableWhileMigrating: between two migrations (serve migrating in the background
// as a request comes) a query that needs a later migration's column fails with
// unavailable, not internal.
func TestUnavailableWhileMigrating(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := postgres.Open(ctx, pgtestdb.Custom(t, pgtest.ServerConfig(t), pgtestdb.NoopMigrator{}).URL())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, postgres.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 5); err != nil { // video_feed exists, without 00006's sound_id
		t.Fatal(err)
	}
	_, err = postgres.NewStore(pool).ListVideos(ctx, tiktok.Page{Limit: 10})
	wantError(t, err, tiktok.CodeUnavailable, "Service temporarily unavailable", nil)
	if pgErr := pgError(err); pgErr == nil || pgErr.Code != "42703" {
		t.Errorf("cause %v, want SQLSTATE 42703 (undefined column)", err)
	}
}

// TestUnavailableDuringMigration: while serve migrates in the background, a query may find
// its table but not yet a column or function a later migration adds (here: search's
// search_visible of 00008, a column of 00006): unavailable, as for a missing table, not a 500.
func TestUnavailableDuringMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	exec(t, pool, "DROP FUNCTION search_visible(text, bigint, bigint, bigint)")
	exec(t, pool, "ALTER TABLE sounds RENAME COLUMN video_count TO not_yet")
	_, err := s.SearchHashtags(ctx, "dance", tiktok.SearchPage{Limit: 10})
	wantError(t, err, tiktok.CodeUnavailable, "Service temporarily unavailable", nil)
	if pgErr := pgError(err); pgErr == nil || pgErr.Code != "42883" {
		t.Errorf("cause %v, want SQLSTATE 42883 (undefined function)", err)
	}
	exec(t, pool, "CREATE FUNCTION search_visible(text, bigint, bigint, bigint) RETURNS boolean LANGUAGE sql AS 'SELECT true'")
	_, err = s.SearchSounds(ctx, "dance", tiktok.SearchPage{Limit: 10})
	wantError(t, err, tiktok.CodeUnavailable, "Service temporarily unavailable", nil)
	if pgErr := pgError(err); pgErr == nil || pgErr.Code != "42703" {
		t.Errorf("cause %v, want SQLSTATE 42703 (undefined column)", err)
	}
}

// TestUnavailableWhenConnectionTerminated: a server connection terminated while a
// statement runs on it (an administrator, a failover, a restart) fails that call with
// unavailable and commits nothing; the pool then replaces the connection, so the next
// call works. Each call is made to wait on a table lock so that the termination hits it
// in flight.
func TestUnavailableWhenConnectionTerminated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := pgtest.URL(t)
	admin, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", "store-under-test")
	u.RawQuery = q.Encode()
	pool, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := postgres.NewStore(pool)
	owner := addUser(t, s, "owner")
	v := addVideo(t, s, owner.ID, "v")

	for _, tt := range storeCalls(s, owner.ID, v.ID) {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := admin.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, `LOCK TABLE users, videos, storage_objects IN ACCESS EXCLUSIVE MODE`); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- tt.call(ctx) }()
			terminated := false
			for deadline := time.Now().Add(10 * time.Second); !terminated && time.Now().Before(deadline); {
				select {
				case err := <-done:
					t.Fatalf("the call returned (%v) while the table was locked", err)
				case <-time.After(5 * time.Millisecond):
				}
				err := admin.QueryRow(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
					WHERE application_name = 'store-under-test' AND wait_event_type = 'Lock'`).Scan(&terminated)
				if err != nil && !errors.Is(err, pgx.ErrNoRows) {
					t.Fatal(err)
				}
			}
			if !terminated {
				t.Fatal("the call never waited on the lock")
			}
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the call did not return within 10s of its connection's end")
			}
			wantError(t, err, tiktok.CodeUnavailable, "Service temporarily unavailable", nil)
			if pgErr := pgError(err); pgErr == nil || pgErr.Code != "57P01" {
				t.Errorf("cause %v, want SQLSTATE 57P01 (admin shutdown)", err)
			}
			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Video(ctx, v.ID, 0); err != nil {
				t.Errorf("the next call on the same pool: %v", err)
			}
		})
	}
	got, err := s.Video(ctx, v.ID, 0)
	if err != nil || got.CommentCount != 0 || got.LikeCount != 0 {
		t.Errorf("after the terminated calls the video is %+v (%v), want it unchanged", got, err)
	}
}

// TestContextEnds: a call whose context is canceled is the caller giving up, not the
// database failing: its error is the context's and not unavailable. A deadline that
// passes while a statement waits for the database is unavailable.
func TestContextEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	owner := addUser(t, s, "owner")
	addVideo(t, s, owner.ID, "v")

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.ListVideos(canceled, tiktok.Page{Limit: 10})
	if !errors.Is(err, context.Canceled) || tiktok.ErrorCode(err) != tiktok.CodeInternal {
		t.Errorf("canceled before the call: %v (%s), want context.Canceled, untranslated", err, tiktok.ErrorCode(err))
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE videos IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	during, cancel := context.WithCancel(ctx)
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = s.ListVideos(during, tiktok.Page{Limit: 10})
	if !errors.Is(err, context.Canceled) || tiktok.ErrorCode(err) != tiktok.CodeInternal {
		t.Errorf("canceled during the call: %v (%s), want context.Canceled, untranslated", err, tiktok.ErrorCode(err))
	}
	// The pool replaces the connection the cancellation closed before the next call, so that
	// the deadline below passes while the query waits on the lock, not while connecting
	// (TestDeadlineWhileConnecting covers that).
	if _, err := s.UserByID(ctx, owner.ID); err != nil {
		t.Fatal(err)
	}
	timeout, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = s.ListVideos(timeout, tiktok.Page{Limit: 10})
	wantError(t, err, tiktok.CodeUnavailable, "Service temporarily unavailable", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cause %v, want context.DeadlineExceeded", err)
	}
}
