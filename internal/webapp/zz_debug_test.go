package webapp_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gotok/tiktok/internal/media"
)

func TestZZDebug(t *testing.T) {
	browser(t)
	app := startApp(t)
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	os.WriteFile(clip, media.Samples()[1].Video, 0o644)
	c := newTab(t, app, "creator", mobile)
	c.goTo("/")
	c.signUp("creator")
	c.do("open the upload page", chromedp.Click(chromedp.CSS(`#nav a[href="/upload"]`)))
	c.waitFor("the upload form", `document.querySelector('#upload-file')`)
	c.do("choose the clip", chromedp.SetUploadFiles(chromedp.CSS(`#upload-file`), []string{clip}))
	c.waitFor("the preview plays", `document.querySelector('.preview-video')?.readyState >= 2`)
	c.do("write the caption", chromedp.SendKeys(chromedp.CSS(`textarea[name=caption]`), "my first clip #gotoktest"))
	eval[chromedp.Void](c, "watch the progress bar", recordProgress)
	c.do("click", chromedp.Click(chromedp.CSS(`.upload-form button[type=submit]`)))
	for i := 0; i < 6; i++ {
		time.Sleep(time.Second)
		t.Log(eval[string](c, "x", `document.querySelector('.progress-text').textContent + ' | ' + document.querySelector('.form-alert').textContent + ' | ' + document.querySelector('.upload-result').textContent + ' | ' + document.querySelector('.upload-progress').value + ' | ' + JSON.stringify(window.__progress) + document.querySelectorAll('.upload-form').length + location.pathname`))
	}
}
