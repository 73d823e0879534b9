package httpapi

import (
	"encoding/base64"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/gotok/tiktok/internal/tiktok"
)

// FuzzSearchCursor checks that decodeSearchCursor never panics, refuses what it did not
// issue with invalid_cursor, and accepts exactly one spelling of each key.
func FuzzSearchCursor(f *testing.F) {
	valid := encodeSearchCursor("vs", tiktok.SearchKey{Score: 23.456789012345678, ID: 42})
	for _, s := range []string{
		valid, "", "a", valid + "=", valid + "\n", valid[:len(valid)-1], strings.Repeat("A", 129),
		encodeSearchCursor("u", tiktok.SearchKey{Score: -3, ID: 1}),
		encodeSearchCursor("h", tiktok.SearchKey{Score: 1e300, ID: math.MaxInt64}),
		base64.RawURLEncoding.EncodeToString([]byte("vs:NaN:1")),
		base64.RawURLEncoding.EncodeToString([]byte("vs:+Inf:1")),
		base64.RawURLEncoding.EncodeToString([]byte("vs:1e0:1")),
		base64.RawURLEncoding.EncodeToString([]byte("vs:1:01")),
		base64.RawURLEncoding.EncodeToString([]byte("vs:0x1p-2:1")),
		base64.RawURLEncoding.EncodeToString([]byte("vs:1_0:1")),
		base64.RawURLEncoding.EncodeToString([]byte("::")),
		base64.RawURLEncoding.EncodeToString([]byte("vs:1:1:1")),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tag, key, err := decodeSearchCursor(s)
		if err != nil {
			if tiktok.ErrorCode(err) != tiktok.CodeInvalidCursor || statusOf[tiktok.ErrorCode(err)] != http.StatusBadRequest {
				t.Fatalf("%q: error %v, want invalid_cursor", s, err)
			}
			return
		}
		if s == "" {
			if tag != "" || key != (tiktok.SearchKey{}) {
				t.Fatalf("empty cursor gave %q %+v", tag, key)
			}
			return
		}
		if key.ID <= 0 || math.IsNaN(key.Score) || math.IsInf(key.Score, 0) {
			t.Fatalf("%q: accepted key %+v", s, key)
		}
		if again := encodeSearchCursor(tag, key); again != s {
			t.Fatalf("cursor %q is not canonical: %q %+v encodes as %q", s, tag, key, again)
		}
	})
}
