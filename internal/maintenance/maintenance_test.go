package maintenance_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/maintenance"
	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

// failingDelete is a storage whose Delete fails for one name (object storage can fail).
type failingDelete struct {
	*media.Local
	name string
}

func (f failingDelete) Delete(ctx context.Context, name string) error {
	if name == f.name {
		return errors.New("storage: delete refused")
	}
	return f.Local.Delete(ctx, name)
}

// fixture is a database and a media directory with files of every kind.
type fixture struct {
	store *postgres.Store
	files *media.Local
	now   time.Time
}

// newFixture stores, all modified two hours before f.now:
// referenced "owned.mp4" (a video's file) and "shared.jpg" (a recent storage upload);
// unreferenced "stale.mp4" (a storage upload mapped two days ago) and "lost.jpg";
// and "young.mp4", unreferenced but modified a minute before f.now.
func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := postgres.NewStore(pool)
	files, err := media.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(24 * time.Hour) // Orphans uses the injected clock, never the files' own
	u, err := store.CreateUser(ctx, tiktok.NewUser{Username: "keeper", Email: "keeper@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	owned := "owned.mp4"
	if _, err := store.CreateVideo(ctx, tiktok.NewVideo{UserID: u.ID, VideoURL: owned, VideoMedia: &owned}); err != nil {
		t.Fatal(err)
	}
	for path, name := range map[string]string{"a/shared.jpg": "shared.jpg", "a/stale.mp4": "stale.mp4"} {
		if err := store.PutStorageObject(ctx, "videos", path, tiktok.StorageObject{MediaName: name, ContentType: "video/mp4"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE storage_objects SET created_at = now() - interval '2 days' WHERE media_name = 'stale.mp4'`); err != nil {
		t.Fatal(err)
	}
	for name, age := range map[string]time.Duration{"owned.mp4": 2 * time.Hour, "shared.jpg": 2 * time.Hour,
		"stale.mp4": 2 * time.Hour, "lost.jpg": 2 * time.Hour, "young.mp4": time.Minute} {
		if _, err := files.Put(ctx, name, strings.NewReader(strings.Repeat("x", len(name)))); err != nil {
			t.Fatal(err)
		}
		mtime := now.Add(-age)
		if err := os.Chtimes(filepath.Join(files.Dir(), name), mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	return fixture{store: store, files: files, now: now}
}

func (f fixture) stored(t *testing.T) []string {
	t.Helper()
	var names []string
	if err := f.files.Walk(context.Background(), func(name string, _ int64, _ time.Time) error {
		names = append(names, name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func names(files []maintenance.File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	slices.Sort(out)
	return out
}

func TestOrphans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	all := []string{"lost.jpg", "owned.mp4", "shared.jpg", "stale.mp4", "young.mp4"}
	orphans := []string{"lost.jpg", "stale.mp4"}

	t.Run("dry run", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		rep, err := maintenance.Orphans(ctx, f.store, f.files, maintenance.OrphanOptions{DryRun: true, Now: func() time.Time { return f.now }})
		if err != nil {
			t.Fatal(err)
		}
		if got := names(rep.Removed); !slices.Equal(got, orphans) || !rep.DryRun {
			t.Errorf("dry run reports %q (dry run %v), want %q", got, rep.DryRun, orphans)
		}
		if rep.Bytes != int64(len("lost.jpg")+len("stale.mp4")) || rep.Scanned != 5 || rep.Young != 1 {
			t.Errorf("report = %+v", rep)
		}
		if got := f.stored(t); !slices.Equal(got, all) {
			t.Errorf("a dry run changed the files: %q", got)
		}
		if _, err := f.store.StorageObject(ctx, "videos", "a/stale.mp4"); err != nil {
			t.Errorf("a dry run forgot a storage object: %v", err)
		}
	})

	t.Run("remove", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		rep, err := maintenance.Orphans(ctx, f.store, f.files, maintenance.OrphanOptions{Now: func() time.Time { return f.now }})
		if err != nil {
			t.Fatal(err)
		}
		if got := names(rep.Removed); !slices.Equal(got, orphans) || rep.DryRun {
			t.Errorf("removed %q, want %q", got, orphans)
		}
		if got := f.stored(t); !slices.Equal(got, []string{"owned.mp4", "shared.jpg", "young.mp4"}) {
			t.Errorf("files left: %q", got)
		}
		if _, err := f.store.StorageObject(ctx, "videos", "a/stale.mp4"); err == nil {
			t.Error("the removed file's storage object still exists")
		}
		if _, err := f.store.StorageObject(ctx, "videos", "a/shared.jpg"); err != nil {
			t.Errorf("a recent storage object was forgotten: %v", err)
		}
	})

	t.Run("min age", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		rep, err := maintenance.Orphans(ctx, f.store, f.files, maintenance.OrphanOptions{MinAge: 3 * time.Hour, Now: func() time.Time { return f.now }})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Removed) != 0 || rep.Young != 3 {
			t.Errorf("with a 3h minimum age: %+v, want nothing removed and 3 young files", rep)
		}
	})

	t.Run("delete fails", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		storage := failingDelete{Local: f.files, name: "lost.jpg"}
		rep, err := maintenance.Orphans(ctx, f.store, storage, maintenance.OrphanOptions{Now: func() time.Time { return f.now }})
		if err == nil || !strings.Contains(err.Error(), "delete refused") {
			t.Errorf("err = %v, want the failed deletion", err)
		}
		if got := names(rep.Removed); !slices.Equal(got, []string{"stale.mp4"}) || rep.Bytes != int64(len("stale.mp4")) {
			t.Errorf("report = %+v, want only stale.mp4 removed", rep)
		}
		// The file that could not be deleted is still unreferenced: the next run removes it.
		rep, err = maintenance.Orphans(ctx, f.store, f.files, maintenance.OrphanOptions{Now: func() time.Time { return f.now }})
		if err != nil || !slices.Equal(names(rep.Removed), []string{"lost.jpg"}) {
			t.Errorf("second run: %+v, %v; want lost.jpg removed", rep, err)
		}
	})
}

// TestSweepStorage: the sweep removes the storage-compatible uploads no video claimed
// within the TTL — row and file — and keeps younger and claimed ones.
func TestSweepStorage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := postgres.NewStore(pool)
	files, err := media.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	u, err := store.CreateUser(ctx, tiktok.NewUser{Username: "poster", Email: "poster@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"expired.mp4", "young.mp4", "claimed.mp4", "unowned.mp4"} {
		if _, err := files.Put(ctx, name, strings.NewReader(name)); err != nil {
			t.Fatal(err)
		}
		owner := u.ID
		if name == "unowned.mp4" { // uploaded before objects had owners
			owner = 0
		}
		if err := store.PutStorageObject(ctx, "videos", "user-1/"+name, tiktok.StorageObject{MediaName: name, ContentType: "video/mp4", OwnerID: owner}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.CreateVideo(ctx, tiktok.NewVideo{UserID: u.ID, VideoURL: "http://x/claimed.mp4",
		VideoObject: &tiktok.StorageRef{Bucket: "videos", Path: "user-1/claimed.mp4", Field: "videoUrl"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE storage_objects SET created_at = now() - interval '2 hours' WHERE media_name <> 'young.mp4'`); err != nil {
		t.Fatal(err)
	}

	n, err := maintenance.SweepStorage(ctx, store, files, time.Hour)
	if err != nil || n != 2 {
		t.Fatalf("SweepStorage = %d, %v; want 2 (expired and unowned)", n, err)
	}
	var left []string
	rows, _ := pool.Query(ctx, `SELECT media_name FROM storage_objects ORDER BY media_name`)
	for rows.Next() {
		var name string
		rows.Scan(&name)
		left = append(left, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"claimed.mp4", "young.mp4"}; !slices.Equal(left, want) {
		t.Errorf("objects left %q, want %q", left, want)
	}
	f := fixture{files: files}
	if got, want := f.stored(t), []string{"claimed.mp4", "young.mp4"}; !slices.Equal(got, want) {
		t.Errorf("files left %q, want %q", got, want)
	}
	if n, err := maintenance.SweepStorage(ctx, store, files, time.Hour); err != nil || n != 0 {
		t.Errorf("second sweep = %d, %v; want 0", n, err)
	}
}

// TestSweepStorageConcurrent: sweeps running at once (several servers) remove every
// expired object exactly once between them, in batches.
func TestSweepStorageConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := postgres.NewStore(pool)
	files, err := media.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const objects = 1200 // more than two batches
	if _, err := pool.Exec(ctx, `
		INSERT INTO storage_objects (bucket, path, media_name, content_type, created_at)
		SELECT 'videos', 'p/' || i, 'f' || i || '.mp4', 'video/mp4', now() - interval '1 day'
		FROM generate_series(1, $1) i`, objects); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= objects; i += 97 { // some of the files exist; deleting a missing one is fine
		if _, err := files.Put(ctx, fmt.Sprintf("f%d.mp4", i), strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	const sweepers = 4
	counts := make([]int, sweepers)
	var wg sync.WaitGroup
	for i := range sweepers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := maintenance.SweepStorage(ctx, store, files, time.Hour)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range counts {
		total += n
	}
	if total != objects {
		t.Errorf("the sweeps removed %v objects, %d in all; want %d in all", counts, total, objects)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM storage_objects`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if f := (fixture{files: files}); left != 0 || len(f.stored(t)) != 0 {
		t.Errorf("%d objects and %d files left", left, len(f.stored(t)))
	}
}

// TestSweepStorageEvery: the background loop sweeps at once and again every interval,
// skips rounds while not ready, and returns when its context ends.
func TestSweepStorageEvery(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.Pool(t)
	store := postgres.NewStore(pool)
	files, err := media.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var ready atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		maintenance.SweepStorageEvery(ctx, store, files, time.Hour, 10*time.Millisecond, func() error {
			if !ready.Load() {
				return errors.New("migrations pending")
			}
			return nil
		}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	insert := func(name string) {
		if err := store.PutStorageObject(ctx, "videos", "p/"+name, tiktok.StorageObject{MediaName: name, ContentType: "video/mp4"}); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `UPDATE storage_objects SET created_at = now() - interval '2 hours'`); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM storage_objects`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	insert("a.mp4")
	time.Sleep(100 * time.Millisecond)
	if count() != 1 {
		t.Fatal("swept while not ready")
	}
	ready.Store(true)
	for _, name := range []string{"b.mp4", "c.mp4"} {
		deadline := time.Now().Add(5 * time.Second)
		for count() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("expired objects not swept within 5s (%d left)", count())
			}
			time.Sleep(10 * time.Millisecond)
		}
		insert(name)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("SweepStorageEvery did not return after its context ended")
	}
}

func TestSweepInterval(t *testing.T) {
	t.Parallel()
	for ttl, want := range map[time.Duration]time.Duration{
		time.Second: time.Second, 8 * time.Second: 2 * time.Second, 10 * time.Minute: 150 * time.Second,
		time.Hour: 5 * time.Minute, 30 * 24 * time.Hour: 5 * time.Minute,
	} {
		if got := maintenance.SweepInterval(ttl); got != want {
			t.Errorf("SweepInterval(%v) = %v, want %v", ttl, got, want)
		}
	}
}
