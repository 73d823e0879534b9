package bench

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gotok/tiktok/bench/internal/load"
	"github.com/gotok/tiktok/internal/postgres"
)

// Page sizes the handlers ask the database for: the default limit plus one (to tell
// whether a next page exists).
const (
	feedLim    = 11 // GET /api/videos, /following, /users/{id}/videos: limit 10
	commentLim = 21 // GET /api/videos/{id}/comments: limit 20
)

// The first page's keyset bound, as internal/postgres passes it.
var (
	firstPageTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	firstPageID   = int64(math.MaxInt64)
)

// targets are what the endpoints act on, shared with the pgbench scripts so both pick ids
// from the same ranges.
type targets struct {
	sizes    Sizes
	deepTime time.Time // the keyset of the deep page's cursor
	deepID   int64
	viewer   load.Account   // user1, who follows Sizes.BenchFollows creators and has seen Sizes.BenchSeen videos
	viewer2  load.Account   // user2, who follows Sizes.BenchFollowsLarge creators
	accounts []load.Account // writers for likes and comments
	topTags  []string       // the names of the most used hashtags, most used first
	topTagID int64          // the id of topTags[0]
}

// popularRanks is how many of the most popular videos (creators) the comment-list
// (profile-videos) endpoint picks from: the top 1 %.
func (t *targets) popularVideos() int64   { return max(1, int64(t.sizes.Videos)/100) }
func (t *targets) popularCreators() int64 { return max(1, int64(t.sizes.Users-1)/100) }

// luaIDs defines, for the wrk scripts, the random choices of ids the endpoints make:
// random_video(), random_user(), and popular_video() and popular_creator() (one of the top
// 1 %, mapped to an id with the permutation of the dataset generator, as the pgbench
// scripts do). Products stay below 2^53, so Lua's doubles compute them exactly.
func (t *targets) luaIDs() string {
	return fmt.Sprintf(`local nv, nu, kv, kc, p = %d, %d, %d, %d, %d
function random_video() return math.random(1, nv) end
function random_user() return math.random(1, nu) end
function popular_video() return math.fmod(math.random(0, kv - 1) * p, nv) + 1 end
function popular_creator() return math.fmod(math.random(0, kc - 1) * p, nu - 1) + 2 end
`, t.sizes.Videos, t.sizes.Users, t.popularVideos(), t.popularCreators(), permPrime)
}

// luaTokens defines token(), the bearer token of the running thread (one worker of a
// perWorker load: accounts are shared out among the workers in turn), and any_token(), a
// random one of the accounts.
func (t *targets) luaTokens() string {
	var b strings.Builder
	b.WriteString("local tokens = {")
	for i, a := range t.accounts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(luaString(a.Token))
	}
	b.WriteString("}\nfunction token() return tokens[worker % #tokens + 1] end\n")
	b.WriteString("function any_token() return tokens[math.random(1, #tokens)] end\n")
	return b.String()
}

// cursor returns the opaque cursor the API issues for a page key: base64url of
// "<unix micros>.<id>" (internal/httpapi/pagination.go). The benchmark checks the server
// accepts it before using it.
func cursor(t time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixMicro(), 10) + "." + strconv.FormatInt(id, 10)))
}

// pgTime formats a time for a pgbench -D variable.
func pgTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999999Z") }

// pgbenchVars are the variables every script may use.
func (t *targets) pgbenchVars() map[string]string {
	return map[string]string{
		"nv": strconv.Itoa(t.sizes.Videos), "nu": strconv.Itoa(t.sizes.Users), "p": strconv.Itoa(permPrime),
		"kv": strconv.FormatInt(t.popularVideos(), 10), "kc": strconv.FormatInt(t.popularCreators(), 10),
		"viewer": "0", "me": strconv.FormatInt(t.viewer.ID, 10), "me2": strconv.FormatInt(t.viewer2.ID, 10),
		"bt": pgTime(firstPageTime), "bid": strconv.FormatInt(firstPageID, 10),
		"feedlim": strconv.Itoa(feedLim), "commentlim": strconv.Itoa(commentLim),
	}
}

// sqlFor returns query name (as the Store sends it, from postgres.QueryText) with its $n
// parameters replaced by pgbench variables: vars[0] for $1 and so on. It panics for a
// query postgres does not export; TestQueriesExported checks every name used here.
func sqlFor(name string, vars ...string) string {
	s := queryText(name)
	for i := len(vars); i >= 1; i-- { // $10 before $1
		s = strings.ReplaceAll(s, "$"+strconv.Itoa(i), ":"+vars[i-1])
	}
	return s
}

// queryText returns the SQL of sqlc query name, or panics.
func queryText(name string) string {
	s, ok := postgres.QueryText(name)
	if !ok {
		panic("postgres.QueryText does not export query " + name)
	}
	return s
}

// endpoint is one row of the benchmark: what wrk requests and, for reads, the pgbench
// script that replays the statements the handler sends for one request.
type endpoint struct {
	name   string
	read   bool
	load   wrkLoad
	script string            // pgbench script; "" for writes (and reads not replayed yet)
	vars   map[string]string // pgbench -D overrides (on top of pgbenchVars)
	note   string            // what the script replays
	// probe, when set, is a path requested once (with probeToken) before the row: a 404
	// means the server lacks the route, and the row is reported as not measured.
	probe, probeToken string
}

// getFixed is the wrk load of GETs of one path, with a token when it is not empty.
func getFixed(name, path, token string) wrkLoad {
	lua := "wrk.path = " + luaString(path) + "\n"
	if token != "" {
		lua += "wrk.headers[\"Authorization\"] = " + luaString("Bearer "+token) + "\n"
	}
	return wrkLoad{name: name, lua: lua}
}

// getVarying is the wrk load of anonymous GETs of the path the Lua expression path makes.
func (t *targets) getVarying(name, path string) wrkLoad {
	return wrkLoad{name: name, lua: t.luaIDs() + "function request() return wrk.format(\"GET\", " + path + ") end\n"}
}

// feed is the first page of the For You feed, anonymous.
func feed() wrkLoad { return getFixed("feed", "/api/videos", "") }

// endpoints returns the benchmark's endpoints. Reads are anonymous (the auth middleware's
// token lookup happens only with a token) except the Following feed, which requires one.
func (t *targets) endpoints() []endpoint {
	feedScript := sqlFor("ListVideos", "viewer", "bt", "bid", "feedlim") + ";\n"
	deep := cursor(t.deepTime, t.deepID)
	return append(append([]endpoint{
		{
			name: "GET /api/videos (first page)", read: true,
			load:   feed(),
			script: feedScript,
			note:   "ListVideos",
		},
		{
			name: "GET /api/videos (deep cursor)", read: true,
			load:   getFixed("feed-deep", "/api/videos?cursor="+deep, ""),
			script: feedScript,
			vars:   map[string]string{"bt": pgTime(t.deepTime), "bid": strconv.FormatInt(t.deepID, 10)},
			note:   fmt.Sprintf("ListVideos from video %d (%.0f %% down the feed)", t.deepID, 100*(1-float64(t.deepID)/float64(t.sizes.Videos))),
		},
		{
			name: "GET /api/videos/following", read: true,
			load:   getFixed("following", "/api/videos/following", t.viewer.Token),
			script: sqlFor("ListFollowingInbox", "me", "bt", "bid", "feedlim") + ";\n",
			note:   fmt.Sprintf("ListFollowingInbox of user1, who follows %d creators (the auth middleware's token version comes from the server's cache, which LISTEN/NOTIFY keeps current: no statement)", t.sizes.BenchFollows),
		},
		{
			name: following5kRowName, read: true,
			load:   getFixed("following-5k", "/api/videos/following", t.viewer2.Token),
			script: sqlFor("ListFollowingInbox", "me2", "bt", "bid", "feedlim") + ";\n",
			note:   fmt.Sprintf("ListFollowingInbox of user2, who follows %d creators (token version cached, as above)", t.sizes.BenchFollowsLarge),
		},
		{
			name: "GET /api/videos/{id}", read: true,
			load:   t.getVarying("video", `"/api/videos/" .. random_video()`),
			script: "\\set vid random(1, :nv)\n" + sqlFor("GetVideo", "viewer", "vid") + ";\n",
			note:   "GetVideo of a random video (the view count is buffered and written once a second, not per request)",
		},
		{
			name: "GET /api/videos/{id}/comments", read: true,
			load: t.getVarying("comments", `"/api/videos/" .. popular_video() .. "/comments"`),
			script: "\\set r random(0, :kv - 1)\n\\set vid (:r * :p) % :nv + 1\n\\set id 0\n" +
				sqlFor("ListVideoComments", "viewer", "vid", "bt", "bid", "commentlim") + " \\aset\n" +
				"\\if :id = 0\n" + sqlFor("VideoExists", "vid") + ";\n\\endif\n" +
				sqlFor("VideoCommentCount", "vid") + ";\n",
			note: "ListVideoComments of one of the 1 % most popular videos, VideoExists when the page is empty, VideoCommentCount",
		},
		{
			name: "GET /api/users/{id}", read: true,
			load:   t.getVarying("user", `"/api/users/" .. random_user()`),
			script: "\\set uid random(1, :nu)\n" + sqlFor("GetUserProfile", "viewer", "uid") + ";\n",
			note:   "GetUserProfile of a random user",
		},
		{
			name: "GET /api/users/{id}/videos", read: true,
			load: t.getVarying("user-videos", `"/api/users/" .. popular_creator() .. "/videos"`),
			script: "\\set r random(0, :kc - 1)\n\\set uid (:r * :p) % (:nu - 1) + 2\n\\set id 0\n" +
				sqlFor("ListUserVideos", "viewer", "uid", "bt", "bid", "feedlim") + " \\aset\n" +
				"\\if :id = 0\n" + sqlFor("UserExists", "uid") + ";\n\\endif\n",
			note: "ListUserVideos of one of the 1 % most popular creators, UserExists when the page is empty",
		},
	}, t.discoveryEndpoints()...), []endpoint{
		{
			name: "POST+DELETE /api/videos/{id}/like",
			load: t.likeUnlike(),
		},
		{
			name: "POST /api/comments",
			load: wrkLoad{name: "comment", lua: t.luaIDs() + t.luaTokens() + `function request()
  local body = string.format('{"videoId":%d,"content":"bench comment %d"}', random_video(), math.random(0, 999999))
  return json("POST", "/api/comments", body, any_token())
end
`},
		},
		{
			name: "POST /api/users/login",
			load: t.login(),
		},
	}...)
}

// likeUnlike: each worker, as its own user, likes a random video and then unlikes it.
// (wrk calls the first thread's request() once before the run to check it, so that worker
// starts with the unlike of a like never sent: one request in thousands.)
func (t *targets) likeUnlike() wrkLoad {
	return wrkLoad{name: "like", perWorker: true, lua: t.luaIDs() + t.luaTokens() + `local video = nil
function request()
  if video == nil then
    video = random_video()
    return json("POST", "/api/videos/" .. video .. "/like", nil, token())
  end
  local path = "/api/videos/" .. video .. "/like"
  video = nil
  return json("DELETE", path, nil, token())
end
`}
}

// login logs in as a random user.
func (t *targets) login() wrkLoad {
	return wrkLoad{name: "login", lua: t.luaIDs() + `local password = ` + luaString(Password) + `
function request()
  local body = string.format('{"email":"user%d@example.com","password":"%s"}', random_user(), password)
  return wrk.format("POST", "/api/users/login", {["Content-Type"] = "application/json"}, body)
end
`}
}
