package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/bench/internal/load"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

// freshDatabase creates a migrated database on the cluster of TEST_DATABASE_URL (which
// must allow a superuser, as the benchmark's own cluster does) and returns its URL; it is
// dropped at cleanup.
func freshDatabase(t *testing.T) string {
	t.Helper()
	raw := os.Getenv("TEST_DATABASE_URL")
	if raw == "" {
		t.Skip("TEST_DATABASE_URL is not set (make test sets it)")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "bench_load_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := conn.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	pool, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool, io.Discard); err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// TestLoad loads a small dataset (BENCH_LOAD_SCALE=x: the default one scaled by x, to
// time the loader) and checks what the loader computes instead of the triggers: every
// counter equals the COUNT(*) of its rows, every hot rank (and its copy in video_hashtags)
// equals video_hot_rank's, the trend scores equal the recount's formula, every video's
// tags are tiktok.Hashtags of its caption and its sound the one keyed tiktok.SoundKey of
// its audio name; that tags and sounds are skewed; that user1 has seen exactly the videos
// of the highest hot rank and has interests; and that identities continue after the
// loaded ids.
func TestLoad(t *testing.T) {
	s := Sizes{Users: 400, Videos: 3000, VideoLikes: 20000, Comments: 3000, CommentLikes: 4000, Follows: 5000, BenchFollows: 50, BenchFollowsLarge: 300,
		Impressions: 6000, Interests: 2000, BenchSeen: 1000, BenchInterests: 50}
	if x, err := strconv.ParseFloat(os.Getenv("BENCH_LOAD_SCALE"), 64); err == nil && x > 0 {
		s = DefaultSizes().Scale(x)
	}
	url := freshDatabase(t)
	ctx := context.Background()
	t0 := time.Now()
	d, err := generate(s, 7, 4)
	if err != nil {
		t.Fatal(err)
	}
	gen := time.Since(t0)
	var out strings.Builder
	times, err := d.load(ctx, url, &out)
	if err != nil {
		t.Fatalf("load: %v\n%s", err, out.String())
	}
	t.Logf("%s\n%sgenerate %s, COPY %s, indexes %s, recount %s, VACUUM + CHECKPOINT %s: %s in all",
		s, out.String(), gen.Round(time.Millisecond), times.Copy.Round(time.Millisecond), times.Index.Round(time.Millisecond),
		times.Recount.Round(time.Millisecond), times.Vacuum.Round(time.Millisecond), (gen + times.Total).Round(time.Millisecond))

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	drift, err := load.CheckCounters(ctx, conn)
	if err != nil || load.DriftTotal(drift) != 0 || len(drift) < 10 {
		t.Errorf("counters: %s (%v)", load.FormatDrift(drift), err)
	}
	// The Following feed's inboxes: what feed_build_inboxes (migration 00025) builds from the
	// loaded follows and videos, entries and horizons alike.
	_, err = conn.Exec(ctx, `
		CREATE TEMP TABLE loaded_inbox AS SELECT user_id, created_at, video_id, creator_id FROM feed_inbox;
		CREATE TEMP TABLE loaded_horizon AS SELECT user_id, created_at, video_id FROM feed_inbox_horizon;
		TRUNCATE feed_inbox, feed_inbox_horizon;
		SELECT feed_build_inboxes()`)
	if err != nil {
		t.Fatal(err)
	}
	var inboxDiff, horizonDiff, entries int
	err = conn.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM ((TABLE loaded_inbox EXCEPT SELECT user_id, created_at, video_id, creator_id FROM feed_inbox)
		                              UNION ALL (SELECT user_id, created_at, video_id, creator_id FROM feed_inbox EXCEPT TABLE loaded_inbox)) x),
		       (SELECT count(*) FROM ((TABLE loaded_horizon EXCEPT SELECT user_id, created_at, video_id FROM feed_inbox_horizon)
		                              UNION ALL (SELECT user_id, created_at, video_id FROM feed_inbox_horizon EXCEPT TABLE loaded_horizon)) x),
		       (SELECT count(*) FROM loaded_inbox)`).Scan(&inboxDiff, &horizonDiff, &entries)
	if err != nil || inboxDiff+horizonDiff != 0 || entries == 0 {
		t.Errorf("feed inboxes: %d entries loaded; %d entries and %d horizons differ from feed_build_inboxes (%v)", entries, inboxDiff, horizonDiff, err)
	}
	// Each user's followed pulled creators (migration 00027): feed_build_pull_follows, which
	// makes the table equal its definition, has nothing to fix.
	var pullFixed, pullRows int64
	if err := conn.QueryRow(ctx, "SELECT feed_build_pull_follows(), (SELECT count(*) FROM feed_pull_follows)").Scan(&pullFixed, &pullRows); err != nil || pullFixed != 0 {
		t.Errorf("feed_pull_follows: %d rows loaded, feed_build_pull_follows fixed %d (%v)", pullRows, pullFixed, err)
	}

	pool, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := checkHotRanks(ctx, pool, 1); err != nil {
		t.Error(err)
	}

	// The trend score: what the recount computes for a score of 0.
	var wrongTrend, tagged int
	err = conn.QueryRow(ctx, `
		WITH u AS (SELECT vh.hashtag_id AS id, extract(epoch FROM v.created_at)::double precision / 86400 AS t
		           FROM video_hashtags vh JOIN videos v ON v.id = vh.video_id),
		     m AS (SELECT id, max(t) AS newest FROM u GROUP BY id),
		     w AS (SELECT m.id, m.newest + ln(sum(power(2::double precision, greatest(u.t - m.newest, -1000)))) / ln(2) AS score
		           FROM m JOIN u ON u.id = m.id GROUP BY m.id, m.newest)
		SELECT count(*) FILTER (WHERE abs(h.trend_score - w.score) > 1e-9), count(*) FROM hashtags h JOIN w ON w.id = h.id`).Scan(&wrongTrend, &tagged)
	if err != nil || wrongTrend != 0 || tagged != len(d.tags) {
		t.Errorf("%d of %d tags have a trend score other than the recount's formula; %d tags loaded (%v)", wrongTrend, tagged, len(d.tags), err)
	}

	// Tags and sounds as the store derives them.
	rows, _ := conn.Query(ctx, `
		SELECT v.caption, v.audio_name, s.name_key,
		       coalesce((SELECT array_agg(h.name ORDER BY h.name) FROM video_hashtags vh JOIN hashtags h ON h.id = vh.hashtag_id WHERE vh.video_id = v.id), '{}')
		FROM videos v LEFT JOIN sounds s ON s.id = v.sound_id ORDER BY v.id`)
	var caption, audio string
	var key *string
	var tags []string
	bad := 0
	_, err = pgx.ForEachRow(rows, []any{&caption, &audio, &key, &tags}, func() error {
		want := tiktok.Hashtags(caption)
		slices.Sort(want)
		if len(want) > 4 || !slices.Equal(tags, want) && len(tags)+len(want) > 0 || key == nil || *key != tiktok.SoundKey(audio) {
			if bad++; bad <= 5 {
				t.Errorf("video %q with audio %q: tags %q (want %q), sound %v", caption, audio, tags, want, key)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Skew: the most used tag on a large share of the videos, a long tail used once, some
	// tags in other scripts; a popular sound, and one original sound per posting creator.
	var topTag, once, nonASCII, nTags, topSound, original, creators int
	err = conn.QueryRow(ctx, `SELECT
		(SELECT max(video_count) FROM hashtags), (SELECT count(*) FROM hashtags WHERE video_count = 1),
		(SELECT count(*) FROM hashtags WHERE name ~ '[^\x01-\x7f]'), (SELECT count(*) FROM hashtags),
		(SELECT max(video_count) FROM sounds), (SELECT count(*) FROM sounds WHERE name LIKE 'original sound - %'),
		(SELECT count(DISTINCT user_id) FROM videos)`).Scan(&topTag, &once, &nonASCII, &nTags, &topSound, &original, &creators)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d tags (top on %d videos, %d used once, %d in other scripts), %d sounds (top on %d videos, %d original sounds of %d creators), %d video tags",
		nTags, topTag, once, nonASCII, len(d.sounds), topSound, original, creators, len(d.tagIDs))
	if topTag < s.Videos/8 || once < nTags/4 || nonASCII == 0 || topSound < s.Videos/20 || original < creators/2 || original > creators {
		t.Error("hashtags or sounds are not skewed as intended")
	}
	if top := d.topTags(3); !slices.Equal(top, []string{"fyp", "foryou", "viral"}) {
		t.Errorf("most used tags %q, want fyp, foryou, viral", top)
	}

	// user1 has seen the BenchSeen videos of the highest rank, and has interests.
	var seen, seenTop, ci, hi int
	err = conn.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM video_impressions WHERE user_id = 1),
		(SELECT count(*) FROM (SELECT id FROM videos ORDER BY hot_rank DESC, id DESC LIMIT $1) top JOIN video_impressions i ON i.user_id = 1 AND i.video_id = top.id),
		(SELECT count(*) FROM creator_interests WHERE user_id = 1), (SELECT count(*) FROM hashtag_interests WHERE user_id = 1)`, s.BenchSeen).
		Scan(&seen, &seenTop, &ci, &hi)
	if err != nil || seen != s.BenchSeen || seenTop != s.BenchSeen || ci != s.BenchInterests || hi != s.BenchInterests {
		t.Errorf("user1 has seen %d videos, %d of the %d of highest rank; has %d creator and %d hashtag interests; want %d (%v)",
			seen, seenTop, s.BenchSeen, ci, hi, s.BenchInterests, err)
	}
	var others int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM video_impressions WHERE user_id <> 1`).Scan(&others); err != nil || others != int64(s.Impressions) {
		t.Errorf("%d impressions of other viewers, want %d (%v)", others, s.Impressions, err)
	}

	// Identities continue after the loaded ids.
	for _, q := range []string{
		`INSERT INTO hashtags (name) VALUES ('brandnewtag') RETURNING id`,
		`INSERT INTO sounds (name, name_key) VALUES ('New Sound', 'new sound') RETURNING id`,
	} {
		var id int64
		if err := conn.QueryRow(ctx, q).Scan(&id); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}
