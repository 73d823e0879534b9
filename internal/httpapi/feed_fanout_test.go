package httpapi_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/gotok/tiktok/internal/tiktok"
)

// The Following feed from inboxes (migration 00025) must answer exactly what the pull
// query (the feed before inboxes, kept as ListFollowingVideosPull) answers.

// followingIDs walks the viewer's whole Following feed through the API, limit per page.
func (e *env) followingIDs(token string, limit int) []int64 {
	e.t.Helper()
	var ids []int64
	cursor := ""
	for range 1000 {
		path := fmt.Sprintf("/api/videos/following?limit=%d", limit)
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		res := e.request("GET", path, nil, token)
		expect(e.t, res, 200, "")
		for _, v := range res.items("videos") {
			f, _ := v["id"].(float64)
			ids = append(ids, int64(f))
		}
		if cursor = res.str("pagination.nextCursor"); cursor == "" {
			return ids
		}
	}
	e.t.Fatal("following feed does not end")
	return nil
}

// pullIDs walks the same feed with the pull query, the oracle.
func (e *env) pullIDs(viewer int64, limit int) []int64 {
	e.t.Helper()
	var ids []int64
	p := tiktok.Page{Viewer: viewer, Limit: limit}
	for {
		vs, err := e.store.ListFollowingVideosPull(context.Background(), p)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, v := range vs {
			ids = append(ids, v.ID)
		}
		if len(vs) < limit {
			return ids
		}
		last := vs[len(vs)-1]
		p.After = tiktok.PageKey{Time: last.CreatedAt, ID: last.ID}
	}
}

// checkFeeds compares every viewer's feed with the oracle, at two page sizes.
func (e *env) checkFeeds(step string, viewers []registered) {
	e.t.Helper()
	for _, v := range viewers {
		want := e.pullIDs(v.id, 1000)
		for _, limit := range []int{3, 7} {
			if got := e.followingIDs(v.token, limit); !slices.Equal(got, want) {
				e.t.Fatalf("%s: %s's feed (limit %d) = %v, want %v", step, v.username, limit, got, want)
			}
		}
	}
	e.checkInboxes(step)
}

// checkInboxes checks the inbox invariants: every entry belongs to a follow, and every
// video of a followed, pushed creator at or above the follower's horizon has its entry.
func (e *env) checkInboxes(step string) {
	e.t.Helper()
	var stray, missing int64
	err := e.pool.QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM feed_inbox i
		        WHERE NOT EXISTS (SELECT FROM follows f WHERE f.follower_id = i.user_id AND f.following_id = i.creator_id)
		           OR NOT EXISTS (SELECT FROM videos v WHERE v.id = i.video_id AND v.user_id = i.creator_id AND v.created_at = i.created_at)),
		       (SELECT count(*) FROM follows f
		        JOIN videos v ON v.user_id = f.following_id
		        LEFT JOIN feed_inbox_horizon h ON h.user_id = f.follower_id
		        WHERE NOT EXISTS (SELECT FROM feed_pull_creators p WHERE p.creator_id = f.following_id)
		          AND (h.user_id IS NULL OR (v.created_at, v.id) >= (h.created_at, h.video_id))
		          AND NOT EXISTS (SELECT FROM feed_inbox i WHERE i.user_id = f.follower_id AND i.video_id = v.id))`).
		Scan(&stray, &missing)
	if err != nil {
		e.t.Fatal(err)
	}
	if stray+missing > 0 {
		e.t.Fatalf("%s: %d inbox entries without their follow or video, %d missing", step, stray, missing)
	}
	e.checkPullFollows(step)
}

// checkPullFollows checks that each user's list of followed pulled creators (migration
// 00027) equals its definition: the follows of the creators in feed_pull_creators.
func (e *env) checkPullFollows(step string) {
	e.t.Helper()
	var stray, missing int64
	err := e.pool.QueryRow(context.Background(), `
		WITH def AS (SELECT f.follower_id, f.following_id FROM follows f
		             JOIN feed_pull_creators p ON p.creator_id = f.following_id)
		SELECT (SELECT count(*) FROM (SELECT user_id, creator_id FROM feed_pull_follows EXCEPT SELECT * FROM def) x),
		       (SELECT count(*) FROM (SELECT * FROM def EXCEPT SELECT user_id, creator_id FROM feed_pull_follows) x)`).
		Scan(&stray, &missing)
	if err != nil {
		e.t.Fatal(err)
	}
	if stray+missing > 0 {
		e.t.Fatalf("%s: feed_pull_follows has %d pairs that are not a follow of a pulled creator and lacks %d", step, stray, missing)
	}
}

// TestFollowingFeedInbox builds a random follow graph with posts between the follows, and
// checks the feed against the pull query after each kind of change: follow, post, unfollow,
// delete, block, moderation, suspension, a video not ready, a creator crossing the fan-out
// threshold both ways, and inboxes trimmed to their bound.
func TestFollowingFeedInbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	// A small bound, so that trims and horizons happen; creators with more than 3
	// followers are pulled.
	e.exec("UPDATE feed_settings SET inbox_max = 10, fanout_max_followers = 3")
	rng := rand.New(rand.NewPCG(14, 4))
	var creators, viewers []registered
	for i := range 6 {
		creators = append(creators, e.register(fmt.Sprintf("creator%d", i)))
	}
	for i := range 4 {
		viewers = append(viewers, e.register(fmt.Sprintf("viewer%d", i)))
	}
	follows := map[[2]int]bool{}
	var videos []int64
	for range 70 {
		c := rng.IntN(len(creators))
		if rng.IntN(4) == 0 {
			v := rng.IntN(len(viewers))
			if !follows[[2]int{v, c}] {
				follows[[2]int{v, c}] = true
				expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", creators[c].id), nil, viewers[v].token), 200, "")
			}
			continue
		}
		videos = append(videos, e.video(creators[c], fmt.Sprintf("post %d", len(videos))))
	}
	// Creators follow each other too (a creator is a viewer of their own feed).
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", creators[1].id), nil, creators[0].token), 200, "")
	all := append(slices.Clone(viewers), creators[0])
	e.checkFeeds("random graph", all)

	var horizons int64
	if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM feed_inbox_horizon").Scan(&horizons); err != nil {
		t.Fatal(err)
	}
	if horizons == 0 {
		t.Fatal("no inbox was trimmed: the test does not reach the horizon")
	}

	// Big creators: creator5 gets 4 followers, passes the threshold and is pulled; its new
	// posts are in no inbox, yet in every follower's feed.
	big := creators[5]
	for v := range viewers {
		if !follows[[2]int{v, 5}] {
			follows[[2]int{v, 5}] = true
			expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", big.id), nil, viewers[v].token), 200, "")
		}
	}
	var pulled bool
	if err := e.pool.QueryRow(ctx, "SELECT EXISTS (SELECT FROM feed_pull_creators WHERE creator_id = $1)", big.id).Scan(&pulled); err != nil {
		t.Fatal(err)
	}
	if !pulled {
		t.Fatal("a creator with 4 followers is not pulled at a threshold of 3")
	}
	bigPost := e.video(big, "for my many fans")
	var pushed int64
	if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM feed_inbox WHERE video_id = $1", bigPost).Scan(&pushed); err != nil {
		t.Fatal(err)
	}
	if pushed != 0 {
		t.Fatalf("a pulled creator's post was pushed to %d inboxes", pushed)
	}
	if ids := e.followingIDs(viewers[0].token, 5); len(ids) == 0 || ids[0] != bigPost {
		t.Fatalf("the big creator's new post is not first in the feed: %v", ids)
	}
	e.checkFeeds("big creator", all)

	// Changes.
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d/follow", creators[1].id), nil, creators[0].token), 200, "")
	for v := range viewers {
		for c := range 2 {
			if follows[[2]int{v, c}] {
				expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d/follow", creators[c].id), nil, viewers[v].token), 200, "")
				follows[[2]int{v, c}] = false
				break
			}
		}
	}
	e.checkFeeds("unfollow", all)
	for _, v := range videos[len(videos)-8:] {
		owner := creators[0]
		var uid int64
		if err := e.pool.QueryRow(ctx, "SELECT user_id FROM videos WHERE id = $1", v).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		for _, c := range creators {
			if c.id == uid {
				owner = c
			}
		}
		expect(t, e.request("DELETE", fmt.Sprintf("/api/videos/%d", v), nil, owner.token), 200, "")
	}
	e.checkFeeds("delete", all)
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/block", viewers[1].id), nil, creators[2].token), 200, "")
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/block", creators[3].id), nil, viewers[2].token), 200, "")
	e.checkFeeds("block", all)

	mod := e.register("moderator")
	if _, err := e.store.SetRoleByEmail(ctx, mod.email, tiktok.RoleModerator); err != nil {
		t.Fatal(err)
	}
	expect(t, e.request("POST", fmt.Sprintf("/api/admin/videos/%d/hide", videos[len(videos)-9]), map[string]string{"reason": "nudity"}, mod.token), 200, "")
	expect(t, e.request("POST", fmt.Sprintf("/api/admin/users/%d/suspend", creators[4].id), map[string]string{"reason": "spam"}, mod.token), 200, "")
	e.exec("UPDATE videos SET status = 'processing' WHERE id = $1", videos[len(videos)-10])
	e.checkFeeds("moderation, suspension, processing", all)
	expect(t, e.request("POST", fmt.Sprintf("/api/admin/users/%d/unsuspend", creators[4].id), map[string]string{"reason": "appeal"}, mod.token), 200, "")
	e.checkFeeds("unsuspended", all)

	// A fan of the pulled creator deletes their account: their follows go, and with them
	// their pair in feed_pull_follows.
	fan := e.register("fan")
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", big.id), nil, fan.token), 200, "")
	e.checkPullFollows("fan follows")
	var pairs int64
	if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM feed_pull_follows WHERE user_id = $1 AND creator_id = $2", fan.id, big.id).Scan(&pairs); err != nil {
		t.Fatal(err)
	}
	if pairs != 1 {
		t.Fatalf("a follow of a pulled creator left %d pairs in feed_pull_follows, want 1", pairs)
	}
	expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d", fan.id), nil, fan.token), 200, "")
	e.checkFeeds("fan deleted", all)
	// One the pulled creator blocks is unfollowed, and leaves the list too.
	pest := e.register("pest")
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/follow", big.id), nil, pest.token), 200, "")
	expect(t, e.request("POST", fmt.Sprintf("/api/users/%d/block", pest.id), nil, big.token), 200, "")
	if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM feed_pull_follows WHERE user_id = $1", pest.id).Scan(&pairs); err != nil {
		t.Fatal(err)
	}
	if pairs != 0 {
		t.Fatalf("a blocked follower of a pulled creator keeps %d pairs in feed_pull_follows", pairs)
	}
	e.checkFeeds("pulled creator blocks a follower", all)

	// The big creator falls back below 90 % of the threshold: the rebalance pushes its
	// videos into its followers' inboxes again.
	for v := range 3 {
		expect(t, e.request("DELETE", fmt.Sprintf("/api/users/%d/follow", big.id), nil, viewers[v].token), 200, "")
	}
	e.checkFeeds("big creator unfollowed", all)
	// One rebalance at a time (every server runs it): while another holds its lock, a run
	// returns at once and moves nothing.
	held, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := held.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('feed_rebalance'))"); err != nil {
		t.Fatal(err)
	}
	if n, err := e.store.RebalanceFeed(ctx); err != nil || n != 0 {
		t.Fatalf("RebalanceFeed while another runs = %d, %v; want 0 moved", n, err)
	}
	if err := held.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := e.store.RebalanceFeed(ctx); err != nil || n != 1 {
		t.Fatalf("RebalanceFeed = %d, %v; want 1 creator moved", n, err)
	}
	if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM feed_inbox WHERE video_id = $1", bigPost).Scan(&pushed); err != nil {
		t.Fatal(err)
	}
	if pushed != 1 {
		t.Fatalf("after the rebalance the big creator's post is in %d inboxes, want 1", pushed)
	}
	e.checkFeeds("rebalanced", all)
	// And passes it again when the threshold is lowered.
	if n, err := e.store.SetFeedFanoutMaxFollowers(ctx, 0); err != nil || n == 0 {
		t.Fatalf("SetFeedFanoutMaxFollowers(0) = %d, %v", n, err)
	}
	e.video(creators[2], "everyone is pulled now")
	e.checkFeeds("everyone pulled", all)

	// Inboxes stay near their bound.
	var most int64
	if err := e.pool.QueryRow(ctx, "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM feed_inbox GROUP BY user_id) x").Scan(&most); err != nil {
		t.Fatal(err)
	}
	if most > 10+40 {
		t.Fatalf("an inbox holds %d entries, bound 10 (+ the lazy trim's slack)", most)
	}
}

// TestFollowingFeedStorm runs follows, unfollows, posts, deletes and blocks in parallel
// and checks the inboxes are exact afterwards (the triggers serialize on the creator's
// row).
func TestFollowingFeedStorm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec("UPDATE feed_settings SET inbox_max = 10, fanout_max_followers = 4")
	var users []registered
	for i := range 8 {
		users = append(users, e.register(fmt.Sprintf("storm%d", i)))
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			me := users[w]
			var mine []int64
			for range 25 {
				other := users[rng.IntN(len(users))]
				var res response
				switch r := rng.IntN(10); {
				case other.id == me.id || r < 3:
					res = e.request("POST", "/api/videos", map[string]any{"caption": "storm", "videoUrl": "https://cdn.example.com/v.mp4"}, me.token)
					if res.status == 201 {
						mine = append(mine, res.num("id"))
					}
				case r < 6:
					res = e.request("POST", fmt.Sprintf("/api/users/%d/follow", other.id), nil, me.token)
				case r < 8:
					res = e.request("DELETE", fmt.Sprintf("/api/users/%d/follow", other.id), nil, me.token)
				case r < 9 && len(mine) > 0:
					res = e.request("DELETE", fmt.Sprintf("/api/videos/%d", mine[0]), nil, me.token)
					mine = mine[1:]
				default:
					res = e.request("POST", fmt.Sprintf("/api/users/%d/block", other.id), nil, me.token)
					if res.status == 200 {
						res = e.request("DELETE", fmt.Sprintf("/api/users/%d/block", other.id), nil, me.token)
					}
				}
				if res.status >= 500 {
					t.Errorf("%s", res)
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	e.checkFeeds("storm", users)
}

// slowRebalance sets the fan-out threshold and rebalances in one transaction that stays
// open a while after feed_rebalance (as on a large platform, where it takes long): a window
// in which a follow that does not wait for the rebalance would miss the creator's move.
func slowRebalance(ctx context.Context, e *env, lim int64) error {
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, "UPDATE feed_settings SET fanout_max_followers = $1", lim); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "SELECT feed_rebalance()"); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "SELECT pg_sleep(0.02)"); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// TestFollowingFeedPullBurst follows and unfollows creators at the fan-out threshold from
// many goroutines while the threshold flips and feed_rebalance moves the creators in and out
// of feed_pull_creators: a follow committing while its creator becomes pulled must be in
// feed_pull_follows (migration 00027: feed_rebalance locks the creators' rows before it
// copies their follows), and every fan's feed must still equal the pull query's.
func TestFollowingFeedPullBurst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	const high, low = 1000, 2
	e.exec("UPDATE feed_settings SET inbox_max = 10, fanout_max_followers = $1", high)
	var creators, fans []registered
	for i := range 3 {
		c := e.register(fmt.Sprintf("star%d", i))
		creators = append(creators, c)
		for j := range 3 {
			e.video(c, fmt.Sprintf("star %d post %d", i, j))
		}
	}
	for i := range 10 {
		fans = append(fans, e.register(fmt.Sprintf("fan%d", i)))
	}
	done := make(chan struct{})
	var flips sync.WaitGroup
	flips.Add(1)
	go func() {
		defer flips.Done()
		for n := 0; ; n++ {
			select {
			case <-done:
				if n >= 4 {
					return
				}
			default:
			}
			lim := int64(low)
			if n%2 == 1 {
				lim = high
			}
			if err := slowRebalance(ctx, e, lim); err != nil {
				t.Errorf("flip %d: %v", n, err)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w, fan := range fans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 27))
			for range 24 {
				c := creators[rng.IntN(len(creators))]
				method := "POST"
				if rng.IntN(3) == 0 {
					method = "DELETE"
				}
				if res := e.request(method, fmt.Sprintf("/api/users/%d/follow", c.id), nil, fan.token); res.status != 200 {
					t.Errorf("%s follow: %s", method, res)
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	flips.Wait()
	if t.Failed() {
		return
	}
	e.checkPullFollows("burst")
	// Both sides, whichever the last flip left.
	if _, err := e.store.SetFeedFanoutMaxFollowers(ctx, low); err != nil {
		t.Fatal(err)
	}
	e.checkFeeds("burst, pulled", fans[:4])
	if _, err := e.store.SetFeedFanoutMaxFollowers(ctx, high); err != nil {
		t.Fatal(err)
	}
	e.checkFeeds("burst, pushed", fans[:4])
}
