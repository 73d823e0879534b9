package httpapi

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

// tokenVersions caches users' token versions, so that authenticating a request does not ask
// the database each time. It is only trusted while the server listens for token version
// changes (migration 00026 announces every bump and every deleted account on the
// token_versions channel, through LISTEN/NOTIFY, to every server): each time the listener
// connects, the cache starts empty in a new epoch, and while it is not connected nothing is
// cached, so a change can never be missed. Versions only grow, so a cached value is only
// ever replaced by a larger one: a lookup that read the database before a bump and stores
// its answer after the bump's announcement cannot bring the old version back.
//
// A revocation on another server takes effect here when its announcement arrives
// (milliseconds after the commit); one made by this server, at once (Bumped).
type tokenVersions struct {
	mu      sync.Mutex
	epoch   uint64 // the listener's connection; 0: not listening, nothing cached
	next    uint64
	max     int
	entries map[int64]int64 // user → version; deletedVersion for a deleted account
}

// deletedVersion marks an account that no longer exists.
const deletedVersion = -1

func newTokenVersions(max int) *tokenVersions {
	return &tokenVersions{max: max, entries: map[int64]int64{}}
}

// get returns the cached version of user and the epoch to pass to fill after reading the
// database on a miss.
func (c *tokenVersions) get(user int64) (version int64, ok bool, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch == 0 {
		return 0, false, 0
	}
	v, ok := c.entries[user]
	return v, ok, c.epoch
}

// fill stores a version read from the database during epoch (from get).
func (c *tokenVersions) fill(user, version int64, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch == 0 || epoch != c.epoch {
		return // the listener reconnected meanwhile: a change may have been missed
	}
	c.raise(user, version)
}

// bumped records an announced (or local) change: user's version is now version.
func (c *tokenVersions) bumped(user, version int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != 0 {
		c.raise(user, version)
	}
}

// forget drops user's cached version: the next lookup asks the database.
func (c *tokenVersions) forget(user int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.entries[user]; ok && v != deletedVersion {
		delete(c.entries, user)
	}
}

// raise sets user's version unless a larger one is cached; a deleted account stays so.
// Called with mu held.
func (c *tokenVersions) raise(user, version int64) {
	old, ok := c.entries[user]
	switch {
	case ok && old == deletedVersion:
		return
	case ok && version != deletedVersion && version <= old:
		return
	case !ok && len(c.entries) >= c.max:
		for k := range c.entries { // evict an arbitrary entry: the map stays bounded
			delete(c.entries, k)
			break
		}
	}
	c.entries[user] = version
}

// listening starts a new epoch with an empty cache (the listener connected); stopped
// empties it and stops caching (the listener lost its connection).
func (c *tokenVersions) listening() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	c.epoch = c.next
	clear(c.entries)
}

func (c *tokenVersions) stopped() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch = 0
	clear(c.entries)
}

// maxCachedTokenVersions bounds the cache: about 5 MB at most.
const maxCachedTokenVersions = 100_000

// tokenVersionSource announces token version changes (postgres.Store, LISTEN/NOTIFY).
type tokenVersionSource interface {
	ListenTokenVersions(ctx context.Context, connected func(), changed func(user, version int64), reset func()) error
}

// listenTokenVersions keeps c in step with src until ctx ends: it caches while src listens,
// and reconnects with backoff (caching nothing meanwhile) when the connection is lost.
func listenTokenVersions(ctx context.Context, src tokenVersionSource, c *tokenVersions, log *slog.Logger) {
	backoff := 100 * time.Millisecond
	for {
		err := src.ListenTokenVersions(ctx, func() {
			c.listening()
			backoff = 100 * time.Millisecond
		}, c.bumped, c.listening)
		c.stopped()
		if ctx.Err() != nil {
			return
		}
		log.Warn("token versions: listener lost; not caching until it is back", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// tokenVersion returns user's current token version: from the cache when it holds it,
// else from the store (and then cached). A deleted account is not_found.
func (s *Server) tokenVersion(ctx context.Context, user int64) (int64, error) {
	v, ok, epoch := s.versions.get(user)
	if ok {
		if v == deletedVersion {
			return 0, tiktok.NotFound("User")
		}
		return v, nil
	}
	v, err := s.store.TokenVersion(ctx, user)
	switch {
	case err == nil:
		s.versions.fill(user, v, epoch)
	case tiktok.ErrorCode(err) == tiktok.CodeNotFound:
		s.versions.fill(user, deletedVersion, epoch)
	}
	return v, err
}
