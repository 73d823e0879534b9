// Package notify fans out the database's notification announcements to the live streams
// of one server process. The process listens on one database connection (its Source),
// however many streams it serves; each stream subscribes to its user's announcements and
// reads the notifications themselves from the table. Nothing here ever waits on a stream:
// announcements are folded into a bounded per-stream state (see Pending), so a burst or a
// stream that stops reading costs a few bytes, never a blocked listener.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

// Source announces notification changes: postgres.Store, through LISTEN/NOTIFY. It
// announces only the notifications of users some server has registered as listened to.
type Source interface {
	// ListenNotifications calls connected once it listens, then deliver for every
	// announcement (deliver must not block), until ctx ends or the connection fails; it
	// returns why it stopped.
	ListenNotifications(ctx context.Context, connected func(), deliver func(tiktok.NotificationSignal)) error
	// AddNotificationListener registers that server streams userID's notifications;
	// whatever commits for userID after it returns is announced.
	AddNotificationListener(ctx context.Context, server string, userID int64) error
	// SyncNotificationListeners makes users the whole of server's registrations, and
	// forgets those of servers that stopped syncing.
	SyncNotificationListeners(ctx context.Context, server string, users []int64) error
}

// Config bounds the hub. Zero fields take the defaults.
type Config struct {
	PerUser int // streams one user may have open on this server (default 5)
	Total   int // streams this server may have open (default 10 000)
	// Buffer is how many changes, removals and read marks a stream may have pending
	// (default 64); past it they collapse into one Resync. New activity never queues: any
	// amount of it is one flag.
	Buffer int
	// MinBackoff and MaxBackoff bound the wait before the listener reconnects: it starts
	// at MinBackoff (100 ms) and doubles up to MaxBackoff (10 s) while connecting fails.
	MinBackoff, MaxBackoff time.Duration
	// SyncEvery is how often the server's registrations are synced (default 30 s; the
	// database forgets registrations not synced for 2 minutes).
	SyncEvery time.Duration
}

func (c Config) withDefaults() Config {
	if c.PerUser <= 0 {
		c.PerUser = 5
	}
	if c.Total <= 0 {
		c.Total = 10_000
	}
	if c.Buffer <= 0 {
		c.Buffer = 64
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(10*time.Second, c.MinBackoff)
	}
	if c.SyncEvery <= 0 {
		c.SyncEvery = 30 * time.Second
	}
	return c
}

// ErrClosed ends the subscriptions of a hub that closed: the server is shutting down.
var ErrClosed = &tiktok.Error{Code: tiktok.CodeUnavailable, Message: "The server is shutting down; reconnect with Last-Event-ID"}

// Hub is the fan-out of one server process. It is safe for concurrent use.
type Hub struct {
	src    Source
	cfg    Config
	log    *slog.Logger
	server string // this process's id among the listeners

	mu         sync.Mutex
	subs       map[int64]map[*Subscription]struct{} // by user
	registered map[int64]bool                       // users this server is registered for
	total      int
	closed     bool
	started    bool
	stop       context.CancelFunc
	stopped    sync.WaitGroup // the listener's and the syncer's goroutines
	syncNow    chan struct{}  // capacity 1: sync the registrations now
	closing    sync.Once

	// registering serializes the writes of registrations (Subscribe's and sync's), so a
	// sync cannot delete a registration made while it ran.
	registering sync.Mutex
}

// NewHub returns a hub over src. It connects on the first subscription, and stays
// connected (reconnecting with backoff) until Close.
func NewHub(src Source, cfg Config, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	return &Hub{src: src, cfg: cfg.withDefaults(), log: log, server: hex.EncodeToString(id[:]),
		subs: map[int64]map[*Subscription]struct{}{}, registered: map[int64]bool{}, syncNow: make(chan struct{}, 1)}
}

// Pending is what happened to a subscription's user since its last Take.
type Pending struct {
	// Added: there may be new activity; read the notifications newer than the last one
	// sent from the table (one query, however many announcements there were).
	Added bool
	// Resync: changes may have been missed (the listener reconnected, or more than
	// Config.Buffer of them came at once): the client should refetch its list.
	Resync bool
	// Changes are the shrunk groups, removed groups and read marks, in commit order.
	Changes []tiktok.NotificationSignal
}

// Subscription is one stream's share of the announcements: those of its user. Wake
// receives a value when something is pending (Take it); Done is closed when the
// subscription has ended.
type Subscription struct {
	User int64

	hub  *Hub
	wake chan struct{} // capacity 1: a pending wake-up
	done chan struct{}
	// under hub.mu
	pending Pending
	err     error
}

// Wake receives when something is pending.
func (s *Subscription) Wake() <-chan struct{} { return s.wake }

// Done is closed when the subscription has ended.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Take returns what is pending and clears it.
func (s *Subscription) Take() Pending {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	p := s.pending
	s.pending = Pending{}
	return p
}

// Err says why the hub ended the subscription (ErrClosed) once Done is closed; nil while
// it runs and after Close.
func (s *Subscription) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// Close ends the subscription. It may be called more than once.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.end(s, nil)
}

// Subscribe subscribes to user's announcements, registering this server as a listener of
// user first when it is not yet. It fails with rate_limited (Retry-After set) when the
// user or the server has as many streams as allowed, with unavailable once the hub is
// closed, and with the source's error when the registration fails.
func (h *Hub) Subscribe(ctx context.Context, user int64) (*Subscription, error) {
	h.mu.Lock()
	switch {
	case h.closed:
		h.mu.Unlock()
		return nil, ErrClosed
	case h.total >= h.cfg.Total:
		h.mu.Unlock()
		return nil, &tiktok.Error{Code: tiktok.CodeRateLimited, RetryAfter: 30 * time.Second,
			Message: "Too many notification streams on this server; try again later"}
	case len(h.subs[user]) >= h.cfg.PerUser:
		h.mu.Unlock()
		return nil, TooManyForUser()
	}
	s := &Subscription{User: user, hub: h, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if h.subs[user] == nil {
		h.subs[user] = map[*Subscription]struct{}{}
	}
	h.subs[user][s] = struct{}{}
	h.total++
	if !h.started {
		h.started = true
		bg, cancel := context.WithCancel(context.Background())
		h.stop = cancel
		h.stopped.Add(2)
		go h.listen(bg)
		go h.keepRegistered(bg)
	}
	h.mu.Unlock()
	if err := h.register(ctx, user); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// register registers this server as a listener of user unless it is already.
func (h *Hub) register(ctx context.Context, user int64) error {
	h.mu.Lock()
	done := h.registered[user]
	h.mu.Unlock()
	if done {
		return nil
	}
	h.registering.Lock()
	defer h.registering.Unlock()
	h.mu.Lock()
	done = h.registered[user]
	h.mu.Unlock()
	if done {
		return nil
	}
	if err := h.src.AddNotificationListener(ctx, h.server, user); err != nil {
		return err
	}
	h.mu.Lock()
	h.registered[user] = true
	h.mu.Unlock()
	return nil
}

// sync makes the server's registrations the users it streams to now.
func (h *Hub) sync(ctx context.Context) error {
	h.registering.Lock()
	defer h.registering.Unlock()
	h.mu.Lock()
	users := make([]int64, 0, len(h.subs))
	for u := range h.subs {
		users = append(users, u)
	}
	h.mu.Unlock()
	if err := h.src.SyncNotificationListeners(ctx, h.server, users); err != nil {
		return err
	}
	h.mu.Lock()
	clear(h.registered)
	for _, u := range users {
		h.registered[u] = true
	}
	h.mu.Unlock()
	return nil
}

// keepRegistered syncs the registrations every Config.SyncEvery, and when the listener
// (re)connects, until ctx ends.
func (h *Hub) keepRegistered(ctx context.Context) {
	defer h.stopped.Done()
	tick := time.NewTicker(h.cfg.SyncEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-h.syncNow:
		}
		if err := h.sync(ctx); err != nil && ctx.Err() == nil {
			h.log.Warn("notifications: syncing the listeners failed", "err", err)
		}
	}
}

// TooManyForUser is the answer to a user who has as many streams open as PerUser allows.
func TooManyForUser() error {
	return &tiktok.Error{Code: tiktok.CodeRateLimited, RetryAfter: 10 * time.Second,
		Message: "Too many notification streams open for this user; close one first"}
}

// PerUser is how many streams one user may have open (on this server, and across servers
// where the server shares a count).
func (h *Hub) PerUser() int { return h.cfg.PerUser }

// Streams returns how many subscriptions are open.
func (h *Hub) Streams() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total
}

// Close ends every subscription (Err: ErrClosed), refuses new ones, stops listening and
// removes the server's registrations. It may be called more than once, also concurrently:
// every call returns when the hub is closed.
func (h *Hub) Close() {
	h.closing.Do(func() {
		h.mu.Lock()
		h.closed = true
		for _, subs := range h.subs {
			for s := range subs {
				h.end(s, ErrClosed)
			}
		}
		started := h.started
		h.mu.Unlock()
		if !started {
			return
		}
		h.stop()
		h.stopped.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := h.sync(ctx); err != nil {
			h.log.Warn("notifications: removing the listeners failed (they expire within 2 minutes)", "err", err)
		}
	})
}

// end removes s, recording why; h.mu is held.
func (h *Hub) end(s *Subscription, why error) {
	subs := h.subs[s.User]
	if _, ok := subs[s]; !ok {
		return
	}
	delete(subs, s)
	if len(subs) == 0 {
		delete(h.subs, s.User)
	}
	h.total--
	s.err = why
	close(s.done)
}

// offer folds sig into what s has pending and wakes it, without ever waiting. h.mu is
// held.
func (h *Hub) offer(s *Subscription, sig tiktok.NotificationSignal) {
	p := &s.pending
	switch sig.Op {
	case tiktok.NotificationAdded:
		p.Added = true
	case tiktok.NotificationChanged, tiktok.NotificationRemoved, tiktok.NotificationsRead:
		if len(p.Changes) < h.cfg.Buffer {
			p.Changes = append(p.Changes, sig)
		} else {
			p.Added, p.Resync, p.Changes = true, true, nil
		}
	}
	select {
	case s.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// Publish hands sig to the subscriptions of its recipient.
func (h *Hub) Publish(sig tiktok.NotificationSignal) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[sig.Recipient] {
		h.offer(s, sig)
	}
}

// listen keeps the source listening until ctx ends, reconnecting with backoff. Every
// connection makes the subscriptions read the table for activity they may have missed
// while it was not listening; a reconnection also makes them resync.
func (h *Hub) listen(ctx context.Context) {
	defer h.stopped.Done()
	backoff := h.cfg.MinBackoff
	first := true
	for {
		err := h.src.ListenNotifications(ctx, func() {
			h.mu.Lock()
			for _, subs := range h.subs {
				for s := range subs {
					s.pending.Added = true
					s.pending.Resync = s.pending.Resync || !first
					h.offer(s, tiktok.NotificationSignal{})
				}
			}
			h.mu.Unlock()
			if !first { // registrations may have expired while the database was away
				select {
				case h.syncNow <- struct{}{}:
				default:
				}
			}
			first = false
			backoff = h.cfg.MinBackoff
			h.log.Info("notifications: listening")
		}, h.Publish)
		if ctx.Err() != nil {
			return
		}
		h.log.Warn("notifications: listener lost; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, h.cfg.MaxBackoff)
	}
}
