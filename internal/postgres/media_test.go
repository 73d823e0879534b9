package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

// TestStorageClaimVersusSweep: claims and sweeps of the same expired objects racing each
// other leave every object either claimed by a video (row kept) or swept (row gone, no
// video owns its file) — never both, never a video owning a swept file.
func TestStorageClaimVersusSweep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := postgres.NewStore(pool)
	u, err := store.CreateUser(ctx, tiktok.NewUser{Username: "racer", Email: "racer@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	const objects = 80
	for i := range objects {
		o := tiktok.StorageObject{MediaName: fmt.Sprintf("f%d.mp4", i), ContentType: "video/mp4", OwnerID: u.ID}
		if err := store.PutStorageObject(ctx, "videos", fmt.Sprintf("user-%d/%d.mp4", u.ID, i), o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE storage_objects SET created_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}

	claimed := make([]bool, objects)
	var swept sync.Map
	stop := make(chan struct{})
	var sweepers, claimers sync.WaitGroup
	for range 2 {
		sweepers.Add(1)
		go func() {
			defer sweepers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				time.Sleep(2 * time.Millisecond) // give the claims a fair share of the objects
				names, err := store.ExpireStorageObjects(ctx, time.Hour, 2)
				if err != nil {
					t.Error(err)
					return
				}
				for _, n := range names {
					if _, dup := swept.LoadOrStore(n, true); dup {
						t.Errorf("%s swept twice", n)
					}
				}
			}
		}()
	}
	const workers = 4
	for w := range workers {
		claimers.Add(1)
		go func() {
			defer claimers.Done()
			for i := w; i < objects; i += workers {
				ref := &tiktok.StorageRef{Bucket: "videos", Path: fmt.Sprintf("user-%d/%d.mp4", u.ID, i), Field: "videoUrl"}
				_, err := store.CreateVideo(ctx, tiktok.NewVideo{UserID: u.ID, VideoURL: "http://x/" + ref.Path, VideoObject: ref})
				if err != nil && tiktok.ErrorCode(err) != tiktok.CodeValidation { // validation: swept first
					t.Errorf("claim %d: %v", i, err)
				}
				claimed[i] = err == nil
			}
		}()
	}
	claimers.Wait()
	close(stop)
	sweepers.Wait()

	nClaimed, nSwept := 0, 0
	for i := range objects {
		name := fmt.Sprintf("f%d.mp4", i)
		_, wasSwept := swept.Load(name)
		var owners, rows int
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM videos WHERE video_media = $1), (SELECT count(*) FROM storage_objects WHERE media_name = $1)`, name).Scan(&owners, &rows); err != nil {
			t.Fatal(err)
		}
		switch {
		case claimed[i] && !wasSwept && owners == 1 && rows == 1:
			nClaimed++
		case !claimed[i] && wasSwept && owners == 0 && rows == 0:
			nSwept++
		default:
			t.Errorf("%s: claimed %v, swept %v, owning videos %d, rows %d", name, claimed[i], wasSwept, owners, rows)
		}
	}
	t.Logf("%d objects claimed, %d swept", nClaimed, nSwept)
}

// TestStorageClaimRules: a video claims only its own user's unclaimed, existing object;
// forgetting objects (the orphans command) keeps the ones a video claimed.
func TestStorageClaimRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.NewStore(pgtest.Pool(t))
	owner, err := store.CreateUser(ctx, tiktok.NewUser{Username: "owner", Email: "owner@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := store.CreateUser(ctx, tiktok.NewUser{Username: "other", Email: "other@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.mp4", "b.jpg", "c.mp4"} {
		if err := store.PutStorageObject(ctx, "videos", "o/"+name, tiktok.StorageObject{MediaName: name, ContentType: "video/mp4", OwnerID: owner.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.PutStorageObject(ctx, "videos", "o/a.mp4", tiktok.StorageObject{MediaName: "dup.mp4", ContentType: "video/mp4", OwnerID: owner.ID}); tiktok.ErrorCode(err) != tiktok.CodeValidation {
		t.Errorf("duplicate path: %v, want validation_failed", err)
	}
	if err := store.PutStorageObject(ctx, "videos", "o/x.mp4", tiktok.StorageObject{MediaName: "x.mp4", ContentType: "video/mp4", OwnerID: 999999}); tiktok.ErrorCode(err) != tiktok.CodeValidation {
		t.Errorf("unknown owner: %v, want validation_failed", err)
	}
	ref := func(name string) *tiktok.StorageRef {
		return &tiktok.StorageRef{Bucket: "videos", Path: "o/" + name, Field: "videoUrl"}
	}
	claim := func(user int64, video, thumb *tiktok.StorageRef) error {
		_, err := store.CreateVideo(ctx, tiktok.NewVideo{UserID: user, VideoURL: "http://x/v", VideoObject: video, ThumbnailObject: thumb})
		return err
	}
	if err := claim(other.ID, ref("a.mp4"), nil); tiktok.ErrorCode(err) != tiktok.CodeForbidden {
		t.Errorf("someone else's object: %v, want forbidden", err)
	}
	if err := claim(owner.ID, ref("missing.mp4"), nil); tiktok.ErrorCode(err) != tiktok.CodeValidation {
		t.Errorf("missing object: %v, want validation_failed", err)
	}
	// A refused claim of the thumbnail rolls the video's claim back.
	if err := claim(owner.ID, ref("a.mp4"), &tiktok.StorageRef{Bucket: "videos", Path: "o/missing.jpg", Field: "thumbnailUrl"}); tiktok.ErrorCode(err) != tiktok.CodeValidation {
		t.Errorf("missing thumbnail: %v, want validation_failed", err)
	}
	if err := claim(owner.ID, ref("a.mp4"), ref("b.jpg")); err != nil {
		t.Fatalf("owner's claim: %v", err)
	}
	if err := claim(owner.ID, ref("a.mp4"), nil); tiktok.ErrorCode(err) != tiktok.CodeValidation {
		t.Errorf("claimed twice: %v, want validation_failed", err)
	}
	kept, err := store.ForgetStorageObjects(ctx, []string{"a.mp4", "b.jpg", "c.mp4", "nothing.mp4"})
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 2 || !kept["a.mp4"] || !kept["b.jpg"] {
		t.Errorf("kept %v, want the claimed a.mp4 and b.jpg", kept)
	}
	if _, err := store.StorageObject(ctx, "videos", "o/c.mp4"); tiktok.ErrorCode(err) != tiktok.CodeNotFound {
		t.Errorf("unclaimed object not forgotten: %v", err)
	}
	if _, err := store.StorageObject(ctx, "videos", "o/a.mp4"); err != nil {
		t.Errorf("claimed object forgotten: %v", err)
	}
}
