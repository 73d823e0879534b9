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
	videoLikes   []link // a: user, b: video
	commentLikes []link // a: user, b: comment
	follows      []link // a: follower, b: followed
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
// likes and comments, a few creators get most followers.
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
	for i := range d.videos {
		v := &d.videos[i]
		v.owner = creators[skewed(f, o.Users, 2)]
		postCount[v.owner]++
		v.at = now.Add(-ages[i])
		v.caption = caption(f)
		v.audio = audio(f, d.users[v.owner].username)
	}

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

var commonTags = []string{"fyp", "foryou", "viral", "trending", "tiktok", "funny", "dance", "music", "travel", "food", "pets", "diy"}

// caption returns a sentence, sometimes an emoji, and one to four hashtags.
func caption(f *gofakeit.Faker) string {
	var b strings.Builder
	b.WriteString(f.HipsterSentence())
	if f.IntN(3) == 0 {
		b.WriteString(" " + f.Emoji())
	}
	tags := []string{commonTags[f.IntN(len(commonTags))]}
	for range f.IntN(4) {
		var t string
		switch f.IntN(3) {
		case 0:
			t = hashtag(f.Hobby())
		case 1:
			t = hashtag(f.HipsterWord())
		default:
			t = commonTags[f.IntN(len(commonTags))]
		}
		if t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	for _, t := range tags {
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

// audio returns "original sound - <owner>" or a fake song and artist.
func audio(f *gofakeit.Faker, owner string) string {
	if f.IntN(2) == 0 {
		return "original sound - " + owner
	}
	return truncate(f.SongName()+" - "+f.SongArtist(), 255)
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
