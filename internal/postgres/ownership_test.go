package postgres_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

// Which stored files a row owns, and so which files the caller deletes with it. The rules
// for claiming storage-compatible objects are in media_test.go.

// putObject stores a storage-compatible object of ownerID at bucket/path for file name.
func putObject(t *testing.T, s *postgres.Store, bucket, path, name string, ownerID int64) *tiktok.StorageRef {
	t.Helper()
	if err := s.PutStorageObject(context.Background(), bucket, path, tiktok.StorageObject{MediaName: name, ContentType: "video/mp4", OwnerID: ownerID}); err != nil {
		t.Fatalf("put %s/%s: %v", bucket, path, err)
	}
	return &tiktok.StorageRef{Bucket: bucket, Path: path, Field: "videoUrl"}
}

// TestStoredFileHasOneOwningVideo: two videos cannot own the same stored file, as video
// or as thumbnail; the refused insert is not translated (no client can cause it: the
// names are fresh or claimed once) and leaves no row. Videos owning no file are many.
func TestStoredFileHasOneOwningVideo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	owner, other := addUser(t, s, "owner"), addUser(t, s, "other")
	addVideoWith(t, s, tiktok.NewVideo{UserID: owner.ID, Caption: "first", VideoURL: "https://api.example/uploads/v.mp4",
		VideoMedia: ptr("v.mp4"), ThumbnailMedia: ptr("t.jpg")})
	tests := []struct {
		name       string
		video      tiktok.NewVideo
		constraint string
	}{
		{"video file of another user's video", tiktok.NewVideo{UserID: other.ID, VideoMedia: ptr("v.mp4")}, "videos_video_media_key"},
		{"video file of one's own video", tiktok.NewVideo{UserID: owner.ID, VideoMedia: ptr("v.mp4"), ThumbnailMedia: ptr("t2.jpg")}, "videos_video_media_key"},
		{"thumbnail of another video", tiktok.NewVideo{UserID: other.ID, VideoMedia: ptr("v2.mp4"), ThumbnailMedia: ptr("t.jpg")}, "videos_thumbnail_media_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.video.VideoURL = "https://api.example/uploads/x.mp4"
			_, err := s.CreateVideo(ctx, tt.video)
			if code := tiktok.ErrorCode(err); code != tiktok.CodeInternal {
				t.Errorf("code %s (%v), want internal", code, err)
			}
			if pgErr := pgError(err); pgErr == nil || pgErr.Code != "23505" || pgErr.ConstraintName != tt.constraint {
				t.Errorf("cause %v, want a unique violation of %s", err, tt.constraint)
			}
		})
	}
	for range 2 {
		addVideoWith(t, s, tiktok.NewVideo{UserID: other.ID, VideoURL: "https://cdn.example.com/elsewhere.mp4"})
	}
	if n := count(t, pool, `SELECT count(*) FROM videos`); n != 3 {
		t.Errorf("%d videos, want 3: the first and the two owning no file", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM videos WHERE video_media = 'v.mp4' OR thumbnail_media = 't.jpg'`); n != 1 {
		t.Errorf("%d videos own v.mp4 or t.jpg, want 1", n)
	}
}

// TestDeleteVideoReturnsOwnedFiles: deleting a video returns exactly the stored files it
// owned (video first, then thumbnail; none for media stored elsewhere) and forgets the
// storage-compatible objects it had claimed; another user cannot delete it, and a
// deleted video is not found again.
func TestDeleteVideoReturnsOwnedFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	owner, stranger := addUser(t, s, "owner"), addUser(t, s, "stranger")
	dir := fmt.Sprintf("user-%d/", owner.ID)
	claimedVideo := putObject(t, s, "videos", dir+"clip.mp4", "claimed.mp4", owner.ID)
	claimedThumb := putObject(t, s, "thumbnails", dir+"thumb.jpg", "claimed.jpg", owner.ID)
	putObject(t, s, "videos", dir+"loose.mp4", "loose.mp4", owner.ID)
	tests := []struct {
		name  string
		video tiktok.NewVideo
		want  []string
	}{
		{"video and thumbnail", tiktok.NewVideo{VideoMedia: ptr("v1.mp4"), ThumbnailMedia: ptr("t1.jpg")}, []string{"v1.mp4", "t1.jpg"}},
		{"video only", tiktok.NewVideo{VideoMedia: ptr("v2.mp4")}, []string{"v2.mp4"}},
		{"thumbnail only", tiktok.NewVideo{ThumbnailMedia: ptr("t3.jpg")}, []string{"t3.jpg"}},
		{"stored elsewhere", tiktok.NewVideo{VideoStoragePath: ptr("bucket/x.mp4"), ThumbnailURL: ptr("https://cdn.example.com/x.jpg")}, nil},
		{"claimed storage objects", tiktok.NewVideo{VideoObject: claimedVideo, ThumbnailObject: claimedThumb}, []string{"claimed.mp4", "claimed.jpg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.video.UserID, tt.video.VideoURL, tt.video.Caption = owner.ID, "https://cdn.example.com/v.mp4", tt.name
			v := addVideoWith(t, s, tt.video)
			files, err := s.DeleteVideo(ctx, v.ID, stranger.ID)
			wantError(t, err, tiktok.CodeForbidden, "", nil)
			if files != nil {
				t.Errorf("a refused delete returned files %v", files)
			}
			files, err = s.DeleteVideo(ctx, v.ID, owner.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(files, tt.want) {
				t.Errorf("files %q, want %q", files, tt.want)
			}
			_, err = s.Video(ctx, v.ID, 0)
			wantError(t, err, tiktok.CodeNotFound, "Video not found", nil)
			_, err = s.DeleteVideo(ctx, v.ID, owner.ID)
			wantError(t, err, tiktok.CodeNotFound, "Video not found", nil)
		})
	}
	var left []string
	rows, err := pool.Query(ctx, `SELECT media_name FROM storage_objects ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		left = append(left, n)
	}
	if !slices.Equal(left, []string{"loose.mp4"}) {
		t.Errorf("storage objects left %q, want only the unclaimed loose.mp4", left)
	}
}

// TestDeleteUserReturnsOwnedFiles: deleting a user returns every stored file the user
// owned — avatar, videos' files and thumbnails, objects claimed by those videos and
// uploads no video claimed yet — and nothing of another user's, and forgets exactly
// the user's storage-compatible objects.
func TestDeleteUserReturnsOwnedFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	u, other := addUser(t, s, "leaver"), addUser(t, s, "stayer")
	if _, _, err := s.UpdateProfile(ctx, u.ID, tiktok.ProfileUpdate{SetAvatar: true, Avatar: ptr("av.jpg"), AvatarMedia: ptr("av.jpg"), AvatarSmall: ptr("av-64.jpg")}); err != nil {
		t.Fatal(err)
	}
	// A shared (seeded) avatar is referenced by its users but owned by none of them.
	sharer := addUser(t, s, "sharer")
	shared := tiktok.ProfileUpdate{SetAvatar: true, Avatar: ptr("shared.jpg"), AvatarSmall: ptr("shared-64.jpg")}
	for _, id := range []int64{sharer.ID, other.ID} {
		if _, _, err := s.UpdateProfile(ctx, id, shared); err != nil {
			t.Fatal(err)
		}
	}
	if files, err := s.DeleteUser(ctx, sharer.ID); err != nil || len(files) != 0 {
		t.Fatalf("deleting a user with a shared avatar returned %q, %v; want no files", files, err)
	}
	dir := fmt.Sprintf("user-%d/", u.ID)
	addVideoWith(t, s, tiktok.NewVideo{UserID: u.ID, VideoURL: "https://api.example/uploads/v.mp4", VideoMedia: ptr("v.mp4"), ThumbnailMedia: ptr("t.jpg")})
	addVideo(t, s, u.ID, "elsewhere")
	addVideoWith(t, s, tiktok.NewVideo{UserID: u.ID, VideoURL: "https://api.example/storage/obj.mp4", VideoObject: putObject(t, s, "videos", dir+"obj.mp4", "obj.mp4", u.ID)})
	putObject(t, s, "videos", dir+"loose.mp4", "loose.mp4", u.ID)
	// In the leaver's folder but uploaded with the stayer's token: the stayer's.
	putObject(t, s, "videos", dir+"theirs.mp4", "theirs.mp4", other.ID)
	addVideoWith(t, s, tiktok.NewVideo{UserID: other.ID, VideoURL: "https://api.example/uploads/other.mp4", VideoMedia: ptr("other.mp4")})

	files, err := s.DeleteUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	if want := []string{"av-64.jpg", "av.jpg", "loose.mp4", "obj.mp4", "t.jpg", "v.mp4"}; !slices.Equal(files, want) {
		t.Errorf("files %q, want %q", files, want)
	}
	refs, err := s.ReferencedMedia(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(refs)), []string{"other.mp4", "shared-64.jpg", "shared.jpg", "theirs.mp4"}; !slices.Equal(got, want) {
		t.Errorf("files still referenced %q, want %q", got, want)
	}
	if _, err := s.StorageObject(ctx, "videos", dir+"theirs.mp4"); err != nil {
		t.Errorf("the stayer's object: %v", err)
	}
}

// TestUpdateProfileReturnsReplacedAvatar: changing the avatar returns the stored file the
// user no longer uses (for the caller to delete), and only then: not for the first avatar,
// another field, the same file again or an avatar stored elsewhere.
func TestUpdateProfileReturnsReplacedAvatar(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	u := addUser(t, s, "vain")
	stored := func(name string) tiktok.ProfileUpdate {
		return tiktok.ProfileUpdate{SetAvatar: true, Avatar: ptr(name), AvatarMedia: ptr(name), AvatarSmall: ptr("s-" + name)}
	}
	// shared: a file others use too (as the seeded avatars are): referenced, not owned.
	shared := tiktok.ProfileUpdate{SetAvatar: true, Avatar: ptr("shared.jpg"), AvatarSmall: ptr("s-shared.jpg")}
	steps := []struct {
		name       string
		update     tiktok.ProfileUpdate
		wantAvatar *string
		replaced   []string
	}{
		{"first avatar", stored("a.jpg"), ptr("a.jpg"), nil},
		{"name only", tiktok.ProfileUpdate{SetName: true, Name: ptr("Vain")}, ptr("a.jpg"), nil},
		{"new avatar", stored("b.jpg"), ptr("b.jpg"), []string{"a.jpg", "s-a.jpg"}},
		{"same avatar again", stored("b.jpg"), ptr("b.jpg"), nil},
		{"avatar stored elsewhere", tiktok.ProfileUpdate{SetAvatar: true, Avatar: ptr("https://cdn.example.com/c.jpg")}, ptr("https://cdn.example.com/c.jpg"), []string{"b.jpg", "s-b.jpg"}},
		{"stored again", stored("d.jpg"), ptr("d.jpg"), nil},
		{"cleared", tiktok.ProfileUpdate{SetAvatar: true}, nil, []string{"d.jpg", "s-d.jpg"}},
		{"cleared again", tiktok.ProfileUpdate{SetAvatar: true}, nil, nil},
		{"shared avatar", shared, ptr("shared.jpg"), nil},
		{"own avatar over a shared one", stored("e.jpg"), ptr("e.jpg"), nil},
	}
	for i, st := range steps {
		user, replaced, err := s.UpdateProfile(ctx, u.ID, st.update)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if fmt.Sprint(replaced) != fmt.Sprint(st.replaced) {
			t.Errorf("%s: replaced %v, want %v", st.name, replaced, st.replaced)
		}
		wantName := "Vain" // set by step 1, kept by every other
		if i == 0 {
			wantName = "<nil>"
		}
		if show(user.Avatar) != show(st.wantAvatar) || show(user.Name) != wantName {
			t.Errorf("%s: avatar %s, name %s; want %s, %s", st.name, show(user.Avatar), show(user.Name), show(st.wantAvatar), wantName)
		}
	}
}

// show prints an optional string.
func show(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestCheckStorageUpload: an upload is refused before its body is read when its path is
// taken in its bucket (whoever asks) or its owner does not exist.
func TestCheckStorageUpload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	u := addUser(t, s, "uploader")
	putObject(t, s, "videos", "user-1/taken.mp4", "taken.mp4", u.ID)
	exists := map[string]string{"path": "already exists; an object is never replaced"}
	noOwner := map[string]string{"path": "names a user that does not exist"}
	tests := []struct {
		bucket, path string
		owner        int64
		message      string // "" for no error
		fields       map[string]string
	}{
		{"videos", "user-1/free.mp4", u.ID, "", nil},
		{"thumbnails", "user-1/taken.mp4", u.ID, "", nil}, // buckets are separate
		{"videos", "user-1/taken.mp4", u.ID, "The resource already exists", exists},
		{"videos", "user-1/free.mp4", u.ID + 1, "Validation failed", noOwner},
		{"videos", "user-1/taken.mp4", u.ID + 1, "The resource already exists", exists},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s by %d", tt.bucket, tt.path, tt.owner), func(t *testing.T) {
			err := s.CheckStorageUpload(ctx, tt.bucket, tt.path, tt.owner)
			if tt.message == "" {
				if err != nil {
					t.Fatalf("%v, want none", err)
				}
				return
			}
			wantError(t, err, tiktok.CodeValidation, tt.message, tt.fields)
		})
	}
}

// TestExpireStorageObjects: the sweep deletes unclaimed objects older than the TTL,
// oldest first and at most limit at a time, and returns their files; it never touches a
// claimed object or a young one. ReferencedMedia counts the claimed and young ones.
func TestExpireStorageObjects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	u := addUser(t, s, "uploader")
	ages := []struct {
		name string
		age  time.Duration
	}{{"old1.mp4", 3 * time.Hour}, {"old2.mp4", 150 * time.Minute}, {"old3.mp4", 2 * time.Hour}, {"young.mp4", 0}, {"claimed.mp4", 5 * time.Hour}}
	for _, a := range ages {
		putObject(t, s, "videos", "user-1/"+a.name, a.name, u.ID)
		exec(t, pool, `UPDATE storage_objects SET created_at = now() - make_interval(secs => $1) WHERE media_name = $2`, a.age.Seconds(), a.name)
	}
	addVideoWith(t, s, tiktok.NewVideo{UserID: u.ID, VideoURL: "https://api.example/claimed.mp4",
		VideoObject: &tiktok.StorageRef{Bucket: "videos", Path: "user-1/claimed.mp4", Field: "videoUrl"}})

	refs, err := s.ReferencedMedia(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(refs)), []string{"claimed.mp4", "young.mp4"}; !slices.Equal(got, want) {
		t.Errorf("referenced %q, want %q", got, want)
	}
	for i, want := range [][]string{{"old1.mp4", "old2.mp4"}, {"old3.mp4"}, nil} {
		got, err := s.ExpireStorageObjects(ctx, time.Hour, 2)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("sweep %d expired %q, want %q", i+1, got, want)
		}
	}
	for _, name := range []string{"young.mp4", "claimed.mp4"} {
		if _, err := s.StorageObject(ctx, "videos", "user-1/"+name); err != nil {
			t.Errorf("%s after the sweeps: %v", name, err)
		}
	}
}

// TestReferencedMedia: the orphans command keeps every file a row refers to — owned
// video, thumbnail and avatar files, local (non-http) URLs and avatars, claimed and young
// storage uploads — and only those.
func TestReferencedMedia(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	a, b, c := addUser(t, s, "alpha"), addUser(t, s, "bravo"), addUser(t, s, "charlie")
	addVideoWith(t, s, tiktok.NewVideo{UserID: a.ID, VideoURL: "https://cdn.example.com/x.mp4", ThumbnailURL: ptr("http://cdn.example.com/x.jpg"),
		VideoMedia: ptr("vm.mp4"), ThumbnailMedia: ptr("tm.jpg")})
	addVideoWith(t, s, tiktok.NewVideo{UserID: a.ID, VideoURL: "legacy.mp4", ThumbnailURL: ptr("legacy.jpg")})
	for _, p := range []struct {
		id     int64
		update tiktok.ProfileUpdate
	}{
		{a.ID, tiktok.ProfileUpdate{SetAvatar: true, Avatar: ptr("https://cdn.example.com/a.jpg")}},
		{b.ID, tiktok.ProfileUpdate{SetAvatar: true, Avatar: ptr("legacy-avatar.jpg")}},
		{c.ID, tiktok.ProfileUpdate{SetAvatar: true, Avatar: ptr("am.jpg"), AvatarMedia: ptr("am.jpg")}},
	} {
		if _, _, err := s.UpdateProfile(ctx, p.id, p.update); err != nil {
			t.Fatal(err)
		}
	}
	putObject(t, s, "videos", "user-1/young.mp4", "young.mp4", a.ID)
	putObject(t, s, "videos", "user-1/old.mp4", "old.mp4", a.ID)
	putObject(t, s, "videos", "user-1/claimed.mp4", "claimed.mp4", a.ID)
	exec(t, pool, `UPDATE storage_objects SET created_at = now() - interval '2 hours' WHERE media_name <> 'young.mp4'`)
	addVideoWith(t, s, tiktok.NewVideo{UserID: a.ID, VideoURL: "https://api.example/claimed.mp4",
		VideoObject: &tiktok.StorageRef{Bucket: "videos", Path: "user-1/claimed.mp4", Field: "videoUrl"}})

	refs, err := s.ReferencedMedia(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"am.jpg", "claimed.mp4", "legacy-avatar.jpg", "legacy.jpg", "legacy.mp4", "tm.jpg", "vm.mp4", "young.mp4"}
	if got := slices.Sorted(maps.Keys(refs)); !slices.Equal(got, want) {
		t.Errorf("referenced %q, want %q", got, want)
	}
}
