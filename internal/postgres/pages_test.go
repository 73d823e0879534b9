package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

// keyed is a keyset-paged list of the Store, for TestKeysetPages.
type keyed struct {
	// list returns one page of the list as the page keys of its rows.
	list func(p tiktok.Page) ([]tiktok.PageKey, error)
	// add creates the five rows the list returns, one after the other, and returns their
	// ids (the list's tie-breaker); it also creates rows the list must leave out.
	add func() []int64
	// stamp sets the sort time of the listed row with id.
	stamp func(id int64, at time.Time)
}

// pageKeys returns the page keys of items.
func pageKeys[T any](items []T, err error, key func(T) tiktok.PageKey) ([]tiktok.PageKey, error) {
	if err != nil {
		return nil, err
	}
	out := make([]tiktok.PageKey, len(items))
	for i, it := range items {
		out[i] = key(it)
	}
	return out, nil
}

func videoKey(v tiktok.Video) tiktok.PageKey     { return tiktok.PageKey{Time: v.CreatedAt, ID: v.ID} }
func commentKey(c tiktok.Comment) tiktok.PageKey { return tiktok.PageKey{Time: c.CreatedAt, ID: c.ID} }
func userKey(u tiktok.User) tiktok.PageKey       { return tiktok.PageKey{Time: u.CreatedAt, ID: u.ID} }
func followKey(f tiktok.Follow) tiktok.PageKey {
	return tiktok.PageKey{Time: f.FollowedAt, ID: f.User.ID}
}

// stamper returns a stamp function running update (with the time and the id) on pool.
func stamper(t *testing.T, pool *pgxpool.Pool, update string) func(int64, time.Time) {
	return func(id int64, at time.Time) {
		t.Helper()
		tag, err := pool.Exec(context.Background(), update, at, id)
		if err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("%s (%d): %v, %d rows", update, id, err, tag.RowsAffected())
		}
	}
}

// addN creates n rows with create and returns their ids.
func addN(n int, create func(i int) int64) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = create(i)
	}
	return ids
}

// TestKeysetPages pages through every keyset list of the Store with every limit from 1
// to 6 over five rows, three of which share their time (so their order is by id, newest
// first) and two of which are one microsecond before and after those: each page has
// min(limit, rows left) rows — exactly limit rows, limit+1 rows, fewer — the pages
// together list every row once in (time, id) descending order, and the page after the
// last row (a cursor at the last row) is empty. Each list is empty before its rows exist.
func TestKeysetPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lists := []struct {
		name  string
		setup func(t *testing.T, s *postgres.Store, pool *pgxpool.Pool) keyed
	}{
		{"ListVideos", func(t *testing.T, s *postgres.Store, pool *pgxpool.Pool) keyed {
			author := addUser(t, s, "author")
			return keyed{
				list: func(p tiktok.Page) ([]tiktok.PageKey, error) {
					vs, err := s.ListVideos(ctx, p)
					return pageKeys(vs, err, videoKey)
				},
				add: func() []int64 {
					return addN(5, func(i int) int64 { return addVideo(t, s, author.ID, fmt.Sprint("v", i)).ID })
				},
				stamp: stamper(t, pool, `UPDATE videos SET created_at = $1 WHERE id = $2`),
			}
		}},
		{"ListUserVideos", func(t *testing.T, s *postgres.Store, pool *pgxpool.Pool) keyed {
			author, other := addUser(t, s, "author"), addUser(t, s, "other")
			return keyed{
				list: func(p tiktok.Page) ([]tiktok.PageKey, error) {
					vs, err := s.ListUserVideos(ctx, author.ID, p)
					return pageKeys(vs, err, videoKey)
				},
				add: func() []int64 {
					ids := addN(5, func(i int) int64 { return addVideo(t, s, author.ID, fmt.Sprint("v", i)).ID })
					addVideo(t, s, other.ID, "not the author's")
					return ids
				},
				stamp: stamper(t, pool, `UPDATE videos SET created_at = $1 WHERE id = $2`),
			}
		}},
		{"ListFollowingVideos", func(t *testing.T, s *postgres.Store, pool *pgxpool.Pool) keyed {
			viewer, a, b, stranger := addUser(t, s, "viewer"), addUser(t, s, "followed_a"), addUser(t, s, "followed_b"), addUser(t, s, "stranger")
			for _, u := range []int64{a.ID, b.ID} {
				if _, err := s.SetFollow(ctx, viewer.ID, u, true); err != nil {
					t.Fatal(err)
				}
			}
			return keyed{
				list: func(p tiktok.Page) ([]tiktok.PageKey, error) {
					p.Viewer = viewer.ID
					vs, err := s.ListFollowingVideos(ctx, p)
					return pageKeys(vs, err, videoKey)
				},
				add: func() []int64 {
					authors := []int64{a.ID, b.ID, b.ID, a.ID, a.ID} // the tied rows 0, 2 and 4 are by both
					ids := addN(5, func(i int) int64 { return addVideo(t, s, authors[i], fmt.Sprint("v", i)).ID })
					addVideo(t, s, stranger.ID, "not followed")
					addVideo(t, s, viewer.ID, "own")
					return ids
				},
				stamp: stamper(t, pool, `UPDATE videos SET created_at = $1 WHERE id = $2`),
			}
		}},
		{"ListComments", func(t *testing.T, s *postgres.Store, pool *pgxpool.Pool) keyed {
			author := addUser(t, s, "author")
			v, other := addVideo(t, s, author.ID, "v"), addVideo(t, s, author.ID, "other")
			return keyed{
				list: func(p tiktok.Page) ([]tiktok.PageKey, error) {
					cs, err := s.ListComments(ctx, v.ID, p)
					return pageKeys(cs, err, commentKey)
				},
				add: func() []int64 {
					ids := addN(5, func(i int) int64 { return addComment(t, s, author.ID, v.ID, fmt.Sprint("c", i)).ID })
					addComment(t, s, author.ID, other.ID, "on another video")
					return ids
				},
				stamp: stamper(t, pool, `UPDATE comments SET created_at = $1 WHERE id = $2`),
			}
		}},
		{"ListUsers", func(t *testing.T, s *postgres.Store, pool *pgxpool.Pool) keyed {
			return keyed{
				list: func(p tiktok.Page) ([]tiktok.PageKey, error) {
					us, err := s.ListUsers(ctx, "", p)
					return pageKeys(us, err, userKey)
				},
				add: func() []int64 {
					return addN(5, func(i int) int64 { return addUser(t, s, fmt.Sprint("user", i)).ID })
				},
				stamp: stamper(t, pool, `UPDATE users SET created_at = $1 WHERE id = $2`),
			}
		}},
		{"ListUsers search", func(t *testing.T, s *postgres.Store, pool *pgxpool.Pool) keyed {
			create := func(username string, name *string) int64 {
				u, err := s.CreateUser(ctx, tiktok.NewUser{Username: username, Email: strings.ToLower(username) + "@example.com", PasswordHash: "x", Name: name})
				if err != nil {
					t.Fatal(err)
				}
				return u.ID
			}
			create("zed", ptr("Zed"))
			create("xpa", ptr("Nopa")) // "pa" inside, not at the start
			return keyed{
				list: func(p tiktok.Page) ([]tiktok.PageKey, error) {
					us, err := s.ListUsers(ctx, "Pa", p)
					return pageKeys(us, err, userKey)
				},
				add: func() []int64 {
					matching := []struct {
						username string
						name     *string
					}{{"pa_one", nil}, {"PAtwo", ptr("Two")}, {"qq1", ptr("Pam")}, {"pax", nil}, {"qq2", ptr("paula")}}
					ids := addN(5, func(i int) int64 { return create(matching[i].username, matching[i].name) })
					create("p_a", ptr("P. A."))
					return ids
				},
				stamp: stamper(t, pool, `UPDATE users SET created_at = $1 WHERE id = $2`),
			}
		}},
		{"ListFollowers", func(t *testing.T, s *postgres.Store, pool *pgxpool.Pool) keyed {
			star, other := addUser(t, s, "star"), addUser(t, s, "other")
			if _, err := s.SetFollow(ctx, star.ID, other.ID, true); err != nil { // a following of star's, not a follower
				t.Fatal(err)
			}
			return keyed{
				list: func(p tiktok.Page) ([]tiktok.PageKey, error) {
					fs, err := s.ListFollowers(ctx, star.ID, p)
					return pageKeys(fs, err, followKey)
				},
				add: func() []int64 {
					return addN(5, func(i int) int64 {
						fan := addUser(t, s, fmt.Sprint("fan", i))
						for _, u := range []int64{star.ID, other.ID} {
							if _, err := s.SetFollow(ctx, fan.ID, u, true); err != nil {
								t.Fatal(err)
							}
						}
						return fan.ID
					})
				},
				stamp: stamper(t, pool, fmt.Sprintf(`UPDATE follows SET created_at = $1 WHERE follower_id = $2 AND following_id = %d`, star.ID)),
			}
		}},
		{"ListFollowing", func(t *testing.T, s *postgres.Store, pool *pgxpool.Pool) keyed {
			fan, other := addUser(t, s, "fan"), addUser(t, s, "other")
			if _, err := s.SetFollow(ctx, other.ID, fan.ID, true); err != nil { // a follower of fan's, not a following
				t.Fatal(err)
			}
			return keyed{
				list: func(p tiktok.Page) ([]tiktok.PageKey, error) {
					fs, err := s.ListFollowing(ctx, fan.ID, p)
					return pageKeys(fs, err, followKey)
				},
				add: func() []int64 {
					return addN(5, func(i int) int64 {
						star := addUser(t, s, fmt.Sprint("star", i))
						if _, err := s.SetFollow(ctx, fan.ID, star.ID, true); err != nil {
							t.Fatal(err)
						}
						if _, err := s.SetFollow(ctx, other.ID, star.ID, true); err != nil {
							t.Fatal(err)
						}
						return star.ID
					})
				},
				stamp: stamper(t, pool, fmt.Sprintf(`UPDATE follows SET created_at = $1 WHERE following_id = $2 AND follower_id = %d`, fan.ID)),
			}
		}},
	}

	// Rows 0, 2 and 4 share a time; row 1 is a microsecond newer, row 3 a microsecond
	// older. Newest first, ties by id descending: 1, 4, 2, 0, 3.
	tie := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	times := []time.Time{tie, tie.Add(time.Microsecond), tie, tie.Add(-time.Microsecond), tie}
	order := []int{1, 4, 2, 0, 3}

	for _, tt := range lists {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, pool := newStore(t)
			l := tt.setup(t, s, pool)
			if got, err := l.list(tiktok.Page{Limit: 10}); err != nil || len(got) != 0 {
				t.Fatalf("before its rows exist: %v (%v), want an empty page", got, err)
			}
			ids := l.add()
			for i, id := range ids {
				if i > 0 && id <= ids[i-1] {
					t.Fatalf("ids %v do not grow in the order the rows were made", ids)
				}
				l.stamp(id, times[i])
			}
			want := make([]tiktok.PageKey, len(order))
			for i, o := range order {
				want[i] = tiktok.PageKey{Time: times[o], ID: ids[o]}
			}
			for limit := 1; limit <= len(want)+1; limit++ {
				var got []tiktok.PageKey
				after := tiktok.PageKey{}
				for page := 0; ; page++ {
					if page > len(want)+1 {
						t.Fatalf("limit %d: more pages than rows", limit)
					}
					keys, err := l.list(tiktok.Page{After: after, Limit: limit})
					if err != nil {
						t.Fatalf("limit %d, page %d: %v", limit, page, err)
					}
					if n := min(limit, len(want)-len(got)); len(keys) != n {
						t.Fatalf("limit %d, page %d after %v: %d rows %v, want %d", limit, page, after, len(keys), keys, n)
					}
					if len(keys) == 0 {
						break
					}
					got = append(got, keys...)
					after = keys[len(keys)-1]
				}
				for i := range want {
					if !got[i].Time.Equal(want[i].Time) || got[i].ID != want[i].ID {
						t.Fatalf("limit %d: keys %v, want %v", limit, got, want)
					}
				}
			}
		})
	}
}

// TestListCommentsPage: the page-numbered comment list (OFFSET, for the original
// frontend) orders like the keyset list, cuts pages at the limit, is empty past the end
// and reports the video's comment count with every page.
func TestListCommentsPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	author := addUser(t, s, "author")
	v, empty := addVideo(t, s, author.ID, "v"), addVideo(t, s, author.ID, "empty")
	tie := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	times := []time.Time{tie, tie.Add(time.Microsecond), tie, tie.Add(-time.Microsecond), tie}
	ids := addN(5, func(i int) int64 { return addComment(t, s, author.ID, v.ID, fmt.Sprint("c", i)).ID })
	for i, id := range ids {
		exec(t, pool, `UPDATE comments SET created_at = $1 WHERE id = $2`, times[i], id)
	}
	tests := []struct {
		video         int64
		limit, offset int
		want          []int // indexes into ids
		total         int64
	}{
		{v.ID, 2, 0, []int{1, 4}, 5},
		{v.ID, 2, 2, []int{2, 0}, 5},
		{v.ID, 2, 4, []int{3}, 5},
		{v.ID, 2, 6, nil, 5},
		{v.ID, 5, 0, []int{1, 4, 2, 0, 3}, 5},
		{v.ID, 5, 5, nil, 5},
		{empty.ID, 5, 0, nil, 0},
	}
	for _, tt := range tests {
		cs, total, err := s.ListCommentsPage(ctx, tt.video, 0, tt.limit, tt.offset)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, c := range cs {
			got = append(got, c.ID)
		}
		var want []int64
		for _, i := range tt.want {
			want = append(want, ids[i])
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || total != (tiktok.CommentCounts{Comments: tt.total, Threads: tt.total}) {
			t.Errorf("video %d, limit %d, offset %d: ids %v, total %d; want %v, %d", tt.video, tt.limit, tt.offset, got, total, want, tt.total)
		}
	}
}
