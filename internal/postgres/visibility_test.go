package postgres_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadQueriesFilterVisibility keeps the visibility rule in every read: each query of
// queries/*.sql that reads the read models (video_feed, comment_feed) or lists other users
// with the viewer's isFollowing must filter through the functions of migration 00015, so a
// new list cannot forget blocks and moderation. A query that must not filter (none today)
// belongs in exempt, with the reason.
func TestReadQueriesFilterVisibility(t *testing.T) {
	t.Parallel()
	exempt := map[string]string{
		"ListUserComments": "the data export of the caller's own comments: nothing of one's own is hidden from oneself",
	}
	files, err := filepath.Glob("queries/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no query files: %v", err)
	}
	name := regexp.MustCompile(`(?m)^-- name: (\w+)`)
	videoFeed, commentFeed := regexp.MustCompile(`\bvideo_feed\b`), regexp.MustCompile(`\bcomment_feed\b`)
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		marks := name.FindAllStringSubmatchIndex(text, -1)
		for i, m := range marks {
			end := len(text)
			if i+1 < len(marks) {
				end = marks[i+1][0]
			}
			q, body := text[m[2]:m[3]], text[m[0]:end]
			var want []string
			if videoFeed.MatchString(body) {
				want = append(want, "hidden_video(")
			}
			if commentFeed.MatchString(body) {
				want = append(want, "hidden_comment(", "hidden_video(")
			}
			if strings.Contains(body, "AS is_following") {
				want = append(want, "hidden_user(")
			}
			if len(want) == 0 {
				continue
			}
			checked++
			if reason, ok := exempt[q]; ok {
				t.Logf("%s: exempt (%s)", q, reason)
				continue
			}
			for _, w := range want {
				if w == "hidden_video(" && strings.Contains(body, "moderated_video(") && strings.Contains(body, "hidden_user(") {
					continue // the rule in its two halves
				}
				if !strings.Contains(body, w) {
					t.Errorf("%s (%s) reads what a viewer may not see without %s…): filter it as the other reads do", q, f, w)
				}
			}
		}
	}
	if checked < 15 {
		t.Errorf("only %d queries checked: the test no longer finds the reads", checked)
	}
}
