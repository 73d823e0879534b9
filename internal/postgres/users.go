package postgres

import (
	"context"
	"fmt"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// NewUser is what registration stores.
type NewUser struct {
	Username     string
	Email        string
	PasswordHash string
	Name         *string
}

// CreateUser inserts a user. It fails with email_taken or username_taken when either is
// already used (case-insensitively), even when two registrations race.
func (s *Store) CreateUser(ctx context.Context, u NewUser) (tiktok.User, error) {
	row, err := s.q.CreateUser(ctx, db.CreateUserParams{
		Username: u.Username, Email: u.Email, PasswordHash: u.PasswordHash, Name: u.Name,
	})
	if err != nil {
		return tiktok.User{}, fmt.Errorf("create user: %w", translate(err))
	}
	return userFromRow(row), nil
}

// UserByID returns the user with id, or a not_found error.
func (s *Store) UserByID(ctx context.Context, id int64) (tiktok.User, error) {
	row, err := s.q.GetUserByID(ctx, id)
	if err != nil {
		return tiktok.User{}, notFound(err, "User")
	}
	return userFromRow(row), nil
}

// UserByLogin returns the user whose email or username equals login case-insensitively
// (an email match wins), or a not_found error.
func (s *Store) UserByLogin(ctx context.Context, login string) (tiktok.User, error) {
	row, err := s.q.GetUserByLogin(ctx, login)
	if err != nil {
		return tiktok.User{}, notFound(err, "User")
	}
	return userFromRow(row), nil
}

// TokenVersion returns the user's current token version, or not_found for a deleted user.
func (s *Store) TokenVersion(ctx context.Context, userID int64) (int64, error) {
	v, err := s.q.GetUserTokenVersion(ctx, userID)
	if err != nil {
		return 0, notFound(err, "User")
	}
	return v, nil
}

// UsernameExists reports whether username is taken, case-insensitively.
func (s *Store) UsernameExists(ctx context.Context, username string) (bool, error) {
	ok, err := s.q.UsernameExists(ctx, username)
	if err != nil {
		return false, fmt.Errorf("check username: %w", translate(err))
	}
	return ok, nil
}

func userFromRow(r db.User) tiktok.User {
	return tiktok.User{
		ID: r.ID, Username: r.Username, Email: r.Email, PasswordHash: r.PasswordHash,
		Name: r.Name, Bio: r.Bio, Avatar: r.Avatar, TokenVersion: r.TokenVersion,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		FollowerCount: r.FollowerCount, FollowingCount: r.FollowingCount,
		VideoCount: r.VideoCount, LikeCount: r.LikeCount,
	}
}
