package maintenance_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/maintenance"
	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
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
	u, err := store.CreateUser(ctx, postgres.NewUser{Username: "keeper", Email: "keeper@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	owned := "owned.mp4"
	if _, err := store.CreateVideo(ctx, postgres.NewVideo{UserID: u.ID, VideoURL: owned, VideoMedia: &owned}); err != nil {
		t.Fatal(err)
	}
	for path, name := range map[string]string{"a/shared.jpg": "shared.jpg", "a/stale.mp4": "stale.mp4"} {
		if err := store.PutStorageObject(ctx, "videos", path, postgres.StorageObject{MediaName: name, ContentType: "video/mp4"}, false); err != nil {
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
