package httpapi

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gotok/tiktok/internal/tiktok"
)

// notificationLimit is the default page size of GET /api/notifications.
const notificationLimit = 20

// notificationJSON is the Notification shape: a group of actors who did the same thing to
// the same target ("alice and 12 others liked your video").
type notificationJSON struct {
	ID         int64                    `json:"id"`
	EventID    int64                    `json:"eventId"`
	Kind       tiktok.NotificationKind  `json:"kind"`
	Actors     []userMiniJSON           `json:"actors"`
	ActorCount int64                    `json:"actorCount"`
	Video      *videoMiniJSON           `json:"video"`
	Comment    *notificationCommentJSON `json:"comment"`
	Read       bool                     `json:"read"`
	CreatedAt  string                   `json:"createdAt"`
	UpdatedAt  string                   `json:"updatedAt"`
}

type notificationCommentJSON struct {
	ID      int64  `json:"id"`
	Snippet string `json:"snippet"`
}

type notificationPageJSON struct {
	Notifications []notificationJSON `json:"notifications"`
	Pagination    pagination         `json:"pagination"`
}

type unreadJSON struct {
	UnreadCount int64 `json:"unreadCount"`
	Capped      bool  `json:"capped"`
}

type readJSON struct {
	Message     string `json:"message"`
	ReadUpTo    int64  `json:"readUpTo"`
	UnreadCount int64  `json:"unreadCount"`
	Capped      bool   `json:"capped"`
}

func (rd renderer) notification(n tiktok.Notification) notificationJSON {
	out := notificationJSON{
		ID: n.ID, EventID: n.EventID, Kind: n.Kind, Actors: make([]userMiniJSON, len(n.Actors)),
		ActorCount: n.ActorCount, Read: n.Read, CreatedAt: jsonTime(n.CreatedAt), UpdatedAt: jsonTime(n.UpdatedAt),
	}
	for i, a := range n.Actors {
		out.Actors[i] = rd.userMini(a)
	}
	if n.Video != nil {
		out.Video = &videoMiniJSON{ID: n.Video.ID, Caption: n.Video.Caption, ThumbnailURL: rd.mediaURL(n.Video.ThumbnailURL)}
	}
	if n.Comment != nil {
		out.Comment = &notificationCommentJSON{ID: n.Comment.ID, Snippet: n.Comment.Snippet}
	}
	return out
}

// Notification cursors are base64url of "e<event id>": the list is keyed on the event id
// alone (unique, and in the list's order).

func encodeEventCursor(event int64) string {
	return base64.RawURLEncoding.EncodeToString(strconv.AppendInt([]byte{'e'}, event, 10))
}

// decodeEventCursor parses a cursor made by encodeEventCursor; anything else is
// invalid_cursor. An empty cursor is the first page (0).
func decodeEventCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if len(s) > 32 {
		return 0, invalidCursor()
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < 2 || raw[0] != 'e' {
		return 0, invalidCursor()
	}
	n, err := parseID(string(raw[1:]), "cursor")
	if err != nil || encodeEventCursor(n) != s {
		return 0, invalidCursor()
	}
	return n, nil
}

func (s *Server) handleNotificationList(w http.ResponseWriter, r *http.Request) error {
	limit, err := parseLimit(r, notificationLimit)
	if err != nil {
		return err
	}
	before, err := decodeEventCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	items, err := s.store.ListNotifications(r.Context(), viewerID(r), before, limit+1)
	if err != nil {
		return err
	}
	page := notificationPageJSON{Notifications: make([]notificationJSON, 0, min(len(items), limit))}
	if len(items) > limit {
		items = items[:limit]
		c := encodeEventCursor(items[limit-1].EventID)
		page.Pagination = pagination{NextCursor: &c, HasNextPage: true}
	}
	rd := s.renderer(r)
	for _, n := range items {
		page.Notifications = append(page.Notifications, rd.notification(n))
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) handleNotificationUnread(w http.ResponseWriter, r *http.Request) error {
	n, err := s.store.UnreadNotifications(r.Context(), viewerID(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, unreadJSON{UnreadCount: n.Count, Capped: n.Capped})
	return nil
}

// handleNotificationRead marks notifications read: all of them without a body (or with
// {}), else those whose latest event is at or before {"upTo": <eventId>}.
func (s *Server) handleNotificationRead(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBytes))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return &tiktok.Error{Code: tiktok.CodeTooLarge, Message: "Request body too large", Cause: err}
		}
		return &tiktok.Error{Code: tiktok.CodeInvalidJSON, Message: "Could not read request body", Cause: err}
	}
	var req struct {
		UpTo *int64 `json:"upTo"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if !isJSON(r) {
			return &tiktok.Error{Code: tiktok.CodeUnsupportedMediaType, Message: "Content-Type must be application/json"}
		}
		if err := unmarshalStrict(body, &req); err != nil {
			return err
		}
	}
	var upTo int64 // 0: everything
	if req.UpTo != nil {
		if *req.UpTo <= 0 {
			return tiktok.Invalid(map[string]string{"upTo": "must be a positive event id"})
		}
		upTo = *req.UpTo
	}
	uid := viewerID(r)
	mark, err := s.store.MarkNotificationsRead(r.Context(), uid, upTo)
	if err != nil {
		return err
	}
	n, err := s.store.UnreadNotifications(r.Context(), uid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, readJSON{Message: "Notifications marked as read", ReadUpTo: mark, UnreadCount: n.Count, Capped: n.Capped})
	return nil
}
