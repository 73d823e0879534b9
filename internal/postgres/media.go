package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// StorageObject is a file stored through the storage-compatible upload route.
type StorageObject struct {
	MediaName   string
	ContentType string
}

// StorageObject returns the object at bucket/path, or not_found.
func (s *Store) StorageObject(ctx context.Context, bucket, path string) (StorageObject, error) {
	r, err := s.q.GetStorageObject(ctx, db.GetStorageObjectParams{Bucket: bucket, Path: path})
	if err != nil {
		return StorageObject{}, notFound(err, "Object")
	}
	return StorageObject{MediaName: r.MediaName, ContentType: r.ContentType}, nil
}

// PutStorageObject maps bucket/path to a stored file. Without upsert an existing path is a
// validation error (the caller deletes the file it stored); with upsert the path is
// re-pointed and the old file is left for the orphans command.
func (s *Store) PutStorageObject(ctx context.Context, bucket, path string, o StorageObject, upsert bool) error {
	arg := db.InsertStorageObjectParams{Bucket: bucket, Path: path, MediaName: o.MediaName, ContentType: o.ContentType}
	if upsert {
		if err := s.q.UpsertStorageObject(ctx, db.UpsertStorageObjectParams(arg)); err != nil {
			return fmt.Errorf("upsert storage object: %w", translate(err))
		}
		return nil
	}
	n, err := s.q.InsertStorageObject(ctx, arg)
	if err != nil {
		return fmt.Errorf("insert storage object: %w", translate(err))
	}
	if n == 0 {
		return &tiktok.Error{Code: tiktok.CodeValidation, Message: "The resource already exists",
			Fields: map[string]string{"path": "already exists (send x-upsert: true to replace it)"}}
	}
	return nil
}

// ReferencedMedia returns the set of stored-file names some row refers to, counting
// storage-compatible uploads younger than grace as referenced.
func (s *Store) ReferencedMedia(ctx context.Context, grace time.Duration) (map[string]bool, error) {
	names, err := s.q.ReferencedMedia(ctx, grace.Seconds())
	if err != nil {
		return nil, fmt.Errorf("referenced media: %w", translate(err))
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set, nil
}

// ForgetStorageObjects deletes the storage-compatible mappings of the named files.
func (s *Store) ForgetStorageObjects(ctx context.Context, names []string) error {
	if err := s.q.DeleteStorageObjectsByMedia(ctx, names); err != nil {
		return fmt.Errorf("forget storage objects: %w", translate(err))
	}
	return nil
}

// Recount sets every denormalised counter to the COUNT(*) of its rows and returns how many
// rows were wrong.
func (s *Store) Recount(ctx context.Context) (int64, error) {
	var fixed int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		fixed, err = RecountTx(ctx, tx)
		return err
	})
	return fixed, err
}

// Querier is what RecountTx runs on: a pool, a connection or a transaction.
type Querier = db.DBTX

// RecountTx is Recount on q (e.g. inside a caller's transaction, as the seed does after a
// bulk load).
func RecountTx(ctx context.Context, q Querier) (int64, error) {
	queries := db.New(q)
	var fixed int64
	for _, step := range []func(context.Context) (int64, error){
		queries.RecountVideoCounters, queries.RecountCommentCounters, queries.RecountUserCounters,
	} {
		n, err := step(ctx)
		if err != nil {
			return fixed, fmt.Errorf("recount: %w", translate(err))
		}
		fixed += n
	}
	return fixed, nil
}

// Drift is one denormalised counter and how many rows hold a value other than the
// COUNT(*) of the rows it counts.
type Drift struct {
	Counter string // e.g. "videos.like_count"
	Wrong   int64
}

// CheckCounters returns, for each of the seven counters, how many rows differ from the
// COUNT(*) of their rows (all zero when nothing drifted). Run it when no writes are in
// flight; q is a pool, a connection or a transaction.
func CheckCounters(ctx context.Context, q Querier) ([]Drift, error) {
	r, err := db.New(q).CounterDrift(ctx)
	if err != nil {
		return nil, fmt.Errorf("check counters: %w", translate(err))
	}
	return []Drift{
		{"videos.like_count", r.VideoLikes},
		{"videos.comment_count", r.VideoComments},
		{"comments.like_count", r.CommentLikes},
		{"users.follower_count", r.UserFollowers},
		{"users.following_count", r.UserFollowing},
		{"users.video_count", r.UserVideos},
		{"users.like_count", r.UserLikes},
	}, nil
}
