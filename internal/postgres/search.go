package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/text/unicode/norm"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// Search: the SQL is in queries/search.sql, the reasoning in docs/design.md ("Search").
//
// Every search ranks a bounded set of candidates, so its cost does not grow with the
// tables. For videos the candidates come one of two ways, chosen per query from the
// planner's statistics of the caption words (the share of captions holding each of the
// most common thousand words, read every few minutes):
//
//   - selective (the query's rarest word is in under commonShare of the captions — most
//     queries): the full-text GIN index yields the matches; the first selectiveCandidates
//     in table order (roughly the oldest) are ranked — every match when there are no more.
//     The work grows with the rarest word's number of captions, which this routing keeps
//     below commonShare × videos.
//   - common (every word is in many captions; "dance" may be in 100 000): the GIN bitmap
//     would cost as much as those matches, so instead the hot-rank index is walked from the
//     top and the first commonCandidates matches among at most commonScan videos are
//     ranked — the hottest matches, found after about commonCandidates / share rows.
//
// A page's cursor records the route, so every page of one search ranks the same candidates.
type searchTuning struct {
	selectiveCandidates int
	commonCandidates    int
	commonScan          int
	commonShare         float64
	statsTTL            time.Duration
	// userCap, tagCap: candidates taken from each prefix source of a user, hashtag or
	// sound search; fuzzyCap: from each trigram source (ranked below every prefix, and the
	// costly part: each trigram candidate is rechecked on its row).
	userCap, tagCap, fuzzyCap int
	// suggestScan: index entries each type-ahead source reads at most.
	suggestScan int
	// fuzzyBudget: the longest a statement with a trigram step may run (boundedFuzzy).
	fuzzyBudget time.Duration
}

// defaultSearchTuning is measured at a million videos (docs/design.md, "Search"): each
// route costs at most about 1.5 ms of database time per page.
var defaultSearchTuning = searchTuning{
	selectiveCandidates: 100,
	commonCandidates:    60,
	commonScan:          2500,
	commonShare:         0.004,
	statsTTL:            5 * time.Minute,
	userCap:             50,
	tagCap:              50,
	fuzzyCap:            20,
	suggestScan:         200,
	fuzzyBudget:         25 * time.Millisecond,
}

// Short prefixes: a last word shorter than prefixMinRunes is not expanded to a prefix (it
// would match too much to mean anything), a trigram search needs at least fuzzyMinRunes
// (shorter strings have almost no trigrams), and a type-ahead prefix of at most
// shortPrefixRunes also looks among the most used tags and sounds.
const (
	prefixMinRunes   = 3
	fuzzyMinRunes    = 3
	shortPrefixRunes = 2
)

// emptyStatsTTL is how soon missing caption statistics are looked for again.
const emptyStatsTTL = 10 * time.Second

// searchState is the Store's search configuration and its cache of caption statistics.
type searchState struct {
	tuning searchTuning

	mu      sync.Mutex
	stats   *lexemeStats // nil until first loaded
	loaded  time.Time
	loading bool
}

// lexemeStats are the most common caption words, sorted, with the share of captions
// holding each.
type lexemeStats struct {
	words []string
	share []float64
	cum   []float64 // cum[i] = share[0] + … + share[i-1]
}

func newLexemeStats(words []string, shares []float64) *lexemeStats {
	type ws struct {
		w string
		s float64
	}
	pairs := make([]ws, 0, len(words))
	for i, w := range words {
		if i < len(shares) { // the statistics' share list ends with three summary numbers
			pairs = append(pairs, ws{w, shares[i]})
		}
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].w < pairs[j].w })
	st := &lexemeStats{words: make([]string, len(pairs)), share: make([]float64, len(pairs)), cum: make([]float64, len(pairs)+1)}
	for i, p := range pairs {
		st.words[i], st.share[i] = p.w, p.s
		st.cum[i+1] = st.cum[i] + p.s
	}
	return st
}

// of returns the share of captions holding word; 0 for a word not among the most common
// (rare: below the statistics' cut-off).
func (st *lexemeStats) of(word string) float64 {
	i := sort.SearchStrings(st.words, word)
	if i < len(st.words) && st.words[i] == word {
		return st.share[i]
	}
	return 0
}

// withPrefix returns the summed shares of the common words starting with prefix: an upper
// bound, near enough, of the captions a prefix search touches in the GIN index.
func (st *lexemeStats) withPrefix(prefix string) float64 {
	lo := sort.SearchStrings(st.words, prefix)
	hi := sort.SearchStrings(st.words, prefix+string(utf8.MaxRune))
	return st.cum[hi] - st.cum[lo]
}

// captionStats returns the caption word statistics, reloading them when older than the
// TTL (one caller reloads; the others keep using the previous ones meanwhile). Missing
// statistics (a table not analyzed yet, e.g. just loaded) are looked for again soon.
func (s *Store) captionStats(ctx context.Context) (*lexemeStats, error) {
	c := &s.search
	c.mu.Lock()
	old := c.stats
	ttl := c.tuning.statsTTL
	if old != nil && len(old.words) == 0 {
		ttl = min(ttl, emptyStatsTTL)
	}
	if old != nil && (c.loading || time.Since(c.loaded) < ttl) {
		c.mu.Unlock()
		return old, nil
	}
	c.loading = true
	c.mu.Unlock()

	st, err := s.loadCaptionStats(ctx)

	c.mu.Lock()
	defer c.mu.Unlock()
	c.loading = false
	if err != nil {
		if old != nil {
			return old, nil // try again on a later search
		}
		return nil, err
	}
	c.stats, c.loaded = st, time.Now()
	return st, nil
}

func (s *Store) loadCaptionStats(ctx context.Context) (*lexemeStats, error) {
	row, err := s.q.CaptionLexemeFrequencies(ctx)
	if errors.Is(err, pgx.ErrNoRows) { // never analyzed (a new or small table): all rare
		return newLexemeStats(nil, nil), nil
	}
	if err != nil {
		return nil, fmt.Errorf("caption statistics: %w", translate(err))
	}
	return newLexemeStats(row.Lexemes, row.Freqs), nil
}

// estimateShare estimates, from the statistics, how large a share of the captions the GIN
// index must visit for a websearch_to_tsquery query: for words joined by AND, the rarest
// word's share (the index drives the intersection from it); for alternatives joined by
// "or", the sum over alternatives; a query with no positive word ("-cat") matches nearly
// everything. The last word counts as a prefix when prefix is set. It only approximates
// PostgreSQL's parser (words split at anything not a letter or digit): a wrong guess
// costs time, never correctness.
func estimateShare(st *lexemeStats, query string, prefix bool) float64 {
	tokens := splitQuery(query)
	total, group, positive := 0.0, 1.0, false
	flush := func() {
		if positive {
			total += group
		} else {
			total += 1
		}
		group, positive = 1.0, false
	}
	for i, t := range tokens {
		if t.or {
			flush()
			continue
		}
		if t.negated {
			continue
		}
		words := lexemes(t.text)
		for j, w := range words {
			share := st.of(w)
			if prefix && i == len(tokens)-1 && j == len(words)-1 {
				share = st.withPrefix(w)
			}
			group, positive = min(group, share), true
		}
	}
	flush()
	return min(total, 1)
}

type queryToken struct {
	text    string
	negated bool
	or      bool
}

// splitQuery splits a websearch query into words, phrases ("…", kept whole), negations
// (-word) and "or" operators.
func splitQuery(q string) []queryToken {
	var out []queryToken
	for len(q) > 0 {
		q = strings.TrimLeftFunc(q, unicode.IsSpace)
		if q == "" {
			break
		}
		negated := false
		if q[0] == '-' {
			negated, q = true, q[1:]
		}
		var text string
		if strings.HasPrefix(q, `"`) {
			end := strings.IndexByte(q[1:], '"')
			if end < 0 {
				text, q = q[1:], ""
			} else {
				text, q = q[1:1+end], q[2+end:]
			}
		} else {
			end := strings.IndexFunc(q, unicode.IsSpace)
			if end < 0 {
				end = len(q)
			}
			text, q = q[:end], q[end:]
		}
		out = append(out, queryToken{text: text, negated: negated, or: !negated && strings.EqualFold(text, "or")})
	}
	return out
}

// lexemes splits text into lower-case words at every character that is not a letter or a
// digit, as the 'simple' text search configuration roughly does.
func lexemes(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// prefixSearch reports whether a video search should match the query's last word as a
// prefix (type-ahead): it ends in a letter or digit, is not negated, not inside a phrase,
// not the operator "or", and at least prefixMinRunes long.
func prefixSearch(query string) bool {
	last, _ := utf8.DecodeLastRuneInString(query)
	if !unicode.IsLetter(last) && !unicode.IsDigit(last) || strings.Count(query, `"`)%2 != 0 {
		return false
	}
	tokens := splitQuery(query)
	if len(tokens) == 0 {
		return false
	}
	t := tokens[len(tokens)-1]
	if t.negated || t.or || strings.HasSuffix(query, `"`) {
		return false
	}
	words := lexemes(t.text)
	return len(words) > 0 && utf8.RuneCountInString(words[len(words)-1]) >= prefixMinRunes
}

// fuzzyBelow is the number of prefix matches left after the cursor under which a page looks
// for similar names too: the page's size (the page reaches past the prefix matches), or 0
// (never) when only exact and prefix matches are asked for.
func fuzzyBelow(p tiktok.SearchPage) int32 {
	if p.ExactOnly {
		return 0
	}
	return int32(p.Limit)
}

// searchKeyset returns the (score, id) bound a page's query starts below.
func searchKeyset(p tiktok.SearchPage) (float64, int64) {
	if p.After == (tiktok.SearchKey{}) {
		return math.Inf(1), math.MaxInt64
	}
	return p.After.Score, p.After.ID
}

// SearchVideos ranks videos whose caption matches query (websearch syntax: words, "a
// phrase", -excluded, or), relevance blended with engagement, and returns a page of them
// with the route the candidates came by. route is RouteAuto for a first page (the store
// chooses) and the cursor's route after.
func (s *Store) SearchVideos(ctx context.Context, query string, route tiktok.VideoSearchRoute, p tiktok.SearchPage) ([]tiktok.Ranked[tiktok.Video], tiktok.VideoSearchRoute, error) {
	t := s.search.tuning
	if len(lexemes(query)) == 0 { // nothing to search for ("#", "!!!")
		return nil, tiktok.RouteSelective, nil
	}
	prefix := prefixSearch(query)
	if route == tiktok.RouteAuto {
		st, err := s.captionStats(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("search videos: %w", err)
		}
		route = tiktok.RouteSelective
		if estimateShare(st, query, prefix) >= t.commonShare {
			route = tiktok.RouteCommon
		}
	}
	score, id := searchKeyset(p)
	var out []tiktok.Ranked[tiktok.Video]
	add := func(f db.VideoFeed, liked, bookmarked bool, score float64) {
		out = append(out, tiktok.Ranked[tiktok.Video]{Item: videoFromFeed(f, liked, bookmarked), Score: score})
	}
	switch route {
	case tiktok.RouteCommon:
		rows, err := s.q.SearchVideosCommon(ctx, db.SearchVideosCommonParams{
			ViewerID: p.Viewer, AfterScore: score, AfterID: id, Lim: int32(p.Limit),
			Prefix: prefix, Query: query, Scan: int32(t.commonScan), Candidates: int32(t.commonCandidates),
		})
		if err != nil {
			return nil, 0, fmt.Errorf("search videos (common): %w", translate(err))
		}
		for _, r := range rows {
			add(r.VideoFeed, r.IsLiked, r.IsBookmarked, r.Score)
		}
	case tiktok.RouteSelective:
		rows, err := s.q.SearchVideosSelective(ctx, db.SearchVideosSelectiveParams{
			ViewerID: p.Viewer, AfterScore: score, AfterID: id, Lim: int32(p.Limit),
			Prefix: prefix, Query: query, Candidates: int32(t.selectiveCandidates),
		})
		if err != nil {
			return nil, 0, fmt.Errorf("search videos (selective): %w", translate(err))
		}
		for _, r := range rows {
			add(r.VideoFeed, r.IsLiked, r.IsBookmarked, r.Score)
		}
	default:
		return nil, 0, fmt.Errorf("search videos: unknown route %q", route)
	}
	vs := make([]*tiktok.Video, len(out))
	for i := range out {
		vs[i] = &out[i].Item
	}
	return out, route, s.withVideoMentions(ctx, vs...)
}

// prefixRange returns the byte-wise range [prefix, end) of the strings starting with prefix
// (as ListUsers: ranges keep using the text_pattern_ops indexes in a generic plan).
func prefixRange(prefix string) (string, string) {
	return prefix, prefix + string(utf8.MaxRune)
}

// SearchUsers ranks users by username and name: exact matches first, then prefixes, then
// similar ones (trigrams: "chrlie" finds "charlie"), each tier by closeness and followers.
// query is matched case-insensitively; a leading '@' is ignored.
func (s *Store) SearchUsers(ctx context.Context, query string, p tiktok.SearchPage) ([]tiktok.Ranked[tiktok.User], error) {
	q := strings.ToLower(strings.TrimPrefix(query, "@"))
	if q == "" {
		return nil, nil
	}
	lo, hi := prefixRange(q)
	score, id := searchKeyset(p)
	rows, err := boundedFuzzy(ctx, s, utf8.RuneCountInString(q) >= fuzzyMinRunes, func(q *db.Queries, fuzzy bool) ([]db.SearchUsersRankedRow, error) {
		return q.SearchUsersRanked(ctx, db.SearchUsersRankedParams{
			ViewerID: p.Viewer, AfterScore: score, AfterID: id, Lim: int32(p.Limit),
			Query: lo, QueryEnd: hi, Cap: int32(s.search.tuning.userCap), FuzzyCap: int32(s.search.tuning.fuzzyCap), FuzzyBelow: fuzzyBelow(p), Fuzzy: fuzzy,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("search users: %w", translate(err))
	}
	out := make([]tiktok.Ranked[tiktok.User], len(rows))
	for i, r := range rows {
		u := userFromRow(r.User)
		u.IsFollowing = r.IsFollowing
		out[i] = tiktok.Ranked[tiktok.User]{Item: u, Score: r.Score}
	}
	return out, nil
}

// hashtagKey is the stored form of a hashtag query: without its '#'s, NFC, lower case.
func hashtagKey(query string) string {
	return norm.NFC.String(strings.ToLower(strings.TrimLeft(query, "#")))
}

// SearchHashtags ranks hashtags by name (exact, prefix, similar), blended with their
// number of videos. A leading '#' is ignored.
func (s *Store) SearchHashtags(ctx context.Context, query string, p tiktok.SearchPage) ([]tiktok.Ranked[tiktok.HashtagResult], error) {
	q := hashtagKey(query)
	if q == "" {
		return nil, nil
	}
	lo, hi := prefixRange(q)
	score, id := searchKeyset(p)
	rows, err := boundedFuzzy(ctx, s, utf8.RuneCountInString(q) >= fuzzyMinRunes, func(q *db.Queries, fuzzy bool) ([]db.SearchHashtagsRankedRow, error) {
		return q.SearchHashtagsRanked(ctx, db.SearchHashtagsRankedParams{
			ViewerID: p.Viewer, AfterScore: score, AfterID: id, Lim: int32(p.Limit),
			Query: lo, QueryEnd: hi, Cap: int32(s.search.tuning.tagCap), FuzzyCap: int32(s.search.tuning.fuzzyCap), FuzzyBelow: fuzzyBelow(p), Fuzzy: fuzzy,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("search hashtags: %w", translate(err))
	}
	out := make([]tiktok.Ranked[tiktok.HashtagResult], len(rows))
	for i, r := range rows {
		out[i] = tiktok.Ranked[tiktok.HashtagResult]{
			Item:  tiktok.HashtagResult{ID: r.ID, Name: r.Name, VideoCount: r.VideoCount, ViewCount: r.ViewCount},
			Score: r.Score,
		}
	}
	return out, nil
}

// SearchSounds ranks sounds by name (compared as sound keys: NFC, case-insensitive, spaces
// collapsed), blended with the number of videos using them.
func (s *Store) SearchSounds(ctx context.Context, query string, p tiktok.SearchPage) ([]tiktok.Ranked[tiktok.SoundResult], error) {
	q := tiktok.SoundKey(query)
	if q == "" {
		return nil, nil
	}
	lo, hi := prefixRange(q)
	score, id := searchKeyset(p)
	rows, err := boundedFuzzy(ctx, s, utf8.RuneCountInString(q) >= fuzzyMinRunes, func(q *db.Queries, fuzzy bool) ([]db.SearchSoundsRankedRow, error) {
		return q.SearchSoundsRanked(ctx, db.SearchSoundsRankedParams{
			ViewerID: p.Viewer, AfterScore: score, AfterID: id, Lim: int32(p.Limit),
			Query: lo, QueryEnd: hi, Cap: int32(s.search.tuning.tagCap), FuzzyCap: int32(s.search.tuning.fuzzyCap), FuzzyBelow: fuzzyBelow(p), Fuzzy: fuzzy,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("search sounds: %w", translate(err))
	}
	out := make([]tiktok.Ranked[tiktok.SoundResult], len(rows))
	for i, r := range rows {
		out[i] = tiktok.Ranked[tiktok.SoundResult]{
			Item:  tiktok.SoundResult{ID: r.ID, Name: r.Name, VideoCount: r.VideoCount},
			Score: r.Score,
		}
	}
	return out, nil
}

// Suggest returns up to limit type-ahead completions of query: usernames, hashtags and
// sound names starting with it, exact matches first, then the most followed or used. A
// query starting with '#' suggests only hashtags, one starting with '@' only users.
func (s *Store) Suggest(ctx context.Context, query string, viewer int64, limit int) ([]tiktok.Suggestion, error) {
	users, tags, sounds := true, true, true
	switch {
	case strings.HasPrefix(query, "#"):
		users, sounds, query = false, false, strings.TrimLeft(query, "#")
	case strings.HasPrefix(query, "@"):
		tags, sounds, query = false, false, strings.TrimLeft(query, "@")
	}
	// One prefix for the three sources: the sound key form (NFC, lower case, spaces
	// collapsed) is also how hashtags (no spaces) and usernames (ASCII) are compared.
	prefix := tiktok.SoundKey(query)
	if prefix == "" {
		return []tiktok.Suggestion{}, nil
	}
	lo, hi := prefixRange(prefix)
	rows, err := s.q.SearchSuggest(ctx, db.SearchSuggestParams{
		Prefix: lo, PrefixEnd: hi, ViewerID: viewer, Scan: int32(s.search.tuning.suggestScan),
		Users: users, Hashtags: tags, Sounds: sounds,
		Short: utf8.RuneCountInString(prefix) <= shortPrefixRunes, Lim: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("suggest: %w", translate(err))
	}
	out := make([]tiktok.Suggestion, len(rows))
	for i, r := range rows {
		out[i] = tiktok.Suggestion{Kind: r.Kind, Text: r.Text, ID: r.ID}
	}
	return out, nil
}

// The fuzzy budget is the most a search statement that looks for similar names (trigrams) may
// take. A trigram's GIN scan cannot stop early: it rechecks every row sharing enough of the
// query's trigrams, and among many look-alike names ("user1" … "user100000", a misspelt
// "usr12345") that is every one of them — 130 ms a statement at 100 000 users, seconds
// under concurrency. Past the budget the statement is cancelled and run again without the
// trigram step: the exact and prefix matches still come back.
//
// (searchTuning.fuzzyBudget, 25 ms: a typo among ordinary names takes about 2 ms.)

// SetFuzzyBudget changes the fuzzy budget (25 ms by default). Call it before the Store is
// used: the API tests raise it, since on a machine busy with -race and parallel tests a
// typo's 2 ms can take longer than 25 ms, and their results would then lose the fuzzy
// matches they check.
func (s *Store) SetFuzzyBudget(d time.Duration) { s.search.tuning.fuzzyBudget = d }

// boundedFuzzy runs search (fuzzy as asked) in a transaction whose statement_timeout is
// the fuzzy budget, and again without fuzzy matching if that timeout cancelled it.
func boundedFuzzy[T any](ctx context.Context, s *Store, fuzzy bool, search func(q *db.Queries, fuzzy bool) (T, error)) (T, error) {
	if !fuzzy {
		return search(s.q, false)
	}
	var out T
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = "+strconv.FormatInt(max(1, s.search.tuning.fuzzyBudget.Milliseconds()), 10)); err != nil {
			return err
		}
		var err error
		out, err = search(s.q.WithTx(tx), true)
		return err
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "57014" && ctx.Err() == nil { // query_canceled: the budget
		return search(s.q, false)
	}
	return out, err
}
