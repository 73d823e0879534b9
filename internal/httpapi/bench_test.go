package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

// feedPage is a realistic page of 10 videos.
func feedPage() []tiktok.Video {
	name, avatar, thumb, audio := "Jessica Hills", "ab12.jpg", "cd34.jpg", "original sound - user3"
	now := time.Now()
	vs := make([]tiktok.Video, 10)
	for i := range vs {
		vs[i] = tiktok.Video{
			ID: int64(1000 - i), UserID: 3, Caption: "Cinema nights, strictly etsy. #travel #farmtotable",
			VideoURL: "12c1318b09c253b7ffba30ac58efe9dd.mp4", ThumbnailURL: &thumb, AudioName: &audio,
			Views: 621, LikeCount: 40, CommentCount: 3, CreatedAt: now, UpdatedAt: now,
			User: tiktok.UserMini{ID: 3, Username: "user3", Name: &name, Avatar: &avatar},
		}
	}
	return vs
}

// BenchmarkFeedPageJSON measures rendering and encoding one feed page, as handleVideoList does.
func BenchmarkFeedPageJSON(b *testing.B) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r := httptest.NewRequest("GET", "/api/videos", nil)
	page := feedPage()
	c := encodeCursor(videoKey(page[len(page)-1]))
	b.ReportAllocs()
	for b.Loop() {
		body, err := json.Marshal(videoPageJSON{Videos: s.renderer(r).videos(page), Pagination: pagination{NextCursor: &c, HasNextPage: true}})
		if err != nil || len(body) == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkCursor measures encoding and decoding a page cursor.
func BenchmarkCursor(b *testing.B) {
	k := tiktok.PageKey{Time: time.Now(), ID: 123456789}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeCursor(encodeCursor(k)); err != nil {
			b.Fatal(err)
		}
	}
}
