package tiktok

import "time"

// User is an account. PasswordHash and TokenVersion never leave the server.
type User struct {
	ID           int64
	Username     string
	Email        string
	PasswordHash string
	Name         *string
	Bio          *string
	Avatar       *string // URL or stored media name
	AvatarSmall  *string // stored name of the 64×64 variant of Avatar, nil when there is none
	TokenVersion int64
	CreatedAt    time.Time
	UpdatedAt    time.Time

	FollowerCount  int64
	FollowingCount int64
	VideoCount     int64
	LikeCount      int64 // likes received on the user's videos

	// IsFollowing reports whether the viewer follows this user (false for anonymous viewers).
	IsFollowing bool

	// Role is the account's role; SuspendedAt is set while it is suspended.
	Role        Role
	SuspendedAt *time.Time
}

// UserMini is the author summary embedded in videos and comments.
type UserMini struct {
	ID       int64
	Username string
	Name     *string
	Avatar   *string
}

// Follow is one entry of a follower or following list: the other user and when the
// relation started (the list's sort key).
type Follow struct {
	User        UserMini
	IsFollowing bool
	FollowedAt  time.Time
}

// Video is a short video with its author, counters and the viewer's like.
type Video struct {
	ID                   int64
	UserID               int64
	Caption              string
	VideoURL             string
	ThumbnailURL         *string
	AudioName            *string
	VideoStoragePath     *string
	ThumbnailStoragePath *string
	// VideoMedia and ThumbnailMedia name files the server stored itself and will delete
	// with the video; nil for media stored elsewhere.
	VideoMedia     *string
	ThumbnailMedia *string
	Views          int64
	LikeCount      int64
	CommentCount   int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	User           UserMini
	IsLiked        bool
	// SoundID is the sound of AudioName (nil without one).
	SoundID *int64
	// HotRank is the video's engagement-with-decay rank (see migration 00006).
	HotRank float64
	// BookmarkCount counts the users who bookmarked the video, ShareCount its shares (at
	// most one per user per UTC day); IsBookmarked reports the viewer's bookmark.
	BookmarkCount int64
	ShareCount    int64
	IsBookmarked  bool
	// Mentions are the users the caption mentions, by position (nil: none).
	Mentions []Mention
	// HiddenReason is set while a moderator (or the report threshold) hides the video;
	// only its owner is ever shown a hidden video.
	HiddenReason *string
	// Status is where the media pipeline stands with the video; only its owner is shown a
	// video that is not ready. FailureReason says why it failed.
	Status        VideoStatus
	FailureReason *string
	// DurationMs, Width and Height are what probing the served file found (nil until it
	// is probed, and for videos stored elsewhere).
	DurationMs    *int32
	Width, Height *int32
}

// ProcessingVideo is what the media pipeline reads of a video it processes.
type ProcessingVideo struct {
	ID, UserID     int64
	Status         VideoStatus
	VideoMedia     *string // the uploaded file (nil: nothing of ours to process)
	ThumbnailMedia *string // the uploader's thumbnail, if any
}

// ProcessingResult is what processing a video found and made: the probe of the file
// served, and the files that replace the upload (a transcode) and stand for the missing
// thumbnail (a poster); nil when not made.
type ProcessingResult struct {
	DurationMs, Width, Height  *int32
	VideoMedia, ThumbnailMedia *string
}

// VideoStatus is where the media pipeline stands with a video.
type VideoStatus string

const (
	VideoProcessing VideoStatus = "processing" // uploaded; being probed and transcoded
	VideoReady      VideoStatus = "ready"      // served, listed and searchable
	VideoFailed     VideoStatus = "failed"     // not playable (FailureReason says why)
)

// Comment is a comment on a video with its author, like count and the viewer's like.
type Comment struct {
	ID        int64
	UserID    int64
	VideoID   int64
	Content   string
	LikeCount int64
	CreatedAt time.Time
	UpdatedAt time.Time
	User      UserMini
	IsLiked   bool
	// Video is set only where the API embeds a summary of the commented video.
	Video *VideoMini
	// HiddenReason is set while a moderator hides the comment (only its author sees it).
	HiddenReason *string
	// ParentID is the top-level comment a reply belongs to (nil: a top-level comment), and
	// ReplyCount how many replies a top-level comment has.
	ParentID   *int64
	ReplyCount int64
	// Deleted marks a tombstone: a deleted comment kept because it has replies, with no
	// author (UserID 0, empty User and Content).
	Deleted bool
	// Mentions are the users the content mentions, by position (nil: none).
	Mentions []Mention
}

// CommentCounts are a video's comment counters: Comments counts every live comment,
// replies included (the video's commentCount); Threads the rows of its top-level list,
// tombstones included.
type CommentCounts struct {
	Comments, Threads int64
}

// VideoMini is the summary of a video embedded in a single comment.
type VideoMini struct {
	ID           int64
	Caption      string
	ThumbnailURL *string
}

// PageKey is a position in a list sorted newest first: the sort key (time, id) of the last
// item of the previous page. The zero PageKey means "from the start".
type PageKey struct {
	Time time.Time
	ID   int64
}

// Page asks for up to Limit items after After, as seen by Viewer (0 for anonymous).
type Page struct {
	Viewer int64
	After  PageKey
	Limit  int
}
