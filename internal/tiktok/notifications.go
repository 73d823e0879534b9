package tiktok

import "time"

// NotificationKind says what happened. The store keeps one notification per group:
// a video's likes, a comment's likes and a user's new followers are each one notification
// whose actors grow; a comment, a reply and a mention are one notification each.
type NotificationKind string

// The kinds of notification.
const (
	NotifyVideoLike   NotificationKind = "video_like"   // someone liked your video
	NotifyCommentLike NotificationKind = "comment_like" // someone liked your comment
	NotifyComment     NotificationKind = "comment"      // someone commented on your video
	NotifyReply       NotificationKind = "reply"        // someone replied to your comment
	NotifyMention     NotificationKind = "mention"      // someone mentioned you
	NotifyFollow      NotificationKind = "follow"       // someone followed you
	NotifyVideoReady  NotificationKind = "video_ready"  // your upload is processed and public (no actor)
	NotifyVideoFailed NotificationKind = "video_failed" // your upload could not be processed (no actor)
)

// NotificationActors is how many of a group's most recent actors a Notification carries.
const NotificationActors = 3

// Notification is one notification (a group of actors doing the same thing to the same
// target) as its recipient sees it.
type Notification struct {
	ID int64
	// EventID is the id of the group's latest activity: it grows whenever an actor joins,
	// orders the list (newest first) and is the id of the live stream's events.
	EventID int64
	Kind    NotificationKind
	// Actors are the most recent actors still in the group, newest first (at most
	// NotificationActors; fewer than ActorCount when older ones are not tracked any more).
	Actors     []UserMini
	ActorCount int64
	Video      *VideoMini   // the video liked or commented on, or the comment's video; nil for follows
	Comment    *CommentMini // the comment liked, written or replied with; nil otherwise
	Read       bool
	CreatedAt  time.Time // the group's first activity
	UpdatedAt  time.Time // its latest activity
}

// CommentMini is the summary of a comment a notification refers to.
type CommentMini struct {
	ID      int64
	Snippet string // the first 100 characters
}

// UnreadCount is how many notifications are unread, counted up to a bound: Capped reports
// that there are at least Count.
type UnreadCount struct {
	Count  int64
	Capped bool
}

// NotificationOp is what happened to a notification, as the database announces it.
type NotificationOp byte

// The announcements of the notifications channel.
const (
	NotificationAdded   NotificationOp = 'a' // new activity: the group's EventID moved
	NotificationChanged NotificationOp = 'u' // an actor left the group (an undo); EventID unchanged
	NotificationRemoved NotificationOp = 'd' // the group is gone
	NotificationsRead   NotificationOp = 'r' // the recipient marked notifications read; ID is the new read mark
)

// NotificationSignal is one announcement: Recipient's notification ID changed by Op. It
// carries no content: a stream reads the rows it needs.
type NotificationSignal struct {
	Recipient int64
	ID        int64
	Op        NotificationOp
}

// NotificationRecord is a notification as stored, for the data export: the ids it points
// at rather than their summaries.
type NotificationRecord struct {
	ID         int64
	EventID    int64
	Kind       NotificationKind
	VideoID    *int64
	CommentID  *int64
	ActorIDs   []int64 // the most recent actors still in the group, newest first
	ActorCount int64
	Read       bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}
