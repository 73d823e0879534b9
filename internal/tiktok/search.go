package tiktok

// Search results are ranked by a score (relevance blended with popularity, higher first);
// their pages are keyset pages over (score, id).

// SearchKey is a position in a ranked result list: the score and id of the last item of the
// previous page. The zero SearchKey means "from the start".
type SearchKey struct {
	Score float64
	ID    int64
}

// SearchPage asks for up to Limit results after After, as seen by Viewer (0: anonymous).
// ExactOnly leaves out similar names (typos) from a user, hashtag or sound search: only
// exact and prefix matches (the cheap part, for the few users, tags and sounds of a "top"
// search).
type SearchPage struct {
	Viewer    int64
	After     SearchKey
	Limit     int
	ExactOnly bool
}

// Ranked is a search result with the score it was ranked by.
type Ranked[T any] struct {
	Item  T
	Score float64
}

// HashtagResult is a hashtag found by search.
type HashtagResult struct {
	ID         int64
	Name       string // normalised, without '#'
	VideoCount int64
	ViewCount  int64
}

// SoundResult is a sound found by search.
type SoundResult struct {
	ID         int64
	Name       string
	VideoCount int64
}

// The kinds of type-ahead suggestions.
const (
	SuggestUser    = "user"
	SuggestHashtag = "hashtag"
	SuggestSound   = "sound"
)

// Suggestion is a type-ahead completion: a username, a hashtag name (without '#') or a
// sound name, with the id of what it names.
type Suggestion struct {
	Kind string // SuggestUser, SuggestHashtag or SuggestSound
	Text string
	ID   int64
}

// VideoSearchRoute says how a video search chose its candidates (see the Store): from the
// full-text index (a selective query) or from the hottest videos (a common one). A cursor
// carries it so that every page of one search ranks the same candidates.
type VideoSearchRoute byte

// The routes of a video search; the zero value lets the store choose.
const (
	RouteAuto      VideoSearchRoute = 0
	RouteSelective VideoSearchRoute = 's'
	RouteCommon    VideoSearchRoute = 'c'
)
