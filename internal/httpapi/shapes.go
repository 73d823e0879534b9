package httpapi

import (
	"cmp"
	"net/http"
	"strings"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// jsonTime formats t as RFC 3339 UTC with exactly three fractional digits. Response
// structs hold the formatted string rather than a type with a MarshalJSON method:
// encoding/json re-scans every Marshaler's output, which cost 8 % of a feed page's CPU.
func jsonTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
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
	AvatarSmall    *string    `json:"avatarSmall"` // the 64 px variant, null when there is none
	CreatedAt      string     `json:"createdAt"`
	UpdatedAt      *string    `json:"updatedAt,omitempty"`
	Role           *string    `json:"role,omitempty"` // like email: only one's own
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

// renderer turns domain values into the response shapes of the contract. It holds what a
// rendering depends on besides the values: the origin that stored media names are made
// absolute against, and the viewer, who alone sees their own account's private fields.
type renderer struct {
	base   string
	media  string // MEDIA_PUBLIC_URL: the base of stored media names, when set
	viewer int64
}

// renderer returns the renderer of r's answer.
func (s *Server) renderer(r *http.Request) renderer {
	return renderer{base: s.baseURL(r), media: s.cfg.MediaPublicURL, viewer: viewerID(r)}
}

// mediaURL makes a stored media reference absolute: an http(s) URL is kept, a stored
// file name becomes <base>/uploads/<name>, or <media>/<name> when media is set.
func (rd renderer) mediaURL(ref *string) *string {
	if ref == nil || *ref == "" {
		return ref
	}
	if strings.HasPrefix(*ref, "http://") || strings.HasPrefix(*ref, "https://") {
		return ref
	}
	u := rd.base + "/uploads/" + strings.TrimPrefix(*ref, "/uploads/")
	if rd.media != "" {
		u = rd.media + "/" + strings.TrimPrefix(*ref, "/uploads/")
	}
	return &u
}

// user renders u; the email and updatedAt appear only when the viewer is u.
func (rd renderer) user(u tiktok.User) userJSON {
	out := userJSON{
		ID: u.ID, Username: u.Username, Name: u.Name, Bio: u.Bio,
		Avatar:         rd.mediaURL(u.Avatar),
		AvatarSmall:    rd.mediaURL(u.AvatarSmall),
		CreatedAt:      jsonTime(u.CreatedAt),
		IsFollowing:    u.IsFollowing,
		FollowerCount:  u.FollowerCount,
		FollowingCount: u.FollowingCount,
		VideoCount:     u.VideoCount,
		LikeCount:      u.LikeCount,
		Count:          userCounts{Videos: u.VideoCount, FollowedBy: u.FollowerCount, Following: u.FollowingCount},
	}
	if rd.viewer == u.ID {
		email, updated, role := u.Email, jsonTime(u.UpdatedAt), string(u.Role)
		if role == "" {
			role = string(tiktok.RoleUser)
		}
		out.Email, out.UpdatedAt, out.Role = &email, &updated, &role
	}
	return out
}

func (rd renderer) userMini(u tiktok.UserMini) userMiniJSON {
	return userMiniJSON{ID: u.ID, Username: u.Username, Name: u.Name, Avatar: rd.mediaURL(u.Avatar)}
}

type videoCounts struct {
	Likes    int64 `json:"likes"`
	Comments int64 `json:"comments"`
}

// videoJSON is the Video shape of the contract.
type videoJSON struct {
	ID                   int64         `json:"id"`
	UserID               int64         `json:"userId"`
	Caption              string        `json:"caption"`
	VideoURL             *string       `json:"videoUrl"`
	ThumbnailURL         *string       `json:"thumbnailUrl"`
	AudioName            *string       `json:"audioName"`
	Sound                *string       `json:"sound"`
	VideoStoragePath     *string       `json:"videoStoragePath"`
	ThumbnailStoragePath *string       `json:"thumbnailStoragePath"`
	Views                int64         `json:"views"`
	CreatedAt            string        `json:"createdAt"`
	UpdatedAt            string        `json:"updatedAt"`
	User                 userMiniJSON  `json:"user"`
	LikeCount            int64         `json:"likeCount"`
	CommentCount         int64         `json:"commentCount"`
	Count                videoCounts   `json:"_count"`
	IsLiked              bool          `json:"isLiked"`
	SoundID              *int64        `json:"soundId"`
	BookmarkCount        int64         `json:"bookmarkCount"`
	ShareCount           int64         `json:"shareCount"`
	IsBookmarked         bool          `json:"isBookmarked"`
	Mentions             []mentionJSON `json:"mentions"`
	moderationJSON
	// The media pipeline's: where it stands with the video (only its owner sees one that
	// is not ready), why it failed, and what probing found.
	Status        tiktok.VideoStatus `json:"status"`
	FailureReason *string            `json:"failureReason"`
	DurationMs    *int32             `json:"durationMs"`
	Width         *int32             `json:"width"`
	Height        *int32             `json:"height"`
}

// moderationJSON tells the owner of a hidden video or comment that it is hidden and why;
// both are null for everyone else (who never sees hidden content) and for visible content.
type moderationJSON struct {
	Moderation       *string `json:"moderation"`
	ModerationReason *string `json:"moderationReason"`
}

// moderation renders the moderation state of content owned by owner.
func (rd renderer) moderation(owner int64, hiddenReason *string) moderationJSON {
	if hiddenReason == nil || owner == 0 || rd.viewer != owner {
		return moderationJSON{}
	}
	hidden := "hidden"
	return moderationJSON{Moderation: &hidden, ModerationReason: hiddenReason}
}

func (rd renderer) video(v tiktok.Video) videoJSON {
	url := v.VideoURL
	return videoJSON{
		ID: v.ID, UserID: v.UserID, Caption: v.Caption,
		VideoURL:     rd.mediaURL(&url),
		ThumbnailURL: rd.mediaURL(v.ThumbnailURL),
		AudioName:    v.AudioName, Sound: v.AudioName,
		VideoStoragePath: v.VideoStoragePath, ThumbnailStoragePath: v.ThumbnailStoragePath,
		Views: v.Views, CreatedAt: jsonTime(v.CreatedAt), UpdatedAt: jsonTime(v.UpdatedAt),
		User:      rd.userMini(v.User),
		LikeCount: v.LikeCount, CommentCount: v.CommentCount,
		BookmarkCount: v.BookmarkCount, ShareCount: v.ShareCount, IsBookmarked: v.IsBookmarked,
		Count:    videoCounts{Likes: v.LikeCount, Comments: v.CommentCount},
		IsLiked:  v.IsLiked,
		SoundID:  v.SoundID,
		Mentions: mentions(v.Mentions),

		moderationJSON: rd.moderation(v.UserID, v.HiddenReason),

		Status: cmp.Or(v.Status, tiktok.VideoReady), FailureReason: v.FailureReason,
		DurationMs: v.DurationMs, Width: v.Width, Height: v.Height,
	}
}

func (rd renderer) videos(vs []tiktok.Video) []videoJSON {
	out := make([]videoJSON, len(vs))
	for i, v := range vs {
		out[i] = rd.video(v)
	}
	return out
}

type commentCounts struct {
	Likes int64 `json:"likes"`
}

type videoMiniJSON struct {
	ID           int64   `json:"id"`
	Caption      string  `json:"caption"`
	ThumbnailURL *string `json:"thumbnailUrl"`
}

// commentJSON is the Comment shape; Video is present only for GET /api/comments/{id}.
// A tombstone (deleted: true) has no author: userId is null and user the placeholder
// deletedAuthor (not null: the Comment shape of the original frontend's contract always has
// a user, and that client reads comment.user.username), content tombstoneContent.
type commentJSON struct {
	ID         int64          `json:"id"`
	UserID     *int64         `json:"userId"`
	VideoID    int64          `json:"videoId"`
	Content    string         `json:"content"`
	CreatedAt  string         `json:"createdAt"`
	UpdatedAt  string         `json:"updatedAt"`
	User       *userMiniJSON  `json:"user"`
	LikeCount  int64          `json:"likeCount"`
	Count      commentCounts  `json:"_count"`
	IsLiked    bool           `json:"isLiked"`
	Video      *videoMiniJSON `json:"video,omitempty"`
	ParentID   *int64         `json:"parentId"`
	ReplyCount int64          `json:"replyCount"`
	Deleted    bool           `json:"deleted"`
	Mentions   []mentionJSON  `json:"mentions"`
	moderationJSON
}

// tombstoneContent is the content of a deleted comment kept for its replies.
const tombstoneContent = "Comment deleted"

// deletedAuthor stands for the author of a tombstone: id 0 names no user, and "[deleted]"
// cannot be a username, so no client links it to a real account.
var deletedAuthor = userMiniJSON{ID: 0, Username: "[deleted]"}

func (rd renderer) comment(c tiktok.Comment) commentJSON {
	out := commentJSON{
		ID: c.ID, VideoID: c.VideoID, Content: c.Content,
		CreatedAt: jsonTime(c.CreatedAt), UpdatedAt: jsonTime(c.UpdatedAt),
		LikeCount: c.LikeCount, Count: commentCounts{Likes: c.LikeCount}, IsLiked: c.IsLiked,
		ParentID: c.ParentID, ReplyCount: c.ReplyCount, Deleted: c.Deleted, Mentions: mentions(c.Mentions),
		moderationJSON: rd.moderation(c.UserID, c.HiddenReason),
	}
	if c.Deleted {
		author := deletedAuthor
		out.Content, out.User = tombstoneContent, &author
	} else {
		user, id := rd.userMini(c.User), c.UserID
		out.User, out.UserID = &user, &id
	}
	if c.Video != nil {
		out.Video = &videoMiniJSON{ID: c.Video.ID, Caption: c.Video.Caption, ThumbnailURL: rd.mediaURL(c.Video.ThumbnailURL)}
	}
	return out
}

func (rd renderer) comments(cs []tiktok.Comment) []commentJSON {
	out := make([]commentJSON, len(cs))
	for i, c := range cs {
		out[i] = rd.comment(c)
	}
	return out
}

// mentionJSON is a span of a caption or comment that names a user: code points
// [start, end) of the text, the '@' included.
type mentionJSON struct {
	UserID   int64  `json:"userId"`
	Username string `json:"username"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
}

// mentions renders spans; never null.
func mentions(ms []tiktok.Mention) []mentionJSON {
	out := make([]mentionJSON, len(ms))
	for i, m := range ms {
		out[i] = mentionJSON{UserID: m.UserID, Username: m.Username, Start: m.Start, End: m.End}
	}
	return out
}

// followJSON is an entry of a follower or following list: UserMini + isFollowing.
type followJSON struct {
	userMiniJSON
	IsFollowing bool `json:"isFollowing"`
}

// likeJSON answers the like and unlike routes.
type likeJSON struct {
	Message   string `json:"message"`
	Action    string `json:"action"`
	LikeCount int64  `json:"likeCount"`
	IsLiked   bool   `json:"isLiked"`
}

func videoKey(v tiktok.Video) tiktok.PageKey     { return tiktok.PageKey{Time: v.CreatedAt, ID: v.ID} }
func commentKey(c tiktok.Comment) tiktok.PageKey { return tiktok.PageKey{Time: c.CreatedAt, ID: c.ID} }
func userKey(u tiktok.User) tiktok.PageKey       { return tiktok.PageKey{Time: u.CreatedAt, ID: u.ID} }
func followKey(f tiktok.Follow) tiktok.PageKey {
	return tiktok.PageKey{Time: f.FollowedAt, ID: f.User.ID}
}
