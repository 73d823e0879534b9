package postgres

import (
	"strings"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
)

// hotQueries are the statements the API's hot paths send, by sqlc query name. Tools that
// measure the Store from outside (the benchmark module in bench/) read them through
// QueryText; the rest of the generated code stays private to this package.
var hotQueries = map[string]string{
	"ListVideos":          db.ListVideos,
	"ListFollowingVideos": db.ListFollowingVideos,
	"ListFollowingInbox":  db.ListFollowingInbox,
	"ListUserVideos":      db.ListUserVideos,
	"GetVideo":            db.GetVideo,
	"ListVideoComments":   db.ListVideoComments,
	"VideoCommentCount":   db.VideoCommentCount,
	"VideoExists":         db.VideoExists,
	"GetUserProfile":      db.GetUserProfile,
	"UserExists":          db.UserExists,
	"GetUserTokenVersion": db.GetUserTokenVersion,
	"GetUserByLogin":      db.GetUserByLogin,
	"LikeVideo":           db.LikeVideo,
	"UnlikeVideo":         db.UnlikeVideo,
	"VideoLikeCount":      db.VideoLikeCount,
	"CreateComment":       db.CreateComment,
	"GetComment":          db.GetComment,
	"AddVideoViews":       db.AddVideoViews,
	// replies and mentions (migration 00012)
	"ListCommentReplies": db.ListCommentReplies,
	"VideoMentions":      db.VideoMentions,
	"CommentMentions":    db.CommentMentions,

	"ForYouCandidates":  db.ForYouCandidates,
	"CreateFeedSession": db.CreateFeedSession,

	"HashtagByName":          db.HashtagByName,
	"TrendingHashtags":       db.TrendingHashtags,
	"HashtagVideoCandidates": db.HashtagVideoCandidates,
	"VideosByIDs":            db.VideosByIDs,
	"SoundByID":              db.SoundByID,
	"ListSoundVideos":        db.ListSoundVideos,
	// search (search.go says which query serves which request)
	"SearchVideosSelective": db.SearchVideosSelective,
	"SearchVideosCommon":    db.SearchVideosCommon,
	"SearchUsersRanked":     db.SearchUsersRanked,
	"SearchHashtagsRanked":  db.SearchHashtagsRanked,
	"SearchSoundsRanked":    db.SearchSoundsRanked,
	"SearchSuggest":         db.SearchSuggest,
}

// QueryText returns the SQL of the named sqlc query ("ListVideos") as the Store sends it,
// without sqlc's "-- name:" comment line, so that a benchmark can replay it with pgbench or
// EXPLAIN it. It reports false for a query that is not one of the hot-path statements
// exported here.
func QueryText(name string) (string, bool) {
	sql, ok := hotQueries[name]
	if !ok {
		return "", false
	}
	if first, rest, found := strings.Cut(sql, "\n"); found && strings.HasPrefix(first, "-- name: ") {
		sql = rest
	}
	return strings.TrimSpace(sql), true
}
