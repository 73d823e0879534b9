package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// Replies (migration 00012): one visible level, as TikTok. A reply's parent_id is always a
// top-level comment; the counters (videos.comment_count and thread_count,
// comments.reply_count) and tombstones are the triggers'.
//
// Lock order, so that writers of one thread queue instead of deadlocking: a reply, then
// its top-level comment, then (the counter triggers) the video. CreateReply locks the
// comment it answers, then the top-level comment; DeleteComment the comment, then its
// parent.

// startOfTime sorts before every stored timestamp: the "after" bound of a first page of a
// list in ascending order.
var startOfTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)

// CreateReply adds userID's reply to comment parentID on videoID, with its mentions, and
// returns it as userID sees it. A reply to a reply joins the same top-level comment, and
// its content starts with a mention of the author of the reply it answers ("@bob …")
// unless it already mentions them or they are userID.
//
// Errors: not_found for an unknown parent, a deleted one (a tombstone), one userID may not
// see (hidden, or a block between userID and its author) or a video deleted meanwhile; validation_failed when the parent is on another video or the added mention
// makes the content longer than tiktok.MaxCommentRunes.
func (s *Store) CreateReply(ctx context.Context, userID, videoID, parentID int64, content string) (tiktok.Comment, error) {
	var id int64
	err := s.inTx(ctx, func(q *db.Queries) error {
		p, err := q.LockReplyTarget(ctx, parentID)
		if err != nil {
			return notFound(err, "Parent comment")
		}
		switch {
		case p.Deleted:
			return &tiktok.Error{Code: tiktok.CodeNotFound, Message: "Parent comment was deleted"}
		case p.VideoID != videoID:
			return &tiktok.Error{Code: tiktok.CodeValidation, Message: "The parent comment is on another video",
				Fields: map[string]string{"parentId": "belongs to video " + strconv.FormatInt(p.VideoID, 10) + ", not to videoId"}}
		}
		// The comment answered, its author and its video must be visible to userID (no
		// block either way, nothing hidden): else 404, as for a comment on a hidden video.
		if _, err := visibleOwner(ctx, q, userID, tiktok.Target{Type: tiktok.TargetComment, ID: p.ID}); err != nil {
			return err
		}
		top := p.ID
		if p.ParentID != nil { // a reply to a reply
			top = *p.ParentID
			if err := q.LockComment(ctx, top); err != nil {
				return fmt.Errorf("lock top-level comment: %w", err)
			}
			if p.UserID != nil && *p.UserID != userID && p.Username != nil {
				content = tiktok.WithMention(content, *p.Username)
				if utf8.RuneCountInString(content) > tiktok.MaxCommentRunes {
					return &tiktok.Error{Code: tiktok.CodeValidation, Message: "Comment too long",
						Fields: map[string]string{"content": "must be at most " + strconv.Itoa(tiktok.MaxCommentRunes) +
							" characters with the mention of @" + *p.Username + " a reply to a reply starts with"}}
				}
			}
		}
		id, err = q.CreateComment(ctx, db.CreateCommentParams{UserID: userID, VideoID: videoID, ParentID: &top, Content: content})
		if isForeignKeyViolation(err) {
			return tiktok.NotFound("Video")
		}
		if err != nil {
			return err
		}
		_, err = syncCommentMentions(ctx, q, id, videoID, userID, content, true)
		return err
	})
	if err != nil {
		return tiktok.Comment{}, fmt.Errorf("create reply: %w", translate(err))
	}
	return s.Comment(ctx, id, userID)
}

// ListReplies returns a page of the replies of comment id, oldest first, after p.After, or
// not_found for an unknown comment. A tombstone's replies are listed; a reply has none.
func (s *Store) ListReplies(ctx context.Context, id int64, p tiktok.Page) ([]tiktok.Comment, error) {
	t, after := startOfTime, int64(0)
	if p.After != (tiktok.PageKey{}) {
		t, after = p.After.Time, p.After.ID
	}
	rows, err := s.q.ListCommentReplies(ctx, db.ListCommentRepliesParams{ViewerID: p.Viewer, ParentID: id, AfterTime: t, AfterID: after, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list replies: %w", translate(err))
	}
	if len(rows) == 0 {
		if err := s.CheckVisible(ctx, p.Viewer, tiktok.Target{Type: tiktok.TargetComment, ID: id}); err != nil {
			return nil, err
		}
	}
	out := make([]tiktok.Comment, len(rows))
	for i, r := range rows {
		out[i] = commentFromFeed(r.CommentFeed, r.IsLiked)
	}
	return out, s.withCommentMentions(ctx, ptrs(out)...)
}
