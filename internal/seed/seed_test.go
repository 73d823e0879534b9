package seed_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/pipeline"
	"github.com/gotok/tiktok/internal/seed"
	"github.com/gotok/tiktok/internal/tiktok"
)

// testHash stands in for the bcrypt hash of "password123"; Run stores it as given.
const testHash = "$2a$04$0123456789012345678901uZa5Wcs3ePR3t3ZWE9E6RLB8M5XbJqm"

func newStore(t *testing.T) *media.Local {
	t.Helper()
	store, err := media.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return store
}

func run(t *testing.T, pool *pgxpool.Pool, store media.Storage, opts seed.Options) (seed.Summary, string) {
	t.Helper()
	var out bytes.Buffer
	sum, err := seed.Run(context.Background(), pool, store, testHash, opts, &out)
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out.String())
	}
	return sum, out.String()
}

// counts are the rows Options asks for; Comments counts the top-level ones (the replies
// threads.go adds are extra: TestSeedThreads).
type counts struct{ Users, Videos, Comments, VideoLikes, CommentLikes, Follows int }

func countRows(t *testing.T, pool *pgxpool.Pool) counts {
	t.Helper()
	var c counts
	err := pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM users WHERE role = 'user'), (SELECT count(*) FROM videos), (SELECT count(*) FROM comments WHERE parent_id IS NULL),
		(SELECT count(*) FROM video_likes), (SELECT count(*) FROM comment_likes), (SELECT count(*) FROM follows)`).
		Scan(&c.Users, &c.Videos, &c.Comments, &c.VideoLikes, &c.CommentLikes, &c.Follows)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func summaryCounts(s seed.Summary) counts {
	return counts{s.Users, s.Videos, s.Comments, s.VideoLikes, s.CommentLikes, s.Follows}
}

func checkCounters(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	pgtest.CheckCounters(t, pool)
}

// checkMedia checks that every owned file and every URL of every video is a stored file,
// and returns the owned names.
func checkMedia(t *testing.T, pool *pgxpool.Pool, store media.Storage) []string {
	t.Helper()
	ctx := context.Background()
	rows, _ := pool.Query(ctx, `SELECT video_url, thumbnail_url, video_media, thumbnail_media FROM videos ORDER BY id`)
	type refs struct{ URL, Thumb, Media, ThumbMedia *string }
	videos, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (refs, error) {
		var v refs
		err := r.Scan(&v.URL, &v.Thumb, &v.Media, &v.ThumbMedia)
		return v, err
	})
	if err != nil {
		t.Fatal(err)
	}
	exists := func(what string, name *string) {
		t.Helper()
		if name == nil {
			t.Errorf("%s is NULL", what)
			return
		}
		f, err := store.Open(ctx, *name)
		if err != nil {
			t.Errorf("%s %q: %v", what, *name, err)
			return
		}
		f.Close()
	}
	var owned []string
	for i, v := range videos {
		exists("video_url", v.URL)
		exists("thumbnail_url", v.Thumb)
		if v.Media != nil {
			exists("video_media", v.Media)
			exists("thumbnail_media", v.ThumbMedia)
			if v.ThumbMedia == nil || *v.Media != *v.URL || *v.ThumbMedia != *v.Thumb {
				t.Errorf("video %d owns files other than the ones it plays", i)
			}
			owned = append(owned, *v.Media, *v.ThumbMedia)
		} else if v.ThumbMedia != nil {
			t.Errorf("video %d owns its thumbnail but not its clip", i)
		}
	}
	// Probed by the pipeline's ffprobe (when installed): the sample clips are 360x640.
	if _, err := pipeline.FindTools(); err == nil {
		var unprobed int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM videos
			WHERE duration_ms IS NULL OR duration_ms < 500 OR width IS DISTINCT FROM 360 OR height IS DISTINCT FROM 640`).Scan(&unprobed); err != nil || unprobed != 0 {
			t.Errorf("%d seeded videos without their probed duration and size (%v)", unprobed, err)
		}
	}
	return owned
}

func storedFiles(t *testing.T, store media.Storage) []string {
	t.Helper()
	var names []string
	err := store.Walk(context.Background(), func(name string, _ int64, _ time.Time) error {
		names = append(names, name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func TestRunDefaults(t *testing.T) {
	t.Parallel()
	pool, store := pgtest.Pool(t), newStore(t)
	ctx := context.Background()
	start := time.Now()
	sum, out := run(t, pool, store, seed.DefaultOptions())
	t.Logf("default seed took %s:\n%s", time.Since(start), out)

	want := counts{Users: 10, Videos: 50, Comments: 200, VideoLikes: 300, CommentLikes: 150, Follows: 40}
	if got := countRows(t, pool); got != want {
		t.Errorf("rows = %+v, want %+v", got, want)
	}
	if got := summaryCounts(sum); got != want {
		t.Errorf("summary = %+v, want %+v", got, want)
	}
	if sum.FilesStored != 100 || sum.FilesRemoved != 0 || sum.Skipped {
		t.Errorf("summary = %+v, want 100 files stored, none removed", sum)
	}
	if !strings.Contains(out, "seed: done:") {
		t.Errorf("no summary line in output:\n%s", out)
	}

	var username, hash, name string
	err := pool.QueryRow(ctx, `SELECT username, password_hash, name FROM users WHERE email = 'user1@example.com'`).Scan(&username, &hash, &name)
	if err != nil {
		t.Fatalf("user1@example.com: %v", err)
	}
	if username != "user1" || hash != testHash || name == "" {
		t.Errorf("user1 = %q, hash %q, name %q", username, hash, name)
	}
	rows, _ := pool.Query(ctx, `SELECT username FROM users WHERE role = 'user' ORDER BY id`)
	usernames, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range usernames {
		if want := fmt.Sprintf("user%d", i+1); u != want {
			t.Errorf("user %d is %q, want %q", i, u, want)
		}
	}

	checkCounters(t, pool)
	owned := checkMedia(t, pool, store)
	if len(owned) != 100 {
		t.Errorf("videos own %d files, want 100 (every one of the 50 videos its clip and thumbnail)", len(owned))
	}
	if files := storedFiles(t, store); len(files) != 100+sum.AvatarFiles {
		t.Errorf("storage holds %d files, want 100 and %d avatar files", len(files), sum.AvatarFiles)
	}
	checkAvatars(t, pool, store, sum)

	// The feed has an order and user1's Following feed has videos.
	var following, distinctTimes, hashtagged int
	err = pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM videos v JOIN follows f ON f.following_id = v.user_id JOIN users u ON u.id = f.follower_id WHERE u.username = 'user1'),
		(SELECT count(DISTINCT created_at) FROM videos),
		(SELECT count(*) FROM videos WHERE caption LIKE '%#%')`).Scan(&following, &distinctTimes, &hashtagged)
	if err != nil {
		t.Fatal(err)
	}
	if following == 0 {
		t.Error("user1's Following feed is empty")
	}
	if distinctTimes != 50 || hashtagged < 35 || hashtagged == 50 {
		t.Errorf("%d distinct video times, %d captions with hashtags; want 50, and most but not all captions", distinctTimes, hashtagged)
	}
	// Something to see on a tag page and a sound page after `make run`.
	st := checkHashtagsAndSounds(t, pool)
	if st.topTag < 10 || st.topSound < 5 {
		t.Errorf("the most used tag is on %d of the 50 videos, the most used sound on %d; want at least 10 and 5", st.topTag, st.topSound)
	}
	var misordered int
	err = pool.QueryRow(ctx, `SELECT count(*) FROM videos a JOIN videos b ON b.id > a.id WHERE b.created_at < a.created_at`).Scan(&misordered)
	if err != nil || misordered != 0 {
		t.Errorf("%d video pairs whose ids and times disagree (%v)", misordered, err)
	}
	var badTimes int
	err = pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM comments c JOIN videos v ON v.id = c.video_id WHERE c.created_at < v.created_at) +
		(SELECT count(*) FROM video_likes l JOIN videos v ON v.id = l.video_id WHERE l.created_at < v.created_at) +
		(SELECT count(*) FROM videos v JOIN users u ON u.id = v.user_id WHERE v.created_at < u.created_at) +
		(SELECT count(*) FROM videos WHERE created_at > now() OR created_at < now() - interval '61 days')`).Scan(&badTimes)
	if err != nil || badTimes != 0 {
		t.Errorf("%d rows older than what they refer to, or outside the last 60 days (%v)", badTimes, err)
	}
}

// snapshot is everything of a seeded database that the seed decides, by natural keys.
func snapshot(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, _ := pool.Query(context.Background(), `
		SELECT 'user ' || username || ' ' || email || ' ' || coalesce(name, '-') || ' ' || coalesce(bio, '-') FROM users
		UNION ALL
		SELECT 'video ' || u.username || ' ' || v.caption || ' ' || coalesce(v.audio_name, '-') || ' ' || v.views FROM videos v JOIN users u ON u.id = v.user_id
		UNION ALL
		SELECT 'comment ' || u.username || ' ' || c.video_id || ' ' || c.content FROM comments c JOIN users u ON u.id = c.user_id
		UNION ALL
		SELECT 'video like ' || l.user_id || ' ' || l.video_id FROM video_likes l
		UNION ALL
		SELECT 'comment like ' || l.user_id || ' ' || l.comment_id FROM comment_likes l
		UNION ALL
		SELECT 'follow ' || f.follower_id || ' ' || f.following_id FROM follows f
		UNION ALL
		SELECT 'hashtag ' || id || ' ' || name || ' ' || video_count || ' ' || view_count FROM hashtags
		UNION ALL
		SELECT 'video hashtag ' || video_id || ' ' || hashtag_id FROM video_hashtags
		UNION ALL
		SELECT 'sound ' || id || ' ' || name || ' ' || name_key || ' ' || video_count FROM sounds
		UNION ALL
		SELECT 'video sound ' || id || ' ' || coalesce(sound_id::text, '-') FROM videos`)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

func TestRunIsReproducible(t *testing.T) {
	t.Parallel()
	opts := seed.DefaultOptions()
	opts.Seed = 7

	poolA, poolB := pgtest.Pool(t), pgtest.Pool(t)
	storeB := newStore(t)
	run(t, poolA, newStore(t), opts)
	run(t, poolB, storeB, opts)
	reset := opts
	reset.Reset = true
	run(t, poolB, storeB, reset) // ids restart, so the ids in the snapshot match too

	a, b := snapshot(t, poolA), snapshot(t, poolB)
	if !slices.Equal(a, b) {
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("same seed, different data: first difference\n  %s\n  %s", a[i], b[i])
			}
		}
		t.Fatalf("same seed, different data: %d rows vs %d", len(a), len(b))
	}

	other := opts
	other.Seed, other.Reset = 8, true
	run(t, poolB, storeB, other)
	if c := snapshot(t, poolB); slices.Equal(a, c) {
		t.Error("seeds 7 and 8 gave the same data")
	}
}

func TestRunIfEmptySkipsSeededDatabase(t *testing.T) {
	t.Parallel()
	pool, store := pgtest.Pool(t), newStore(t)
	run(t, pool, store, seed.DefaultOptions())
	before, files := snapshot(t, pool), storedFiles(t, store)

	opts := seed.DefaultOptions()
	opts.IfEmpty, opts.Seed = true, 99
	sum, out := run(t, pool, store, opts)
	if !sum.Skipped || !strings.Contains(out, "database not empty, skipping seed") {
		t.Errorf("summary %+v, output %q; want skipped", sum, out)
	}
	if !slices.Equal(snapshot(t, pool), before) || !slices.Equal(storedFiles(t, store), files) {
		t.Error("a skipped seed changed the data or the stored files")
	}
}

func TestRunIfEmptySeedsEmptyDatabase(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	opts := seed.DefaultOptions()
	opts.IfEmpty = true
	sum, _ := run(t, pool, newStore(t), opts)
	if sum.Skipped || countRows(t, pool).Users != 10 {
		t.Errorf("summary %+v: want an empty database seeded", sum)
	}
}

func TestRunTwiceFails(t *testing.T) {
	t.Parallel()
	pool, store := pgtest.Pool(t), newStore(t)
	run(t, pool, store, seed.DefaultOptions())
	before, files := snapshot(t, pool), storedFiles(t, store)

	opts := seed.DefaultOptions()
	opts.Seed = 99
	_, err := seed.Run(context.Background(), pool, store, testHash, opts, io.Discard)
	if !errors.Is(err, seed.ErrNotEmpty) || !strings.Contains(err.Error(), "use --reset") {
		t.Fatalf("second run: %v, want ErrNotEmpty", err)
	}
	if !slices.Equal(snapshot(t, pool), before) || !slices.Equal(storedFiles(t, store), files) {
		t.Error("a refused seed changed the data or the stored files")
	}
}

func TestRunResetReplacesDataAndMedia(t *testing.T) {
	t.Parallel()
	pool, store := pgtest.Pool(t), newStore(t)
	ctx := context.Background()
	first, _ := run(t, pool, store, seed.DefaultOptions())
	oldFiles := storedFiles(t, store)

	// A file no row owns (an unrelated upload) survives; an avatar a user owns does not.
	avatar, err := media.Save(ctx, store, media.Image, bytes.NewReader(media.Samples()[0].Thumbnail), media.MaxImageBytes)
	if err != nil {
		t.Fatal(err)
	}
	stray, err := media.Save(ctx, store, media.Image, bytes.NewReader(media.Samples()[0].Thumbnail), media.MaxImageBytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO users (username, email, password_hash, avatar, avatar_media)
		VALUES ('uploader', 'uploader@example.com', 'x', $1, $1)`, avatar.Name); err != nil {
		t.Fatal(err)
	}

	opts := seed.DefaultOptions()
	opts.Reset, opts.Seed, opts.Users, opts.Videos = true, 5, 20, 30
	sum, out := run(t, pool, store, opts)
	if sum.FilesRemoved != 101+first.AvatarFiles || !strings.Contains(out, "wiped all data") {
		t.Errorf("summary %+v, want %d removed files (and the seeded avatars); output:\n%s", sum, 101+first.AvatarFiles, out)
	}
	if got := countRows(t, pool); got.Users != 20 || got.Videos != 30 {
		t.Errorf("rows after reset = %+v, want 20 users and 30 videos", got)
	}
	var minID int64
	if err := pool.QueryRow(ctx, `SELECT min(id) FROM videos`).Scan(&minID); err != nil || minID != 1 {
		t.Errorf("first video id after reset = %d (%v), want 1", minID, err)
	}
	checkCounters(t, pool)
	owned := checkMedia(t, pool, store)
	files := storedFiles(t, store)
	for _, f := range append(oldFiles, avatar.Name) {
		if _, found := slices.BinarySearch(files, f); found {
			t.Errorf("file %s of the wiped data is still stored", f)
		}
	}
	if _, found := slices.BinarySearch(files, stray.Name); !found {
		t.Error("reset deleted a file no row owned")
	}
	if len(files) != len(owned)+1+sum.AvatarFiles {
		t.Errorf("storage holds %d files, want the %d owned ones, the stray one and %d avatar files", len(files), len(owned), sum.AvatarFiles)
	}
	checkAvatars(t, pool, store, sum)
}

func TestRunScaled(t *testing.T) {
	t.Parallel()
	pool, store := pgtest.Pool(t), newStore(t)
	opts := seed.Options{
		Seed: 3, Users: 200, Videos: 2000, Comments: 10000,
		VideoLikes: 10000, CommentLikes: 5000, Follows: 3000, MediaCopies: 200,
	}
	start := time.Now()
	sum, out := run(t, pool, store, opts)
	elapsed := time.Since(start)
	// How long it took is logged, not asserted: speed is measured by make bench (the
	// dataset loader), and under -race on a busy machine this varies tenfold.
	t.Logf("scaled seed took %s:\n%s", elapsed, out)

	want := counts{Users: 200, Videos: 2000, Comments: 10000, VideoLikes: 10000, CommentLikes: 5000, Follows: 3000}
	if got := countRows(t, pool); got != want {
		t.Errorf("rows = %+v, want %+v", got, want)
	}
	if got := summaryCounts(sum); got != want {
		t.Errorf("summary = %+v, want %+v", got, want)
	}
	checkCounters(t, pool)
	// The seed writes the counters of users, videos and comments itself: the recount only
	// sets those of the hashtags and sounds.
	if line := fmt.Sprintf("the recount set %d rows", sum.Hashtags+sum.Sounds); !strings.Contains(out, line) {
		t.Errorf("output does not say %q (%d hashtags, %d sounds):\n%s", line, sum.Hashtags, sum.Sounds, out)
	}
	owned := checkMedia(t, pool, store)
	if len(owned) != 400 || sum.FilesStored != 400 {
		t.Errorf("%d owned files, %d stored; want 400 (the first 200 videos own theirs)", len(owned), sum.FilesStored)
	}
	var unowned int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM videos WHERE id > 200 AND video_media IS NULL AND thumbnail_media IS NULL`).Scan(&unowned); err != nil || unowned != 1800 {
		t.Errorf("%d videos after the first 200 share files (%v), want 1800", unowned, err)
	}

	// A few videos are popular: the top 1% hold far more than 1% of the likes.
	var topShare float64
	err := pool.QueryRow(context.Background(), `
		SELECT sum(like_count)::float8 / 10000 FROM (SELECT like_count FROM videos ORDER BY like_count DESC LIMIT 20) top`).Scan(&topShare)
	if err != nil || topShare < 0.1 {
		t.Errorf("the 20 most liked videos hold %.0f%% of the likes (%v); want a skew", topShare*100, err)
	}

	// Hashtags and sounds: a few on many videos, a long tail used once.
	st := checkHashtagsAndSounds(t, pool)
	t.Logf("%+v", st)
	if st.topTag < 2000*15/100 || st.tags < 100 || st.tagsUsedOnce < st.tags*4/10 {
		t.Errorf("the most used of %d tags is on %d of 2000 videos, %d tags are used once; want ≥ 15 %% of the videos and ≥ 40 %% of at least 100 tags", st.tags, st.topTag, st.tagsUsedOnce)
	}
	if st.topSound < 2000*5/100 || st.originalSounds < 100 || st.sounds < st.originalSounds+10 {
		t.Errorf("the most used of %d sounds is on %d of 2000 videos, %d are original sounds; want ≥ 5 %%, ≥ 100 original sounds and other tracks", st.sounds, st.topSound, st.originalSounds)
	}
	if st.nonASCIITags == 0 || st.untagged == 0 || st.fourTags == 0 || st.respelledAudio == 0 {
		t.Errorf("%d non-ASCII tags, %d untagged videos, %d with four tags, %d audio names spelt otherwise than their sound; want some of each", st.nonASCIITags, st.untagged, st.fourTags, st.respelledAudio)
	}
}

// tagStats describes the seeded hashtags and sounds.
type tagStats struct {
	tags, tagsUsedOnce, nonASCIITags, topTag int
	untagged, fourTags                       int // videos
	sounds, originalSounds, topSound         int
	respelledAudio                           int // videos whose audio name is not their sound's name
}

// checkHashtagsAndSounds checks that every video's hashtags are tiktok.Hashtags of its
// caption, at most four, that its sound is the one keyed tiktok.SoundKey of its audio name
// and named tiktok.SoundName of the first video's audio name, that every tag and sound is
// used and every tag has a trend score, and returns statistics of the seeded tags and sounds.
// Sounds keyed leftover existed before the seed and keep their names.
func checkHashtagsAndSounds(t *testing.T, pool *pgxpool.Pool, leftover ...string) tagStats {
	t.Helper()
	ctx := context.Background()
	type row struct {
		ID                  int64
		Caption, Audio      string
		Tags                []string
		SoundName, SoundKey *string
	}
	rows, _ := pool.Query(ctx, `
		SELECT v.id, v.caption, v.audio_name,
		       coalesce((SELECT array_agg(h.name ORDER BY h.name) FROM video_hashtags vh JOIN hashtags h ON h.id = vh.hashtag_id WHERE vh.video_id = v.id), '{}'),
		       s.name, s.name_key
		FROM videos v LEFT JOIN sounds s ON s.id = v.sound_id
		ORDER BY v.id`)
	videos, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var v row
		err := r.Scan(&v.ID, &v.Caption, &v.Audio, &v.Tags, &v.SoundName, &v.SoundKey)
		return v, err
	})
	if err != nil {
		t.Fatal(err)
	}
	var st tagStats
	named := map[string]bool{} // sound keys whose first video was seen
	for _, v := range videos {
		want := tiktok.Hashtags(v.Caption)
		slices.Sort(want)
		if !slices.Equal(v.Tags, want) && !(len(v.Tags) == 0 && len(want) == 0) {
			t.Errorf("video %d (%q) has tags %q, want %q", v.ID, v.Caption, v.Tags, want)
		}
		switch len(v.Tags) {
		case 0:
			st.untagged++
		case 4:
			st.fourTags++
		case 1, 2, 3:
		default:
			t.Errorf("video %d has %d tags, want at most 4", v.ID, len(v.Tags))
		}
		if v.SoundKey == nil {
			t.Errorf("video %d (audio %q) has no sound", v.ID, v.Audio)
			continue
		}
		if *v.SoundKey != tiktok.SoundKey(v.Audio) {
			t.Errorf("video %d with audio %q has the sound keyed %q", v.ID, v.Audio, *v.SoundKey)
		}
		if !named[*v.SoundKey] && !slices.Contains(leftover, *v.SoundKey) {
			named[*v.SoundKey] = true
			if *v.SoundName != tiktok.SoundName(v.Audio) {
				t.Errorf("sound %q is named %q, want %q (its first video's audio name)", *v.SoundKey, *v.SoundName, tiktok.SoundName(v.Audio))
			}
		}
		if *v.SoundName != v.Audio && !slices.Contains(leftover, *v.SoundKey) {
			st.respelledAudio++
		}
	}
	var unused, noTrend int
	err = pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM hashtags), (SELECT count(*) FROM hashtags WHERE video_count = 1),
		(SELECT count(*) FROM hashtags WHERE name ~ '[^\x01-\x7f]'), (SELECT coalesce(max(video_count), 0) FROM hashtags),
		(SELECT count(*) FROM sounds), (SELECT count(*) FROM sounds WHERE name_key LIKE 'original sound - %'),
		(SELECT coalesce(max(video_count), 0) FROM sounds),
		(SELECT count(*) FROM hashtags WHERE video_count = 0) + (SELECT count(*) FROM sounds WHERE video_count = 0),
		(SELECT count(*) FROM hashtags WHERE trend_score <= 0)`).
		Scan(&st.tags, &st.tagsUsedOnce, &st.nonASCIITags, &st.topTag, &st.sounds, &st.originalSounds, &st.topSound, &unused, &noTrend)
	if err != nil {
		t.Fatal(err)
	}
	if unused != 0 || noTrend != 0 {
		t.Errorf("%d hashtags or sounds without videos, %d hashtags without a trend score; want none", unused, noTrend)
	}
	return st
}

// TestRunDense asks for every possible like and follow.
func TestRunDense(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	opts := seed.Options{Seed: 11, Users: 6, Videos: 9, Comments: 12, VideoLikes: 54, CommentLikes: 72, Follows: 30, MediaCopies: 2}
	sum, _ := run(t, pool, newStore(t), opts)
	want := counts{Users: 6, Videos: 9, Comments: 12, VideoLikes: 54, CommentLikes: 72, Follows: 30}
	if got := countRows(t, pool); got != want || summaryCounts(sum) != want {
		t.Errorf("rows = %+v, summary %+v, want %+v", got, sum, want)
	}
	checkCounters(t, pool)
}

// TestRunWithoutPausingTriggers covers a role that may not alter the tables, or a schema
// whose triggers were renamed: the triggers count row by row, and the counts still agree.
func TestRunWithoutPausingTriggers(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	if _, err := pool.Exec(context.Background(), `ALTER TRIGGER follows_count ON follows RENAME TO follows_counter`); err != nil {
		t.Fatal(err)
	}
	sum, out := run(t, pool, newStore(t), seed.DefaultOptions())
	if !strings.Contains(out, "counting row by row") {
		t.Errorf("output does not mention the slow path:\n%s", out)
	}
	want := counts{Users: 10, Videos: 50, Comments: 200, VideoLikes: 300, CommentLikes: 150, Follows: 40}
	if got := countRows(t, pool); got != want || summaryCounts(sum) != want {
		t.Errorf("rows = %+v, summary %+v, want %+v", got, sum, want)
	}
	checkCounters(t, pool)
	checkHashtagsAndSounds(t, pool)
}

// TestRunReusesLeftoverHashtagsAndSounds: a database without users may still have the
// hashtags and sounds of deleted videos; the seed reuses them (same ids) and counts them
// exactly, rather than failing on their unique names.
func TestRunReusesLeftoverHashtagsAndSounds(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	ctx := context.Background()
	var fyp, sound int64
	err := pool.QueryRow(ctx, `
		WITH u AS (INSERT INTO users (username, email, password_hash) VALUES ('gone', 'gone@example.com', 'x') RETURNING id),
		     s AS (INSERT INTO sounds (name, name_key) VALUES ('Original Sound - User1', 'original sound - user1') RETURNING id),
		     h AS (INSERT INTO hashtags (name) VALUES ('fyp') RETURNING id)
		SELECT h.id, s.id FROM h, s`).Scan(&fyp, &sound)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO videos (user_id, caption, video_url, sound_id, views) SELECT id, '#fyp', 'https://cdn.example.com/v.mp4', $1, 7 FROM users`, sound)
	exec(`INSERT INTO video_hashtags (video_id, hashtag_id) SELECT id, $1 FROM videos`, fyp)
	exec(`DELETE FROM users`)

	opts := seed.DefaultOptions()
	opts.Users, opts.Videos = 3, 200 // user1 posts many videos: its original sound is used
	run(t, pool, newStore(t), opts)
	checkCounters(t, pool)
	st := checkHashtagsAndSounds(t, pool, "original sound - user1")
	var fypVideos, soundVideos int
	var soundName string
	err = pool.QueryRow(ctx, `SELECT (SELECT video_count FROM hashtags WHERE id = $1), (SELECT video_count FROM sounds WHERE id = $2), (SELECT name FROM sounds WHERE id = $2)`,
		fyp, sound).Scan(&fypVideos, &soundVideos, &soundName)
	if err != nil {
		t.Fatal(err)
	}
	if fypVideos != st.topTag || soundVideos == 0 || soundName != "Original Sound - User1" {
		t.Errorf("the leftover tag fyp is on %d videos (top tag: %d), the leftover sound %q on %d; want them reused", fypVideos, st.topTag, soundName, soundVideos)
	}
}

// failingStore fails the Put after the first okPuts.
type failingStore struct {
	media.Storage
	okPuts int32
	puts   atomic.Int32
}

func (s *failingStore) Put(ctx context.Context, name string, r io.Reader) (int64, error) {
	if s.puts.Add(1) > s.okPuts {
		return 0, errors.New("disk full")
	}
	return s.Storage.Put(ctx, name, r)
}

func TestRunFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("storage", func(t *testing.T) {
		t.Parallel()
		pool, local := pgtest.Pool(t), newStore(t)
		store := &failingStore{Storage: local, okPuts: 7}
		_, err := seed.Run(ctx, pool, store, testHash, seed.DefaultOptions(), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("Run = %v, want the storage error", err)
		}
		if got := countRows(t, pool); got != (counts{}) {
			t.Errorf("rows after failure = %+v", got)
		}
		if files := storedFiles(t, local); len(files) != 0 {
			t.Errorf("files left after failure: %v", files)
		}
	})

	t.Run("database", func(t *testing.T) {
		t.Parallel()
		pool, store := pgtest.Pool(t), newStore(t)
		_, err := pool.Exec(ctx, `
			CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'no comment likes today'; END $$;
			CREATE TRIGGER fail BEFORE INSERT ON comment_likes FOR EACH ROW EXECUTE FUNCTION fail();`)
		if err != nil {
			t.Fatal(err)
		}
		_, err = seed.Run(ctx, pool, store, testHash, seed.DefaultOptions(), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "no comment likes today") {
			t.Fatalf("Run = %v, want the database error", err)
		}
		if got := countRows(t, pool); got != (counts{}) {
			t.Errorf("rows after failure = %+v", got)
		}
		var left int
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM hashtags) + (SELECT count(*) FROM sounds)`).Scan(&left); err != nil || left != 0 {
			t.Errorf("%d hashtags and sounds after failure (%v)", left, err)
		}
		if files := storedFiles(t, store); len(files) != 0 {
			t.Errorf("%d files left after failure", len(files))
		}
	})

	t.Run("canceled", func(t *testing.T) {
		t.Parallel()
		pool, store := pgtest.Pool(t), newStore(t)
		ctx, cancel := context.WithCancel(ctx)
		cancelling := &cancelAfterPuts{Storage: store, cancel: cancel, after: 5}
		_, err := seed.Run(ctx, pool, cancelling, testHash, seed.DefaultOptions(), io.Discard)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
		if got := countRows(t, pool); got != (counts{}) {
			t.Errorf("rows after failure = %+v", got)
		}
		if files := storedFiles(t, store); len(files) != 0 {
			t.Errorf("%d files left after failure", len(files))
		}
	})
}

// cancelAfterPuts cancels the run's context once after Puts have succeeded.
type cancelAfterPuts struct {
	media.Storage
	cancel context.CancelFunc
	after  int32
	puts   atomic.Int32
}

func (s *cancelAfterPuts) Put(ctx context.Context, name string, r io.Reader) (int64, error) {
	n, err := s.Storage.Put(ctx, name, r)
	if s.puts.Add(1) == s.after {
		s.cancel()
	}
	return n, err
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	def := seed.DefaultOptions()
	with := func(f func(*seed.Options)) seed.Options {
		o := def
		f(&o)
		return o
	}
	tests := []struct {
		name    string
		args    []string
		want    seed.Options
		wantErr string // substring; "" = no error
		note    string // substring of stderr
	}{
		{name: "defaults", args: nil, want: def},
		{name: "all flags", args: []string{"--seed", "9", "--users", "200", "--videos", "2000", "--comments", "5", "--video-likes", "7", "--comment-likes", "3", "--follows", "100", "--media-copies", "20", "--reset"},
			want: seed.Options{Seed: 9, Users: 200, Videos: 2000, Comments: 5, VideoLikes: 7, CommentLikes: 3, Follows: 100, MediaCopies: 20, Reset: true}},
		{name: "single dash", args: []string{"-if-empty", "-seed=1"}, want: with(func(o *seed.Options) { o.IfEmpty, o.Seed = true, 1 })},
		{name: "negative", args: []string{"--videos", "-1"}, wantErr: "--videos -1"},
		{name: "too large", args: []string{"--users", "1000000000"}, wantErr: "--users"},
		{name: "reset and if-empty", args: []string{"--reset", "--if-empty"}, wantErr: "exclude each other"},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "not defined"},
		{name: "argument", args: []string{"now"}, wantErr: "unexpected argument"},
		{name: "likes clamped", args: []string{"--users", "3", "--videos", "4"},
			want: seed.Options{Seed: 42, Users: 3, Videos: 4, Comments: 200, VideoLikes: 12, CommentLikes: 150, Follows: 6, MediaCopies: 200},
			note: "--video-likes 300 lowered to 12"},
		{name: "no users", args: []string{"--users", "0"},
			want: seed.Options{Seed: 42, MediaCopies: 200},
			note: "--videos 50 lowered to 0"},
		{name: "no media copies", args: []string{"--media-copies", "0"},
			want: with(func(o *seed.Options) { o.MediaCopies = 1 }),
			note: "--media-copies raised to 1"},
		{name: "likes lowered with videos", args: []string{"--videos", "5"},
			want: with(func(o *seed.Options) { o.Videos, o.VideoLikes = 5, 50 }),
			note: "--video-likes 300 lowered to 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			got, err := seed.ParseFlags(tt.args, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error()+stderr.String(), tt.wantErr) {
					t.Fatalf("err = %v (stderr %q), want one mentioning %q", err, stderr.String(), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("options = %+v, want %+v", got, tt.want)
			}
			if !strings.Contains(stderr.String(), tt.note) {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.note)
			}
		})
	}

	var stderr bytes.Buffer
	if _, err := seed.ParseFlags([]string{"-h"}, &stderr); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "-video-likes") {
		t.Errorf("-h: %v, usage %q", err, stderr.String())
	}
}

// TestRunSeedsModeration: the seed adds the moderator (mod@example.com, the users'
// password) and a few open reports, which fill the moderators' queue.
func TestRunSeedsModeration(t *testing.T) {
	t.Parallel()
	pool, store := pgtest.Pool(t), newStore(t)
	sum, _ := run(t, pool, store, seed.DefaultOptions())
	var role, hash string
	if err := pool.QueryRow(context.Background(), `SELECT role, password_hash FROM users WHERE email = $1`, seed.ModeratorEmail).Scan(&role, &hash); err != nil {
		t.Fatal(err)
	}
	if role != "moderator" || hash != testHash {
		t.Errorf("moderator: role %q, hash %q", role, hash)
	}
	var reports, targets, selfReports int
	err := pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM reports WHERE status = 'open'),
		(SELECT count(*) FROM report_targets WHERE open_count > 0),
		(SELECT count(*) FROM reports r LEFT JOIN videos v ON v.id = r.video_id LEFT JOIN comments c ON c.id = r.comment_id
		 WHERE r.reporter_id = coalesce(v.user_id, c.user_id, r.user_id))`).Scan(&reports, &targets, &selfReports)
	if err != nil {
		t.Fatal(err)
	}
	if reports != 8 || sum.Reports != 8 || targets != 5 || selfReports != 0 {
		t.Errorf("%d open reports (summary %d) on %d targets, %d of them of oneself; want 8 on 5, none", reports, sum.Reports, targets, selfReports)
	}
	checkCounters(t, pool)
}
