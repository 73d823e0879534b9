package webapp_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// audit checks the rendered page: every control has an accessible name, every image an
// alt attribute, every form field a label, ids are unique, and text has AA contrast (4.5:1,
// 3:1 for large text) against the nearest opaque background (text over video is left out:
// it has a shadow and a gradient of its own). It returns the problems found.
const audit = `(() => {
  const problems = [];
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el); return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; };
  const name = (el) => (el.getAttribute('aria-label') || '').trim()
    || (el.getAttribute('aria-labelledby') || '').split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' ').trim()
    || (el.labels ? [...el.labels].map((l) => l.textContent).join(' ').trim() : '')
    || (el.textContent || '').trim() || (el.getAttribute('title') || '').trim()
    || [...el.querySelectorAll('img[alt]')].map((i) => i.alt).join(' ').trim();
  const where = (el) => el.outerHTML.slice(0, 120);
  for (const el of document.querySelectorAll('button, a[href], [role=button], [role=tab], [role=option]')) {
    if (visible(el) && !name(el)) problems.push('no accessible name: ' + where(el));
  }
  for (const el of document.querySelectorAll('img')) if (!el.hasAttribute('alt')) problems.push('img without alt: ' + where(el));
  for (const el of document.querySelectorAll('input:not([type=hidden]):not([hidden]), textarea, select')) {
    if (!name(el) && !(el.getAttribute('placeholder') && el.getAttribute('aria-label'))) problems.push('field without a label: ' + where(el));
  }
  const ids = {};
  for (const el of document.querySelectorAll('[id]')) { if (ids[el.id]) problems.push('duplicate id ' + el.id); ids[el.id] = true; }
  const rgb = (c) => { const m = c.match(/[\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 0]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const bgOf = (el) => {
    for (let e = el; e; e = e.parentElement) {
      if (e.matches('.slide, .player, .toast, video')) return null;
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] === 1) return c;
      if (c[3] > 0.5) return c;
    }
    return [0, 0, 0, 1];
  };
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || el.closest('[aria-hidden=true], .visually-hidden, svg')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const bg = bgOf(el);
    if (!bg) continue;
    const s = getComputedStyle(el);
    if (s.opacity !== '1' && !el.closest('button:disabled')) continue;
    if (el.closest('button:disabled, .resolved')) continue;
    const fg = rgb(s.color);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push('contrast ' + ratio.toFixed(2) + ': "' + el.textContent.trim().slice(0, 40) + '" ' + s.color + ' on ' + bg.join(','));
  }
  return problems;
})()`

func (tb *tab) audit(page string) {
	tb.t.Helper()
	if problems := eval[[]string](tb, "audit "+page, audit); len(problems) > 0 {
		tb.t.Errorf("%s: %s: accessibility problems:\n  %s\nscreenshot: %s", tb.name, page, strings.Join(problems, "\n  "), tb.screenshot("audit-"+page))
	}
}

// TestAccessibility drives the feed with the keyboard only (↓/↑ move between videos,
// space pauses, Tab reaches the actions with a visible focus ring), audits the pages
// (names, labels, alt text, contrast AA) and checks that prefers-reduced-motion stops the
// autoplay.
func TestAccessibility(t *testing.T) {
	browser(t)
	app := startApp(t)
	alice := app.register("alice")
	for i := range 3 {
		app.upload(alice, i, fmt.Sprintf("clip %d #a11y", i))
	}
	viewer := app.register("viewer")

	tb := newTab(t, app, "keyboard", desktop)
	tb.signIn(viewer)
	tb.goTo("/?feed=latest")
	playing := func(i int) string {
		return fmt.Sprintf(`(() => { const v = document.querySelectorAll('.slide video')[%d]; return v && !v.paused && v.currentTime > 0; })()`, i)
	}
	tb.waitFor("the first video plays", playing(0))
	tb.do("press ↓", chromedp.KeyEvent(kb.ArrowDown))
	tb.waitFor("the second video plays, the first is paused", playing(1)+` && document.querySelectorAll('.slide video')[0].paused`)
	tb.do("press space", chromedp.KeyEvent(" "))
	tb.waitFor("space pauses it", `document.querySelectorAll('.slide video')[1].paused && document.querySelectorAll('.slide')[1].querySelector('.play-toggle').getAttribute('aria-label') === 'Play'`)
	tb.do("press space again", chromedp.KeyEvent(" "))
	tb.waitFor("space plays it again", playing(1))
	tb.do("press ↑", chromedp.KeyEvent(kb.ArrowUp))
	tb.waitFor("back to the first video", playing(0)+` && document.activeElement === document.querySelectorAll('.slide')[0]`)
	// Tab from the first slide reaches its controls, each with a visible focus ring.
	seen := map[string]bool{}
	for i := 0; i < 14 && !seen["More options"]; i++ {
		tb.do("press Tab", chromedp.KeyEvent(kb.Tab))
		label := eval[string](tb, "focused control", `(() => { const e = document.activeElement; const s = getComputedStyle(e); return (e.getAttribute('aria-label') || e.textContent.trim()) + '|' + s.outlineStyle + '|' + s.outlineWidth; })()`)
		parts := strings.Split(label, "|")
		seen[parts[0]] = true
		if parts[1] == "none" || parts[2] == "0px" {
			t.Errorf("the focused control %q has no visible focus ring (outline %s %s)", parts[0], parts[1], parts[2])
		}
	}
	for _, want := range []string{"Like (0 likes)", "Comments (0)", "More options"} {
		if !seen[want] {
			t.Errorf("Tab did not reach %q; it reached %v", want, seen)
		}
	}
	tb.audit("feed")

	for _, p := range []string{"/search", "/@alice", "/upload", "/settings", "/notifications", "/tag/a11y"} {
		tb.goTo(p)
		tb.waitFor("the page settles", `!document.querySelector('main .state-loading')`)
		tb.audit(p)
	}
	tb.goTo("/?feed=latest")
	tb.waitFor("the feed", playing(0))
	tb.do("open the comments", chromedp.Click(chromedp.CSS(`.slide .comment-btn`)))
	tb.waitFor("the drawer", `document.querySelector('dialog[open] .state-empty')`)
	tb.audit("comments")
	tb.do("Escape closes it", chromedp.KeyEvent(kb.Escape))
	tb.waitFor("focus is back on the button", `!document.querySelector('dialog[open]') && document.activeElement.classList.contains('comment-btn')`)

	// Less motion: nothing starts by itself, the play button does.
	rm := newTab(t, app, "reduced-motion", mobile)
	rm.do("ask for less motion", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
		})
		return err
	}))
	rm.goTo("/?feed=latest")
	rm.waitFor("the feed is shown, paused, with the play button in the middle", `document.querySelector('.slide.paused video[src]')`)
	if eval[bool](rm, "autoplay", `!document.querySelector('.slide video').paused`) {
		t.Error("with prefers-reduced-motion the first video started by itself")
	}
	rm.do("press play", chromedp.Click(chromedp.CSS(`.slide .play-toggle`)))
	rm.waitFor("it plays", playing(0))
}
