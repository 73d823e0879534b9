package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gotok/tiktok/internal/tiktok"
)

// GET /api/users/me/export: the caller's own data as one JSON document (GDPR-style), one
// member per table, streamed. Every section reads the caller's rows in keyset batches of
// exportBatch along an index that starts with the user's id, and writes each batch before
// reading the next, so memory stays O(batch) and no query grows with the user's data.
//
// The document is not one snapshot: a row written while the export runs may be in it or
// not. (A REPEATABLE READ transaction would make it one, but would hold a connection and
// an old snapshot — which stops vacuum — for as long as the slowest client takes to
// download.)
//
// Adding a table is one entry in exportSections: a
// store method that returns the caller's rows after a tiktok.PageKey, the key of a row, and
// its JSON shape; and its schema in openapi.json (ExportDocument).

// exportBatch is how many rows one query of an export section reads.
const exportBatch = 500

// exportSection is one member of the export document: a JSON array of one table's rows.
type exportSection struct {
	name string
	// batch writes (with emit) up to limit rows of user after key (the zero key: from the
	// first) and returns how many it wrote and the key of the last one.
	batch func(ctx context.Context, user int64, after tiktok.PageKey, limit int, emit func(any) error) (int, tiktok.PageKey, error)
}

// section makes an exportSection of a store method list, the key of an item and its shape.
func section[T any](name string, list func(ctx context.Context, user int64, after tiktok.PageKey, limit int) ([]T, error),
	key func(T) tiktok.PageKey, shape func(T) any) exportSection {
	return exportSection{name: name, batch: func(ctx context.Context, user int64, after tiktok.PageKey, limit int, emit func(any) error) (int, tiktok.PageKey, error) {
		items, err := list(ctx, user, after, limit)
		if err != nil {
			return 0, after, err
		}
		for _, it := range items {
			if err := emit(shape(it)); err != nil {
				return 0, after, err
			}
		}
		if len(items) == 0 {
			return 0, after, nil
		}
		return len(items), key(items[len(items)-1]), nil
	}}
}

// paged adapts a list the API pages newest first (tiktok.Page) to a section's list; the
// caller is the viewer.
func paged[T any](list func(ctx context.Context, userID int64, p tiktok.Page) ([]T, error)) func(context.Context, int64, tiktok.PageKey, int) ([]T, error) {
	return func(ctx context.Context, user int64, after tiktok.PageKey, limit int) ([]T, error) {
		return list(ctx, user, tiktok.Page{Viewer: user, After: after, Limit: limit})
	}
}

// markSection is a section of a join table of marks, each rendered by shape.
func (s *Server) markSection(name string, kind tiktok.MarkKind, shape func(tiktok.Mark) any) exportSection {
	return section(name, func(ctx context.Context, user int64, after tiktok.PageKey, limit int) ([]tiktok.Mark, error) {
		return s.store.ExportMarks(ctx, kind, user, after, limit)
	}, func(m tiktok.Mark) tiktok.PageKey { return tiktok.PageKey{ID: m.ID} }, shape)
}

// interestSection is a section of a table of interests.
func (s *Server) interestSection(name string, kind tiktok.InterestKind, shape func(tiktok.Interest) any) exportSection {
	return section(name, func(ctx context.Context, user int64, after tiktok.PageKey, limit int) ([]tiktok.Interest, error) {
		return s.store.ExportInterests(ctx, kind, user, after, limit)
	}, func(i tiktok.Interest) tiktok.PageKey { return tiktok.PageKey{ID: i.ID} }, shape)
}

// The JSON shapes of the export's rows.
type (
	exportVideoRefJSON struct {
		VideoID   int64  `json:"videoId"`
		CreatedAt string `json:"createdAt"`
	}
	exportCommentRefJSON struct {
		CommentID int64  `json:"commentId"`
		CreatedAt string `json:"createdAt"`
	}
	exportUserRefJSON struct {
		UserID    int64  `json:"userId"`
		CreatedAt string `json:"createdAt"`
	}
	exportFollowJSON struct {
		UserID    int64  `json:"userId"`
		Username  string `json:"username"`
		CreatedAt string `json:"createdAt"`
	}
	exportImpressionJSON struct {
		VideoID int64  `json:"videoId"`
		SeenAt  string `json:"seenAt"`
	}
	exportShareJSON struct {
		VideoID   int64  `json:"videoId"`
		Channel   string `json:"channel"`
		Day       string `json:"day"`
		CreatedAt string `json:"createdAt"`
	}
	exportCreatorInterestJSON struct {
		UserID    int64   `json:"userId"`
		Weight    float64 `json:"weight"`
		UpdatedAt string  `json:"updatedAt"`
	}
	exportNotificationJSON struct {
		ID         int64   `json:"id"`
		EventID    int64   `json:"eventId"`
		Kind       string  `json:"kind"`
		VideoID    *int64  `json:"videoId"`
		CommentID  *int64  `json:"commentId"`
		ActorIDs   []int64 `json:"actorIds"`
		ActorCount int64   `json:"actorCount"`
		Read       bool    `json:"read"`
		CreatedAt  string  `json:"createdAt"`
		UpdatedAt  string  `json:"updatedAt"`
	}
	exportReportJSON struct {
		reportJSON
		Resolution *exportResolutionJSON `json:"resolution"` // null while open
	}
	exportResolutionJSON struct {
		Outcome    string `json:"outcome"`
		ResolvedAt string `json:"resolvedAt"`
	}
	exportMentionJSON struct {
		ID        int64  `json:"id"`
		AuthorID  int64  `json:"authorId"`
		VideoID   int64  `json:"videoId"`
		CommentID *int64 `json:"commentId"`
		CreatedAt string `json:"createdAt"`
	}
	exportHashtagInterestJSON struct {
		HashtagID int64   `json:"hashtagId"`
		Hashtag   string  `json:"hashtag"`
		Weight    float64 `json:"weight"`
		UpdatedAt string  `json:"updatedAt"`
	}
)

// exportSections lists the sections of the export document in order.
func (s *Server) exportSections(rd renderer) []exportSection {
	follow := func(f tiktok.Follow) any {
		return exportFollowJSON{UserID: f.User.ID, Username: f.User.Username, CreatedAt: jsonTime(f.FollowedAt)}
	}
	videoRef := func(m tiktok.Mark) any { return exportVideoRefJSON{VideoID: m.ID, CreatedAt: jsonTime(m.At)} }
	return []exportSection{
		section("videos", paged(s.store.ListUserVideos), videoKey, func(v tiktok.Video) any { return rd.video(v) }),
		section("comments", paged(s.store.ListUserComments), commentKey, func(c tiktok.Comment) any { return rd.comment(c) }),
		s.markSection("videoLikes", tiktok.MarkVideoLikes, videoRef),
		s.markSection("commentLikes", tiktok.MarkCommentLikes, func(m tiktok.Mark) any {
			return exportCommentRefJSON{CommentID: m.ID, CreatedAt: jsonTime(m.At)}
		}),
		section("following", paged(s.store.ListFollowing), followKey, follow),
		section("followers", paged(s.store.ListFollowers), followKey, follow),
		s.markSection("bookmarks", tiktok.MarkBookmarks, videoRef),
		section("shares", s.store.ExportShares,
			func(r tiktok.ShareRecord) tiktok.PageKey { return tiktok.PageKey{ID: r.VideoID, Time: r.Day} },
			func(r tiktok.ShareRecord) any {
				return exportShareJSON{VideoID: r.VideoID, Channel: r.Channel, Day: r.Day.UTC().Format("2006-01-02"), CreatedAt: jsonTime(r.CreatedAt)}
			}),
		s.markSection("impressions", tiktok.MarkImpressions, func(m tiktok.Mark) any {
			return exportImpressionJSON{VideoID: m.ID, SeenAt: jsonTime(m.At)}
		}),
		s.markSection("notInterested", tiktok.MarkNotInterested, videoRef),
		s.markSection("hiddenCreators", tiktok.MarkHiddenCreators, func(m tiktok.Mark) any {
			return exportUserRefJSON{UserID: m.ID, CreatedAt: jsonTime(m.At)}
		}),
		s.markSection("blocks", tiktok.MarkBlocks, func(m tiktok.Mark) any {
			return exportUserRefJSON{UserID: m.ID, CreatedAt: jsonTime(m.At)}
		}),
		section("notifications", s.store.ExportNotifications,
			func(n tiktok.NotificationRecord) tiktok.PageKey { return tiktok.PageKey{ID: n.EventID} },
			func(n tiktok.NotificationRecord) any {
				return exportNotificationJSON{ID: n.ID, EventID: n.EventID, Kind: string(n.Kind), VideoID: n.VideoID, CommentID: n.CommentID,
					ActorIDs: n.ActorIDs, ActorCount: n.ActorCount, Read: n.Read, CreatedAt: jsonTime(n.CreatedAt), UpdatedAt: jsonTime(n.UpdatedAt)}
			}),
		section("mentions", s.store.ExportMentions,
			func(m tiktok.MentionRecord) tiktok.PageKey { return tiktok.PageKey{ID: m.ID, Time: m.CreatedAt} },
			func(m tiktok.MentionRecord) any {
				return exportMentionJSON{ID: m.ID, AuthorID: m.AuthorID, VideoID: m.VideoID, CommentID: m.CommentID, CreatedAt: jsonTime(m.CreatedAt)}
			}),
		section("reports", s.store.ExportReports,
			func(r tiktok.Report) tiktok.PageKey { return tiktok.PageKey{ID: r.ID} },
			func(r tiktok.Report) any {
				out := exportReportJSON{reportJSON: rd.report(r)}
				if r.Resolution != nil && r.ResolvedAt != nil {
					out.Resolution = &exportResolutionJSON{Outcome: *r.Resolution, ResolvedAt: jsonTime(*r.ResolvedAt)}
				}
				return out
			}),
		s.interestSection("creatorInterests", tiktok.CreatorInterests, func(i tiktok.Interest) any {
			return exportCreatorInterestJSON{UserID: i.ID, Weight: i.Weight, UpdatedAt: jsonTime(i.UpdatedAt)}
		}),
		s.interestSection("hashtagInterests", tiktok.HashtagInterests, func(i tiktok.Interest) any {
			return exportHashtagInterestJSON{HashtagID: i.ID, Hashtag: i.Name, Weight: i.Weight, UpdatedAt: jsonTime(i.UpdatedAt)}
		}),
	}
}

// exportHeadJSON is the start of the export document; the sections follow it.
type exportHeadJSON struct {
	ExportedAt string   `json:"exportedAt"`
	Profile    userJSON `json:"profile"`
}

func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	user := viewerID(r)
	if err := s.limit(ctx, s.rules.exportUser, strconv.FormatInt(user, 10)); err != nil {
		return err
	}
	// What fails before the first byte leaves (the profile, or any section while the
	// document still fits the buffer) is answered as an error.
	me, err := s.store.UserByID(ctx, user)
	if err != nil {
		return err
	}
	rd := s.renderer(r)
	now := s.now()
	head, err := json.Marshal(exportHeadJSON{ExportedAt: jsonTime(now), Profile: rd.user(me)})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}

	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="tiktok-export-%d-%s.json"`, user, now.UTC().Format("20060102")))
	h.Set("Cache-Control", "no-store")
	out := &sentWriter{w: w}
	bw := bufio.NewWriterSize(out, 64<<10)
	if err := s.writeExport(ctx, bw, user, head, s.exportSections(rd)); err != nil {
		if !out.sent {
			// Nothing has left the buffer: the answer can still be an error.
			h.Del("Content-Disposition")
			return err
		}
		// The status is sent: cut the connection, so that the client sees a failed
		// download rather than a document that looks complete.
		level := slog.LevelError
		if ctx.Err() != nil {
			level = slog.LevelDebug // the client went away
		}
		s.log.Log(ctx, level, "export failed", "user", user, "request_id", requestID(ctx), "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// sentWriter reports whether anything was written through it (and so the status sent).
type sentWriter struct {
	w    http.ResponseWriter
	sent bool
}

func (s *sentWriter) Write(p []byte) (int, error) {
	s.sent = true
	return s.w.Write(p)
}

// writeExport writes the document: head (a JSON object) with each section added as a
// member, then flushes w.
func (s *Server) writeExport(ctx context.Context, w *bufio.Writer, user int64, head []byte, sections []exportSection) error {
	w.Write(head[:len(head)-1]) // without its closing brace; errors surface at Flush
	for _, sec := range sections {
		fmt.Fprintf(w, ",%q:[", sec.name)
		first := true
		emit := func(v any) error {
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			if !first {
				w.WriteByte(',')
			}
			first = false
			_, err = w.Write(b)
			return err
		}
		var after tiktok.PageKey
		for {
			n, last, err := sec.batch(ctx, user, after, exportBatch, emit)
			if err != nil {
				return fmt.Errorf("export %s: %w", sec.name, err)
			}
			if n < exportBatch {
				break
			}
			after = last
		}
		w.WriteByte(']')
	}
	w.WriteString("}\n")
	return w.Flush()
}
