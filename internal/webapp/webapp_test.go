package webapp_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/webapp"
)

// newHandler is the API server's handler with the web client and no database: the pages
// and assets never reach the store.
func newHandler(t *testing.T) (http.Handler, *webapp.App) {
	t.Helper()
	app := sharedApp(t)
	srv := httpapi.NewServer(httpapi.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Web: app})
	t.Cleanup(srv.Close)
	return srv.Handler(), app
}

func get(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestDeepLinks checks that every deep link of the app answers the HTML shell with the
// page headers, and that other paths are 404 while the API's answers keep their headers.
func TestDeepLinks(t *testing.T) {
	h, app := newHandler(t)
	for _, p := range []string{"/", "/@alice", "/@Bob_1.x", "/video/12", "/tag/dance", "/tag/caf%C3%A9", "/sound/3", "/search", "/search?q=cats", "/notifications", "/upload", "/settings", "/admin"} {
		rec := get(t, h, p)
		if rec.Code != 200 {
			t.Errorf("GET %s: %d, want 200", p, rec.Code)
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", p, cc)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); csp != app.CSP() {
			t.Errorf("GET %s: CSP %q, want the app's", p, csp)
		}
		if !strings.Contains(rec.Body.String(), `<script type="module" src="`+app.AssetURL("app.js")+`"></script>`) {
			t.Errorf("GET %s: the shell does not load the hashed app.js", p)
		}
	}
	for _, p := range []string{"/nope", "/alice", "/@", "/@a%20b", "/video/abc", "/video/0", "/video/012", "/sound/-1", "/video/1/x", "/search/", "/assets/app.js", "/assets/nope.1234567890.js", "/favicon.ico"} {
		rec := get(t, h, p, "Accept", "text/html")
		if rec.Code != 404 {
			t.Errorf("GET %s: %d, want 404", p, rec.Code)
		}
	}
	// Clients that do not ask for HTML get the API's JSON 404 there too.
	for _, p := range []string{"/nope", "/video/abc", "/assets/nope.js"} {
		rec := get(t, h, p)
		if rec.Code != 404 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") || !strings.Contains(rec.Body.String(), `"code":"not_found"`) {
			t.Errorf("GET %s without Accept: text/html: %d %q %s, want the JSON 404", p, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	}
	if rec := get(t, h, "/nope", "Accept", "text/html"); !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || !strings.Contains(rec.Body.String(), "Page not found") {
		t.Errorf("GET /nope from a browser: %q, want the HTML 404 page", rec.Header().Get("Content-Type"))
	}
	// The API is untouched: JSON errors with the API's own policy.
	rec := get(t, h, "/api/nope")
	if rec.Code != 404 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") || rec.Header().Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" {
		t.Errorf("GET /api/nope: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Content-Security-Policy"))
	}
	// Pages are counted by their pattern; what no page serves is counted as unmatched, like
	// every unknown path.
	metrics := get(t, h, "/metrics").Body.String()
	for _, want := range []string{`route="GET /{handle}",status="200"`, `route="GET /video/{id}",status="200"`, `route="unmatched",status="404"`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("the metrics lack %s", want)
		}
	}
	if strings.Contains(metrics, `route="GET /{handle}",status="404"`) {
		t.Error("a path no page serves is counted under the page's pattern")
	}
	// The web routes are pages, not API routes: the OpenAPI route list does not see them.
	srv := httpapi.NewServer(httpapi.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Web: app})
	defer srv.Close()
	for _, r := range srv.Routes() {
		if strings.Contains(r, "/assets/") || strings.Contains(r, "{handle}") || strings.HasSuffix(r, " /{$}") {
			t.Errorf("Routes() lists the page route %q", r)
		}
	}
}

// TestAssets checks hashing, caching, compression and conditional requests.
func TestAssets(t *testing.T) {
	h, app := newHandler(t)
	index := get(t, h, "/").Body.String()
	refs := regexp.MustCompile(`/assets/([A-Za-z0-9_.-]+)`).FindAllStringSubmatch(index, -1)
	if len(refs) < 5 {
		t.Fatalf("the shell references %d assets, want the stylesheet, the icon and every module", len(refs))
	}
	for _, m := range refs {
		if !regexp.MustCompile(`\.[0-9a-f]{10}\.(js|css|svg)$`).MatchString(m[1]) {
			t.Errorf("asset %s has no content hash", m[1])
		}
		rec := get(t, h, m[0])
		if rec.Code != 200 {
			t.Errorf("GET %s: %d", m[0], rec.Code)
			continue
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q", m[0], cc)
		}
		if rec.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("GET %s: Vary %q", m[0], rec.Header().Get("Vary"))
		}
		// Every import of a module names another hashed module that exists.
		if strings.HasSuffix(m[1], ".js") {
			for _, imp := range regexp.MustCompile(`from\s*'\./([^']+)'`).FindAllStringSubmatch(rec.Body.String(), -1) {
				if get(t, h, "/assets/"+imp[1]).Code != 200 {
					t.Errorf("%s imports %s, which is not served", m[1], imp[1])
				}
			}
		}
	}

	js := app.AssetURL("app.js")
	plain := get(t, h, js).Body.Bytes()
	br := get(t, h, js, "Accept-Encoding", "gzip, deflate, br")
	if br.Header().Get("Content-Encoding") != "br" {
		t.Fatalf("Accept-Encoding with br: Content-Encoding %q", br.Header().Get("Content-Encoding"))
	}
	if got, err := io.ReadAll(brotli.NewReader(br.Body)); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("the brotli body does not decode to the file (%v)", err)
	}
	gz := get(t, h, js, "Accept-Encoding", "gzip;q=1, br;q=0")
	if gz.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("br;q=0: Content-Encoding %q, want gzip", gz.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, plain) {
		t.Error("the gzip body does not decode to the file")
	}
	if enc := get(t, h, js, "Accept-Encoding", "identity").Header().Get("Content-Encoding"); enc != "" {
		t.Errorf("identity: Content-Encoding %q", enc)
	}
	etag := br.Header().Get("ETag")
	if rec := get(t, h, js, "Accept-Encoding", "br", "If-None-Match", etag); rec.Code != 304 || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match %s: %d with %d bytes, want 304", etag, rec.Code, rec.Body.Len())
	}
	if rec := get(t, h, "/", "If-None-Match", get(t, h, "/").Header().Get("ETag")); rec.Code != 304 {
		t.Errorf("the shell's ETag: %d, want 304", rec.Code)
	}
}

// TestCSP checks the policy of the pages: no inline script or style, media from the
// configured origin and blob:, API calls to the page's origin, no framing.
func TestCSP(t *testing.T) {
	_, app := newHandler(t)
	csp := app.CSP()
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'",
		"img-src 'self' blob: https://media.example.com", "media-src 'self' blob: https://media.example.com", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q allows something unsafe", csp)
	}
	if _, err := webapp.New(webapp.Options{MediaOrigins: []string{"javascript:alert(1)"}}); err == nil {
		t.Error("a media origin that is not http(s) was accepted")
	}
}

// TestBudget keeps the client small: JS + CSS, brotli-compressed as served, under 100 KB.
// (The browser test measures what the first screen really transfers.)
func TestBudget(t *testing.T) {
	h, _ := newHandler(t)
	index := get(t, h, "/").Body.String()
	total := 0
	for _, m := range regexp.MustCompile(`/assets/[A-Za-z0-9_.-]+\.(js|css)`).FindAllString(index, -1) {
		total += get(t, h, m, "Accept-Encoding", "br").Body.Len()
	}
	t.Logf("JS + CSS: %d bytes with brotli", total)
	if total > 100_000 {
		t.Errorf("JS + CSS weigh %d bytes compressed, over the 100 KB budget", total)
	}
}
