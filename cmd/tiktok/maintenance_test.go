package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

// runCommand runs `tiktok args...` and returns its standard output; an error carries the
// standard error.
func runCommand(t *testing.T, vars map[string]string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, args, getenvFrom(vars), &stdout, &stderr); err != nil {
		return stdout.String(), fmt.Errorf("tiktok %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// migratedCluster starts a cluster of the test's own and migrates it with `tiktok migrate up`.
func migratedCluster(t *testing.T) (*cluster, map[string]string) {
	t.Helper()
	c := newCluster(t)
	c.start()
	vars := testEnv(t)
	vars["DATABASE_URL"] = c.url
	if _, err := runCommand(t, vars, "migrate", "up"); err != nil {
		t.Fatal(err)
	}
	return c, vars
}

// listed returns the names on the lines of out that start with prefix.
func listed(out, prefix string) []string {
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, prefix+" "); ok {
			names = append(names, strings.Fields(rest)[0])
		}
	}
	slices.Sort(names)
	return names
}

func TestOrphansCommand(t *testing.T) {
	t.Parallel()
	c, vars := migratedCluster(t)
	ctx := context.Background()
	pool := c.pool()
	store := postgres.NewStore(pool)
	dir := filepath.Join(vars["DATA_DIR"], "media")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	u, err := store.CreateUser(ctx, tiktok.NewUser{Username: "owner", Email: "owner@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	video, thumb, avatar := "aaaa.mp4", "aaaa.jpg", "avatar.png"
	if _, err := store.CreateVideo(ctx, tiktok.NewVideo{UserID: u.ID, VideoURL: video, VideoMedia: &video, ThumbnailURL: &thumb, ThumbnailMedia: &thumb}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.UpdateProfile(ctx, u.ID, tiktok.ProfileUpdate{SetAvatar: true, Avatar: &avatar, AvatarMedia: &avatar}); err != nil {
		t.Fatal(err)
	}
	// Storage-compatible uploads no video uses (yet): the recent one counts as referenced.
	for bucket, name := range map[string]string{"videos": "recent-upload.mp4", "thumbnails": "stale-upload.jpg"} {
		if err := store.PutStorageObject(ctx, bucket, "u/"+name, tiktok.StorageObject{MediaName: name, ContentType: "application/octet-stream"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE storage_objects SET created_at = now() - interval '2 days' WHERE media_name = 'stale-upload.jpg'`); err != nil {
		t.Fatal(err)
	}

	// Direct uploads (POST /api/uploads): a valid key's object is referenced, an expired one's
	// is not.
	for _, name := range []string{"direct-upload.mp4", "expired-key.mp4"} {
		k := tiktok.NewUploadKey{Key: name, UserID: u.ID, Kind: "video", ContentType: "video/mp4", Size: 1, TTL: time.Hour}
		if _, err := store.IssueUploadKey(ctx, k, 10); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE upload_keys SET expires_at = now() - interval '1 minute' WHERE key = 'expired-key.mp4'`); err != nil {
		t.Fatal(err)
	}

	old := time.Now().Add(-2 * time.Hour)
	files := map[string]struct {
		size   int
		old    bool
		orphan bool
	}{
		video:               {100, true, false},
		thumb:               {20, true, false},
		avatar:              {30, true, false},
		"recent-upload.mp4": {40, true, false},
		"stale-upload.jpg":  {50, true, true},
		"direct-upload.mp4": {60, true, false},
		"expired-key.mp4":   {70, true, true},
		"lost.mp4":          {1000, true, true},
		"lost.jpg":          {300, true, true},
		"in-flight.mp4":     {700, false, false}, // an upload whose row is not committed yet
		".put-123456":       {5, false, false},   // a Put still writing: not a stored file
		".put-999999":       {5, true, false},    // a Put a crash cut short: removed, not listed
	}
	var wantGone []string
	var wantBytes int
	for name, f := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, bytes.Repeat([]byte("x"), f.size), 0o644); err != nil {
			t.Fatal(err)
		}
		if f.old {
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
		}
		if f.orphan {
			wantGone = append(wantGone, name)
			wantBytes += f.size
		}
	}
	slices.Sort(wantGone)
	present := func() []string {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	all := present()

	out, err := runCommand(t, vars, "orphans", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if got := listed(out, "would remove"); !slices.Equal(got, wantGone) {
		t.Errorf("orphans --dry-run lists %q, want %q\n%s", got, wantGone, out)
	}
	if want := fmt.Sprintf("would free %d bytes", wantBytes); !strings.Contains(out, want) {
		t.Errorf("orphans --dry-run output lacks %q:\n%s", want, out)
	}
	if got := present(); !slices.Equal(got, all) {
		t.Errorf("orphans --dry-run changed the directory: %q, was %q", got, all)
	}
	if !strings.Contains(out, "would remove 1 unfinished upload file") {
		t.Errorf("orphans --dry-run does not report the stale temporary file:\n%s", out)
	}

	out, err = runCommand(t, vars, "orphans", "--min-age", "3h")
	if err != nil {
		t.Fatal(err)
	}
	if got := listed(out, "removed"); len(got) != 0 || !strings.Contains(out, "5 unreferenced files younger than 3h0m0s kept") {
		t.Errorf("orphans --min-age 3h removed %q, want nothing:\n%s", got, out)
	}

	out, err = runCommand(t, vars, "orphans")
	if err != nil {
		t.Fatal(err)
	}
	if got := listed(out, "removed"); !slices.Equal(got, wantGone) {
		t.Errorf("orphans removed %q, want %q\n%s", got, wantGone, out)
	}
	if want := fmt.Sprintf("freed %d bytes", wantBytes); !strings.Contains(out, want) {
		t.Errorf("orphans output lacks %q:\n%s", want, out)
	}
	if !strings.Contains(out, "removed 1 unfinished upload file") {
		t.Errorf("orphans does not report the stale temporary file:\n%s", out)
	}
	want := slices.DeleteFunc(all, func(n string) bool { return slices.Contains(wantGone, n) || n == ".put-999999" })
	if got := present(); !slices.Equal(got, want) {
		t.Errorf("after orphans the directory holds %q, want %q", got, want)
	}
	var mappings []string
	rows, err := pool.Query(ctx, `SELECT media_name FROM storage_objects ORDER BY media_name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		mappings = append(mappings, n)
	}
	if !slices.Equal(mappings, []string{"recent-upload.mp4"}) {
		t.Errorf("storage objects after orphans: %q, want only the recent upload", mappings)
	}

	if out, err := runCommand(t, vars, "orphans"); err != nil || !strings.Contains(out, "removed 0 files") {
		t.Errorf("second orphans = %v:\n%s", err, out)
	}
	for _, args := range [][]string{{"orphans", "extra"}, {"orphans", "--min-age", "soon"}, {"orphans", "--min-age", "-1h"}, {"orphans", "--frobnicate"}} {
		if _, err := runCommand(t, vars, args...); err == nil {
			t.Errorf("tiktok %q succeeded, want a usage error", args)
		}
	}
	if _, err := runCommand(t, vars, "orphans", "-h"); err != nil {
		t.Errorf("orphans -h: %v", err)
	}
}

func TestRecountCommand(t *testing.T) {
	t.Parallel()
	c, vars := migratedCluster(t)
	ctx := context.Background()
	pool := c.pool()
	store := postgres.NewStore(pool)

	var users []int64
	for i := range 3 {
		u, err := store.CreateUser(ctx, tiktok.NewUser{Username: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("user%d@example.com", i), PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	var videos []int64
	for i, u := range users[:2] {
		v, err := store.CreateVideo(ctx, tiktok.NewVideo{UserID: u, Caption: "v", VideoURL: fmt.Sprintf("https://cdn.example.com/%d.mp4", i)})
		if err != nil {
			t.Fatal(err)
		}
		videos = append(videos, v.ID)
	}
	comment, err := store.CreateComment(ctx, users[2], videos[1], "nice")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { _, err := store.SetVideoLike(ctx, users[1], videos[0], true); return err },
		func() error { _, err := store.SetVideoLike(ctx, users[2], videos[0], true); return err },
		func() error { _, err := store.SetCommentLike(ctx, users[0], comment.ID, true); return err },
		func() error { _, err := store.SetFollow(ctx, users[1], users[0], true); return err },
		func() error { _, err := store.SetFollow(ctx, users[2], users[0], true); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if drift := counterDrift(t, pool); len(drift) > 0 {
		t.Fatalf("counters drifted before the test corrupted them: %v", drift)
	}

	// Five wrong rows: two videos, a comment and two users (one of them in two columns).
	for _, q := range []string{
		fmt.Sprintf(`UPDATE videos SET like_count = like_count + 3 WHERE id = %d`, videos[0]),
		fmt.Sprintf(`UPDATE videos SET comment_count = 0 WHERE id = %d`, videos[1]),
		fmt.Sprintf(`UPDATE comments SET like_count = 9 WHERE id = %d`, comment.ID),
		fmt.Sprintf(`UPDATE users SET follower_count = 42, video_count = 7 WHERE id = %d`, users[0]),
		fmt.Sprintf(`UPDATE users SET like_count = 100 WHERE id = %d`, users[1]),
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if drift := counterDrift(t, pool); len(drift) != 6 {
		t.Fatalf("corrupted counters: %v, want 6", drift)
	}

	out, err := runCommand(t, vars, "recount")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != "recount: fixed 5 rows" {
		t.Errorf("recount printed %q, want \"recount: fixed 5 rows\"", out)
	}
	if drift := counterDrift(t, pool); len(drift) > 0 {
		t.Errorf("counters still differ from COUNT(*) after recount: %v", drift)
	}
	if out, err := runCommand(t, vars, "recount"); err != nil || strings.TrimSpace(out) != "recount: fixed 0 rows" {
		t.Errorf("second recount = %q, %v; want \"recount: fixed 0 rows\"", out, err)
	}
	if _, err := runCommand(t, vars, "recount", "now"); err == nil {
		t.Error("recount with an argument succeeded, want a usage error")
	}
}
