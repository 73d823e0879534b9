package bench

import (
	"math/rand/v2"
	"testing"
)

func randFor(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }

func TestGenerate(t *testing.T) {
	s := Sizes{Users: 300, Videos: 2000, VideoLikes: 20000, Comments: 3000, CommentLikes: 4000, Follows: 5000, BenchFollows: 50}
	d, err := generate(s, 7, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.likeUser) != s.VideoLikes || len(d.clikeUser) != s.CommentLikes || len(d.followFrom) != s.Follows || len(d.commentVideo) != s.Comments {
		t.Fatalf("got %d likes, %d comment likes, %d follows, %d comments for %s",
			len(d.likeUser), len(d.clikeUser), len(d.followFrom), len(d.commentVideo), s)
	}
	distinct := func(name string, a, b []int32) {
		seen := map[[2]int32]bool{}
		for i := range a {
			k := [2]int32{a[i], b[i]}
			if seen[k] {
				t.Errorf("%s: duplicate pair %v", name, k)
				return
			}
			if i > 0 && (a[i] < a[i-1] || a[i] == a[i-1] && b[i] < b[i-1]) {
				t.Errorf("%s: not sorted at %d", name, i)
				return
			}
			seen[k] = true
		}
	}
	distinct("video likes", d.likeUser, d.likeVideo)
	distinct("comment likes", d.clikeUser, d.clikeComment)
	distinct("follows", d.followFrom, d.followTo)
	for i := range d.followFrom {
		if d.followFrom[i] == d.followTo[i] {
			t.Fatalf("user %d follows themselves", d.followFrom[i])
		}
	}
	sum := func(xs []int32) (n int) {
		for _, x := range xs {
			n += int(x)
		}
		return n
	}
	if sum(d.videoLikes) != s.VideoLikes || sum(d.userLikes) != s.VideoLikes || sum(d.videoComments) != s.Comments ||
		sum(d.commentLikes) != s.CommentLikes || sum(d.userVideos) != s.Videos || sum(d.userFollowers) != s.Follows || sum(d.userFollowed) != s.Follows {
		t.Errorf("counters do not add up")
	}
	if d.userFollowed[0] != int32(s.BenchFollows) || d.userVideos[0] != 0 {
		t.Errorf("user1 follows %d (want %d) and has %d videos (want 0)", d.userFollowed[0], s.BenchFollows, d.userVideos[0])
	}
	// Skew: the most popular video and creator are far above average.
	if top := d.videoLikes[s.videoOfRank(0)-1]; top < 10*int32(s.VideoLikes/s.Videos) {
		t.Errorf("most popular video has %d likes, average %d", top, s.VideoLikes/s.Videos)
	}
	if top := d.userVideos[s.creatorOfRank(0)-1]; top < 10*int32(s.Videos/s.Users) {
		t.Errorf("busiest creator has %d videos, average %d", top, s.Videos/s.Users)
	}
	// Times: videos in id order, comments after their video.
	for i := int32(2); i <= int32(s.Videos); i++ {
		if !d.videoTime(i).After(d.videoTime(i - 1)) {
			t.Fatalf("video %d is not newer than video %d", i, i-1)
		}
	}
	for i, v := range d.commentVideo {
		if d.commentAt[i] < d.videoTime(v).UnixMicro() {
			t.Fatalf("comment %d predates its video", i+1)
		}
	}
}

func TestSpread(t *testing.T) {
	for _, c := range []struct{ total, n, limit int }{{100, 10, 50}, {100, 10, 10}, {0, 5, 3}, {7, 1, 7}, {1000, 3, 400}} {
		got := spread(randFor(1), c.total, c.n, c.limit)
		n := 0
		for _, k := range got {
			if k < 0 || k > c.limit {
				t.Errorf("spread(%d, %d, %d) has %d", c.total, c.n, c.limit, k)
			}
			n += k
		}
		if n != c.total {
			t.Errorf("spread(%d, %d, %d) sums to %d", c.total, c.n, c.limit, n)
		}
	}
}
