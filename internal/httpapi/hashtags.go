package httpapi

import (
	"net/http"

	"github.com/gotok/tiktok/internal/tiktok"
)

const (
	trendingLimit    = 20
	maxTrendingLimit = 50
	// maxHashtagPathBytes bounds the {name} of a hashtag route: a tag has at most
	// tiktok.MaxHashtagLen characters of at most 4 bytes, plus its '#'.
	maxHashtagPathBytes = 4*tiktok.MaxHashtagLen + 1
)

// hashtagJSON is a tag: its normalised name (without '#'), how many videos carry it and
// their views.
type hashtagJSON struct {
	Name       string `json:"name"`
	VideoCount int64  `json:"videoCount"`
	ViewCount  int64  `json:"viewCount"`
}

func renderHashtag(h tiktok.Hashtag) hashtagJSON {
	return hashtagJSON{Name: h.Name, VideoCount: h.VideoCount, ViewCount: h.ViewCount}
}

// soundJSON is a sound: a video's audio name as a first-class object.
type soundJSON struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	VideoCount int64  `json:"videoCount"`
}

// pathHashtag reads the {name} path value as a tag name, with or without its '#' (as
// %23), in any case and Unicode normalisation form. A name that cannot be a tag is a tag
// that does not exist: not_found.
func pathHashtag(r *http.Request) (string, error) {
	raw := r.PathValue("name")
	if len(raw) > maxHashtagPathBytes {
		return "", tiktok.NotFound("Hashtag")
	}
	name, ok := tiktok.NormalizeHashtag(raw)
	if !ok {
		return "", tiktok.NotFound("Hashtag")
	}
	return name, nil
}

func (s *Server) handleHashtagTrending(w http.ResponseWriter, r *http.Request) error {
	limit, err := parseLimit(r, trendingLimit)
	if err != nil {
		return err
	}
	tags, err := s.store.TrendingHashtags(r.Context(), min(limit, maxTrendingLimit))
	if err != nil {
		return err
	}
	out := make([]hashtagJSON, len(tags))
	for i, t := range tags {
		out[i] = renderHashtag(t)
	}
	writeJSON(w, http.StatusOK, map[string][]hashtagJSON{"hashtags": out})
	return nil
}

func (s *Server) handleHashtagGet(w http.ResponseWriter, r *http.Request) error {
	name, err := pathHashtag(r)
	if err != nil {
		return err
	}
	tag, err := s.store.Hashtag(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]hashtagJSON{"hashtag": renderHashtag(tag)})
	return nil
}

// handleHashtagVideos serves a tag's videos, best ranked first, at most one per creator
// on a page; a creator's other videos come on later pages (tiktok.Spread).
func (s *Server) handleHashtagVideos(w http.ResponseWriter, r *http.Request) error {
	name, err := pathHashtag(r)
	if err != nil {
		return err
	}
	limit, err := parseLimit(r, feedLimit)
	if err != nil {
		return err
	}
	key, err := decodeSpreadCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	videos, next, err := s.store.HashtagVideos(r.Context(), name, tiktok.SpreadPage{Viewer: viewerID(r), Key: key, Limit: limit})
	if err != nil {
		return err
	}
	var pg pagination
	if next != nil {
		c := encodeSpreadCursor(*next)
		pg = pagination{NextCursor: &c, HasNextPage: true}
	}
	writeJSON(w, http.StatusOK, videoPageJSON{Videos: s.renderer(r).videos(videos), Pagination: pg})
	return nil
}

func (s *Server) handleSoundGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sound, err := s.store.Sound(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]soundJSON{"sound": {ID: sound.ID, Name: sound.Name, VideoCount: sound.VideoCount}})
	return nil
}

// handleSoundVideos serves the videos using a sound, best ranked first.
func (s *Server) handleSoundVideos(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := parseRankPage(r, feedLimit)
	if err != nil {
		return err
	}
	videos, err := s.store.SoundVideos(r.Context(), id, p)
	if err != nil {
		return err
	}
	videos, pg := trimRankPage(videos, p, videoRankKey)
	writeJSON(w, http.StatusOK, videoPageJSON{Videos: s.renderer(r).videos(videos), Pagination: pg})
	return nil
}

func videoRankKey(v tiktok.Video) tiktok.RankKey { return tiktok.RankKey{Rank: v.HotRank, ID: v.ID} }
