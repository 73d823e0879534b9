package postgres

import (
	"context"
	"fmt"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// ListComments returns a page of videoID's comments, newest first, or not_found for an
// unknown video or one p.Viewer may not see; comments p.Viewer may not see are left out.
func (s *Store) ListComments(ctx context.Context, videoID int64, p tiktok.Page) ([]tiktok.Comment, error) {
	t, id := keyset(p)
	rows, err := s.q.ListVideoComments(ctx, db.ListVideoCommentsParams{ViewerID: p.Viewer, VideoID: videoID, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list comments: %w", translate(err))
	}
	if len(rows) == 0 {
		if err := s.CheckVisible(ctx, p.Viewer, tiktok.Target{Type: tiktok.TargetVideo, ID: videoID}); err != nil {
			return nil, err
		}
	}
	out := make([]tiktok.Comment, len(rows))
	for i, r := range rows {
		out[i] = commentFromFeed(r.CommentFeed, r.IsLiked)
	}
	return out, nil
}

// ListCommentsPage returns the comments of videoID on a numbered page (newest first) and
// the video's comment count, or not_found for an unknown video or one viewer may not see.
func (s *Store) ListCommentsPage(ctx context.Context, videoID, viewer int64, limit, offset int) ([]tiktok.Comment, int64, error) {
	total, err := s.q.VisibleVideoCommentCount(ctx, db.VisibleVideoCommentCountParams{ID: videoID, ViewerID: viewer})
	if err != nil {
		return nil, 0, notFound(err, "Video")
	}
	rows, err := s.q.ListVideoCommentsPage(ctx, db.ListVideoCommentsPageParams{ViewerID: viewer, VideoID: videoID, Lim: int32(limit), Off: int32(offset)})
	if err != nil {
		return nil, 0, fmt.Errorf("list comments page: %w", translate(err))
	}
	out := make([]tiktok.Comment, len(rows))
	for i, r := range rows {
		out[i] = commentFromFeed(r.CommentFeed, r.IsLiked)
	}
	return out, total, nil
}

// CommentCount returns videoID's comment count, or not_found for an unknown video.
func (s *Store) CommentCount(ctx context.Context, videoID int64) (int64, error) {
	n, err := s.q.VideoCommentCount(ctx, videoID)
	if err != nil {
		return 0, notFound(err, "Video")
	}
	return n, nil
}

// Comment returns comment id with a summary of its video, or not_found (also when viewer
// may not see the comment or its video).
func (s *Store) Comment(ctx context.Context, id, viewer int64) (tiktok.Comment, error) {
	r, err := s.q.GetComment(ctx, db.GetCommentParams{ID: id, ViewerID: viewer})
	if err != nil {
		return tiktok.Comment{}, notFound(err, "Comment")
	}
	c := commentFromFeed(r.CommentFeed, r.IsLiked)
	c.Video = &tiktok.VideoMini{ID: c.VideoID, Caption: r.VideoCaption, ThumbnailURL: r.VideoThumbnailUrl}
	return c, nil
}

// CreateComment adds userID's comment to videoID, or returns not_found for an unknown video
// or one userID may not see (hidden, or a block between userID and its owner).
func (s *Store) CreateComment(ctx context.Context, userID, videoID int64, content string) (tiktok.Comment, error) {
	var id int64
	err := s.inTx(ctx, func(q *db.Queries) error {
		if _, err := visibleOwner(ctx, q, userID, tiktok.Target{Type: tiktok.TargetVideo, ID: videoID}); err != nil {
			return err
		}
		var err error
		id, err = q.CreateComment(ctx, db.CreateCommentParams{UserID: userID, VideoID: videoID, Content: content})
		return err
	})
	if isForeignKeyViolation(err) {
		return tiktok.Comment{}, tiktok.NotFound("Video")
	}
	if err != nil {
		return tiktok.Comment{}, fmt.Errorf("create comment: %w", translate(err))
	}
	return s.Comment(ctx, id, userID)
}

// UpdateComment changes the content of userID's comment id; not_found for an unknown
// comment or one userID may not see, forbidden for someone else's.
func (s *Store) UpdateComment(ctx context.Context, id, userID int64, content string) (tiktok.Comment, error) {
	if err := s.CheckVisible(ctx, userID, tiktok.Target{Type: tiktok.TargetComment, ID: id}); err != nil {
		return tiktok.Comment{}, err // e.g. on a video hidden since
	}
	n, err := s.q.UpdateComment(ctx, db.UpdateCommentParams{ID: id, UserID: userID, Content: content})
	if err != nil {
		return tiktok.Comment{}, fmt.Errorf("update comment: %w", translate(err))
	}
	if n == 0 {
		return tiktok.Comment{}, s.commentOwnerError(ctx, id, userID)
	}
	return s.Comment(ctx, id, userID)
}

// DeleteComment deletes comment id if userID wrote it or owns the commented video;
// not_found for an unknown comment, forbidden otherwise.
func (s *Store) DeleteComment(ctx context.Context, id, userID int64) error {
	n, err := s.q.DeleteComment(ctx, db.DeleteCommentParams{ID: id, UserID: userID})
	if err != nil {
		return fmt.Errorf("delete comment: %w", translate(err))
	}
	if n == 0 {
		return s.commentOwnerError(ctx, id, userID)
	}
	return nil
}

// commentOwnerError explains why userID's mutation of comment id matched no row:
// not_found for an unknown comment or one userID may not see, else forbidden.
func (s *Store) commentOwnerError(ctx context.Context, id, userID int64) error {
	if err := s.CheckVisible(ctx, userID, tiktok.Target{Type: tiktok.TargetComment, ID: id}); err != nil {
		return err
	}
	return tiktok.Forbidden()
}

// SetCommentLike likes or unlikes comment commentID for userID, idempotently, and returns
// its like count; not_found for an unknown comment or one userID may not see.
func (s *Store) SetCommentLike(ctx context.Context, userID, commentID int64, like bool) (int64, error) {
	arg := db.LikeCommentParams{UserID: userID, CommentID: commentID}
	target := tiktok.Target{Type: tiktok.TargetComment, ID: commentID}
	return s.setRelation(ctx, "Comment", like,
		func(q *db.Queries) (int64, error) {
			if _, err := visibleOwner(ctx, q, userID, target); err != nil {
				return 0, err
			}
			return q.LikeComment(ctx, arg)
		},
		func(q *db.Queries) (int64, error) {
			if _, err := visibleOwner(ctx, q, userID, target); err != nil {
				return 0, err
			}
			return q.UnlikeComment(ctx, db.UnlikeCommentParams(arg))
		},
		func(q *db.Queries) (int64, error) { return q.CommentLikeCount(ctx, commentID) })
}

func commentFromFeed(f db.CommentFeed, liked bool) tiktok.Comment {
	return tiktok.Comment{
		ID: f.ID, UserID: f.UserID, VideoID: f.VideoID, Content: f.Content, LikeCount: f.LikeCount,
		CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
		User:         tiktok.UserMini{ID: f.UserID, Username: f.AuthorUsername, Name: f.AuthorName, Avatar: f.AuthorAvatar},
		IsLiked:      liked,
		HiddenReason: f.HiddenReason,
	}
}
