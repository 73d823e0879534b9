package httpapi

import (
	"net/http"
	"strings"

	"github.com/gotok/tiktok/internal/tiktok"
)

// bookmarkJSON answers the bookmark and unbookmark routes.
type bookmarkJSON struct {
	Message       string `json:"message"`
	Action        string `json:"action"`
	BookmarkCount int64  `json:"bookmarkCount"`
	IsBookmarked  bool   `json:"isBookmarked"`
}

func (s *Server) handleVideoBookmark(on bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		n, err := s.store.SetVideoBookmark(r.Context(), viewerID(r), id, on)
		if err != nil {
			return err
		}
		res := bookmarkJSON{Message: "Video bookmarked", Action: "bookmarked", BookmarkCount: n, IsBookmarked: true}
		if !on {
			res = bookmarkJSON{Message: "Bookmark removed", Action: "unbookmarked", BookmarkCount: n}
		}
		writeJSON(w, http.StatusOK, res)
		return nil
	}
}

// bookmarkedVideoJSON is an entry of the bookmarks list: the video and when it was
// bookmarked.
type bookmarkedVideoJSON struct {
	videoJSON
	BookmarkedAt string `json:"bookmarkedAt"`
}

type bookmarkPageJSON struct {
	Videos     []bookmarkedVideoJSON `json:"videos"`
	Pagination pagination            `json:"pagination"`
}

func bookmarkKey(b tiktok.Bookmark) tiktok.PageKey {
	return tiktok.PageKey{Time: b.BookmarkedAt, ID: b.Video.ID}
}

// handleBookmarkList serves the caller's bookmarks, newest bookmark first. There is no
// route to anybody else's: bookmarks are private.
func (s *Server) handleBookmarkList(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, feedLimit)
	if err != nil {
		return err
	}
	list, err := s.store.ListBookmarks(r.Context(), viewerID(r), p)
	if err != nil {
		return err
	}
	list, pg := trimPage(list, p, bookmarkKey)
	rd := s.renderer(r)
	out := bookmarkPageJSON{Videos: make([]bookmarkedVideoJSON, len(list)), Pagination: pg}
	for i, b := range list {
		out.Videos[i] = bookmarkedVideoJSON{videoJSON: rd.video(b.Video), BookmarkedAt: jsonTime(b.BookmarkedAt)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// likedVideoJSON is an entry of the liked list: the video and when it was liked.
type likedVideoJSON struct {
	videoJSON
	LikedAt string `json:"likedAt"`
}

type likedPageJSON struct {
	Videos     []likedVideoJSON `json:"videos"`
	Pagination pagination       `json:"pagination"`
}

// handleLikedList serves the videos the caller likes, newest like first. Like bookmarks,
// the list is private: nobody else's is served (a profile shows only a like count).
func (s *Server) handleLikedList(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, feedLimit)
	if err != nil {
		return err
	}
	list, err := s.store.ListLikedVideos(r.Context(), viewerID(r), p)
	if err != nil {
		return err
	}
	list, pg := trimPage(list, p, func(l tiktok.LikedVideo) tiktok.PageKey { return tiktok.PageKey{Time: l.LikedAt, ID: l.Video.ID} })
	rd := s.renderer(r)
	out := likedPageJSON{Videos: make([]likedVideoJSON, len(list)), Pagination: pg}
	for i, l := range list {
		out.Videos[i] = likedVideoJSON{videoJSON: rd.video(l.Video), LikedAt: jsonTime(l.LikedAt)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// shareRequest is the body of POST /api/videos/{id}/share.
type shareRequest struct {
	Channel *string `json:"channel"`
}

// shareJSON answers POST /api/videos/{id}/share.
type shareJSON struct {
	Message    string `json:"message"`
	Channel    string `json:"channel"`
	ShareCount int64  `json:"shareCount"`
	// Counted is false when the caller had already shared the video this UTC day.
	Counted bool `json:"counted"`
}

// handleVideoShare records a share. Shares need an account: a share weighs twice a like in
// the ranking (FEED_SHARE_WEIGHT), and an anonymous one could only be told apart by client
// address, which anyone with an IPv6 /48 multiplies at will (docs/design.md).
func (s *Server) handleVideoShare(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req shareRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Channel == nil {
		return tiktok.Invalid(map[string]string{"channel": "is required"})
	}
	if !tiktok.ValidShareChannel(*req.Channel) {
		return tiktok.Invalid(map[string]string{"channel": "must be one of " + strings.Join(tiktok.ShareChannels(), ", ")})
	}
	res, err := s.store.ShareVideo(r.Context(), viewerID(r), id, *req.Channel)
	if err != nil {
		return err
	}
	msg := "Video shared"
	if !res.Counted {
		msg = "Video shared (already counted today)"
	}
	writeJSON(w, http.StatusOK, shareJSON{Message: msg, Channel: *req.Channel, ShareCount: res.ShareCount, Counted: res.Counted})
	return nil
}
