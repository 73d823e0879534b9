package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// IssueUploadKey records a direct upload's key and returns when it expires. A user may
// hold at most maxOpen keys that are neither claimed nor expired; one more is a
// rate_limited error whose RetryAfter is when the first of them expires. The user's
// expired keys are deleted on the way. Issues of one user are serialised by a transaction
// advisory lock, so the cap holds under parallel requests.
func (s *Store) IssueUploadKey(ctx context.Context, k tiktok.NewUploadKey, maxOpen int) (time.Time, error) {
	var expires time.Time
	err := s.inTx(ctx, func(q *db.Queries) error {
		if err := q.LockUserUploadKeys(ctx, k.UserID); err != nil {
			return err
		}
		if err := q.DeleteExpiredUploadKeys(ctx, k.UserID); err != nil {
			return err
		}
		open, err := q.OpenUploadKeys(ctx, k.UserID)
		if err != nil {
			return err
		}
		if open.N >= int64(maxOpen) {
			return &tiktok.Error{Code: tiktok.CodeRateLimited,
				Message:    fmt.Sprintf("Too many unfinished direct uploads (at most %d); use or let one expire first", maxOpen),
				RetryAfter: max(time.Until(open.FirstExpiry), time.Second)}
		}
		expires, err = q.InsertUploadKey(ctx, db.InsertUploadKeyParams{Key: k.Key, UserID: k.UserID, Kind: k.Kind,
			ContentType: k.ContentType, Size: k.Size, TtlSeconds: k.TTL.Seconds()})
		return err
	})
	if isForeignKeyViolation(err) {
		return time.Time{}, tiktok.NotFound("User")
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("issue upload key: %w", translate(err))
	}
	return expires, nil
}

// UploadKey returns the issued key, or not_found.
func (s *Store) UploadKey(ctx context.Context, key string) (tiktok.UploadKey, error) {
	r, err := s.q.GetUploadKey(ctx, key)
	if err != nil {
		return tiktok.UploadKey{}, notFound(err, "Upload")
	}
	return tiktok.UploadKey{UserID: r.UserID, Kind: r.Kind, ContentType: r.ContentType, Size: r.Size,
		Expired: r.Expired, Claimed: r.Claimed}, nil
}

// ClaimUploadKey marks the key of userID and kind claimed, once: it reports false when the
// key is not the user's, not of kind, expired, or already claimed (by a parallel request
// too: exactly one of any number of parallel claims wins).
func (s *Store) ClaimUploadKey(ctx context.Context, key string, userID int64, kind string) (bool, error) {
	n, err := s.q.ClaimUploadKey(ctx, db.ClaimUploadKeyParams{Key: key, UserID: userID, Kind: kind})
	if err != nil {
		return false, fmt.Errorf("claim upload key: %w", translate(err))
	}
	return n == 1, nil
}
