package load

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Mixed is the workload of a busy site: a pool of logged-in users reading feeds (following
// cursors several pages deep), videos, comments and profiles, and writing likes, unlikes,
// follows, unfollows, comments, comment likes and videos (JSON, media stored elsewhere).
// Every write is idempotent or adds a row, so a correct server answers every request with
// a 2xx; ids come from what earlier responses showed.
type Mixed struct {
	Users    int    // accounts in the pool (default 50)
	Prefix   string // their usernames are <Prefix><n> (default "soak")
	Password string // their password (default "load-password-123")

	accounts []Account
	videos   *idPool
	users    *idPool
	comments *idPool
}

// mixedOp is one kind of request of the mix and its weight.
type mixedOp struct {
	weight int
	make   func(w *mixedWorker, rng *rand.Rand) Request
}

// Setup logs in (registering when needed) the pool of accounts and learns video and user
// ids from the first pages of the feed. The server must not rate-limit registrations and
// logins (RATE_LIMIT_ENABLED=false).
func (m *Mixed) Setup(ctx context.Context, client *http.Client, baseURL string, out io.Writer) error {
	if m.Users <= 0 {
		m.Users = 50
	}
	if m.Prefix == "" {
		m.Prefix = "soak"
	}
	if m.Password == "" {
		m.Password = "load-password-123"
	}
	m.videos, m.users, m.comments = newIDPool(20000), newIDPool(20000), newIDPool(20000)
	start := time.Now()
	m.accounts = make([]Account, m.Users)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, 8)
	for i := range m.accounts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			a, err := LoginOrRegister(ctx, client, baseURL, fmt.Sprintf("%s%d", m.Prefix, i+1), m.Password)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = fmt.Errorf("account %d: %w", i+1, err)
			}
			m.accounts[i] = a
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	for _, a := range m.accounts {
		m.users.add(a.ID)
	}
	cursor := ""
	for page := 0; page < 20; page++ {
		var p feedPage
		path := "/api/videos?limit=100"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		if err := Call(ctx, client, baseURL, "GET", path, "", nil, &p); err != nil {
			return fmt.Errorf("crawl the feed: %w", err)
		}
		m.learnFeed(p)
		if p.Pagination.NextCursor == nil {
			break
		}
		cursor = *p.Pagination.NextCursor
	}
	if m.videos.len() == 0 {
		// An empty site: create one video so every operation has something to act on.
		var v struct {
			ID int64 `json:"id"`
		}
		body := map[string]string{"caption": "first load video", "videoUrl": "https://example.com/load/first.mp4"}
		if err := Call(ctx, client, baseURL, "POST", "/api/videos", m.accounts[0].Token, body, &v); err != nil {
			return fmt.Errorf("create a first video: %w", err)
		}
		m.videos.add(v.ID)
	}
	fmt.Fprintf(out, "mixed: %d accounts ready, %d videos and %d users known (%s)\n",
		len(m.accounts), m.videos.len(), m.users.len(), time.Since(start).Round(time.Millisecond))
	return nil
}

type feedPage struct {
	Videos []struct {
		ID     int64 `json:"id"`
		UserID int64 `json:"userId"`
	} `json:"videos"`
	Pagination struct {
		NextCursor *string `json:"nextCursor"`
	} `json:"pagination"`
}

func (m *Mixed) learnFeed(p feedPage) {
	for _, v := range p.Videos {
		m.videos.add(v.ID)
		m.users.add(v.UserID)
	}
}

// mixedWorker is the state of one worker: the account it acts as and its place in the
// feeds it is scrolling.
type mixedWorker struct {
	m               *Mixed
	me              Account
	feedCursor      string
	followingCursor string
	n               int
}

// Scenario returns the mix; call Setup first. Worker i acts as account i mod Users.
func (m *Mixed) Scenario() Scenario {
	ops := m.ops()
	total := 0
	for _, op := range ops {
		total += op.weight
	}
	return func(worker int) Generator {
		w := &mixedWorker{m: m, me: m.accounts[worker%len(m.accounts)]}
		return func(rng *rand.Rand) Request {
			w.n++
			k := rng.IntN(total)
			for _, op := range ops {
				if k < op.weight {
					return op.make(w, rng)
				}
				k -= op.weight
			}
			panic("unreachable")
		}
	}
}

// ops is the mix: about 70 % reads and 30 % writes.
func (m *Mixed) ops() []mixedOp {
	feedThen := func(cursor *string) func(int, []byte) {
		return func(status int, body []byte) {
			var p feedPage
			if status != http.StatusOK || json.Unmarshal(body, &p) != nil {
				*cursor = ""
				return
			}
			m.learnFeed(p)
			if p.Pagination.NextCursor == nil {
				*cursor = ""
			} else {
				*cursor = *p.Pagination.NextCursor
			}
		}
	}
	learnID := func(pool *idPool) func(int, []byte) {
		return func(status int, body []byte) {
			var x struct {
				ID int64 `json:"id"`
			}
			if status/100 == 2 && json.Unmarshal(body, &x) == nil && x.ID > 0 {
				pool.add(x.ID)
			}
		}
	}
	learnComments := func(status int, body []byte) {
		var p struct {
			Comments []struct {
				ID int64 `json:"id"`
			} `json:"comments"`
		}
		if status == http.StatusOK && json.Unmarshal(body, &p) == nil {
			for _, c := range p.Comments {
				m.comments.add(c.ID)
			}
		}
	}
	// token returns the worker's token for most reads, and none (anonymous) for some.
	token := func(w *mixedWorker, rng *rand.Rand) string {
		if rng.IntN(4) == 0 {
			return ""
		}
		return w.me.Token
	}
	page := func(path, cursor string) string {
		if cursor == "" {
			return path
		}
		return path + "?cursor=" + url.QueryEscape(cursor)
	}
	return []mixedOp{
		{14, func(w *mixedWorker, rng *rand.Rand) Request { // the For You feed, scrolling
			if w.feedCursor != "" && rng.IntN(10) == 0 {
				w.feedCursor = "" // back to the top now and then
			}
			return Request{Name: "GET /api/videos", Method: "GET", Path: page("/api/videos", w.feedCursor),
				Token: token(w, rng), Then: feedThen(&w.feedCursor)}
		}},
		{6, func(w *mixedWorker, rng *rand.Rand) Request {
			if w.followingCursor != "" && rng.IntN(5) == 0 {
				w.followingCursor = ""
			}
			return Request{Name: "GET /api/videos/following", Method: "GET", Path: page("/api/videos/following", w.followingCursor),
				Token: w.me.Token, Then: feedThen(&w.followingCursor)}
		}},
		{14, func(w *mixedWorker, rng *rand.Rand) Request {
			return Request{Name: "GET /api/videos/{id}", Method: "GET", Path: "/api/videos/" + m.videos.pickString(rng), Token: token(w, rng)}
		}},
		{8, func(w *mixedWorker, rng *rand.Rand) Request {
			return Request{Name: "GET /api/videos/{id}/comments", Method: "GET", Path: "/api/videos/" + m.videos.pickString(rng) + "/comments",
				Token: token(w, rng), Then: learnComments}
		}},
		{6, func(w *mixedWorker, rng *rand.Rand) Request {
			return Request{Name: "GET /api/users/{id}", Method: "GET", Path: "/api/users/" + m.users.pickString(rng), Token: token(w, rng)}
		}},
		{6, func(w *mixedWorker, rng *rand.Rand) Request {
			return Request{Name: "GET /api/users/{id}/videos", Method: "GET", Path: "/api/users/" + m.users.pickString(rng) + "/videos",
				Token: token(w, rng), Then: feedThen(new(string))}
		}},
		{2, func(w *mixedWorker, rng *rand.Rand) Request {
			return Request{Name: "GET /api/users/{id}/followers", Method: "GET", Path: "/api/users/" + m.users.pickString(rng) + "/followers", Token: token(w, rng)}
		}},
		{2, func(w *mixedWorker, rng *rand.Rand) Request {
			return Request{Name: "GET /api/users?q=", Method: "GET", Path: "/api/users?q=" + m.Prefix[:1], Token: token(w, rng)}
		}},
		{2, func(w *mixedWorker, rng *rand.Rand) Request {
			return Request{Name: "GET /api/users/me", Method: "GET", Path: "/api/users/me", Token: w.me.Token}
		}},
		{7, func(w *mixedWorker, rng *rand.Rand) Request {
			return Request{Name: "POST /api/videos/{id}/like", Method: "POST", Path: "/api/videos/" + m.videos.pickString(rng) + "/like", Token: w.me.Token}
		}},
		{5, func(w *mixedWorker, rng *rand.Rand) Request {
			return Request{Name: "DELETE /api/videos/{id}/like", Method: "DELETE", Path: "/api/videos/" + m.videos.pickString(rng) + "/like", Token: w.me.Token}
		}},
		{4, func(w *mixedWorker, rng *rand.Rand) Request {
			return Request{Name: "POST /api/users/{id}/follow", Method: "POST", Path: "/api/users/" + m.otherUser(w, rng) + "/follow", Token: w.me.Token}
		}},
		{3, func(w *mixedWorker, rng *rand.Rand) Request {
			return Request{Name: "DELETE /api/users/{id}/follow", Method: "DELETE", Path: "/api/users/" + m.otherUser(w, rng) + "/follow", Token: w.me.Token}
		}},
		{5, func(w *mixedWorker, rng *rand.Rand) Request {
			body := fmt.Sprintf(`{"videoId":%s,"content":"load comment %d from worker %d"}`, m.videos.pickString(rng), w.n, w.me.ID)
			return Request{Name: "POST /api/comments", Method: "POST", Path: "/api/comments", Body: []byte(body), Token: w.me.Token, Then: learnID(m.comments)}
		}},
		{3, func(w *mixedWorker, rng *rand.Rand) Request {
			if m.comments.len() == 0 {
				return Request{Name: "GET /api/videos/{id}/comments", Method: "GET", Path: "/api/videos/" + m.videos.pickString(rng) + "/comments", Then: learnComments}
			}
			return Request{Name: "POST /api/comments/{id}/like", Method: "POST", Path: "/api/comments/" + m.comments.pickString(rng) + "/like", Token: w.me.Token}
		}},
		{2, func(w *mixedWorker, rng *rand.Rand) Request {
			if m.comments.len() == 0 {
				return Request{Name: "GET /api/videos/{id}/comments", Method: "GET", Path: "/api/videos/" + m.videos.pickString(rng) + "/comments", Then: learnComments}
			}
			return Request{Name: "DELETE /api/comments/{id}/like", Method: "DELETE", Path: "/api/comments/" + m.comments.pickString(rng) + "/like", Token: w.me.Token}
		}},
		{2, func(w *mixedWorker, rng *rand.Rand) Request {
			n := rng.Uint64()
			body := fmt.Sprintf(`{"caption":"load video %d #load","audioName":"original sound - load","videoUrl":"https://example.com/load/%x.mp4","thumbnailUrl":"https://example.com/load/%x.jpg"}`, n, n, n)
			return Request{Name: "POST /api/videos", Method: "POST", Path: "/api/videos", Body: []byte(body), Token: w.me.Token, Then: learnID(m.videos)}
		}},
		{1, func(w *mixedWorker, rng *rand.Rand) Request {
			a := m.accounts[rng.IntN(len(m.accounts))]
			body, _ := json.Marshal(map[string]string{"email": a.Email, "password": m.Password})
			return Request{Name: "POST /api/users/login", Method: "POST", Path: "/api/users/login", Body: body}
		}},
	}
}

// otherUser returns a known user id other than the worker's own (following oneself is a 400).
func (m *Mixed) otherUser(w *mixedWorker, rng *rand.Rand) string {
	for range 8 {
		if id := m.users.pick(rng); id != w.me.ID {
			return strconv.FormatInt(id, 10)
		}
	}
	for _, a := range m.accounts {
		if a.ID != w.me.ID {
			return strconv.FormatInt(a.ID, 10)
		}
	}
	return strconv.FormatInt(w.me.ID+1, 10)
}

// idPool is a bounded set of ids learned from responses; once full, new ids replace old
// ones in turn.
type idPool struct {
	mu   sync.Mutex
	ids  []int64
	seen map[int64]struct{}
	next int
	cap  int
}

func newIDPool(capacity int) *idPool {
	return &idPool{cap: capacity, seen: map[int64]struct{}{}}
}

func (p *idPool) add(id int64) {
	if id <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.seen[id]; ok {
		return
	}
	if len(p.ids) < p.cap {
		p.ids = append(p.ids, id)
	} else {
		delete(p.seen, p.ids[p.next])
		p.ids[p.next] = id
		p.next = (p.next + 1) % p.cap
	}
	p.seen[id] = struct{}{}
}

func (p *idPool) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ids)
}

// pick returns a random id, or 1 when the pool is empty.
func (p *idPool) pick(rng *rand.Rand) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ids) == 0 {
		return 1
	}
	return p.ids[rng.IntN(len(p.ids))]
}

func (p *idPool) pickString(rng *rand.Rand) string {
	return strconv.FormatInt(p.pick(rng), 10)
}
