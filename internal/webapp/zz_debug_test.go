package webapp_test

import (
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestZZSeeded(t *testing.T) {
	browser(t)
	app := &testApp{t: t, URL: "http://localhost:18105"}
	for _, c := range []struct {
		name string
		vp   viewport
	}{{"seeded-mobile", mobile}, {"seeded-desktop", desktop}} {
		tb := newTab(t, app, c.name, c.vp)
		tb.do("open", chromedp.Navigate(app.URL+"/"))
		tb.waitFor("plays", `(() => { const v = document.querySelector('.slide video'); return v && !v.paused && v.currentTime > 0.5; })()`)
		buf, _ := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
		os.WriteFile("/tmp/web-shots/"+c.name+".png", buf, 0o644)
		t.Log(eval[string](tb, "info", `JSON.stringify(performance.getEntriesByType('resource').filter(r => r.name.includes('/api/')).map(r => r.name))`))
	}
}
