package bench

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The Following feed's inboxes (migration 00025), generated like the counters: what the
// triggers would have written, computed from the generated follows and videos and loaded
// with COPY (the loader runs with triggers off). inboxMax and fanoutMaxFollowers are the
// defaults of feed_settings; load checks the database has them.
const (
	inboxMax           = 200
	fanoutMaxFollowers = 10_000
)

// generateInboxes gives every user the newest inboxMax videos of the pushed creators they
// follow (a k-way merge of the creators' timelines, newest first), and a horizon at the
// oldest of them when the inbox is full, as feed_build_inboxes does; creators with more
// than fanoutMaxFollowers followers are pulled instead, and each follow of one is a row of
// feed_pull_follows (migration 00027), as feed_build_pull_follows builds it.
func (d *dataset) generateInboxes() {
	U := d.sizes.Users
	d.pulled = d.pulled[:0]
	for c := range U {
		if d.userFollowers[c] > fanoutMaxFollowers {
			d.pulled = append(d.pulled, int32(c+1))
		}
	}
	// Each creator's videos in id (= time) order.
	start := make([]int32, U+1)
	for _, o := range d.videoOwner {
		start[o]++
	}
	for i := 1; i <= U; i++ {
		start[i] += start[i-1]
	}
	vids := make([]int32, len(d.videoOwner))
	fill := slices.Clone(start[:U])
	for i, o := range d.videoOwner {
		vids[fill[o-1]] = int32(i + 1)
		fill[o-1]++
	}
	d.inboxUser, d.inboxVideo = d.inboxUser[:0], d.inboxVideo[:0]
	d.horizonUser, d.horizonVideo = d.horizonUser[:0], d.horizonVideo[:0]
	d.pullFollowUser, d.pullFollowCreator = d.pullFollowUser[:0], d.pullFollowCreator[:0]
	var h timelines
	var page []int32
	for i := 0; i < len(d.followFrom); {
		u := d.followFrom[i]
		h = h[:0]
		for ; i < len(d.followFrom) && d.followFrom[i] == u; i++ {
			c := d.followTo[i]
			if d.userFollowers[c-1] > fanoutMaxFollowers {
				d.pullFollowUser = append(d.pullFollowUser, u)
				d.pullFollowCreator = append(d.pullFollowCreator, c)
				continue
			}
			if lo, hi := start[c-1], start[c]; hi > lo {
				h = append(h, timeline{vids: vids[lo:hi], next: int(hi-lo) - 1})
			}
		}
		heap.Init(&h)
		page = page[:0]
		for len(h) > 0 && len(page) < inboxMax {
			t := &h[0]
			page = append(page, t.vids[t.next])
			if t.next--; t.next < 0 {
				heap.Pop(&h)
			} else {
				heap.Fix(&h, 0)
			}
		}
		for k := len(page) - 1; k >= 0; k-- {
			d.inboxUser = append(d.inboxUser, u)
			d.inboxVideo = append(d.inboxVideo, page[k])
		}
		if len(page) == inboxMax {
			d.horizonUser = append(d.horizonUser, u)
			d.horizonVideo = append(d.horizonVideo, page[len(page)-1])
		}
	}
}

// timeline is a creator's videos, read newest first from next; timelines is a max-heap
// of them by their next video.
type timeline struct {
	vids []int32
	next int
}

type timelines []timeline

func (h timelines) Len() int           { return len(h) }
func (h timelines) Less(i, j int) bool { return h[i].vids[h[i].next] > h[j].vids[h[j].next] }
func (h timelines) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timelines) Push(x any)        { *h = append(*h, x.(timeline)) }
func (h *timelines) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (d *dataset) inboxRow(_ *rand.Rand, i int, row []any) {
	v := d.inboxVideo[i]
	row[0], row[1], row[2], row[3] = int64(d.inboxUser[i]), d.videoTime(v), int64(v), int64(d.videoOwner[v-1])
}

func (d *dataset) horizonRow(_ *rand.Rand, i int, row []any) {
	v := d.horizonVideo[i]
	row[0], row[1], row[2] = int64(d.horizonUser[i]), d.videoTime(v), int64(v)
}

func (d *dataset) pulledRow(_ *rand.Rand, i int, row []any) {
	row[0], row[1] = int64(d.pulled[i]), d.now
}

func (d *dataset) pullFollowRow(_ *rand.Rand, i int, row []any) {
	row[0], row[1] = int64(d.pullFollowUser[i]), int64(d.pullFollowCreator[i])
}

// checkFeedSettings makes sure the database's fan-out settings are the ones the inboxes
// were generated with.
func checkFeedSettings(ctx context.Context, pool *pgxpool.Pool) error {
	var maxFollowers, max int64
	if err := pool.QueryRow(ctx, "SELECT fanout_max_followers, inbox_max FROM feed_settings").Scan(&maxFollowers, &max); err != nil {
		return fmt.Errorf("read feed settings: %w", err)
	}
	if maxFollowers != fanoutMaxFollowers || max != inboxMax {
		return fmt.Errorf("feed_settings has fanout_max_followers %d and inbox_max %d; the generator assumes %d and %d", maxFollowers, max, fanoutMaxFollowers, inboxMax)
	}
	return nil
}
