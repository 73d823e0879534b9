package postgres_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/tiktok"
)

// videoTags returns the names of video's tags, sorted.
func videoTags(t *testing.T, pool *pgxpool.Pool, video int64) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		`SELECT h.name FROM video_hashtags vh JOIN hashtags h ON h.id = vh.hashtag_id WHERE vh.video_id = $1 ORDER BY h.name`, video)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// discoveryCounters returns the counters of every tag ("tag go": "videos=2 views=7") and
// sound ("sound original sound": "videos=3"), as stored by the triggers.
func discoveryCounters(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	return labelled(t, pool, `
		SELECT 'tag ' || name, format('videos=%s views=%s', video_count, view_count) FROM hashtags
		UNION ALL
		SELECT 'sound ' || name_key, format('videos=%s', video_count) FROM sounds`)
}

// discoveryTruth returns the same counters recomputed from the rows they count.
func discoveryTruth(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	return labelled(t, pool, `
		SELECT 'tag ' || h.name, format('videos=%s views=%s',
		       (SELECT count(*) FROM video_hashtags vh WHERE vh.hashtag_id = h.id),
		       (SELECT coalesce(sum(v.views), 0) FROM video_hashtags vh JOIN videos v ON v.id = vh.video_id WHERE vh.hashtag_id = h.id))
		FROM hashtags h
		UNION ALL
		SELECT 'sound ' || s.name_key, format('videos=%s', (SELECT count(*) FROM videos v WHERE v.sound_id = s.id))
		FROM sounds s`)
}

func labelled(t *testing.T, pool *pgxpool.Pool, sql string) map[string]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var label, value string
		if err := rows.Scan(&label, &value); err != nil {
			t.Fatal(err)
		}
		out[label] = value
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkDiscovery fails unless the tag and sound counters are want and equal what they
// count, and every tag row carries its video's hot rank.
func checkDiscovery(t *testing.T, pool *pgxpool.Pool, step string, want map[string]string) {
	t.Helper()
	got := discoveryCounters(t, pool)
	if d := diffSnapshots(got, want); d != "" {
		t.Errorf("%s: counters differ from the expected ones:%s", step, d)
	}
	if d := diffSnapshots(got, discoveryTruth(t, pool)); d != "" {
		t.Errorf("%s: counters differ from the rows they count:%s", step, d)
	}
	if n := count(t, pool, `SELECT count(*) FROM video_hashtags vh JOIN videos v ON v.id = vh.video_id WHERE vh.hot_rank <> v.hot_rank`); n != 0 {
		t.Errorf("%s: %d tag rows with a stale hot rank", step, n)
	}
}

// TestHashtagAndSoundSync: a video's tags and sound follow its caption and audio name
// through creation, edits and deletion, normalised (case, NFC, '#' inside URLs, white
// space in sound names).
func TestHashtagAndSoundSync(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	ana := addUser(t, s, "ana")

	v := addVideoWith(t, s, tiktok.NewVideo{UserID: ana.ID, VideoURL: "https://cdn.example.com/a.mp4",
		Caption:   "#Go #CAFE\u0301 #go see https://example.com/page#section and a#b #2024",
		AudioName: ptr("  Original   Sound ")})
	if got, want := videoTags(t, pool, v.ID), []string{"café", "go"}; !slices.Equal(got, want) {
		t.Fatalf("tags %q, want %q", got, want)
	}
	if v.SoundID == nil {
		t.Fatal("video with an audio name has no sound")
	}
	sound, err := s.Sound(ctx, *v.SoundID)
	if err != nil {
		t.Fatal(err)
	}
	if sound.Name != "Original Sound" || sound.VideoCount != 1 {
		t.Fatalf("sound %+v, want name %q with 1 video", sound, "Original Sound")
	}
	// The same sound whatever the case, spacing and normalisation form; the first name stays.
	w := addVideoWith(t, s, tiktok.NewVideo{UserID: ana.ID, VideoURL: "https://cdn.example.com/b.mp4",
		Caption: "#café (NFC this time)", AudioName: ptr("original sound")})
	if w.SoundID == nil || *w.SoundID != *v.SoundID {
		t.Fatalf("sound %v, want %d", w.SoundID, *v.SoundID)
	}
	if got := videoTags(t, pool, w.ID); !slices.Equal(got, []string{"café"}) {
		t.Fatalf("tags %q, want [café]", got)
	}
	checkDiscovery(t, pool, "created", map[string]string{
		"tag go": "videos=1 views=0", "tag café": "videos=2 views=0", "sound original sound": "videos=2",
	})

	// A caption edit drops the tags it no longer has and adds the new ones; the audio stays.
	v, err = s.UpdateVideo(ctx, v.ID, ana.ID, tiktok.VideoUpdate{Caption: ptr("now #Café and #NEW")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := videoTags(t, pool, v.ID), []string{"café", "new"}; !slices.Equal(got, want) {
		t.Fatalf("tags after the edit %q, want %q", got, want)
	}
	if v.SoundID == nil || *v.SoundID != sound.ID {
		t.Fatalf("a caption edit changed the sound to %v", v.SoundID)
	}
	checkDiscovery(t, pool, "caption edited", map[string]string{
		"tag go": "videos=0 views=0", "tag café": "videos=2 views=0", "tag new": "videos=1 views=0", "sound original sound": "videos=2",
	})

	// An audio edit moves the video to another sound; the tags stay.
	v, err = s.UpdateVideo(ctx, v.ID, ana.ID, tiktok.VideoUpdate{SetAudio: true, AudioName: ptr("Another Song")})
	if err != nil {
		t.Fatal(err)
	}
	if v.SoundID == nil || *v.SoundID == sound.ID {
		t.Fatalf("sound after the audio edit %v, want a new one", v.SoundID)
	}
	if got := videoTags(t, pool, v.ID); !slices.Equal(got, []string{"café", "new"}) {
		t.Fatalf("an audio edit changed the tags to %q", got)
	}
	checkDiscovery(t, pool, "audio edited", map[string]string{
		"tag go": "videos=0 views=0", "tag café": "videos=2 views=0", "tag new": "videos=1 views=0",
		"sound original sound": "videos=1", "sound another song": "videos=1",
	})

	// Clearing the audio clears the sound; an empty caption clears the tags.
	v, err = s.UpdateVideo(ctx, v.ID, ana.ID, tiktok.VideoUpdate{Caption: ptr(""), SetAudio: true})
	if err != nil {
		t.Fatal(err)
	}
	if v.SoundID != nil || len(videoTags(t, pool, v.ID)) != 0 {
		t.Fatalf("sound %v and tags %q after clearing both", v.SoundID, videoTags(t, pool, v.ID))
	}
	checkDiscovery(t, pool, "cleared", map[string]string{
		"tag go": "videos=0 views=0", "tag café": "videos=1 views=0", "tag new": "videos=0 views=0",
		"sound original sound": "videos=1", "sound another song": "videos=0",
	})

	// A refused edit (someone else's video) creates no tag and no sound.
	ben := addUser(t, s, "ben")
	_, err = s.UpdateVideo(ctx, w.ID, ben.ID, tiktok.VideoUpdate{Caption: ptr("#hijack"), SetAudio: true, AudioName: ptr("hijack")})
	wantError(t, err, tiktok.CodeForbidden, "", nil)
	_, err = s.UpdateVideo(ctx, 1<<40, ben.ID, tiktok.VideoUpdate{Caption: ptr("#hijack")})
	wantError(t, err, tiktok.CodeNotFound, "Video not found", nil)
	if n := count(t, pool, `SELECT count(*) FROM hashtags WHERE name = 'hijack'`) + count(t, pool, `SELECT count(*) FROM sounds WHERE name_key = 'hijack'`); n != 0 {
		t.Errorf("a refused edit created %d tag or sound rows", n)
	}

	// A sound name that NFC makes longer than 255 characters is cut, not refused.
	long := strings.Repeat("\u0958", 255) // each decomposes to two characters
	x := addVideoWith(t, s, tiktok.NewVideo{UserID: ana.ID, VideoURL: "https://cdn.example.com/x.mp4", AudioName: &long})
	if x.SoundID == nil {
		t.Fatal("no sound for a long audio name")
	}
	if got, err := s.Sound(ctx, *x.SoundID); err != nil || len([]rune(got.Name)) != 255 {
		t.Fatalf("long sound: %d characters, %v", len([]rune(got.Name)), err)
	}
}

// TestDiscoveryCountersThroughCascades: tag and sound counters stay exact through views
// being flushed, caption and audio edits, deleting a video and deleting a user (whose
// videos go by cascade).
func TestDiscoveryCountersThroughCascades(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	ana, ben := addUser(t, s, "ana"), addUser(t, s, "ben")
	video := func(u tiktok.User, caption, audio string) int64 {
		return addVideoWith(t, s, tiktok.NewVideo{UserID: u.ID, Caption: caption, AudioName: &audio, VideoURL: "https://cdn.example.com/v.mp4"}).ID
	}
	a1 := video(ana, "#x #y", "Song")
	a2 := video(ana, "#x", "song ")
	b1 := video(ben, "#X #z", "SONG")
	if err := s.AddViews(ctx, map[int64]int64{a1: 5, a2: 7, b1: 11}); err != nil {
		t.Fatal(err)
	}
	checkDiscovery(t, pool, "views flushed", map[string]string{
		"tag x": "videos=3 views=23", "tag y": "videos=1 views=5", "tag z": "videos=1 views=11", "sound song": "videos=3",
	})

	// Likes and comments move the hot rank, which the tag rows copy.
	if _, err := s.SetVideoLike(ctx, ben.ID, a2, true); err != nil {
		t.Fatal(err)
	}
	addComment(t, s, ana.ID, b1, "nice")

	if _, err := s.UpdateVideo(ctx, a2, ana.ID, tiktok.VideoUpdate{Caption: ptr("no tags now"), SetAudio: true, AudioName: ptr("Other")}); err != nil {
		t.Fatal(err)
	}
	checkDiscovery(t, pool, "caption and audio edited", map[string]string{
		"tag x": "videos=2 views=16", "tag y": "videos=1 views=5", "tag z": "videos=1 views=11",
		"sound song": "videos=2", "sound other": "videos=1",
	})

	if _, err := s.DeleteVideo(ctx, a1, ana.ID); err != nil {
		t.Fatal(err)
	}
	checkDiscovery(t, pool, "video deleted", map[string]string{
		"tag x": "videos=1 views=11", "tag y": "videos=0 views=0", "tag z": "videos=1 views=11",
		"sound song": "videos=1", "sound other": "videos=1",
	})

	if err := s.AddViews(ctx, map[int64]int64{b1: 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteUser(ctx, ben.ID); err != nil {
		t.Fatal(err)
	}
	checkDiscovery(t, pool, "user deleted", map[string]string{
		"tag x": "videos=0 views=0", "tag y": "videos=0 views=0", "tag z": "videos=0 views=0",
		"sound song": "videos=0", "sound other": "videos=1",
	})
	if _, err := s.DeleteUser(ctx, ana.ID); err != nil {
		t.Fatal(err)
	}
	checkDiscovery(t, pool, "everyone deleted", map[string]string{
		"tag x": "videos=0 views=0", "tag y": "videos=0 views=0", "tag z": "videos=0 views=0",
		"sound song": "videos=0", "sound other": "videos=0",
	})
}

// TestHashtagSyncConcurrent: many writers create, retag and delete videos whose captions
// name overlapping new tags in random orders, with views being flushed meanwhile; every
// write succeeds and the counters end exact.
func TestHashtagSyncConcurrent(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	const writers, rounds = 8, 12
	users := make([]tiktok.User, writers)
	for i := range users {
		users[i] = addUser(t, s, fmt.Sprintf("writer%d", i))
	}
	caption := func(rng *rand.Rand) string {
		tags := rng.Perm(12)[:1+rng.IntN(6)]
		var b strings.Builder
		for _, n := range tags {
			fmt.Fprintf(&b, "#Tag%d ", n)
		}
		return b.String()
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds*3)
	var mu sync.Mutex
	var live []int64
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			var mine []int64
			for range rounds {
				audio := fmt.Sprintf("Sound %d", rng.IntN(3))
				v, err := s.CreateVideo(ctx, tiktok.NewVideo{UserID: u.ID, Caption: caption(rng), AudioName: &audio, VideoURL: "https://cdn.example.com/v.mp4"})
				if err != nil {
					errs <- fmt.Errorf("create: %w", err)
					continue
				}
				mine = append(mine, v.ID)
				target := mine[rng.IntN(len(mine))]
				audio = fmt.Sprintf("sound %d", rng.IntN(3))
				if _, err := s.UpdateVideo(ctx, target, u.ID, tiktok.VideoUpdate{Caption: ptr(caption(rng)), SetAudio: true, AudioName: &audio}); err != nil {
					errs <- fmt.Errorf("update: %w", err)
				}
				if err := s.AddViews(ctx, map[int64]int64{target: 1, mine[0]: 2}); err != nil {
					errs <- fmt.Errorf("views: %w", err)
				}
				if rng.IntN(4) == 0 {
					gone := mine[0]
					mine = mine[1:]
					if _, err := s.DeleteVideo(ctx, gone, u.ID); err != nil {
						errs <- fmt.Errorf("delete: %w", err)
					}
				}
			}
			mu.Lock()
			live = append(live, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := discoveryCounters(t, pool)
	if d := diffSnapshots(got, discoveryTruth(t, pool)); d != "" {
		t.Errorf("counters differ from the rows they count:%s", d)
	}
	if len(got) != 12+3 {
		t.Errorf("%d tag and sound rows, want 15: %v", len(got), slices.Sorted(maps.Keys(got)))
	}
	// Each surviving video has exactly the tags of its caption.
	for _, id := range live {
		v, err := s.Video(ctx, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := tiktok.Hashtags(v.Caption)
		slices.Sort(want)
		if got := videoTags(t, pool, id); !slices.Equal(got, want) {
			t.Errorf("video %d (%q): tags %q, want %q", id, v.Caption, got, want)
		}
	}
}

// TestTrendScoreDecays pins the trend formula the trending list relies on: the score is
// log2 Σ 2^(t/1 day), so lowering a tag's score by d equals having made each of its uses d
// days earlier.
func TestTrendScoreDecays(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	ana := addUser(t, s, "ana")
	for range 4 {
		addVideo(t, s, ana.ID, "#four")
	}
	addVideo(t, s, ana.ID, "#one")
	var four, one float64
	if err := pool.QueryRow(ctx, `SELECT (SELECT trend_score FROM hashtags WHERE name = 'four'), (SELECT trend_score FROM hashtags WHERE name = 'one')`).Scan(&four, &one); err != nil {
		t.Fatal(err)
	}
	// Four uses a moment apart: two more than one use (log2 4 = 2), give or take the
	// seconds between them.
	if d := four - one; d < 1.99 || d > 2.01 {
		t.Fatalf("four uses score %.4f above one use, want 2", d)
	}
	// Deleting a video does not take its use back.
	v := addVideo(t, s, ana.ID, "#gone")
	var before, after float64
	if err := pool.QueryRow(ctx, `SELECT trend_score FROM hashtags WHERE name = 'gone'`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteVideo(ctx, v.ID, ana.ID); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT trend_score FROM hashtags WHERE name = 'gone'`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if before != after || before == 0 {
		t.Fatalf("trend score %v before the delete, %v after", before, after)
	}
}
