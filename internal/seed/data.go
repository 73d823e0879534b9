package seed

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/gotok/tiktok/internal/tiktok"
)

// The timeline of the demo: users join between 90 and 60 days ago, videos are posted in
// the last 60 days, and comments, likes and follows come after what they refer to.
const (
	day          = 24 * time.Hour
	userAge      = 90 * day
	userSpan     = 30 * day
	videoSpan    = 60 * day
	user1Follows = 5 // user1 follows this many of the busiest creators, for its Following feed
)

// dataset is the generated demo data, with users, videos and comments referred to by
// their index (user i is user<i+1>).
type dataset struct {
	users        []user
	videos       []video
	comments     []comment
	videoLikes   []link  // a: user, b: video
	commentLikes []link  // a: user, b: comment
	follows      []link  // a: follower, b: followed
	hashtags     []named // in order of first use
	sounds       []named // in order of first use
	tagUses      int     // len of every video's tags together
}

// named is a hashtag (name only) or a sound (display name and key), with the time of its
// first use.
type named struct {
	name, key string
	at        time.Time
}

type user struct {
	username, email, name, bio string // empty bio = NULL
	at                         time.Time
}

type video struct {
	owner          int
	caption, audio string
	views          int64
	at             time.Time
	tags           []int // indexes into dataset.hashtags: tiktok.Hashtags(caption)
	sound          int   // index into dataset.sounds: tiktok.SoundKey(audio)
}

type comment struct {
	user, video int
	content     string
	at          time.Time
}

type link struct {
	a, b int
	at   time.Time
}

// generate builds the data set of o (normalized) from o.Seed alone; now only anchors the
// timestamps. Popularity is skewed: a few creators post most videos, a few videos get most
// likes and comments, a few creators get most followers, a few hashtags and sounds are on
// many videos (see newTagDrawer and audio).
func generate(o Options, now time.Time) *dataset {
	f := gofakeit.New(uint64(o.Seed))
	d := &dataset{}

	d.users = make([]user, o.Users)
	step := userSpan / time.Duration(max(o.Users, 1))
	for i := range d.users {
		u := &d.users[i]
		u.username = fmt.Sprintf("user%d", i+1)
		u.email = u.username + "@example.com"
		u.name = truncate(f.Name(), 50)
		if f.IntN(6) > 0 {
			u.bio = truncate(f.Bio(), 500)
		}
		u.at = now.Add(-userAge + time.Duration(i)*step)
	}

	// Videos in time order, so ids and created_at agree.
	creators := perm(f, o.Users)
	ages := make([]time.Duration, o.Videos)
	for i := range ages {
		ages[i] = time.Duration(f.Float64() * float64(videoSpan))
	}
	slices.SortFunc(ages, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	d.videos = make([]video, o.Videos)
	postCount := make([]int, o.Users)
	tags, sounds := newTagDrawer(f, o.Videos), newZipf(len(popularSounds), soundZipf)
	for i := range d.videos {
		v := &d.videos[i]
		v.owner = creators[skewed(f, o.Users, 2)]
		postCount[v.owner]++
		v.at = now.Add(-ages[i])
		v.caption = caption(f, tags)
		v.audio = audio(f, sounds, d.users[v.owner].username)
	}
	d.nameHashtagsAndSounds()

	popular := perm(f, o.Videos)
	d.comments = make([]comment, o.Comments)
	for i := range d.comments {
		c := &d.comments[i]
		c.video = popular[skewed(f, o.Videos, 2.5)]
		c.user = f.IntN(o.Users)
		c.content = commentText(f)
		c.at = between(f, d.videos[c.video].at, now)
	}
	slices.SortStableFunc(d.comments, func(a, b comment) int { return a.at.Compare(b.at) })

	d.videoLikes = distinctPairs(f, o.VideoLikes, o.Users, o.Videos, nil,
		func() (int, int) { return f.IntN(o.Users), popular[skewed(f, o.Videos, 3)] },
		func(a, b int) bool { return true })
	likes := make([]int64, o.Videos)
	for i := range d.videoLikes {
		l := &d.videoLikes[i]
		l.at = between(f, d.videos[l.b].at, now)
		likes[l.b]++
	}
	for i := range d.videos {
		d.videos[i].views = likes[i]*int64(6+f.IntN(30)) + int64(f.IntN(2000))
	}

	liked := perm(f, o.Comments)
	d.commentLikes = distinctPairs(f, o.CommentLikes, o.Users, o.Comments, nil,
		func() (int, int) { return f.IntN(o.Users), liked[skewed(f, o.Comments, 2)] },
		func(a, b int) bool { return true })
	for i := range d.commentLikes {
		l := &d.commentLikes[i]
		l.at = between(f, d.comments[l.b].at, now)
	}

	// user1 follows the busiest creators first, so its Following feed has videos.
	busiest := make([]int, 0, o.Users)
	for u := 1; u < o.Users; u++ {
		if postCount[u] > 0 {
			busiest = append(busiest, u)
		}
	}
	slices.SortStableFunc(busiest, func(a, b int) int { return postCount[b] - postCount[a] })
	var first [][2]int
	for _, u := range busiest[:min(len(busiest), user1Follows)] {
		first = append(first, [2]int{0, u})
	}
	d.follows = distinctPairs(f, o.Follows, o.Users, o.Users, first,
		func() (int, int) { return f.IntN(o.Users), creators[skewed(f, o.Users, 2)] },
		func(a, b int) bool { return a != b })
	for i := range d.follows {
		d.follows[i].at = now.Add(-time.Duration(f.Float64() * float64(videoSpan)))
	}
	return d
}

// counters are the denormalised counters of a dataset, by index.
type counters struct {
	userFollowers, userFollowing, userVideos, userLikes []int64
	videoLikes, videoComments                           []int64
	commentLikes                                        []int64
}

// counters counts what the triggers would: a user's followers, follows, videos and likes
// received, a video's likes and comments, a comment's likes.
func (d *dataset) counters() counters {
	c := d.zeroCounters()
	for _, f := range d.follows {
		c.userFollowing[f.a]++
		c.userFollowers[f.b]++
	}
	for _, v := range d.videos {
		c.userVideos[v.owner]++
	}
	for _, l := range d.videoLikes {
		c.videoLikes[l.b]++
		c.userLikes[d.videos[l.b].owner]++
	}
	for _, m := range d.comments {
		c.videoComments[m.video]++
	}
	for _, l := range d.commentLikes {
		c.commentLikes[l.b]++
	}
	return c
}

func (d *dataset) zeroCounters() counters {
	u, v := len(d.users), len(d.videos)
	return counters{
		userFollowers: make([]int64, u), userFollowing: make([]int64, u), userVideos: make([]int64, u), userLikes: make([]int64, u),
		videoLikes: make([]int64, v), videoComments: make([]int64, v), commentLikes: make([]int64, len(d.comments)),
	}
}

// distinctPairs returns k distinct valid pairs (a, b), a < na, b < nb: the pairs of first,
// then pairs from draw. When draw keeps repeating itself (a dense request such as 300
// likes of 10 users × 50 videos), it completes the set from the remaining valid pairs in
// random order. k must not exceed the number of valid pairs.
func distinctPairs(f *gofakeit.Faker, k, na, nb int, first [][2]int, draw func() (int, int), valid func(a, b int) bool) []link {
	out := make([]link, 0, k)
	seen := make(map[int64]struct{}, k)
	add := func(a, b int) bool {
		key := int64(a)*int64(nb) + int64(b)
		if _, dup := seen[key]; dup || !valid(a, b) {
			return false
		}
		seen[key] = struct{}{}
		out = append(out, link{a: a, b: b})
		return true
	}
	for _, p := range first {
		if len(out) == k {
			return out
		}
		add(p[0], p[1])
	}
	for misses := 0; len(out) < k && misses < 4*k+1000; {
		if a, b := draw(); !add(a, b) {
			misses++
		}
	}
	if len(out) == k {
		return out
	}
	if space := int64(na) * int64(nb); space > 4*int64(k)+1_000_000 {
		// Sparse but unlucky: uniform draws find a free pair at least 3 times in 4.
		for len(out) < k {
			add(f.IntN(na), f.IntN(nb))
		}
		return out
	}
	var rest [][2]int
	for a := range na {
		for b := range nb {
			if _, dup := seen[int64(a)*int64(nb)+int64(b)]; !dup && valid(a, b) {
				rest = append(rest, [2]int{a, b})
			}
		}
	}
	for i := 0; len(out) < k; i++ {
		j := i + f.IntN(len(rest)-i)
		rest[i], rest[j] = rest[j], rest[i]
		add(rest[i][0], rest[i][1])
	}
	return out
}

// skewed returns an index below n (n > 0) where low indexes are much likelier: with
// power p the first 10% of indexes get 10^(-1/p) of the draws (46% for p = 3).
func skewed(f *gofakeit.Faker, n int, p float64) int {
	return min(int(math.Pow(f.Float64(), p)*float64(n)), n-1)
}

// perm returns a random permutation of 0 … n-1, used to spread the popular indexes of
// skewed over users, videos and comments.
func perm(f *gofakeit.Faker, n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	f.ShuffleInts(p)
	return p
}

// between returns a random time in [from, to).
func between(f *gofakeit.Faker, from, to time.Time) time.Time {
	return from.Add(time.Duration(f.Float64() * float64(to.Sub(from))))
}

// Hashtags are drawn from a vocabulary ranked by popularity with a Zipf law (the tag of rank
// r is drawn in proportion to 1/(r+1)^tagZipf), as tag use is on real platforms: a few tags
// are on a large share of the videos, most appear once or twice. The vocabulary starts with
// popularTags, has the tags of otherScripts among its middle ranks (every unicodeStep-th
// rank from unicodeFrom on), and fills the rest from gofakeit's words and their pairs.
const (
	tagZipf     = 1.1
	soundZipf   = 1.2
	unicodeFrom = 20
	unicodeStep = 4
)

var (
	popularTags = []string{"fyp", "foryou", "viral", "dance", "comedy", "food", "travel", "music", "pets", "fitness",
		"fashion", "diy", "art", "beauty", "gaming", "cooking", "trending", "funny", "sports", "tutorial"}
	otherScripts = []string{"café", "東京", "música", "straße", "açaí", "서울", "москва", "niño", "crème_brûlée", "ramen屋", "éclair", "日常"}
	// tagsPerVideo[k] is how many videos in 20 carry k hashtags.
	tagsPerVideo = []int{2, 5, 6, 4, 3}
)

// zipf draws ranks below n, rank r in proportion to 1/(r+1)^s.
type zipf []float64 // [r]: the weight of ranks 0 … r

func newZipf(n int, s float64) zipf {
	z := make(zipf, n)
	var sum float64
	for r := range z {
		sum += math.Pow(float64(r+1), -s)
		z[r] = sum
	}
	return z
}

func (z zipf) draw(f *gofakeit.Faker) int {
	r, _ := slices.BinarySearch(z, f.Float64()*z[len(z)-1])
	return min(r, len(z)-1)
}

// tagDrawer draws hashtags from the ranked vocabulary.
type tagDrawer struct {
	f     *gofakeit.Faker
	names []string // by rank
	rank  zipf
}

// newTagDrawer builds a vocabulary sized to the number of videos: at least 60 tags, and
// one per video (most of the tail is drawn once or never).
func newTagDrawer(f *gofakeit.Faker, videos int) *tagDrawer {
	size := max(60, videos)
	t := &tagDrawer{f: f, names: make([]string, 0, size)}
	seen := map[string]bool{}
	add := func(name string) bool {
		key, ok := tiktok.NormalizeHashtag(name)
		if !ok || seen[key] {
			return false
		}
		seen[key] = true
		t.names = append(t.names, key)
		return true
	}
	for _, name := range popularTags {
		add(name)
	}
	words := []func() string{f.Hobby, f.HipsterWord, f.Noun, f.Adjective}
	other := 0
	for misses := 0; len(t.names) < size; {
		if r := len(t.names); r >= unicodeFrom && (r-unicodeFrom)%unicodeStep == 0 && other < len(otherScripts) {
			add(otherScripts[other])
			other++
			continue
		}
		name := hashtag(words[f.IntN(len(words))]())
		if misses > 20 || f.IntN(3) == 0 { // single words run out: pairs, then numbered pairs
			name += hashtag(words[f.IntN(len(words))]())
		}
		if misses > 100 {
			name += fmt.Sprint(f.IntN(1000))
		}
		if add(name) {
			misses = 0
		} else {
			misses++
		}
	}
	t.rank = newZipf(len(t.names), tagZipf)
	return t
}

// draw returns the name of a random tag.
func (t *tagDrawer) draw() string { return t.names[t.rank.draw(t.f)] }

// caption returns a sentence, sometimes an emoji, and zero to four distinct hashtags, now
// and then capitalised (the stored tag is lower case either way).
func caption(f *gofakeit.Faker, tags *tagDrawer) string {
	var b strings.Builder
	b.WriteString(f.HipsterSentence())
	if f.IntN(3) == 0 {
		if e := f.Emoji(); !strings.Contains(e, "#") {
			b.WriteString(" " + e)
		}
	}
	k, n := 0, f.IntN(20)
	for n >= tagsPerVideo[k] {
		n -= tagsPerVideo[k]
		k++
	}
	var chosen []string
	for tries := 0; len(chosen) < k && tries < 20; tries++ {
		if t := tags.draw(); !slices.Contains(chosen, t) {
			chosen = append(chosen, t)
		}
	}
	for _, t := range chosen {
		if f.IntN(8) == 0 {
			t = capitalize(t)
		}
		b.WriteString(" #" + t)
	}
	return truncate(b.String(), 2200)
}

// hashtag keeps the letters and digits of s, lower-cased.
func hashtag(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// popularSounds are the tracks many videos use, most used first; audio draws them with a
// Zipf law (exponent soundZipf) like the hashtags.
var popularSounds = []string{
	"Espresso - Sabrina Carpenter", "APT. - ROSÉ & Bruno Mars", "Golden Hour - JVKE", "Die With A Smile - Lady Gaga & Bruno Mars",
	"Levitating - Dua Lipa", "Beautiful Things - Benson Boone", "As It Was - Harry Styles", "Flowers - Miley Cyrus",
	"Paint The Town Red - Doja Cat", "Calm Down - Rema & Selena Gomez", "Lovin On Me - Jack Harlow", "Cupid (Twin Ver.) - FIFTY FIFTY",
}

// audio returns the audio name of a video by owner: "original sound - <owner>" for 45 % of
// the videos (a long tail: one sound per creator), one of popularSounds for 40 % (now and
// then spelt in lower case with doubled spaces, which is the same sound), and a fake song
// and artist for the rest.
func audio(f *gofakeit.Faker, soundRank zipf, owner string) string {
	switch n := f.IntN(20); {
	case n < 9:
		return "original sound - " + owner
	case n < 17:
		s := popularSounds[soundRank.draw(f)]
		if f.IntN(15) == 0 {
			s = strings.ReplaceAll(strings.ToLower(s), " - ", "  -  ")
		}
		return s
	default:
		return truncate(f.SongName()+" - "+f.SongArtist(), 255)
	}
}

// nameHashtagsAndSounds derives every video's hashtags from its caption with tiktok.Hashtags
// and its sound from its audio name with tiktok.SoundKey, as the store does when a video is
// posted, and lists the distinct ones in order of first use (videos are in time order):
// the first spelling of a sound names it.
func (d *dataset) nameHashtagsAndSounds() {
	tagIndex, soundIndex := map[string]int{}, map[string]int{}
	for i := range d.videos {
		v := &d.videos[i]
		for _, name := range tiktok.Hashtags(v.caption) {
			j, ok := tagIndex[name]
			if !ok {
				j = len(d.hashtags)
				tagIndex[name] = j
				d.hashtags = append(d.hashtags, named{name: name, at: v.at})
			}
			v.tags = append(v.tags, j)
		}
		d.tagUses += len(v.tags)
		key := tiktok.SoundKey(v.audio)
		j, ok := soundIndex[key]
		if !ok {
			j = len(d.sounds)
			soundIndex[key] = j
			d.sounds = append(d.sounds, named{name: tiktok.SoundName(v.audio), key: key, at: v.at})
		}
		v.sound = j
	}
}

var reactions = []string{"first!", "lol", "this is everything", "need part 2", "how??", "obsessed", "can't stop watching", "so good", "underrated", "the ending 😂"}

// commentText returns a short comment in one of a few styles.
func commentText(f *gofakeit.Faker) string {
	var s string
	switch f.IntN(5) {
	case 0:
		s = reactions[f.IntN(len(reactions))]
	case 1:
		s = capitalize(f.Phrase()) + " " + f.Emoji()
	case 2:
		s = f.HipsterSentence()
	default:
		s = f.Comment()
	}
	if s = truncate(strings.TrimSpace(s), 1000); s == "" {
		return "nice"
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// truncate cuts s to at most n characters (the schema's limits count characters).
func truncate(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return strings.TrimSpace(s[:j])
		}
		i++
	}
	return s
}
