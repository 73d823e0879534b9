package seed

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/images"
	"github.com/gotok/tiktok/internal/media"
)

// avatarBatch is how many users seedAvatars reads and updates per statement.
const avatarBatch = 10_000

// seedAvatars gives every user without an avatar a generated one (package images: their
// initials on a colour derived from them, 256 px and 64 px JPEGs), so no client shows a
// broken image. Users with the same initials share the files: there are at most 703
// initials, so the files stored stay few whatever the number of users. The files are
// shared, not owned: users.avatar and avatar_small name them and avatar_media stays NULL,
// so deleting an account or replacing its avatar never deletes them, and the orphans
// command removes one once no user refers to it (a reset deletes them with the wiped data).
// Every stored name is appended to *stored as soon as it exists. It returns how many
// files it stored.
func seedAvatars(ctx context.Context, tx pgx.Tx, store media.Storage, stored *[]string, out io.Writer) (int, error) {
	start := time.Now()
	drawn := map[string]images.StoredAvatar{}
	var last int64
	users := 0
	for {
		rows, _ := tx.Query(ctx, `SELECT id, coalesce(nullif(name, ''), username) FROM users
			WHERE avatar IS NULL AND id > $1 ORDER BY id LIMIT $2`, last, avatarBatch)
		type row struct {
			id   int64
			name string
		}
		batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			return x, r.Scan(&x.id, &x.name)
		})
		if err != nil {
			return 0, fmt.Errorf("seed: avatars: list users: %w", err)
		}
		if len(batch) == 0 {
			break
		}
		keys := make([]string, len(batch))
		var missing []string
		for i, u := range batch {
			keys[i] = images.Initials(u.name)
			if _, ok := drawn[keys[i]]; !ok {
				drawn[keys[i]] = images.StoredAvatar{} // drawn below
				missing = append(missing, keys[i])
			}
		}
		if err := drawAvatars(ctx, store, missing, drawn, stored); err != nil {
			return 0, err
		}
		ids := make([]int64, len(batch))
		large, small := make([]string, len(batch)), make([]string, len(batch))
		for i, u := range batch {
			a := drawn[keys[i]]
			ids[i], large[i], small[i] = u.id, a.Name, a.Small
		}
		_, err = tx.Exec(ctx, `UPDATE users u SET avatar = a.name, avatar_small = a.small
			FROM unnest($1::bigint[], $2::text[], $3::text[]) AS a(id, name, small) WHERE u.id = a.id`, ids, large, small)
		if err != nil {
			return 0, fmt.Errorf("seed: avatars: set: %w", err)
		}
		users += len(batch)
		last = ids[len(ids)-1]
	}
	fmt.Fprintf(out, "seed: %d generated avatars for %d users (%s)\n", len(drawn), users, time.Since(start).Round(time.Millisecond))
	return 2 * len(drawn), nil
}

// drawAvatars draws and stores the avatars of keys with mediaWorkers workers (storing is
// what takes the time: a local store syncs every file), sets drawn[key] for each, and
// appends the stored names to *stored.
func drawAvatars(ctx context.Context, store media.Storage, keys []string, drawn map[string]images.StoredAvatar, stored *[]string) error {
	if len(keys) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	next := make(chan string)
	for range min(mediaWorkers, len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			drawer, err := images.NewDrawer() // a Drawer is not safe for concurrent use
			if err != nil {
				fail(fmt.Errorf("seed: avatars: %w", err))
				return
			}
			for key := range next {
				img, err := drawer.Avatar(key)
				if err != nil {
					fail(fmt.Errorf("seed: avatar %q: %w", key, err))
					continue
				}
				a, err := images.StoreAvatar(ctx, store, img)
				if err != nil {
					fail(fmt.Errorf("seed: avatar %q: %w", key, err))
					continue
				}
				mu.Lock()
				drawn[key] = a
				*stored = append(*stored, a.Names()...)
				mu.Unlock()
			}
		}()
	}
feed:
	for _, key := range keys {
		select {
		case next <- key:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}
