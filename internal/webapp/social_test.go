package webapp_test

// The journeys of issue 11's API (replies, live notifications, blocks, reports and
// moderation). Each detects at run time whether the server has the routes it needs and
// skips with a message until it does, so they run as soon as that API is merged.

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// requireRoutes skips the test unless the API serves every path (GET probes: a route
// that exists answers anything but the router's own 404).
func requireRoutes(t *testing.T, app *testApp, feature string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if !app.routeExists("GET", p) {
			t.Skipf("the API has no %s yet (issue 11: %s answers 404 Route not found); this journey runs once it does", feature, p)
		}
	}
}

// badgeAtLeast is the condition that the inbox badge shows at least n unread.
func badgeAtLeast(n int) string {
	return fmt.Sprintf(`(() => { const b = document.querySelector('#nav .badge'); return b && !b.hidden && (b.textContent === '99+' || Number(b.textContent) >= %d); })()`, n)
}

// TestJourneyRepliesAndLiveBadge: a viewer comments on a creator's video and mentions
// them; the creator's inbox badge counts it live (no reload), the creator opens the
// notification and replies, and the viewer finds the reply under the comment.
func TestJourneyRepliesAndLiveBadge(t *testing.T) {
	app := startApp(t)
	requireRoutes(t, app, "comment replies and notifications", "/api/comments/1/replies", "/api/notifications/unread-count", "/api/notifications/stream")
	browser(t)
	creator, viewer := app.register("creator"), app.register("viewer")
	id := app.upload(creator, 0, "talk to me #threads")
	slide := fmt.Sprintf(`.slide[data-video-id="%d"]`, id)

	c := newTab(t, app, "creator", mobile)
	c.signIn(creator)
	c.goTo("/?feed=latest")
	c.waitFor("the feed, nothing unread", `document.querySelector('`+slide+` video') && document.querySelector('#nav .badge')?.hidden`)

	v := newTab(t, app, "viewer", desktop)
	v.signIn(viewer)
	v.goTo(fmt.Sprintf("/video/%d", id))
	v.do("open the comments", chromedp.Click(chromedp.CSS(slide+` .comment-btn`)))
	v.waitFor("the drawer", `document.querySelector('dialog[open] .state-empty')`)
	v.do("comment with a mention",
		chromedp.SendKeys(chromedp.CSS(`dialog[open] .composer-input`), "hello @creator, nice"),
		chromedp.Click(chromedp.CSS(`dialog[open] .composer button[type=submit]`)))
	v.waitFor("the comment is listed", `document.querySelector('dialog[open] .comment-text a.mention')`)

	c.waitFor("the badge counts it live", badgeAtLeast(1))
	c.do("open the inbox", chromedp.Click(chromedp.CSS(`#nav a[href="/notifications"]`)))
	c.waitFor("the notification", fmt.Sprintf(`[...document.querySelectorAll('.notification-link[href="/video/%d"]')].some((a) => a.textContent.includes('@viewer'))`, id))
	c.do("open it", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.notification-link[href="/video/%d"]`, id))))
	c.do("open the comments", chromedp.Click(chromedp.CSS(slide+` .comment-btn`)))
	c.waitFor("the viewer's comment", `document.querySelector('dialog[open] .comment .link')`)
	c.do("reply", chromedp.Click(chromedp.CSS(`dialog[open] .comment-meta button.link`))) // the first action is Reply
	c.waitFor("replying to the viewer", `document.querySelector('dialog[open] .reply-chip:not([hidden])')?.textContent.includes('@viewer')`)
	c.do("write and post the reply",
		chromedp.SendKeys(chromedp.CSS(`dialog[open] .composer-input`), "thanks!"),
		chromedp.Click(chromedp.CSS(`dialog[open] .composer button[type=submit]`)))
	c.waitFor("the reply is under the comment", `[...document.querySelectorAll('dialog[open] .replies-list .comment-text')].some((p) => p.textContent.includes('thanks!'))`)

	v.do("close the drawer", chromedp.Click(chromedp.CSS(`dialog[open] .sheet-close`)))
	v.do("open the comments again", chromedp.Click(chromedp.CSS(slide+` .comment-btn`)))
	v.waitFor("one reply", `document.querySelector('dialog[open] .replies-toggle')?.textContent === 'View 1 reply'`)
	v.do("show it", chromedp.Click(chromedp.CSS(`dialog[open] .replies-toggle`)))
	v.waitFor("the reply", `[...document.querySelectorAll('dialog[open] .replies-list .comment-text')].some((p) => p.textContent.includes('thanks!'))`)
}

// TestJourneyBlocking: a viewer blocks a creator from the creator's profile; the
// creator's video leaves the viewer's feed and search, and the viewer's profile is gone
// for the creator.
func TestJourneyBlocking(t *testing.T) {
	app := startApp(t)
	requireRoutes(t, app, "blocks", "/api/users/me/blocks", "/api/users/1/block")
	browser(t)
	creator, viewer := app.register("creator"), app.register("viewer")
	id := app.upload(creator, 0, "block me if you can")
	slide := fmt.Sprintf(`.slide[data-video-id="%d"]`, id)

	v := newTab(t, app, "viewer", desktop)
	v.signIn(viewer)
	v.goTo("/?feed=latest")
	v.waitFor("the creator's video is in Latest", `document.querySelector('`+slide+`')`)
	v.goTo("/@creator")
	v.do("open the profile menu", chromedp.Click(chromedp.CSS(`.profile-more`)))
	v.waitFor("the menu offers to block", `[...document.querySelectorAll('dialog[open] .menu-item')].some((b) => b.textContent === 'Block @creator')`)
	v.do("block", chromedp.Click(`//dialog[@open]//button[text()="Block @creator"]`))
	v.waitFor("asked to confirm", `document.querySelector('dialog[open] .btn.danger')`)
	v.do("confirm", chromedp.Click(chromedp.CSS(`dialog[open] .btn.danger`)))
	v.waitFor("blocked", `!document.querySelector('dialog[open]') && [...document.querySelectorAll('.profile-actions button')].some((b) => b.textContent === 'Unblock')`)
	app.eventually("the block is stored", func() bool {
		list := app.call("GET", "/api/users/me/blocks", nil, viewer.token, 200)
		b, _ := list["blocks"].([]any)
		return len(b) == 1
	})
	v.goTo("/?feed=latest")
	v.waitFor("the creator's video left the feed", `!document.querySelector('`+slide+`') && document.querySelector('.feed-status .state-empty')`)
	v.goTo("/search?q=creator&type=users")
	v.waitFor("search does not find the creator", `document.querySelector('.results .state-empty') && !document.querySelector('.results a[href="/@creator"]')`)

	c := newTab(t, app, "creator", mobile)
	c.signIn(creator)
	c.goTo("/@viewer")
	c.waitFor("the viewer's profile is gone for the creator", `!document.querySelector('.profile-head') && document.querySelector('main .state-empty')`)
}

// TestJourneyModeratorHides: a viewer reports a video; a moderator sees the report on the
// moderation page and hides the video; it disappears from the viewer's feeds.
func TestJourneyModeratorHides(t *testing.T) {
	app := startApp(t)
	requireRoutes(t, app, "reports and moderation", "/api/reports", "/api/admin/reports")
	browser(t)
	creator, viewer, mod := app.register("creator"), app.register("viewer"), app.register("moderator")
	if _, err := app.pool.Exec(context.Background(), `UPDATE users SET role = 'moderator' WHERE id = $1`, mod.id); err != nil {
		t.Fatalf("make a moderator: %v", err)
	}
	id := app.upload(creator, 0, "something to report")
	slide := fmt.Sprintf(`.slide[data-video-id="%d"]`, id)

	v := newTab(t, app, "viewer", mobile)
	v.signIn(viewer)
	v.goTo(fmt.Sprintf("/video/%d", id))
	v.do("open more options", chromedp.Click(chromedp.CSS(slide+` .more-btn`)))
	v.waitFor("the menu offers to report", `[...document.querySelectorAll('dialog[open] .menu-item')].some((b) => b.textContent === 'Report')`)
	v.do("report", chromedp.Click(`//dialog[@open]//button[text()="Report"]`))
	v.waitFor("the report form", `document.querySelector('dialog[open] input[name=reason]')`)
	v.do("send it", chromedp.Click(chromedp.CSS(`dialog[open] .reasons input[value=spam]`)), chromedp.Click(chromedp.CSS(`dialog[open] button[type=submit]`)))
	v.waitFor("thanked", `!document.querySelector('dialog[open]') && [...document.querySelectorAll('.toast')].some((t) => t.textContent.includes('moderators'))`)

	m := newTab(t, app, "moderator", desktop)
	m.signIn(mod)
	m.goTo("/admin")
	card := fmt.Sprintf(`.report-card[data-target="video-%d"]`, id)
	m.waitFor("the report is queued", `document.querySelector('`+card+`')`)
	m.audit("/admin")
	m.do("hide the video", chromedp.Click(chromedp.CSS(card+` .btn.danger`)))
	m.waitFor("hidden", `document.querySelector('`+card+` .form-ok')?.textContent.length > 0`)
	app.eventually("the video is hidden for everyone", func() bool {
		res, err := app.api.Do("GET", fmt.Sprintf("/api/videos/%d", id), nil, viewer.token)
		return err == nil && res.Status == 404
	})

	v.goTo("/?feed=latest")
	v.waitFor("gone from Latest", `!document.querySelector('`+slide+`') && document.querySelector('.feed-status .state-empty')`)
	v.goTo("/")
	v.waitFor("gone from For You", `!document.querySelector('`+slide+`') && document.querySelector('.feed-status .state-empty')`)
}

// TestJourneyBookmarkAndShare: a viewer bookmarks and likes a video from the feed and finds
// it in the Bookmarks and Liked tabs of their profile, then shares it with "Copy link",
// which the share count records.
func TestJourneyBookmarkAndShare(t *testing.T) {
	app := startApp(t)
	requireRoutes(t, app, "bookmarks and shares", "/api/users/me/bookmarks", "/api/videos/1/bookmark", "/api/videos/1/share")
	browser(t)
	creator, viewer := app.register("creator"), app.register("viewer")
	id := app.upload(creator, 0, "save me for later")
	slide := fmt.Sprintf(`.slide[data-video-id="%d"]`, id)

	v := newTab(t, app, "viewer", mobile)
	v.signIn(viewer)
	v.goTo("/?feed=latest")
	v.waitFor("the video", `document.querySelector('`+slide+` .bookmark-btn')`)
	v.do("bookmark it", chromedp.Click(chromedp.CSS(slide+` .bookmark-btn`)))
	v.waitFor("bookmarked", `document.querySelector('`+slide+` .bookmark-btn[aria-pressed="true"]')`)
	app.eventually("the bookmark is stored", func() bool {
		return app.call("GET", fmt.Sprintf("/api/videos/%d", id), nil, viewer.token, 200)["isBookmarked"] == true
	})
	v.do("share it", chromedp.Click(chromedp.CSS(slide+` .share-btn`)))
	v.waitFor("the share sheet", `document.querySelector('dialog[open] .share-url')?.value.endsWith('/video/`+fmt.Sprint(id)+`')`)
	v.do("copy the link", chromedp.Click(`//dialog[@open]//button[text()="Copy link"]`))
	app.eventually("the share is counted", func() bool {
		return app.call("GET", fmt.Sprintf("/api/videos/%d", id), nil, "", 200)["shareCount"] == 1.0
	})
	v.waitFor("the count shows it", `document.querySelector('`+slide+` .share-btn')?.getAttribute('aria-label') === 'Share (1)'`)
	v.do("close the sheet", chromedp.Click(chromedp.CSS(`dialog[open] .sheet-close`)))
	v.do("like it", chromedp.Click(chromedp.CSS(slide+` .like-btn`)))
	v.waitFor("liked", `document.querySelector('`+slide+` .like-btn[aria-pressed="true"]')`)
	app.eventually("the like is stored", func() bool {
		return app.call("GET", fmt.Sprintf("/api/videos/%d", id), nil, viewer.token, 200)["isLiked"] == true
	})
	v.goTo("/@viewer")
	v.waitFor("a Bookmarks tab", `document.querySelector('#tab-bookmarks')`)
	v.do("open it", chromedp.Click(chromedp.CSS(`#tab-bookmarks`)))
	v.waitFor("the video is bookmarked", fmt.Sprintf(`document.querySelector('.tab-panel .card-link[href="/video/%d"]')`, id))
	v.waitFor("a Liked tab", `document.querySelector('#tab-liked')`)
	v.do("open it", chromedp.Click(chromedp.CSS(`#tab-liked`)))
	v.waitFor("the video is liked", fmt.Sprintf(`document.querySelector('#tab-liked[aria-selected="true"]') && document.querySelector('.tab-panel .card-link[href="/video/%d"]')`, id))
}
