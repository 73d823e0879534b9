package httpapi

import (
	"context"
	"encoding/base64"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gotok/tiktok/internal/tiktok"
)

// Search: GET /api/search and GET /api/search/suggest. The store ranks; this file
// validates the request, makes the cursors and renders the results.

const (
	maxSearchQueryRunes = 100
	searchVideoLimit    = 10 // the videos of type=videos and type=top, as the feeds
	searchListLimit     = 20 // users, hashtags, sounds
	suggestLimit        = 10 // at most, and by default
	// what type=top shows besides its page of videos
	topUsers, topHashtags, topSounds = 3, 3, 2
)

// The search types, and what each cursor starts with: a cursor of one type is refused by
// another. A video cursor also names the route of its candidates.
const (
	searchTop      = "top"
	searchVideos   = "videos"
	searchUsers    = "users"
	searchHashtags = "hashtags"
	searchSounds   = "sounds"
)

var searchTypes = []string{searchTop, searchVideos, searchUsers, searchHashtags, searchSounds}

// searchCursorTag is the first part of the cursors of each search type; videos have one per
// route.
var searchCursorTag = map[string]string{searchUsers: "u", searchHashtags: "h", searchSounds: "s"}

var videoRouteTag = map[tiktok.VideoSearchRoute]string{tiktok.RouteSelective: "vs", tiktok.RouteCommon: "vc"}

// encodeSearchCursor makes the opaque cursor of a search page: base64url of
// "<tag>:<score>:<id>", the score in the shortest form that reads back exactly.
func encodeSearchCursor(tag string, k tiktok.SearchKey) string {
	raw := tag + ":" + strconv.FormatFloat(k.Score, 'g', -1, 64) + ":" + strconv.FormatInt(k.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeSearchCursor parses a cursor made by encodeSearchCursor and returns its tag and
// key; anything else is invalid_cursor. An empty cursor is the first page (tag "").
func decodeSearchCursor(s string) (string, tiktok.SearchKey, error) {
	if s == "" {
		return "", tiktok.SearchKey{}, nil
	}
	bad := &tiktok.Error{Code: tiktok.CodeInvalidCursor, Message: "Invalid cursor"}
	if len(s) > 128 {
		return "", tiktok.SearchKey{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", tiktok.SearchKey{}, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 {
		return "", tiktok.SearchKey{}, bad
	}
	score, err1 := strconv.ParseFloat(parts[1], 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 || math.IsNaN(score) || math.IsInf(score, 0) {
		return "", tiktok.SearchKey{}, bad
	}
	key := tiktok.SearchKey{Score: score, ID: id}
	// Only the one spelling we issue: no "+1", "1e0" for "1", padding or line breaks.
	if encodeSearchCursor(parts[0], key) != s {
		return "", tiktok.SearchKey{}, bad
	}
	return parts[0], key, nil
}

// searchQuery reads ?q=: trimmed, 1 to 100 characters of text. The problem, if any, goes
// to fields.
func searchQuery(r *http.Request, fields map[string]string) string {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	switch {
	case !validText(q):
		fields["q"] = "must be text"
	case q == "":
		fields["q"] = "is required"
	case utf8.RuneCountInString(q) > maxSearchQueryRunes:
		fields["q"] = "must be at most 100 characters"
	}
	return q
}

// searchPage is a page of ranked results: a page asks the store for one item more than
// the limit, to tell whether a next page exists.
func searchPage(r *http.Request, limit int, after tiktok.SearchKey) tiktok.SearchPage {
	return tiktok.SearchPage{Viewer: viewerID(r), After: after, Limit: limit + 1}
}

// trimRanked cuts the extra item and returns the page's pagination, its cursor tagged tag
// and keyed on the last item kept.
func trimRanked[T any](items []tiktok.Ranked[T], p tiktok.SearchPage, tag string, id func(T) int64) ([]tiktok.Ranked[T], pagination) {
	limit := p.Limit - 1
	if len(items) <= limit {
		return items, pagination{}
	}
	items = items[:limit]
	last := items[len(items)-1]
	c := encodeSearchCursor(tag, tiktok.SearchKey{Score: last.Score, ID: id(last.Item)})
	return items, pagination{NextCursor: &c, HasNextPage: true}
}

type hashtagResultJSON struct {
	Name       string `json:"name"`
	VideoCount int64  `json:"videoCount"`
	ViewCount  int64  `json:"viewCount"`
}

type soundResultJSON struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	VideoCount int64  `json:"videoCount"`
}

type suggestionJSON struct {
	Type string `json:"type"`
	Text string `json:"text"`
	ID   int64  `json:"id"`
}

// searchResultJSON is the answer of GET /api/search: the list of the type asked for, all
// four for type=top.
type searchResultJSON struct {
	Users      *[]userJSON          `json:"users,omitempty"`
	Hashtags   *[]hashtagResultJSON `json:"hashtags,omitempty"`
	Sounds     *[]soundResultJSON   `json:"sounds,omitempty"`
	Videos     *[]videoJSON         `json:"videos,omitempty"`
	Pagination pagination           `json:"pagination"`
}

// handleSearch serves GET /api/search?q=&type=top|videos|users|hashtags|sounds&limit=&cursor=.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) error {
	fields := map[string]string{}
	q := searchQuery(r, fields)
	typ := r.URL.Query().Get("type")
	if typ == "" {
		typ = searchTop
	}
	known := false
	for _, t := range searchTypes {
		known = known || t == typ
	}
	if !known {
		fields["type"] = "must be one of " + strings.Join(searchTypes, ", ")
	}
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	def := searchListLimit
	if typ == searchTop || typ == searchVideos {
		def = searchVideoLimit
	}
	limit, err := parseLimit(r, def)
	if err != nil {
		return err
	}
	tag, after, err := decodeSearchCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	route := tiktok.RouteAuto
	switch typ {
	case searchTop, searchVideos:
		for rt, t := range videoRouteTag {
			if t == tag {
				route = rt
			}
		}
		if tag != "" && route == tiktok.RouteAuto {
			return &tiktok.Error{Code: tiktok.CodeInvalidCursor, Message: "Invalid cursor"}
		}
	default:
		if tag != "" && tag != searchCursorTag[typ] {
			return &tiktok.Error{Code: tiktok.CodeInvalidCursor, Message: "Invalid cursor"}
		}
	}

	ctx, rd := r.Context(), s.renderer(r)
	var out searchResultJSON
	switch typ {
	case searchTop, searchVideos:
		p := searchPage(r, limit, after)
		videos, rt, err := s.store.SearchVideos(ctx, q, route, p)
		if err != nil {
			return err
		}
		videos, pg := trimRanked(videos, p, videoRouteTag[rt], func(v tiktok.Video) int64 { return v.ID })
		list := make([]videoJSON, len(videos))
		for i, v := range videos {
			list[i] = rd.video(v.Item)
		}
		out.Videos, out.Pagination = &list, pg
		if typ == searchTop {
			if tag == "" { // the first page leads with the best users, tags and sounds
				if err := s.searchTopLists(ctx, r, q, len(videos), &out); err != nil {
					return err
				}
			} else {
				out.Users, out.Hashtags, out.Sounds = &[]userJSON{}, &[]hashtagResultJSON{}, &[]soundResultJSON{}
			}
		}
	case searchUsers:
		p := searchPage(r, limit, after)
		users, err := s.store.SearchUsers(ctx, q, p)
		if err != nil {
			return err
		}
		users, pg := trimRanked(users, p, searchCursorTag[typ], func(u tiktok.User) int64 { return u.ID })
		list := renderUsers(rd, users)
		out.Users, out.Pagination = &list, pg
	case searchHashtags:
		p := searchPage(r, limit, after)
		tags, err := s.store.SearchHashtags(ctx, q, p)
		if err != nil {
			return err
		}
		tags, pg := trimRanked(tags, p, searchCursorTag[typ], func(h tiktok.HashtagResult) int64 { return h.ID })
		list := renderHashtags(tags)
		out.Hashtags, out.Pagination = &list, pg
	case searchSounds:
		p := searchPage(r, limit, after)
		sounds, err := s.store.SearchSounds(ctx, q, p)
		if err != nil {
			return err
		}
		sounds, pg := trimRanked(sounds, p, searchCursorTag[typ], func(s tiktok.SoundResult) int64 { return s.ID })
		list := renderSounds(sounds)
		out.Sounds, out.Pagination = &list, pg
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// searchTopLists fills the users, hashtags and sounds of a first type=top page: the few
// best exact and prefix matches of each, and similar names (typos: "chrlie") only when
// nothing at all matched, videos included — trigram searches cost several times the rest.
func (s *Server) searchTopLists(ctx context.Context, r *http.Request, q string, videos int, out *searchResultJSON) error {
	lists := func(exactOnly bool) (users []tiktok.Ranked[tiktok.User], tags []tiktok.Ranked[tiktok.HashtagResult], sounds []tiktok.Ranked[tiktok.SoundResult], err error) {
		first := func(n int) tiktok.SearchPage {
			return tiktok.SearchPage{Viewer: viewerID(r), Limit: n, ExactOnly: exactOnly}
		}
		if users, err = s.store.SearchUsers(ctx, q, first(topUsers)); err != nil {
			return
		}
		if tags, err = s.store.SearchHashtags(ctx, q, first(topHashtags)); err != nil {
			return
		}
		sounds, err = s.store.SearchSounds(ctx, q, first(topSounds))
		return
	}
	users, tags, sounds, err := lists(true)
	if err == nil && videos == 0 && len(users) == 0 && len(tags) == 0 && len(sounds) == 0 {
		users, tags, sounds, err = lists(false)
	}
	if err != nil {
		return err
	}
	u, h, so := renderUsers(s.renderer(r), users), renderHashtags(tags), renderSounds(sounds)
	out.Users, out.Hashtags, out.Sounds = &u, &h, &so
	return nil
}

func renderUsers(rd renderer, users []tiktok.Ranked[tiktok.User]) []userJSON {
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = rd.user(u.Item)
	}
	return out
}

func renderHashtags(tags []tiktok.Ranked[tiktok.HashtagResult]) []hashtagResultJSON {
	out := make([]hashtagResultJSON, len(tags))
	for i, t := range tags {
		out[i] = hashtagResultJSON{Name: t.Item.Name, VideoCount: t.Item.VideoCount, ViewCount: t.Item.ViewCount}
	}
	return out
}

func renderSounds(sounds []tiktok.Ranked[tiktok.SoundResult]) []soundResultJSON {
	out := make([]soundResultJSON, len(sounds))
	for i, so := range sounds {
		out[i] = soundResultJSON{ID: so.Item.ID, Name: so.Item.Name, VideoCount: so.Item.VideoCount}
	}
	return out
}

// handleSuggest serves GET /api/search/suggest?q=&limit=: type-ahead completions.
func (s *Server) handleSuggest(w http.ResponseWriter, r *http.Request) error {
	fields := map[string]string{}
	q := searchQuery(r, fields)
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	limit, err := parseLimit(r, suggestLimit)
	if err != nil {
		return err
	}
	suggestions, err := s.store.Suggest(r.Context(), q, viewerID(r), min(limit, suggestLimit))
	if err != nil {
		return err
	}
	out := make([]suggestionJSON, len(suggestions))
	for i, sg := range suggestions {
		out[i] = suggestionJSON{Type: sg.Kind, Text: sg.Text, ID: sg.ID}
	}
	writeJSON(w, http.StatusOK, map[string][]suggestionJSON{"suggestions": out})
	return nil
}
