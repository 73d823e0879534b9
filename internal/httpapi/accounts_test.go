package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gotok/tiktok/internal/auth"
	"github.com/gotok/tiktok/internal/httpapi"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("taken_user") // taken_user / taken_user@example.com

	tests := []struct {
		name   string
		body   any
		status int
		code   string
		field  string // a field that must be named in "fields"
		check  func(t *testing.T, res response)
	}{
		{name: "ok", body: map[string]any{"username": "alice", "email": "Alice@Example.COM", "password": "password123", "name": "Alice", "confirmPassword": "x"},
			status: 201, check: func(t *testing.T, res response) {
				if res.str("message") != "User registered successfully" {
					t.Errorf("message %q", res.str("message"))
				}
				if res.str("user.email") != "alice@example.com" {
					t.Errorf("email not lower-cased: %q", res.str("user.email"))
				}
				if res.str("user.username") != "alice" || res.str("user.name") != "Alice" || res.str("token") == "" {
					t.Errorf("unexpected body %s", res.raw)
				}
				if strings.Contains(string(res.raw), "password") {
					t.Errorf("password hash leaked: %s", res.raw)
				}
				for _, k := range []string{"id", "username", "email", "name", "bio", "avatar", "createdAt", "updatedAt"} {
					if _, ok := res.get("user").(map[string]any)[k]; !ok {
						t.Errorf("user lacks %q: %s", k, res.raw)
					}
				}
				if created := res.str("user.createdAt"); len(created) != len("2025-04-15T06:56:43.120Z") || !strings.HasSuffix(created, "Z") {
					t.Errorf("createdAt %q not RFC 3339 UTC with milliseconds", created)
				}
			}},
		{name: "username derived when missing", body: map[string]any{"email": "bob.smith+tag@example.com", "password": "password123"},
			status: 201, check: func(t *testing.T, res response) {
				if res.str("user.username") != "bob.smithtag" {
					t.Errorf("derived username %q", res.str("user.username"))
				}
			}},
		{name: "username derived when equal to email", body: map[string]any{"username": "carol@example.com", "email": "carol@example.com", "password": "password123"},
			status: 201, check: func(t *testing.T, res response) {
				if res.str("user.username") != "carol" {
					t.Errorf("derived username %q", res.str("user.username"))
				}
			}},
		{name: "derived username gets digits when taken", body: map[string]any{"email": "Taken_User@other.org", "password": "password123"},
			status: 201, check: func(t *testing.T, res response) {
				u := res.str("user.username")
				if !strings.HasPrefix(u, "taken_user") || len(u) != len("taken_user")+4 {
					t.Errorf("derived username %q, want taken_user + 4 digits", u)
				}
			}},
		{name: "short local part padded", body: map[string]any{"email": "x@example.com", "password": "password123"},
			status: 201, check: func(t *testing.T, res response) {
				if res.str("user.username") != "userx" {
					t.Errorf("derived username %q", res.str("user.username"))
				}
			}},
		{name: "password exactly 72 bytes", body: map[string]any{"username": "long_pw", "email": "long@example.com", "password": strings.Repeat("é", 36)}, status: 201},
		{name: "email taken case-insensitively", body: map[string]any{"username": "other1", "email": "TAKEN_USER@example.com", "password": "password123"},
			status: 409, code: "email_taken", field: "email", check: func(t *testing.T, res response) {
				if res.str("message") != "Email already in use" {
					t.Errorf("message %q", res.str("message"))
				}
			}},
		{name: "username taken case-insensitively", body: map[string]any{"username": "Taken_USER", "email": "new@example.com", "password": "password123"},
			status: 409, code: "username_taken", field: "username", check: func(t *testing.T, res response) {
				if res.str("message") != "Username already in use" {
					t.Errorf("message %q", res.str("message"))
				}
			}},
		{name: "missing email", body: map[string]any{"username": "nomail", "password": "password123"}, status: 400, code: "validation_failed", field: "email"},
		{name: "invalid email", body: map[string]any{"username": "bademail", "email": "not-an-email", "password": "password123"}, status: 400, code: "validation_failed", field: "email"},
		{name: "email with display name", body: map[string]any{"username": "bademail", "email": "Bob <bob@example.com>", "password": "password123"}, status: 400, code: "validation_failed", field: "email"},
		{name: "missing password", body: map[string]any{"username": "nopw", "email": "nopw@example.com"}, status: 400, code: "validation_failed", field: "password"},
		{name: "password too short", body: map[string]any{"username": "shortpw", "email": "shortpw@example.com", "password": "1234567"}, status: 400, code: "validation_failed", field: "password"},
		{name: "password over 72 bytes", body: map[string]any{"username": "longpw", "email": "longpw@example.com", "password": strings.Repeat("a", 73)}, status: 400, code: "validation_failed", field: "password"},
		{name: "password 37 two-byte characters", body: map[string]any{"username": "longpw2", "email": "longpw2@example.com", "password": strings.Repeat("é", 37)}, status: 400, code: "validation_failed", field: "password"},
		{name: "username too short", body: map[string]any{"username": "ab", "email": "ab@example.com", "password": "password123"}, status: 400, code: "validation_failed", field: "username"},
		{name: "username too long", body: map[string]any{"username": strings.Repeat("a", 31), "email": "long@example.org", "password": "password123"}, status: 400, code: "validation_failed", field: "username"},
		{name: "username bad characters", body: map[string]any{"username": "bad name!", "email": "bad@example.com", "password": "password123"}, status: 400, code: "validation_failed", field: "username"},
		{name: "name too long", body: map[string]any{"username": "longname", "email": "longname@example.com", "password": "password123", "name": strings.Repeat("n", 51)}, status: 400, code: "validation_failed", field: "name"},
		{name: "every problem at once", body: map[string]any{"username": "!", "email": "x", "password": "1"}, status: 400, code: "validation_failed",
			check: func(t *testing.T, res response) {
				for _, f := range []string{"username", "email", "password"} {
					if res.str("fields."+f) == "" {
						t.Errorf("fields lacks %s: %s", f, res.raw)
					}
				}
			}},
		{name: "wrong type", body: map[string]any{"username": 5, "email": "t@example.com", "password": "password123"}, status: 400, code: "validation_failed", field: "username"},
		{name: "malformed JSON", body: `{"email": `, status: 400, code: "invalid_json"},
		{name: "trailing data", body: `{"email":"a@b.co","password":"password123"} {}`, status: 400, code: "invalid_json"},
		{name: "not an object", body: `[1,2]`, status: 400, code: "invalid_json"},
		{name: "too large", body: `{"name":"` + strings.Repeat("a", 1<<20) + `"}`, status: 413, code: "too_large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.request("POST", "/api/users/register", tc.body, "")
			expect(t, res, tc.status, tc.code)
			if tc.field != "" && res.str("fields."+tc.field) == "" {
				t.Errorf("fields.%s missing: %s", tc.field, res.raw)
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

func TestRegisterContentType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"username":"ctype","email":"ctype@example.com","password":"password123"}`
	for _, tc := range []struct {
		contentType string
		status      int
	}{
		{"text/plain", 415},
		{"application/x-www-form-urlencoded", 415},
		{"", 415},
		{"application/json; charset=utf-8", 201},
	} {
		res := e.request("POST", "/api/users/register", body, "", "Content-Type", tc.contentType)
		if res.status != tc.status {
			t.Errorf("Content-Type %q: %s, want %d", tc.contentType, res, tc.status)
		}
		if tc.status == 415 && res.str("code") != "unsupported_media_type" {
			t.Errorf("Content-Type %q: code %q", tc.contentType, res.str("code"))
		}
	}
}

func TestRegisterConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 12
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Same email in different cases, same username in different cases.
			email := "race@example.com"
			if i%2 == 1 {
				email = "RACE@example.com"
			}
			res := e.request("POST", "/api/users/register", map[string]any{
				"username": []string{"racer", "RACER"}[i%2], "email": email, "password": "password123",
			}, "")
			statuses[i] = res.status
		}()
	}
	wg.Wait()
	created, conflicts := 0, 0
	for _, s := range statuses {
		switch s {
		case 201:
			created++
		case 409:
			conflicts++
		}
	}
	if created != 1 || conflicts != n-1 {
		t.Fatalf("statuses %v: want exactly one 201 and %d 409s", statuses, n-1)
	}
	var count int
	if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM users WHERE lower(email) = 'race@example.com'").Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != 1 {
		t.Fatalf("%d rows for the email", count)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("Dana_Login")

	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"by email", map[string]any{"email": "dana_login@example.com", "password": "password123"}, 200, ""},
		{"by email, other case", map[string]any{"email": "DANA_LOGIN@Example.com", "password": "password123"}, 200, ""},
		{"by username in email field", map[string]any{"email": "dana_login", "password": "password123"}, 200, ""},
		{"by username field", map[string]any{"username": "DANA_LOGIN", "password": "password123"}, 200, ""},
		{"wrong password", map[string]any{"email": "dana_login@example.com", "password": "password124"}, 401, "invalid_credentials"},
		{"unknown user", map[string]any{"email": "nobody@example.com", "password": "password123"}, 401, "invalid_credentials"},
		{"missing password", map[string]any{"email": "dana_login@example.com"}, 400, "validation_failed"},
		{"missing login", map[string]any{"password": "password123"}, 400, "validation_failed"},
		{"malformed", `{`, 400, "invalid_json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.request("POST", "/api/users/login", tc.body, "")
			expect(t, res, tc.status, tc.code)
			if tc.status == 200 {
				if res.num("user.id") != u.id || res.str("token") == "" || res.str("user.email") != u.email {
					t.Fatalf("unexpected login body %s", res.raw)
				}
				me := e.request("GET", "/api/users/me", nil, res.str("token"))
				expect(t, me, 200, "")
			}
			if tc.status == 401 && res.str("message") != "Invalid credentials" {
				t.Errorf("message %q", res.str("message"))
			}
		})
	}
}

func TestLoginSameAnswerAndTime(t *testing.T) {
	t.Parallel()
	// At a realistic cost the bcrypt comparison dominates, so both failures take about as
	// long; without the dummy comparison the unknown user would answer ~100x faster.
	e := newEnv(t, func(d *httpapi.Deps) {
		p, err := auth.NewPasswords(10)
		if err != nil {
			t.Fatal(err)
		}
		d.Passwords = p
	})
	e.register("timing")
	var (
		wrong, unknown   response
		tWrong, tUnknown = time.Hour, time.Hour
	)
	// Rounds interleave the two cases, so that load from other tests falls on both.
	for range 5 {
		for _, c := range []struct {
			login string
			res   *response
			best  *time.Duration
		}{{"timing@example.com", &wrong, &tWrong}, {"unknown@example.com", &unknown, &tUnknown}} {
			start := time.Now()
			*c.res = e.request("POST", "/api/users/login", map[string]any{"email": c.login, "password": "wrong-password"}, "")
			*c.best = min(*c.best, time.Since(start))
		}
	}
	t.Logf("bcrypt cost 10: wrong password %v, unknown user %v", tWrong, tUnknown)
	if ratio := float64(tUnknown) / float64(tWrong); ratio < 0.5 || ratio > 2 {
		t.Fatalf("unknown user took %v, wrong password %v: timing reveals which accounts exist", tUnknown, tWrong)
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("erin")
	deleted := e.register("deleted_user")
	if _, err := e.pool.Exec(context.Background(), "DELETE FROM users WHERE id = $1", deleted.id); err != nil {
		t.Fatal(err)
	}
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(method, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	now := time.Now()
	valid := jwt.MapClaims{"id": u.id, "sub": itoa(u.id), "ver": 0, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	expired := jwt.MapClaims{"id": u.id, "sub": itoa(u.id), "ver": 0, "iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}
	noExp := jwt.MapClaims{"id": u.id, "sub": itoa(u.id), "ver": 0, "iat": now.Unix()}
	noneToken := sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid)

	tests := []struct {
		name   string
		header string
		status int
		code   string
	}{
		{"valid token", "Bearer " + u.token, 200, ""},
		{"scheme case-insensitive", "bearer " + u.token, 200, ""},
		{"self-signed valid claims", "Bearer " + sign(jwt.SigningMethodHS256, testSecret, valid), 200, ""},
		{"no header", "", 401, "token_missing"},
		{"Bearer alone", "Bearer", 401, "token_missing"},
		{"Bearer and spaces", "Bearer   ", 401, "token_missing"},
		{"other scheme", "Basic " + u.token, 401, "token_invalid"},
		{"garbage", "Bearer not.a.jwt", 401, "token_invalid"},
		{"other key", "Bearer " + sign(jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), valid), 401, "token_invalid"},
		{"alg none", "Bearer " + noneToken, 401, "token_invalid"},
		{"HS512", "Bearer " + sign(jwt.SigningMethodHS512, testSecret, valid), 401, "token_invalid"},
		{"expired", "Bearer " + sign(jwt.SigningMethodHS256, testSecret, expired), 401, "token_expired"},
		{"no exp", "Bearer " + sign(jwt.SigningMethodHS256, testSecret, noExp), 401, "token_invalid"},
		{"deleted user", "Bearer " + deleted.token, 401, "token_invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var res response
			if tc.header == "" {
				res = e.request("GET", "/api/users/me", nil, "")
			} else {
				res = e.request("GET", "/api/users/me", nil, "", "Authorization", tc.header)
			}
			expect(t, res, tc.status, tc.code)
			if tc.status == 200 {
				if res.num("id") != u.id || res.str("email") != u.email || res.get("updatedAt") == nil {
					t.Fatalf("unexpected body %s", res.raw)
				}
				if _, ok := res.body["_count"]; !ok {
					t.Fatalf("no _count: %s", res.raw)
				}
			}
			if tc.status == 401 && res.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
		})
	}
}

func TestTokenClaims(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("claims")
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(u.token, claims); err != nil {
		t.Fatal(err)
	}
	if claims["id"] != float64(u.id) || claims["sub"] != itoa(u.id) || claims["iat"] == nil || claims["exp"] == nil {
		t.Fatalf("claims %v", claims)
	}
	tok, _, _ := jwt.NewParser().ParseUnverified(u.token, jwt.MapClaims{})
	if tok.Header["alg"] != "HS256" {
		t.Fatalf("alg %v", tok.Header["alg"])
	}
}

func TestRouterErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		method, path string
		status       int
		code         string
		allow        string
	}{
		{"GET", "/api/nope", 404, "not_found", ""},
		{"GET", "/api/users/me/", 404, "not_found", ""},
		{"GET", "/api/videos/", 404, "not_found", ""},
		{"DELETE", "/api/users/me/password", 405, "method_not_allowed", "PUT"},
		{"PATCH", "/api/videos", 405, "method_not_allowed", "POST"},
	}
	for _, tc := range tests {
		res := e.request(tc.method, tc.path, nil, "")
		expect(t, res, tc.status, tc.code)
		if !strings.Contains(res.header.Get("Allow"), tc.allow) {
			t.Errorf("%s %s: Allow %q", tc.method, tc.path, res.header.Get("Allow"))
		}
		if res.header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("%s %s: Content-Type %q", tc.method, tc.path, res.header.Get("Content-Type"))
		}
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pre := e.request("OPTIONS", "/api/users/login", nil, "", "Origin", "http://localhost:3000", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
	if pre.status != http.StatusNoContent {
		t.Fatalf("preflight: %s", pre)
	}
	h := pre.header
	if h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Content-Type") || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "PATCH") {
		t.Fatalf("preflight headers %v", h)
	}
	// CORS headers on an error response too.
	res := e.request("GET", "/api/users/me", nil, "", "Origin", "http://localhost:3000")
	if res.status != 401 || res.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(res.header.Get("Access-Control-Expose-Headers"), "Retry-After") {
		t.Fatalf("error without CORS headers: %v", res.header)
	}
}

func TestOperations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	expect(t, e.request("GET", "/healthz", nil, ""), 200, "")
	expect(t, e.request("GET", "/readyz", nil, ""), 200, "")
	res := e.request("GET", "/healthz", nil, "")
	if res.header.Get("X-Request-ID") == "" || res.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers %v", res.header)
	}
	e.pool.Close() // the database goes away: readiness fails, liveness does not
	expect(t, e.request("GET", "/readyz", nil, ""), 503, "unavailable")
	expect(t, e.request("GET", "/healthz", nil, ""), 200, "")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
