package httpapi

import (
	"encoding/base64"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

// maxLimit caps every page size.
const maxLimit = 100

// pagination is the "pagination" object of list responses.
type pagination struct {
	NextCursor  *string `json:"nextCursor"`
	HasNextPage bool    `json:"hasNextPage"`
}

// encodeCursor makes the opaque cursor for a page key: base64url of "<unix micros>.<id>".
func encodeCursor(k tiktok.PageKey) string {
	raw := strconv.FormatInt(k.Time.UnixMicro(), 10) + "." + strconv.FormatInt(k.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor parses a cursor made by encodeCursor; anything else is invalid_cursor.
// An empty cursor is the first page.
func decodeCursor(s string) (tiktok.PageKey, error) {
	if s == "" {
		return tiktok.PageKey{}, nil
	}
	bad := &tiktok.Error{Code: tiktok.CodeInvalidCursor, Message: "Invalid cursor"}
	if len(s) > 64 {
		return tiktok.PageKey{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return tiktok.PageKey{}, bad
	}
	micros, id, ok := strings.Cut(string(raw), ".")
	if !ok {
		return tiktok.PageKey{}, bad
	}
	us, err1 := strconv.ParseInt(micros, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	// Reject non-canonical spellings ("+1", "01") so each key has exactly one cursor.
	if err1 != nil || err2 != nil || n <= 0 || strconv.FormatInt(us, 10) != micros || strconv.FormatInt(n, 10) != id {
		return tiktok.PageKey{}, bad
	}
	t := time.UnixMicro(us).UTC()
	if t.Year() < 2000 || t.Year() > 9999 {
		return tiktok.PageKey{}, bad
	}
	key := tiktok.PageKey{Time: t, ID: n}
	// The base64 decoder skips line breaks and ignores the unused low bits of the last
	// character, so several strings decode to the same key: accept only the one we issue.
	if encodeCursor(key) != s {
		return tiktok.PageKey{}, bad
	}
	return key, nil
}

// parseLimit reads ?limit=, defaulting to def and capped at maxLimit; a non-numeric or
// non-positive value is invalid_limit.
func parseLimit(r *http.Request, def int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, &tiktok.Error{Code: tiktok.CodeInvalidLimit, Message: "limit must be a positive integer",
			Fields: map[string]string{"limit": "must be a positive integer"}}
	}
	return min(n, maxLimit), nil
}

// parsePage reads ?cursor= and ?limit= into a page for the request's viewer. It asks for
// one item more than the limit so the caller can tell whether a next page exists.
func parsePage(r *http.Request, defLimit int) (tiktok.Page, error) {
	limit, err := parseLimit(r, defLimit)
	if err != nil {
		return tiktok.Page{}, err
	}
	key, err := decodeCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		return tiktok.Page{}, err
	}
	return tiktok.Page{Viewer: viewerID(r), After: key, Limit: limit + 1}, nil
}

// trimPage cuts the extra item parsePage asked for and returns the page's pagination,
// using key to make the cursor of the last item kept.
func trimPage[T any](items []T, p tiktok.Page, key func(T) tiktok.PageKey) ([]T, pagination) {
	limit := p.Limit - 1
	if len(items) <= limit {
		return items, pagination{}
	}
	items = items[:limit]
	c := encodeCursor(key(items[len(items)-1]))
	return items, pagination{NextCursor: &c, HasNextPage: true}
}

// pathID parses the {name} path value as a positive decimal id, or fails with invalid_id.
func pathID(r *http.Request, name string) (int64, error) {
	return parseID(r.PathValue(name), name)
}

func parseID(s, name string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != s {
		return 0, &tiktok.Error{Code: tiktok.CodeInvalidID, Message: "Invalid " + name + ": must be a positive integer",
			Fields: map[string]string{name: "must be a positive integer"}}
	}
	return n, nil
}

// Ranked lists (tag and sound pages) page by (rank, id), both descending. Their cursors
// carry the rank exactly: base64url of "r<rank>:<id>", the rank in Go's shortest
// round-tripping form. A spread list (at most one item per creator per page) adds the ids
// it deferred: "s<rank>:<id>[:<id>,<id>…]". The prefixes keep the kinds of cursor apart:
// one list's cursor is invalid_cursor on another kind of list.

// maxRankCursorLen bounds an encoded rank or spread cursor: a spread cursor holds at most
// tiktok.MaxDeferred ids.
const maxRankCursorLen = 4 * (2 + 24 + 20*(tiktok.MaxDeferred+1)) / 3

func invalidCursor() error {
	return &tiktok.Error{Code: tiktok.CodeInvalidCursor, Message: "Invalid cursor"}
}

func formatRankKey(kind byte, k tiktok.RankKey) []byte {
	raw := append([]byte{kind}, strconv.FormatFloat(k.Rank, 'g', -1, 64)...)
	raw = append(raw, ':')
	return strconv.AppendInt(raw, k.ID, 10)
}

// encodeRankCursor makes the opaque cursor of a ranked list's page key.
func encodeRankCursor(k tiktok.RankKey) string {
	return base64.RawURLEncoding.EncodeToString(formatRankKey('r', k))
}

// encodeSpreadCursor makes the opaque cursor of a spread list's page key.
func encodeSpreadCursor(k tiktok.SpreadKey) string {
	raw := formatRankKey('s', k.After)
	for i, id := range k.Deferred {
		sep := byte(',')
		if i == 0 {
			sep = ':'
		}
		raw = strconv.AppendInt(append(raw, sep), id, 10)
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// decodeRankFields reads the cursor s of the given kind into its rank key and the rest
// of its fields. Only cursors this server issues are accepted: the caller re-encodes.
func decodeRankFields(s string, kind byte) (tiktok.RankKey, []string, error) {
	if len(s) > maxRankCursorLen {
		return tiktok.RankKey{}, nil, invalidCursor()
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) == 0 || raw[0] != kind {
		return tiktok.RankKey{}, nil, invalidCursor()
	}
	fields := strings.Split(string(raw[1:]), ":")
	if len(fields) < 2 {
		return tiktok.RankKey{}, nil, invalidCursor()
	}
	rank, err := strconv.ParseFloat(fields[0], 64)
	if err != nil || math.IsNaN(rank) || math.IsInf(rank, 0) {
		return tiktok.RankKey{}, nil, invalidCursor()
	}
	id, err := parseID(fields[1], "cursor")
	if err != nil {
		return tiktok.RankKey{}, nil, invalidCursor()
	}
	return tiktok.RankKey{Rank: rank, ID: id}, fields[2:], nil
}

// decodeRankCursor parses a cursor made by encodeRankCursor; anything else is
// invalid_cursor. An empty cursor is the first page.
func decodeRankCursor(s string) (tiktok.RankKey, error) {
	if s == "" {
		return tiktok.RankKey{}, nil
	}
	key, rest, err := decodeRankFields(s, 'r')
	if err != nil {
		return tiktok.RankKey{}, err
	}
	if len(rest) != 0 || encodeRankCursor(key) != s {
		return tiktok.RankKey{}, invalidCursor()
	}
	return key, nil
}

// decodeSpreadCursor parses a cursor made by encodeSpreadCursor; anything else is
// invalid_cursor. An empty cursor is the first page.
func decodeSpreadCursor(s string) (tiktok.SpreadKey, error) {
	if s == "" {
		return tiktok.SpreadKey{}, nil
	}
	after, rest, err := decodeRankFields(s, 's')
	if err != nil {
		return tiktok.SpreadKey{}, err
	}
	key := tiktok.SpreadKey{After: after}
	switch len(rest) {
	case 0:
	case 1:
		ids := strings.Split(rest[0], ",")
		if len(ids) > tiktok.MaxDeferred {
			return tiktok.SpreadKey{}, invalidCursor()
		}
		for _, f := range ids {
			id, err := parseID(f, "cursor")
			if err != nil || slices.Contains(key.Deferred, id) {
				return tiktok.SpreadKey{}, invalidCursor()
			}
			key.Deferred = append(key.Deferred, id)
		}
	default:
		return tiktok.SpreadKey{}, invalidCursor()
	}
	if encodeSpreadCursor(key) != s {
		return tiktok.SpreadKey{}, invalidCursor()
	}
	return key, nil
}

// parseRankPage reads ?cursor= and ?limit= into a ranked page for the request's viewer,
// asking for one item more than the limit (see parsePage).
func parseRankPage(r *http.Request, defLimit int) (tiktok.RankPage, error) {
	limit, err := parseLimit(r, defLimit)
	if err != nil {
		return tiktok.RankPage{}, err
	}
	key, err := decodeRankCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		return tiktok.RankPage{}, err
	}
	return tiktok.RankPage{Viewer: viewerID(r), After: key, Limit: limit + 1}, nil
}

// trimRankPage is trimPage for a ranked page.
func trimRankPage[T any](items []T, p tiktok.RankPage, key func(T) tiktok.RankKey) ([]T, pagination) {
	limit := p.Limit - 1
	if len(items) <= limit {
		return items, pagination{}
	}
	items = items[:limit]
	c := encodeRankCursor(key(items[len(items)-1]))
	return items, pagination{NextCursor: &c, HasNextPage: true}
}
