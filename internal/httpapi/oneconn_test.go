package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/apitest"
	"github.com/gotok/tiktok/internal/pgtest"
)

// TestRefusalsOnOneConnection: a refused change of someone else's comment or video is
// explained (403, or 404 for what does not exist) by reads in the change's own
// transaction. Those reads once went through the pool instead, taking a second connection
// while the transaction held one: a burst of refused changes as large as the pool then
// held every connection and waited for another, and the server answered nothing more
// until clients gave up. On a pool of one connection such a read waits at once, so each
// change must answer well within the client's timeout.
func TestRefusalsOnOneConnection(t *testing.T) {
	e := newEnvWithPool(t, pgtest.PoolOf(t, 1))
	owner, other := e.register("owner"), e.register("other")
	video := e.video(owner, "mine")
	comment := e.comment(owner, video, "mine")
	client := apitest.Client{URL: e.srv.URL, HTTP: &http.Client{Timeout: 15 * time.Second}}
	for _, c := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"PUT", fmt.Sprintf("/api/comments/%d", comment), map[string]string{"content": "not yours"}, http.StatusForbidden},
		{"DELETE", fmt.Sprintf("/api/comments/%d", comment), nil, http.StatusForbidden},
		{"PUT", "/api/comments/987654", map[string]string{"content": "nobody's"}, http.StatusNotFound},
		{"DELETE", "/api/comments/987654", nil, http.StatusNotFound},
		{"DELETE", fmt.Sprintf("/api/videos/%d", video), nil, http.StatusForbidden},
		{"DELETE", "/api/videos/987654", nil, http.StatusNotFound},
		{"PUT", fmt.Sprintf("/api/videos/%d", video), map[string]string{"caption": "not yours"}, http.StatusForbidden},
	} {
		res, err := client.Do(c.method, c.path, c.body, other.token)
		if err != nil {
			t.Fatalf("%s %s as another user: %v (a second connection taken inside a transaction?)", c.method, c.path, err)
		}
		if res.Status != c.status {
			t.Errorf("%s %s as another user: %d, want %d: %s", c.method, c.path, res.Status, c.status, res.Raw)
		}
	}
	// Both rows are unchanged, and the pool still answers.
	if got := e.request("GET", fmt.Sprintf("/api/comments/%d", comment), nil, "").str("content"); got != "mine" {
		t.Errorf("comment content %q, want %q", got, "mine")
	}
	expect(t, e.request("GET", fmt.Sprintf("/api/videos/%d", video), nil, ""), http.StatusOK, "")
}
