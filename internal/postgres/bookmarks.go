package postgres

import (
	"context"
	"fmt"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// SetVideoBookmark bookmarks (on=true) or unbookmarks videoID for userID, idempotently, and
// returns the video's bookmark count. It returns not_found for an unknown video, or for a
// bookmark of one userID may not see (removing a bookmark always works).
func (s *Store) SetVideoBookmark(ctx context.Context, userID, videoID int64, on bool) (int64, error) {
	arg := db.BookmarkVideoParams{UserID: userID, VideoID: videoID}
	target := tiktok.Target{Type: tiktok.TargetVideo, ID: videoID}
	return s.setRelation(ctx, "Video", on,
		func(q *db.Queries) (int64, error) {
			if _, err := visibleOwner(ctx, q, userID, target); err != nil {
				return 0, err
			}
			return q.BookmarkVideo(ctx, arg)
		},
		func(q *db.Queries) (int64, error) { return q.UnbookmarkVideo(ctx, db.UnbookmarkVideoParams(arg)) },
		func(q *db.Queries) (int64, error) { return q.VideoBookmarkCount(ctx, videoID) })
}

// ListBookmarks returns a page of userID's bookmarks, newest bookmark first (p.After is
// the (bookmark time, video id) of the last one of the previous page). Nobody else's
// bookmarks can be asked for: the list is always the caller's.
func (s *Store) ListBookmarks(ctx context.Context, userID int64, p tiktok.Page) ([]tiktok.Bookmark, error) {
	t, id := keyset(p)
	rows, err := s.q.ListBookmarks(ctx, db.ListBookmarksParams{UserID: userID, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list bookmarks: %w", translate(err))
	}
	out := make([]tiktok.Bookmark, len(rows))
	for i, r := range rows {
		out[i] = tiktok.Bookmark{Video: videoFromFeed(r.VideoFeed, r.IsLiked, true), BookmarkedAt: r.BookmarkedAt}
	}
	return out, nil
}

// ListLikedVideos returns a page of the videos userID likes, newest like first, leaving out
// those userID may not see any more.
func (s *Store) ListLikedVideos(ctx context.Context, userID int64, p tiktok.Page) ([]tiktok.LikedVideo, error) {
	t, id := keyset(p)
	rows, err := s.q.ListLikedVideos(ctx, db.ListLikedVideosParams{UserID: userID, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list liked videos: %w", translate(err))
	}
	out := make([]tiktok.LikedVideo, len(rows))
	for i, r := range rows {
		out[i] = tiktok.LikedVideo{Video: videoFromFeed(r.VideoFeed, true, r.IsBookmarked), LikedAt: r.LikedAt}
	}
	return out, nil
}

// ShareVideo records that userID shared videoID through channel (one of
// tiktok.ShareChannels) and returns the video's share count. Only the first share of a
// video by a user in a UTC day (the database's clock) is counted; later ones that day
// change nothing and report Counted false, also when they race the first. It returns
// not_found for an unknown video or one userID may not see.
func (s *Store) ShareVideo(ctx context.Context, userID, videoID int64, channel string) (tiktok.Share, error) {
	var out tiktok.Share
	err := s.inTx(ctx, func(q *db.Queries) error {
		if _, err := visibleOwner(ctx, q, userID, tiktok.Target{Type: tiktok.TargetVideo, ID: videoID}); err != nil {
			return err
		}
		n, err := q.ShareVideo(ctx, db.ShareVideoParams{UserID: userID, VideoID: videoID, Channel: channel})
		if err != nil {
			if isForeignKeyViolation(err) {
				return tiktok.NotFound("Video")
			}
			return err
		}
		out.Counted = n == 1
		out.ShareCount, err = q.VideoShareCount(ctx, videoID)
		return notFound(err, "Video")
	})
	if err != nil {
		return tiktok.Share{}, fmt.Errorf("share video: %w", translate(err))
	}
	return out, nil
}
