package postgres_test

import (
	"context"
	"maps"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
)

// The counters of migration 00006: hashtags.video_count and view_count (the SUM of the
// views of the tag's videos) and sounds.video_count. The rows are written with SQL here, as
// the store's caption parsing and sound lookup would write them; the triggers count.

// discoverySnapshot returns the counters of every hashtag and sound by name.
func discoverySnapshot(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT 'tag ' || name, format('videos=%s views=%s', video_count, view_count) FROM hashtags
		UNION ALL
		SELECT 'sound ' || name, format('videos=%s', video_count) FROM sounds`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var label, counters string
		if err := rows.Scan(&label, &counters); err != nil {
			t.Fatal(err)
		}
		out[label] = counters
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// discoveryFixture is two users' videos with views, tags and sounds:
//
//	a1 (ana, 100 views): #fyp #dance, sound "Golden Hour - JVKE"
//	a2 (ana,  10 views): #fyp,        sound "original sound - ana"
//	b1 (ben, 1000 views): #fyp #café, sound "Golden Hour - JVKE"
//
// and a tag and a sound no video uses.
type discoveryFixture struct {
	s      *postgres.Store
	pool   *pgxpool.Pool
	users  map[string]int64
	videos map[string]int64
	tags   map[string]int64
	sounds map[string]int64
}

func newDiscoveryFixture(t *testing.T) *discoveryFixture {
	t.Helper()
	s, pool := newStore(t)
	f := &discoveryFixture{s: s, pool: pool, users: map[string]int64{}, videos: map[string]int64{}, tags: map[string]int64{}, sounds: map[string]int64{}}
	for _, name := range []string{"ana", "ben"} {
		f.users[name] = addUser(t, s, name).ID
	}
	for _, v := range []struct {
		owner, caption string
		views          int
	}{{"ana", "a1", 100}, {"ana", "a2", 10}, {"ben", "b1", 1000}} {
		f.videos[v.caption] = addVideo(t, s, f.users[v.owner], v.caption).ID
		exec(t, pool, `UPDATE videos SET views = $1 WHERE id = $2`, v.views, f.videos[v.caption])
	}
	ctx := context.Background()
	for _, name := range []string{"fyp", "dance", "café", "unused"} {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO hashtags (name) VALUES ($1) RETURNING id`, name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		f.tags[name] = id
	}
	for _, name := range []string{"Golden Hour - JVKE", "original sound - ana", "silence"} {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO sounds (name, name_key) VALUES ($1, lower($1)) RETURNING id`, name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		f.sounds[name] = id
	}
	for _, vt := range [][2]string{{"a1", "fyp"}, {"a1", "dance"}, {"a2", "fyp"}, {"b1", "fyp"}, {"b1", "café"}} {
		f.tag(t, vt[0], vt[1])
	}
	for _, vs := range [][2]string{{"a1", "Golden Hour - JVKE"}, {"a2", "original sound - ana"}, {"b1", "Golden Hour - JVKE"}} {
		exec(t, pool, `UPDATE videos SET sound_id = $1 WHERE id = $2`, f.sounds[vs[1]], f.videos[vs[0]])
	}
	return f
}

func (f *discoveryFixture) tag(t *testing.T, video, tag string) {
	t.Helper()
	exec(t, f.pool, `INSERT INTO video_hashtags (video_id, hashtag_id) VALUES ($1, $2)`, f.videos[video], f.tags[tag])
}

// TestRecountDiscoveryThroughCascades: the counters of hashtags and sounds have their exact
// values after views are added, a tag is removed (a caption edit), a video changes its
// sound, and a video and a user with tagged videos are deleted (the cascades); CheckCounters
// agrees and Recount finds nothing to fix at every step.
func TestRecountDiscoveryThroughCascades(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newDiscoveryFixture(t)
	steps := []struct {
		name   string
		change func() error
		want   map[string]string
	}{
		{"built", nil, map[string]string{
			"tag fyp":                    "videos=3 views=1110",
			"tag dance":                  "videos=1 views=100",
			"tag café":                   "videos=1 views=1000",
			"tag unused":                 "videos=0 views=0",
			"sound Golden Hour - JVKE":   "videos=2",
			"sound original sound - ana": "videos=1",
			"sound silence":              "videos=0",
		}},
		{"views are counted", func() error {
			return f.s.AddViews(ctx, map[int64]int64{f.videos["a1"]: 5, f.videos["b1"]: 20})
		}, map[string]string{
			"tag fyp":                    "videos=3 views=1135",
			"tag dance":                  "videos=1 views=105",
			"tag café":                   "videos=1 views=1020",
			"tag unused":                 "videos=0 views=0",
			"sound Golden Hour - JVKE":   "videos=2",
			"sound original sound - ana": "videos=1",
			"sound silence":              "videos=0",
		}},
		{"a caption edit removes a tag and adds one", func() error {
			if _, err := f.pool.Exec(ctx, `DELETE FROM video_hashtags WHERE video_id = $1 AND hashtag_id = $2`, f.videos["a1"], f.tags["dance"]); err != nil {
				return err
			}
			_, err := f.pool.Exec(ctx, `INSERT INTO video_hashtags (video_id, hashtag_id) VALUES ($1, $2)`, f.videos["a2"], f.tags["dance"])
			return err
		}, map[string]string{
			"tag fyp":                    "videos=3 views=1135",
			"tag dance":                  "videos=1 views=10",
			"tag café":                   "videos=1 views=1020",
			"tag unused":                 "videos=0 views=0",
			"sound Golden Hour - JVKE":   "videos=2",
			"sound original sound - ana": "videos=1",
			"sound silence":              "videos=0",
		}},
		{"a video changes its sound", func() error {
			_, err := f.pool.Exec(ctx, `UPDATE videos SET sound_id = $1 WHERE id = $2`, f.sounds["Golden Hour - JVKE"], f.videos["a2"])
			return err
		}, map[string]string{
			"tag fyp":                    "videos=3 views=1135",
			"tag dance":                  "videos=1 views=10",
			"tag café":                   "videos=1 views=1020",
			"tag unused":                 "videos=0 views=0",
			"sound Golden Hour - JVKE":   "videos=3",
			"sound original sound - ana": "videos=0",
			"sound silence":              "videos=0",
		}},
		{"delete a tagged video", func() error {
			_, err := f.s.DeleteVideo(ctx, f.videos["b1"], f.users["ben"])
			return err
		}, map[string]string{
			"tag fyp":                    "videos=2 views=115",
			"tag dance":                  "videos=1 views=10",
			"tag café":                   "videos=0 views=0",
			"tag unused":                 "videos=0 views=0",
			"sound Golden Hour - JVKE":   "videos=2",
			"sound original sound - ana": "videos=0",
			"sound silence":              "videos=0",
		}},
		{"delete a user with tagged videos", func() error {
			_, err := f.s.DeleteUser(ctx, f.users["ana"])
			return err
		}, map[string]string{
			"tag fyp":                    "videos=0 views=0",
			"tag dance":                  "videos=0 views=0",
			"tag café":                   "videos=0 views=0",
			"tag unused":                 "videos=0 views=0",
			"sound Golden Hour - JVKE":   "videos=0",
			"sound original sound - ana": "videos=0",
			"sound silence":              "videos=0",
		}},
	}
	for _, step := range steps {
		if step.change != nil {
			if err := step.change(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		}
		if diff := diffSnapshots(discoverySnapshot(t, f.pool), step.want); diff != "" {
			t.Errorf("%s: counters differ:%s", step.name, diff)
		}
		pgtest.CheckCounters(t, f.pool)
		if fixed, err := f.s.Recount(ctx); err != nil || fixed != 0 {
			t.Errorf("%s: Recount fixed %d rows (%v), want 0", step.name, fixed, err)
		}
	}
}

// drift returns CheckCounters' answer as counter → wrong rows, without the zeros.
func drift(t *testing.T, pool *pgxpool.Pool) map[string]int64 {
	t.Helper()
	all, err := postgres.CheckCounters(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, d := range all {
		if d.Wrong != 0 {
			out[d.Counter] = d.Wrong
		}
	}
	return out
}

// TestRecountDiscoveryCounters drifts the counters of hashtags and sounds, and a trend
// score to 0 (what a bulk load with the counting trigger off leaves), checks that
// CheckCounters sees exactly the drift and that Recount repairs it: counters from the rows,
// the trend score as log2 Σ 2^(t / 1 day) over the tag's videos' creation times, computed
// stably even for videos ten years apart (2^t alone overflows a double), and every other
// trend score left as the trigger made it.
func TestRecountDiscoveryCounters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newDiscoveryFixture(t)
	now := time.Now()
	created := map[string]time.Time{
		"a1": now.Add(-10 * 365 * 24 * time.Hour),
		"a2": now.Add(-36 * time.Hour),
		"b1": now.Add(-time.Hour),
	}
	for v, at := range created {
		exec(t, f.pool, `UPDATE videos SET created_at = $1 WHERE id = $2`, at, f.videos[v])
	}
	if got := drift(t, f.pool); len(got) != 0 {
		t.Fatalf("drift before corrupting: %v", got)
	}
	trend := func(tag string) float64 {
		t.Helper()
		var x float64
		if err := f.pool.QueryRow(ctx, `SELECT trend_score FROM hashtags WHERE id = $1`, f.tags[tag]).Scan(&x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	danceTrend := trend("dance")
	if danceTrend == 0 {
		t.Fatal("the trigger left dance's trend score at 0")
	}

	// Five wrong rows: fyp (video and view count, trend 0), café (views), unused (a count
	// without videos), and two sounds.
	for _, q := range []struct {
		sql string
		arg int64
	}{
		{`UPDATE hashtags SET video_count = 7, view_count = 3, trend_score = 0 WHERE id = $1`, f.tags["fyp"]},
		{`UPDATE hashtags SET view_count = view_count + 1 WHERE id = $1`, f.tags["café"]},
		{`UPDATE hashtags SET video_count = 2 WHERE id = $1`, f.tags["unused"]},
		{`UPDATE sounds SET video_count = 0 WHERE id = $1`, f.sounds["Golden Hour - JVKE"]},
		{`UPDATE sounds SET video_count = 4 WHERE id = $1`, f.sounds["silence"]},
	} {
		exec(t, f.pool, q.sql, q.arg)
	}
	want := map[string]int64{"hashtags.video_count": 2, "hashtags.view_count": 2, "sounds.video_count": 2}
	if got := drift(t, f.pool); !maps.Equal(got, want) {
		t.Fatalf("drift = %v, want %v", got, want)
	}

	fixed, err := f.s.Recount(ctx)
	if err != nil || fixed != 5 {
		t.Errorf("Recount fixed %d rows (%v), want 5", fixed, err)
	}
	if got := drift(t, f.pool); len(got) != 0 {
		t.Errorf("drift after Recount: %v", got)
	}
	if diff := diffSnapshots(discoverySnapshot(t, f.pool), map[string]string{
		"tag fyp":                    "videos=3 views=1110",
		"tag dance":                  "videos=1 views=100",
		"tag café":                   "videos=1 views=1000",
		"tag unused":                 "videos=0 views=0",
		"sound Golden Hour - JVKE":   "videos=2",
		"sound original sound - ana": "videos=1",
		"sound silence":              "videos=0",
	}); diff != "" {
		t.Errorf("counters after Recount differ:%s", diff)
	}

	// log2 Σ 2^(t/day) = newest + log2 Σ 2^(t − newest), in days since the epoch.
	days := func(v string) float64 {
		var ts time.Time
		if err := f.pool.QueryRow(ctx, `SELECT created_at FROM videos WHERE id = $1`, f.videos[v]).Scan(&ts); err != nil {
			t.Fatal(err)
		}
		return float64(ts.UnixMicro()) / 1e6 / 86400
	}
	ts := []float64{days("a1"), days("a2"), days("b1")}
	newest := max(ts[0], ts[1], ts[2])
	var sum float64
	for _, x := range ts {
		sum += math.Exp2(x - newest)
	}
	wantTrend := newest + math.Log2(sum)
	if got := trend("fyp"); math.IsNaN(got) || math.IsInf(got, 0) || math.Abs(got-wantTrend) > 1e-9 {
		t.Errorf("fyp trend score after Recount = %v, want %v", got, wantTrend)
	}
	if got := trend("dance"); got != danceTrend {
		t.Errorf("dance's trend score changed from %v to %v; Recount fills in only zero scores", danceTrend, got)
	}
	if got := trend("unused"); got != 0 {
		t.Errorf("a tag without videos got trend score %v, want 0", got)
	}
	if fixed, err := f.s.Recount(ctx); err != nil || fixed != 0 {
		t.Errorf("second Recount fixed %d rows (%v), want 0", fixed, err)
	}
}
