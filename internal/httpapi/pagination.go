package httpapi

import (
	"encoding/base64"
	"net/http"
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
