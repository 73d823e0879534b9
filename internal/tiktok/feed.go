package tiktok

import "time"

// Ranking holds the weights of the For You ranking (see docs/design.md, "For You").
// A video's hot rank is
//
//	created_at / HalfLife + log2(1 + LikeWeight·likes + CommentWeight·comments + ViewWeight·views + ShareWeight·shares)
//
// so doubling the weighted engagement is worth one HalfLife of freshness. A viewer's
// interests in creators and tags fade with InterestHalfLife.
type Ranking struct {
	LikeWeight       float64
	CommentWeight    float64
	ViewWeight       float64
	ShareWeight      float64
	HalfLife         time.Duration
	InterestHalfLife time.Duration
}

// DefaultRanking is the ranking used unless configured otherwise: a comment is worth three
// likes (it costs the viewer more), a view a tenth of one (views are cheap and counted for
// anonymous clients too), a share two (a deliberate recommendation to someone else, counted
// once per user per video per day), engagement halves in weight against fresher videos
// every six hours, and a viewer's tastes every two weeks.
func DefaultRanking() Ranking {
	return Ranking{LikeWeight: 1, CommentWeight: 3, ViewWeight: 0.1, ShareWeight: 2, HalfLife: 6 * time.Hour, InterestHalfLife: 14 * 24 * time.Hour}
}

// FeedCursor is a position in a For You session: the session's id and how many of its
// videos came before.
type FeedCursor struct {
	Session int64
	Pos     int
}

// FeedPage is a page of the For You feed and where the next one starts (nil at the end).
type FeedPage struct {
	Videos []Video
	Next   *FeedCursor
}
