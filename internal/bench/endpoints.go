package bench

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/gotok/tiktok/internal/load"
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

// randT is the load generator's random source.
type randT = rand.Rand

// targets are what the endpoints act on, shared with the pgbench scripts so both pick ids
// from the same ranges.
type targets struct {
	sizes    Sizes
	deepTime time.Time // the keyset of the deep page's cursor
	deepID   int64
	viewer   load.Account   // user1, who follows Sizes.BenchFollows creators
	accounts []load.Account // writers for likes and comments
}

// popularRanks is how many of the most popular videos (creators) the comment-list
// (profile-videos) endpoint picks from: the top 1 %.
func (t *targets) popularVideos() int64   { return max(1, int64(t.sizes.Videos)/100) }
func (t *targets) popularCreators() int64 { return max(1, int64(t.sizes.Users-1)/100) }

func (t *targets) video(rng *rand.Rand) int64 { return 1 + rng.Int64N(int64(t.sizes.Videos)) }
func (t *targets) user(rng *rand.Rand) int64  { return 1 + rng.Int64N(int64(t.sizes.Users)) }
func (t *targets) popularVideo(rng *rand.Rand) int64 {
	return t.sizes.videoOfRank(rng.Int64N(t.popularVideos()))
}
func (t *targets) popularCreator(rng *rand.Rand) int64 {
	return t.sizes.creatorOfRank(rng.Int64N(t.popularCreators()))
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
		"viewer": "0", "me": strconv.FormatInt(t.viewer.ID, 10),
		"bt": pgTime(firstPageTime), "bid": strconv.FormatInt(firstPageID, 10),
		"feedlim": strconv.Itoa(feedLim), "commentlim": strconv.Itoa(commentLim),
	}
}

// sqlFor returns query name with its $n parameters replaced by pgbench variables: vars[0]
// for $1 and so on.
func sqlFor(name string, vars ...string) string {
	s := sqlText[name]
	for i := len(vars); i >= 1; i-- { // $10 before $1
		s = strings.ReplaceAll(s, "$"+strconv.Itoa(i), ":"+vars[i-1])
	}
	return s
}

// endpoint is one row of the benchmark: what the load generator requests and, for reads,
// the pgbench script that replays the statements the handler sends for one request.
type endpoint struct {
	name     string
	read     bool
	scenario load.Scenario
	script   string            // pgbench script; "" for writes
	vars     map[string]string // pgbench -D overrides (on top of pgbenchVars)
	note     string            // what the script replays
}

func get(name, path, token string) load.Request {
	return load.Request{Name: name, Method: "GET", Path: path, Token: token}
}

// endpoints returns the benchmark's endpoints. Reads are anonymous (the auth middleware's
// token lookup happens only with a token) except the Following feed, which requires one.
func (t *targets) endpoints() []endpoint {
	feedScript := sqlFor("ListVideos", "viewer", "bt", "bid", "feedlim") + ";\n"
	deep := cursor(t.deepTime, t.deepID)
	return []endpoint{
		{
			name: "GET /api/videos (first page)", read: true,
			scenario: load.Repeat(func(*rand.Rand) load.Request { return get("feed", "/api/videos", "") }),
			script:   feedScript,
			note:     "ListVideos",
		},
		{
			name: "GET /api/videos (deep cursor)", read: true,
			scenario: load.Repeat(func(*rand.Rand) load.Request { return get("feed deep", "/api/videos?cursor="+deep, "") }),
			script:   feedScript,
			vars:     map[string]string{"bt": pgTime(t.deepTime), "bid": strconv.FormatInt(t.deepID, 10)},
			note:     fmt.Sprintf("ListVideos from video %d (%.0f %% down the feed)", t.deepID, 100*(1-float64(t.deepID)/float64(t.sizes.Videos))),
		},
		{
			name: "GET /api/videos/following", read: true,
			scenario: load.Repeat(func(*rand.Rand) load.Request {
				return get("following", "/api/videos/following", t.viewer.Token)
			}),
			script: sqlFor("GetUserTokenVersion", "me") + ";\n" +
				sqlFor("ListFollowingVideos", "me", "bt", "bid", "feedlim") + ";\n",
			note: fmt.Sprintf("GetUserTokenVersion (auth middleware) + ListFollowingVideos of user1, who follows %d creators", t.sizes.BenchFollows),
		},
		{
			name: "GET /api/videos/{id}", read: true,
			scenario: load.Repeat(func(rng *rand.Rand) load.Request {
				return get("video", "/api/videos/"+strconv.FormatInt(t.video(rng), 10), "")
			}),
			script: "\\set vid random(1, :nv)\n" + sqlFor("GetVideo", "viewer", "vid") + ";\n",
			note:   "GetVideo of a random video (the view count is buffered and written once a second, not per request)",
		},
		{
			name: "GET /api/videos/{id}/comments", read: true,
			scenario: load.Repeat(func(rng *rand.Rand) load.Request {
				return get("comments", "/api/videos/"+strconv.FormatInt(t.popularVideo(rng), 10)+"/comments", "")
			}),
			script: "\\set r random(0, :kv - 1)\n\\set vid (:r * :p) % :nv + 1\n\\set id 0\n" +
				sqlFor("ListVideoComments", "viewer", "vid", "bt", "bid", "commentlim") + " \\aset\n" +
				"\\if :id = 0\n" + sqlFor("VideoExists", "vid") + ";\n\\endif\n" +
				sqlFor("VideoCommentCount", "vid") + ";\n",
			note: "ListVideoComments of one of the 1 % most popular videos, VideoExists when the page is empty, VideoCommentCount",
		},
		{
			name: "GET /api/users/{id}", read: true,
			scenario: load.Repeat(func(rng *rand.Rand) load.Request {
				return get("user", "/api/users/"+strconv.FormatInt(t.user(rng), 10), "")
			}),
			script: "\\set uid random(1, :nu)\n" + sqlFor("GetUserProfile", "viewer", "uid") + ";\n",
			note:   "GetUserProfile of a random user",
		},
		{
			name: "GET /api/users/{id}/videos", read: true,
			scenario: load.Repeat(func(rng *rand.Rand) load.Request {
				return get("user videos", "/api/users/"+strconv.FormatInt(t.popularCreator(rng), 10)+"/videos", "")
			}),
			script: "\\set r random(0, :kc - 1)\n\\set uid (:r * :p) % (:nu - 1) + 2\n\\set id 0\n" +
				sqlFor("ListUserVideos", "viewer", "uid", "bt", "bid", "feedlim") + " \\aset\n" +
				"\\if :id = 0\n" + sqlFor("UserExists", "uid") + ";\n\\endif\n",
			note: "ListUserVideos of one of the 1 % most popular creators, UserExists when the page is empty",
		},
		{
			name:     "POST+DELETE /api/videos/{id}/like",
			scenario: t.likeUnlike(),
		},
		{
			name: "POST /api/comments",
			scenario: func(worker int) load.Generator {
				a := t.accounts[worker%len(t.accounts)]
				return func(rng *rand.Rand) load.Request {
					body := fmt.Sprintf(`{"videoId":%d,"content":"bench comment %d"}`, t.video(rng), rng.IntN(1e6))
					return load.Request{Name: "comment", Method: "POST", Path: "/api/comments", Body: []byte(body), Token: a.Token}
				}
			},
		},
		{
			name:     "POST /api/users/login",
			scenario: load.Repeat(t.login),
		},
	}
}

// likeUnlike: each worker, as its own user, likes a random video and then unlikes it.
func (t *targets) likeUnlike() load.Scenario {
	return func(worker int) load.Generator {
		a := t.accounts[worker%len(t.accounts)]
		var video int64
		return func(rng *rand.Rand) load.Request {
			if video == 0 {
				video = t.video(rng)
				return load.Request{Name: "like", Method: "POST", Path: "/api/videos/" + strconv.FormatInt(video, 10) + "/like", Token: a.Token}
			}
			path := "/api/videos/" + strconv.FormatInt(video, 10) + "/like"
			video = 0
			return load.Request{Name: "like", Method: "DELETE", Path: path, Token: a.Token}
		}
	}
}

// login logs in as a random user.
func (t *targets) login(rng *rand.Rand) load.Request {
	body := fmt.Sprintf(`{"email":"user%d@example.com","password":%q}`, t.user(rng), Password)
	return load.Request{Name: "login", Method: "POST", Path: "/api/users/login", Body: []byte(body)}
}
