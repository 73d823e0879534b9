package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gotok/tiktok/internal/images"
	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/tiktok"
)

const (
	userListLimit   = 20
	maxSearchRunes  = 100
	followListLimit = 20
)

// handleUserList serves GET /api/users: a bare array, the next page in a Link header.
func (s *Server) handleUserList(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, userListLimit)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if !validText(q) || len([]rune(q)) > maxSearchRunes {
		return tiktok.Invalid(map[string]string{"q": "must be at most 100 characters of text"})
	}
	users, err := s.store.ListUsers(r.Context(), q, p)
	if err != nil {
		return err
	}
	users, pg := trimPage(users, p, userKey)
	if pg.NextCursor != nil {
		next := url.Values{"cursor": {*pg.NextCursor}}
		if l := r.URL.Query().Get("limit"); l != "" {
			next.Set("limit", l)
		}
		if q != "" {
			next.Set("q", q)
		}
		w.Header().Set("Link", "<"+s.baseURL(r)+r.URL.Path+"?"+next.Encode()+`>; rel="next"`)
	}
	rd := s.renderer(r)
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = rd.user(u)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleUserGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := s.store.UserProfile(r.Context(), id, viewerID(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.renderer(r).user(u))
	return nil
}

// ownAccount returns the {id} of the path if it is the viewer's own account: not_found for
// an unknown user or one the viewer may not see, forbidden for someone else's.
func (s *Server) ownAccount(r *http.Request) (int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, err
	}
	if id != viewerID(r) {
		if err := s.store.CheckVisible(r.Context(), viewerID(r), tiktok.Target{Type: tiktok.TargetUser, ID: id}); err != nil {
			return 0, err
		}
		return 0, tiktok.Forbidden()
	}
	return id, nil
}

type profileRequest struct {
	Name *string `json:"name"`
	Bio  *string `json:"bio"`
}

// handleUserUpdate serves PUT /api/users/{id}: JSON {name?, bio?} or a multipart form with
// name, bio and an avatar file. An empty string clears a field; an absent one is kept.
func (s *Server) handleUserUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := s.ownAccount(r)
	if err != nil {
		return err
	}
	var (
		req    profileRequest
		avatar *images.StoredAvatar
	)
	committed := false
	defer func() {
		if !committed {
			s.deleteMedia(avatarNames(avatar)...)
		}
	}()
	switch {
	case isJSON(r):
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	case isMultipart(r):
		r.Body = http.MaxBytesReader(w, r.Body, media.MaxImageBytes+1<<20)
		if avatar, err = s.readProfileForm(r, &req); err != nil {
			return err
		}
	default:
		return &tiktok.Error{Code: tiktok.CodeUnsupportedMediaType, Message: "Content-Type must be application/json or multipart/form-data"}
	}
	fields := map[string]string{}
	u := tiktok.ProfileUpdate{
		SetName: req.Name != nil, Name: optionalName(fields, "name", req.Name),
		SetBio: req.Bio != nil, Bio: optionalText(fields, "bio", req.Bio, maxBioRunes),
	}
	if avatar != nil {
		u.SetAvatar, u.Avatar, u.AvatarMedia, u.AvatarSmall = true, &avatar.Name, &avatar.Name, &avatar.Small
	}
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	user, replaced, err := s.store.UpdateProfile(context.WithoutCancel(r.Context()), id, u) // see createVideo
	if err != nil {
		return err
	}
	committed = true
	s.deleteMedia(replaced...)
	writeJSON(w, http.StatusOK, s.renderer(r).user(user))
	return nil
}

// avatarNames returns the stored names of a (nil: none).
func avatarNames(a *images.StoredAvatar) []string {
	if a == nil {
		return nil
	}
	return a.Names()
}

// readProfileForm reads the multipart profile form; an avatar is processed (square,
// 256 and 64 px JPEGs without metadata, see package images) and stored.
func (s *Server) readProfileForm(r *http.Request, req *profileRequest) (*images.StoredAvatar, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, multipartError(err)
	}
	var avatar *images.StoredAvatar
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return avatar, nil
		}
		if err != nil {
			return avatar, multipartError(err)
		}
		switch name := part.FormName(); name {
		case "avatar":
			if avatar != nil {
				return avatar, tiktok.Invalid(map[string]string{"avatar": "must be sent once"})
			}
			saved, err := s.images.SaveAvatar(r.Context(), s.media, part, media.MaxImageBytes)
			if err != nil {
				return avatar, fileError("avatar", err)
			}
			avatar = &saved
		case "name", "bio":
			v, err := formValue(part)
			if err != nil {
				return avatar, err
			}
			if name == "name" {
				req.Name = &v
			} else {
				req.Bio = &v
			}
		default:
			if _, err := io.Copy(io.Discard, part); err != nil {
				return avatar, multipartError(err)
			}
		}
	}
}

func (s *Server) handleUserDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := s.ownAccount(r)
	if err != nil {
		return err
	}
	files, err := s.store.DeleteUser(r.Context(), id)
	if err != nil {
		return err
	}
	s.versions.bumped(id, deletedVersion)
	s.deleteMedia(files...)
	writeJSON(w, http.StatusOK, map[string]string{"message": "User deleted successfully"})
	return nil
}

// listFollows serves a followers or following list under key.
func (s *Server) listFollows(key string, list func(Users, context.Context, int64, tiktok.Page) ([]tiktok.Follow, error)) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		p, err := parsePage(r, followListLimit)
		if err != nil {
			return err
		}
		follows, err := list(s.store, r.Context(), id, p)
		if err != nil {
			return err
		}
		follows, pg := trimPage(follows, p, followKey)
		rd := s.renderer(r)
		out := make([]followJSON, len(follows))
		for i, f := range follows {
			out[i] = followJSON{userMiniJSON: rd.userMini(f.User), IsFollowing: f.IsFollowing}
		}
		writeJSON(w, http.StatusOK, map[string]any{key: out, "pagination": pg})
		return nil
	}
}

type followResultJSON struct {
	Message       string `json:"message"`
	FollowerCount int64  `json:"followerCount"`
	IsFollowing   bool   `json:"isFollowing"`
}

func (s *Server) handleFollow(follow bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		n, err := s.store.SetFollow(r.Context(), viewerID(r), id, follow)
		if err != nil {
			return err
		}
		msg := "User followed successfully"
		if !follow {
			msg = "User unfollowed successfully"
		}
		writeJSON(w, http.StatusOK, followResultJSON{Message: msg, FollowerCount: n, IsFollowing: follow})
		return nil
	}
}

// handleLogout revokes every token of the user.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	version, err := s.store.RevokeTokens(r.Context(), viewerID(r))
	if err != nil {
		return err
	}
	s.versions.bumped(viewerID(r), version) // here at once; other servers on its announcement
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type passwordRequest struct {
	CurrentPassword *string `json:"currentPassword"`
	NewPassword     *string `json:"newPassword"`
}

// handlePasswordChange checks the current password, stores the new one, revokes every
// older token and answers with a fresh token.
func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request) error {
	var req passwordRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	fields := map[string]string{}
	if req.CurrentPassword == nil || *req.CurrentPassword == "" {
		fields["currentPassword"] = "is required"
	}
	validatePassword(fields, "newPassword", req.NewPassword)
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	user, err := s.store.UserByID(r.Context(), viewerID(r))
	if err != nil {
		return err
	}
	// A stolen token must not become a way to guess the password: wrong current passwords
	// spend the account's failed-login budget, reserved before the check as for logins.
	attempt := &passwordAttempt{s: s, ctx: r.Context()}
	if err := attempt.reserve(s.rules.loginAccount, accountKey(user.ID, "")); err != nil {
		return err
	}
	ok, err := s.checkPassword(r, user.PasswordHash, *req.CurrentPassword)
	if err != nil {
		attempt.refund()
		return err
	}
	if !ok {
		return &tiktok.Error{Code: tiktok.CodeInvalidCredentials, Message: "Current password is incorrect",
			Fields: map[string]string{"currentPassword": "is incorrect"}}
	}
	attempt.refund()
	hash, err := s.hashPassword(r, *req.NewPassword)
	if err != nil {
		return err
	}
	version, err := s.store.SetPassword(r.Context(), user.ID, hash)
	if err != nil {
		return err
	}
	s.versions.bumped(user.ID, version)
	token, err := s.tokens.Issue(user.ID, version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Password changed successfully", "token": token})
	return nil
}
