package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gotok/tiktok/internal/auth"
	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

// Fuzz targets for everything that parses client input. `make test` runs each for a few
// seconds (scripts/fuzz.sh); plain `go test` runs their seed corpora as ordinary tests.
// An input that fails is written to testdata/fuzz/<Target>/ — commit it: it becomes a
// regression test.

// fuzzJSONSeeds are request bodies for every JSON route: realistic ones, and the nasty
// inputs decoders trip over.
var fuzzJSONSeeds = []string{
	`{"username":"alice","email":"alice@example.com","password":"password123","name":"Alice"}`,
	`{"username":"alice@example.com","email":"alice@example.com","password":"password123","confirmPassword":"password123"}`,
	`{"email":"alice@example.com","password":"password123"}`,
	`{"username":"alice","password":"password123"}`,
	`{"caption":"Sunset 🌅 #travel","audioName":"original sound","videoUrl":"https://cdn.example.com/v.mp4","thumbnailUrl":"https://cdn.example.com/t.jpg","videoStoragePath":"videos/a.mp4","thumbnailStoragePath":"thumbnails/a.jpg"}`,
	`{"caption":"","audioName":null}`,
	`{"videoId":1,"content":"Nice!"}`,
	`{"videoId":"42","content":"👩‍👩‍👧‍👦 🎉"}`,
	`{"videoId":" 7 ","content":"x"}`,
	`{"videoId":-1,"content":"x"}`,
	`{"videoId":1e3,"content":"x"}`,
	`{"videoId":99999999999999999999,"content":"x"}`,
	`{"videoId":{"a":1},"content":"x"}`,
	`{"videoId":"\u0031","content":"x"}`,
	"{\"name\":\"Zoë\",\"bio\":\"\u202eevil\u202c\"}",
	`{"currentPassword":"password123","newPassword":"password456"}`,
	`{"content":"a\u0000b"}`,
	`{"content":"\ud83c\udf89"}`,
	`{"content":"\ud83c"}`,
	`{"content":"\udf89"}`,
	`{"content":"\ud83c\u0041"}`,
	`{"content":"\\ud83c"}`,
	`{"content":"\uZZZZ"}`,
	"{\"content\":\"\xff\xfe\"}",
	"{\"content\":\"\xed\xa0\x80\"}", // an encoded surrogate: invalid UTF-8
	"\xef\xbb\xbf{}",                 // a byte order mark
	`{"caption":123}`,
	`{"caption":["a"]}`,
	`{"password":true}`,
	`{"email":{}}`,
	`{"a":1}{"b":2}`,
	`{} x`,
	`{}   `,
	`[]`,
	`null`,
	`"string"`,
	`123`,
	`{`,
	`{"caption":"`,
	``,
	`{"caption":"a","caption":"b"}`,
	`{"Caption":"case-insensitive field match"}`,
	`{"email":"` + strings.Repeat("a", 300) + `@example.com"}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
}

// fuzzDecodeTargets returns a fresh value of every request type decodeJSON fills.
func fuzzDecodeTargets() []any {
	return []any{
		new(registerRequest), new(loginRequest), new(videoForm), new(videoUpdateRequest),
		new(commentRequest), new(profileRequest), new(passwordRequest),
		new(struct {
			Content *string `json:"content"`
		}), // the comment update body
	}
}

// FuzzDecodeJSON feeds arbitrary bodies to decodeJSON for every request type: it must
// never panic, every error must be a client error, and an accepted body must be valid
// UTF-8 and decode to exactly the text it holds (no silent U+FFFD substitution).
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range fuzzJSONSeeds {
		f.Add([]byte(s), "application/json")
	}
	f.Add([]byte(`{"email":"a@b.co","password":"password123"}`), "application/json; charset=utf-8")
	f.Add([]byte(`{"email":"a@b.co","password":"password123"}`), "Application/JSON;charset=UTF-8")
	f.Add([]byte(`{}`), "text/plain")
	f.Add([]byte(`{}`), "application/json; charset=")
	f.Add([]byte(`{}`), "")
	f.Add([]byte(`{}`), "multipart/form-data; boundary=x")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		for _, dst := range fuzzDecodeTargets() {
			r := httptest.NewRequest(http.MethodPost, "/api/x", bytes.NewReader(body))
			r.Header.Set("Content-Type", contentType)
			err := decodeJSON(httptest.NewRecorder(), r, dst)
			if err != nil {
				e, ok := err.(*tiktok.Error)
				if !ok {
					t.Fatalf("%T: error %T (%v), want *tiktok.Error", dst, err, err)
				}
				if status := statusOf[e.Code]; status < 400 || status > 499 {
					t.Fatalf("%T: code %q (status %d) for %q", dst, e.Code, status, body)
				}
				if e.Message == "" {
					t.Fatalf("%T: error without a message: %#v", dst, e)
				}
				continue
			}
			if !isJSON(r) {
				t.Fatalf("%T: accepted Content-Type %q", dst, contentType)
			}
			if !utf8.Valid(body) {
				t.Fatalf("%T: accepted invalid UTF-8 %q", dst, body)
			}
			for field, s := range stringFields(dst) {
				if !utf8.ValidString(s) {
					t.Fatalf("%T.%s: decoded invalid UTF-8 %q", dst, field, s)
				}
				if strings.ContainsRune(s, utf8.RuneError) && !mayHoldReplacementChar(body) {
					t.Fatalf("%T.%s: %q holds U+FFFD the body %q did not send", dst, field, s, body)
				}
			}
		}
	})
}

// stringFields returns the set *string fields of the struct dst points to.
func stringFields(dst any) map[string]string {
	out := map[string]string{}
	v := reflect.ValueOf(dst).Elem()
	for i := range v.NumField() {
		if p, ok := v.Field(i).Interface().(*string); ok && p != nil {
			out[v.Type().Field(i).Name] = *p
		}
	}
	return out
}

// mayHoldReplacementChar reports whether body sends U+FFFD itself, literally or escaped.
func mayHoldReplacementChar(body []byte) bool {
	return bytes.ContainsRune(body, utf8.RuneError) || bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`))
}

func TestDecodeJSONUnicode(t *testing.T) {
	for _, tc := range []struct {
		body string
		want string // the decoded content, or "" for invalid_json
	}{
		{`{"content":"\ud83c\udf89"}`, "🎉"},
		{`{"content":"\uD83C\uDF89"}`, "🎉"},
		{`{"content":"🎉"}`, "🎉"},
		{`{"content":"\ufffd"}`, "\uFFFD"},
		{`{"content":"\\ud83c"}`, `\ud83c`},
		{`{"content":"\\\ud83c\udf89"}`, `\🎉`},
		{`{"content":"\ud83c"}`, ""},
		{`{"content":"\udf89\ud83c"}`, ""},
		{`{"content":"\ud83c\ud83c\udf89"}`, ""},
		{`{"content":"\ud83cx"}`, ""},
		{`{"content":"\\\ud83c"}`, ""},
		{"{\"content\":\"\xff\"}", ""},
		{"{\"content\":\"\xed\xa0\x80\"}", ""},
		{"{\"content\":\"\xf0\x9f\x8e\"}", ""}, // a truncated 4-byte sequence
	} {
		var dst struct {
			Content *string `json:"content"`
		}
		err := unmarshalStrict([]byte(tc.body), &dst)
		switch {
		case tc.want == "" && tiktok.ErrorCode(err) != tiktok.CodeInvalidJSON:
			t.Errorf("%q: err %v, want invalid_json", tc.body, err)
		case tc.want != "" && err != nil:
			t.Errorf("%q: %v", tc.body, err)
		case tc.want != "" && *dst.Content != tc.want:
			t.Errorf("%q: decoded %q, want %q", tc.body, *dst.Content, tc.want)
		}
	}
}

// FuzzCursor checks that decodeCursor never panics and is canonical: every cursor it
// accepts is exactly the one encodeCursor makes for the key, so one key has one cursor.
func FuzzCursor(f *testing.F) {
	valid := encodeCursor(tiktok.PageKey{Time: time.Date(2025, 4, 15, 6, 56, 43, 120000000, time.UTC), ID: 42})
	for _, s := range []string{
		valid, "", "a", "!!!!", valid + "=", valid + "\n", valid[:len(valid)-1], "\n" + valid,
		valid[:4] + "\r\n" + valid[4:],
		base64.RawURLEncoding.EncodeToString([]byte("1744700203120000.42")),
		base64.RawURLEncoding.EncodeToString([]byte("1744700203120000.0")),
		base64.RawURLEncoding.EncodeToString([]byte("1744700203120000.-1")),
		base64.RawURLEncoding.EncodeToString([]byte("+1744700203120000.42")),
		base64.RawURLEncoding.EncodeToString([]byte("01744700203120000.42")),
		base64.RawURLEncoding.EncodeToString([]byte("1744700203120000.042")),
		base64.RawURLEncoding.EncodeToString([]byte("-1.1")),
		base64.RawURLEncoding.EncodeToString([]byte("9223372036854775807.9223372036854775807")),
		base64.RawURLEncoding.EncodeToString([]byte("1744700203120000.42.1")),
		base64.RawURLEncoding.EncodeToString([]byte(".")),
		base64.StdEncoding.EncodeToString([]byte("1744700203120000.42")),
		strings.Repeat("A", 65),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := decodeCursor(s)
		if err != nil {
			if tiktok.ErrorCode(err) != tiktok.CodeInvalidCursor || statusOf[tiktok.ErrorCode(err)] != http.StatusBadRequest {
				t.Fatalf("%q: error %v, want invalid_cursor", s, err)
			}
			return
		}
		if s == "" {
			if key != (tiktok.PageKey{}) {
				t.Fatalf("empty cursor gave %+v", key)
			}
			return
		}
		if key.ID <= 0 || key.Time.Location() != time.UTC {
			t.Fatalf("%q: accepted key %+v", s, key)
		}
		if again := encodeCursor(key); again != s {
			t.Fatalf("cursor %q is not canonical: its key %+v encodes as %q", s, key, again)
		}
	})
}

// FuzzBearerToken checks that bearerToken never panics and that a token it accepts is
// non-empty with no surrounding white space.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{
		"Bearer eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.sig", "bearer abc", "BEARER abc", "Bearer  abc ",
		"Bearer", "Bearer ", "Bearer\tabc", "Basic dXNlcjpwYXNz", "", " ", "abc", "Bearer a b",
		"Bearer \u00a0abc\u00a0", "Bearer\u00a0abc", "Bearer \x00", "Bearer \xff\xfe", "Token abc",
		"  Bearer abc  ", "Bearer\nabc", "Bearer \u2028abc",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		token, err := bearerToken(header)
		if err != nil {
			code := tiktok.ErrorCode(err)
			if code != tiktok.CodeTokenMissing && code != tiktok.CodeTokenInvalid {
				t.Fatalf("%q: error %v", header, err)
			}
			if token != "" {
				t.Fatalf("%q: error and token %q", header, token)
			}
			return
		}
		if token == "" || token != strings.TrimSpace(token) {
			t.Fatalf("%q: accepted token %q", header, token)
		}
		if !strings.Contains(header, token) {
			t.Fatalf("%q: token %q is not part of the header", header, token)
		}
		scheme, _, _ := strings.Cut(strings.TrimSpace(header), " ")
		if !strings.EqualFold(scheme, "bearer") {
			t.Fatalf("%q: accepted scheme %q", header, scheme)
		}
	})
}

// canonicalID is what parseID must accept: a positive decimal integer without sign,
// leading zeros or spaces.
var canonicalID = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)

// FuzzParseID checks parseID against its definition: it accepts exactly the canonical
// spellings of positive int64 values.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		"1", "42", "0", "-1", "+1", "01", " 1", "1 ", "1e3", "0x1", "9223372036854775807",
		"9223372036854775808", "99999999999999999999", "", "abc", "١٢", "1\x00", "1.0", "１",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseID(s, "id")
		if err != nil {
			if tiktok.ErrorCode(err) != tiktok.CodeInvalidID {
				t.Fatalf("%q: error %v, want invalid_id", s, err)
			}
			if canonicalID.MatchString(s) {
				if _, perr := strconv.ParseInt(s, 10, 64); perr == nil {
					t.Fatalf("%q rejected", s)
				}
			}
			return
		}
		if n <= 0 || strconv.FormatInt(n, 10) != s || !canonicalID.MatchString(s) {
			t.Fatalf("%q accepted as %d", s, n)
		}
	})
}

// fuzzAPI is a real server on a real database, with a user, a video and a comment to aim
// requests at.
type fuzzAPI struct {
	handler http.Handler
	token   string
	userID  int64
	videoID int64
	comment int64
}

func newFuzzAPI(f *testing.F) *fuzzAPI {
	f.Helper()
	storage, err := media.NewLocal(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	passwords, err := auth.NewPasswords(4)
	if err != nil {
		f.Fatal(err)
	}
	s := NewServer(Deps{
		Config:            Config{CORSOrigins: []string{"*"}, MaxVideoBytes: 1 << 20},
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		Store:             postgres.NewStore(pgtest.Pool(f)),
		Passwords:         passwords,
		Tokens:            auth.NewTokens([]byte("fuzz-secret-fuzz-secret-fuzz-secret!"), time.Hour, time.Now),
		Media:             storage,
		ViewFlushInterval: 50 * time.Millisecond,
	})
	f.Cleanup(s.Close)
	api := &fuzzAPI{handler: s.Handler()}
	call := func(method, path, body string, want int) map[string]any {
		f.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if api.token != "" {
			req.Header.Set("Authorization", "Bearer "+api.token)
		}
		rec := httptest.NewRecorder()
		api.handler.ServeHTTP(rec, req)
		var out map[string]any
		if rec.Code != want || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			f.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		return out
	}
	reg := call("POST", "/api/users/register", `{"username":"fuzzer","email":"fuzzer@example.com","password":"password123"}`, 201)
	api.token = reg["token"].(string)
	api.userID = int64(reg["user"].(map[string]any)["id"].(float64))
	api.videoID = int64(call("POST", "/api/videos", `{"caption":"fuzz me","videoUrl":"https://cdn.example.com/v.mp4"}`, 201)["id"].(float64))
	api.comment = int64(call("POST", "/api/comments", `{"videoId":`+strconv.FormatInt(api.videoID, 10)+`,"content":"first"}`, 201)["id"].(float64))
	return api
}

// The requests FuzzAPIRequest sends, chosen by its first argument.
const (
	fuzzRegister = iota
	fuzzLogin
	fuzzCommentCreate
	fuzzCommentUpdate
	fuzzVideoUpdate
	fuzzVideoUpdateAnyID // PUT /api/videos/{target}
	fuzzVideoList        // GET /api/videos?{target}
	fuzzProfileUpdate
	fuzzVideoCreate
	fuzzAnyPath // an anonymous request with any method to /{target}
	fuzzRoutes
)

var fuzzMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// FuzzAPIRequest sends arbitrary bodies, headers, paths and query strings through the real
// router on a real database: no input may make it answer 5xx, every error must be the JSON
// error body with the status of its code, and every answer carries the security headers.
func FuzzAPIRequest(f *testing.F) {
	api := newFuzzAPI(f)
	vid := strconv.FormatInt(api.videoID, 10)
	for _, s := range fuzzJSONSeeds {
		f.Add(uint8(fuzzRegister), false, "", "application/json", "", []byte(s))
		f.Add(uint8(fuzzCommentCreate), false, "", "application/json", "", []byte(s))
	}
	for _, seed := range []struct {
		route       int
		rawAuth     bool
		auth, ctype string
		target      string
		body        string
	}{
		{fuzzRegister, false, "", "application/json", "", `{"username":"zoë","email":"zoe@example.com","password":"password123"}`},
		{fuzzRegister, false, "", "application/json", "", `{"email":"nul@example.com","password":"password123","name":"a\u0000b"}`},
		{fuzzRegister, false, "", "application/json", "", `{"email":"new@example.com","password":"` + strings.Repeat("é", 40) + `"}`},
		{fuzzLogin, false, "", "application/json", "", `{"email":"fuzzer@example.com","password":"password123"}`},
		{fuzzLogin, false, "", "application/json", "", `{"email":"fuzzer\u0000@example.com","password":"password123"}`},
		{fuzzLogin, false, "", "application/json", "", `{"username":"fuzzer","password":"pass\u0000word"}`},
		{fuzzLogin, false, "", "application/json", "", `{"email":"` + strings.Repeat("x", 5000) + `","password":"password123"}`},
		{fuzzLogin, false, "", "text/plain", "", `{}`},
		{fuzzCommentCreate, false, "", "application/json", "", `{"videoId":` + vid + ",\"content\":\"\u202e 👩\u200d👩\u200d👧\u200d👦 e\u0301\"}"},
		{fuzzCommentCreate, false, "", "application/json", "", `{"videoId":` + vid + `,"content":"\u0000"}`},
		{fuzzCommentCreate, false, "", "application/json", "", `{"videoId":9223372036854775807,"content":"x"}`},
		{fuzzCommentCreate, true, "Bearer garbage", "application/json", "", `{"videoId":1,"content":"x"}`},
		{fuzzCommentCreate, true, "Bearer eyJhbGciOiJub25lIn0.eyJpZCI6MSwic3ViIjoiMSJ9.", "application/json", "", `{"videoId":1,"content":"x"}`},
		{fuzzCommentCreate, true, "", "application/json", "", `{"videoId":1,"content":"x"}`},
		{fuzzCommentUpdate, false, "", "application/json", "", `{"content":"edited 🎉"}`},
		{fuzzVideoUpdate, false, "", "application/json", "", `{"caption":"new caption #fyp","audioName":""}`},
		{fuzzVideoUpdate, false, "", "application/json", "", `{"caption":"` + strings.Repeat("🎉", 2201) + `"}`},
		{fuzzVideoUpdate, false, "", "application/json; charset=utf-8", "", `{"audioName":"a\u0000"}`},
		{fuzzVideoUpdateAnyID, false, "", "application/json", vid, `{"caption":"x"}`},
		{fuzzVideoUpdateAnyID, false, "", "application/json", "0", `{"caption":"x"}`},
		{fuzzVideoUpdateAnyID, false, "", "application/json", "-1", `{}`},
		{fuzzVideoUpdateAnyID, false, "", "application/json", "9223372036854775808", `{}`},
		{fuzzVideoUpdateAnyID, false, "", "application/json", "%00", `{}`},
		{fuzzVideoUpdateAnyID, false, "", "application/json", "1/like", `{}`},
		{fuzzVideoList, false, "", "", "cursor=&limit=5", ``},
		{fuzzVideoList, false, "", "", "cursor=" + encodeCursor(tiktok.PageKey{Time: time.Now(), ID: 1}) + "&limit=100", ``},
		{fuzzVideoList, false, "", "", "cursor=%00&limit=-1", ``},
		{fuzzVideoList, false, "", "", "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("-62135596800000000.1")), ``},
		{fuzzVideoList, false, "", "", "limit=99999999999999999999", ``},
		{fuzzVideoList, false, "", "", "limit=1&limit=2&cursor=a;b", ``},
		{fuzzVideoList, false, "", "", "%zz", ``},
		{fuzzProfileUpdate, false, "", "application/json", "", "{\"name\":\"Zoë \u202e\",\"bio\":\"\"}"},
		{fuzzProfileUpdate, false, "", "multipart/form-data; boundary=XX", "", "--XX\r\nContent-Disposition: form-data; name=\"bio\"\r\n\r\nhi\r\n--XX--\r\n"},
		{fuzzProfileUpdate, false, "", "multipart/form-data; boundary=XX", "", "--XX\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.gif\"\r\n\r\nGIF89a\x01\x00\x01\x00\r\n--XX--\r\n"},
		{fuzzProfileUpdate, false, "", "multipart/form-data", "", "garbage"},
		{fuzzProfileUpdate, false, "", "multipart/form-data; boundary=XX", "", "--XX\r\nContent-Disposition: form-data; name=\"avatar\"\r\n\r\nGIF87a"}, // cut short
		{fuzzVideoCreate, false, "", "application/json", "", `{"caption":"🎉","audioName":"a","videoUrl":"https://cdn.example.com/v.mp4","thumbnailUrl":"javascript:alert(1)"}`},
		{fuzzVideoCreate, false, "", "application/json", "", `{"videoUrl":"http://user:pass@cdn.example.com/v.mp4","videoStoragePath":"../../etc/passwd"}`},
		{fuzzVideoCreate, false, "", "multipart/form-data; boundary=XX", "", "--XX\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\nhi \xff\r\n--XX\r\nContent-Disposition: form-data; name=\"video\"; filename=\"v.mp4\"\r\n\r\n\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00\x00\x08free\r\n--XX--\r\n"},
		{fuzzVideoCreate, false, "", "multipart/form-data; boundary=XX", "", "--XX\r\nContent-Disposition: form-data; name=\"video\"; filename=\"v.mp4\"\r\n\r\n\x00\x00\x00\x18ftypmp42"},
		{fuzzVideoCreate, false, "", "multipart/form-data; boundary=XX", "", "--XX\r\nContent-Disposition: form-data; name=\"video\"; filename=\"v.html\"\r\n\r\n<html>\r\n--XX--\r\n"},
		{fuzzAnyPath, false, "", "", "api/videos/" + vid, ``},
		{fuzzAnyPath, false, "", "", "api/users/1/videos?cursor=x", ``},
		{fuzzAnyPath, false, "", "", "api/comments?videoId=abc", ``},
		{fuzzAnyPath, false, "", "", "api/videos/" + vid + "/comments?page=0", ``},
		{fuzzAnyPath, false, "", "", "api/users?q=%00", ``},
		{fuzzAnyPath, false, "", "", "api/search?q=fuzz%20-%22me%20or%20a:*%27&type=videos", ``},
		{fuzzAnyPath, false, "", "", "api/search?q=fuz&type=top&limit=3", ``},
		{fuzzAnyPath, false, "", "", "api/search?q=fzuer&type=users&cursor=" + encodeSearchCursor("u", tiktok.SearchKey{Score: 1.5, ID: 1}), ``},
		{fuzzAnyPath, false, "", "", "api/search/suggest?q=%23f", ``},
		{fuzzAnyPath, false, "", "", "uploads/..%2f..%2fetc%2fpasswd", ``},
		{fuzzAnyPath, false, "", "", "uploads/x.jpg", ``},
		{fuzzAnyPath, false, "", "", "api/../api/videos", ``},
		{fuzzAnyPath, false, "", "", "api/videos/", ``},
		{fuzzAnyPath, false, "", "", "healthz", ``},
		{fuzzAnyPath, false, "", "", "api/hashtags/trending?limit=1000", ``},
		{fuzzAnyPath, false, "", "", "api/hashtags/%23Caf%C3%A9", ``},
		{fuzzAnyPath, false, "", "", "api/hashtags/%23%23/videos?cursor=czE6MTox", ``},
		{fuzzAnyPath, false, "", "", "api/hashtags/fuzz/videos?cursor=" + encodeSpreadCursor(tiktok.SpreadKey{After: tiktok.RankKey{Rank: 1, ID: 1}, Deferred: []int64{1}}), ``},
		{fuzzAnyPath, false, "", "", "api/sounds/1/videos?cursor=" + encodeRankCursor(tiktok.RankKey{Rank: -1e300, ID: 1}) + "&limit=0", ``},
		{fuzzAnyPath, false, "", "", "api/sounds/abc", ``},
		{fuzzAnyPath, false, "", "", "metrics", ``},
		{fuzzAnyPath + 5*fuzzRoutes, false, "", "", "api/users/1", ``}, // DELETE, anonymous
	} {
		f.Add(uint8(seed.route), seed.rawAuth, seed.auth, seed.ctype, seed.target, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, route uint8, rawAuth bool, authorization, contentType, target string, body []byte) {
		method, path, query := http.MethodPost, "", ""
		anonymous := false
		switch route % fuzzRoutes {
		case fuzzRegister:
			path = "/api/users/register"
		case fuzzLogin:
			path = "/api/users/login"
		case fuzzCommentCreate:
			path = "/api/comments"
		case fuzzCommentUpdate:
			method, path = http.MethodPut, "/api/comments/"+strconv.FormatInt(api.comment, 10)
		case fuzzVideoUpdate:
			method, path = http.MethodPut, "/api/videos/"+strconv.FormatInt(api.videoID, 10)
		case fuzzVideoUpdateAnyID:
			method, path = http.MethodPut, "/api/videos/"+target
		case fuzzVideoList:
			method, path, query = http.MethodGet, "/api/videos", target
		case fuzzProfileUpdate:
			method, path = http.MethodPut, "/api/users/"+strconv.FormatInt(api.userID, 10)
		case fuzzVideoCreate:
			path = "/api/videos"
		case fuzzAnyPath:
			method = fuzzMethods[int(route/fuzzRoutes)%len(fuzzMethods)]
			path, query, _ = strings.Cut("/"+target, "?")
			anonymous = true
		}
		req := httptest.NewRequest(method, "/", bytes.NewReader(body))
		req.URL = &url.URL{Path: path, RawQuery: query}
		req.RequestURI = req.URL.RequestURI()
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		switch {
		case rawAuth && authorization != "":
			req.Header.Set("Authorization", authorization)
		case !rawAuth && !anonymous:
			req.Header.Set("Authorization", "Bearer "+api.token)
		}
		rec := httptest.NewRecorder()
		api.handler.ServeHTTP(rec, req)
		checkFuzzResponse(t, req, rec)
	})
}

// checkFuzzResponse fails unless res is a non-5xx answer with the security headers and,
// for an error, the JSON error body whose code has the response's status.
func checkFuzzResponse(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s %s answered %d: %s", req.Method, req.URL, rec.Code, rec.Body)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Content-Security-Policy") == "" {
		t.Fatalf("%s %s: security headers missing: %v", req.Method, req.URL, rec.Header())
	}
	if rec.Code < 400 {
		return
	}
	var e errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("%s %s answered %d with a body that is not the JSON error: %q", req.Method, req.URL, rec.Code, rec.Body)
	}
	if e.Message == "" || statusOf[e.Code] != rec.Code {
		t.Fatalf("%s %s answered %d with code %q: %s", req.Method, req.URL, rec.Code, e.Code, rec.Body)
	}
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("%s %s: error with Content-Type %q", req.Method, req.URL, rec.Header().Get("Content-Type"))
	}
}
