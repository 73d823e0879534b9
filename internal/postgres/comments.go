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
// not), newest first, or not_found for an unknown video or one p.Viewer may not see;
// comments p.Viewer may not see are left out.
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
	return out, s.withCommentMentions(ctx, ptrs(out)...)
}

// ListCommentsPage returns the top-level comments of videoID on a numbered page (newest
// first) and the video's counts, or not_found for an unknown video or one viewer may not see.
func (s *Store) ListCommentsPage(ctx context.Context, videoID, viewer int64, limit, offset int) ([]tiktok.Comment, tiktok.CommentCounts, error) {
	c, err := s.q.VisibleVideoCommentCount(ctx, db.VisibleVideoCommentCountParams{ID: videoID, ViewerID: viewer})
	if err != nil {
		return nil, tiktok.CommentCounts{}, notFound(err, "Video")
	}
	n := tiktok.CommentCounts{Comments: c.CommentCount, Threads: c.ThreadCount}
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

// Comment returns comment id with a summary of its video, or not_found (also when viewer
// may not see the comment or its video).
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
// not_found for an unknown video or one userID may not see (hidden, or a block between
// userID and its owner). The mentions are resolved first (no query for a text without
// @names); the visibility check and the insert share a transaction.
func (s *Store) CreateComment(ctx context.Context, userID, videoID int64, content string) (tiktok.Comment, error) {
	ms, err := resolveMentions(ctx, s.q, userID, content)
	if err != nil {
		return tiktok.Comment{}, fmt.Errorf("create comment: %w", translate(err))
	}
	var id int64
	err = s.inTx(ctx, func(q *db.Queries) error {
		if _, err := visibleOwner(ctx, q, userID, tiktok.Target{Type: tiktok.TargetVideo, ID: videoID}); err != nil {
			return err
		}
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
	})
	if err != nil {
		return tiktok.Comment{}, fmt.Errorf("create comment: %w", translate(err))
	}
	return s.Comment(ctx, id, userID)
}

// UpdateComment changes the content of userID's comment id and resolves its mentions
// again; not_found for an unknown comment, a tombstone or one userID may not see, forbidden
// for someone else's.
func (s *Store) UpdateComment(ctx context.Context, id, userID int64, content string) (tiktok.Comment, error) {
	if err := s.CheckVisible(ctx, userID, tiktok.Target{Type: tiktok.TargetComment, ID: id}); err != nil {
		return tiktok.Comment{}, err // e.g. on a video hidden since
	}
	err := s.inTx(ctx, func(q *db.Queries) error {
		videoID, err := q.UpdateComment(ctx, db.UpdateCommentParams{ID: id, UserID: userID, Content: content})
		if errors.Is(err, pgx.ErrNoRows) {
			return commentOwnerError(ctx, q, id, userID)
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
			return commentOwnerError(ctx, q, id, userID)
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

// commentOwnerError explains why userID's change of comment id matched no row: not_found
// for an unknown comment, a tombstone or one userID may not see, else forbidden. It reads
// through q, the caller's transaction: a second connection taken while the transaction
// holds one could wait forever once every connection of the pool is held that way.
func commentOwnerError(ctx context.Context, q *db.Queries, id, userID int64) error {
	ok, err := q.CommentLive(ctx, id)
	switch {
	case err != nil:
		return fmt.Errorf("comment exists: %w", err)
	case !ok:
		return tiktok.NotFound("Comment")
	}
	if _, err := visibleOwner(ctx, q, userID, tiktok.Target{Type: tiktok.TargetComment, ID: id}); err != nil {
		return fmt.Errorf("check visible: %w", err)
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
	c := tiktok.Comment{
		ID: f.ID, VideoID: f.VideoID, Content: f.Content, LikeCount: f.LikeCount,
		CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
		IsLiked:  liked,
		ParentID: f.ParentID, ReplyCount: f.ReplyCount, Deleted: f.Deleted,
		HiddenReason: f.HiddenReason,
	}
	if f.UserID != nil && f.AuthorUsername != nil { // nil: a tombstone
		c.UserID = *f.UserID
		c.User = tiktok.UserMini{ID: *f.UserID, Username: *f.AuthorUsername, Name: f.AuthorName, Avatar: f.AuthorAvatar}
	}
	return c
}
