package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/apitest"
	"github.com/gotok/tiktok/internal/auth"
	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
)

// testSecret signs the tokens of the test servers.
var testSecret = []byte("test-secret-test-secret-test-secret!")

// env is one test's server: the real router on a real, fresh database, with media in a
// temporary directory.
type env struct {
	t        *testing.T
	srv      *httptest.Server
	api      apitest.Client // requests to srv
	pool     *pgxpool.Pool
	store    *postgres.Store
	tokens   *auth.Tokens
	media    *media.Local
	mediaDir string
}

type option func(*httpapi.Deps)

// newEnv starts a server on a fresh database, with opts applied to its dependencies.
func newEnv(t *testing.T, opts ...option) *env {
	pool := pgtest.Pool(t)
	return newEnvWithStore(t, pool, replicaStore(t, pool), opts...)
}

// newEnvWithPool is newEnv on the given connection pool (e.g. one with a query tracer),
// every statement on it: no replica.
func newEnvWithPool(t *testing.T, pool *pgxpool.Pool, opts ...option) *env {
	t.Helper()
	return newEnvWithStore(t, pool, postgres.NewStore(pool), opts...)
}

// replicaStore returns the Store of a test on pool: with reads on the test cluster's
// streaming replica when there is one (TEST_REPLICA_URL, which make test sets).
func replicaStore(t *testing.T, pool *pgxpool.Pool) *postgres.Store {
	t.Helper()
	store := postgres.NewStore(pool)
	if rp := pgtest.ReplicaPool(t, pool); rp != nil {
		// make test runs every API test with its reads on a streaming replica.
		store = postgres.NewStoreWithReplicas(context.Background(), pool, []*pgxpool.Pool{rp},
			postgres.ReplicaOptions{CheckInterval: 200 * time.Millisecond})
		t.Cleanup(func() {
			store.Close()
			if n := store.ReplicaStats().Misrouted; n > 0 {
				t.Errorf("%d statements sent to the replica wrote (see the router's readOnly)", n)
			}
		})
	}
	return store
}

// newEnvWithStore is newEnv with the given store on pool.
func newEnvWithStore(t *testing.T, pool *pgxpool.Pool, store *postgres.Store, opts ...option) *env {
	t.Helper()
	store.SetFuzzyBudget(2 * time.Second) // the fallback past the budget has tests of its own (internal/postgres)
	mediaDir := t.TempDir()
	storage, err := media.NewLocal(mediaDir)
	if err != nil {
		t.Fatal(err)
	}
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
		Media:     storage,

		ViewFlushInterval: 20 * time.Millisecond,
	}
	for _, o := range opts {
		o(&deps)
	}
	api := httpapi.NewServer(deps)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() {
		srv.Close()
		api.Close()
	})
	return &env{t: t, srv: srv, api: apitest.Client{URL: srv.URL, HTTP: srv.Client()},
		pool: pool, store: store, tokens: tokens, media: storage, mediaDir: mediaDir}
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.raw) }

// get returns the value at a dotted path of the body ("user.email").
func (r response) get(path string) any { return apitest.Lookup(r.body, path) }

func (r response) str(path string) string { s, _ := r.get(path).(string); return s }

func (r response) num(path string) int64 { f, _ := r.get(path).(float64); return int64(f) }

// request sends method path with body (JSON-encoded unless it is a string or []byte, sent
// as is) and the bearer token, if any, and checks the answer against the OpenAPI document.
// The body's Content-Type is application/json unless headers set another.
func (e *env) request(method, path string, body any, token string, headers ...string) response {
	e.t.Helper()
	res, err := e.api.Do(method, path, body, token, headers...)
	if err != nil {
		e.t.Fatal(err)
	}
	checkSpec(e.t, method, path, res.Status, res.Header, res.Raw) // every answer matches the OpenAPI document
	return response{status: res.Status, header: res.Header, raw: res.Raw, body: res.Body}
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

// upload sends a multipart POST (or PUT) with the given text fields and files
// (field name → file name and bytes).
func (e *env) upload(method, path, token string, fields map[string]string, files map[string]fileUpload) response {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			e.t.Fatal(err)
		}
	}
	for field, f := range files {
		w, err := mw.CreateFormFile(field, f.name)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := w.Write(f.data); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		e.t.Fatal(err)
	}
	return e.request(method, path, buf.Bytes(), token, "Content-Type", mw.FormDataContentType())
}

type fileUpload struct {
	name string
	data []byte
}

// mediaFiles lists the files in the server's media directory.
func (e *env) mediaFiles() []string {
	e.t.Helper()
	entries, err := os.ReadDir(e.mediaDir)
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	return names
}

// video creates a video by user u from JSON (media stored elsewhere).
func (e *env) video(u registered, caption string) int64 {
	e.t.Helper()
	res := e.request("POST", "/api/videos", map[string]any{
		"caption": caption, "audioName": "original sound", "videoUrl": "https://cdn.example.com/v.mp4",
	}, u.token)
	expect(e.t, res, 201, "")
	return res.num("id")
}

// comment adds a comment by u on video.
func (e *env) comment(u registered, video int64, content string) int64 {
	e.t.Helper()
	res := e.request("POST", "/api/comments", map[string]any{"videoId": video, "content": content}, u.token)
	expect(e.t, res, 201, "")
	return res.num("id")
}

// list decodes a JSON array answer.
func (r response) list(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(r.raw, &out); err != nil {
		t.Fatalf("not a JSON array: %s", r.raw)
	}
	return out
}

// items returns the objects of the array at key.
func (r response) items(key string) []map[string]any {
	arr, _ := r.body[key].([]any)
	out := make([]map[string]any, len(arr))
	for i, a := range arr {
		out[i], _ = a.(map[string]any)
	}
	return out
}
