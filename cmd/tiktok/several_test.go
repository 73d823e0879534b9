package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/redistest"
)

// TestSeveralServers runs two `serve` processes on one database, one Redis and (under make
// test) a streaming replica, and drives a mixed load through both, alternating servers: no
// request fails with a 5xx, a write limit holds across both servers, a view sent to both is
// counted once, a notification caused on one reaches a stream on the other, and every
// counter equals COUNT(*) afterwards.
func TestSeveralServers(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	pool := pgtest.Pool(t)
	dbURL := pool.Config().ConnString()
	vars := testEnv(t)
	vars["DATABASE_URL"] = dbURL
	vars["JWT_SECRET"] = strings.Repeat("several-servers-", 3)
	vars["REDIS_URL"] = rs.URL()
	vars["MEDIA_PROCESSING"] = "off"
	vars["RATE_LIMIT_WRITES_USER"] = "25"
	if replica := pgtest.ReplicaURL(t, dbURL); replica != "" {
		vars["DATABASE_REPLICA_URLS"] = replica
	} else {
		t.Log("no TEST_REPLICA_URL: the servers read from the primary only")
	}
	servers := []*server{startServeProcess(t, maps.Clone(vars)), startServeProcess(t, maps.Clone(vars))}
	on := func(i int) *server { return servers[i%2] }

	type user struct {
		id    int64
		token string
	}
	var users []user
	for i := range 6 {
		status, body := on(i).call(t, "POST", "/api/users/register", "", map[string]string{
			"username": fmt.Sprintf("several%d", i), "email": fmt.Sprintf("several%d@example.com", i), "password": "correct horse"})
		if status != http.StatusCreated {
			t.Fatalf("register: %d %v", status, body)
		}
		users = append(users, user{int64(body["user"].(map[string]any)["id"].(float64)), body["token"].(string)})
	}
	var videos []int64
	for i, u := range users {
		status, body := on(i+1).call(t, "POST", "/api/videos", u.token, map[string]any{"caption": fmt.Sprintf("video %d #several", i), "videoUrl": "https://cdn.example.com/v.mp4"})
		if status != http.StatusCreated {
			t.Fatalf("create video: %d %v", status, body)
		}
		videos = append(videos, int64(body["id"].(float64)))
	}

	// A stream on server B hears a like sent to server A.
	stream := openStream(t, servers[1], users[0].token)
	if status, body := servers[0].call(t, "POST", fmt.Sprintf("/api/videos/%d/like", videos[0]), users[1].token, nil); status != http.StatusOK {
		t.Fatalf("like: %d %v", status, body)
	}
	if ev := nextEvent(t, stream); ev.name != "notification" || !strings.Contains(ev.data, `"video_like"`) {
		t.Fatalf("the stream on B after a like on A: %+v", ev)
	}

	// Mixed load through both servers; users 2-5 act, every request on the other server
	// than the previous one.
	var (
		wg      sync.WaitGroup
		n, bad  atomic.Int64
		mu      sync.Mutex
		samples []string
	)
	for w := range 4 {
		u := users[2+w]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 12 {
				s := on(w + i)
				v := videos[(w+i)%len(videos)]
				reqs := []struct {
					method, path string
					body         any
				}{
					{"GET", "/api/videos?limit=10", nil},
					{"GET", fmt.Sprintf("/api/videos/%d", v), nil},
					{"GET", "/api/videos/following", nil},
					{"POST", fmt.Sprintf("/api/videos/%d/like", v), nil},
					{"GET", fmt.Sprintf("/api/videos/%d/comments", v), nil},
					{"DELETE", fmt.Sprintf("/api/videos/%d/like", v), nil},
					{"GET", "/api/search?q=several", nil},
				}
				r := reqs[i%len(reqs)]
				res, err := s.api.Do(r.method, r.path, r.body, u.token)
				n.Add(1)
				if err != nil || res.Status >= 500 {
					bad.Add(1)
					mu.Lock()
					samples = append(samples, fmt.Sprintf("%s %s: %v %d %.200s", r.method, r.path, err, res.Status, res.Raw))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() > 0 {
		t.Errorf("%d of %d requests failed with a 5xx or no answer: %v", bad.Load(), n.Load(), samples)
	}

	// The write limit is one budget across both servers: a burst of 40 comments by one
	// user, spread over both, gets at most 25 through.
	var created, limited atomic.Int64
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := on(i).api.Do("POST", "/api/comments", map[string]any{"videoId": videos[1], "content": fmt.Sprintf("burst %d", i)}, users[0].token)
			switch {
			case err != nil:
				t.Errorf("comment: %v", err)
			case res.Status == http.StatusCreated:
				created.Add(1)
			case res.Status == http.StatusTooManyRequests:
				limited.Add(1)
			default:
				t.Errorf("comment: %d %.200s", res.Status, res.Raw)
			}
		}()
	}
	wg.Wait()
	if created.Load() > 25 || created.Load()+limited.Load() != 40 {
		t.Errorf("burst of 40 comments over both servers: %d created, %d limited; want at most 25 created", created.Load(), limited.Load())
	}

	// One viewer's views of one video on both servers count once (a video of its own: the
	// load above viewed the others, and those views may still be on their way).
	status, body := servers[1].call(t, "POST", "/api/videos", users[1].token, map[string]any{"caption": "viewed", "videoUrl": "https://cdn.example.com/v.mp4"})
	if status != http.StatusCreated {
		t.Fatalf("create video: %d %v", status, body)
	}
	view := int64(body["id"].(float64))
	before := viewsOf(t, pool, view)
	for i := range 6 {
		if res, err := on(i).api.Do("POST", fmt.Sprintf("/api/videos/%d/view", view), nil, users[3].token); err != nil || res.Status != http.StatusNoContent {
			t.Fatalf("view: %v %v", err, res.Status)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for viewsOf(t, pool, view) < before+1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // both servers' flushes
	if got := viewsOf(t, pool, view); got != before+1 {
		t.Errorf("views after one viewer viewed 6 times on two servers: %d, want %d", got, before+1)
	}

	pgtest.CheckCounters(t, pool)
}

func viewsOf(t *testing.T, pool *pgxpool.Pool, video int64) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), `SELECT views FROM videos WHERE id = $1`, video).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
