package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gotok/tiktok/internal/tiktok"
)

const (
	commentLimit       = 20
	replyLimit         = 10
	maxCommentRunes    = tiktok.MaxCommentRunes
	maxCommentPage     = 500 // page-numbered comment lists stop here (OFFSET stays bounded)
	commentDeletedText = "Comment deleted successfully"
)

type commentPageJSON struct {
	Comments   []commentJSON `json:"comments"`
	Pagination pagination    `json:"pagination"`
}

type videoCommentsJSON struct {
	Comments      []commentJSON `json:"comments"`
	TotalComments int64         `json:"totalComments"`
	TotalPages    int64         `json:"totalPages"`
	CurrentPage   int64         `json:"currentPage"`
	Pagination    pagination    `json:"pagination"`
}

// handleVideoComments serves GET /api/videos/{id}/comments, page-numbered (?page=N, as the
// original frontend asks) or with a cursor.
func (s *Server) handleVideoComments(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if q.Get("cursor") != "" || q.Get("page") == "" {
		p, err := parsePage(r, commentLimit)
		if err != nil {
			return err
		}
		comments, err := s.store.ListComments(r.Context(), id, p)
		if err != nil {
			return err
		}
		n, err := s.store.CommentCount(r.Context(), id)
		if err != nil {
			return err
		}
		comments, pg := trimPage(comments, p, commentKey)
		limit := int64(p.Limit - 1)
		writeJSON(w, http.StatusOK, videoCommentsJSON{
			Comments: s.renderer(r).comments(comments), TotalComments: n.Comments,
			TotalPages: (n.Threads + limit - 1) / limit, CurrentPage: 1, Pagination: pg,
		})
		return nil
	}
	limit, err := parseLimit(r, commentLimit)
	if err != nil {
		return err
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 || page > maxCommentPage {
		return &tiktok.Error{Code: tiktok.CodeValidation, Message: "Invalid page",
			Fields: map[string]string{"page": "must be an integer from 1 to " + strconv.Itoa(maxCommentPage)}}
	}
	comments, n, err := s.store.ListCommentsPage(r.Context(), id, viewerID(r), limit, (page-1)*limit)
	if err != nil {
		return err
	}
	totalPages := (n.Threads + int64(limit) - 1) / int64(limit)
	var pg pagination
	if int64(page) < totalPages && len(comments) > 0 {
		c := encodeCursor(commentKey(comments[len(comments)-1]))
		pg = pagination{NextCursor: &c, HasNextPage: true}
	}
	writeJSON(w, http.StatusOK, videoCommentsJSON{
		Comments: s.renderer(r).comments(comments), TotalComments: n.Comments,
		TotalPages: totalPages, CurrentPage: int64(page), Pagination: pg,
	})
	return nil
}

// handleCommentList serves GET /api/comments?videoId=…
func (s *Server) handleCommentList(w http.ResponseWriter, r *http.Request) error {
	raw := r.URL.Query().Get("videoId")
	if raw == "" {
		return tiktok.Invalid(map[string]string{"videoId": "is required"})
	}
	videoID, err := parseID(raw, "videoId")
	if err != nil {
		return err
	}
	p, err := parsePage(r, commentLimit)
	if err != nil {
		return err
	}
	comments, err := s.store.ListComments(r.Context(), videoID, p)
	if err != nil {
		return err
	}
	comments, pg := trimPage(comments, p, commentKey)
	writeJSON(w, http.StatusOK, commentPageJSON{Comments: s.renderer(r).comments(comments), Pagination: pg})
	return nil
}

func (s *Server) handleCommentGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.store.Comment(r.Context(), id, viewerID(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.renderer(r).comment(c))
	return nil
}

// flexID is an id sent as a JSON number or a numeric string.
type flexID struct {
	set   bool
	value int64
	ok    bool
}

func (f *flexID) UnmarshalJSON(b []byte) error {
	f.set = true
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		f.set = false
		return nil
	}
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return nil
		}
	} else {
		s = string(b)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	f.value, f.ok = n, err == nil && n > 0
	return nil
}

type commentRequest struct {
	VideoID  flexID  `json:"videoId"`
	ParentID flexID  `json:"parentId"` // absent or null: a top-level comment
	Content  *string `json:"content"`
}

// commentContent trims content and checks it has 1–1000 characters.
func commentContent(fields map[string]string, content *string) string {
	if content == nil {
		fields["content"] = "is required"
		return ""
	}
	c := strings.TrimSpace(*content)
	switch n := utf8.RuneCountInString(c); {
	case !validText(c):
		fields["content"] = "contains invalid characters"
	case n == 0:
		fields["content"] = "must not be empty"
	case n > maxCommentRunes:
		fields["content"] = "must be at most 1000 characters"
	}
	return c
}

func (s *Server) handleCommentCreate(w http.ResponseWriter, r *http.Request) error {
	var req commentRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	fields := map[string]string{}
	switch {
	case !req.VideoID.set:
		fields["videoId"] = "is required"
	case !req.VideoID.ok:
		fields["videoId"] = "must be a positive integer"
	}
	if req.ParentID.set && !req.ParentID.ok {
		fields["parentId"] = "must be a positive integer"
	}
	content := commentContent(fields, req.Content)
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	var c tiktok.Comment
	var err error
	if req.ParentID.set {
		c, err = s.store.CreateReply(r.Context(), viewerID(r), req.VideoID.value, req.ParentID.value, content)
	} else {
		c, err = s.store.CreateComment(r.Context(), viewerID(r), req.VideoID.value, content)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.renderer(r).comment(c))
	return nil
}

// handleCommentReplies serves GET /api/comments/{id}/replies: a comment's replies, oldest
// first, keyset-paged.
func (s *Server) handleCommentReplies(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := parsePage(r, replyLimit)
	if err != nil {
		return err
	}
	replies, err := s.store.ListReplies(r.Context(), id, p)
	if err != nil {
		return err
	}
	replies, pg := trimPage(replies, p, commentKey)
	writeJSON(w, http.StatusOK, commentPageJSON{Comments: s.renderer(r).comments(replies), Pagination: pg})
	return nil
}

func (s *Server) handleCommentUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Content *string `json:"content"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	fields := map[string]string{}
	content := commentContent(fields, req.Content)
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	c, err := s.store.UpdateComment(r.Context(), id, viewerID(r), content)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.renderer(r).comment(c))
	return nil
}

func (s *Server) handleCommentDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteComment(r.Context(), id, viewerID(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": commentDeletedText})
	return nil
}

func (s *Server) handleCommentLike(like bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		n, err := s.store.SetCommentLike(r.Context(), viewerID(r), id, like)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, likeResult("Comment", like, n))
		return nil
	}
}
