package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// unicodeCase is a text value sent inside a JSON string. wire is the string's content as
// sent (escapes and raw bytes included, so it may be invalid UTF-8); want is the text the
// server must store and return exactly, when code is "" — otherwise the request must fail
// with 400 and that code.
type unicodeCase struct {
	name string
	wire string
	want string
	code string
	// nameCode, when set, is the code a display name gets instead: names refuse bidi
	// controls, invisible and control characters (see visibleName).
	nameCode string
}

var unicodeCases = []unicodeCase{
	{"ASCII", "plain text", "plain text", "", ""},
	{"4-byte emoji", "🎉 party 🎉", "🎉 party 🎉", "", ""},
	{"escaped surrogate pair", `\ud83c\udf89 \uD83C\uDF89`, "🎉 🎉", "", ""},
	{"ZWJ family", "👩‍👩‍👧‍👦", "👩\u200d👩\u200d👧\u200d👦", "", ""},
	{"ZWJ escaped", `\ud83d\udc69\u200d\ud83d\udc67`, "👩\u200d👧", "", ""},
	{"flag and skin tone", "🇯🇵 👍🏽 🏳️‍🌈", "🇯🇵 👍🏽 🏳️‍🌈", "", ""},
	{"RTL override", "abc\u202edcba", "abc\u202edcba", "", "validation_failed"},
	{"RTL override escaped", `gnp.\u202eexe`, "gnp.\u202eexe", "", "validation_failed"},
	{"bidi isolates and Hebrew", "\u2067שלום\u2069 world", "\u2067שלום\u2069 world", "", "validation_failed"},
	{"combining marks (NFD, not normalised)", "Zoe\u0308 e\u0301\u0301\u0301", "Zoe\u0308 e\u0301\u0301\u0301", "", ""},
	{"precomposed (NFC)", "Zoë", "Zoë", "", ""},
	{"zero-width characters inside", "a\u200bb\ufeffc\u2060d", "a\u200bb\ufeffc\u2060d", "", "validation_failed"},
	{"replacement character sent by the client", "\ufffd and \\ufffd", "\ufffd and \ufffd", "", ""},
	{"line separators", `a\u2028b\u2029c`, "a\u2028b\u2029c", "", "validation_failed"},
	{"escaped control characters", `tab\there\nline\u0001\u001f`, "tab\there\nline\x01\x1f", "", "validation_failed"},
	{"HTML", `<script>alert(\"x\")<\/script> &amp;`, `<script>alert("x")</script> &amp;`, "", ""},
	{"CJK and Arabic", "你好 مرحبا", "你好 مرحبا", "", ""},
	{"plane 16 private use", "\U0010fffd", "\U0010fffd", "", ""},
	{"escaped NUL", `a\u0000b`, "", "validation_failed", ""},
	{"escaped NUL alone", `\u0000`, "", "validation_failed", ""},
	{"raw NUL byte", "a\x00b", "", "invalid_json", ""},
	{"invalid byte", "a\xffb", "", "invalid_json", ""},
	{"Latin-1 byte", "caf\xe9", "", "invalid_json", ""},
	{"truncated 4-byte sequence", "\xf0\x9f\x8e", "", "invalid_json", ""},
	{"overlong encoding", "\xc0\xaf", "", "invalid_json", ""},
	{"UTF-8-encoded surrogate", "\xed\xa0\xbd\xed\xb8\x80", "", "invalid_json", ""},
	{"code point above U+10FFFF", "\xf4\x90\x80\x80", "", "invalid_json", ""},
	{"lone high surrogate escape", `x\ud83c`, "", "invalid_json", ""},
	{"lone low surrogate escape", `\udf89x`, "", "invalid_json", ""},
	{"surrogates reversed", `\udf89\ud83c`, "", "invalid_json", ""},
}

// unicodeField is one stored text field: set sends the JSON string content wire as the
// field and returns the answer; get reads the stored value back through a GET endpoint.
type unicodeField struct {
	name    string
	isName  bool   // a display name (see unicodeCase.nameCode)
	status  int    // the status of an accepted set
	key     string // the field in set's answer
	set     func(e *env, u registered, wire string) response
	getPath func(set response) string
	getKeys []string // the fields of the GET answer that must hold the value
}

func unicodeFields(video int64, comment int64) []unicodeField {
	vid := strconv.FormatInt(video, 10)
	n := 0
	return []unicodeField{
		{
			name: "name at registration", isName: true, status: 201, key: "user.name",
			set: func(e *env, _ registered, wire string) response {
				n++
				return e.request("POST", "/api/users/register", fmt.Sprintf(
					`{"email":"reg%d@example.com","password":"password123","name":"%s"}`, n, wire), "")
			},
			getPath: func(r response) string { return "/api/users/" + itoa(r.num("user.id")) },
			getKeys: []string{"name"},
		},
		{
			name: "name", isName: true, status: 200, key: "name",
			set: func(e *env, u registered, wire string) response {
				return e.request("PUT", "/api/users/"+itoa(u.id), `{"name":"`+wire+`"}`, u.token)
			},
			getPath: func(r response) string { return "/api/users/" + itoa(r.num("id")) },
			getKeys: []string{"name"},
		},
		{
			name: "bio", status: 200, key: "bio",
			set: func(e *env, u registered, wire string) response {
				return e.request("PUT", "/api/users/"+itoa(u.id), `{"bio":"`+wire+`"}`, u.token)
			},
			getPath: func(r response) string { return "/api/users/" + itoa(r.num("id")) },
			getKeys: []string{"bio"},
		},
		{
			name: "caption at creation", status: 201, key: "caption",
			set: func(e *env, u registered, wire string) response {
				return e.request("POST", "/api/videos", `{"videoUrl":"https://cdn.example.com/v.mp4","caption":"`+wire+`"}`, u.token)
			},
			getPath: func(r response) string { return "/api/videos/" + itoa(r.num("id")) },
			getKeys: []string{"caption"},
		},
		{
			name: "caption", status: 200, key: "caption",
			set: func(e *env, u registered, wire string) response {
				return e.request("PUT", "/api/videos/"+vid, `{"caption":"`+wire+`"}`, u.token)
			},
			getPath: func(response) string { return "/api/videos/" + vid },
			getKeys: []string{"caption"},
		},
		{
			name: "audio name at creation", status: 201, key: "audioName",
			set: func(e *env, u registered, wire string) response {
				return e.request("POST", "/api/videos", `{"videoUrl":"https://cdn.example.com/v.mp4","audioName":"`+wire+`"}`, u.token)
			},
			getPath: func(r response) string { return "/api/videos/" + itoa(r.num("id")) },
			getKeys: []string{"audioName", "sound"},
		},
		{
			name: "audio name", status: 200, key: "audioName",
			set: func(e *env, u registered, wire string) response {
				return e.request("PUT", "/api/videos/"+vid, `{"audioName":"`+wire+`"}`, u.token)
			},
			getPath: func(response) string { return "/api/videos/" + vid },
			getKeys: []string{"audioName", "sound"},
		},
		{
			name: "comment", status: 201, key: "content",
			set: func(e *env, u registered, wire string) response {
				return e.request("POST", "/api/comments", `{"videoId":`+vid+`,"content":"`+wire+`"}`, u.token)
			},
			getPath: func(r response) string { return "/api/comments/" + itoa(r.num("id")) },
			getKeys: []string{"content"},
		},
		{
			name: "comment edit", status: 200, key: "content",
			set: func(e *env, u registered, wire string) response {
				return e.request("PUT", "/api/comments/"+itoa(comment), `{"content":"`+wire+`"}`, u.token)
			},
			getPath: func(response) string { return "/api/comments/" + itoa(comment) },
			getKeys: []string{"content"},
		},
	}
}

// TestUnicodeText sends every case in every stored text field: accepted text must come
// back byte for byte from the write and from the GET endpoint; NUL bytes are a validation
// failure (PostgreSQL text cannot hold them) and bodies that are not valid UTF-8, or that
// escape half a surrogate pair, are malformed JSON (never silently turned into U+FFFD).
func TestUnicodeText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("unicode")
	video := e.video(u, "original caption")
	comment := e.comment(u, video, "original comment")
	for _, f := range unicodeFields(video, comment) {
		t.Run(f.name, func(t *testing.T) {
			for _, c := range unicodeCases {
				res := f.set(e, u, c.wire)
				if f.isName && c.nameCode != "" {
					c.code = c.nameCode
				}
				if c.code != "" {
					if res.status != http.StatusBadRequest || res.str("code") != c.code {
						t.Errorf("%s: %s, want 400 %s", c.name, res, c.code)
					}
					continue
				}
				if res.status != f.status {
					t.Errorf("%s: %s, want %d", c.name, res, f.status)
					continue
				}
				if got := res.str(f.key); got != c.want {
					t.Errorf("%s: answered %q (% x), want %q (% x)", c.name, got, got, c.want, c.want)
				}
				got := e.request("GET", f.getPath(res), nil, "")
				expect(t, got, 200, "")
				if !utf8.Valid(got.raw) {
					t.Errorf("%s: GET answered invalid UTF-8: %q", c.name, got.raw)
				}
				for _, k := range f.getKeys {
					if s := got.str(k); s != c.want {
						t.Errorf("%s: GET %s: %s = %q (% x), want %q (% x)", c.name, f.getPath(res), k, s, s, c.want, c.want)
					}
				}
			}
		})
	}
	// The lists return the same bytes as the single-item routes.
	const family = "👩\u200d👩\u200d👧\u200d👦 \u202eRTL e\u0301"
	expect(t, e.request("PUT", "/api/videos/"+itoa(video), map[string]string{"caption": family}, u.token), 200, "")
	list := e.request("GET", "/api/videos?limit=100", nil, "")
	expect(t, list, 200, "")
	found := false
	for _, v := range list.items("videos") {
		if int64(v["id"].(float64)) == video {
			found = v["caption"] == family
		}
	}
	if !found {
		t.Errorf("GET /api/videos does not return the caption exactly: %s", list.raw)
	}
	comments := e.request("GET", "/api/comments?videoId="+itoa(video), nil, "")
	expect(t, comments, 200, "")
	for _, c := range comments.items("comments") {
		if !utf8.ValidString(c["content"].(string)) {
			t.Errorf("comment list: invalid UTF-8 in %q", c["content"])
		}
	}
}

// TestUnicodeUsernames checks usernames are ASCII only ([A-Za-z0-9_.]): every lookalike,
// emoji, invisible or bidi character is rejected, never stored.
func TestUnicodeUsernames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i, c := range []struct {
		wire string
		code string
	}{
		{"zoë", "validation_failed"},
		{"Zoe\u0308", "validation_failed"},
		{"\u0430lice", "validation_failed"}, // Cyrillic а
		{"ａｌｉｃｅ", "validation_failed"},      // full-width
		{"alıce", "validation_failed"},      // dotless i
		{"ali\u202ece", "validation_failed"},
		{"alice\u200d", "validation_failed"},
		{"\u200balice", "validation_failed"},
		{"alice\ufeff", "validation_failed"},
		{"🎉🎉🎉", "validation_failed"},
		{"👩‍👩‍👧‍👦", "validation_failed"},
		{`ali\u0000ce`, "validation_failed"},
		{"ali\xffce", "invalid_json"},
		{`ali\ud800ce`, "invalid_json"},
	} {
		res := e.request("POST", "/api/users/register", fmt.Sprintf(
			`{"username":"%s","email":"user%d@example.com","password":"password123"}`, c.wire, i), "")
		expect(t, res, http.StatusBadRequest, c.code)
		if c.code == "validation_failed" && res.get("fields.username") == nil {
			t.Errorf("%q: no username field problem: %s", c.wire, res.raw)
		}
	}
	// Nothing was stored.
	if users := e.request("GET", "/api/users?limit=100", nil, "").list(t); len(users) != 0 {
		t.Errorf("%d users registered: %v", len(users), users)
	}
	// Logins with such names fail cleanly too (400 or 401, never 500).
	for _, wire := range []string{`ali\u0000ce`, "zoë", "🎉"} {
		res := e.request("POST", "/api/users/login", `{"username":"`+wire+`","password":"password123"}`, "")
		if res.status != 400 && res.status != 401 {
			t.Errorf("login as %q: %s", wire, res)
		}
		res = e.request("POST", "/api/users/login", `{"email":"`+wire+`@example.com","password":"password123"}`, "")
		if res.status != 400 && res.status != 401 {
			t.Errorf("login with email %q: %s", wire, res)
		}
	}
}

// TestUnicodeLengths checks that limits count code points, not bytes or graphemes.
func TestUnicodeLengths(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("lengths")
	video := e.video(u, "x")
	vid := itoa(video)
	for _, c := range []struct {
		name   string
		method string
		path   string
		field  string
		max    int
		status int
	}{
		{"caption at creation", "POST", "/api/videos", "caption", 2200, 201},
		{"caption", "PUT", "/api/videos/" + vid, "caption", 2200, 200},
		{"audio name", "PUT", "/api/videos/" + vid, "audioName", 255, 200},
		{"name", "PUT", "/api/users/" + itoa(u.id), "name", 50, 200},
		{"bio", "PUT", "/api/users/" + itoa(u.id), "bio", 500, 200},
		{"comment", "POST", "/api/comments", "content", 1000, 201},
	} {
		t.Run(c.name, func(t *testing.T) {
			send := func(text string) response {
				body := map[string]any{c.field: text}
				if c.path == "/api/videos" {
					body["videoUrl"] = "https://cdn.example.com/v.mp4"
				}
				if c.path == "/api/comments" {
					body["videoId"] = video
				}
				return e.request(c.method, c.path, body, u.token)
			}
			for _, unit := range []string{"🎉", "é", "\u0301", "\u202e", "x"} {
				if unit == "\u202e" && c.field == "name" {
					continue // names refuse bidi controls (TestDisplayNameLookalikes)
				}
				at := strings.Repeat(unit, c.max)
				res := send(at)
				expect(t, res, c.status, "")
				if res.str(c.field) != at {
					t.Errorf("%d × %q: stored %d bytes, want %d", c.max, unit, len(res.str(c.field)), len(at))
				}
				res = send(at + unit)
				expect(t, res, 400, "validation_failed")
				if res.get("fields."+c.field) == nil {
					t.Errorf("%d × %q: no %s field problem: %s", c.max+1, unit, c.field, res.raw)
				}
			}
			// 👩‍👩‍👧‍👦 is one grapheme of 7 code points: the limit is on the code points.
			const family = "👩\u200d👩\u200d👧\u200d👦"
			fits := strings.Repeat(family, c.max/7)
			expect(t, send(fits), c.status, "")
			expect(t, send(fits+strings.Repeat("x", c.max%7+1)), 400, "validation_failed")
		})
	}
}

// TestUnicodeMultipart checks the same rules for text fields of multipart uploads.
func TestUnicodeMultipart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("multipart")
	clip := sampleVideo(t)
	const caption = "🎉 \u202egnp.exe 👩\u200d👩\u200d👧\u200d👦 e\u0301"
	res := e.upload("POST", "/api/videos", u.token, map[string]string{"caption": caption, "audioName": "\u2067שלום\u2069"},
		map[string]fileUpload{"video": {"clip.mp4", clip}})
	expect(t, res, 201, "")
	got := e.request("GET", "/api/videos/"+itoa(res.num("id")), nil, "")
	if got.str("caption") != caption || got.str("sound") != "\u2067שלום\u2069" {
		t.Errorf("stored %q / %q", got.str("caption"), got.str("sound"))
	}
	for _, bad := range []string{"a\x00b", "caf\xe9", "\xed\xa0\x80"} {
		res := e.upload("POST", "/api/videos", u.token, map[string]string{"caption": bad},
			map[string]fileUpload{"video": {"clip.mp4", clip}})
		expect(t, res, 400, "validation_failed")
		res = e.upload("PUT", "/api/users/"+itoa(u.id), u.token, map[string]string{"bio": bad}, nil)
		expect(t, res, 400, "validation_failed")
	}
	if files := e.mediaFiles(); len(files) != 1 {
		t.Errorf("rejected uploads left files: %v", files)
	}
}

// TestUnicodeSearch checks that users are found by a name prefix in any script.
func TestUnicodeSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("searchme")
	expect(t, e.request("PUT", "/api/users/"+itoa(u.id), map[string]string{"name": "Ünïcödé 🎉 Person"}, u.token), 200, "")
	for _, q := range []string{"Ünïcödé", "Ünï", "ünïcödé 🎉", "searchme"} {
		found := e.request("GET", "/api/users?q="+url.QueryEscape(q), nil, "").list(t)
		if len(found) != 1 || found[0]["name"] != "Ünïcödé 🎉 Person" {
			t.Errorf("q=%q: %v", q, found)
		}
	}
	for _, q := range []string{"%00", "%FF", "%ED%A0%80"} {
		expect(t, e.request("GET", "/api/users?q="+q, nil, ""), 400, "validation_failed")
	}
}
