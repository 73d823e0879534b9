package bench

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/tiktok"
)

// The discovery data of migration 00006, generated with the rest: every video's views (the
// hashtags sum them), hashtags and sound; what the benchmark's viewer (user1) has seen and
// likes; and other viewers' impressions and interests, so that those tables have the shape
// of a used database rather than only user1's rows.
//
// Skew follows the seed (internal/seed): hashtags are drawn with a Zipf law over a
// vocabulary ranked by popularity (rank r with weight 1/(r+1)^1.1: the most used tag is on
// about a quarter of the videos, most of the tail is used once or never), 0–4 per video;
// sounds are an "original sound - <creator>" for 45 % of the videos (one per creator), one
// of popularTracks (Zipf, exponent 1.2) for 40 %, and one of a long tail of tracks for the
// rest. Ids of hashtags and sounds follow the order of first use, as the server creates them.

// hashtag is one hashtags row.
type hashtag struct {
	name   string
	videos int32
	views  int64
	trend  float64 // log2 Σ 2^(t / 1 day) over the creation times of its videos
	first  int32   // the video that used it first: its created_at is the tag's
}

// sound is one sounds row.
type sound struct {
	name, key string
	videos    int32
	first     int32
}

// Vocabulary of hashtags and sounds.
var (
	headTags = strings.Fields("fyp foryou viral dance comedy food travel music pets fitness fashion diy art beauty gaming " +
		"cooking trending funny sports tutorial")
	// otherScripts take every fourth rank from rank 20 on, among the popular tags.
	otherScripts = strings.Fields("café 東京 música straße açaí 서울 москва 日常 niño crème_brûlée")
	// tailWords make the long tail of tags, in pairs ("sunsetvibes", "東京night").
	tailWords = append(slices.Clone(words), strings.Fields("café niño über jalapeño crème 東京 夜 straße ramen")...)

	popularTracks = []string{
		"Espresso - Sabrina Carpenter", "APT. - ROSÉ & Bruno Mars", "Golden Hour - JVKE", "Die With A Smile - Lady Gaga & Bruno Mars",
		"Levitating - Dua Lipa", "Beautiful Things - Benson Boone", "As It Was - Harry Styles", "Flowers - Miley Cyrus",
		"Paint The Town Red - Doja Cat", "Calm Down - Rema & Selena Gomez", "Lovin On Me - Jack Harlow", "Cupid (Twin Ver.) - FIFTY FIFTY",
		"Houdini - Dua Lipa", "Greedy - Tate McRae", "Water - Tyla", "Lose Control - Teddy Swims", "Too Sweet - Hozier",
		"Birds of a Feather - Billie Eilish", "Please Please Please - Sabrina Carpenter", "Good Luck, Babe! - Chappell Roan",
		"Not Like Us - Kendrick Lamar", "Million Dollar Baby - Tommy Richman", "A Bar Song (Tipsy) - Shaboozey", "Saturn - SZA",
		"Snooze - SZA", "Daylight - David Kushner", "Made You Look - Meghan Trainor", "Unholy - Sam Smith & Kim Petras",
		"Kill Bill - SZA", "Vampire - Olivia Rodrigo",
	}
	// tagsPerVideo[k] is how many videos in 20 carry k hashtags.
	tagsPerVideo = []int{2, 5, 6, 4, 3}
)

// tagVocabulary returns n distinct, normalised tag names ranked by popularity: headTags,
// otherScripts among the ranks from 20 on, then pairs of tailWords (numbered once the
// pairs run out).
func tagVocabulary(n int) []string {
	names := make([]string, 0, n)
	seen := map[string]bool{}
	add := func(name string) {
		if key, ok := tiktok.NormalizeHashtag(name); ok && !seen[key] && len(names) < n {
			seen[key] = true
			names = append(names, key)
		}
	}
	for _, t := range headTags {
		add(t)
	}
	W := len(tailWords)
	other := 0
	for i := 0; len(names) < n; {
		if r := len(names); r >= 20 && (r-20)%4 == 0 && other < len(otherScripts) {
			add(otherScripts[other])
			other++
			continue
		}
		name := tailWords[i%W] + tailWords[i/W%W]
		if k := i / (W * W); k > 0 {
			name += strconv.Itoa(k)
		}
		add(name)
		i++
	}
	return names
}

// tailTrack returns the name of the i-th track of the long tail: "<Word> <Word> - <First> <Last>",
// distinct for i below len(words)² × len(firstNames).
func tailTrack(i int) string {
	W, F := len(words), len(firstNames)
	title := func(w string) string { return strings.ToUpper(w[:1]) + w[1:] }
	return title(words[i%W]) + " " + title(words[i/W%W]) + " - " + firstNames[i/(W*W)%F] + " " + lastNames[i%len(lastNames)]
}

// generateDiscovery draws the discovery data of d (its videos, likes and follows are
// drawn). It uses its own random stream, so the rest of the dataset is the same with or
// without it.
func (d *dataset) generateDiscovery(rng *rand.Rand) {
	s := d.sizes
	V := s.Videos

	// Views: as the seed makes them, from the likes.
	d.views = make([]int64, V)
	for i := range d.views {
		d.views[i] = int64(d.videoLikes[i])*int64(6+rng.IntN(30)) + int64(rng.IntN(2000))
	}

	// Hashtags: 0–4 distinct ranks per video; ids in order of first use.
	vocab := tagVocabulary(max(100, V/4))
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(len(vocab)-1))
	d.tagOfRank = make([]int32, len(vocab)) // 0: unused
	d.tagStart = make([]int32, V+1)
	d.tagIDs = make([]int32, 0, V*21/10)
	lastDay := make([]float64, 0, len(vocab)) // by id-1: the newest use, in days
	var ranks []int
	for i := range V {
		n, k := rng.IntN(20), 0
		for n >= tagsPerVideo[k] {
			n -= tagsPerVideo[k]
			k++
		}
		ranks = ranks[:0]
		for tries := 0; len(ranks) < k && tries < 20; tries++ {
			if r := int(zipf.Uint64()); !slices.Contains(ranks, r) {
				ranks = append(ranks, r)
			}
		}
		t := float64(d.videoTime(int32(i+1)).UnixMicro()) / 1e6 / 86400
		for _, r := range ranks {
			id := d.tagOfRank[r]
			if id == 0 {
				d.tags = append(d.tags, hashtag{name: vocab[r], first: int32(i + 1)})
				lastDay = append(lastDay, t)
				id = int32(len(d.tags))
				d.tagOfRank[r] = id
			}
			h := &d.tags[id-1]
			h.videos++
			h.views += d.views[i]
			// Σ 2^(t - newest), kept relative to the newest use: videos come in time order.
			h.trend = h.trend*math.Exp2(lastDay[id-1]-t) + 1
			lastDay[id-1] = t
			d.tagIDs = append(d.tagIDs, id)
		}
		d.tagStart[i+1] = int32(len(d.tagIDs))
	}
	for i := range d.tags {
		d.tags[i].trend = lastDay[i] + math.Log2(d.tags[i].trend)
	}

	// Sounds: ids in order of first use.
	tracks := rand.NewZipf(rng, 1.2, 1, uint64(len(popularTracks)-1))
	nTail := min(max(100, V/50), len(words)*len(words)*len(firstNames))
	tail := rand.NewZipf(rng, 1.05, 1, uint64(nTail-1))
	soundID := map[int64]int32{} // kind<<32 | index → id
	d.soundOf = make([]int32, V)
	for i := range V {
		var key int64
		switch n := rng.IntN(20); {
		case n < 9:
			key = 0<<32 | int64(d.videoOwner[i])
		case n < 17:
			key = 1<<32 | int64(tracks.Uint64())
		default:
			key = 2<<32 | int64(tail.Uint64())
		}
		id, ok := soundID[key]
		if !ok {
			var name string
			switch idx := int(key & (1<<32 - 1)); key >> 32 {
			case 0:
				name = "original sound - user" + strconv.Itoa(idx)
			case 1:
				name = popularTracks[idx]
			default:
				name = tailTrack(idx)
			}
			d.sounds = append(d.sounds, sound{name: tiktok.SoundName(name), key: tiktok.SoundKey(name), first: int32(i + 1)})
			id = int32(len(d.sounds))
			soundID[key] = id
		}
		d.sounds[id-1].videos++
		d.soundOf[i] = id
	}

	// Other viewers' impressions (users 2 …): a few each, mostly of popular videos.
	U := int64(s.Users)
	picked := map[int32]struct{}{}
	var buf []int32
	for i, k := range spread(rng, s.Impressions, int(U-1), V/4) {
		u := int32(i + 2)
		buf = pickDistinct(rng, picked, buf[:0], k, func() int32 { return int32(s.videoOfRank(skewedRank(rng, int64(V), 2))) },
			func() int32 { return int32(1 + rng.Int64N(int64(V))) }, func(int32) bool { return true })
		for _, v := range buf {
			d.seenUser = append(d.seenUser, u)
			d.seenVideo = append(d.seenVideo, v)
		}
	}

	// Interests: user1 in BenchInterests creators (mostly popular ones) and tags, other
	// viewers in a few each.
	for i, k := range append([]int{min(s.BenchInterests, s.Users-1)}, spread(rng, s.Interests, int(U-1), int(U-2)/2)...) {
		u := int32(i + 1)
		buf = pickDistinct(rng, picked, buf[:0], k, func() int32 { return int32(s.creatorOfRank(skewedRank(rng, U-1, 2))) },
			func() int32 { return int32(1 + rng.Int64N(U)) }, func(c int32) bool { return c != u })
		for _, c := range buf {
			d.ciUser = append(d.ciUser, u)
			d.ciCreator = append(d.ciCreator, c)
		}
	}
	nTags := len(d.tags)
	for i, k := range append([]int{min(s.BenchInterests, nTags)}, spread(rng, s.Interests, int(U-1), nTags/2)...) {
		u := int32(i + 1)
		buf = pickDistinct(rng, picked, buf[:0], k, func() int32 {
			return d.tagOfRank[min(int(zipf.Uint64()), len(d.tagOfRank)-1)]
		}, func() int32 { return int32(1 + rng.IntN(nTags)) }, func(id int32) bool { return id != 0 })
		for _, t := range buf {
			d.hiUser = append(d.hiUser, u)
			d.hiTag = append(d.hiTag, t)
		}
	}
}

// Hot rank: the formula of video_hot_rank (migration 00006) in Go, so that COPY can write
// videos.hot_rank and video_hashtags.hot_rank while triggers are off. Every operation is
// the one PostgreSQL performs on float8, in its order (explicit conversions keep Go from
// fusing a multiply and an add); TestLoad checks every row against video_hot_rank. The
// loader writes no shares, and the share term (migration 00013) adds share_weight · 0 = 0.
type ranking struct {
	like, comment, view, halfLife float64
}

func readRanking(ctx context.Context, conn interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (ranking, error) {
	var r ranking
	err := conn.QueryRow(ctx, "SELECT like_weight, comment_weight, view_weight, half_life_seconds FROM feed_ranking").
		Scan(&r.like, &r.comment, &r.view, &r.halfLife)
	if err != nil {
		return r, fmt.Errorf("read feed_ranking: %w", err)
	}
	return r, nil
}

func (r ranking) hotRank(created time.Time, likes, comments, views int64) float64 {
	x := float64(1 + float64(r.like*float64(likes)))
	x = float64(x + float64(r.comment*float64(comments)))
	x = float64(x + float64(r.view*float64(views)))
	epoch := float64(created.UnixMicro()) / 1e6
	return float64(epoch/r.halfLife) + math.RoundToEven(float64(math.Log(x)/math.Ln2)*16)/16
}

// rankVideos computes every video's hot rank with r, and user1's impressions: the
// BenchSeen videos of the highest rank (in the order of the index the feed reads, hot_rank
// then id, descending), the worst case for a filter of seen videos.
func (d *dataset) rankVideos(r ranking) {
	V := d.sizes.Videos
	d.hotRank = make([]float64, V)
	for i := range d.hotRank {
		d.hotRank[i] = r.hotRank(d.videoTime(int32(i+1)), int64(d.videoLikes[i]), int64(d.videoComments[i]), d.views[i])
	}
	order := make([]int32, V)
	for i := range order {
		order[i] = int32(i + 1)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(d.hotRank[b-1], d.hotRank[a-1]); c != 0 {
			return c
		}
		return cmp.Compare(b, a)
	})
	d.benchSeen = slices.Clone(order[:min(d.sizes.BenchSeen, V)])
	slices.Sort(d.benchSeen)
}

// topTags returns the names of the n most used tags, most used first.
func (d *dataset) topTags(n int) []string {
	ids := make([]int, len(d.tags))
	for i := range ids {
		ids[i] = i
	}
	slices.SortStableFunc(ids, func(a, b int) int { return cmp.Compare(d.tags[b].videos, d.tags[a].videos) })
	var out []string
	for _, i := range ids[:min(n, len(ids))] {
		out = append(out, d.tags[i].name)
	}
	return out
}

// caption is the text of video i: words drawn from rng, then its hashtags.
func (d *dataset) caption(rng *rand.Rand, i int) string {
	var b strings.Builder
	b.WriteString(sentence(rng, 3, 12))
	for _, id := range d.tagIDs[d.tagStart[i]:d.tagStart[i+1]] {
		b.WriteString(" #")
		b.WriteString(d.tags[id-1].name)
	}
	return b.String()
}

func (d *dataset) hashtagRow(_ *rand.Rand, i int, row []any) {
	h := d.tags[i]
	row[0], row[1], row[2], row[3], row[4], row[5] = int64(i+1), h.name, int64(h.videos), h.views, h.trend, d.videoTime(h.first)
}

// videoHashtagRow writes the tags of the videos in video order, so rows arrive in the order
// of the primary key (video_id, hashtag_id) only within a video; the tag of a row is found
// by a binary search of tagStart.
func (d *dataset) videoHashtagRow(_ *rand.Rand, i int, row []any) {
	v, _ := slices.BinarySearch(d.tagStart, int32(i+1))
	row[0], row[1], row[2] = int64(v), int64(d.tagIDs[i]), d.hotRank[v-1]
}

func (d *dataset) soundRow(_ *rand.Rand, i int, row []any) {
	s := d.sounds[i]
	row[0], row[1], row[2], row[3], row[4] = int64(i+1), s.name, s.key, int64(s.videos), d.videoTime(s.first)
}

// impressionRow: user1's rows first, then the other viewers'.
func (d *dataset) impressionRow(rng *rand.Rand, i int, row []any) {
	u, v := int32(1), int32(0)
	if i < len(d.benchSeen) {
		v = d.benchSeen[i]
	} else {
		u, v = d.seenUser[i-len(d.benchSeen)], d.seenVideo[i-len(d.benchSeen)]
	}
	row[0], row[1], row[2] = int64(u), int64(v), d.after(rng, d.videoTime(v))
}

// interest weights: mostly positive, exponentially spread; one in twenty negative (a "not
// interested"); updated within the last 30 days.
func (d *dataset) interest(rng *rand.Rand, row []any) {
	w := 0.5 + 4*rng.ExpFloat64()
	if rng.IntN(20) == 0 {
		w = -1 - rng.Float64()
	}
	row[2], row[3] = w, d.now.Add(-time.Duration(rng.Float64()*float64(30*day))).Truncate(time.Microsecond)
}

func (d *dataset) creatorInterestRow(rng *rand.Rand, i int, row []any) {
	row[0], row[1] = int64(d.ciUser[i]), int64(d.ciCreator[i])
	d.interest(rng, row)
}

func (d *dataset) hashtagInterestRow(rng *rand.Rand, i int, row []any) {
	row[0], row[1] = int64(d.hiUser[i]), int64(d.hiTag[i])
	d.interest(rng, row)
}

// discoveryStats describes the generated hashtags and sounds, for the report.
type discoveryStats struct {
	tags, videoTags, tagsOnce, sounds, originalSounds int
	topTag, topSound                                  string
	topTagVideos, topSoundVideos                      int32
}

func (d *dataset) tagSummary() discoveryStats {
	st := discoveryStats{tags: len(d.tags), videoTags: len(d.tagIDs), sounds: len(d.sounds)}
	for _, h := range d.tags {
		if h.videos == 1 {
			st.tagsOnce++
		}
		if h.videos > st.topTagVideos {
			st.topTag, st.topTagVideos = h.name, h.videos
		}
	}
	for _, s := range d.sounds {
		if strings.HasPrefix(s.key, "original sound - ") {
			st.originalSounds++
		}
		if s.videos > st.topSoundVideos {
			st.topSound, st.topSoundVideos = s.name, s.videos
		}
	}
	return st
}
