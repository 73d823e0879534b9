package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

const (
	maxSeenBatch  = 100         // ids in one POST /api/videos/seen
	anonPageTTL   = time.Second // how long the anonymous first page is shared
	maxFeedCursor = 64
)

// handleForYou serves the ranked For You feed (store: Feed.ForYou). Anonymous viewers all
// get the same first page, so it is computed at most once per anonPageTTL per page size.
func (s *Server) handleForYou(w http.ResponseWriter, r *http.Request) error {
	limit, err := parseLimit(r, feedLimit)
	if err != nil {
		return err
	}
	cur, err := decodeFeedCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	viewer := viewerID(r)
	var page tiktok.FeedPage
	if viewer == 0 && cur == (tiktok.FeedCursor{}) {
		page, err = s.anonFirst.get(r.Context(), limit, s.now(), func(ctx context.Context) (tiktok.FeedPage, error) {
			return s.store.ForYou(ctx, 0, cur, limit)
		})
	} else {
		page, err = s.store.ForYou(r.Context(), viewer, cur, limit)
	}
	if err != nil {
		return err
	}
	var pg pagination
	if page.Next != nil {
		c := encodeFeedCursor(*page.Next)
		pg = pagination{NextCursor: &c, HasNextPage: true}
	}
	writeJSON(w, http.StatusOK, videoPageJSON{Videos: s.renderer(r).videos(page.Videos), Pagination: pg})
	return nil
}

// sharedPages holds the anonymous first page of the For You feed per page size (at most
// maxLimit entries), each for anonPageTTL. One request computes an expired page while the
// others for the same size wait for it. With shared set (REDIS_URL) a page one server
// computed is stored there for the rest of its anonPageTTL, so N servers compute it once
// per anonPageTTL between them instead of N times; when the shared cache fails, the page is
// computed here as without it (a read never fails for Redis).
type sharedPages struct {
	shared SharedCache
	log    *slog.Logger

	mu    sync.Mutex
	pages map[int]*sharedPage
}

type sharedPage struct {
	fill  sync.Mutex
	until time.Time
	page  tiktok.FeedPage
}

// maxSharedPage bounds a page stored in the shared cache (a page of maxLimit videos with
// long captions is well under it).
const maxSharedPage = 1 << 20

func (c *sharedPages) get(ctx context.Context, limit int, now time.Time, compute func(context.Context) (tiktok.FeedPage, error)) (tiktok.FeedPage, error) {
	c.mu.Lock()
	if c.pages == nil {
		c.pages = map[int]*sharedPage{}
	}
	e := c.pages[limit]
	if e == nil {
		e = &sharedPage{}
		c.pages[limit] = e
	}
	c.mu.Unlock()

	e.fill.Lock()
	defer e.fill.Unlock()
	if now.Before(e.until) {
		return e.page, nil
	}
	key := "foryou-anon:v1:" + strconv.Itoa(limit)
	if c.shared != nil {
		if page, ttl, ok := c.fromShared(ctx, key); ok {
			e.page, e.until = page, now.Add(min(ttl, anonPageTTL))
			return page, nil
		}
	}
	page, err := compute(ctx)
	if err != nil {
		return tiktok.FeedPage{}, err
	}
	e.page, e.until = page, now.Add(anonPageTTL)
	if c.shared != nil {
		c.toShared(ctx, key, page)
	}
	return page, nil
}

// fromShared reads a page from the shared cache; ok is false when it has none (or fails).
func (c *sharedPages) fromShared(ctx context.Context, key string) (page tiktok.FeedPage, ttl time.Duration, ok bool) {
	b, ttl, err := c.shared.Get(ctx, key)
	if err != nil {
		c.log.Debug("shared feed cache failed; computing the page", "err", err)
		return page, 0, false
	}
	if b == nil || ttl <= 0 {
		return page, 0, false
	}
	if err := json.Unmarshal(b, &page); err != nil {
		c.log.Warn("shared feed cache holds an unreadable page; computing it", "err", err)
		return page, 0, false
	}
	return page, ttl, true
}

// toShared stores a page in the shared cache for anonPageTTL, if it is not too large.
func (c *sharedPages) toShared(ctx context.Context, key string, page tiktok.FeedPage) {
	b, err := json.Marshal(page)
	if err != nil || len(b) > maxSharedPage {
		return
	}
	if err := c.shared.Set(context.WithoutCancel(ctx), key, b, anonPageTTL); err != nil {
		c.log.Debug("shared feed cache not written", "err", err)
	}
}

// encodeFeedCursor makes the opaque cursor of a For You position: base64url of
// "<session>.<position>"; a session of 0 starts a new session.
func encodeFeedCursor(c tiktok.FeedCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.Session, 10) + "." + strconv.Itoa(c.Pos)))
}

// decodeFeedCursor parses a cursor made by encodeFeedCursor; anything else is
// invalid_cursor. An empty cursor is the first page.
func decodeFeedCursor(s string) (tiktok.FeedCursor, error) {
	if s == "" {
		return tiktok.FeedCursor{}, nil
	}
	bad := &tiktok.Error{Code: tiktok.CodeInvalidCursor, Message: "Invalid cursor"}
	if len(s) > maxFeedCursor {
		return tiktok.FeedCursor{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return tiktok.FeedCursor{}, bad
	}
	sid, pos, ok := strings.Cut(string(raw), ".")
	if !ok {
		return tiktok.FeedCursor{}, bad
	}
	n, err1 := strconv.ParseInt(sid, 10, 64)
	p, err2 := strconv.Atoi(pos)
	if err1 != nil || err2 != nil || n < 0 || p < 0 || p > 1<<20 || (n == 0 && p != 0) {
		return tiktok.FeedCursor{}, bad
	}
	c := tiktok.FeedCursor{Session: n, Pos: p}
	if encodeFeedCursor(c) != s { // one spelling per position
		return tiktok.FeedCursor{}, bad
	}
	return c, nil
}

type seenForm struct {
	VideoIDs []int64 `json:"videoIds"`
}

// handleSeen records the videos a client displayed to the signed-in viewer, so the For You
// feed does not show them again.
func (s *Server) handleSeen(w http.ResponseWriter, r *http.Request) error {
	var f seenForm
	if err := decodeJSON(w, r, &f); err != nil {
		return err
	}
	if len(f.VideoIDs) == 0 || len(f.VideoIDs) > maxSeenBatch {
		return tiktok.Invalid(map[string]string{"videoIds": "must list 1 to " + strconv.Itoa(maxSeenBatch) + " video ids"})
	}
	viewer := viewerID(r)
	users := make([]int64, len(f.VideoIDs))
	for i, id := range f.VideoIDs {
		if id <= 0 {
			return tiktok.Invalid(map[string]string{"videoIds": "must be positive integers"})
		}
		users[i] = viewer
	}
	n, err := s.store.MarkSeen(r.Context(), users, f.VideoIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int64{"recorded": n})
	return nil
}

type notInterestedForm struct {
	HideCreator bool `json:"hideCreator"`
}

// handleNotInterested keeps a video out of the viewer's For You feed and weighs its
// creator and tags down; {"hideCreator": true} hides all of the creator's videos.
func (s *Server) handleNotInterested(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var f notInterestedForm
	if err := decodeOptionalJSON(w, r, &f); err != nil {
		return err
	}
	if err := s.store.NotInterested(r.Context(), viewerID(r), id, f.HideCreator); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleHideCreator hides (or shows again) a creator's videos in the viewer's For You feed.
func (s *Server) handleHideCreator(hidden bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := s.store.SetCreatorHidden(r.Context(), viewerID(r), id, hidden); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// decodeOptionalJSON is decodeJSON for a body that may be absent (dst keeps its zero
// value then).
func decodeOptionalJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeJSON(w, r, dst)
}
