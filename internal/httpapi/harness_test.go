package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/auth"
	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
)

// testSecret signs the tokens of the test servers.
var testSecret = []byte("test-secret-test-secret-test-secret!")

// env is one test's server: the real router on a real, fresh database.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	pool   *pgxpool.Pool
	store  *postgres.Store
	tokens *auth.Tokens
}

type option func(*httpapi.Deps)

func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	pool := pgtest.Pool(t)
	store := postgres.NewStore(pool)
	passwords, err := auth.NewPasswords(4)
	if err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(testSecret, time.Hour, time.Now)
	deps := httpapi.Deps{
		Config:    httpapi.Config{CORSOrigins: []string{"*"}, MaxVideoBytes: 10 << 20},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Store:     store,
		Passwords: passwords,
		Tokens:    tokens,
	}
	for _, o := range opts {
		o(&deps)
	}
	srv := httptest.NewServer(httpapi.NewServer(deps).Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, pool: pool, store: store, tokens: tokens}
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.raw) }

// str returns the string at a dotted path of the body ("user.email").
func (r response) get(path string) any {
	var cur any = r.body
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func (r response) str(path string) string { s, _ := r.get(path).(string); return s }

func (r response) num(path string) int64 { f, _ := r.get(path).(float64); return int64(f) }

// request sends method path with body (JSON-encoded unless it is a string or []byte, sent
// as is with contentType) and the bearer token, if any.
func (e *env) request(method, path string, body any, token string, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := response{status: res.StatusCode, header: res.Header, raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			e.t.Fatalf("%s %s: undecodable JSON %q: %v", method, path, raw, err)
		}
	}
	return out
}

// expect fails the test unless res has the status (and, for errors, the code).
func expect(t *testing.T, res response, status int, code string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d: %s", res.status, status, res.raw)
	}
	if code != "" && res.str("code") != code {
		t.Fatalf("code %q, want %q: %s", res.str("code"), code, res.raw)
	}
	if status >= 400 && res.str("message") == "" {
		t.Fatalf("error without message: %s", res.raw)
	}
}

// registered is a user created through the API, with its token.
type registered struct {
	id       int64
	username string
	email    string
	token    string
}

func (e *env) register(username string) registered {
	e.t.Helper()
	email := strings.ToLower(username) + "@example.com"
	res := e.request("POST", "/api/users/register", map[string]string{
		"username": username, "email": email, "password": "password123",
	}, "")
	expect(e.t, res, http.StatusCreated, "")
	return registered{id: res.num("user.id"), username: username, email: email, token: res.str("token")}
}
