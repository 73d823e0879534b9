package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// ListComments returns a page of videoID's top-level comments (tombstones included, replies
// not), newest first, or not_found for an unknown video.
func (s *Store) ListComments(ctx context.Context, videoID int64, p tiktok.Page) ([]tiktok.Comment, error) {
	t, id := keyset(p)
	rows, err := s.q.ListVideoComments(ctx, db.ListVideoCommentsParams{ViewerID: p.Viewer, VideoID: videoID, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list comments: %w", translate(err))
	}
	if len(rows) == 0 {
		if err := s.VideoExists(ctx, videoID); err != nil {
			return nil, err
		}
	}
	out := make([]tiktok.Comment, len(rows))
	for i, r := range rows {
		out[i] = commentFromFeed(r.CommentFeed, r.IsLiked)
	}
	return out, s.withCommentMentions(ctx, ptrs(out)...)
}

// ListCommentsPage returns the top-level comments of videoID on a numbered page (newest
// first) and the video's counts, or not_found for an unknown video.
func (s *Store) ListCommentsPage(ctx context.Context, videoID, viewer int64, limit, offset int) ([]tiktok.Comment, tiktok.CommentCounts, error) {
	n, err := s.CommentCount(ctx, videoID)
	if err != nil {
		return nil, n, err
	}
	rows, err := s.q.ListVideoCommentsPage(ctx, db.ListVideoCommentsPageParams{ViewerID: viewer, VideoID: videoID, Lim: int32(limit), Off: int32(offset)})
	if err != nil {
		return nil, n, fmt.Errorf("list comments page: %w", translate(err))
	}
	out := make([]tiktok.Comment, len(rows))
	for i, r := range rows {
		out[i] = commentFromFeed(r.CommentFeed, r.IsLiked)
	}
	return out, n, s.withCommentMentions(ctx, ptrs(out)...)
}

// CommentCount returns videoID's comment counts, or not_found for an unknown video.
func (s *Store) CommentCount(ctx context.Context, videoID int64) (tiktok.CommentCounts, error) {
	r, err := s.q.VideoCommentCount(ctx, videoID)
	if err != nil {
		return tiktok.CommentCounts{}, notFound(err, "Video")
	}
	return tiktok.CommentCounts{Comments: r.CommentCount, Threads: r.ThreadCount}, nil
}

// Comment returns comment id with a summary of its video, or not_found.
func (s *Store) Comment(ctx context.Context, id, viewer int64) (tiktok.Comment, error) {
	r, err := s.q.GetComment(ctx, db.GetCommentParams{ID: id, ViewerID: viewer})
	if err != nil {
		return tiktok.Comment{}, notFound(err, "Comment")
	}
	c := commentFromFeed(r.CommentFeed, r.IsLiked)
	c.Video = &tiktok.VideoMini{ID: c.VideoID, Caption: r.VideoCaption, ThumbnailURL: r.VideoThumbnailUrl}
	return c, s.withCommentMentions(ctx, &c)
}

// CreateComment adds userID's top-level comment to videoID, with its mentions, or returns
// not_found for an unknown video. The mentions are resolved first (no query for a text
// without @names); only a comment with mentions needs a transaction.
func (s *Store) CreateComment(ctx context.Context, userID, videoID int64, content string) (tiktok.Comment, error) {
	ms, err := resolveMentions(ctx, s.q, userID, content)
	if err != nil {
		return tiktok.Comment{}, fmt.Errorf("create comment: %w", translate(err))
	}
	var id int64
	insert := func(q *db.Queries) error {
		var err error
		id, err = q.CreateComment(ctx, db.CreateCommentParams{UserID: userID, VideoID: videoID, Content: content})
		if isForeignKeyViolation(err) {
			return tiktok.NotFound("Video")
		}
		if err != nil || len(ms) == 0 {
			return err
		}
		// A user deleted since the resolution is skipped (SyncCommentMentions).
		return writeCommentMentions(ctx, q, id, videoID, userID, ms)
	}
	if len(ms) == 0 {
		err = insert(s.q)
	} else {
		err = s.inTx(ctx, insert)
	}
	if err != nil {
		return tiktok.Comment{}, fmt.Errorf("create comment: %w", translate(err))
	}
	return s.Comment(ctx, id, userID)
}

// UpdateComment changes the content of userID's comment id and resolves its mentions
// again; not_found for an unknown comment or a tombstone, forbidden for someone else's.
func (s *Store) UpdateComment(ctx context.Context, id, userID int64, content string) (tiktok.Comment, error) {
	err := s.inTx(ctx, func(q *db.Queries) error {
		videoID, err := q.UpdateComment(ctx, db.UpdateCommentParams{ID: id, UserID: userID, Content: content})
		if errors.Is(err, pgx.ErrNoRows) {
			return s.commentOwnerError(ctx, id)
		}
		if err != nil {
			return err
		}
		_, err = syncCommentMentions(ctx, q, id, videoID, userID, content, false)
		return err
	})
	if err != nil {
		return tiktok.Comment{}, fmt.Errorf("update comment: %w", translate(err))
	}
	return s.Comment(ctx, id, userID)
}

// DeleteComment deletes comment id if userID wrote it or owns the commented video;
// not_found for an unknown comment or a tombstone, forbidden otherwise. A top-level
// comment with replies becomes a tombstone (migration 00012) so that its thread stays; the
// last reply of a tombstone takes the tombstone with it.
func (s *Store) DeleteComment(ctx context.Context, id, userID int64) error {
	err := s.inTx(ctx, func(q *db.Queries) error {
		c, err := q.LockCommentForDelete(ctx, id)
		if err != nil {
			return notFound(err, "Comment")
		}
		if (c.UserID == nil || *c.UserID != userID) && c.VideoOwnerID != userID {
			return tiktok.Forbidden()
		}
		if c.ParentID != nil {
			// The reply, then its top-level comment, then (the triggers) the video: the
			// order in which a new reply takes them.
			if err := q.LockComment(ctx, *c.ParentID); err != nil {
				return fmt.Errorf("lock parent: %w", err)
			}
		}
		if c.ReplyCount > 0 {
			return q.TombstoneComment(ctx, id)
		}
		return q.DeleteCommentRow(ctx, id)
	})
	if err != nil {
		return fmt.Errorf("delete comment: %w", translate(err))
	}
	return nil
}

// commentOwnerError explains why a change of comment id by its author matched no row:
// not_found for an unknown comment or a tombstone, else forbidden.
func (s *Store) commentOwnerError(ctx context.Context, id int64) error {
	ok, err := s.q.CommentLive(ctx, id)
	switch {
	case err != nil:
		return fmt.Errorf("comment exists: %w", translate(err))
	case !ok:
		return tiktok.NotFound("Comment")
	}
	return tiktok.Forbidden()
}

// SetCommentLike likes or unlikes comment commentID for userID, idempotently, and returns
// its like count; not_found for an unknown comment.
func (s *Store) SetCommentLike(ctx context.Context, userID, commentID int64, like bool) (int64, error) {
	arg := db.LikeCommentParams{UserID: userID, CommentID: commentID}
	return s.setRelation(ctx, "Comment", like,
		func(q *db.Queries) (int64, error) { return q.LikeComment(ctx, arg) },
		func(q *db.Queries) (int64, error) { return q.UnlikeComment(ctx, db.UnlikeCommentParams(arg)) },
		func(q *db.Queries) (int64, error) { return q.CommentLikeCount(ctx, commentID) })
}

func commentFromFeed(f db.CommentFeed, liked bool) tiktok.Comment {
	c := tiktok.Comment{
		ID: f.ID, VideoID: f.VideoID, Content: f.Content, LikeCount: f.LikeCount,
		CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
		IsLiked:  liked,
		ParentID: f.ParentID, ReplyCount: f.ReplyCount, Deleted: f.Deleted,
	}
	if f.UserID != nil && f.AuthorUsername != nil { // nil: a tombstone
		c.UserID = *f.UserID
		c.User = tiktok.UserMini{ID: *f.UserID, Username: *f.AuthorUsername, Name: f.AuthorName, Avatar: f.AuthorAvatar}
	}
	return c
}
