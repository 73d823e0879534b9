package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/gotok/tiktok/bench/internal/load"
	"github.com/gotok/tiktok/internal/postgres"
)

// Sizes are the row counts of the benchmark's dataset.
type Sizes struct {
	Users, Videos, VideoLikes, Comments, CommentLikes, Follows int
	// BenchFollows is how many creators the benchmark user (user1, id 1) follows: the most
	// popular ones, so its Following feed merges that many busy timelines.
	BenchFollows int
	// BenchFollowsLarge is how many creators the second Following-feed viewer (user2, also
	// the most popular creator) follows: the next most popular ones (issue 14: a feed
	// whose cost does not grow with the number followed).
	BenchFollowsLarge int
	// Impressions and Interests are the other viewers' rows in video_impressions and in each
	// of creator_interests and hashtag_interests (users 2 …, a few each).
	Impressions, Interests int
	// BenchSeen is how many videos user1 has seen: the ones of the highest hot rank, the
	// worst case for the For You feed's filter of seen videos. BenchInterests is how many
	// creators and how many hashtags user1 has interests in.
	BenchSeen, BenchInterests int
}

// DefaultSizes is the dataset of the performance issue: 100 000 users, 1 000 000 videos,
// 5 000 000 video likes, 1 000 000 comments and 1 000 000 follows; user1 follows 200
// creators. It adds 1 000 000 comment likes, so that the isLiked lookups of comment lists
// run against a populated table (an empty one gets a sequential-scan plan), and for the
// discovery endpoints (issue 10): 1 000 000 impressions and 200 000 creator and hashtag
// interests of other viewers, and user1 has seen 1 000 videos and has 50 creator and 50
// hashtag interests. Hashtags and sounds follow from the videos (about 2 per video, one
// sound each; see discovery_data.go).
func DefaultSizes() Sizes {
	return Sizes{Users: 100_000, Videos: 1_000_000, VideoLikes: 5_000_000, Comments: 1_000_000,
		CommentLikes: 1_000_000, Follows: 1_000_000, BenchFollows: 200, BenchFollowsLarge: 5000,
		Impressions: 1_000_000, Interests: 200_000, BenchSeen: 1000, BenchInterests: 50}
}

// Scale multiplies every count but BenchFollows, BenchSeen and BenchInterests by f (at
// least 10 users and 1 video).
func (s Sizes) Scale(f float64) Sizes {
	m := func(n, least int) int { return max(int(math.Round(float64(n)*f)), least) }
	return Sizes{Users: m(s.Users, 10), Videos: m(s.Videos, 1), VideoLikes: m(s.VideoLikes, 0),
		Comments: m(s.Comments, 0), CommentLikes: m(s.CommentLikes, 0), Follows: m(s.Follows, 0), BenchFollows: s.BenchFollows,
		Impressions: m(s.Impressions, 0), Interests: m(s.Interests, 0), BenchSeen: s.BenchSeen, BenchInterests: s.BenchInterests,
		BenchFollowsLarge: min(s.BenchFollowsLarge, m(s.Users, 10)/2)}
}

func (s Sizes) String() string {
	return fmt.Sprintf("%d users, %d videos, %d video likes, %d comments, %d comment likes, %d follows (user1 follows %d creators), "+
		"%d impressions and %d creator and hashtag interests of other viewers (user1 has seen %d videos and has %d creator and %d hashtag interests)",
		s.Users, s.Videos, s.VideoLikes, s.Comments, s.CommentLikes, s.Follows, s.BenchFollows,
		s.Impressions, s.Interests, s.BenchSeen, s.BenchInterests, s.BenchInterests)
}

// validate checks the counts can be generated: pairs are distinct, so likes and follows
// must stay well below the number of possible pairs.
func (s Sizes) validate() error {
	var problems []string
	if s.Users < 3 {
		problems = append(problems, "at least 3 users")
	}
	if s.Videos < 1 {
		problems = append(problems, "at least 1 video")
	}
	if s.VideoLikes < 0 || s.Comments < 0 || s.CommentLikes < 0 || s.Follows < 0 || s.BenchFollows < 0 || s.BenchFollowsLarge < 0 ||
		s.Impressions < 0 || s.Interests < 0 || s.BenchSeen < 0 || s.BenchInterests < 0 {
		problems = append(problems, "no negative counts")
	}
	if s.BenchSeen > s.Videos {
		problems = append(problems, "-bench-seen at most videos")
	}
	if s.BenchInterests > (s.Users-2)/2 {
		problems = append(problems, fmt.Sprintf("-bench-interests at most (users-2)/2 (%d)", (s.Users-2)/2))
	}
	if int64(s.Impressions) > int64(s.Users-1)*int64(s.Videos)/8 {
		problems = append(problems, "impressions at most users × videos / 8")
	}
	if int64(s.Interests) > int64(s.Users-1)*int64(s.Users-2)/8 || int64(s.Interests) > int64(s.Users-1)*int64(s.Videos/10)/8 {
		problems = append(problems, "interests at most users² / 8 and users × videos / 80")
	}
	if s.BenchFollows > s.Users-2 {
		problems = append(problems, fmt.Sprintf("-bench-follows at most users-2 (%d)", s.Users-2))
	}
	if int64(s.VideoLikes) > int64(s.Users)*int64(s.Videos)/4 {
		problems = append(problems, "video likes at most users × videos / 4")
	}
	if int64(s.CommentLikes) > int64(s.Users)*int64(s.Comments)/4 {
		problems = append(problems, "comment likes at most users × comments / 4")
	}
	if int64(s.Follows) > int64(s.Users-1)*int64(s.Users-2)/4+int64(s.BenchFollows) {
		problems = append(problems, "follows at most users² / 4")
	}
	if s.Follows < s.BenchFollows+s.BenchFollowsLarge {
		problems = append(problems, "follows at least -bench-follows + -bench-follows-large")
	}
	if s.BenchFollowsLarge > s.Users-2 {
		problems = append(problems, fmt.Sprintf("-bench-follows-large at most users-2 (%d)", s.Users-2))
	}
	if len(problems) > 0 {
		return fmt.Errorf("dataset sizes %s: want %s", s, strings.Join(problems, ", "))
	}
	return nil
}

// Popularity. Both the generator and the load (and pgbench, with the same arithmetic in
// its scripts) map a popularity rank r (0 = most popular) to an id with a multiplicative
// permutation, so popular videos and creators are spread over the whole id range (and so
// over the timeline) yet every side can name "one of the k most popular" without a lookup.
const permPrime = 2147483647 // prime; larger than every count, so coprime with it

// videoOfRank returns the id of the video of popularity rank r (0 ≤ r < Videos).
func (s Sizes) videoOfRank(r int64) int64 { return r*permPrime%int64(s.Videos) + 1 }

// commentOfRank returns the id of the comment of popularity rank r (0 ≤ r < Comments).
func (s Sizes) commentOfRank(r int64) int64 { return r*permPrime%int64(s.Comments) + 1 }

// creatorOfRank returns the id of the creator of popularity rank r (0 ≤ r < Users-1);
// creators are users 2 … Users (user1 is the benchmark's viewer).
func (s Sizes) creatorOfRank(r int64) int64 { return r*permPrime%int64(s.Users-1) + 2 }

// skewedRank draws a rank below n where low ranks are much likelier: the top fraction x of
// ranks gets x^(1/p) of the draws (p = 3: the top 1 % get 22 %, the top 0.1 % get 10 %).
func skewedRank(rng *rand.Rand, n int64, p float64) int64 {
	return min(int64(math.Pow(rng.Float64(), p)*float64(n)), n-1)
}

// dataset is the generated data, held compactly: rows are produced from it during COPY.
// Ids are 1-based; slices indexed by id-1.
type dataset struct {
	sizes Sizes
	now   time.Time
	seed  uint64
	hash  string // bcrypt hash of Password, shared by every user

	videoOwner []int32

	likeUser, likeVideo         []int32 // sorted by (user, video)
	commentUser, commentVideo   []int32
	commentAt                   []int64 // unix µs
	clikeUser, clikeComment     []int32 // sorted by (user, comment)
	followFrom, followTo        []int32 // sorted by (from, to)
	videoLikes, videoComments   []int32 // counters by video
	commentLikes                []int32 // counters by comment
	userVideos, userLikes       []int32 // counters by user
	userFollowers, userFollowed []int32

	// Discovery (discovery_data.go).
	views               []int64 // by video
	tagStart            []int32 // video v's tags are tagIDs[tagStart[v-1]:tagStart[v]]
	tagIDs              []int32
	tags                []hashtag // by id-1
	tagOfRank           []int32   // hashtag id by popularity rank of its name; 0: never used
	soundOf             []int32   // sound id by video
	sounds              []sound   // by id-1
	seenUser, seenVideo []int32   // other viewers' impressions, sorted by (user, video)
	ciUser, ciCreator   []int32   // creator interests, user1's first, sorted by (user, creator)
	hiUser, hiTag       []int32   // hashtag interests, likewise
	hotRank             []float64 // by video; set by load, from the database's feed_ranking
	benchSeen           []int32   // user1's impressions, sorted; set by load

	// The Following feed's inboxes (feed_data.go).
	inboxUser, inboxVideo     []int32 // sorted by (user, video): the user's newest inboxMax videos
	horizonUser, horizonVideo []int32 // users whose inbox is full, and its oldest video
	pulled                    []int32 // creators with more than fanoutMaxFollowers followers
	pullFollowUser            []int32 // the follows of pulled creators, sorted by (user, creator)
	pullFollowCreator         []int32
}

// Password is the password of every generated user.
const Password = "password123"

// Time model: users join between 90 and 60 days ago, in id order; videos are posted in the
// last 60 days, in id order, so the feed's keyset order is the id order; likes and
// comments come after their video, follows within the last 60 days.
const (
	day       = 24 * time.Hour
	userStart = 90 * day
	userSpan  = 30 * day
	videoSpan = 60 * day
)

func (d *dataset) userTime(id int32) time.Time {
	step := userSpan / time.Duration(d.sizes.Users)
	return d.now.Add(-userStart + time.Duration(id-1)*step)
}

func (d *dataset) videoTime(id int32) time.Time {
	step := (videoSpan / time.Duration(d.sizes.Videos)).Truncate(time.Microsecond)
	return d.now.Add(-videoSpan + time.Duration(id)*step)
}

// after returns a random time between t and now.
func (d *dataset) after(rng *rand.Rand, t time.Time) time.Time {
	return t.Add(time.Duration(rng.Float64() * float64(d.now.Sub(t)))).Truncate(time.Microsecond)
}

// generate draws the relations and computes every counter from them.
func generate(s Sizes, seed uint64, bcryptCost int) (*dataset, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(Password), bcryptCost)
	if err != nil {
		return nil, err
	}
	d := &dataset{sizes: s, now: time.Now().UTC().Truncate(time.Second), seed: seed, hash: string(hash)}
	rng := rand.New(rand.NewPCG(seed, 1))
	U, V := int64(s.Users), int64(s.Videos)
	d.userVideos = make([]int32, U)
	d.userLikes = make([]int32, U)
	d.userFollowers = make([]int32, U)
	d.userFollowed = make([]int32, U)
	d.videoLikes = make([]int32, V)
	d.videoComments = make([]int32, V)

	// Videos: a few creators post most of them.
	d.videoOwner = make([]int32, V)
	for i := range d.videoOwner {
		owner := s.creatorOfRank(skewedRank(rng, U-1, 3))
		d.videoOwner[i] = int32(owner)
		d.userVideos[owner-1]++
	}

	// Video likes: every user likes a few videos (some users many), mostly popular ones.
	d.likeUser = make([]int32, 0, s.VideoLikes)
	d.likeVideo = make([]int32, 0, s.VideoLikes)
	perUser := spread(rng, s.VideoLikes, int(U), int(V/2))
	picked := map[int32]struct{}{}
	var buf []int32
	for u, k := range perUser {
		buf = pickDistinct(rng, picked, buf[:0], k, func() int32 { return int32(s.videoOfRank(skewedRank(rng, V, 3))) },
			func() int32 { return int32(1 + rng.Int64N(V)) }, func(int32) bool { return true })
		for _, v := range buf {
			d.likeUser = append(d.likeUser, int32(u+1))
			d.likeVideo = append(d.likeVideo, v)
			d.videoLikes[v-1]++
			d.userLikes[d.videoOwner[v-1]-1]++
		}
	}

	// Comments: on popular videos, by anyone; comment likes mostly on popular comments.
	d.commentUser = make([]int32, s.Comments)
	d.commentVideo = make([]int32, s.Comments)
	d.commentAt = make([]int64, s.Comments)
	for i := range d.commentUser {
		v := int32(s.videoOfRank(skewedRank(rng, V, 2.5)))
		d.commentVideo[i] = v
		d.commentUser[i] = int32(1 + rng.Int64N(U))
		d.commentAt[i] = d.after(rng, d.videoTime(v)).UnixMicro()
		d.videoComments[v-1]++
	}
	d.commentLikes = make([]int32, s.Comments)
	d.clikeUser = make([]int32, 0, s.CommentLikes)
	d.clikeComment = make([]int32, 0, s.CommentLikes)
	if C := int64(s.Comments); C > 0 {
		for u, k := range spread(rng, s.CommentLikes, int(U), int(C/2)) {
			buf = pickDistinct(rng, picked, buf[:0], k, func() int32 { return int32(s.commentOfRank(skewedRank(rng, C, 2))) },
				func() int32 { return int32(1 + rng.Int64N(C)) }, func(int32) bool { return true })
			for _, c := range buf {
				d.clikeUser = append(d.clikeUser, int32(u+1))
				d.clikeComment = append(d.clikeComment, c)
				d.commentLikes[c-1]++
			}
		}
	}

	// Follows: user1 follows the BenchFollows most popular creators; everyone else follows
	// a few creators, mostly popular ones.
	d.followFrom = make([]int32, 0, s.Follows)
	d.followTo = make([]int32, 0, s.Follows)
	addFollow := func(from, to int32) {
		d.followFrom = append(d.followFrom, from)
		d.followTo = append(d.followTo, to)
		d.userFollowed[from-1]++
		d.userFollowers[to-1]++
	}
	buf = buf[:0]
	for r := range int64(s.BenchFollows) {
		buf = append(buf, int32(s.creatorOfRank(r)))
	}
	slices.Sort(buf)
	for _, to := range buf {
		addFollow(1, to)
	}
	// user2 (creatorOfRank(0)) follows the BenchFollowsLarge next most popular creators.
	buf = buf[:0]
	for r := range int64(s.BenchFollowsLarge) {
		buf = append(buf, int32(s.creatorOfRank(r+1)))
	}
	slices.Sort(buf)
	for _, to := range buf {
		addFollow(2, to)
	}
	perFollower := spread(rng, s.Follows-s.BenchFollows-s.BenchFollowsLarge, int(U-2), int((U-2)/2))
	for i, k := range perFollower {
		from := int32(i + 3)
		buf = pickDistinct(rng, picked, buf[:0], k, func() int32 { return int32(s.creatorOfRank(skewedRank(rng, U-1, 2))) },
			func() int32 { return int32(1 + rng.Int64N(U)) }, func(to int32) bool { return to != from })
		for _, to := range buf {
			addFollow(from, to)
		}
	}
	d.generateDiscovery(rand.New(rand.NewPCG(seed, 2)))
	d.generateInboxes()
	return d, nil
}

// spread splits total into n counts of at most limit each, with an exponential spread (a
// few entries get several times the average), summing exactly to total.
func spread(rng *rand.Rand, total, n, limit int) []int {
	out := make([]int, n)
	total = min(total, n*limit)
	if total <= 0 {
		return out
	}
	w := make([]float64, n)
	var sum float64
	for i := range w {
		w[i] = rng.ExpFloat64()
		sum += w[i]
	}
	var acc float64
	assigned := 0
	for i := range out {
		acc += w[i] / sum * float64(total)
		k := int(acc) - assigned // the cumulative share, less what earlier entries got
		if i == n-1 {
			k = total - assigned
		}
		k = min(max(k, 0), limit)
		out[i] = k
		assigned += k
	}
	for i := 0; assigned < total; i = (i + 1) % n {
		if out[i] < limit {
			out[i]++
			assigned++
		}
	}
	return out
}

// pickDistinct appends k distinct values to buf, sorted: from draw while it keeps finding
// new ones, then from uniform (for a dense request); valid filters values out.
func pickDistinct(rng *rand.Rand, seen map[int32]struct{}, buf []int32, k int, draw, uniform func() int32, valid func(int32) bool) []int32 {
	clear(seen)
	misses := 0
	for len(buf) < k {
		var v int32
		if misses < 4*k+100 {
			v = draw()
		} else {
			v = uniform()
		}
		if _, dup := seen[v]; dup || !valid(v) {
			misses++
			continue
		}
		seen[v] = struct{}{}
		buf = append(buf, v)
	}
	slices.Sort(buf)
	return buf
}

// Words for captions, names and comments.
var (
	firstNames = strings.Fields("Ava Liam Mia Noah Zoe Leo Ivy Kai Luna Omar Sofia Mateo Aria Yuki Nia Arjun Elif Tariq Maya Jonas Lea Hugo Chloe Ines Ravi Sana Theo Nora Felix Amara")
	lastNames  = strings.Fields("Smith Garcia Kim Nguyen Müller Rossi Silva Tanaka Okafor Novak Haddad Larsen Moreau Costa Ivanova Patel Cohen Dubois Santos Yilmaz")
	words      = strings.Fields("sunset city vibes morning coffee dance challenge tutorial quick recipe street food travel diary weekend mood cat dog puppy kitten gym workout glow up outfit haul beach mountain road trip night market skate surf guitar cover piano lofi study with me art process paint sketch garden plant tour tiny home makeover prank fail win tip hack life")
	reactions  = []string{"first!", "lol", "this is everything", "need part 2", "how??", "obsessed", "can't stop watching", "so good", "underrated", "the ending 😂", "saving this", "wow"}
)

func sentence(rng *rand.Rand, lo, hi int) string {
	n := lo + rng.IntN(hi-lo+1)
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[rng.IntN(len(words))])
	}
	return b.String()
}

// load writes d into the (migrated, empty) database at url with COPY: counter triggers and
// foreign-key checks are off for the loading sessions (session_replication_role =
// replica, which needs the superuser the benchmark's own cluster has), the secondary
// indexes are dropped before and rebuilt after, and identities are set past the loaded
// ids. The counters were computed while generating and are written by COPY; the recount
// the seed uses then runs once and must find nothing to fix. The hot ranks the triggers
// would set (videos.hot_rank and its copy in video_hashtags) are computed here with the
// database's feed_ranking and written by COPY too; a sample is checked against
// video_hot_rank. Finally VACUUM ANALYZE and a CHECKPOINT leave the tables as a
// long-running database would have them.
func (d *dataset) load(ctx context.Context, url string, out io.Writer) (loadTimes, error) {
	var t loadTimes
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return t, err
	}
	cfg.MaxConns = 8
	cfg.ConnConfig.RuntimeParams["application_name"] = "bench-loader"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return t, err
	}
	defer pool.Close()
	var super bool
	if err := pool.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil {
		return t, err
	}
	if !super {
		return t, errors.New("the loader needs a superuser (it runs on its own cluster)")
	}
	var n int64
	if err := pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM videos)").Scan(&n); err != nil {
		return t, err
	}
	if n > 0 {
		return t, errors.New("the database is not empty")
	}

	start := time.Now()
	if err := checkFeedSettings(ctx, pool); err != nil {
		return t, err
	}
	rk, err := readRanking(ctx, pool)
	if err != nil {
		return t, err
	}
	d.rankVideos(rk)
	indexes, err := dropIndexes(ctx, pool)
	if err != nil {
		return t, err
	}
	tables := []struct {
		name string
		cols []string
		n    int
		fill func(rng *rand.Rand, i int, row []any)
	}{
		{"users", []string{"id", "username", "email", "password_hash", "name", "bio", "follower_count", "following_count", "video_count", "like_count", "created_at", "updated_at"},
			d.sizes.Users, d.userRow},
		{"sounds", []string{"id", "name", "name_key", "video_count", "created_at"}, len(d.sounds), d.soundRow},
		{"videos", []string{"id", "user_id", "caption", "video_url", "thumbnail_url", "audio_name", "sound_id", "views", "like_count", "comment_count", "hot_rank", "created_at", "updated_at", "thread_count"},
			d.sizes.Videos, d.videoRow},
		{"hashtags", []string{"id", "name", "video_count", "view_count", "trend_score", "created_at"}, len(d.tags), d.hashtagRow},
		{"video_hashtags", []string{"video_id", "hashtag_id", "hot_rank"}, len(d.tagIDs), d.videoHashtagRow},
		{"comments", []string{"id", "user_id", "video_id", "content", "like_count", "created_at", "updated_at"},
			d.sizes.Comments, d.commentRow},
		{"video_likes", []string{"user_id", "video_id", "created_at"}, len(d.likeUser), d.likeRow},
		{"comment_likes", []string{"user_id", "comment_id", "created_at"}, len(d.clikeUser), d.commentLikeRow},
		{"follows", []string{"follower_id", "following_id", "created_at"}, len(d.followFrom), d.followRow},
		{"video_impressions", []string{"user_id", "video_id", "seen_at"}, len(d.benchSeen) + len(d.seenUser), d.impressionRow},
		{"creator_interests", []string{"user_id", "creator_id", "weight", "updated_at"}, len(d.ciUser), d.creatorInterestRow},
		{"hashtag_interests", []string{"user_id", "hashtag_id", "weight", "updated_at"}, len(d.hiUser), d.hashtagInterestRow},
		{"feed_inbox", []string{"user_id", "created_at", "video_id", "creator_id"}, len(d.inboxUser), d.inboxRow},
		{"feed_inbox_horizon", []string{"user_id", "created_at", "video_id"}, len(d.horizonUser), d.horizonRow},
		{"feed_pull_creators", []string{"creator_id", "since"}, len(d.pulled), d.pulledRow},
		{"feed_pull_follows", []string{"user_id", "creator_id"}, len(d.pullFollowUser), d.pullFollowRow},
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for i, tb := range tables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			err := pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error {
				if _, err := c.Exec(ctx, "SET session_replication_role = replica; SET synchronous_commit = off"); err != nil {
					return err
				}
				defer c.Exec(context.WithoutCancel(ctx), "RESET session_replication_role; RESET synchronous_commit") //nolint:errcheck
				src := &rowSource{n: tb.n, row: make([]any, len(tb.cols)), rng: rand.New(rand.NewPCG(d.seed, uint64(100+i))), fill: tb.fill}
				_, err := c.CopyFrom(ctx, pgx.Identifier{tb.name}, tb.cols, src)
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = fmt.Errorf("copy %s: %w", tb.name, err)
			}
			fmt.Fprintf(out, "bench:   %-17s %9d rows  %s\n", tb.name, tb.n, time.Since(t0).Round(time.Millisecond))
		}()
	}
	wg.Wait()
	if first != nil {
		return t, first
	}
	t.Copy = time.Since(start)

	t0 := time.Now()
	if err := createIndexes(ctx, pool, indexes, out); err != nil {
		return t, err
	}
	for _, tb := range []string{"users", "videos", "comments", "hashtags", "sounds"} {
		q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM %s), false)", tb, tb)
		if _, err := pool.Exec(ctx, q); err != nil {
			return t, fmt.Errorf("set %s identity: %w", tb, err)
		}
	}
	t.Index = time.Since(t0)

	t0 = time.Now()
	fixed, err := recount(ctx, pool)
	if err != nil {
		return t, err
	}
	if fixed != 0 {
		return t, fmt.Errorf("the generated counters were wrong: the recount fixed %d rows", fixed)
	}
	if err := checkHotRanks(ctx, pool, 1000); err != nil {
		return t, err
	}
	t.Recount = time.Since(t0)

	t0 = time.Now()
	for _, tb := range loadedTables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := pool.Exec(ctx, "VACUUM (ANALYZE) "+tb)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = fmt.Errorf("vacuum %s: %w", tb, err)
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return t, first
	}
	if _, err := pool.Exec(ctx, "CHECKPOINT"); err != nil {
		return t, err
	}
	t.Vacuum = time.Since(t0)
	t.Total = time.Since(start)
	return t, nil
}

// loadTimes is how long each phase of loading took.
type loadTimes struct {
	Generate, Copy, Index, Recount, Vacuum, Total time.Duration
}

// recount runs the server's own set-based recount (what `tiktok recount` and the seed use)
// and returns how many rows it had to fix.
func recount(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var fixed int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var err error
		fixed, err = postgres.RecountTx(ctx, tx)
		return err
	})
	return fixed, err
}

// loadedTables are the tables load fills.
var loadedTables = []string{"users", "videos", "comments", "video_likes", "comment_likes", "follows",
	"sounds", "hashtags", "video_hashtags", "video_impressions", "creator_interests", "hashtag_interests",
	"feed_inbox", "feed_inbox_horizon", "feed_pull_creators", "feed_pull_follows"}

// checkHotRanks compares the hot ranks the loader wrote, of every every-th video and of
// the tags of those videos, with what video_hot_rank computes (the trigger's function).
func checkHotRanks(ctx context.Context, pool *pgxpool.Pool, every int) error {
	var checked, videos, tags int64
	err := pool.QueryRow(ctx, `
		WITH v AS (SELECT id, hot_rank, video_hot_rank(created_at, like_count, comment_count, views, share_count) AS want FROM videos WHERE id % $1 = 0)
		SELECT (SELECT count(*) FROM v),
		       (SELECT count(*) FROM v WHERE hot_rank IS DISTINCT FROM want),
		       (SELECT count(*) FROM v JOIN video_hashtags vh ON vh.video_id = v.id WHERE vh.hot_rank IS DISTINCT FROM v.want)`, every).
		Scan(&checked, &videos, &tags)
	if err != nil {
		return fmt.Errorf("check hot ranks: %w", err)
	}
	if videos+tags > 0 {
		return fmt.Errorf("of %d videos checked, %d have a hot rank other than video_hot_rank's and %d tags a copy of it other than that", checked, videos, tags)
	}
	return nil
}

type indexDef struct{ name, def string }

// dropIndexes drops the indexes of the loaded tables that no constraint owns (primary keys
// stay: rows arrive in their order) and returns their definitions.
func dropIndexes(ctx context.Context, pool *pgxpool.Pool) ([]indexDef, error) {
	rows, _ := pool.Query(ctx, `
		SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		WHERE c.relname = ANY($1)
		  AND c.relnamespace = 'public'::regnamespace
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
		ORDER BY 1`, loadedTables)
	defs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (indexDef, error) {
		var d indexDef
		err := r.Scan(&d.name, &d.def)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	for _, d := range defs {
		if _, err := pool.Exec(ctx, "DROP INDEX "+d.name); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", d.name, err)
		}
	}
	return defs, nil
}

// createIndexes builds the indexes again, a few at a time.
func createIndexes(ctx context.Context, pool *pgxpool.Pool, defs []indexDef, out io.Writer) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, 3)
	for _, d := range defs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			err := pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error {
				if _, err := c.Exec(ctx, "SET maintenance_work_mem = '512MB'"); err != nil {
					return err
				}
				_, err := c.Exec(ctx, d.def)
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = fmt.Errorf("create index %s: %w", d.name, err)
			}
			fmt.Fprintf(out, "bench:   index %-36s %s\n", d.name, time.Since(t0).Round(time.Millisecond))
		}()
	}
	wg.Wait()
	return first
}

// rowSource feeds COPY n rows made by fill, reusing one row slice (pgx encodes each row
// before asking for the next).
type rowSource struct {
	n, i int
	row  []any
	rng  *rand.Rand
	fill func(rng *rand.Rand, i int, row []any)
}

func (s *rowSource) Next() bool {
	s.i++
	return s.i <= s.n
}

func (s *rowSource) Values() ([]any, error) {
	s.fill(s.rng, s.i-1, s.row)
	return s.row, nil
}

func (s *rowSource) Err() error { return nil }

func (d *dataset) userRow(rng *rand.Rand, i int, row []any) {
	id := int32(i + 1)
	name := "user" + strconv.Itoa(i+1)
	var bio any
	if rng.IntN(6) > 0 {
		bio = sentence(rng, 4, 14)
	}
	at := d.userTime(id)
	row[0], row[1], row[2], row[3] = int64(id), name, name+"@example.com", d.hash
	row[4] = firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))]
	row[5] = bio
	row[6], row[7], row[8], row[9] = int64(d.userFollowers[i]), int64(d.userFollowed[i]), int64(d.userVideos[i]), int64(d.userLikes[i])
	row[10], row[11] = at, at
}

func (d *dataset) videoRow(rng *rand.Rand, i int, row []any) {
	id := int32(i + 1)
	at := d.videoTime(id)
	sid := strconv.Itoa(i + 1)
	row[0], row[1], row[2] = int64(id), int64(d.videoOwner[i]), d.caption(rng, i)
	row[3], row[4] = "https://cdn.example.com/v/"+sid+".mp4", "https://cdn.example.com/t/"+sid+".jpg"
	row[5], row[6] = d.sounds[d.soundOf[i]-1].name, int64(d.soundOf[i])
	row[7], row[8], row[9], row[10] = d.views[i], int64(d.videoLikes[i]), int64(d.videoComments[i]), d.hotRank[i]
	row[11], row[12] = at, at
	row[13] = int64(d.videoComments[i]) // every loaded comment is top-level
}

func (d *dataset) commentRow(rng *rand.Rand, i int, row []any) {
	v := d.commentVideo[i]
	var content string
	if rng.IntN(3) == 0 {
		content = reactions[rng.IntN(len(reactions))]
	} else {
		content = sentence(rng, 2, 16)
	}
	at := time.UnixMicro(d.commentAt[i]).UTC()
	row[0], row[1], row[2], row[3] = int64(i+1), int64(d.commentUser[i]), int64(v), content
	row[4], row[5], row[6] = int64(d.commentLikes[i]), at, at
}

func (d *dataset) commentLikeRow(rng *rand.Rand, i int, row []any) {
	c := d.clikeComment[i]
	row[0], row[1], row[2] = int64(d.clikeUser[i]), int64(c), d.after(rng, time.UnixMicro(d.commentAt[c-1]).UTC())
}

func (d *dataset) likeRow(rng *rand.Rand, i int, row []any) {
	v := d.likeVideo[i]
	row[0], row[1], row[2] = int64(d.likeUser[i]), int64(v), d.after(rng, d.videoTime(v))
}

func (d *dataset) followRow(rng *rand.Rand, i int, row []any) {
	at := d.now.Add(-time.Duration(rng.Float64() * float64(videoSpan))).Truncate(time.Microsecond)
	row[0], row[1], row[2] = int64(d.followFrom[i]), int64(d.followTo[i]), at
}

// checkCounters is the soak's COUNT(*) check, on the loaded database.
func checkCounters(ctx context.Context, url string) ([]load.Drift, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return load.CheckCounters(ctx, conn)
}
