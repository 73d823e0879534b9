package bench

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotok/tiktok/bench/internal/load"
)

func testTargets() *targets {
	return &targets{
		sizes: Sizes{Users: 300, Videos: 2000, VideoLikes: 20000, Comments: 3000, CommentLikes: 4000, Follows: 5000, BenchFollows: 50,
			Impressions: 3000, Interests: 1000, BenchSeen: 1000, BenchInterests: 50},
		deepTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		deepID:   200,
		viewer:   load.Account{ID: 1, Token: "viewer-token"},
		viewer2:  load.Account{ID: 2, Token: "viewer2-token"},
		accounts: []load.Account{{ID: 2, Token: "token-a"}, {ID: 3, Token: "token-b"}},
		topTags:  []string{"fyp", "café", "東京"},
		topTagID: 1,
	}
}

// TestQueriesExported builds every pgbench script and EXPLAIN of the benchmark, which
// panics when postgres.QueryText does not export a query they use.
func TestQueriesExported(t *testing.T) {
	tg := testTargets()
	rows := map[string]bool{}
	for _, e := range tg.endpoints() {
		rows[e.name] = true
		if e.read && e.script != "" && !strings.Contains(e.script, "SELECT") {
			t.Errorf("%s: script without a SELECT:\n%s", e.name, e.script)
		}
	}
	for _, q := range tg.discoveryPlans() {
		if !rows[q.row] {
			t.Errorf("%s (%s) belongs to %q, which is no row of the benchmark", q.name, q.what, q.row)
		}
	}
	for _, q := range append(tg.explainQueries([]string{"1", "1"}), tg.discoveryPlans()...) {
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
		following5kRowName: func(s seen) bool {
			return s.method == "GET" && s.path == "/api/videos/following" && s.auth == "Bearer viewer2-token"
		},
		"GET /api/videos/{id}":          func(s seen) bool { return s.method == "GET" && id(s.path, "/api/videos/", 1, nv) },
		"GET /api/videos/{id}/comments": func(s seen) bool { return s.method == "GET" && popularVideos[s.path] },
		"GET /api/users/{id}":           func(s seen) bool { return s.method == "GET" && id(s.path, "/api/users/", 1, nu) },
		"GET /api/users/{id}/videos":    func(s seen) bool { return s.method == "GET" && popularCreators[s.path] },
		chrono20RowName:                 func(s seen) bool { return s.method == "GET" && s.path == "/api/videos?limit=20" && s.auth == "" },
		forYouAnonRowName: func(s seen) bool {
			return s.method == "GET" && s.path == "/api/videos/for-you?limit=20" && s.auth == ""
		},
		tg.forYouUserRowName(): func(s seen) bool {
			return s.method == "GET" && s.path == "/api/videos/for-you?limit=20" && s.auth == "Bearer viewer-token"
		},
		tagPageRowName: func(s seen) bool {
			return s.method == "GET" && s.auth == "" && slices.Contains([]string{
				"/api/hashtags/fyp/videos?limit=20", "/api/hashtags/caf%C3%A9/videos?limit=20", "/api/hashtags/%E6%9D%B1%E4%BA%AC/videos?limit=20",
			}, s.path)
		},
		trendingRowName: func(s seen) bool { return s.method == "GET" && s.path == "/api/hashtags/trending" && s.auth == "" },
		searchTopWordRowName: func(s seen) bool {
			q, ok := strings.CutPrefix(s.path, "/api/search?type=top&q=")
			return s.method == "GET" && ok && slices.Contains(searchWords, q)
		},
		searchTopUserRowName: func(s seen) bool {
			q, ok := strings.CutPrefix(s.path, "/api/search?type=top&q=")
			for _, typo := range []string{"usr", "uesr", "userr"} {
				if n, found := strings.CutPrefix(q, typo); found && popularCreators["/api/users/"+n+"/videos"] {
					return s.method == "GET" && ok
				}
			}
			return false
		},
		searchVideosRowName: func(s seen) bool {
			q, ok := strings.CutPrefix(s.path, "/api/search?type=videos&q=")
			return s.method == "GET" && ok && slices.Contains(searchWords, q)
		},
		suggestRowName: func(s seen) bool {
			q, ok := strings.CutPrefix(s.path, "/api/search/suggest?q=")
			p, err := url.QueryUnescape(q)
			return s.method == "GET" && ok && err == nil && slices.Contains(suggestPrefixes, p)
		},
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
		// Requests of the previous run still in flight when wrk stopped may reach the server
		// late: wait until it has seen none for a while before listening to this run.
		for {
			mu.Lock()
			n := len(reqs)
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
			mu.Lock()
			quiet := len(reqs) == n
			if quiet {
				reqs = nil
			}
			mu.Unlock()
			if quiet {
				break
			}
		}
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

// TestMissingRoutes: before the discovery routes are merged the server answers 404 (400
// for /api/videos/for-you, taken for /api/videos/{id}) to them; the probe says so, and the
// report marks those rows as not measured and their targets as failed, rather than the run
// failing.
func TestMissingRoutes(t *testing.T) {
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/search"):
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Not found","code":"not_found"}`)
			return
		case r.URL.Path == "/api/videos/for-you": // /api/videos/{id} before the merge
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"message":"Invalid id","code":"invalid_id"}`)
			return
		case r.URL.Path == "/api/boom":
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "{}")
	}))
	defer h.Close()
	srv := &server{url: h.URL}
	ctx := context.Background()
	if err := probe(ctx, srv, "/api/search?q=x", ""); !errors.Is(err, errMissingRoute) {
		t.Errorf("probe of a 404: %v, want errMissingRoute", err)
	}
	if err := probe(ctx, srv, "/api/videos/for-you?limit=20", ""); !errors.Is(err, errMissingRoute) || !strings.Contains(err.Error(), "400") {
		t.Errorf("probe of a 400: %v, want errMissingRoute with the status", err)
	}
	if err := probe(ctx, srv, "/api/boom", ""); err == nil || errors.Is(err, errMissingRoute) {
		t.Errorf("probe of a 500: %v, want an error other than errMissingRoute (the row is measured, its errors counted)", err)
	}
	if err := probe(ctx, srv, "/api/hashtags/trending", ""); err != nil {
		t.Errorf("probe of a 200: %v", err)
	}

	tg := testTargets()
	r := &results{opts: Options{Concurrency: 32, Sizes: tg.sizes}, targets: tg}
	for _, e := range tg.endpoints() {
		x := row{name: e.name, read: e.read && e.script != "", unreplayed: e.read && e.script == "", requests: 1000, rps: 100, p50: time.Millisecond, p99: 2 * time.Millisecond}
		if x.read {
			x.hasDB, x.dbTPS = true, 100
		}
		if slices.Contains(searchRows, e.name) {
			x = row{name: e.name, unreplayed: true, skipped: "route not available: GET /api/search: 404"}
		}
		r.rows = append(r.rows, x)
	}
	r.evaluate()
	goals := map[string]goal{}
	var search goal
	for _, g := range r.goals {
		goals[g.name] = g
		if strings.HasPrefix(g.name, "search and suggest p99 ≤ ") {
			search = g
		}
	}
	if search.pass || !strings.Contains(search.measured, "not measured") {
		t.Errorf("search goal with missing routes: %+v", search)
	}
	forYou := goals[strings.TrimPrefix(forYouAnonRowName, "GET ")+" ≤ 2× the cost of "+strings.TrimPrefix(chrono20RowName, "GET ")]
	if !forYou.pass || !strings.Contains(forYou.measured, "1.00×") {
		t.Errorf("For You goal at equal rates: %+v (goals %v)", forYou, r.goals)
	}
	// No EXPLAIN ran here: the plans target fails and names the rows without plans.
	plans := goals["the discovery rows' plans are shown (no sequential scan: see the index target)"]
	if plans.pass || !strings.Contains(plans.measured, strings.TrimPrefix(forYouAnonRowName, "GET ")) {
		t.Errorf("plans goal without plans: %+v", plans)
	}
	md := r.markdown()
	for _, name := range searchRows {
		if !strings.Contains(md, "| "+name+" | not measured: route not available: GET /api/search: 404 |") {
			t.Errorf("report does not mark %s as not measured", name)
		}
	}
	if !strings.Contains(r.text(), "not measured: route not available") {
		t.Error("summary does not mark the missing rows")
	}
}
