package tiktok

import (
	"slices"
	"time"
)

// ShareChannels returns the channels a share may name (POST /api/videos/{id}/share): where
// the client sent the video. "link" is the system share sheet or a shared link, "copy" the
// link copied to the clipboard, "other" anything not listed. Adding one is a change here
// (and in the OpenAPI document); the database only checks the spelling.
func ShareChannels() []string {
	return []string{"link", "copy", "email", "sms", "whatsapp", "messenger", "telegram",
		"instagram", "facebook", "x", "other"}
}

// ValidShareChannel reports whether c is one of ShareChannels.
func ValidShareChannel(c string) bool { return slices.Contains(ShareChannels(), c) }

// Bookmark is an entry of a user's bookmarks: the video and when it was bookmarked (the
// list's sort key).
type Bookmark struct {
	Video        Video
	BookmarkedAt time.Time
}

// LikedVideo is a video the user likes and when they liked it.
type LikedVideo struct {
	Video   Video
	LikedAt time.Time
}

// Share is what a share did: the video's share count after it, and whether this share was
// counted (false: the user already shared the video this UTC day).
type Share struct {
	ShareCount int64
	Counted    bool
}

// The data export (GET /api/users/me/export) reads a user's rows table by table, in
// batches after a PageKey: most tables page upwards by the other id of their primary key
// (PageKey.ID, Time unused, the zero key first); lists the API already has (videos,
// comments, follows) page as they do, newest first.

// Mark is a row of a join table from the side of the user who made it: the row it points
// at (a video, a comment or a user) and when. Likes, bookmarks, impressions, "not
// interested" marks and hidden creators export as marks.
type Mark struct {
	ID int64
	At time.Time
}

// MarkKind names a table of marks.
type MarkKind string

// The tables of marks.
const (
	MarkVideoLikes     MarkKind = "video_likes"
	MarkCommentLikes   MarkKind = "comment_likes"
	MarkBookmarks      MarkKind = "video_bookmarks"
	MarkImpressions    MarkKind = "video_impressions"
	MarkNotInterested  MarkKind = "video_feedback"
	MarkHiddenCreators MarkKind = "hidden_creators"
	MarkBlocks         MarkKind = "blocks"
)

// ShareRecord is one row of video_shares: the user shared VideoID on Day (UTC midnight)
// through Channel, first at CreatedAt.
type ShareRecord struct {
	VideoID   int64
	Day       time.Time
	Channel   string
	CreatedAt time.Time
}

// InterestKind names a table of interests.
type InterestKind string

// The tables of interests.
const (
	CreatorInterests InterestKind = "creator_interests"
	HashtagInterests InterestKind = "hashtag_interests"
)

// Interest is a stored interest of a user in a creator or a hashtag (ID; Name is the
// hashtag's name, empty for a creator): Weight as of UpdatedAt, from which it decays.
type Interest struct {
	ID        int64
	Name      string
	Weight    float64
	UpdatedAt time.Time
}
