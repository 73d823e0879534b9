package webapp_test

import (
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestZZSeeded(t *testing.T) {
	browser(t)
	app := &testApp{t: t, URL: "http://localhost:18105"}
	tb := newTab(t, app, "m", mobile)
	shot := func(name string) {
		buf, _ := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
		os.WriteFile("/tmp/web-shots/s-"+name+".png", buf, 0o644)
	}
	tb.goTo("/")
	tb.do("login", chromedp.Click(chromedp.CSS("#nav-login")))
	tb.do("fill", chromedp.SendKeys(chromedp.CSS("dialog[open] input[name=email]"), "user1@example.com"),
		chromedp.SendKeys(chromedp.CSS("dialog[open] input[name=password]"), "password123"),
		chromedp.Click(chromedp.CSS("dialog[open] button[type=submit]")))
	tb.waitFor("in", `document.querySelector('#nav a[href="/@user1"]')`)
	tb.do("profile", chromedp.Click(chromedp.CSS(`#nav a[href="/@user1"]`)))
	tb.waitFor("grid", `document.querySelector('.grid img')`)
	shot("own-profile")
	tb.do("followers", chromedp.Click(chromedp.CSS(`.stat`)))
	tb.waitFor("list", `document.querySelector('dialog[open] .user-row')`)
	shot("following-sheet")
	tb.do("close", chromedp.Click(chromedp.CSS(`dialog[open] .sheet-close`)))
	tb.goTo("/?feed=following")
	tb.waitFor("feed", `document.querySelector('.slide video[src]') || document.querySelector('.state-empty')`)
	shot("following")
	tb.goTo("/video/1")
	tb.waitFor("feed", `document.querySelector('.slide video[src]')`)
	tb.do("comments", chromedp.Click(chromedp.CSS(".slide .comment-btn")))
	tb.waitFor("comments", `document.querySelector('dialog[open] .comment')`)
	shot("video-comments")
	tb.do("close", chromedp.Click(chromedp.CSS(`dialog[open] .sheet-close`)))
	tb.goTo("/tag/fyp")
	tb.waitFor("grid", `document.querySelector('.grid img')`)
	shot("tag")
	tb.goTo("/sound/1")
	tb.waitFor("grid", `document.querySelector('.grid img')`)
	shot("sound")
	tb.goTo("/notifications")
	shot("notifications")
	tb.goTo("/admin")
	shot("admin")
	tb.goTo("/search?q=user")
	tb.waitFor("res", `document.querySelector('.results .user-row')`)
	shot("search-top")
}
