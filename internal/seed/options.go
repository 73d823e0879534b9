package seed

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Options says how much demo data Run creates and what it does with existing data.
type Options struct {
	// Seed drives every random choice: the same seed gives the same users, captions,
	// comments and relations (timestamps are relative to the time of the run). 0 picks a
	// random seed.
	Seed int64

	Users        int // user1 … userN
	Videos       int
	Comments     int
	VideoLikes   int // distinct (user, video) pairs
	CommentLikes int // distinct (user, comment) pairs
	Follows      int // distinct (follower, followed) pairs, never a user following themselves

	// MediaCopies is how many videos get their own copy of a sample clip and thumbnail
	// (two stored files each); the other videos share the files of those, unowned.
	MediaCopies int

	// Reset wipes the six tables, and the media files their rows owned, before seeding.
	Reset bool
	// IfEmpty makes Run do nothing when the database already has users.
	IfEmpty bool
}

// MaxCount bounds every count of Options, so that products of counts cannot overflow.
const MaxCount = 100_000_000

// DefaultOptions returns the volumes of the original demo data: 10 users, 50 videos,
// 200 comments, 300 video likes, 150 comment likes and 40 follows, with seed 42.
func DefaultOptions() Options {
	return Options{
		Seed:         42,
		Users:        10,
		Videos:       50,
		Comments:     200,
		VideoLikes:   300,
		CommentLikes: 150,
		Follows:      40,
		MediaCopies:  200,
	}
}

// ParseFlags parses the arguments of `tiktok seed` into Options, starting from
// DefaultOptions. It returns flag.ErrHelp for -h, and an error for an unknown flag, an
// argument, a negative or too large count, or --reset together with --if-empty. Counts
// the others make impossible are lowered, with a note written to stderr, rather than
// refused, so `--users 3` alone still works: likes and follows are distinct pairs (at most
// users × videos, users × comments, users × (users-1)), and nothing is made of a zero
// count (no users: no videos; no videos: no comments).
func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	o := DefaultOptions()
	fs := flag.NewFlagSet("tiktok seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Int64Var(&o.Seed, "seed", o.Seed, "random seed; the same seed gives the same data (0 = random)")
	fs.IntVar(&o.Users, "users", o.Users, "number of users (user1 … userN, password password123)")
	fs.IntVar(&o.Videos, "videos", o.Videos, "number of videos")
	fs.IntVar(&o.Comments, "comments", o.Comments, "number of comments")
	fs.IntVar(&o.VideoLikes, "video-likes", o.VideoLikes, "number of video likes (at most users × videos)")
	fs.IntVar(&o.CommentLikes, "comment-likes", o.CommentLikes, "number of comment likes (at most users × comments)")
	fs.IntVar(&o.Follows, "follows", o.Follows, "number of follows (at most users × (users-1))")
	fs.IntVar(&o.MediaCopies, "media-copies", o.MediaCopies, "videos that get their own copy of a sample clip; the rest share those files")
	fs.BoolVar(&o.Reset, "reset", false, "delete all data (and the media files it owned) first")
	fs.BoolVar(&o.IfEmpty, "if-empty", false, "do nothing when the database already has users")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: tiktok seed [flags]

Fills the database with demo data: users user1 … userN (userN@example.com, password
password123), videos that play sample clips, comments, likes and follows. Refuses to run
on a database that has data unless --reset or --if-empty is given.

flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return Options{}, err
	}
	if fs.NArg() > 0 {
		return Options{}, fmt.Errorf("seed: unexpected argument %q", fs.Arg(0))
	}
	o, notes, err := o.normalize()
	if err != nil {
		return Options{}, err
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "seed: %s\n", n)
	}
	return o, nil
}

// normalize validates o and lowers the counts that the other counts make impossible,
// returning one note per change:
//
//   - without users there are no videos or follows; without videos no comments or video
//     likes; without comments no comment likes;
//   - video likes are at most users × videos, comment likes at most users × comments,
//     follows at most users × (users-1), since each is a distinct pair;
//   - media copies are at least 1 when there are videos (Run makes at most one per video).
//
// Negative counts, counts above MaxCount, and Reset with IfEmpty are errors.
func (o Options) normalize() (Options, []string, error) {
	var problems []error
	for _, c := range []struct {
		name string
		n    int
	}{
		{"users", o.Users}, {"videos", o.Videos}, {"comments", o.Comments},
		{"video-likes", o.VideoLikes}, {"comment-likes", o.CommentLikes},
		{"follows", o.Follows}, {"media-copies", o.MediaCopies},
	} {
		if c.n < 0 || c.n > MaxCount {
			problems = append(problems, fmt.Errorf("--%s %d: want a count between 0 and %d", c.name, c.n, MaxCount))
		}
	}
	if o.Reset && o.IfEmpty {
		problems = append(problems, errors.New("--reset and --if-empty exclude each other"))
	}
	if len(problems) > 0 {
		return Options{}, nil, fmt.Errorf("seed: %w", errors.Join(problems...))
	}

	var notes []string
	lower := func(n *int, limit int64, name, why string) {
		if int64(*n) > limit {
			notes = append(notes, fmt.Sprintf("--%s %d lowered to %d (%s)", name, *n, limit, why))
			*n = int(limit)
		}
	}
	users, videos := int64(o.Users), int64(o.Videos)
	lower(&o.Videos, users*MaxCount, "videos", "there are no users to own them")
	lower(&o.Follows, users*(max(users, 1)-1), "follows", "each follow is a distinct pair of different users")
	videos = int64(o.Videos)
	lower(&o.Comments, min(users, 1)*videos*MaxCount, "comments", "comments need a user and a video")
	lower(&o.VideoLikes, users*videos, "video-likes", "each like is a distinct user and video")
	lower(&o.CommentLikes, users*int64(o.Comments), "comment-likes", "each like is a distinct user and comment")
	if o.MediaCopies < 1 && o.Videos > 0 {
		notes = append(notes, "--media-copies raised to 1 (videos need a file to play)")
		o.MediaCopies = 1
	}
	return o, notes, nil
}
