package webapp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gotok/tiktok/internal/apitest"
	"github.com/gotok/tiktok/internal/media"
)

// signUp creates an account through the app's sign-up dialog.
func (tb *tab) signUp(username string) {
	tb.t.Helper()
	tb.do("open the sign-up dialog", chromedp.Click(chromedp.CSS(`#nav-login, #nav-signup`)))
	tb.waitFor("the dialog opens", `document.querySelector('dialog[open] form')`)
	if eval[bool](tb, "which form", `Boolean(document.querySelector('dialog[open] input[name=username]'))`) == false {
		tb.do("switch to sign up", chromedp.Click(chromedp.CSS(`dialog[open] .switch button`)))
	}
	tb.do("fill the sign-up form",
		chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name=username]`), username),
		chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name=email]`), username+"@example.com"),
		chromedp.SendKeys(chromedp.CSS(`dialog[open] input[name=password]`), "password123"),
		chromedp.Click(chromedp.CSS(`dialog[open] button[type=submit]`)),
	)
	tb.waitFor("signed in", `!document.querySelector('dialog[open]') && localStorage.getItem('gotok.token') && document.querySelector('#nav a[href="/@`+username+`"]')`)
}

// throttleUploads limits the tab's upload rate (bytes per second; -1 lifts it), so that an
// upload of a small clip takes long enough to show its progress.
func (tb *tab) throttleUploads(rate float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{UploadThroughput: rate, DownloadThroughput: -1}},
		})
		return err
	})
}

// recordProgress keeps every value the upload progress bar shows in window.__progress.
const recordProgress = `(() => {
  window.__progress = [];
  const tick = () => {
    const p = document.querySelector('.upload-progress');
    if (p && !p.closest('[hidden]') && window.__progress.at(-1) !== p.value) window.__progress.push(p.value);
    if (!document.querySelector('.upload-done')) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()`

// countHearts counts the double-tap hearts that appear, in window.__hearts.
const countHearts = `(() => {
  window.__hearts = 0;
  new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes) if (n.classList?.contains('heart-burst')) window.__hearts++; })
    .observe(document.body, { childList: true, subtree: true });
})()`

// TestJourneyUploadAndDiscover: a creator signs up on a phone, uploads a clip watching the
// progress bar, sees it processing (the media pipeline: River and ffmpeg) until it is
// ready, finds it on their profile and in Latest; a second user on a desktop finds
// it by search and by its hashtag, likes it with a double tap, comments (with @mention
// autocomplete) and follows the creator.
func TestJourneyUploadAndDiscover(t *testing.T) {
	browser(t)
	app := startApp(t, withPipeline())
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	if err := os.WriteFile(clip, media.Samples()[1].Video, 0o644); err != nil {
		t.Fatal(err)
	}

	// The creator, on a phone.
	c := newTab(t, app, "creator", mobile)
	c.goTo("/")
	c.waitFor("the empty feed says so", `document.querySelector('.feed-status .state-empty')`)
	c.signUp("creator")
	c.do("open the upload page", chromedp.Click(chromedp.CSS(`#nav a[href="/upload"]`)))
	c.waitFor("the upload form", `document.querySelector('#upload-file')`)
	c.do("choose the clip", chromedp.SetUploadFiles(chromedp.CSS(`#upload-file`), []string{clip}))
	c.waitFor("the preview plays", `document.querySelector('.preview-video')?.readyState >= 2`)
	c.do("write the caption", chromedp.SendKeys(chromedp.CSS(`textarea[name=caption]`), "my first clip #gotoktest"))
	eval[chromedp.Void](c, "watch the progress bar", recordProgress)
	c.do("post it slowly", c.throttleUploads(40_000), chromedp.Click(chromedp.CSS(`.upload-form button[type=submit]`)))
	c.waitFor("the upload is processing", `document.querySelector('.upload-result .spinner')`)
	c.do("lift the throttle", c.throttleUploads(-1))
	c.waitFor("it becomes ready", `document.querySelector('.upload-done')`)
	progress := eval[[]float64](c, "read the progress", `window.__progress`)
	between := false
	for _, p := range progress {
		between = between || (p > 0 && p < 100)
	}
	if !between || progress[len(progress)-1] != 100 {
		t.Errorf("the progress bar showed %v: want values between 0 and 100, ending at 100", progress)
	}
	href := eval[string](c, "the video's link", `document.querySelector('.upload-result a[href^="/video/"]').getAttribute('href')`)
	id, _ := strconv.ParseInt(regexp.MustCompile(`\d+$`).FindString(href), 10, 64)
	if id == 0 {
		t.Fatalf("no video link after the upload: %q", href)
	}
	card := fmt.Sprintf(`.grid .card-link[href="/video/%d"]`, id)
	c.do("go to the profile", chromedp.Click(chromedp.CSS(`.upload-result a[href="/@creator"]`)))
	c.waitFor("the video is on the profile", `document.querySelector('`+card+`')`)
	c.do("open the feed", chromedp.Click(chromedp.CSS(`#nav a.nav-link[href="/"]`)))
	c.do("switch to Latest", chromedp.Click(chromedp.CSS(`.feed-tab[href="/?feed=latest"]`)))
	c.waitFor("the video is in Latest", fmt.Sprintf(`document.querySelector('.slide[data-video-id="%d"]')`, id))

	// A viewer, on a desktop.
	v := newTab(t, app, "viewer", desktop)
	v.goTo("/")
	v.signUp("viewer")
	v.do("open Discover", chromedp.Click(chromedp.CSS(`#nav a[href="/search"]`)))
	v.do("search for the caption", chromedp.SendKeys(chromedp.CSS(`.search-input`), "first clip"+kb.Enter))
	v.waitFor("the search finds it", `location.search.includes('q=first') && document.querySelector('`+card+`')`)
	v.do("back to Discover", chromedp.Click(chromedp.CSS(`#nav a[href="/search"]`)))
	v.do("type the tag", chromedp.SendKeys(chromedp.CSS(`.search-input`), "#gotok"))
	v.waitFor("the type-ahead suggests the tag", `[...document.querySelectorAll('#search-suggestions [role=option]')].some((o) => o.textContent === '#gotoktest')`)
	v.do("take the suggestion", chromedp.SendKeys(chromedp.CSS(`.search-input`), kb.ArrowDown+kb.Enter))
	v.waitFor("the tag page lists it", `location.pathname === '/tag/gotoktest' && document.querySelector('`+card+`')`)
	v.do("open the video", chromedp.Click(chromedp.CSS(card)))
	slide := fmt.Sprintf(`.slide[data-video-id="%d"]`, id)
	v.waitFor("the video plays", `(() => { const x = document.querySelector('`+slide+` video'); return x && !x.paused && x.currentTime > 0; })()`)
	eval[chromedp.Void](v, "count hearts", countHearts)
	v.do("double-tap the video", chromedp.DoubleClick(chromedp.CSS(slide+` .tap`)))
	v.waitFor("liked, with a heart", `window.__hearts > 0 && document.querySelector('`+slide+` .like-btn[aria-pressed="true"]')`)
	app.eventually("the like is stored", func() bool {
		return app.call("GET", fmt.Sprintf("/api/videos/%d", id), nil, "", 200)["likeCount"] == 1.0
	})

	v.do("open the comments", chromedp.Click(chromedp.CSS(slide+` .comment-btn`)))
	v.waitFor("the drawer is empty", `document.querySelector('dialog[open] .state-empty')`)
	v.do("mention the creator", chromedp.SendKeys(chromedp.CSS(`dialog[open] .composer-input`), "Nice one @crea"))
	v.waitFor("the mention is suggested", `document.querySelector('dialog[open] .composer [role=option][aria-selected=true]')?.textContent === '@creator'`)
	v.do("take it and post",
		chromedp.Click(chromedp.CSS(`dialog[open] .composer [role=option][aria-selected=true]`)),
		chromedp.SendKeys(chromedp.CSS(`dialog[open] .composer-input`), "great clip"+kb.Enter))
	v.waitFor("the comment is listed", `[...document.querySelectorAll('dialog[open] .comment-text')].some((p) => p.textContent === 'Nice one @creator great clip' && p.querySelector('a.mention[href="/@creator"]'))`)
	if n := app.call("GET", fmt.Sprintf("/api/videos/%d", id), nil, "", 200)["commentCount"]; n != 1.0 {
		t.Errorf("after commenting the video has %v comments, want 1", n)
	}
	v.do("close the drawer", chromedp.SendKeys(chromedp.CSS(`dialog[open] .composer-input`), kb.Escape))
	v.waitFor("the drawer is closed", `!document.querySelector('dialog[open]')`)

	v.do("open the creator's profile", chromedp.Click(chromedp.CSS(slide+` .author`)))
	v.waitFor("the profile", `location.pathname === '/@creator' && document.querySelector('.follow-btn')`)
	v.do("follow", chromedp.Click(chromedp.CSS(`.follow-btn`)))
	v.waitFor("following", `document.querySelector('.follow-btn[aria-pressed="true"]')?.textContent === 'Following'`)
	app.eventually("the follow is stored", func() bool {
		return app.call("GET", fmt.Sprintf("/api/users/%d", int64(app.call("GET", fmt.Sprintf("/api/videos/%d", id), nil, "", 200)["userId"].(float64))), nil, "", 200)["followerCount"] == 1.0
	})
	creator := app.call("GET", fmt.Sprintf("/api/videos/%d", id), nil, "", 200)["userId"].(float64)
	followers := app.call("GET", fmt.Sprintf("/api/users/%d/followers", int64(creator)), nil, "", 200)
	if list, _ := followers["followers"].([]any); len(list) != 1 || apitest.Lookup(list[0].(map[string]any), "username") != "viewer" {
		t.Errorf("the creator's followers: %v, want the viewer", followers["followers"])
	}
}
