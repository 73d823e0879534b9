package httpapi

import (
	"encoding/base64"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gotok/tiktok/internal/tiktok"
)

// TestRankCursorsRoundTrip: every key a ranked or spread page can end on encodes to a
// cursor that decodes to the same key, within the length the decoder accepts.
func TestRankCursorsRoundTrip(t *testing.T) {
	full := make([]int64, tiktok.MaxDeferred)
	for i := range full {
		full[i] = math.MaxInt64 - int64(i)
	}
	for _, rank := range []float64{80123.4375, -1e300, math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 0, math.Copysign(0, -1), 1.0 / 3} {
		for _, id := range []int64{1, 42, math.MaxInt64} {
			k := tiktok.RankKey{Rank: rank, ID: id}
			c := encodeRankCursor(k)
			got, err := decodeRankCursor(c)
			if err != nil || math.Float64bits(got.Rank) != math.Float64bits(rank) || got.ID != id {
				t.Fatalf("rank key %+v: cursor %q decodes to %+v, %v", k, c, got, err)
			}
			for _, deferred := range [][]int64{nil, {7}, {3, 1, 2}, full} {
				sk := tiktok.SpreadKey{After: k, Deferred: deferred}
				c := encodeSpreadCursor(sk)
				got, err := decodeSpreadCursor(c)
				if err != nil || math.Float64bits(got.After.Rank) != math.Float64bits(rank) || got.After.ID != id || !slices.Equal(got.Deferred, deferred) {
					t.Fatalf("spread key %+v: cursor %q (%d bytes) decodes to %+v, %v", sk, c, len(c), got, err)
				}
				if _, err := decodeRankCursor(c); err == nil {
					t.Fatalf("spread cursor %q accepted as a rank cursor", c)
				}
				if _, err := decodeCursor(c); err == nil {
					t.Fatalf("spread cursor %q accepted as a time cursor", c)
				}
			}
		}
	}
}

func checkRankCursorError(t *testing.T, s string, err error) {
	t.Helper()
	if tiktok.ErrorCode(err) != tiktok.CodeInvalidCursor || statusOf[tiktok.ErrorCode(err)] != http.StatusBadRequest {
		t.Fatalf("%q: error %v, want invalid_cursor", s, err)
	}
}

// FuzzRankCursor checks that the rank and spread cursor decoders never panic, reject with
// invalid_cursor, and accept only keys they would issue, in their one canonical spelling.
func FuzzRankCursor(f *testing.F) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{
		encodeRankCursor(tiktok.RankKey{Rank: 80123.4375, ID: 42}),
		encodeSpreadCursor(tiktok.SpreadKey{After: tiktok.RankKey{Rank: -1.5, ID: 9}, Deferred: []int64{3, 4}}),
		"", "!", b64("r1:1"), b64("s1:1:1,2"), b64("r1.0:1"), b64("rNaN:1"), b64("s+Inf:1"), b64("s1:1:"),
		b64("s1:1:1,1"), b64("s1:1:0"), b64("s1:1:" + strings.Repeat("1,", 30) + "1"), b64("r1e400:1"),
		b64("r0x1p3:1"), b64("r1_0:1"), b64("r-0:1"), b64("r1:01"), b64("r:1"), b64("r1:"), b64("1744700203120000.42"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := decodeRankCursor(s); err != nil {
			checkRankCursorError(t, s, err)
		} else if s != "" {
			if k.ID <= 0 || math.IsNaN(k.Rank) || math.IsInf(k.Rank, 0) || encodeRankCursor(k) != s {
				t.Fatalf("%q: accepted rank key %+v", s, k)
			}
		}
		if k, err := decodeSpreadCursor(s); err != nil {
			checkRankCursorError(t, s, err)
		} else if s != "" {
			if k.After.ID <= 0 || math.IsNaN(k.After.Rank) || math.IsInf(k.After.Rank, 0) || len(k.Deferred) > tiktok.MaxDeferred || encodeSpreadCursor(k) != s {
				t.Fatalf("%q: accepted spread key %+v", s, k)
			}
			for i, id := range k.Deferred {
				if id <= 0 || slices.Contains(k.Deferred[:i], id) {
					t.Fatalf("%q: accepted deferred ids %v", s, k.Deferred)
				}
			}
		}
	})
}
