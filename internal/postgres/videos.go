package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/jobs"
	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// Every read of videos leaves out what the viewer may not see (hidden_video in the SQL,
// CheckVisible for single checks: safety.go).

// ListVideos returns a page of the For You feed, newest first.
func (s *Store) ListVideos(ctx context.Context, p tiktok.Page) ([]tiktok.Video, error) {
	t, id := keyset(p)
	rows, err := s.q.ListVideos(ctx, db.ListVideosParams{ViewerID: p.Viewer, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list videos: %w", translate(err))
	}
	out := make([]tiktok.Video, len(rows))
	for i, r := range rows {
		out[i] = videoFromFeed(r.VideoFeed, r.IsLiked, r.IsBookmarked)
	}
	return out, s.withVideoMentions(ctx, ptrs(out)...)
}

// ListFollowingVideos returns a page of videos by the users p.Viewer follows, newest first:
// from the viewer's inbox and the pulled creators (feed.go), and below the inbox's horizon
// from the pull query.
func (s *Store) ListFollowingVideos(ctx context.Context, p tiktok.Page) ([]tiktok.Video, error) {
	out, err := s.followingFeed(ctx, p)
	if err != nil {
		return nil, err
	}
	return out, s.withVideoMentions(ctx, ptrs(out)...)
}

// ListFollowingVideosPull returns the page ListFollowingVideos returns, computed the way it
// was before the inbox (migration 00025): every followed creator's newest videos, merged.
// Its cost grows with the number followed; the store uses it below an inbox's horizon, and
// tests as the oracle of the inbox.
func (s *Store) ListFollowingVideosPull(ctx context.Context, p tiktok.Page) ([]tiktok.Video, error) {
	t, id := keyset(p)
	out, err := s.followingPull(ctx, p.Viewer, t, id, p.Limit)
	if err != nil {
		return nil, err
	}
	return out, s.withVideoMentions(ctx, ptrs(out)...)
}

func (s *Store) followingPull(ctx context.Context, viewer int64, t time.Time, id int64, limit int) ([]tiktok.Video, error) {
	rows, err := s.q.ListFollowingVideos(ctx, db.ListFollowingVideosParams{ViewerID: viewer, BeforeTime: t, BeforeID: id, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list following videos: %w", translate(err))
	}
	out := make([]tiktok.Video, len(rows))
	for i, r := range rows {
		out[i] = videoFromFeed(r.VideoFeed, r.IsLiked, r.IsBookmarked)
	}
	return out, nil
}

// ListUserVideos returns a page of userID's videos, newest first, or not_found for an
// unknown user or one p.Viewer may not see.
func (s *Store) ListUserVideos(ctx context.Context, userID int64, p tiktok.Page) ([]tiktok.Video, error) {
	t, id := keyset(p)
	rows, err := s.q.ListUserVideos(ctx, db.ListUserVideosParams{ViewerID: p.Viewer, UserID: userID, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list user videos: %w", translate(err))
	}
	if len(rows) == 0 {
		if err := s.CheckVisible(ctx, p.Viewer, tiktok.Target{Type: tiktok.TargetUser, ID: userID}); err != nil {
			return nil, err
		}
	}
	out := make([]tiktok.Video, len(rows))
	for i, r := range rows {
		out[i] = videoFromFeed(r.VideoFeed, r.IsLiked, r.IsBookmarked)
	}
	return out, s.withVideoMentions(ctx, ptrs(out)...)
}

// Video returns the video with id as seen by viewer, or not_found (also for one viewer may
// not see).
func (s *Store) Video(ctx context.Context, id, viewer int64) (tiktok.Video, error) {
	r, err := s.q.GetVideo(ctx, db.GetVideoParams{ID: id, ViewerID: viewer})
	if err != nil {
		return tiktok.Video{}, notFound(err, "Video")
	}
	v := videoFromFeed(r.VideoFeed, r.IsLiked, r.IsBookmarked)
	return v, s.withVideoMentions(ctx, &v)
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

// CreateVideo inserts a video and returns it as its author sees it. Its caption's tags and
// its audio name's sound are created as needed and linked in the same transaction. When v
// names storage-compatible objects, the video claims them in that transaction too: each
// must belong to v.UserID (else forbidden) and exist unclaimed (else a validation error
// naming the reference's field), and of any number of concurrent claims of one object
// exactly one succeeds.
func (s *Store) CreateVideo(ctx context.Context, v tiktok.NewVideo) (tiktok.Video, error) {
	arg := db.CreateVideoParams{
		UserID: v.UserID, Caption: v.Caption, VideoUrl: v.VideoURL, ThumbnailUrl: v.ThumbnailURL,
		AudioName: v.AudioName, VideoStoragePath: v.VideoStoragePath, ThumbnailStoragePath: v.ThumbnailStoragePath,
		VideoMedia: v.VideoMedia, ThumbnailMedia: v.ThumbnailMedia,
	}
	tags := captionHashtags(v.Caption)
	var id int64
	err := s.inRawTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		// The tag and sound rows first, while holding no other lock (queries/hashtags.sql).
		tagIDs, err := upsertHashtags(ctx, q, tags)
		if err != nil {
			return err
		}
		a := arg
		if a.SoundID, err = upsertSound(ctx, q, v.AudioName); err != nil {
			return err
		}
		if err := claimObjects(ctx, q, v.UserID, claim{v.VideoObject, &a.VideoMedia}, claim{v.ThumbnailObject, &a.ThumbnailMedia}); err != nil {
			return err
		}
		// A file of ours goes through the pipeline; the row and its job commit together.
		process := v.Process && a.VideoMedia != nil
		a.Status = string(tiktok.VideoReady)
		if process {
			a.Status = string(tiktok.VideoProcessing)
		}
		if id, err = q.CreateVideo(ctx, a); err != nil {
			if isForeignKeyViolation(err) {
				return &tiktok.Error{Code: tiktok.CodeTokenInvalid, Message: "Not authorized, user no longer exists", Cause: err}
			}
			return err
		}
		if process {
			if err := s.enqueueTx(ctx, tx, jobs.ProcessVideo{VideoID: id}); err != nil {
				return err
			}
		}
		if len(tagIDs) > 0 {
			if err := q.TagVideo(ctx, db.TagVideoParams{VideoID: id, Ids: tagIDs}); err != nil {
				return fmt.Errorf("tag video: %w", err)
			}
		}
		_, err = syncVideoMentions(ctx, q, id, v.UserID, v.Caption, true)
		return err
	})
	if err != nil {
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

// UpdateVideo changes the caption and audio name of userID's video id, and with them its
// tags and its sound, in one transaction. It returns not_found for an unknown video and
// forbidden for someone else's.
func (s *Store) UpdateVideo(ctx context.Context, id, userID int64, u tiktok.VideoUpdate) (tiktok.Video, error) {
	err := s.inTx(ctx, func(q *db.Queries) error {
		// Ownership first (a video's owner never changes), so that a refused edit creates
		// no tag or sound.
		owner, err := visibleOwner(ctx, q, userID, tiktok.Target{Type: tiktok.TargetVideo, ID: id})
		if err != nil {
			return err
		}
		if owner != userID {
			return tiktok.Forbidden()
		}
		// Then the tag and sound rows, while holding no other lock (queries/hashtags.sql).
		var tagIDs []int64
		if u.Caption != nil {
			if tagIDs, err = upsertHashtags(ctx, q, captionHashtags(*u.Caption)); err != nil {
				return err
			}
		}
		var n int64
		if u.SetAudio {
			sound, err := upsertSound(ctx, q, u.AudioName)
			if err != nil {
				return err
			}
			old, err := q.LockVideo(ctx, db.LockVideoParams{ID: id, UserID: userID})
			if err != nil {
				return notFound(err, "Video")
			}
			if ids := soundIDs(old, sound); len(ids) == 2 {
				if err := q.LockSounds(ctx, ids); err != nil {
					return fmt.Errorf("lock sounds: %w", err)
				}
			}
			n, err = q.UpdateVideoAudio(ctx, db.UpdateVideoAudioParams{ID: id, UserID: userID, Caption: u.Caption, AudioName: u.AudioName, SoundID: sound})
			if err != nil {
				return err
			}
		} else {
			if n, err = q.UpdateVideo(ctx, db.UpdateVideoParams{ID: id, UserID: userID, Caption: u.Caption}); err != nil {
				return err
			}
		}
		if n == 0 {
			return tiktok.NotFound("Video") // deleted since the ownership check
		}
		if u.Caption != nil {
			if err := retagVideo(ctx, q, id, tagIDs); err != nil {
				return err
			}
			_, err := syncVideoMentions(ctx, q, id, userID, *u.Caption, false)
			return err
		}
		return nil
	})
	if err != nil {
		return tiktok.Video{}, fmt.Errorf("update video: %w", translate(err))
	}
	return s.Video(ctx, id, userID)
}

// soundIDs returns the distinct non-nil sound ids of a and b, ascending.
func soundIDs(a, b *int64) []int64 {
	var ids []int64
	for _, p := range []*int64{a, b} {
		if p != nil && !slices.Contains(ids, *p) {
			ids = append(ids, *p)
		}
	}
	slices.Sort(ids)
	return ids
}

// DeleteVideo deletes userID's video id (its likes, comments and tags go with it) and
// returns the names of the stored files it owned, for the caller to delete. It returns
// not_found for an unknown video and forbidden for someone else's.
func (s *Store) DeleteVideo(ctx context.Context, id, userID int64) ([]string, error) {
	var files []string
	err := s.inTx(ctx, func(q *db.Queries) error {
		// The counter rows the delete changes, in the order every writer takes them: the
		// video, its owner, its sound, its tags by id (queries/hashtags.sql). Left to the
		// triggers, the tags would come first and the owner last.
		sound, err := q.LockVideoForDelete(ctx, db.LockVideoForDeleteParams{ID: id, UserID: userID})
		if errors.Is(err, pgx.ErrNoRows) {
			return videoOwnerError(ctx, q, id, userID)
		}
		if err != nil {
			return err
		}
		if err := q.LockUser(ctx, userID); err != nil {
			return fmt.Errorf("lock owner: %w", err)
		}
		if sound != nil {
			if err := q.LockSounds(ctx, []int64{*sound}); err != nil {
				return fmt.Errorf("lock sound: %w", err)
			}
		}
		if err := q.LockVideosHashtags(ctx, []int64{id}); err != nil {
			return fmt.Errorf("lock hashtags: %w", err)
		}
		r, err := q.DeleteVideo(ctx, db.DeleteVideoParams{ID: id, UserID: userID})
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

// videoOwnerError explains why userID's mutation of video id matched no row: not_found
// for an unknown video or one userID may not see, else forbidden.
func videoOwnerError(ctx context.Context, q *db.Queries, id, userID int64) error {
	if _, err := visibleOwner(ctx, q, userID, tiktok.Target{Type: tiktok.TargetVideo, ID: id}); err != nil {
		return fmt.Errorf("check visible: %w", err)
	}
	return tiktok.Forbidden()
}

// SetVideoLike likes (like=true) or unlikes videoID for userID, idempotently, and returns
// the video's like count. It returns not_found for an unknown video or one userID may not
// see (hidden, or a block between userID and its owner).
func (s *Store) SetVideoLike(ctx context.Context, userID, videoID int64, like bool) (int64, error) {
	arg := db.LikeVideoParams{UserID: userID, VideoID: videoID}
	target := tiktok.Target{Type: tiktok.TargetVideo, ID: videoID}
	return s.setRelation(ctx, "Video", like,
		func(q *db.Queries) (int64, error) {
			if _, err := visibleOwner(ctx, q, userID, target); err != nil {
				return 0, err
			}
			return q.LikeVideo(ctx, arg)
		},
		func(q *db.Queries) (int64, error) {
			if _, err := visibleOwner(ctx, q, userID, target); err != nil {
				return 0, err
			}
			return q.UnlikeVideo(ctx, db.UnlikeVideoParams(arg))
		},
		func(q *db.Queries) (int64, error) { return q.VideoLikeCount(ctx, videoID) })
}

// AddViews adds counted views to videos in one statement (after locking what it changes);
// unknown ids are ignored.
func (s *Store) AddViews(ctx context.Context, views map[int64]int64) error {
	ids := make([]int64, 0, len(views))
	counts := make([]int64, 0, len(views))
	for id, n := range views {
		ids = append(ids, id)
		counts = append(counts, n)
	}
	err := s.inTx(ctx, func(q *db.Queries) error {
		// The videos by id, then their tags by id (queries/hashtags.sql): left to the
		// triggers, the update would lock each video and then its tags, video after video,
		// and deadlock with writers that hold a video and wait for a tag.
		if err := q.LockVideos(ctx, ids); err != nil {
			return fmt.Errorf("lock videos: %w", err)
		}
		if err := q.LockVideosHashtags(ctx, ids); err != nil {
			return fmt.Errorf("lock hashtags: %w", err)
		}
		if err := q.AddVideoViews(ctx, db.AddVideoViewsParams{Ids: ids, Counts: counts}); err != nil {
			return err
		}
		// The tags' view counts, one update per tag (migration 00010).
		return q.AddHashtagViews(ctx, db.AddHashtagViewsParams{Ids: ids, Counts: counts})
	})
	if err != nil {
		return fmt.Errorf("add views: %w", translate(err))
	}
	return nil
}

func videoFromFeed(f db.VideoFeed, liked, bookmarked bool) tiktok.Video {
	return tiktok.Video{
		ID: f.ID, UserID: f.UserID, Caption: f.Caption, VideoURL: f.VideoUrl, ThumbnailURL: f.ThumbnailUrl,
		AudioName: f.AudioName, VideoStoragePath: f.VideoStoragePath, ThumbnailStoragePath: f.ThumbnailStoragePath,
		VideoMedia: f.VideoMedia, ThumbnailMedia: f.ThumbnailMedia,
		Views: f.Views, LikeCount: f.LikeCount, CommentCount: f.CommentCount,
		CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
		User:    tiktok.UserMini{ID: f.UserID, Username: f.AuthorUsername, Name: f.AuthorName, Avatar: f.AuthorAvatar},
		IsLiked: liked,
		SoundID: f.SoundID, HotRank: f.HotRank,
		BookmarkCount: f.BookmarkCount, ShareCount: f.ShareCount, IsBookmarked: bookmarked,
		HiddenReason: f.HiddenReason,
		Status:       tiktok.VideoStatus(f.Status), FailureReason: f.FailureReason,
		DurationMs: f.DurationMs, Width: f.Width, Height: f.Height,
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
