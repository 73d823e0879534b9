package httpapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gotok/tiktok/internal/apitest"
)

// Search tests. Captions avoid '#': hashtags are synced from captions elsewhere, and these
// tests create their hashtags and sounds with SQL so that their counts are what they say.

// search runs GET /api/search with the query parameters kv (name, value, …).
func (e *env) search(token string, kv ...string) response {
	e.t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return e.request("GET", "/api/search?"+v.Encode(), nil, token)
}

// names returns field of each item of the list at key.
func (r response) names(key, field string) []string {
	var out []string
	for _, it := range r.items(key) {
		out = append(out, fmt.Sprint(it[field]))
	}
	return out
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.pool.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func (e *env) setName(u registered, name string) {
	e.t.Helper()
	expect(e.t, e.request("PUT", fmt.Sprintf("/api/users/%d", u.id), map[string]any{"name": name}, u.token), 200, "")
}

func (e *env) follow(by registered, id int64) {
	e.t.Helper()
	expect(e.t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", id), nil, by.token), 200, "")
}

func (e *env) like(by registered, video int64) {
	e.t.Helper()
	expect(e.t, e.request("POST", fmt.Sprintf("/api/videos/%d/like", video), nil, by.token), 200, "")
}

// fans registers n users to like and follow with.
func (e *env) fans(prefix string, n int) []registered {
	out := make([]registered, n)
	for i := range out {
		out[i] = e.register(fmt.Sprintf("%s%02d", prefix, i))
	}
	return out
}

func TestSearchUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	charlie := e.register("charlie")
	e.setName(charlie, "Charlie Brown")
	e.register("charlotte")
	bob := e.register("bob")
	e.setName(bob, "Bob Marley")
	e.register("zzz_unrelated")
	popular := e.register("dancer_b") // registered first: it would lose the tie-break on ids
	e.register("dancer_a")
	for _, f := range e.fans("fan", 3) {
		e.follow(f, popular.id)
	}

	users := func(q string, token string) response {
		res := e.search(token, "q", q, "type", "users")
		expect(t, res, 200, "")
		for _, u := range res.items("users") {
			if _, ok := u["email"]; ok && token == "" {
				t.Fatalf("email in search results: %s", res.raw)
			}
		}
		return res
	}
	// Typos: trigram similarity finds the username.
	if got := users("chrlie", "").names("users", "username"); len(got) == 0 || got[0] != "charlie" {
		t.Fatalf("chrlie: %v", got)
	}
	if got := users("CHARLY", "").names("users", "username"); len(got) == 0 || got[0] != "charlie" {
		t.Fatalf("CHARLY: %v", got)
	}
	// Exact first, then prefixes; "char" is a prefix of both, the shorter one is closer.
	if got := users("charlie", "").names("users", "username"); len(got) == 0 || got[0] != "charlie" {
		t.Fatalf("charlie: %v", got)
	}
	if got := strings.Join(users("char", "").names("users", "username"), ","); got != "charlie,charlotte" {
		t.Fatalf("char: %v", got)
	}
	// A word of the name, and a typo in it.
	if got := users("marley", "").names("users", "username"); len(got) != 1 || got[0] != "bob" {
		t.Fatalf("marley: %v", got)
	}
	if got := users("marly", "").names("users", "username"); len(got) != 1 || got[0] != "bob" {
		t.Fatalf("marly: %v", got)
	}
	// Equally close, the more followed first.
	if got := strings.Join(users("dancer", "").names("users", "username"), ","); got != "dancer_b,dancer_a" {
		t.Fatalf("dancer: %v", got)
	}
	// Misses.
	if got := users("xylophone", "").items("users"); len(got) != 0 {
		t.Fatalf("xylophone: %v", got)
	}
	// Signed in: isFollowing, and one's own email as in GET /api/users.
	fan := e.register("viewer")
	e.follow(fan, popular.id)
	res := users("dancer_b", fan.token)
	if us := res.items("users"); len(us) == 0 || us[0]["username"] != "dancer_b" || us[0]["isFollowing"] != true || us[0]["followerCount"] != 4.0 {
		t.Fatalf("signed in: %s", res.raw)
	}
	if got := users("@charlie", "").names("users", "username"); len(got) == 0 || got[0] != "charlie" {
		t.Fatalf("@charlie: %v", got)
	}
}

func TestSearchVideos(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob := e.register("alice"), e.register("bob")
	yoga := e.video(alice, "Morning yoga routine for beginners")
	yoga2 := e.video(bob, "yoga on the beach at sunset")
	pasta := e.video(alice, "Cooking pasta carbonara the Roman way")
	e.video(bob, "skate park session")
	// Two equally relevant captions: the more liked one ranks first (it is the older one,
	// which would lose the tie-break on ids).
	liked := e.video(bob, "Street food tour in Bangkok")
	plain := e.video(alice, "Street food tour in Bangkok")
	for _, f := range e.fans("fan", 4) {
		e.like(f, liked)
	}

	ids := func(res response) []int64 {
		var out []int64
		for _, v := range res.items("videos") {
			out = append(out, int64(v["id"].(float64)))
		}
		return out
	}
	videos := func(q string, token string) []int64 {
		res := e.search(token, "q", q, "type", "videos")
		expect(t, res, 200, "")
		if _, ok := res.body["users"]; ok {
			t.Fatalf("type=videos answered other lists: %s", res.raw)
		}
		return ids(res)
	}
	has := func(got []int64, want ...int64) bool {
		if len(got) != len(want) {
			return false
		}
		seen := map[int64]bool{}
		for _, id := range got {
			seen[id] = true
		}
		for _, id := range want {
			if !seen[id] {
				return false
			}
		}
		return true
	}
	if got := videos("yoga", ""); !has(got, yoga, yoga2) {
		t.Fatalf("yoga: %v, want %d and %d", got, yoga, yoga2)
	}
	if got := videos("YOGA beginners", ""); !has(got, yoga) {
		t.Fatalf("yoga beginners: %v", got)
	}
	if got := videos("carbonara", ""); !has(got, pasta) {
		t.Fatalf("carbonara: %v", got)
	}
	if got := videos("carbo", ""); !has(got, pasta) { // the last word is a prefix
		t.Fatalf("carbo: %v", got)
	}
	if got := videos("carbo!", ""); len(got) != 0 { // ... unless the query ends in punctuation
		t.Fatalf("carbo!: %v", got)
	}
	if got := videos(`"pasta carbonara"`, ""); !has(got, pasta) {
		t.Fatalf("phrase: %v", got)
	}
	if got := videos(`"carbonara pasta"`, ""); len(got) != 0 {
		t.Fatalf("reversed phrase: %v", got)
	}
	if got := videos("yoga -beach", ""); !has(got, yoga) {
		t.Fatalf("yoga -beach: %v", got)
	}
	if got := videos("skate or carbonara", ""); len(got) != 2 {
		t.Fatalf("or: %v", got)
	}
	if got := videos("snowboard", ""); len(got) != 0 {
		t.Fatalf("snowboard: %v", got)
	}
	if got := videos("street food", ""); len(got) != 2 || got[0] != liked || got[1] != plain {
		t.Fatalf("street food: %v, want %d (liked) before %d", got, liked, plain)
	}
	// Whole-word matches rank above prefix-only ones, popularity aside.
	word := e.video(alice, "cat")
	longer := e.video(bob, "catalog")
	for _, f := range e.fans("cf", 2) {
		e.like(f, longer)
	}
	if got := videos("cat", ""); len(got) != 2 || got[0] != word || got[1] != longer {
		t.Fatalf("cat: %v, want %d then %d", got, word, longer)
	}
	// Signed in: isLiked, as in the feeds.
	fan := e.register("viewer")
	e.like(fan, pasta)
	res := e.search(fan.token, "q", "carbonara", "type", "videos")
	if vs := res.items("videos"); len(vs) != 1 || vs[0]["isLiked"] != true || apitest.Lookup(vs[0], "user.username") != "alice" {
		t.Fatalf("signed in: %s", res.raw)
	}
}

// TestSearchVideoRoutes checks that both ways of choosing candidates give the same
// answer on a small table: before ANALYZE every query is selective (no statistics), after it
// every word of a small table is common, and the hottest-first walk covers the table.
func TestSearchVideoRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("maker")
	fans := e.fans("fan", 3)
	var popular []string // the videos with likes, most liked first: oldest first too
	for i := 0; i < 12; i++ {
		id := e.video(u, fmt.Sprintf("guitar lesson number %d", i))
		if i < 3 {
			for _, f := range fans[:3-i] {
				e.like(f, id)
			}
			popular = append(popular, fmt.Sprint(id))
		}
	}
	e.video(u, "piano lesson")
	walk := func(e *env) ([]string, string) {
		var all []string
		route := ""
		path := "/api/search?q=guitar+lesson&type=videos&limit=5"
		for path != "" {
			res := e.request("GET", path, nil, "")
			expect(t, res, 200, "")
			all = append(all, res.names("videos", "id")...)
			path = ""
			if c := res.str("pagination.nextCursor"); c != "" {
				raw, _ := base64.RawURLEncoding.DecodeString(c)
				route = string(raw[:2])
				path = "/api/search?q=guitar+lesson&type=videos&limit=5&cursor=" + c
			}
		}
		return all, route
	}
	before, r1 := walk(e)
	e.exec("ANALYZE videos")
	after, r2 := walk(newEnvWithPool(t, e.pool)) // a new store: it reads the statistics
	if len(before) != 12 || strings.Join(before, ",") != strings.Join(after, ",") {
		t.Fatalf("routes disagree: %v (%s) and %v (%s)", before, r1, after, r2)
	}
	if r1 != "vs" || r2 != "vc" {
		t.Fatalf("routes %q then %q, want vs (selective) then vc (common)", r1, r2)
	}
	if got := strings.Join(after[:3], ","); got != strings.Join(popular, ",") {
		t.Fatalf("first %s, want the liked ones %v first", got, popular)
	}
}

func TestSearchHashtagsAndSounds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec(`INSERT INTO hashtags (name, video_count, view_count) VALUES
		('dance', 500, 90000), ('dancechallenge', 40, 1000), ('dancer', 90, 5000), ('dancez', 10, 10),
		('cat', 3, 30), ('cats', 200, 9000), ('catz', 20, 900), ('cooking', 70, 700)`)
	e.exec(`INSERT INTO sounds (name, name_key, video_count) VALUES
		('Original Sound', 'original sound', 900), ('Dancing Queen', 'dancing queen', 50),
		('Dance Monkey', 'dance monkey', 300), ('Monkey Business', 'monkey business', 5)`)

	tags := func(q string) response {
		res := e.search("", "q", q, "type", "hashtags")
		expect(t, res, 200, "")
		return res
	}
	// Exact first, then prefixes (the closer, then the more used), then similar names.
	if got := strings.Join(tags("cat").names("hashtags", "name"), ","); got != "cat,cats,catz" {
		t.Fatalf("cat: %s", got)
	}
	res := tags("#Dance")
	if got := strings.Join(res.names("hashtags", "name"), ","); got != "dance,dancer,dancez,dancechallenge" {
		t.Fatalf("#Dance: %s", got)
	}
	if h := res.items("hashtags"); h[0]["videoCount"] != 500.0 || h[0]["viewCount"] != 90000.0 {
		t.Fatalf("counts: %s", res.raw)
	}
	if got := tags("danse").names("hashtags", "name"); len(got) == 0 || got[0] != "dance" { // a typo
		t.Fatalf("danse: %v", got)
	}
	if got := tags("xylophone").names("hashtags", "name"); len(got) != 0 {
		t.Fatalf("xylophone: %v", got)
	}

	sounds := func(q string) response {
		res := e.search("", "q", q, "type", "sounds")
		expect(t, res, 200, "")
		return res
	}
	res = sounds("ORIGINAL   sound")
	if s := res.items("sounds"); len(s) == 0 || s[0]["name"] != "Original Sound" || s[0]["videoCount"] != 900.0 || s[0]["id"] == nil {
		t.Fatalf("original sound: %s", res.raw)
	}
	if got := strings.Join(sounds("danc").names("sounds", "name"), ","); got != "Dance Monkey,Dancing Queen" {
		t.Fatalf("danc: %s", got)
	}
	if got := sounds("monkey").names("sounds", "name"); len(got) != 2 || got[0] != "Monkey Business" {
		t.Fatalf("monkey: %v (the prefix match first)", got)
	}
	if got := sounds("dancng quen").names("sounds", "name"); len(got) == 0 || got[0] != "Dancing Queen" {
		t.Fatalf("dancng quen: %v", got)
	}
}

func TestSearchTop(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, n := range []string{"dancer1", "dancer2", "dancer3", "dancer4"} {
		e.register(n)
	}
	e.exec(`INSERT INTO hashtags (name, video_count) VALUES ('dance', 9), ('dancer', 8), ('dancers', 7), ('dancing', 6)`)
	e.exec(`INSERT INTO sounds (name, name_key, video_count) VALUES ('Dance A', 'dance a', 3), ('Dance B', 'dance b', 2), ('Dance C', 'dance c', 1)`)
	u := e.register("maker")
	for i := 0; i < 12; i++ {
		e.video(u, fmt.Sprintf("dance practice %d", i))
	}
	res := e.search("", "q", "dance")
	expect(t, res, 200, "")
	if n := len(res.items("users")); n != 3 {
		t.Fatalf("users: %d, want 3: %s", n, res.raw)
	}
	if got := strings.Join(res.names("hashtags", "name"), ","); got != "dance,dancer,dancers" {
		t.Fatalf("hashtags: %s", got)
	}
	if got := strings.Join(res.names("sounds", "name"), ","); got != "Dance A,Dance B" {
		t.Fatalf("sounds: %s", got)
	}
	if len(res.items("videos")) != 10 || res.get("pagination.hasNextPage") != true {
		t.Fatalf("videos: %s", res.raw)
	}
	next := e.search("", "q", "dance", "type", "top", "cursor", res.str("pagination.nextCursor"))
	expect(t, next, 200, "")
	if len(next.items("videos")) != 2 || len(next.items("users")) != 0 || len(next.items("hashtags")) != 0 ||
		len(next.items("sounds")) != 0 || next.get("pagination.hasNextPage") != false {
		t.Fatalf("second page: %s", next.raw)
	}
	if _, ok := next.body["users"]; !ok {
		t.Fatalf("type=top always has the four lists: %s", next.raw)
	}
	// top's cursor pages the videos of type=videos too.
	expect(t, e.search("", "q", "dance", "type", "videos", "cursor", res.str("pagination.nextCursor")), 200, "")

	// top's few users, tags and sounds are similar names (typos) only when nothing at all
	// matches, videos included.
	e.register("marko1")
	e.register("markus")
	e.exec(`INSERT INTO hashtags (name, video_count) VALUES ('markets', 5)`)
	if got := strings.Join(e.search("", "q", "marko").names("users", "username"), ","); got != "marko1" {
		t.Fatalf("top marko: %s", got)
	}
	if got := strings.Join(e.search("", "q", "marko", "type", "users").names("users", "username"), ","); got != "marko1,markus" {
		t.Fatalf("users marko: %s", got)
	}
	res = e.search("", "q", "mrkus")
	if got := strings.Join(res.names("users", "username"), ","); got != "markus" || len(res.items("videos")) != 0 {
		t.Fatalf("top mrkus: %s", res.raw)
	}
	e.video(u, "a video about mrkus")
	if res := e.search("", "q", "mrkus"); len(res.items("users")) != 0 || len(res.items("videos")) != 1 {
		t.Fatalf("top mrkus with a video: %s", res.raw)
	}
	if got := strings.Join(e.search("", "q", "markest").names("hashtags", "name"), ","); got != "markets" {
		t.Fatalf("top markest: %s", got)
	}
}

func TestSearchPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("maker")
	fans := e.fans("fan", 5)
	want := map[string]bool{}
	for i := 0; i < 23; i++ {
		id := e.video(u, fmt.Sprintf("surfing clip %d", i))
		for _, f := range fans[:i%6] { // a few likes each: many ties in the ranking
			e.like(f, id)
		}
		want[fmt.Sprint(id)] = true
	}
	for i := 0; i < 25; i++ {
		e.register(fmt.Sprintf("surfer%02d", i))
	}
	walk := func(typ, key string, limit int) []string {
		var all []string
		cursor := ""
		for pages := 0; ; pages++ {
			res := e.search("", "q", "surf", "type", typ, "limit", fmt.Sprint(limit), "cursor", cursor)
			expect(t, res, 200, "")
			items := res.names(key, "id")
			if len(items) > limit || (res.get("pagination.hasNextPage") == true) != (len(items) == limit && res.str("pagination.nextCursor") != "") {
				t.Fatalf("page %d: %s", pages, res.raw)
			}
			all = append(all, items...)
			cursor = res.str("pagination.nextCursor")
			if cursor == "" {
				return all
			}
		}
	}
	got := walk("videos", "videos", 4)
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] || !want[id] {
			t.Fatalf("walked %v: %s repeated or unexpected", got, id)
		}
		seen[id] = true
	}
	if len(seen) != len(want) {
		t.Fatalf("walked %d of %d videos", len(seen), len(want))
	}
	// The walk is the ranking: the same as one big page.
	res := e.search("", "q", "surf", "type", "videos", "limit", "100")
	if strings.Join(res.names("videos", "id"), ",") != strings.Join(got, ",") {
		t.Fatalf("pages %v, one page %v", got, res.names("videos", "id"))
	}
	users := walk("users", "users", 7)
	if len(users) != 25 {
		t.Fatalf("users walked: %v", users)
	}

	// From prefix matches on to similar ones: pages of 2 over 5 usernames starting with
	// "marko" then 3 similar ones, which are looked for only once the page reaches them.
	for _, n := range []string{"marko1", "marko2", "marko3", "marko4", "marko5", "markus", "xmarko", "mary"} {
		e.register(n)
	}
	var names []string
	cursor := ""
	for {
		res := e.search("", "q", "marko", "type", "users", "limit", "2", "cursor", cursor)
		expect(t, res, 200, "")
		names = append(names, res.names("users", "username")...)
		if cursor = res.str("pagination.nextCursor"); cursor == "" {
			break
		}
	}
	// (xmarko and markus are as similar: the newer first; mary is less similar.)
	if got := strings.Join(names, ","); got != "marko5,marko4,marko3,marko2,marko1,xmarko,markus,mary" {
		t.Fatalf("marko: %s", got)
	}
}

func TestSearchSuggest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	popular, quiet := e.register("danny"), e.register("dan_quiet")
	for _, f := range e.fans("fan", 2) {
		e.follow(f, popular.id)
	}
	_ = quiet
	e.exec(`INSERT INTO hashtags (name, video_count, trend_score) VALUES ('dance', 1000, 9), ('dancer', 10, 1), ('dan', 1, 0)`)
	for i := 0; i < 12; i++ {
		e.exec(`INSERT INTO hashtags (name, video_count) VALUES ($1, 5)`, fmt.Sprintf("danfiller%02d", i))
	}
	// More tags before "dance" in the alphabet than a prefix range is read for.
	e.exec(`INSERT INTO hashtags (name, video_count) SELECT 'da' || g, 2 FROM generate_series(1000, 1300) g`)
	e.exec(`INSERT INTO sounds (name, name_key, video_count) VALUES ('Dancing Queen', 'dancing queen', 50), ('Dan Sound', 'dan sound', 3)`)

	suggest := func(q string, extra ...string) []string {
		v := url.Values{"q": {q}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		res := e.request("GET", "/api/search/suggest?"+v.Encode(), nil, "")
		expect(t, res, 200, "")
		var out []string
		for _, s := range res.items("suggestions") {
			out = append(out, fmt.Sprintf("%s:%s", s["type"], s["text"]))
			if s["id"] == nil {
				t.Fatalf("suggestion without id: %s", res.raw)
			}
		}
		return out
	}
	got := suggest("Dan")
	// The exact match first, then by popularity (videos, followers), at most 10.
	want := "hashtag:dan,hashtag:dance,sound:Dancing Queen,hashtag:dancer,hashtag:danfiller00,hashtag:danfiller01,hashtag:danfiller02,hashtag:danfiller03,hashtag:danfiller04,hashtag:danfiller05"
	if strings.Join(got, ",") != want {
		t.Fatalf("dan:\n got %v\nwant %v", got, want)
	}
	if got := suggest("dan", "limit", "3"); strings.Join(got, ",") != "hashtag:dan,hashtag:dance,sound:Dancing Queen" {
		t.Fatalf("limit 3: %v", got)
	}
	if got := suggest("dan", "limit", "50"); len(got) != 10 {
		t.Fatalf("limit 50: %d", len(got))
	}
	if got := strings.Join(suggest("@dan"), ","); got != "user:danny,user:dan_quiet" {
		t.Fatalf("@dan: %v", got)
	}
	if got := suggest("#dance"); strings.Join(got, ",") != "hashtag:dance,hashtag:dancer" {
		t.Fatalf("#dance: %v", got)
	}
	if got := suggest("dancing q"); strings.Join(got, ",") != "sound:Dancing Queen" {
		t.Fatalf("dancing q: %v", got)
	}
	// A one-letter prefix also looks among the most used tags: "dance" comes first.
	if got := suggest("d"); len(got) == 0 || got[0] != "hashtag:dance" {
		t.Fatalf("d: %v", got)
	}
	if got := suggest("zz"); len(got) != 0 {
		t.Fatalf("zz: %v", got)
	}
}

func TestSearchBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("someone")
	e.video(u, "a video about something")
	bad := func(path, code, field string) {
		t.Helper()
		res := e.request("GET", path, nil, "")
		expect(t, res, http.StatusBadRequest, code)
		if field != "" && res.str("fields."+field) == "" {
			t.Fatalf("%s: no fields.%s: %s", path, field, res.raw)
		}
	}
	long := strings.Repeat("é", 101)
	for _, base := range []string{"/api/search?type=videos&", "/api/search/suggest?"} {
		bad(base+"", "validation_failed", "q")
		bad(base+"q=", "validation_failed", "q")
		bad(base+"q=+%20+", "validation_failed", "q")
		bad(base+"q="+url.QueryEscape(long), "validation_failed", "q")
		bad(base+"q=a%00b", "validation_failed", "q")
		bad(base+"q=a&limit=0", "invalid_limit", "")
		bad(base+"q=a&limit=x", "invalid_limit", "")
		expect(t, e.request("GET", base+"q="+url.QueryEscape(long[2:]), nil, ""), 200, "") // 100 characters
	}
	bad("/api/search?q=a&type=people", "validation_failed", "type")
	bad("/api/search?q=&type=people", "validation_failed", "type")
	for _, c := range []string{"garbage", "dnM6MTox=", "dnM6MTox\n", base64.RawURLEncoding.EncodeToString([]byte("vs:NaN:1")),
		base64.RawURLEncoding.EncodeToString([]byte("vs:1:0")), base64.RawURLEncoding.EncodeToString([]byte("xx:1:1")),
		base64.RawURLEncoding.EncodeToString([]byte("vs:1.0:1")), base64.RawURLEncoding.EncodeToString([]byte("vs:1:1:1")),
		"MTcwMDAwMDAwMDAwMDAwMC4x"} { // a feed cursor
		bad("/api/search?q=a&type=videos&cursor="+url.QueryEscape(c), "invalid_cursor", "")
	}
	// A cursor is for the type that issued it.
	users := base64.RawURLEncoding.EncodeToString([]byte("u:12.5:3"))
	expect(t, e.request("GET", "/api/search?q=a&type=users&cursor="+users, nil, ""), 200, "")
	bad("/api/search?q=a&type=videos&cursor="+users, "invalid_cursor", "")
	bad("/api/search?q=a&type=hashtags&cursor="+users, "invalid_cursor", "")
	videos := base64.RawURLEncoding.EncodeToString([]byte("vs:12.5:3"))
	bad("/api/search?q=a&type=users&cursor="+videos, "invalid_cursor", "")
	expect(t, e.request("GET", "/api/search?q=a&type=top&cursor="+videos, nil, ""), 200, "")

	// Whatever the text, a query is data: never a 500, never a syntax error.
	odd := []string{`"`, `""`, `-`, `--`, `or`, `a or`, `or b`, `!!!`, `#`, `@`, `'`, `''`, `\`, `a\`, `a:*`, `a:*b`,
		`&|!()<->`, `a & b | !c`, `cat -"dog`, `"unclosed phrase`, `-"a b"`, `-"a b" c`, `a -`, `(a`, `a)`,
		`日本語`, `😀`, `a😀`, `über`, `x'y`, `%`, `_`, `%_%`, `a b c d e f g h i j k l m n o p`,
		strings.Repeat("x", 100), "a\u200bb", "tab\there", `é` + "\u0301"}
	for _, q := range odd {
		for _, typ := range []string{"top", "videos", "users", "hashtags", "sounds"} {
			res := e.search("", "q", q, "type", typ)
			if res.status != 200 && res.status != 400 {
				t.Fatalf("q=%q type=%s: %s", q, typ, res)
			}
		}
		res := e.request("GET", "/api/search/suggest?q="+url.QueryEscape(q), nil, "")
		if res.status != 200 && res.status != 400 {
			t.Fatalf("suggest q=%q: %s", q, res)
		}
	}
}
