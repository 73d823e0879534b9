package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// ListVideos returns a page of the For You feed, newest first.
func (s *Store) ListVideos(ctx context.Context, p tiktok.Page) ([]tiktok.Video, error) {
	t, id := keyset(p)
	rows, err := s.q.ListVideos(ctx, db.ListVideosParams{ViewerID: p.Viewer, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list videos: %w", translate(err))
	}
	out := make([]tiktok.Video, len(rows))
	for i, r := range rows {
		out[i] = videoFromFeed(r.VideoFeed, r.IsLiked)
	}
	return out, nil
}

// ListFollowingVideos returns a page of videos by the users p.Viewer follows, newest first.
func (s *Store) ListFollowingVideos(ctx context.Context, p tiktok.Page) ([]tiktok.Video, error) {
	t, id := keyset(p)
	rows, err := s.q.ListFollowingVideos(ctx, db.ListFollowingVideosParams{ViewerID: p.Viewer, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list following videos: %w", translate(err))
	}
	out := make([]tiktok.Video, len(rows))
	for i, r := range rows {
		out[i] = videoFromFeed(r.VideoFeed, r.IsLiked)
	}
	return out, nil
}

// ListUserVideos returns a page of userID's videos, newest first, or not_found for an
// unknown user.
func (s *Store) ListUserVideos(ctx context.Context, userID int64, p tiktok.Page) ([]tiktok.Video, error) {
	t, id := keyset(p)
	rows, err := s.q.ListUserVideos(ctx, db.ListUserVideosParams{ViewerID: p.Viewer, UserID: userID, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list user videos: %w", translate(err))
	}
	if len(rows) == 0 {
		if err := s.userMustExist(ctx, userID); err != nil {
			return nil, err
		}
	}
	out := make([]tiktok.Video, len(rows))
	for i, r := range rows {
		out[i] = videoFromFeed(r.VideoFeed, r.IsLiked)
	}
	return out, nil
}

// Video returns the video with id as seen by viewer, or not_found.
func (s *Store) Video(ctx context.Context, id, viewer int64) (tiktok.Video, error) {
	r, err := s.q.GetVideo(ctx, db.GetVideoParams{ID: id, ViewerID: viewer})
	if err != nil {
		return tiktok.Video{}, notFound(err, "Video")
	}
	return videoFromFeed(r.VideoFeed, r.IsLiked), nil
}

// VideoExists returns not_found unless a video with id exists.
func (s *Store) VideoExists(ctx context.Context, id int64) error {
	ok, err := s.q.VideoExists(ctx, id)
	if err != nil {
		return fmt.Errorf("video exists: %w", translate(err))
	}
	if !ok {
		return tiktok.NotFound("Video")
	}
	return nil
}

// CreateVideo inserts a video and returns it as its author sees it. When v names
// storage-compatible objects, the video claims them in the same transaction: each must
// belong to v.UserID (else forbidden) and exist unclaimed (else a validation error naming
// the reference's field), and of any number of concurrent claims of one object exactly
// one succeeds.
func (s *Store) CreateVideo(ctx context.Context, v tiktok.NewVideo) (tiktok.Video, error) {
	arg := db.CreateVideoParams{
		UserID: v.UserID, Caption: v.Caption, VideoUrl: v.VideoURL, ThumbnailUrl: v.ThumbnailURL,
		AudioName: v.AudioName, VideoStoragePath: v.VideoStoragePath, ThumbnailStoragePath: v.ThumbnailStoragePath,
		VideoMedia: v.VideoMedia, ThumbnailMedia: v.ThumbnailMedia,
	}
	var id int64
	var err error
	if v.VideoObject == nil && v.ThumbnailObject == nil {
		id, err = s.q.CreateVideo(ctx, arg)
	} else {
		err = s.inTx(ctx, func(q *db.Queries) error {
			a := arg
			if err := claimObjects(ctx, q, v.UserID, claim{v.VideoObject, &a.VideoMedia}, claim{v.ThumbnailObject, &a.ThumbnailMedia}); err != nil {
				return err
			}
			var err error
			id, err = q.CreateVideo(ctx, a)
			return err
		})
	}
	if err != nil {
		if isForeignKeyViolation(err) {
			return tiktok.Video{}, &tiktok.Error{Code: tiktok.CodeTokenInvalid, Message: "Not authorized, user no longer exists", Cause: err}
		}
		return tiktok.Video{}, fmt.Errorf("create video: %w", translate(err))
	}
	return s.Video(ctx, id, v.UserID)
}

// claim is a storage object to claim and where its file name goes.
type claim struct {
	ref  *tiktok.StorageRef
	name **string
}

// claimObjects claims the objects of claims for userID, in (bucket, path) order so that
// two transactions claiming the same objects cannot deadlock.
func claimObjects(ctx context.Context, q *db.Queries, userID int64, claims ...claim) error {
	claims = slices.DeleteFunc(claims, func(c claim) bool { return c.ref == nil })
	slices.SortFunc(claims, func(a, b claim) int {
		return cmp.Or(cmp.Compare(a.ref.Bucket, b.ref.Bucket), cmp.Compare(a.ref.Path, b.ref.Path))
	})
	for _, c := range claims {
		name, err := claimStorage(ctx, q, userID, *c.ref)
		if err != nil {
			return err
		}
		*c.name = &name
	}
	return nil
}

// UpdateVideo changes the caption and audio name of userID's video id. It returns
// not_found for an unknown video and forbidden for someone else's.
func (s *Store) UpdateVideo(ctx context.Context, id, userID int64, u tiktok.VideoUpdate) (tiktok.Video, error) {
	n, err := s.q.UpdateVideo(ctx, db.UpdateVideoParams{ID: id, UserID: userID, Caption: u.Caption, SetAudioName: u.SetAudio, AudioName: u.AudioName})
	if err != nil {
		return tiktok.Video{}, fmt.Errorf("update video: %w", translate(err))
	}
	if n == 0 {
		return tiktok.Video{}, s.videoOwnerError(ctx, id)
	}
	return s.Video(ctx, id, userID)
}

// DeleteVideo deletes userID's video id (its likes and comments go with it) and returns
// the names of the stored files it owned, for the caller to delete. It returns not_found
// for an unknown video and forbidden for someone else's.
func (s *Store) DeleteVideo(ctx context.Context, id, userID int64) ([]string, error) {
	var files []string
	err := s.inTx(ctx, func(q *db.Queries) error {
		r, err := q.DeleteVideo(ctx, db.DeleteVideoParams{ID: id, UserID: userID})
		if errors.Is(err, pgx.ErrNoRows) {
			return s.videoOwnerError(ctx, id)
		}
		if err != nil {
			return err
		}
		files = names(r.VideoMedia, r.ThumbnailMedia)
		return q.DeleteStorageObjectsByMedia(ctx, files)
	})
	if err != nil {
		return nil, fmt.Errorf("delete video: %w", translate(err))
	}
	return files, nil
}

// videoOwnerError explains why a mutation of video id matched no row.
func (s *Store) videoOwnerError(ctx context.Context, id int64) error {
	if _, err := s.q.VideoOwner(ctx, id); err != nil {
		return notFound(err, "Video")
	}
	return tiktok.Forbidden()
}

// SetVideoLike likes (like=true) or unlikes videoID for userID, idempotently, and returns
// the video's like count. It returns not_found for an unknown video.
func (s *Store) SetVideoLike(ctx context.Context, userID, videoID int64, like bool) (int64, error) {
	arg := db.LikeVideoParams{UserID: userID, VideoID: videoID}
	return s.setRelation(ctx, "Video", like,
		func(q *db.Queries) (int64, error) { return q.LikeVideo(ctx, arg) },
		func(q *db.Queries) (int64, error) { return q.UnlikeVideo(ctx, db.UnlikeVideoParams(arg)) },
		func(q *db.Queries) (int64, error) { return q.VideoLikeCount(ctx, videoID) })
}

// AddViews adds counted views to videos in one statement; unknown ids are ignored.
func (s *Store) AddViews(ctx context.Context, views map[int64]int64) error {
	ids := make([]int64, 0, len(views))
	counts := make([]int64, 0, len(views))
	for id, n := range views {
		ids = append(ids, id)
		counts = append(counts, n)
	}
	if err := s.q.AddVideoViews(ctx, db.AddVideoViewsParams{Ids: ids, Counts: counts}); err != nil {
		return fmt.Errorf("add views: %w", translate(err))
	}
	return nil
}

func videoFromFeed(f db.VideoFeed, liked bool) tiktok.Video {
	return tiktok.Video{
		ID: f.ID, UserID: f.UserID, Caption: f.Caption, VideoURL: f.VideoUrl, ThumbnailURL: f.ThumbnailUrl,
		AudioName: f.AudioName, VideoStoragePath: f.VideoStoragePath, ThumbnailStoragePath: f.ThumbnailStoragePath,
		VideoMedia: f.VideoMedia, ThumbnailMedia: f.ThumbnailMedia,
		Views: f.Views, LikeCount: f.LikeCount, CommentCount: f.CommentCount,
		CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
		User:    tiktok.UserMini{ID: f.UserID, Username: f.AuthorUsername, Name: f.AuthorName, Avatar: f.AuthorAvatar},
		IsLiked: liked,
		SoundID: f.SoundID, HotRank: f.HotRank,
	}
}

// names returns the non-nil names.
func names(ns ...*string) []string {
	var out []string
	for _, n := range ns {
		if n != nil && *n != "" {
			out = append(out, *n)
		}
	}
	return out
}
