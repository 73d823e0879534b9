package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

// jsonTime marshals as RFC 3339 UTC with exactly three fractional digits.
type jsonTime time.Time

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func (t jsonTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(timeLayout) + `"`), nil
}

// userCounts is the Prisma-style _count of a user.
type userCounts struct {
	Videos     int64 `json:"videos"`
	FollowedBy int64 `json:"followedBy"`
	Following  int64 `json:"following"`
}

// userJSON is UserPublic, and UserSelf when Email and UpdatedAt are set (only for the
// viewer's own account).
type userJSON struct {
	ID             int64      `json:"id"`
	Username       string     `json:"username"`
	Email          *string    `json:"email,omitempty"`
	Name           *string    `json:"name"`
	Bio            *string    `json:"bio"`
	Avatar         *string    `json:"avatar"`
	CreatedAt      jsonTime   `json:"createdAt"`
	UpdatedAt      *jsonTime  `json:"updatedAt,omitempty"`
	IsFollowing    bool       `json:"isFollowing"`
	FollowerCount  int64      `json:"followerCount"`
	FollowingCount int64      `json:"followingCount"`
	VideoCount     int64      `json:"videoCount"`
	LikeCount      int64      `json:"likeCount"`
	Count          userCounts `json:"_count"`
}

type userMiniJSON struct {
	ID       int64   `json:"id"`
	Username string  `json:"username"`
	Name     *string `json:"name"`
	Avatar   *string `json:"avatar"`
}

// baseURL is the origin that relative media names are resolved against.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// mediaURL makes a stored media reference absolute: an http(s) URL is kept, a stored
// file name becomes <base>/uploads/<name>.
func (s *Server) mediaURL(r *http.Request, ref *string) *string {
	if ref == nil || *ref == "" {
		return ref
	}
	if strings.HasPrefix(*ref, "http://") || strings.HasPrefix(*ref, "https://") {
		return ref
	}
	u := s.baseURL(r) + "/uploads/" + strings.TrimPrefix(*ref, "/uploads/")
	return &u
}

// userJSON renders u; the email and updatedAt appear only when the viewer is u.
func (s *Server) userJSON(r *http.Request, u tiktok.User) userJSON {
	out := userJSON{
		ID: u.ID, Username: u.Username, Name: u.Name, Bio: u.Bio,
		Avatar:         s.mediaURL(r, u.Avatar),
		CreatedAt:      jsonTime(u.CreatedAt),
		IsFollowing:    u.IsFollowing,
		FollowerCount:  u.FollowerCount,
		FollowingCount: u.FollowingCount,
		VideoCount:     u.VideoCount,
		LikeCount:      u.LikeCount,
		Count:          userCounts{Videos: u.VideoCount, FollowedBy: u.FollowerCount, Following: u.FollowingCount},
	}
	if viewerID(r) == u.ID {
		email, updated := u.Email, jsonTime(u.UpdatedAt)
		out.Email, out.UpdatedAt = &email, &updated
	}
	return out
}

func (s *Server) userMiniJSON(r *http.Request, u tiktok.UserMini) userMiniJSON {
	return userMiniJSON{ID: u.ID, Username: u.Username, Name: u.Name, Avatar: s.mediaURL(r, u.Avatar)}
}
