// Package seed fills the database with demo data: users user1 … userN sharing one
// password, videos whose files are real sample clips stored through package media,
// comments, likes and follows, with realistic text from gofakeit, and the hashtags and
// sounds of the videos with a realistic skew. The same seed gives the same data; any volume
// is inserted with COPY in one transaction.
package seed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/media"
)

// ErrNotEmpty is returned by Run when the database already has users and neither Reset
// nor IfEmpty is set.
var ErrNotEmpty = errors.New("database already has data; use --reset to wipe it first")

// Summary reports what Run did.
type Summary struct {
	Skipped bool // IfEmpty was set and the database had users: nothing was done

	Users, Videos, Comments, VideoLikes, CommentLikes, Follows int
	Hashtags, VideoHashtags, Sounds                            int // distinct tags, tags on videos, distinct sounds
	Reports                                                    int // open reports (the moderator, mod@example.com, is not among Users)

	FilesStored  int // media files stored: a clip and a thumbnail per media copy
	AvatarFiles  int // generated avatar files stored (two per distinct initials, avatars.go)
	FilesRemoved int // media files of the wiped data deleted by Reset
	Elapsed      time.Duration
}

// String is the one-line report Run prints at the end.
func (s Summary) String() string {
	if s.Skipped {
		return "database not empty, skipping seed"
	}
	return fmt.Sprintf("%d users, %d videos, %d comments, %d video likes, %d comment likes, %d follows, %d hashtags (%d on videos), %d sounds, %d reports; %d media files stored, %d removed, %d avatar files; %s",
		s.Users, s.Videos, s.Comments, s.VideoLikes, s.CommentLikes, s.Follows, s.Hashtags, s.VideoHashtags, s.Sounds, s.Reports,
		s.FilesStored, s.FilesRemoved, s.AvatarFiles, s.Elapsed.Round(time.Millisecond))
}

// tables are the tables Run fills, and Reset wipes (with CASCADE: also the tables that
// refer to them, such as video_hashtags, impressions and interests).
const tables = "users, videos, comments, video_likes, comment_likes, follows, hashtags, sounds, feed_inbox"

// progressMin is the smallest table for which Run reports progress every 10%.
const progressMin = 50_000

// mediaWorkers is how many sample copies are stored at once.
const mediaWorkers = 8

// Run seeds the database in one transaction and writes progress lines and a final summary
// to out. Every user gets passwordHash (a bcrypt hash; hash once, not per user).
//
// On a database that has users, Run returns a Summary with Skipped set when opts.IfEmpty
// is set, wipes the tables first (TRUNCATE … RESTART IDENTITY CASCADE) when opts.Reset is
// set, and otherwise returns ErrNotEmpty without changing anything. Hashtags and sounds
// left by deleted users' videos (a database without users may have them) are reused.
// After a reset commits, the media files the wiped rows owned (videos.video_media and
// thumbnail_media, users.avatar_media, and the shared avatars users.avatar and avatar_small
// name) are deleted from store; a failure to delete one is
// reported on out, not returned, since the data is already committed.
//
// Media: the first opts.MediaCopies videos each own a fresh copy of a sample clip and its
// thumbnail, stored with media.Save, so video_media/thumbnail_media and
// video_url/thumbnail_url hold the stored names. The remaining videos reuse the files of
// those first ones in their video_url/thumbnail_url, with video_media/thumbnail_media
// NULL: they do not own the files, so deleting such a video leaves the shared files in
// place. Every seeded URL therefore serves a real file.
//
// Hashtags: every video's tags are tiktok.Hashtags of its caption, its sound the one whose
// name_key is tiktok.SoundKey of its audio name, as the store derives them for a posted
// video.
//
// Counters (like_count, follower_count, a hashtag's video_count, …) are normally kept by
// the schema's triggers, row by row; Run switches those triggers off inside its
// transaction, writes the counters of users, videos and comments as it counts them, and
// runs the server's recount at the end (see pauseCounters), which sets the counters of
// hashtags and sounds, the hashtags' trend scores (from their videos' creation times), and
// anything else that would be wrong. This makes large runs fast. If Run fails, the
// transaction is rolled back and the files it stored are deleted, so a failure leaves
// nothing behind.
func Run(ctx context.Context, pool *pgxpool.Pool, store media.Storage, passwordHash string, opts Options, out io.Writer) (Summary, error) {
	start := time.Now()
	opts, notes, err := opts.normalize()
	if err != nil {
		return Summary{}, err
	}
	for _, n := range notes {
		fmt.Fprintf(out, "seed: %s\n", n)
	}
	if passwordHash == "" {
		return Summary{}, errors.New("seed: empty password hash")
	}
	if store == nil {
		return Summary{}, errors.New("seed: no media store")
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("seed: begin: %w", err)
	}
	cleanupCtx := context.WithoutCancel(ctx)
	defer tx.Rollback(cleanupCtx) // a no-op after Commit
	var stored []string           // files this run stored; deleted unless the transaction commits
	committed := false
	defer func() {
		if !committed {
			if n, err := deleteFiles(cleanupCtx, store, stored); err != nil {
				fmt.Fprintf(out, "seed: could not delete %d of the %d media files this failed run stored: %v\n", n, len(stored), err)
			}
		}
	}()

	// The lock serializes concurrent seeds and keeps other writers out, so the tables hold
	// only this run's rows and identity order is insertion order (see insert).
	mode := "EXCLUSIVE"
	if opts.Reset {
		mode = "ACCESS EXCLUSIVE"
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+tables+" IN "+mode+" MODE"); err != nil {
		return Summary{}, fmt.Errorf("seed: lock tables: %w", err)
	}
	var hasData bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM users)").Scan(&hasData); err != nil {
		return Summary{}, fmt.Errorf("seed: check for data: %w", err)
	}
	var wiped []string // media files owned by the rows Reset deletes
	switch {
	case hasData && opts.IfEmpty:
		fmt.Fprintln(out, "seed: database not empty, skipping seed")
		return Summary{Skipped: true, Elapsed: time.Since(start)}, nil
	case hasData && !opts.Reset:
		return Summary{}, fmt.Errorf("seed: %w", ErrNotEmpty)
	case opts.Reset:
		if wiped, err = ownedMedia(ctx, tx); err != nil {
			return Summary{}, err
		}
		if _, err := tx.Exec(ctx, "TRUNCATE "+tables+" RESTART IDENTITY CASCADE"); err != nil {
			return Summary{}, fmt.Errorf("seed: reset: %w", err)
		}
		fmt.Fprintf(out, "seed: wiped all data (%d media files to remove)\n", len(wiped))
	}

	d := generate(opts, time.Now())
	files, err := storeSamples(ctx, store, min(opts.MediaCopies, opts.Videos), &stored, out)
	if err != nil {
		return Summary{}, err
	}
	paused, err := pauseCounters(ctx, tx, out)
	if err != nil {
		return Summary{}, err
	}
	if err := insert(ctx, tx, d, files, passwordHash, paused, out); err != nil {
		return Summary{}, err
	}
	if err := insertBookmarksAndShares(ctx, tx, opts, time.Now(), out); err != nil {
		return Summary{}, err
	}
	reports, err := seedModeration(ctx, tx, passwordHash, out)
	if err != nil {
		return Summary{}, err
	}
	avatarFiles, err := seedAvatars(ctx, tx, store, &stored, out) // every user, the moderator too (avatars.go)
	if err != nil {
		return Summary{}, err
	}
	if err := seedNotifications(ctx, tx, out); err != nil {
		return Summary{}, err
	}
	if err := seedFeedInboxes(ctx, tx, paused, out); err != nil { // feed.go
		return Summary{}, err
	}
	if paused {
		t := time.Now()
		fixed, err := resumeCounters(ctx, tx)
		if err != nil {
			return Summary{}, err
		}
		fmt.Fprintf(out, "seed: counters: the recount set %d rows (%s)\n", fixed, time.Since(t).Round(time.Millisecond))
	}
	if err := seedThreads(ctx, tx, out); err != nil { // replies and mentions (threads.go)
		return Summary{}, err
	}
	if err := orderNotifications(ctx, tx); err != nil { // after the replies' and mentions'
		return Summary{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return Summary{}, fmt.Errorf("seed: commit: %w", err)
	}
	committed = true

	sum := Summary{
		Users: len(d.users), Videos: len(d.videos), Comments: len(d.comments),
		VideoLikes: len(d.videoLikes), CommentLikes: len(d.commentLikes), Follows: len(d.follows),
		Hashtags: len(d.hashtags), VideoHashtags: d.tagUses, Sounds: len(d.sounds),
		Reports:     reports,
		FilesStored: len(stored) - avatarFiles,
		AvatarFiles: avatarFiles,
	}
	n, err := deleteFiles(cleanupCtx, store, wiped)
	sum.FilesRemoved = len(wiped) - n
	if err != nil {
		fmt.Fprintf(out, "seed: warning: could not delete %d media files of the wiped data (%v); they are orphans now\n", n, err)
	}
	sum.Elapsed = time.Since(start)
	fmt.Fprintf(out, "seed: done: %s\n", sum)
	return sum, nil
}

// ownedMedia returns the names of the media files the rows of the database own.
func ownedMedia(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, _ := tx.Query(ctx, `
		SELECT DISTINCT name FROM (
			SELECT video_media AS name FROM videos
			UNION ALL SELECT thumbnail_media FROM videos
			UNION ALL SELECT avatar_media FROM users
			UNION ALL SELECT avatar FROM users WHERE avatar NOT LIKE 'http%' -- also shared (seeded) avatars
			UNION ALL SELECT avatar_small FROM users
		) owned
		WHERE name IS NOT NULL`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("seed: list media to remove: %w", err)
	}
	return names, nil
}

// deleteFiles deletes names from store, carrying on past failures; it returns how many it
// could not delete and the first error.
func deleteFiles(ctx context.Context, store media.Storage, names []string) (int, error) {
	failed := 0
	var first error
	for _, name := range names {
		if err := store.Delete(ctx, name); err != nil {
			failed++
			if first == nil {
				first = fmt.Errorf("delete %s: %w", name, err)
			}
		}
	}
	return failed, first
}

// sampleFiles are the stored names of one media copy, and what probing its clip found (nil
// without ffprobe).
type sampleFiles struct {
	video, thumbnail          string
	durationMs, width, height *int32
}

// storeSamples stores n copies of the sample clips and their thumbnails, cycling through
// the samples, and appends every stored name to *stored as soon as it exists (also when
// it then fails), so the caller can delete them.
func storeSamples(ctx context.Context, store media.Storage, n int, stored *[]string, out io.Writer) ([]sampleFiles, error) {
	if n == 0 {
		return nil, nil
	}
	samples := media.Samples()
	if len(samples) == 0 {
		return nil, errors.New("seed: no sample clips embedded in package media")
	}
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	files := make([]sampleFiles, n)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	save := func(kind media.Kind, b []byte, limit int64) string {
		s, err := media.Save(ctx, store, kind, bytes.NewReader(b), limit)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if firstErr == nil {
				firstErr = err
				cancel()
			}
			return ""
		}
		*stored = append(*stored, s.Name)
		return s.Name
	}
	probes := probeSamples(ctx, samples, out)
	next := make(chan int)
	for range min(mediaWorkers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s, p := samples[i%len(samples)], probes[i%len(samples)]
				files[i] = sampleFiles{
					video:      save(media.Video, s.Video, int64(len(s.Video))),
					thumbnail:  save(media.Image, s.Thumbnail, media.MaxImageBytes),
					durationMs: p.durationMs, width: p.width, height: p.height,
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return nil, fmt.Errorf("seed: store sample media: %w", firstErr)
	}
	fmt.Fprintf(out, "seed: stored %d sample clips with thumbnails (%s)\n", n, time.Since(start).Round(time.Millisecond))
	return files, nil
}

// insert writes d with COPY, one table at a time. The tables were empty and are locked,
// so the identities COPY assigns follow the order of the rows, and reading the ids back
// in id order maps each generated index to its row.
//
// With counted set (the counting triggers are paused), the counters of users, videos and
// comments are written as d makes them, so the recount has nothing to fix there: a video
// is inserted with its final like and comment counts, and so gets its final hot rank from
// the insert trigger, which video_hashtags copies as its rows are inserted (a recount that
// changed the counts would re-rank every video and copy each rank to its tags row by row).
// Without it the counters start at 0 and the triggers count.
func insert(ctx context.Context, tx pgx.Tx, d *dataset, files []sampleFiles, passwordHash string, counted bool, out io.Writer) error {
	c := d.counters()
	if !counted {
		c = d.zeroCounters()
	}
	err := copyRows(ctx, tx, out, "users", []string{"username", "email", "password_hash", "name", "bio",
		"follower_count", "following_count", "video_count", "like_count", "created_at", "updated_at"},
		len(d.users), func(i int) []any {
			u := d.users[i]
			return []any{u.username, u.email, passwordHash, u.name, nullable(u.bio),
				c.userFollowers[i], c.userFollowing[i], c.userVideos[i], c.userLikes[i], u.at, u.at}
		})
	if err != nil {
		return err
	}
	userIDs, err := ids(ctx, tx, "users", len(d.users))
	if err != nil {
		return err
	}

	soundIDs, err := upsertNames(ctx, tx, out, "sounds", d.sounds)
	if err != nil {
		return err
	}

	err = copyRows(ctx, tx, out, "videos", []string{"user_id", "caption", "video_url", "thumbnail_url", "audio_name", "sound_id", "video_media", "thumbnail_media",
		"views", "like_count", "comment_count", "thread_count", "created_at", "updated_at", "duration_ms", "width", "height"},
		len(d.videos), func(i int) []any {
			v := d.videos[i]
			f := files[i%len(files)]
			var owned, ownedThumb any // NULL: shares the files of video i%len(files)
			if i < len(files) {
				owned, ownedThumb = f.video, f.thumbnail
			}
			return []any{userIDs[v.owner], v.caption, f.video, f.thumbnail, v.audio, soundIDs[v.sound], owned, ownedThumb,
				v.views, c.videoLikes[i], c.videoComments[i], c.videoComments[i], v.at, v.at, // comments here are top-level
				f.durationMs, f.width, f.height}
		})
	if err != nil {
		return err
	}
	videoIDs, err := ids(ctx, tx, "videos", len(d.videos))
	if err != nil {
		return err
	}

	tagIDs, err := upsertNames(ctx, tx, out, "hashtags", d.hashtags)
	if err != nil {
		return err
	}
	tagged := make([][2]int, 0, d.tagUses) // (video, tag) indexes
	for i, v := range d.videos {
		for _, t := range v.tags {
			tagged = append(tagged, [2]int{i, t})
		}
	}
	err = copyRows(ctx, tx, out, "video_hashtags", []string{"video_id", "hashtag_id"}, len(tagged), func(i int) []any {
		return []any{videoIDs[tagged[i][0]], tagIDs[tagged[i][1]]}
	})
	if err != nil {
		return err
	}

	err = copyRows(ctx, tx, out, "comments", []string{"user_id", "video_id", "content", "like_count", "created_at", "updated_at"},
		len(d.comments), func(i int) []any {
			m := d.comments[i]
			return []any{userIDs[m.user], videoIDs[m.video], m.content, c.commentLikes[i], m.at, m.at}
		})
	if err != nil {
		return err
	}
	commentIDs, err := ids(ctx, tx, "comments", len(d.comments))
	if err != nil {
		return err
	}

	links := []struct {
		table      string
		cols       []string
		rows       []link
		aIDs, bIDs []int64
	}{
		{"video_likes", []string{"user_id", "video_id", "created_at"}, d.videoLikes, userIDs, videoIDs},
		{"comment_likes", []string{"user_id", "comment_id", "created_at"}, d.commentLikes, userIDs, commentIDs},
		{"follows", []string{"follower_id", "following_id", "created_at"}, d.follows, userIDs, userIDs},
	}
	for _, l := range links {
		err := copyRows(ctx, tx, out, l.table, l.cols, len(l.rows), func(i int) []any {
			r := l.rows[i]
			return []any{l.aIDs[r.a], l.bIDs[r.b], r.at}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// copyRows COPYs n rows into table, reporting progress every 10% for large tables and a
// line when done.
func copyRows(ctx context.Context, tx pgx.Tx, out io.Writer, table string, cols []string, n int, row func(i int) []any) error {
	if n == 0 {
		return nil
	}
	start := time.Now()
	next := 10 // the next percentage to report
	src := pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		if n >= progressMin {
			for next < 100 && int64(i)*100 >= int64(next)*int64(n) {
				fmt.Fprintf(out, "seed:   %s %d%% (%d/%d)\n", table, next, i, n)
				next += 10
			}
		}
		return row(i), nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, src); err != nil {
		return fmt.Errorf("seed: insert %s: %w", table, err)
	}
	fmt.Fprintf(out, "seed: %d %s (%s)\n", n, table, time.Since(start).Round(time.Millisecond))
	return nil
}

// upsertNames inserts the hashtags or sounds that do not exist yet, in order (so after a
// reset their ids follow the order of first use), and returns the id of each one. A
// hashtag is keyed by its name, a sound by its name_key; an existing row keeps its name,
// and a reused hashtag its trend score (the recount fills in only a score of 0, so the
// seeded uses do not count toward that tag's trend).
func upsertNames(ctx context.Context, tx pgx.Tx, out io.Writer, table string, rows []named) ([]int64, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	start := time.Now()
	names, keys, ats := make([]string, len(rows)), make([]string, len(rows)), make([]time.Time, len(rows))
	for i, r := range rows {
		names[i], keys[i], ats[i] = r.name, r.key, r.at
	}
	var insert, lookup string
	args := []any{names, ats}
	switch table {
	case "hashtags":
		insert = `INSERT INTO hashtags (name, created_at)
			SELECT n, at FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS r(n, at, i) ORDER BY i
			ON CONFLICT (name) DO NOTHING`
		lookup = `SELECT h.id FROM unnest($1::text[]) WITH ORDINALITY AS r(n, i) JOIN hashtags h ON h.name = r.n ORDER BY r.i`
	case "sounds":
		insert = `INSERT INTO sounds (name, name_key, created_at)
			SELECT n, k, at FROM unnest($1::text[], $2::timestamptz[], $3::text[]) WITH ORDINALITY AS r(n, at, k, i) ORDER BY i
			ON CONFLICT (name_key) DO NOTHING`
		lookup = `SELECT s.id FROM unnest($1::text[]) WITH ORDINALITY AS r(k, i) JOIN sounds s ON s.name_key = r.k ORDER BY r.i`
		args = append(args, keys)
	default:
		return nil, fmt.Errorf("seed: upsert into %s", table)
	}
	tag, err := tx.Exec(ctx, insert, args...)
	if err != nil {
		return nil, fmt.Errorf("seed: insert %s: %w", table, err)
	}
	key := names
	if table == "sounds" {
		key = keys
	}
	rs, _ := tx.Query(ctx, lookup, key)
	got, err := pgx.CollectRows(rs, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("seed: read %s ids: %w", table, err)
	}
	if len(got) != len(rows) {
		return nil, fmt.Errorf("seed: found %d of the %d %s inserted", len(got), len(rows), table)
	}
	fmt.Fprintf(out, "seed: %d %s, %d of them new (%s)\n", len(rows), table, tag.RowsAffected(), time.Since(start).Round(time.Millisecond))
	return got, nil
}

// ids returns the ids of table in order, checking there are exactly want.
func ids(ctx context.Context, tx pgx.Tx, table string, want int) ([]int64, error) {
	rows, _ := tx.Query(ctx, "SELECT id FROM "+table+" ORDER BY id")
	got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("seed: read %s ids: %w", table, err)
	}
	if len(got) != want {
		return nil, fmt.Errorf("seed: %s has %d rows after inserting %d into an empty table", table, len(got), want)
	}
	return got, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
