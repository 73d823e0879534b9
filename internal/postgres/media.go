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

// tiktok.StorageObject returns the object at bucket/path, or not_found.
func (s *Store) StorageObject(ctx context.Context, bucket, path string) (tiktok.StorageObject, error) {
	r, err := s.q.GetStorageObject(ctx, db.GetStorageObjectParams{Bucket: bucket, Path: path})
	if err != nil {
		return tiktok.StorageObject{}, notFound(err, "Object")
	}
	return tiktok.StorageObject{MediaName: r.MediaName, ContentType: r.ContentType}, nil
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
func (s *Store) PutStorageObject(ctx context.Context, bucket, path string, o tiktok.StorageObject) error {
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
func claimStorage(ctx context.Context, q *db.Queries, userID int64, ref tiktok.StorageRef) (string, error) {
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
