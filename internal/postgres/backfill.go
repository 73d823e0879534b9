package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
)

// BackfillDiscovery gives up to n of the videos that predate the discovery schema
// (migration 00009) their hashtags and sound, newest first, in one transaction, and reports
// how many it did and whether any are left. Several servers may call it at once: one works,
// the others find the position locked and do nothing. When the last batch is done, every
// tag's trend is recomputed from when its videos were posted, since the backfill's tagging
// counted as uses now.
func (s *Store) BackfillDiscovery(ctx context.Context, n int) (done int, more bool, err error) {
	err = s.inTx(ctx, func(q *db.Queries) error {
		done, more = 0, false
		below, err := q.LockBackfill(ctx)
		if err == pgx.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		videos, err := q.BackfillBatch(ctx, db.BackfillBatchParams{BelowID: below, Lim: int32(n)})
		if err != nil {
			return err
		}
		for _, v := range videos {
			tagIDs, err := upsertHashtags(ctx, q, captionHashtags(v.Caption))
			if err != nil {
				return err
			}
			if err := retagVideo(ctx, q, v.ID, tagIDs); err != nil {
				return err
			}
			if v.SoundID == nil {
				sound, err := upsertSound(ctx, q, v.AudioName)
				if err != nil {
					return err
				}
				if sound != nil {
					if err := q.SetVideoSound(ctx, db.SetVideoSoundParams{ID: v.ID, SoundID: sound}); err != nil {
						return fmt.Errorf("set sound: %w", err)
					}
				}
			}
		}
		done = len(videos)
		if len(videos) == n {
			more = true
			return q.MoveBackfill(ctx, videos[len(videos)-1].ID)
		}
		if err := q.FinishBackfill(ctx); err != nil {
			return err
		}
		_, err = q.RecomputeTrends(ctx)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("backfill discovery: %w", translate(err))
	}
	return done, more, nil
}
