package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotok/tiktok/bench/internal/load"
)

func testTargets() *targets {
	return &targets{
		sizes:    Sizes{Users: 300, Videos: 2000, VideoLikes: 20000, Comments: 3000, CommentLikes: 4000, Follows: 5000, BenchFollows: 50},
		deepTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		deepID:   200,
		viewer:   load.Account{ID: 1, Token: "viewer-token"},
		accounts: []load.Account{{ID: 2, Token: "token-a"}, {ID: 3, Token: "token-b"}},
	}
}

// TestQueriesExported builds every pgbench script and EXPLAIN of the benchmark, which
// panics when postgres.QueryText does not export a query they use.
func TestQueriesExported(t *testing.T) {
	tg := testTargets()
	for _, e := range tg.endpoints() {
		if e.read && !strings.Contains(e.script, "SELECT") {
			t.Errorf("%s: script without a SELECT:\n%s", e.name, e.script)
		}
	}
	for _, q := range tg.explainQueries([]string{"1", "1"}) {
		if !strings.Contains(queryText(q.name), "$"+strconv.Itoa(len(q.args))) {
			t.Errorf("%s: %d arguments for %q", q.name, len(q.args), queryText(q.name))
		}
	}
}

// seen is a request the test server got.
type seen struct{ method, path, auth, contentType, body string }

// TestWrkScripts runs wrk with every endpoint's script against a server that records what
// it is sent, so that a Lua mistake or a wrong request fails here rather than in make bench.
func TestWrkScripts(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed (scripts/install-deps.sh installs it)")
	}
	tg := testTargets()
	var (
		mu   sync.Mutex
		reqs []seen
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, seen{r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(body)})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	}))
	defer srv.Close()

	// The id in path after prefix, which must lie in [lo, hi].
	id := func(path, prefix string, lo, hi int64) bool {
		s, _, _ := strings.Cut(strings.TrimPrefix(path, prefix), "/")
		n, err := strconv.ParseInt(s, 10, 64)
		return strings.HasPrefix(path, prefix) && err == nil && n >= lo && n <= hi
	}
	nv, nu := int64(tg.sizes.Videos), int64(tg.sizes.Users)
	popularVideos, popularCreators := map[string]bool{}, map[string]bool{}
	for r := range tg.popularVideos() {
		popularVideos["/api/videos/"+strconv.FormatInt(tg.sizes.videoOfRank(r), 10)+"/comments"] = true
	}
	for r := range tg.popularCreators() {
		popularCreators["/api/users/"+strconv.FormatInt(tg.sizes.creatorOfRank(r), 10)+"/videos"] = true
	}
	writer := func(s seen) bool { return s.auth == "Bearer token-a" || s.auth == "Bearer token-b" }
	valid := map[string]func(seen) bool{
		"GET /api/videos (first page)": func(s seen) bool { return s.method == "GET" && s.path == "/api/videos" && s.auth == "" },
		"GET /api/videos (deep cursor)": func(s seen) bool {
			return s.method == "GET" && s.path == "/api/videos?cursor="+cursor(tg.deepTime, tg.deepID) && s.auth == ""
		},
		"GET /api/videos/following": func(s seen) bool {
			return s.method == "GET" && s.path == "/api/videos/following" && s.auth == "Bearer viewer-token"
		},
		"GET /api/videos/{id}":          func(s seen) bool { return s.method == "GET" && id(s.path, "/api/videos/", 1, nv) },
		"GET /api/videos/{id}/comments": func(s seen) bool { return s.method == "GET" && popularVideos[s.path] },
		"GET /api/users/{id}":           func(s seen) bool { return s.method == "GET" && id(s.path, "/api/users/", 1, nu) },
		"GET /api/users/{id}/videos":    func(s seen) bool { return s.method == "GET" && popularCreators[s.path] },
		"POST+DELETE /api/videos/{id}/like": func(s seen) bool {
			return (s.method == "POST" || s.method == "DELETE") && id(s.path, "/api/videos/", 1, nv) && strings.HasSuffix(s.path, "/like") && writer(s)
		},
		"POST /api/comments": func(s seen) bool {
			return s.method == "POST" && s.path == "/api/comments" && s.contentType == "application/json" &&
				strings.HasPrefix(s.body, `{"videoId":`) && writer(s)
		},
		"POST /api/users/login": func(s seen) bool {
			return s.method == "POST" && s.path == "/api/users/login" && s.contentType == "application/json" &&
				strings.Contains(s.body, `"password":"`+Password+`"`)
		},
	}
	for _, e := range tg.endpoints() {
		mu.Lock()
		reqs = nil
		mu.Unlock()
		res, err := runWrk(context.Background(), t.TempDir(), srv.URL, e.load, 2, time.Second, 1)
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		mu.Lock()
		got := reqs
		mu.Unlock()
		if res.requests == 0 || res.errors() != 0 || len(got) < int(res.requests) {
			t.Fatalf("%s: wrk counted %d requests (%s); the server saw %d", e.name, res.requests, res.failures(), len(got))
		}
		ok := valid[e.name]
		if ok == nil {
			t.Fatalf("no check for %s", e.name)
		}
		for _, s := range got {
			if !ok(s) {
				t.Fatalf("%s: unexpected request %+v", e.name, s)
			}
		}
		if e.name == "POST+DELETE /api/videos/{id}/like" {
			// Each worker (one token each here) likes a video, then unlikes that video. (wrk
			// calls the first thread's request() once to check what it returns, so that
			// worker may start with the unlike of a video whose like was never sent.)
			last := map[string]seen{}
			for _, s := range got {
				prev, had := last[s.auth]
				if s.method == "DELETE" && had && (prev.method != "POST" || prev.path != s.path) ||
					s.method == "POST" && had && prev.method != "DELETE" {
					t.Fatalf("like: %+v after %+v", s, prev)
				}
				last[s.auth] = s
			}
		}
	}
}

func TestParseWrk(t *testing.T) {
	r, err := parseWrk("Running 1s test\nbench-wrk requests=120 duration=1000000 connect=0 read=1 write=0 status=2 timeout=0 p50=800 p99=2500 max=9000\n")
	if err != nil {
		t.Fatal(err)
	}
	if r.requests != 120 || r.rate() != 120 || r.p50 != 800*time.Microsecond || r.p99 != 2500*time.Microsecond || r.errors() != 3 {
		t.Errorf("parsed %+v", r)
	}
	if _, err := parseWrk("Running 1s test\n"); err == nil {
		t.Error("no result line: no error")
	}
}
