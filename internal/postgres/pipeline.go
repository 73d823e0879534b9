package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// The media pipeline's reads and writes (queries/pipeline.sql): a processing job reads the
// video it processes and ends it ready or failed; each end applies only to a video still
// processing, so a job that runs twice, or after the video was deleted, changes nothing.

// VideoForProcessing returns what a processing job needs of video id, or not_found.
func (s *Store) VideoForProcessing(ctx context.Context, id int64) (tiktok.ProcessingVideo, error) {
	r, err := s.q.VideoForProcessing(ctx, id)
	if err != nil {
		return tiktok.ProcessingVideo{}, notFound(err, "Video")
	}
	return tiktok.ProcessingVideo{ID: r.ID, UserID: r.UserID, Status: tiktok.VideoStatus(r.Status), VideoMedia: r.VideoMedia, ThumbnailMedia: r.ThumbnailMedia}, nil
}

// FinishVideoProcessing marks video id ready with res and returns the names of the files
// that res replaced, to delete once this returns. It fails with not_found when the video
// is gone or no longer processing: the caller then deletes res's files.
func (s *Store) FinishVideoProcessing(ctx context.Context, id int64, res tiktok.ProcessingResult) ([]string, error) {
	r, err := s.q.FinishVideoProcessing(ctx, db.FinishVideoProcessingParams{
		ID: id, DurationMs: res.DurationMs, Width: res.Width, Height: res.Height,
		VideoMedia: res.VideoMedia, ThumbnailMedia: res.ThumbnailMedia,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tiktok.NotFound("Video")
	}
	if err != nil {
		return nil, fmt.Errorf("finish processing video %d: %w", id, translate(err))
	}
	var replaced []string
	if res.VideoMedia != nil {
		replaced = append(replaced, names(r.OldVideoMedia)...)
	}
	if res.ThumbnailMedia != nil {
		replaced = append(replaced, names(r.OldThumbnailMedia)...)
	}
	return replaced, nil
}

// FailVideoProcessing marks video id failed with reason (cut to 500 characters) and
// reports whether it was still processing.
func (s *Store) FailVideoProcessing(ctx context.Context, id int64, reason string) (bool, error) {
	if r := []rune(reason); len(r) > 500 {
		reason = string(r[:500])
	}
	n, err := s.q.FailVideoProcessing(ctx, db.FailVideoProcessingParams{ID: id, Reason: &reason})
	if err != nil {
		return false, fmt.Errorf("fail processing video %d: %w", id, translate(err))
	}
	return n == 1, nil
}
