package postgres

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/readpref"
	"github.com/gotok/tiktok/internal/tiktok"
)

// The For You feed.
//
// Candidates come from indexes, never from scoring the table: the global hot ranking
// (videos_hot_rank_id_idx), the newest videos of followed creators, of the creators and
// tags the viewer engages with most, and fresh videos. Each is scored
//
//	score = hot_rank + followBoost·[follows the creator] + boost(creator interest) + boost(tag interest)
//
// in half-lives (hot_rank's unit), so a boost of 1 is worth being one half-life newer. The
// scored candidates are then arranged: no creator twice within any diversityWindow
// consecutive videos, and a fresh video (under freshAge, under freshMaxViews views) at least
// every freshEvery videos when one exists.
//
// A walk through the feed is a session (feed_sessions): the arranged ids so far, extended a
// chunk at a time. Pages are slices of it, so likes, views and new videos during the walk
// cannot make a page repeat or skip a video, and the arrangement rules hold across page
// boundaries. A new chunk excludes every id already in the session and is ranked afresh, so a
// video that rose in the meantime is served then, not lost.
const (
	followBoost     = 1.0 // half-lives a followed creator's video gains
	maxInterestGain = 2.0 // cap of an interest's boost, in half-lives
	maxInterestLoss = 4.0 // cap of a negative interest's penalty ("not interested")
	notInterestedBy = 3.0 // interest a "not interested" takes from the creator and tags
	completedViewBy = 0.5 // interest a completed view adds (a like adds 1, a comment 2)
	diversityWindow = 5   // no creator twice within this many consecutive videos
	freshEvery      = 10  // at least one fresh video in this many
	freshAge        = 48 * time.Hour
	freshMaxViews   = 100  // "few views"
	freshCandidates = 20   // fresh videos considered per chunk
	maxSession      = 1000 // videos one session holds; then the walk starts a new one
	sessionTTL      = time.Hour

	stageUnseen = 0 // only videos the viewer has not seen
	stageSeen   = 1 // every unseen video was served; seen ones follow
	stageDone   = 2 // nothing left
)

// session is a For You session as stored.
type session struct {
	id         int64
	videos     []int64
	creators   []int64
	sinceFresh int
	stage      int
}

// chunkFor is how many videos a session gets at a time for pages of limit: a few pages'
// worth, so most pages only read the session.
func chunkFor(limit int) int { return min(max(2*limit, 20), 100) }

// ForYou returns the page of viewer's For You feed at cur (the zero cursor starts a new
// session). A cursor whose session expired or belongs to someone else starts a new session.
func (s *Store) ForYou(ctx context.Context, viewer int64, cur tiktok.FeedCursor, limit int) (tiktok.FeedPage, error) {
	page, err := s.forYou(ctx, viewer, cur, limit)
	if err != nil {
		return tiktok.FeedPage{}, fmt.Errorf("for you: %w", translate(err))
	}
	return page, nil
}

func (s *Store) forYou(ctx context.Context, viewer int64, cur tiktok.FeedCursor, limit int) (tiktok.FeedPage, error) {
	var sess session
	if cur.Session != 0 {
		r, err := s.q.GetFeedSession(readpref.Primary(ctx), db.GetFeedSessionParams{ID: cur.Session, UserID: owner(viewer)})
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			cur = tiktok.FeedCursor{}
		case err != nil:
			return tiktok.FeedPage{}, err
		default:
			sess = session{id: cur.Session, videos: r.VideoIds, creators: r.CreatorIds, sinceFresh: int(r.SinceFresh), stage: int(r.Stage)}
		}
	}
	if cur.Session == 0 {
		var err error
		// The first chunk is one page: the first page is the one every walk pays for.
		if sess, err = s.newSession(ctx, viewer, limit); err != nil {
			return tiktok.FeedPage{}, err
		}
		cur = tiktok.FeedCursor{Session: sess.id}
	}
	end := cur.Pos + limit
	if end > len(sess.videos) && growable(sess) {
		var err error
		if sess, err = s.extendSession(ctx, viewer, sess.id, end-len(sess.videos)+chunkFor(limit)); err != nil {
			return tiktok.FeedPage{}, err
		}
	}
	ids := sess.videos[min(cur.Pos, len(sess.videos)):min(end, len(sess.videos))]
	videos, err := s.videosByIDs(ctx, viewer, ids)
	if err != nil {
		return tiktok.FeedPage{}, err
	}
	page := tiktok.FeedPage{Videos: videos}
	switch {
	case end < len(sess.videos) || growable(sess):
		page.Next = &tiktok.FeedCursor{Session: sess.id, Pos: end}
	case sess.stage != stageDone:
		// The session is full: the walk goes on in a new one.
		page.Next = &tiktok.FeedCursor{}
	}
	return page, nil
}

// growable reports whether more videos can be added to sess.
func growable(sess session) bool { return sess.stage != stageDone && len(sess.videos) < maxSession }

// owner is the feed_sessions.user_id of viewer's sessions.
func owner(viewer int64) *int64 {
	if viewer == 0 {
		return nil
	}
	return &viewer
}

// newSession arranges the first need videos of a new session and stores it.
func (s *Store) newSession(ctx context.Context, viewer int64, need int) (session, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return session{}, fmt.Errorf("session id: %w", err)
	}
	// Empty, not nil: a nil array is SQL NULL, and "id <> ALL (NULL)" holds for no row.
	sess := session{id: int64(binary.BigEndian.Uint64(b[:])&math.MaxInt64) | 1, videos: []int64{}, creators: []int64{}}
	if err := s.fill(ctx, s.q, viewer, &sess, need); err != nil {
		return session{}, err
	}
	err := s.q.CreateFeedSession(ctx, db.CreateFeedSessionParams{
		ID: sess.id, UserID: owner(viewer), VideoIds: sess.videos, CreatorIds: sess.creators,
		SinceFresh: int32(sess.sinceFresh), Stage: int16(sess.stage),
	})
	return sess, err
}

// extendSession adds up to need videos to session id under its row lock, so that two
// requests at the end of one session (two tabs, or anonymous viewers sharing one) extend
// it once.
func (s *Store) extendSession(ctx context.Context, viewer, id int64, need int) (session, error) {
	var sess session
	err := s.inTx(ctx, func(q *db.Queries) error {
		r, err := q.LockFeedSession(ctx, db.LockFeedSessionParams{ID: id, UserID: owner(viewer)})
		if err != nil {
			return err
		}
		sess = session{id: id, videos: r.VideoIds, creators: r.CreatorIds, sinceFresh: int(r.SinceFresh), stage: int(r.Stage)}
		before := len(sess.videos)
		if err := s.fill(ctx, q, viewer, &sess, need); err != nil {
			return err
		}
		return q.ExtendFeedSession(ctx, db.ExtendFeedSessionParams{
			ID: id, VideoIds: sess.videos[before:], CreatorIds: sess.creators[before:],
			SinceFresh: int32(sess.sinceFresh), Stage: int16(sess.stage),
		})
	})
	return sess, err
}

// candidate is a video that may be served next, scored for the viewer.
type candidate struct {
	id, creator int64
	score       float64
	fresh       bool
}

// fill appends up to need arranged videos to sess, moving it to the next stage when a
// stage runs out of videos.
func (s *Store) fill(ctx context.Context, q *db.Queries, viewer int64, sess *session, need int) error {
	need = min(need, maxSession-len(sess.videos))
	now := time.Now()
	for need > 0 && sess.stage != stageDone {
		hotLimit := 3*need + 2*diversityWindow
		for attempt := 0; ; attempt++ {
			rows, err := q.ForYouCandidates(ctx, db.ForYouCandidatesParams{
				ViewerID: viewer, Exclude: sess.videos, SkipSeen: sess.stage == stageUnseen,
				HotLimit: int32(hotLimit), FreshMaxViews: freshMaxViews, FreshSince: now.Add(-freshAge),
				FreshLimit: freshCandidates,
			})
			if err != nil {
				return err
			}
			exhausted := countHot(rows) < hotLimit
			placed := arrange(sess, score(rows, now), need, exhausted || attempt == 2)
			need -= placed
			if exhausted && need > 0 {
				sess.stage++ // every candidate was placed: on to seen videos, or the end
			}
			if placed > 0 || exhausted {
				break
			}
			hotLimit *= 4 // the best candidates all repeat a recent creator: look deeper
		}
	}
	return nil
}

func countHot(rows []db.ForYouCandidatesRow) int {
	n := 0
	for _, r := range rows {
		if r.FromHot {
			n++
		}
	}
	return n
}

// score turns candidate rows into candidates, best first.
func score(rows []db.ForYouCandidatesRow, now time.Time) []candidate {
	out := make([]candidate, len(rows))
	for i, r := range rows {
		sc := r.HotRank + interestBoost(r.CreatorInterest) + interestBoost(r.TagInterest)
		if r.Followed {
			sc += followBoost
		}
		out[i] = candidate{id: r.ID, creator: r.UserID, score: sc,
			fresh: r.Views < freshMaxViews && now.Sub(r.CreatedAt) < freshAge}
	}
	slices.SortFunc(out, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(b.id, a.id))
	})
	return out
}

// interestBoost is what an interest of weight w adds to a score: log2(1+w), at most
// maxInterestGain; a negative interest subtracts log2(1−w), at most maxInterestLoss.
func interestBoost(w float64) float64 {
	if w >= 0 {
		return min(maxInterestGain, math.Log2(1+w))
	}
	return -min(maxInterestLoss, math.Log2(1-w))
}

// arrange appends up to need of pool (best first) to sess: each time the best candidate
// whose creator is not among the last diversityWindow−1 served, a fresh one when
// freshEvery−1 non-fresh videos came in a row. Without a candidate that keeps the creator
// rule it stops, unless relax (the pool is all there is) lets the best one through.
// It returns how many it placed.
func arrange(sess *session, pool []candidate, need int, relax bool) int {
	placed := 0
	for placed < need && len(pool) > 0 {
		recent := sess.creators[max(0, len(sess.creators)-(diversityWindow-1)):]
		ok := func(c candidate) bool { return !slices.Contains(recent, c.creator) }
		pick := -1
		if sess.sinceFresh >= freshEvery-1 {
			pick = slices.IndexFunc(pool, func(c candidate) bool { return c.fresh && ok(c) })
		}
		if pick < 0 {
			pick = slices.IndexFunc(pool, ok)
		}
		if pick < 0 {
			if !relax {
				break
			}
			pick = 0
		}
		c := pool[pick]
		pool = slices.Delete(pool, pick, pick+1)
		sess.videos = append(sess.videos, c.id)
		sess.creators = append(sess.creators, c.creator)
		if c.fresh {
			sess.sinceFresh = 0
		} else {
			sess.sinceFresh++
		}
		placed++
	}
	return placed
}

// videosByIDs returns the videos of ids in that order, as viewer sees them; ids of videos
// deleted meanwhile are left out.
func (s *Store) videosByIDs(ctx context.Context, viewer int64, ids []int64) ([]tiktok.Video, error) {
	if len(ids) == 0 {
		return []tiktok.Video{}, nil
	}
	rows, err := s.q.VideosByIDs(ctx, db.VideosByIDsParams{ViewerID: viewer, Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("videos by ids: %w", translate(err))
	}
	byID := make(map[int64]tiktok.Video, len(rows))
	for _, r := range rows {
		byID[r.VideoFeed.ID] = videoFromFeed(r.VideoFeed, r.IsLiked, r.IsBookmarked)
	}
	out := make([]tiktok.Video, 0, len(ids))
	for _, id := range ids {
		if v, ok := byID[id]; ok {
			out = append(out, v)
		}
	}
	return out, s.withVideoMentions(ctx, ptrs(out)...)
}

// MarkSeen records that users[i] saw videos[i], for every i; pairs naming a user or video
// that does not exist are skipped. It returns how many pairs were new.
func (s *Store) MarkSeen(ctx context.Context, users, videos []int64) (int64, error) {
	n, err := s.q.MarkSeen(ctx, db.MarkSeenParams{UserIds: users, VideoIds: videos})
	if err != nil {
		return 0, fmt.Errorf("mark seen: %w", translate(err))
	}
	return n, nil
}

// CompletedView adds to viewer's interest in the creator and tags of a video they watched
// to the end.
func (s *Store) CompletedView(ctx context.Context, viewer, videoID int64) error {
	if err := s.q.AddInterest(ctx, db.AddInterestParams{UserID: viewer, VideoID: videoID, Delta: completedViewBy}); err != nil {
		if isForeignKeyViolation(err) {
			return tiktok.NotFound("User")
		}
		return fmt.Errorf("completed view: %w", translate(err))
	}
	return nil
}

// NotInterested keeps videoID out of viewer's For You feed for good and lowers viewer's
// interest in its creator and tags; hideCreator also hides every video of the creator.
// It returns not_found for an unknown video and a validation error for one's own video.
func (s *Store) NotInterested(ctx context.Context, viewer, videoID int64, hideCreator bool) error {
	err := s.inTx(ctx, func(q *db.Queries) error {
		creator, err := q.VideoOwner(ctx, videoID)
		if err != nil {
			return notFound(err, "Video")
		}
		if creator == viewer {
			return &tiktok.Error{Code: tiktok.CodeValidation, Message: "This is your own video"}
		}
		if _, err := q.MarkNotInterested(ctx, db.MarkNotInterestedParams{VideoID: videoID, UserID: viewer}); err != nil {
			return notFound(err, "Video")
		}
		if err := q.LowerInterest(ctx, db.LowerInterestParams{UserID: viewer, VideoID: videoID, Change: -notInterestedBy}); err != nil {
			return err
		}
		if hideCreator {
			_, err = q.HideCreator(ctx, db.HideCreatorParams{UserID: viewer, CreatorID: creator})
		}
		return err
	})
	if err != nil {
		if isForeignKeyViolation(err) {
			return tiktok.NotFound("Video")
		}
		return fmt.Errorf("not interested: %w", translate(err))
	}
	return nil
}

// SetCreatorHidden hides (or shows again) every video of creator in viewer's For You feed.
// It returns not_found for an unknown user and a validation error for oneself.
func (s *Store) SetCreatorHidden(ctx context.Context, viewer, creator int64, hidden bool) error {
	if viewer == creator {
		return &tiktok.Error{Code: tiktok.CodeValidation, Message: "You cannot hide yourself"}
	}
	var err error
	if hidden {
		_, err = s.q.HideCreator(ctx, db.HideCreatorParams{UserID: viewer, CreatorID: creator})
	} else {
		_, err = s.q.UnhideCreator(ctx, db.UnhideCreatorParams{UserID: viewer, CreatorID: creator})
		if err == nil {
			err = s.userMustExist(ctx, creator)
		}
	}
	if err != nil {
		if isForeignKeyViolation(err) {
			return tiktok.NotFound("User")
		}
		return fmt.Errorf("hide creator: %w", translate(err))
	}
	return nil
}

// ConfigureRanking stores r as the ranking's weights. When they differ from the stored ones
// it re-ranks every video (one UPDATE; at a million videos, seconds) and returns how many
// ranks changed.
func (s *Store) ConfigureRanking(ctx context.Context, r tiktok.Ranking) (int64, error) {
	var changed int64
	err := s.inTx(ctx, func(q *db.Queries) error {
		n, err := q.SetRankingSettings(ctx, db.SetRankingSettingsParams{
			LikeWeight: r.LikeWeight, CommentWeight: r.CommentWeight, ViewWeight: r.ViewWeight, ShareWeight: r.ShareWeight,
			HalfLifeSeconds: r.HalfLife.Seconds(), InterestHalfLifeSeconds: r.InterestHalfLife.Seconds(),
		})
		if err != nil || n == 0 {
			return err
		}
		changed, err = q.RerankVideos(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("configure ranking: %w", translate(err))
	}
	return changed, nil
}

// PruneFeed forgets For You sessions older than an hour and interests that decayed to
// nothing, and returns how many rows went.
func (s *Store) PruneFeed(ctx context.Context) (int64, error) {
	var total int64
	for _, step := range []func() (int64, error){
		func() (int64, error) { return s.q.DeleteOldFeedSessions(ctx, time.Now().Add(-sessionTTL)) },
		func() (int64, error) { return s.q.PruneInterests(ctx) },
		func() (int64, error) { return s.q.PruneHashtagInterests(ctx) },
	} {
		n, err := step()
		if err != nil {
			return total, fmt.Errorf("prune feed: %w", translate(err))
		}
		total += n
	}
	return total, nil
}
