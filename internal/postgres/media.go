package postgres

import (
	"context"
	"errors"
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
	// OwnerID is the only user who may claim the object for a video (0: nobody).
	OwnerID int64
}

// StorageRef names a storage-compatible object a new video claims. Field is the request
// field the reference came from ("videoUrl"), named in the errors about it.
type StorageRef struct {
	Bucket, Path string
	Field        string
}

// StorageObject returns the object at bucket/path, or not_found.
func (s *Store) StorageObject(ctx context.Context, bucket, path string) (StorageObject, error) {
	r, err := s.q.GetStorageObject(ctx, db.GetStorageObjectParams{Bucket: bucket, Path: path})
	if err != nil {
		return StorageObject{}, notFound(err, "Object")
	}
	return StorageObject{MediaName: r.MediaName, ContentType: r.ContentType}, nil
}

// errObjectExists is Supabase's answer to an upload to a path that is taken.
func errObjectExists() error {
	return &tiktok.Error{Code: tiktok.CodeValidation, Message: "The resource already exists",
		Fields: map[string]string{"path": "already exists; an object is never replaced"}}
}

func errNoSuchOwner() error {
	return tiktok.Invalid(map[string]string{"path": "names a user that does not exist"})
}

// CheckStorageUpload returns the error an upload of bucket/path owned by owner would end
// with — a validation error when the path is taken or owner does not exist — so that the
// caller can refuse it before reading the body. PutStorageObject still decides.
func (s *Store) CheckStorageUpload(ctx context.Context, bucket, path string, owner int64) error {
	r, err := s.q.CheckStorageUpload(ctx, db.CheckStorageUploadParams{Bucket: bucket, Path: path, OwnerID: owner})
	switch {
	case err != nil:
		return fmt.Errorf("check storage upload: %w", translate(err))
	case r.Taken:
		return errObjectExists()
	case !r.OwnerExists:
		return errNoSuchOwner()
	}
	return nil
}

// PutStorageObject maps bucket/path to a stored file. An existing path is never replaced:
// it is a validation error, as is an owner that does not exist (the caller deletes the
// file it stored).
func (s *Store) PutStorageObject(ctx context.Context, bucket, path string, o StorageObject) error {
	arg := db.InsertStorageObjectParams{Bucket: bucket, Path: path, MediaName: o.MediaName, ContentType: o.ContentType}
	if o.OwnerID != 0 {
		arg.OwnerID = &o.OwnerID
	}
	n, err := s.q.InsertStorageObject(ctx, arg)
	if isForeignKeyViolation(err) {
		return errNoSuchOwner()
	}
	if err != nil {
		return fmt.Errorf("insert storage object: %w", translate(err))
	}
	if n == 0 {
		return errObjectExists()
	}
	return nil
}

// claimStorage marks the object ref names as claimed by a video of userID and returns its
// file. It fails with a validation error when there is no such object or a video already
// owns it, and with forbidden when it belongs to someone else.
func claimStorage(ctx context.Context, q *db.Queries, userID int64, ref StorageRef) (string, error) {
	name, err := q.ClaimStorageObject(ctx, db.ClaimStorageObjectParams{Bucket: ref.Bucket, Path: ref.Path, OwnerID: userID})
	if err == nil {
		return name, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return "", err
	}
	st, err := q.StorageObjectClaimState(ctx, db.StorageObjectClaimStateParams{Bucket: ref.Bucket, Path: ref.Path})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", tiktok.Invalid(map[string]string{ref.Field: "names no stored file (uploads no video uses are deleted after a while)"})
	case err != nil:
		return "", err
	case st.OwnerID == nil || *st.OwnerID != userID:
		return "", &tiktok.Error{Code: tiktok.CodeForbidden, Message: fmt.Sprintf("The stored file of %s belongs to another user", ref.Field)}
	}
	return "", tiktok.Invalid(map[string]string{ref.Field: "is already used by another video"})
}

// ExpireStorageObjects deletes up to limit storage-compatible objects that no video
// claimed within ttl (by the database's clock) and returns their files, for the caller to
// delete. Concurrent calls, from this process or another, never return the same object;
// an object a video is claiming meanwhile is left alone.
func (s *Store) ExpireStorageObjects(ctx context.Context, ttl time.Duration, limit int) ([]string, error) {
	names, err := s.q.ExpireStorageObjects(ctx, db.ExpireStorageObjectsParams{TtlSeconds: ttl.Seconds(), Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("expire storage objects: %w", translate(err))
	}
	return names, nil
}

// ReferencedMedia returns the set of stored-file names some row refers to, counting
// storage-compatible uploads that are claimed or younger than grace as referenced.
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

// ForgetStorageObjects deletes the unclaimed storage-compatible objects of the named
// files and returns the names whose object a video claimed meanwhile: those files must be
// kept.
func (s *Store) ForgetStorageObjects(ctx context.Context, names []string) (kept map[string]bool, err error) {
	left, err := s.q.ForgetUnclaimedStorageObjects(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("forget storage objects: %w", translate(err))
	}
	kept = make(map[string]bool, len(left))
	for _, n := range left {
		kept[n] = true
	}
	return kept, nil
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
