package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gotok/tiktok/bench/internal/load"
)

// The rows of the discovery endpoints (issue 10): the For You feed anonymous and as user1
// (who has seen the 1 000 videos of highest rank), compared with the chronological feed at
// the same page size; a tag page, trending tags, search and the type-ahead.
//
// Each row is measured like the others. Its pgbench replay (script) and the EXPLAIN of its
// statements (discoveryPlans) need the sqlc query names of the handlers; where those are
// not wired yet the row is measured through the API only, and the report says the plans
// are missing. Each row's route is probed once first: a 4xx (the server does not have the
// route before the discovery routes are merged) marks the row as not measured, and the
// rest of the run goes on.

// Names of the rows, which the targets refer to.
const (
	chrono20RowName      = "GET /api/videos?limit=20 (first page)"
	forYouAnonRowName    = "GET /api/videos/for-you?limit=20 (anonymous, first page)"
	tagPageRowName       = "GET /api/hashtags/{name}/videos?limit=20"
	trendingRowName      = "GET /api/hashtags/trending"
	searchTopWordRowName = "GET /api/search?type=top (common word)"
	searchTopUserRowName = "GET /api/search?type=top (misspelt username)"
	searchVideosRowName  = "GET /api/search?type=videos (common word)"
	suggestRowName       = "GET /api/search/suggest (2–3 letter prefix)"

	feedLim20     = 21                    // limit=20 plus one
	maxSearchP99  = 50 * time.Millisecond // search and suggest at the benchmark's concurrency
	maxForYouCost = 2.0                   // For You's first page ≤ this × the chronological one's cost
)

// forYouUserRowName is the signed-in For You row.
func (t *targets) forYouUserRowName() string {
	return fmt.Sprintf("GET /api/videos/for-you?limit=20 (user1, %d seen)", t.sizes.BenchSeen)
}

// searchRows are the rows the search target covers.
var searchRows = []string{searchTopWordRowName, searchTopUserRowName, searchVideosRowName, suggestRowName}

// What the discovery rows ask for: words every caption vocabulary has (dataset.go's words,
// in about 9 % of the captions each, so a search ranks tens of thousands of matches), and
// 2–3 letter prefixes of tags, words, names and usernames ("us" starts every username).
var (
	searchWords     = strings.Fields("sunset coffee dance travel recipe guitar beach puppy market workout")
	suggestPrefixes = strings.Fields("fy fo da tr su co mu caf dan tra sun us 東京 mú")
)

// luaDiscovery defines, for the wrk scripts, popular_tag() (one of the most used tags,
// escaped for a path), search_word(), misspelt_user() (the username of one of the 1 %
// most popular creators with a letter dropped, swapped or doubled) and prefix() (escaped
// for a query).
func (t *targets) luaDiscovery() string {
	list := func(name string, xs []string, escape func(string) string) string {
		var b strings.Builder
		b.WriteString("local " + name + " = {")
		for i, x := range xs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(luaString(escape(x)))
		}
		b.WriteString("}\n")
		return b.String()
	}
	return list("tags", t.topTags, url.PathEscape) + list("words", searchWords, url.QueryEscape) +
		list("prefixes", suggestPrefixes, url.QueryEscape) + `function popular_tag() return tags[math.random(1, #tags)] end
function search_word() return words[math.random(1, #words)] end
function prefix() return prefixes[math.random(1, #prefixes)] end
local typos = {"usr", "uesr", "userr"}
function misspelt_user() return typos[math.random(1, #typos)] .. popular_creator() end
`
}

// getScript is the wrk load of anonymous GETs of the path the Lua expression path makes,
// with the discovery helpers.
func (t *targets) getScript(name, path string) wrkLoad {
	return wrkLoad{name: name, lua: t.luaIDs() + t.luaDiscovery() + "function request() return wrk.format(\"GET\", " + path + ") end\n"}
}

// discoveryEndpoints are the rows of the discovery endpoints, after the existing reads.
// probe is a path the server must not answer with a 4xx for the row to be measured.
//
// TODO(after merge): each row's pgbench script, as for the rows in endpoints.go: the
// statements the handler sends for one request, from postgres.QueryText (export the
// queries in hotQueries, internal/postgres/querytext.go), e.g. for the tag page
//
//	script: "\\set r random(0, 9)\n" + sqlFor("ListHashtagVideos", "viewer", "tag", "feedlim") + ";\n",
//
// and the EXPLAINs in discoveryPlans below.
func (t *targets) discoveryEndpoints() []endpoint {
	feedScript := sqlFor("ListVideos", "viewer", "bt", "bid", "feedlim") + ";\n"
	topCreator := strconv.FormatInt(t.sizes.creatorOfRank(0), 10)
	return []endpoint{
		{
			name: chrono20RowName, read: true,
			load:   getFixed("feed-20", "/api/videos?limit=20", ""),
			script: feedScript,
			vars:   map[string]string{"feedlim": strconv.Itoa(feedLim20)},
			note:   "ListVideos, 20 a page: the yardstick of the For You feed",
		},
		{
			name: forYouAnonRowName, read: true,
			load:  getFixed("for-you", "/api/videos/for-you?limit=20", ""),
			probe: "/api/videos/for-you?limit=20",
		},
		{
			name: t.forYouUserRowName(), read: true,
			load:  getFixed("for-you-user1", "/api/videos/for-you?limit=20", t.viewer.Token),
			probe: "/api/videos/for-you?limit=20", probeToken: t.viewer.Token,
		},
		{
			name: tagPageRowName, read: true,
			load:  t.getScript("tag-page", `"/api/hashtags/" .. popular_tag() .. "/videos?limit=20"`),
			probe: "/api/hashtags/" + url.PathEscape(t.topTags[0]) + "/videos?limit=20",
		},
		{
			name: trendingRowName, read: true,
			load:  getFixed("trending", "/api/hashtags/trending", ""),
			probe: "/api/hashtags/trending",
		},
		{
			name: searchTopWordRowName, read: true,
			load:  t.getScript("search-top-word", `"/api/search?type=top&q=" .. search_word()`),
			probe: "/api/search?type=top&q=" + searchWords[0],
		},
		{
			name: searchTopUserRowName, read: true,
			load:  t.getScript("search-top-user", `"/api/search?type=top&q=" .. misspelt_user()`),
			probe: "/api/search?type=top&q=usr" + topCreator,
		},
		{
			name: searchVideosRowName, read: true,
			load:  t.getScript("search-videos", `"/api/search?type=videos&q=" .. search_word()`),
			probe: "/api/search?type=videos&q=" + searchWords[0],
		},
		{
			name: suggestRowName, read: true,
			load:  t.getScript("suggest", `"/api/search/suggest?q=" .. prefix()`),
			probe: "/api/search/suggest?q=" + suggestPrefixes[0],
		},
	}
}

// discoveryPlans are the statements of the discovery rows to EXPLAIN, with arguments for
// t's dataset: one table of {row, sqlc query name, arguments} to extend once the handlers'
// queries are known. Names must be exported by postgres.QueryText (TestQueriesExported
// checks them); the arguments are SQL literals in the order of the query's $n.
//
// The arguments are those the Store sends for the row's request (see the Store method
// named in what): the first page of each list.
func (t *targets) discoveryPlans() []explainQuery {
	const (
		first    = "'Infinity'::float8, 9223372036854775807" // the keyset bound of a first page
		fresh    = "100, now() - interval '48 hours', 20"    // ForYou's fresh source
		hotLimit = "70"                                      // 3 × the first chunk (one page of 20) + 10
	)
	viewer := strconv.FormatInt(t.viewer.ID, 10)
	word, prefix := sqlLiteral(searchWords[0]), sqlLiteral(suggestPrefixes[0])
	// The top search's users for a misspelt name: exact and prefix first (none match), and
	// similar names because nothing matched.
	user := strings.ToLower(t.misspelt())
	return []explainQuery{
		{row: forYouAnonRowName, name: "ForYouCandidates", what: "Store.ForYou, anonymous first page (once a second per page size)",
			args: []string{"0", "'{}'", "true", hotLimit, fresh}},
		{row: forYouAnonRowName, name: "CreateFeedSession", what: "Store.ForYou: the session of a first page", write: true,
			args: []string{"4242", "NULL", "'{1,2,3}'", "'{1,2,3}'", "0", "0"}},
		{row: t.forYouUserRowName(), name: "ForYouCandidates", what: "Store.ForYou, user1 (1 000 seen, interests) first page",
			args: []string{viewer, "'{}'", "true", hotLimit, fresh}},
		{row: t.forYouUserRowName(), name: "VideosByIDs", what: "Store.ForYou: the page's videos",
			args: []string{viewer, "'{" + t.pageIDs() + "}'"}},
		{row: tagPageRowName, name: "HashtagVideoCandidates", what: "Store.HashtagVideos, most used tag, first page",
			args: []string{"'{}'", strconv.FormatInt(t.topTagID, 10), first, "'{}'", "0", "41"}}, // "0": the anonymous viewer
		{row: trendingRowName, name: "TrendingHashtags", what: "Store.TrendingHashtags", args: []string{"20"}},
		{row: searchVideosRowName, name: "SearchVideosCommon", what: "Store.SearchVideos, a common word (the common route)",
			args: []string{"0", first, "11", "true", word, "2500", "60"}},
		{row: searchTopWordRowName, name: "SearchVideosSelective", what: "Store.SearchVideos, the selective route (a rarer word)",
			args: []string{"0", first, "11", "true", sqlLiteral("sunset coffee"), "100"}},
		{row: searchTopUserRowName, name: "SearchUsersRanked", what: "Store.SearchUsers, a misspelt username",
			args: []string{"0", first, "21", sqlLiteral(user), sqlLiteral(user + "\U0010FFFF"), "50", "true", "21", "20"}},
		{row: suggestRowName, name: "SearchSuggest", what: "Store.Suggest, a 2-letter prefix",
			args: []string{prefix, "true", "E" + sqlLiteral(strings.Trim(prefix, "'")+"\U0010FFFF"), "0", "200", "true", "true", "true", "10"}},
	}
}

// sqlLiteral quotes s as an SQL string literal.
func sqlLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// misspelt is the username of the most popular creator with its 'e' dropped.
func (t *targets) misspelt() string { return "usr" + strconv.FormatInt(t.sizes.creatorOfRank(0), 10) }

// errMissingRoute is a probe's answer 4xx: the server does not have the route (before the
// discovery routes are merged, /api/hashtags/… and /api/search… answer 404, and
// /api/videos/for-you is /api/videos/{id} with a bad id: 400).
var errMissingRoute = errors.New("route not available (not merged yet?)")

// probe requests path once and returns an error wrapping errMissingRoute, with the answer,
// for a 4xx, or another error for any other failure.
func probe(ctx context.Context, srv *server, path, token string) error {
	err := load.Call(ctx, http.DefaultClient, srv.url, "GET", path, token, nil, nil)
	if st := load.StatusOf(err); st >= 400 && st < 500 {
		return fmt.Errorf("%w: %v", errMissingRoute, err)
	}
	return err
}

// pageIDs is a page's worth of video ids (20, spread over the table), as an array body.
func (t *targets) pageIDs() string {
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = strconv.Itoa(1 + i*max(1, t.sizes.Videos/20))
	}
	return strings.Join(ids, ",")
}
