// Package webapp is the browser client served by the same binary as the API: plain ES
// modules and CSS embedded with go:embed (no build step), prepared once when the server
// starts: every asset gets a content-hashed name (imports between modules are rewritten to
// those names, so a module's hash covers the modules it imports), is compressed with gzip
// and brotli once (on its first request), and is served with immutable caching. The HTML shell answers the app's deep
// links with a strict Content-Security-Policy.
package webapp

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

//go:embed web
var webFS embed.FS

// AssetPrefix is the URL path under which the hashed assets are served.
const AssetPrefix = "/assets/"

// Options configure the client.
type Options struct {
	// MediaOrigins are the origins media URLs in API responses may point to besides the
	// page's own (PUBLIC_URL's origin): the Content-Security-Policy lets images and videos
	// load from them.
	MediaOrigins []string
}

// App serves the client: the HTML shell for the deep links, the hashed assets, and the
// 404 page for browsers. It is immutable after New (but for the compressed bodies it adds
// once) and safe for concurrent use.
type App struct {
	index    *file            // the HTML shell
	notFound *file            // the 404 page
	assets   map[string]*file // by hashed name, e.g. "feed.3f2a9c1b0d.js"
	names    map[string]string
	csp      string
	warm     sync.Once // compresses every asset in the background on the first page view
}

// file is one response body in its encodings.
type file struct {
	contentType string
	etag        string // quoted, of the identity bytes
	raw         []byte
	compress    sync.Once
	gz, br      []byte // set by compress; nil when compression does not pay
}

// New prepares the embedded files. It fails only on a build defect (a missing or cyclic
// import, a bad option), which the package's tests catch.
func New(opts Options) (*App, error) {
	root, err := fs.Sub(webFS, "web")
	if err != nil {
		return nil, fmt.Errorf("webapp: %w", err)
	}
	csp, err := contentSecurityPolicy(opts.MediaOrigins)
	if err != nil {
		return nil, err
	}
	a := &App{assets: map[string]*file{}, names: map[string]string{}, csp: csp}
	sources := map[string][]byte{}
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.Contains(p, "/") {
			return fmt.Errorf("%s: assets live in one flat directory", p)
		}
		b, err := fs.ReadFile(root, p)
		sources[p] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("webapp: read embedded files: %w", err)
	}
	// Hash every asset in dependency order: a module's imports are rewritten to the hashed
	// names of the modules it imports before its own hash is taken.
	var hashing []string
	var visit func(name string) error
	visit = func(name string) error {
		if _, done := a.names[name]; done {
			return nil
		}
		if slices.Contains(hashing, name) {
			return fmt.Errorf("webapp: import cycle: %s → %s", strings.Join(hashing, " → "), name)
		}
		src, ok := sources[name]
		if !ok {
			return fmt.Errorf("webapp: %q is referenced but not embedded", name)
		}
		hashing = append(hashing, name)
		defer func() { hashing = hashing[:len(hashing)-1] }()
		for _, dep := range references(name, src) {
			if err := visit(dep); err != nil {
				return err
			}
		}
		body := a.rewrite(name, src)
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.names[name] = hashed
		a.assets[hashed] = newFile(typeOf(name), body)
		return nil
	}
	for _, name := range sortedKeys(sources) {
		if strings.HasSuffix(name, ".html") {
			continue
		}
		if err := visit(name); err != nil {
			return nil, err
		}
	}
	index, ok := sources["index.html"]
	if !ok {
		return nil, fmt.Errorf("webapp: index.html is not embedded")
	}
	shell, err := a.shell(index)
	if err != nil {
		return nil, err
	}
	a.index = newFile("text/html; charset=utf-8", shell)
	a.notFound = newFile("text/html; charset=utf-8", a.rewriteHTML(sources["404.html"]))
	return a, nil
}

// importRE matches the relative module specifiers of static and dynamic imports and
// re-exports: from './x.js', import './x.js', import('./x.js').
var importRE = regexp.MustCompile(`((?:\bfrom|\bimport)\s*\(?\s*)(['"])\./([A-Za-z0-9_-]+\.js)(['"])`)

// urlRE matches url(./x.svg) references in CSS.
var urlRE = regexp.MustCompile(`url\(\s*(['"]?)\./([A-Za-z0-9_.-]+)(['"]?)\s*\)`)

// assetRE matches /assets/name references in HTML.
var assetRE = regexp.MustCompile(`(["'])/assets/([A-Za-z0-9_.-]+)(["'])`)

// references lists the assets a file refers to by name.
func references(name string, src []byte) []string {
	var out []string
	switch path.Ext(name) {
	case ".js":
		for _, m := range importRE.FindAllSubmatch(src, -1) {
			out = append(out, string(m[3]))
		}
	case ".css":
		for _, m := range urlRE.FindAllSubmatch(src, -1) {
			out = append(out, string(m[2]))
		}
	}
	return out
}

// rewrite replaces the references of a JS or CSS file by hashed names (already known).
func (a *App) rewrite(name string, src []byte) []byte {
	switch path.Ext(name) {
	case ".js":
		return importRE.ReplaceAllFunc(src, func(m []byte) []byte {
			g := importRE.FindSubmatch(m)
			return fmt.Appendf(nil, "%s%s./%s%s", g[1], g[2], a.names[string(g[3])], g[4])
		})
	case ".css":
		return urlRE.ReplaceAllFunc(src, func(m []byte) []byte {
			g := urlRE.FindSubmatch(m)
			return fmt.Appendf(nil, "url(%s./%s%s)", g[1], a.names[string(g[2])], g[3])
		})
	}
	return src
}

// rewriteHTML points /assets/ references at the hashed names.
func (a *App) rewriteHTML(src []byte) []byte {
	return assetRE.ReplaceAllFunc(src, func(m []byte) []byte {
		g := assetRE.FindSubmatch(m)
		hashed, ok := a.names[string(g[2])]
		if !ok {
			return m
		}
		return fmt.Appendf(nil, "%s%s%s%s", g[1], AssetPrefix, hashed, g[3])
	})
}

// shell is index.html with hashed asset names and a modulepreload link for every module
// (in place of the <!--modulepreload--> marker), so that the browser fetches the whole
// module graph at once instead of one import level per round trip.
func (a *App) shell(index []byte) ([]byte, error) {
	const marker = "<!--modulepreload-->"
	if !bytes.Contains(index, []byte(marker)) {
		return nil, fmt.Errorf("webapp: index.html has no %s marker", marker)
	}
	var links bytes.Buffer
	for _, name := range sortedKeys(a.names) {
		if path.Ext(name) == ".js" && name != "app.js" {
			fmt.Fprintf(&links, "<link rel=\"modulepreload\" href=\"%s%s\">\n", AssetPrefix, a.names[name])
		}
	}
	out := a.rewriteHTML(index)
	return bytes.Replace(out, []byte(marker), bytes.TrimSuffix(links.Bytes(), []byte("\n")), 1), nil
}

func newFile(contentType string, raw []byte) *file {
	sum := sha256.Sum256(raw)
	return &file{contentType: contentType, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, raw: raw}
}

// encoded returns the gzip and brotli bodies, compressing them at the highest levels the
// first time a client asks for the file (brotli at level 11 costs half a second for the
// whole client: paid once per process and file, and never by a process that serves no
// browser, such as the tests of the API).
func (f *file) encoded() (gz, br []byte) {
	f.compress.Do(func() {
		if !compressible(f.contentType) {
			return
		}
		var zb bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&zb, gzip.BestCompression) // a valid level cannot fail
		zw.Write(f.raw)
		zw.Close()
		if zb.Len() < len(f.raw) {
			f.gz = zb.Bytes()
		}
		var bb bytes.Buffer
		bw := brotli.NewWriterLevel(&bb, brotli.BestCompression)
		bw.Write(f.raw)
		bw.Close()
		if bb.Len() < len(f.raw) {
			f.br = bb.Bytes()
		}
	})
	return f.gz, f.br
}

func compressible(contentType string) bool {
	return strings.HasPrefix(contentType, "text/") || strings.Contains(contentType, "javascript") ||
		strings.Contains(contentType, "json") || strings.Contains(contentType, "svg")
}

func typeOf(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".webmanifest":
		return "application/manifest+json"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// contentSecurityPolicy is the policy of the app's pages: only the app's own scripts and
// styles (no inline script or style), API calls to the same origin, media from the page's
// origin, the configured media origins and blob: (upload previews), and no framing.
func contentSecurityPolicy(mediaOrigins []string) (string, error) {
	media := []string{"'self'", "blob:"}
	for _, o := range mediaOrigins {
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("webapp: media origin %q is not an http(s) origin", o)
		}
		origin := u.Scheme + "://" + u.Host
		if !slices.Contains(media, origin) {
			media = append(media, origin)
		}
	}
	m := strings.Join(media, " ")
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src " + m,
		"media-src " + m,
		"connect-src 'self'",
		"font-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
		"require-trusted-types-for 'script'",
		"trusted-types 'none'",
	}, "; "), nil
}

// CSP returns the Content-Security-Policy of the app's pages.
func (a *App) CSP() string { return a.csp }

// AssetURL returns the hashed URL of an embedded asset ("app.js" → "/assets/app.1a2b3c4d5e.js"),
// or "" when there is no such asset.
func (a *App) AssetURL(name string) string {
	if h, ok := a.names[name]; ok {
		return AssetPrefix + h
	}
	return ""
}

// Page serves the HTML shell (the app reads the location and renders the page) and
// reports true, or reports false and writes nothing when the path's {id} is not a positive
// decimal integer: then the caller answers 404.
func (a *App) Page(w http.ResponseWriter, r *http.Request) bool {
	if id := r.PathValue("id"); id != "" && !positiveDecimal(id) {
		return false
	}
	a.page(w, r, http.StatusOK, a.index)
	return true
}

// Profile serves the shell for /@{username}, the pattern's {handle}; for any other single
// path segment it reports false and writes nothing.
func (a *App) Profile(w http.ResponseWriter, r *http.Request) bool {
	name, ok := strings.CutPrefix(r.PathValue("handle"), "@")
	if !ok || !validUsername(name) {
		return false
	}
	a.page(w, r, http.StatusOK, a.index)
	return true
}

// NotFound answers 404 with a small HTML page that links back to the app (for browsers;
// the API's clients get its JSON 404).
func (a *App) NotFound(w http.ResponseWriter, r *http.Request) {
	a.page(w, r, http.StatusNotFound, a.notFound)
}

func (a *App) page(w http.ResponseWriter, r *http.Request, status int, f *file) {
	// A browser is here: compress the assets it is about to ask for while it parses the
	// page, on every core, rather than one by one as the requests arrive.
	a.warm.Do(func() {
		for _, asset := range a.assets {
			go asset.encoded()
		}
	})
	h := w.Header()
	h.Set("Content-Security-Policy", a.csp)
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-cache")
	serve(w, r, status, f)
}

// Asset serves /assets/{file}, cached for a year (its name changes with its content), and
// reports true; for a name it does not know it reports false and writes nothing.
func (a *App) Asset(w http.ResponseWriter, r *http.Request) bool {
	f, ok := a.assets[r.PathValue("file")]
	if !ok {
		return false
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	serve(w, r, http.StatusOK, f)
	return true
}

// serve writes f in the best encoding the request accepts, or 304 when the client's copy
// is current.
func serve(w http.ResponseWriter, r *http.Request, status int, f *file) {
	body, encoding := f.raw, ""
	if accepted := acceptedEncodings(r.Header.Get("Accept-Encoding")); accepted["br"] || accepted["gzip"] {
		gz, br := f.encoded()
		switch {
		case br != nil && accepted["br"]:
			body, encoding = br, "br"
		case gz != nil && accepted["gzip"]:
			body, encoding = gz, "gzip"
		}
	}
	etag := f.etag
	if encoding != "" {
		etag = strings.TrimSuffix(etag, `"`) + "-" + encoding + `"`
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Add("Vary", "Accept-Encoding")
	h.Set("ETag", etag)
	if status == http.StatusOK && etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if encoding != "" {
		h.Set("Content-Encoding", encoding)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// acceptedEncodings parses Accept-Encoding: the codings with a q-value above zero.
func acceptedEncodings(header string) map[string]bool {
	out := map[string]bool{}
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding == "" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		out[coding] = q > 0
	}
	if out["*"] {
		for _, c := range []string{"br", "gzip"} {
			if _, named := out[c]; !named {
				out[c] = true
			}
		}
	}
	return out
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func positiveDecimal(s string) bool {
	if s == "" || len(s) > 19 || s[0] == '0' {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n > 0
}

// validUsername reports whether s can be a username: 1 to 30 of [A-Za-z0-9_.] (the
// registration rules ask for 3, older accounts may be shorter).
func validUsername(s string) bool {
	if s == "" || len(s) > 30 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
