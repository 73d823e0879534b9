package postgres

import (
	"context"
	"fmt"
	"math"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// rankKeyset returns the (rank, id) bound a ranked page's query starts below.
func rankKeyset(p tiktok.RankPage) (float64, int64) {
	if p.After == (tiktok.RankKey{}) {
		return math.Inf(1), math.MaxInt64
	}
	return p.After.Rank, p.After.ID
}

// Sound returns the sound id, or not_found.
func (s *Store) Sound(ctx context.Context, id int64) (tiktok.Sound, error) {
	r, err := s.q.SoundByID(ctx, id)
	if err != nil {
		return tiktok.Sound{}, notFound(err, "Sound")
	}
	return tiktok.Sound{ID: r.ID, Name: r.Name, VideoCount: r.VideoCount}, nil
}

// SoundVideos returns a page of the videos using sound id, best ranked first, or
// not_found for an unknown sound.
func (s *Store) SoundVideos(ctx context.Context, id int64, p tiktok.RankPage) ([]tiktok.Video, error) {
	rank, after := rankKeyset(p)
	rows, err := s.q.ListSoundVideos(ctx, db.ListSoundVideosParams{
		ViewerID: p.Viewer, SoundID: id, AfterRank: rank, AfterID: after, Lim: int32(p.Limit),
	})
	if err != nil {
		return nil, fmt.Errorf("list sound videos: %w", translate(err))
	}
	if len(rows) == 0 {
		ok, err := s.q.SoundExists(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("sound exists: %w", translate(err))
		}
		if !ok {
			return nil, tiktok.NotFound("Sound")
		}
	}
	out := make([]tiktok.Video, len(rows))
	for i, r := range rows {
		out[i] = videoFromFeed(r.VideoFeed, r.IsLiked, r.IsBookmarked)
	}
	return out, s.withVideoMentions(ctx, ptrs(out)...)
}
