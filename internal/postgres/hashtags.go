package postgres

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// maxSoundRunes bounds a sound's name and key (sounds.name allows 255 characters). An
// audio name has at most 255, but NFC can lengthen a few rare characters.
const maxSoundRunes = 255

// captionHashtags returns the tags of a caption as stored: tiktok.Hashtags, bounded by the
// column's limit.
func captionHashtags(caption string) []string {
	return slices.DeleteFunc(tiktok.Hashtags(caption), func(n string) bool {
		return utf8.RuneCountInString(n) > tiktok.MaxHashtagLen
	})
}

// upsertHashtags makes sure the tags names exist and returns their ids, ascending. It takes
// no lock on an existing tag (see queries/hashtags.sql for the lock order).
func upsertHashtags(ctx context.Context, q *db.Queries, names []string) ([]int64, error) {
	if len(names) == 0 {
		return nil, nil
	}
	rows, err := q.UpsertHashtags(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("upsert hashtags: %w", err)
	}
	found := make(map[string]int64, len(names))
	for _, r := range rows {
		found[r.Name] = r.ID
	}
	if len(found) < len(names) {
		// Committed by another transaction while the upsert waited for it: visible now.
		var missing []string
		for _, n := range names {
			if _, ok := found[n]; !ok {
				missing = append(missing, n)
			}
		}
		more, err := q.HashtagIDsByName(ctx, missing)
		if err != nil {
			return nil, fmt.Errorf("hashtag ids: %w", err)
		}
		for _, r := range more {
			found[r.Name] = r.ID
		}
	}
	ids := make([]int64, 0, len(names))
	for _, n := range names {
		id, ok := found[n]
		if !ok {
			return nil, fmt.Errorf("hashtag %q neither inserted nor found", n)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// upsertSound makes sure the sound of an audio name exists and returns its id; nil for no
// audio name (or one that is only white space).
func upsertSound(ctx context.Context, q *db.Queries, audioName *string) (*int64, error) {
	if audioName == nil {
		return nil, nil
	}
	key := truncateRunes(tiktok.SoundKey(*audioName), maxSoundRunes)
	if key == "" {
		return nil, nil
	}
	name := truncateRunes(tiktok.SoundName(*audioName), maxSoundRunes)
	ids, err := q.UpsertSound(ctx, db.UpsertSoundParams{Name: name, NameKey: key})
	if err != nil {
		return nil, fmt.Errorf("upsert sound: %w", err)
	}
	if len(ids) > 0 {
		return &ids[0], nil
	}
	// Committed by another transaction while the upsert waited for it: visible now.
	id, err := q.SoundIDByKey(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("sound id: %w", err)
	}
	return &id, nil
}

// retagVideo gives video exactly the tags ids (ascending), locking the counter rows it
// changes in id order first.
func retagVideo(ctx context.Context, q *db.Queries, video int64, ids []int64) error {
	if ids == nil {
		ids = []int64{}
	}
	changed, err := q.LockHashtagChanges(ctx, db.LockHashtagChangesParams{VideoID: video, Ids: ids})
	if err != nil {
		return fmt.Errorf("lock hashtags: %w", err)
	}
	var added []int64
	removed := false
	for _, id := range changed {
		if _, ok := slices.BinarySearch(ids, id); ok {
			added = append(added, id)
		} else {
			removed = true
		}
	}
	if removed {
		if err := q.UntagVideo(ctx, db.UntagVideoParams{VideoID: video, Ids: ids}); err != nil {
			return fmt.Errorf("untag video: %w", err)
		}
	}
	if len(added) > 0 {
		if err := q.TagVideo(ctx, db.TagVideoParams{VideoID: video, Ids: added}); err != nil {
			return fmt.Errorf("tag video: %w", err)
		}
	}
	return nil
}

// truncateRunes returns s cut to at most n characters.
func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// Hashtag returns the tag with the normalised name, or not_found.
func (s *Store) Hashtag(ctx context.Context, name string) (tiktok.Hashtag, error) {
	r, err := s.q.HashtagByName(ctx, name)
	if err != nil {
		return tiktok.Hashtag{}, notFound(err, "Hashtag")
	}
	return tiktok.Hashtag{ID: r.ID, Name: r.Name, VideoCount: r.VideoCount, ViewCount: r.ViewCount}, nil
}

// TrendingHashtags returns up to limit tags by recent use with decay, best first; tags no
// video carries any more are left out.
func (s *Store) TrendingHashtags(ctx context.Context, limit int) ([]tiktok.Hashtag, error) {
	rows, err := s.q.TrendingHashtags(ctx, int32(limit))
	if err != nil {
		return nil, fmt.Errorf("trending hashtags: %w", translate(err))
	}
	out := make([]tiktok.Hashtag, len(rows))
	for i, r := range rows {
		out[i] = tiktok.Hashtag{ID: r.ID, Name: r.Name, VideoCount: r.VideoCount, ViewCount: r.ViewCount}
	}
	return out, nil
}

// HashtagVideos returns a page of the videos tagged name (normalised), best ranked first,
// at most one per creator (tiktok.Spread), and the key of the next page (nil: the last
// page). It returns not_found for an unknown tag.
func (s *Store) HashtagVideos(ctx context.Context, name string, p tiktok.SpreadPage) ([]tiktok.Video, *tiktok.SpreadKey, error) {
	tag, err := s.q.HashtagByName(ctx, name)
	if err != nil {
		return nil, nil, notFound(err, "Hashtag")
	}
	after := p.Key.After
	if after == (tiktok.RankKey{}) {
		after = tiktok.RankKey{Rank: math.Inf(1), ID: math.MaxInt64}
	}
	deferred := p.Key.Deferred
	if deferred == nil {
		deferred = []int64{}
	}
	rows, err := s.q.HashtagVideoCandidates(ctx, db.HashtagVideoCandidatesParams{
		HashtagID: tag.ID, Deferred: deferred, Exclude: deferred, ViewerID: p.Viewer,
		AfterRank: after.Rank, AfterID: after.ID, Lim: int32(tiktok.SpreadBatch(p.Limit)),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("hashtag video candidates: %w", translate(err))
	}
	var waiting, scanned []tiktok.SpreadItem
	for _, r := range rows {
		it := tiktok.SpreadItem{ID: r.VideoID, CreatorID: r.UserID, Rank: r.HotRank}
		if r.Deferred {
			waiting = append(waiting, it)
		} else {
			scanned = append(scanned, it)
		}
	}
	// The deferred videos in the cursor's order, the scanned ones by rank.
	slices.SortFunc(waiting, func(a, b tiktok.SpreadItem) int {
		return cmp.Compare(slices.Index(deferred, a.ID), slices.Index(deferred, b.ID))
	})
	slices.SortFunc(scanned, func(a, b tiktok.SpreadItem) int {
		return cmp.Or(cmp.Compare(b.Rank, a.Rank), cmp.Compare(b.ID, a.ID))
	})
	page, next := tiktok.Spread(p.Limit, after, waiting, scanned)
	videos, err := s.videosByIDs(ctx, p.Viewer, spreadIDs(page))
	if err != nil {
		return nil, nil, err
	}
	return videos, next, nil
}

// spreadIDs returns the video ids of items, in order.
func spreadIDs(items []tiktok.SpreadItem) []int64 {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	return ids
}
