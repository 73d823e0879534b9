package webapp_test

// The browser harness: one headless Chromium per test binary (started by the first browser
// test, closed by TestMain), a fresh server per test (the real router on a fresh database,
// with the web client), and pages that fail the test on any console error, uncaught
// exception, CSP violation or failed request, and save a screenshot when a step fails.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/apitest"
	"github.com/gotok/tiktok/internal/auth"
	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/pipeline"
	"github.com/gotok/tiktok/internal/pipeline/pipelinetest"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/seed"
	"github.com/gotok/tiktok/internal/webapp"
)

// chrome is the browser the tests of this binary share.
var chrome struct {
	once    sync.Once
	ctx     context.Context // the browser's context; tabs are made from it
	cancel  func()
	missing string // why there is no browser: the tests skip
	err     error  // the browser is installed but did not start: the tests fail
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chrome.cancel != nil {
		chrome.cancel()
	}
	os.Exit(code)
}

// chromiumPath finds Chromium: CHROMIUM_PATH, Debian's binary, or one on PATH.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/lib/chromium/chromium"); err == nil {
		return "/usr/lib/chromium/chromium" // Debian's binary, without its wrapper script
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser returns the shared browser, starting it on first use. It skips the test when no
// Chromium is installed.
func browser(t *testing.T) context.Context {
	t.Helper()
	chrome.once.Do(func() {
		path := chromiumPath()
		if path == "" {
			chrome.missing = "no Chromium installed (scripts/install-deps.sh installs Debian's chromium; CHROMIUM_PATH names another): the browser tests are skipped"
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox, // root in containers; the pages are our own
			chromedp.DisableGPU,
			chromedp.Flag("mute-audio", true),
			chromedp.Flag("disable-background-timer-throttling", true),
			chromedp.Flag("disable-renderer-backgrounding", true),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(allocCtx)
		chrome.ctx = ctx
		chrome.cancel = func() { cancelCtx(); cancelAlloc() }
		start, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- chromedp.Do(ctx) }()
		select {
		case chrome.err = <-done:
		case <-start.Done():
			chrome.err = errors.New("Chromium did not start within 30 s")
		}
	})
	if chrome.missing != "" {
		t.Skip(chrome.missing)
	}
	if chrome.err != nil {
		t.Fatalf("start Chromium: %v", chrome.err)
	}
	return chrome.ctx
}

// sharedApp is the web client every test server of this binary serves: its files are
// compressed once, on their first request (brotli at level 11 costs seconds under -race).
var sharedApp = func() func(t *testing.T) *webapp.App {
	var once sync.Once
	var app *webapp.App
	var err error
	return func(t *testing.T) *webapp.App {
		t.Helper()
		once.Do(func() { app, err = webapp.New(webapp.Options{MediaOrigins: []string{"https://media.example.com"}}) })
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
}()

// testApp is a server for one test: the API and the web client on a fresh database.
type testApp struct {
	t         *testing.T
	URL       string
	api       apitest.Client
	pool      *pgxpool.Pool
	media     *media.Local
	passwords *auth.Passwords
	pipeline  bool // uploads are processed (withPipeline)
}

var testSecret = []byte("web-test-secret-web-test-secret!!")

// appOption changes the server a test starts.
type appOption func(*httpapi.Deps, *testApp)

// withPipeline sends uploads through the media pipeline, with a River worker on the test's
// database (ffmpeg: the test skips without it).
func withPipeline() appOption {
	return func(d *httpapi.Deps, a *testApp) {
		d.Config.Processing = true
		a.pipeline = true
	}
}

// startApp starts the real router with the web client on a fresh database.
func startApp(t *testing.T, opts ...appOption) *testApp {
	t.Helper()
	pool := pgtest.Pool(t)
	storage, err := media.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	passwords, err := auth.NewPasswords(4)
	if err != nil {
		t.Fatal(err)
	}
	web := sharedApp(t)
	store := postgres.NewStore(pool)
	deps := httpapi.Deps{
		Config:            httpapi.Config{CORSOrigins: []string{"*"}, MaxVideoBytes: 10 << 20},
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		Store:             store,
		Passwords:         passwords,
		Tokens:            auth.NewTokens(testSecret, time.Hour, time.Now),
		Media:             storage,
		ViewFlushInterval: 20 * time.Millisecond,
		Web:               web,
	}
	var a testApp
	for _, o := range opts {
		o(&deps, &a)
	}
	if a.pipeline {
		pipelinetest.StartWorker(t, pool, store, storage, pipeline.Config{})
	}
	api := httpapi.NewServer(deps)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		api.Close()
	})
	a.t, a.URL, a.api, a.pool, a.media, a.passwords = t, srv.URL, apitest.Client{URL: srv.URL, HTTP: srv.Client()}, pool, storage, passwords
	return &a
}

// seed fills the database with the demo data of `make run` (tiktok seed's defaults:
// user1 … user10 with the password password123, 50 videos of the sample clips, …).
func (a *testApp) seed() {
	a.t.Helper()
	hash, err := a.passwords.Hash("password123")
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := seed.Run(context.Background(), a.pool, a.media, hash, seed.DefaultOptions(), io.Discard); err != nil {
		a.t.Fatalf("seed: %v", err)
	}
}

// call sends an API request (JSON body) and decodes the answer; it fails the test on a
// status other than want.
func (a *testApp) call(method, path string, body any, token string, want int) map[string]any {
	a.t.Helper()
	res, err := a.api.Do(method, path, body, token)
	if err != nil {
		a.t.Fatal(err)
	}
	if res.Status != want {
		a.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.Status, want, res.Raw)
	}
	return res.Body
}

// eventually fails the test unless cond becomes true within 5 seconds (what the app does
// optimistically reaches the API a moment later).
func (a *testApp) eventually(what string, cond func() bool) {
	a.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			a.t.Fatalf("%s: not within 5 s", what)
		}
	}
}

// routeExists reports whether the API serves path (any answer but the router's 404).
func (a *testApp) routeExists(method, path string) bool {
	a.t.Helper()
	res, err := a.api.Do(method, path, nil, "")
	if err != nil {
		a.t.Fatal(err)
	}
	return !(res.Status == 404 && apitest.Lookup(res.Body, "message") == "Route not found")
}

// user is an account made through the API.
type user struct {
	id       int64
	username string
	email    string
	token    string
}

func (a *testApp) register(username string) user {
	a.t.Helper()
	email := strings.ToLower(username) + "@example.com"
	body := a.call("POST", "/api/users/register", map[string]string{"username": username, "email": email, "password": "password123"}, "", 201)
	return user{id: int64(apitest.Lookup(body, "user.id").(float64)), username: username, email: email, token: body["token"].(string)}
}

// upload posts one of the embedded sample clips, with its thumbnail and the audio name
// "original sound - <username>", as u.
func (a *testApp) upload(u user, sample int, caption string) int64 {
	a.t.Helper()
	s := media.Samples()[sample%len(media.Samples())]
	var buf strings.Builder
	boundary := "webtestboundary"
	fmt.Fprintf(&buf, "--%s\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\n%s\r\n", boundary, caption)
	fmt.Fprintf(&buf, "--%s\r\nContent-Disposition: form-data; name=\"audioName\"\r\n\r\noriginal sound - %s\r\n", boundary, u.username)
	fmt.Fprintf(&buf, "--%s\r\nContent-Disposition: form-data; name=\"video\"; filename=\"v.mp4\"\r\nContent-Type: video/mp4\r\n\r\n%s\r\n", boundary, s.Video)
	fmt.Fprintf(&buf, "--%s\r\nContent-Disposition: form-data; name=\"thumbnail\"; filename=\"t.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n%s\r\n", boundary, s.Thumbnail)
	fmt.Fprintf(&buf, "--%s--\r\n", boundary)
	res, err := a.api.Do("POST", "/api/videos", []byte(buf.String()), u.token, "Content-Type", "multipart/form-data; boundary="+boundary)
	if err != nil {
		a.t.Fatal(err)
	}
	if res.Status != 201 {
		a.t.Fatalf("upload: %d %s", res.Status, res.Raw)
	}
	return int64(res.Body["id"].(float64))
}

// viewport sizes of the tests.
var (
	mobile  = viewport{390, 844, true}
	desktop = viewport{1280, 800, false}
)

type viewport struct {
	w, h   int64
	mobile bool
}

// tab is one browser tab (in a browser context of its own: its own storage) on the app.
type tab struct {
	t      *testing.T
	app    *testApp
	ctx    context.Context
	name   string
	mu     sync.Mutex
	issues []string
	urls   map[network.RequestID]string
	shots  string // directory of failure screenshots
}

// cspProbe reports Content-Security-Policy violations as console errors (the DevTools
// script runs before the page's own and is not subject to its policy).
const cspProbe = `document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI));`

// newTab opens a tab with the viewport; it watches the console and the network.
func newTab(t *testing.T, app *testApp, name string, vp viewport) *tab {
	t.Helper()
	b := browser(t)
	tb := &tab{t: t, app: app, name: name, urls: map[network.RequestID]string{}}
	ctx, cancel := chromedp.NewContext(b, chromedp.WithNewBrowserContext(), chromedp.WithListener(tb.watch))
	tb.ctx = ctx
	t.Cleanup(func() {
		tb.mu.Lock()
		issues := tb.issues
		tb.mu.Unlock()
		if len(issues) > 0 {
			t.Errorf("%s: the page reported problems:\n  %s\nscreenshot: %s", name, strings.Join(issues, "\n  "), tb.screenshot("problems"))
		} else if t.Failed() {
			t.Logf("%s: screenshot at the end of the failed test: %s", name, tb.screenshot("end"))
		}
		cancel()
	})
	// The first action opens the tab and binds its life to the context it runs with: the tab's
	// own, not a step's timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: open a tab: %v", name, err)
	}
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if vp.mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	tb.do("open the tab",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			if _, err := cdp.Call(ctx, tg, log.Enable, cdp.Empty{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe})
			return err
		}),
		chromedp.EmulateViewport(vp.w, vp.h, opts...),
	)
	return tb
}

// watch records what makes a page fail: console errors, exceptions, CSP violations,
// failed requests, and error answers outside the API (an API's 4xx is the app's business:
// a feature probe, a wrong password).
func (tb *tab) watch(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			tb.issues = append(tb.issues, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		tb.issues = append(tb.issues, fmt.Sprintf("exception: %s (%s:%d)", msg, d.URL, d.LineNumber+1))
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError {
			return
		}
		if e.Source == log.EntrySourceNetwork && strings.Contains(e.URL, "/api/") {
			return // an API's error answer: the response check below judges 5xx
		}
		tb.issues = append(tb.issues, fmt.Sprintf("log (%s): %s %s", e.Source, e.Text, e.URL))
	case *network.EventRequestWillBeSent:
		tb.urls[ev.RequestID] = ev.Request.URL
	case *network.EventResponseReceived:
		r := ev.Response
		if r.Status >= 500 || (r.Status >= 400 && !strings.Contains(r.URL, "/api/")) {
			tb.issues = append(tb.issues, fmt.Sprintf("HTTP %d for %s", r.Status, r.URL))
		}
	case *network.EventLoadingFailed:
		if ev.Canceled || ev.ErrorText == "net::ERR_ABORTED" {
			return // a request the page stopped on purpose: a video moved away from, a stream closed
		}
		tb.issues = append(tb.issues, fmt.Sprintf("request failed (%s): %s", ev.ErrorText, tb.urls[ev.RequestID]))
	}
}

// do runs a step; on failure (or if the page reported a problem) it saves a screenshot and
// fails the test with its path.
func (tb *tab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	err := chromedp.Do(ctx, actions...)
	tb.mu.Lock()
	issues := append([]string(nil), tb.issues...)
	tb.issues = nil
	tb.mu.Unlock()
	if err != nil || len(issues) > 0 {
		tb.t.Fatalf("%s: %s: %v\n  %s\nscreenshot: %s", tb.name, step, err, strings.Join(issues, "\n  "), tb.screenshot(step))
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) and decodes its value into T.
func eval[T any](tb *tab, step, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s: %s: %v\nscreenshot: %s", tb.name, step, err, tb.screenshot(step))
	}
	return v
}

// waitFor polls a JavaScript condition until it is truthy.
func (tb *tab) waitFor(step, cond string) {
	tb.t.Helper()
	tb.do(step, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool]("!!("+cond+")", chromedp.WithPollingInterval(50*time.Millisecond))(ctx, t)
		return err
	}))
}

// screenshot saves the tab's viewport as a PNG in a temporary directory and returns its
// path.
func (tb *tab) screenshot(step string) string {
	if tb.shots == "" {
		dir, err := os.MkdirTemp("", "webapp-screenshots-")
		if err != nil {
			return "(no screenshot: " + err.Error() + ")"
		}
		tb.shots = dir
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return "(no screenshot: " + err.Error() + ")"
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(tb.t.Name()+"-"+tb.name+"-"+step))
	path := filepath.Join(tb.shots, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		return "(no screenshot: " + err.Error() + ")"
	}
	return path
}

// signIn stores a session in the tab's localStorage (as the app does after logging in).
func (tb *tab) signIn(u user) {
	tb.t.Helper()
	me := tb.app.call("GET", "/api/users/me", nil, u.token, 200)
	js, _ := json.Marshal(me)
	tok, _ := json.Marshal(u.token)
	tb.do("open the app to sign in", chromedp.Navigate(tb.app.URL+"/settings"))
	eval[chromedp.Void](tb, "store the session", fmt.Sprintf(`localStorage.setItem('gotok.token', %s); localStorage.setItem('gotok.user', JSON.stringify(%s)); undefined`, tok, js))
}

// goTo navigates and waits for the app to render.
func (tb *tab) goTo(path string) {
	tb.t.Helper()
	tb.do("open "+path, chromedp.Navigate(tb.app.URL+path))
	tb.waitFor("render "+path, `!document.querySelector('main .state-loading') || document.querySelector('main > section')`)
}

// httpGetJSON reads a JSON document from the app.
func httpGetJSON(t *testing.T, url string) map[string]any {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}
