package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// The batches of the data export (GET /api/users/me/export): each reads one user's rows of
// one table after a key, along an index that starts with the user's id (queries/export.sql).

// ListUserComments returns a page of userID's comments, newest first, as p.Viewer sees them.
func (s *Store) ListUserComments(ctx context.Context, userID int64, p tiktok.Page) ([]tiktok.Comment, error) {
	t, id := keyset(p)
	rows, err := s.q.ListUserComments(ctx, db.ListUserCommentsParams{ViewerID: p.Viewer, UserID: userID, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list user comments: %w", translate(err))
	}
	out := make([]tiktok.Comment, len(rows))
	for i, r := range rows {
		out[i] = commentFromFeed(r.CommentFeed, r.IsLiked)
	}
	return out, nil
}

// ExportMarks returns up to limit of userID's rows of the table kind, by the id they point
// at, after after.ID (0: from the first).
func (s *Store) ExportMarks(ctx context.Context, kind tiktok.MarkKind, userID int64, after tiktok.PageKey, limit int) ([]tiktok.Mark, error) {
	var (
		out []tiktok.Mark
		err error
	)
	lim := int32(limit)
	switch kind {
	case tiktok.MarkVideoLikes:
		out, err = marks(s.q.ExportVideoLikes(ctx, db.ExportVideoLikesParams{UserID: userID, AfterID: after.ID, Lim: lim}))
	case tiktok.MarkCommentLikes:
		out, err = marks(s.q.ExportCommentLikes(ctx, db.ExportCommentLikesParams{UserID: userID, AfterID: after.ID, Lim: lim}))
	case tiktok.MarkBookmarks:
		out, err = marks(s.q.ExportBookmarks(ctx, db.ExportBookmarksParams{UserID: userID, AfterID: after.ID, Lim: lim}))
	case tiktok.MarkImpressions:
		out, err = marks(s.q.ExportImpressions(ctx, db.ExportImpressionsParams{UserID: userID, AfterID: after.ID, Lim: lim}))
	case tiktok.MarkNotInterested:
		out, err = marks(s.q.ExportNotInterested(ctx, db.ExportNotInterestedParams{UserID: userID, AfterID: after.ID, Lim: lim}))
	case tiktok.MarkBlocks:
		out, err = marks(s.q.ExportBlocks(ctx, db.ExportBlocksParams{UserID: userID, AfterID: after.ID, Lim: lim}))
	case tiktok.MarkHiddenCreators:
		out, err = marks(s.q.ExportHiddenCreators(ctx, db.ExportHiddenCreatorsParams{UserID: userID, AfterID: after.ID, Lim: lim}))
	default:
		return nil, fmt.Errorf("export marks: unknown table %q", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", kind, translate(err))
	}
	return out, nil
}

// marks converts rows of (id, at) into Marks; every export query of a join table returns
// such rows, as a type of its own.
func marks[R ~struct {
	ID int64
	At time.Time
}](rows []R, err error) ([]tiktok.Mark, error) {
	if err != nil {
		return nil, err
	}
	out := make([]tiktok.Mark, len(rows))
	for i, r := range rows {
		out[i] = tiktok.Mark(r)
	}
	return out, nil
}

// ExportShares returns up to limit of userID's shares by (video, day), after (after.ID,
// the UTC day of after.Time); the zero key starts at the first.
func (s *Store) ExportShares(ctx context.Context, userID int64, after tiktok.PageKey, limit int) ([]tiktok.ShareRecord, error) {
	rows, err := s.q.ExportShares(ctx, db.ExportSharesParams{UserID: userID, AfterID: after.ID, AfterDay: after.Time, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("export shares: %w", translate(err))
	}
	out := make([]tiktok.ShareRecord, len(rows))
	for i, r := range rows {
		out[i] = tiktok.ShareRecord{VideoID: r.VideoID, Day: r.Day.UTC(), Channel: r.Channel, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// ExportInterests returns up to limit of userID's interests of the table kind, by the
// creator's or hashtag's id, after after.ID (0: from the first).
func (s *Store) ExportInterests(ctx context.Context, kind tiktok.InterestKind, userID int64, after tiktok.PageKey, limit int) ([]tiktok.Interest, error) {
	var out []tiktok.Interest
	switch kind {
	case tiktok.CreatorInterests:
		rows, err := s.q.ExportCreatorInterests(ctx, db.ExportCreatorInterestsParams{UserID: userID, AfterID: after.ID, Lim: int32(limit)})
		if err != nil {
			return nil, fmt.Errorf("export creator interests: %w", translate(err))
		}
		for _, r := range rows {
			out = append(out, tiktok.Interest{ID: r.ID, Weight: r.Weight, UpdatedAt: r.UpdatedAt})
		}
	case tiktok.HashtagInterests:
		rows, err := s.q.ExportHashtagInterests(ctx, db.ExportHashtagInterestsParams{UserID: userID, AfterID: after.ID, Lim: int32(limit)})
		if err != nil {
			return nil, fmt.Errorf("export hashtag interests: %w", translate(err))
		}
		for _, r := range rows {
			out = append(out, tiktok.Interest{ID: r.ID, Name: r.Name, Weight: r.Weight, UpdatedAt: r.UpdatedAt})
		}
	default:
		return nil, fmt.Errorf("export interests: unknown table %q", kind)
	}
	return out, nil
}

// ExportNotifications returns up to limit of the notifications userID received, by event id
// upwards from after.ID (0: from the first).
func (s *Store) ExportNotifications(ctx context.Context, userID int64, after tiktok.PageKey, limit int) ([]tiktok.NotificationRecord, error) {
	rows, err := s.q.ExportNotifications(ctx, db.ExportNotificationsParams{RecipientID: userID, AfterSeq: after.ID, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("export notifications: %w", translate(err))
	}
	out := make([]tiktok.NotificationRecord, len(rows))
	for i, r := range rows {
		out[i] = tiktok.NotificationRecord{ID: r.ID, EventID: r.Seq, Kind: tiktok.NotificationKind(r.Kind), VideoID: r.VideoID,
			CommentID: r.CommentID, ActorIDs: r.ActorIds, ActorCount: r.ActorCount, Read: r.Read, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// ExportReports returns up to limit of the reports userID filed, open or resolved, by id
// after after.ID (0: from the first).
func (s *Store) ExportReports(ctx context.Context, userID int64, after tiktok.PageKey, limit int) ([]tiktok.Report, error) {
	rows, err := s.q.ExportReports(ctx, db.ExportReportsParams{UserID: userID, AfterID: after.ID, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("export reports: %w", translate(err))
	}
	out := make([]tiktok.Report, len(rows))
	for i, r := range rows {
		out[i] = tiktok.Report{ID: r.ID, ReporterID: userID, Target: tiktok.Target{Type: tiktok.TargetType(r.TargetType), ID: r.TargetID},
			Reason: r.Reason, Details: r.Details, Status: r.Status, Resolution: r.Resolution, CreatedAt: r.CreatedAt, ResolvedAt: r.ResolvedAt}
	}
	return out, nil
}

// ExportMentions returns up to limit of the mentions of userID (by anyone), newest first
// from the key after (the zero key: from the newest).
func (s *Store) ExportMentions(ctx context.Context, userID int64, after tiktok.PageKey, limit int) ([]tiktok.MentionRecord, error) {
	t, id := keyset(tiktok.Page{After: after})
	rows, err := s.q.ExportMentions(ctx, db.ExportMentionsParams{UserID: userID, BeforeTime: t, BeforeID: id, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("export mentions: %w", translate(err))
	}
	out := make([]tiktok.MentionRecord, len(rows))
	for i, r := range rows {
		out[i] = tiktok.MentionRecord(r)
	}
	return out, nil
}
