package httpapi

import (
	"context"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

// The store as the handlers consume it, declared here by its consumer: the HTTP layer
// depends on these methods, not on a database. *postgres.Store implements them; each
// method's errors are *tiktok.Error values (not_found, forbidden, …) or internal failures.

// Users is what the account, profile and follow handlers need.
type Users interface {
	CreateUser(ctx context.Context, u tiktok.NewUser) (tiktok.User, error)
	UserByID(ctx context.Context, id int64) (tiktok.User, error)
	UserByLogin(ctx context.Context, login string) (tiktok.User, error)
	UserProfile(ctx context.Context, id, viewer int64) (tiktok.User, error)
	TokenVersion(ctx context.Context, userID int64) (int64, error)
	ListUsers(ctx context.Context, query string, p tiktok.Page) ([]tiktok.User, error)
	ListFollowers(ctx context.Context, userID int64, p tiktok.Page) ([]tiktok.Follow, error)
	ListFollowing(ctx context.Context, userID int64, p tiktok.Page) ([]tiktok.Follow, error)
	SetFollow(ctx context.Context, follower, following int64, follow bool) (int64, error)
	UpdateProfile(ctx context.Context, id int64, u tiktok.ProfileUpdate) (tiktok.User, []string, error)
	DeleteUser(ctx context.Context, id int64) ([]string, error)
	RevokeTokens(ctx context.Context, id int64) (int64, error)
	SetPassword(ctx context.Context, id int64, hash string) (int64, error)
}

// Videos is what the video handlers need.
type Videos interface {
	ListVideos(ctx context.Context, p tiktok.Page) ([]tiktok.Video, error)
	ListFollowingVideos(ctx context.Context, p tiktok.Page) ([]tiktok.Video, error)
	ListUserVideos(ctx context.Context, userID int64, p tiktok.Page) ([]tiktok.Video, error)
	Video(ctx context.Context, id, viewer int64) (tiktok.Video, error)
	VideoExists(ctx context.Context, id int64) error
	CreateVideo(ctx context.Context, v tiktok.NewVideo) (tiktok.Video, error)
	UpdateVideo(ctx context.Context, id, userID int64, u tiktok.VideoUpdate) (tiktok.Video, error)
	DeleteVideo(ctx context.Context, id, userID int64) ([]string, error)
	SetVideoLike(ctx context.Context, userID, videoID int64, like bool) (int64, error)
}

// Comments is what the comment handlers need. Lists of a video's comments hold its
// top-level comments (tombstones included); ListReplies the replies of one, oldest first.
type Comments interface {
	ListComments(ctx context.Context, videoID int64, p tiktok.Page) ([]tiktok.Comment, error)
	ListCommentsPage(ctx context.Context, videoID, viewer int64, limit, offset int) ([]tiktok.Comment, tiktok.CommentCounts, error)
	CommentCount(ctx context.Context, videoID int64) (tiktok.CommentCounts, error)
	ListReplies(ctx context.Context, commentID int64, p tiktok.Page) ([]tiktok.Comment, error)
	CreateReply(ctx context.Context, userID, videoID, parentID int64, content string) (tiktok.Comment, error)
	Comment(ctx context.Context, id, viewer int64) (tiktok.Comment, error)
	CreateComment(ctx context.Context, userID, videoID int64, content string) (tiktok.Comment, error)
	UpdateComment(ctx context.Context, id, userID int64, content string) (tiktok.Comment, error)
	DeleteComment(ctx context.Context, id, userID int64) error
	SetCommentLike(ctx context.Context, userID, commentID int64, like bool) (int64, error)
}

// Feed is what the For You feed and its feedback need.
type Feed interface {
	ForYou(ctx context.Context, viewer int64, cur tiktok.FeedCursor, limit int) (tiktok.FeedPage, error)
	MarkSeen(ctx context.Context, users, videos []int64) (int64, error)
	CompletedView(ctx context.Context, viewer, videoID int64) error
	NotInterested(ctx context.Context, viewer, videoID int64, hideCreator bool) error
	SetCreatorHidden(ctx context.Context, viewer, creator int64, hidden bool) error
}

// Bookmarks is what the bookmark and share handlers need.
type Bookmarks interface {
	SetVideoBookmark(ctx context.Context, userID, videoID int64, on bool) (int64, error)
	ListBookmarks(ctx context.Context, userID int64, p tiktok.Page) ([]tiktok.Bookmark, error)
	ListLikedVideos(ctx context.Context, userID int64, p tiktok.Page) ([]tiktok.LikedVideo, error)
	ShareVideo(ctx context.Context, userID, videoID int64, channel string) (tiktok.Share, error)
}

// Export is what the data export reads besides the lists above (profile, videos, follows):
// a user's rows of each table, in batches after a key (see export.go).
type Export interface {
	ListUserComments(ctx context.Context, userID int64, p tiktok.Page) ([]tiktok.Comment, error)
	ExportMarks(ctx context.Context, kind tiktok.MarkKind, userID int64, after tiktok.PageKey, limit int) ([]tiktok.Mark, error)
	ExportShares(ctx context.Context, userID int64, after tiktok.PageKey, limit int) ([]tiktok.ShareRecord, error)
	ExportNotifications(ctx context.Context, userID int64, after tiktok.PageKey, limit int) ([]tiktok.NotificationRecord, error)
	ExportMentions(ctx context.Context, userID int64, after tiktok.PageKey, limit int) ([]tiktok.MentionRecord, error)
	ExportReports(ctx context.Context, userID int64, after tiktok.PageKey, limit int) ([]tiktok.Report, error)
	ExportInterests(ctx context.Context, kind tiktok.InterestKind, userID int64, after tiktok.PageKey, limit int) ([]tiktok.Interest, error)
}

// Hashtags is what the hashtag handlers need. Names are normalised (tiktok.NormalizeHashtag).
type Hashtags interface {
	Hashtag(ctx context.Context, name string) (tiktok.Hashtag, error)
	TrendingHashtags(ctx context.Context, limit int) ([]tiktok.Hashtag, error)
	HashtagVideos(ctx context.Context, name string, p tiktok.SpreadPage) ([]tiktok.Video, *tiktok.SpreadKey, error)
}

// Sounds is what the sound handlers need.
type Sounds interface {
	Sound(ctx context.Context, id int64) (tiktok.Sound, error)
	SoundVideos(ctx context.Context, id int64, p tiktok.RankPage) ([]tiktok.Video, error)
}

// StorageObjects is what the storage-compatible routes need.
type StorageObjects interface {
	StorageObject(ctx context.Context, bucket, path string) (tiktok.StorageObject, error)
	CheckStorageUpload(ctx context.Context, bucket, path string, owner int64) error
	PutStorageObject(ctx context.Context, bucket, path string, o tiktok.StorageObject) error
}

// Uploads is what direct uploads need (directuploads.go).
type Uploads interface {
	IssueUploadKey(ctx context.Context, k tiktok.NewUploadKey, maxOpen int) (time.Time, error)
	UploadKey(ctx context.Context, key string) (tiktok.UploadKey, error)
	ClaimUploadKey(ctx context.Context, key string, userID int64, kind string) (bool, error)
}

// Search is what the search routes need. Results come ranked, with their scores (the
// keyset of the next page's cursor). A first page passes a zero SearchPage.After.
type Search interface {
	// SearchVideos also returns the route its candidates came by (route is RouteAuto on a
	// first page, then the cursor's), so that every page ranks the same candidates.
	SearchVideos(ctx context.Context, query string, route tiktok.VideoSearchRoute, p tiktok.SearchPage) ([]tiktok.Ranked[tiktok.Video], tiktok.VideoSearchRoute, error)
	SearchUsers(ctx context.Context, query string, p tiktok.SearchPage) ([]tiktok.Ranked[tiktok.User], error)
	SearchHashtags(ctx context.Context, query string, p tiktok.SearchPage) ([]tiktok.Ranked[tiktok.HashtagResult], error)
	SearchSounds(ctx context.Context, query string, p tiktok.SearchPage) ([]tiktok.Ranked[tiktok.SoundResult], error)
	Suggest(ctx context.Context, query string, viewer int64, limit int) ([]tiktok.Suggestion, error)
}

// Notifications is what the notification routes and streams need. Notifications are
// written by the database itself, in the transaction of the action that causes them.
type Notifications interface {
	ListNotifications(ctx context.Context, userID, before int64, limit int) ([]tiktok.Notification, error)
	NotificationsAfter(ctx context.Context, userID, after int64, limit int) ([]tiktok.Notification, error)
	Notification(ctx context.Context, userID, id int64) (tiktok.Notification, error)
	LatestNotificationEvent(ctx context.Context, userID int64) (int64, error)
	UnreadNotifications(ctx context.Context, userID int64) (tiktok.UnreadCount, error)
	MarkNotificationsRead(ctx context.Context, userID, upTo int64) (int64, error)
	// The live announcements (notify.Source).
	ListenNotifications(ctx context.Context, connected func(), deliver func(tiktok.NotificationSignal)) error
	AddNotificationListener(ctx context.Context, server string, userID int64) error
	SyncNotificationListeners(ctx context.Context, server string, users []int64) error
}

// ViewRecorder adds counted views to videos (video id → views), as the view counter
// flushes them.
type ViewRecorder interface {
	AddViews(ctx context.Context, views map[int64]int64) error
}

// ViewCounter counts a view of a video by a viewer (a user, or a client's address), at most
// once per viewer and video per hour. Count must be cheap and never fail the request: a
// counter buffers, and writes in the background.
type ViewCounter interface {
	Count(videoID int64, viewer string, now time.Time)
}

// SharedViews de-duplicates views across servers (redisstate.Views): First claims each key
// ("<video id>:<viewer>") for window and reports which claims were the first within it.
type SharedViews interface {
	First(ctx context.Context, keys []string, window time.Duration) ([]bool, error)
}

// SharedSlots bounds what a key holds at once across servers (redisstate.Slots): Acquire
// takes one of limit slots for at most ttl and returns the function that gives it back;
// Hold takes one for ttl that renew extends (false: it lapsed and the slots filled up).
type SharedSlots interface {
	Acquire(ctx context.Context, name, key string, limit int, ttl time.Duration) (release func(), ok bool, err error)
	Hold(ctx context.Context, name, key string, limit int, ttl time.Duration) (renew func(context.Context) (bool, error), release func(), ok bool, err error)
}

// SharedCache is a small cache shared by the servers (redisstate.Cache): Get returns a
// value (nil when absent) and its time left; Set stores one for ttl.
type SharedCache interface {
	Get(ctx context.Context, key string) ([]byte, time.Duration, error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
}

// Safety is what blocks, reports and moderation need (safety.go). CheckVisible is the one
// visibility check of the store: not_found unless viewer may see the target.
type Safety interface {
	CheckVisible(ctx context.Context, viewer int64, t tiktok.Target) error
	SetBlock(ctx context.Context, blocker, blocked int64, block bool) error
	ListBlocks(ctx context.Context, blocker int64, p tiktok.Page) ([]tiktok.Block, error)
	CreateReport(ctx context.Context, r tiktok.NewReport, autoHideAt int) (tiktok.Report, bool, error)
	UserRole(ctx context.Context, id int64) (tiktok.Role, error)
	SetRole(ctx context.Context, actor, id int64, role tiktok.Role) error
	SetSuspended(ctx context.Context, actor, id int64, suspend bool, reason string) (tiktok.ModerationState, error)
	SetVideoHidden(ctx context.Context, actor, id int64, hide bool, reason string) (tiktok.ModerationState, error)
	SetCommentHidden(ctx context.Context, actor, id int64, hide bool, reason string) (tiktok.ModerationState, error)
	ReportQueue(ctx context.Context, p tiktok.Page) ([]tiktok.ReportGroup, error)
	ResolveReports(ctx context.Context, actor int64, t tiktok.Target, resolution string, note *string) (int64, error)
	ListAudit(ctx context.Context, p tiktok.Page) ([]tiktok.AuditEntry, error)
}

// Store is the whole of what the server needs of its database.
type Store interface {
	Users
	Videos
	Comments
	Feed
	Bookmarks
	Export
	Hashtags
	Sounds
	StorageObjects
	Uploads
	Search
	Notifications
	ViewRecorder
	Safety
	// Ping reports whether the database answers (for /readyz).
	Ping(ctx context.Context) error
}
