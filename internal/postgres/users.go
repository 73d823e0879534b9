package postgres

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/readpref"
	"github.com/gotok/tiktok/internal/tiktok"
)

// CreateUser inserts a user. It fails with email_taken or username_taken when either is
// already used (case-insensitively), even when two registrations race.
func (s *Store) CreateUser(ctx context.Context, u tiktok.NewUser) (tiktok.User, error) {
	row, err := s.q.CreateUser(ctx, db.CreateUserParams{
		Username: u.Username, Email: u.Email, PasswordHash: u.PasswordHash, Name: u.Name,
	})
	if err != nil {
		return tiktok.User{}, fmt.Errorf("create user: %w", translate(err))
	}
	s.noteWriter(ctx, readpref.User(row.ID)) // the new user's next reads see their account
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
	v, err := s.q.GetUserTokenVersion(readpref.Primary(ctx), userID) // an auth check
	if err != nil {
		return 0, notFound(err, "User")
	}
	return v, nil
}

func userFromRow(r db.User) tiktok.User {
	return tiktok.User{
		ID: r.ID, Username: r.Username, Email: r.Email, PasswordHash: r.PasswordHash,
		Name: r.Name, Bio: r.Bio, Avatar: r.Avatar, AvatarSmall: r.AvatarSmall, TokenVersion: r.TokenVersion,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		FollowerCount: r.FollowerCount, FollowingCount: r.FollowingCount,
		VideoCount: r.VideoCount, LikeCount: r.LikeCount,
		Role: tiktok.Role(r.Role), SuspendedAt: r.SuspendedAt,
	}
}

// UserProfile returns user id with isFollowing as seen by viewer, or not_found (also for a
// user viewer may not see: suspended, or blocked either way).
func (s *Store) UserProfile(ctx context.Context, id, viewer int64) (tiktok.User, error) {
	r, err := s.q.GetUserProfile(ctx, db.GetUserProfileParams{ID: id, ViewerID: viewer})
	if err != nil {
		return tiktok.User{}, notFound(err, "User")
	}
	u := userFromRow(r.User)
	u.IsFollowing = r.IsFollowing
	return u, nil
}

// ListUsers returns a page of users, newest first; a non-empty query keeps only users whose
// username or name starts with it, case-insensitively (every character matches literally).
func (s *Store) ListUsers(ctx context.Context, query string, p tiktok.Page) ([]tiktok.User, error) {
	t, id := keyset(p)
	var out []tiktok.User
	add := func(u db.User, following bool) {
		user := userFromRow(u)
		user.IsFollowing = following
		out = append(out, user)
	}
	if query == "" {
		rows, err := s.q.ListUsers(ctx, db.ListUsersParams{ViewerID: p.Viewer, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
		if err != nil {
			return nil, fmt.Errorf("list users: %w", translate(err))
		}
		for _, r := range rows {
			add(r.User, r.IsFollowing)
		}
		return out, nil
	}
	prefix := strings.ToLower(query)
	rows, err := s.q.SearchUsers(ctx, db.SearchUsersParams{
		ViewerID: p.Viewer, Prefix: prefix, PrefixEnd: prefix + string(utf8.MaxRune),
		BeforeTime: t, BeforeID: id, Lim: int32(p.Limit),
	})
	if err != nil {
		return nil, fmt.Errorf("search users: %w", translate(err))
	}
	for _, r := range rows {
		add(r.User, r.IsFollowing)
	}
	return out, nil
}

// ListFollowers returns a page of the users who follow userID, most recent first, or
// not_found for an unknown user or one p.Viewer may not see; users p.Viewer may not see are
// left out. The page key is (followed at, follower id).
func (s *Store) ListFollowers(ctx context.Context, userID int64, p tiktok.Page) ([]tiktok.Follow, error) {
	t, id := keyset(p)
	rows, err := s.q.ListFollowers(ctx, db.ListFollowersParams{ViewerID: p.Viewer, UserID: userID, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list followers: %w", translate(err))
	}
	return s.followPage(ctx, p.Viewer, userID, rows)
}

// ListFollowing returns a page of the users userID follows, most recent first, or
// not_found for an unknown user. The page key is (followed at, followed user's id).
func (s *Store) ListFollowing(ctx context.Context, userID int64, p tiktok.Page) ([]tiktok.Follow, error) {
	t, id := keyset(p)
	rows, err := s.q.ListFollowing(ctx, db.ListFollowingParams{ViewerID: p.Viewer, UserID: userID, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list following: %w", translate(err))
	}
	same := make([]db.ListFollowersRow, len(rows)) // the two queries return the same columns
	for i, r := range rows {
		same[i] = db.ListFollowersRow(r)
	}
	return s.followPage(ctx, p.Viewer, userID, same)
}

// followPage converts a follower or following list; an empty page of an unknown user, or
// of one viewer may not see, is not_found.
func (s *Store) followPage(ctx context.Context, viewer, userID int64, rows []db.ListFollowersRow) ([]tiktok.Follow, error) {
	out := make([]tiktok.Follow, len(rows))
	for i, r := range rows {
		out[i] = tiktok.Follow{User: tiktok.UserMini{ID: r.ID, Username: r.Username, Name: r.Name, Avatar: r.Avatar}, IsFollowing: r.IsFollowing, FollowedAt: r.FollowedAt}
	}
	if len(out) == 0 {
		return out, s.CheckVisible(ctx, viewer, tiktok.Target{Type: tiktok.TargetUser, ID: userID})
	}
	return out, nil
}

func (s *Store) userMustExist(ctx context.Context, id int64) error {
	ok, err := s.q.UserExists(ctx, id)
	switch {
	case err != nil:
		return fmt.Errorf("user exists: %w", translate(err))
	case !ok:
		return tiktok.NotFound("User")
	}
	return nil
}

// SetFollow makes follower follow (or stop following) following, idempotently, and
// returns following's follower count. It returns not_found for an unknown user or one
// follower may not see (suspended, or a block between the two), and cannot_follow_self
// when both are the same. The two users' rows are locked first, as SetBlock locks them,
// so a follow and a block of the same pair never both win: either the block comes
// second and deletes the follow, or the follow comes second and sees the block.
func (s *Store) SetFollow(ctx context.Context, follower, following int64, follow bool) (int64, error) {
	if follower == following {
		return 0, &tiktok.Error{Code: tiktok.CodeCannotFollowSelf, Message: "You cannot follow yourself"}
	}
	arg := db.FollowParams{FollowerID: follower, FollowingID: following}
	return s.setRelation(ctx, "User", follow,
		func(q *db.Queries) (int64, error) {
			if err := lockPair(ctx, q, follower, following); err != nil {
				return 0, err
			}
			if _, err := visibleOwner(ctx, q, follower, tiktok.Target{Type: tiktok.TargetUser, ID: following}); err != nil {
				return 0, err
			}
			return q.Follow(ctx, arg)
		},
		func(q *db.Queries) (int64, error) {
			if _, err := visibleOwner(ctx, q, follower, tiktok.Target{Type: tiktok.TargetUser, ID: following}); err != nil {
				return 0, err
			}
			return q.Unfollow(ctx, db.UnfollowParams(arg))
		},
		func(q *db.Queries) (int64, error) { return q.FollowerCount(ctx, following) })
}

// UpdateProfile changes user id's profile and returns the updated user and the stored
// avatar files it no longer owns (the avatar and its small variant, to delete after the
// change), or not_found. A shared avatar (avatar_media NULL, as seeded) is never returned.
func (s *Store) UpdateProfile(ctx context.Context, id int64, u tiktok.ProfileUpdate) (tiktok.User, []string, error) {
	var (
		user     tiktok.User
		replaced []string
	)
	err := s.inTx(ctx, func(q *db.Queries) error {
		old, err := q.UserAvatarMedia(ctx, id)
		if err != nil {
			return notFound(err, "User")
		}
		row, err := q.UpdateUserProfile(ctx, db.UpdateUserProfileParams{
			ID: id, SetName: u.SetName, Name: u.Name, SetBio: u.SetBio, Bio: u.Bio,
			SetAvatar: u.SetAvatar, Avatar: u.Avatar, AvatarMedia: u.AvatarMedia, AvatarSmall: u.AvatarSmall,
		})
		if err != nil {
			return err
		}
		user = userFromRow(row)
		if u.SetAvatar && old.AvatarMedia != nil { // a shared avatar (and its small variant) stays
			for _, f := range [][2]*string{{old.AvatarMedia, u.AvatarMedia}, {old.AvatarSmall, u.AvatarSmall}} {
				if f[0] != nil && (f[1] == nil || *f[0] != *f[1]) {
					replaced = append(replaced, *f[0])
				}
			}
		}
		return nil
	})
	if err != nil {
		return tiktok.User{}, nil, fmt.Errorf("update profile: %w", translate(err))
	}
	return user, replaced, nil
}

// DeleteUser deletes user id with everything that cascades from it (videos, comments,
// likes, follows; counters of other users and videos follow) and returns the stored files
// the user owned, for the caller to delete. It returns not_found for an unknown user.
func (s *Store) DeleteUser(ctx context.Context, id int64) ([]string, error) {
	var media []string
	err := s.inTx(ctx, func(q *db.Queries) error {
		var err error
		if media, err = q.UserOwnedMedia(ctx, id); err != nil {
			return err
		}
		n, err := q.DeleteUser(ctx, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return tiktok.NotFound("User")
		}
		return q.DeleteStorageObjectsByMedia(ctx, media)
	})
	if err != nil {
		return nil, fmt.Errorf("delete user: %w", translate(err))
	}
	return media, nil
}

// RevokeTokens invalidates every token issued to user id so far and returns the new
// token version.
func (s *Store) RevokeTokens(ctx context.Context, id int64) (int64, error) {
	v, err := s.q.BumpTokenVersion(ctx, id)
	if err != nil {
		return 0, notFound(err, "User")
	}
	return v, nil
}

// SetPassword stores a new password hash for user id, revokes every older token and
// returns the new token version.
func (s *Store) SetPassword(ctx context.Context, id int64, hash string) (int64, error) {
	v, err := s.q.SetPassword(ctx, db.SetPasswordParams{ID: id, PasswordHash: hash})
	if err != nil {
		return 0, notFound(err, "User")
	}
	return v, nil
}
