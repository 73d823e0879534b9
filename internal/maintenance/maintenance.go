// Package maintenance removes media nobody needs any more: files that no row refers to
// (the file of an upload whose request failed after storing it, a file left by a crash
// between deleting a row and deleting its file) — the tiktok command's orphans subcommand
// is a thin wrapper around Orphans — and storage-compatible uploads that no video claimed
// in time, which serve sweeps in the background (SweepStorageEvery).
package maintenance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

// DefaultMinAge is how old an unreferenced file must be before Orphans removes it. An
// upload stores its file before the row that refers to it is committed; the age keeps such
// a file, and any request slower than this is long over (the server's read timeout is 10
// minutes).
const DefaultMinAge = time.Hour

// DefaultStorageTTL is how long a file uploaded through the storage-compatible routes is
// kept while no video claims it (STORAGE_UNCLAIMED_TTL). The original frontend uploads and
// then posts the video in the same submit, seconds apart; an hour covers a slow second
// upload with room to spare, and bounds what an anonymous client can keep stored to about
// two hours of its upload budget.
const DefaultStorageTTL = time.Hour

// OrphanOptions tune Orphans.
type OrphanOptions struct {
	// MinAge is the age (by modification time) below which an unreferenced file is kept;
	// zero means DefaultMinAge.
	MinAge time.Duration
	// DryRun reports what would be removed without removing anything.
	DryRun bool
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// StorageTTL is how long a storage-compatible upload no video claimed counts as
	// referenced; zero means DefaultStorageTTL.
	StorageTTL time.Duration
}

// File is a stored media file.
type File struct {
	Name    string
	Size    int64
	ModTime time.Time
}

// OrphansReport says what Orphans found and did.
type OrphansReport struct {
	Scanned int    // stored files looked at
	Removed []File // unreferenced files removed (with DryRun: that would be removed)
	Bytes   int64  // total size of Removed
	Young   int    // unreferenced files kept because they are younger than MinAge
	DryRun  bool
	// StaleTemp counts temporary files of uploads that never finished (a crash mid-upload),
	// older than MinAge, removed (with DryRun: found) — for storages that have them.
	StaleTemp int
}

// tempSweeper is implemented by storages that write through temporary files (media.Local).
type tempSweeper interface {
	RemoveStaleTemp(ctx context.Context, cutoff time.Time, dryRun bool) (int, error)
}

// Orphans removes from files every stored file that no row of store refers to and that is
// older than opts.MinAge, and forgets the storage-compatible mappings of the removed files.
// A storage-compatible upload counts as referenced while a video owns it or while it is
// younger than opts.StorageTTL.
//
// It lists the files first and the references second, so a row committed while it runs is
// seen; a file stored meanwhile is younger than MinAge and kept. For each orphan it forgets
// the mapping before deleting the file, so no row is ever left pointing at a missing file:
// if a deletion fails, the file stays unreferenced and the next run removes it. An upload a
// video claimed after the references were read is not forgotten, and its file is kept.
//
// It fails when the files cannot be listed or the references cannot be loaded (having
// removed nothing), or, after trying every orphan, with the joined errors of the deletions
// that failed; the report then lists only the files really removed.
func Orphans(ctx context.Context, store *postgres.Store, files media.Storage, opts OrphanOptions) (OrphansReport, error) {
	if opts.MinAge <= 0 {
		opts.MinAge = DefaultMinAge
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StorageTTL <= 0 {
		opts.StorageTTL = DefaultStorageTTL
	}
	rep := OrphansReport{DryRun: opts.DryRun}
	cutoff := opts.Now().Add(-opts.MinAge)
	if sw, ok := files.(tempSweeper); ok {
		n, err := sw.RemoveStaleTemp(ctx, cutoff, opts.DryRun)
		rep.StaleTemp = n
		if err != nil {
			return rep, fmt.Errorf("orphans: %w", err)
		}
	}
	var all []File
	err := files.Walk(ctx, func(name string, size int64, modTime time.Time) error {
		all = append(all, File{Name: name, Size: size, ModTime: modTime})
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("orphans: list files: %w", err)
	}
	rep.Scanned = len(all)
	referenced, err := store.ReferencedMedia(ctx, opts.StorageTTL)
	if err != nil {
		return rep, fmt.Errorf("orphans: %w", err)
	}
	var orphans []File
	for _, f := range all {
		switch {
		case referenced[f.Name]:
		case f.ModTime.After(cutoff):
			rep.Young++
		default:
			orphans = append(orphans, f)
		}
	}
	if opts.DryRun {
		rep.Removed = orphans
		for _, f := range orphans {
			rep.Bytes += f.Size
		}
		return rep, nil
	}
	if len(orphans) == 0 {
		return rep, nil
	}
	names := make([]string, len(orphans))
	for i, f := range orphans {
		names[i] = f.Name
	}
	claimed, err := store.ForgetStorageObjects(ctx, names)
	if err != nil {
		return rep, fmt.Errorf("orphans: %w", err)
	}
	var errs []error
	for _, f := range orphans {
		if claimed[f.Name] {
			continue
		}
		if err := files.Delete(ctx, f.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		rep.Removed = append(rep.Removed, f)
		rep.Bytes += f.Size
	}
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("orphans: %w", err)
	}
	return rep, nil
}

// sweepBatch is how many objects SweepStorage deletes per statement.
const sweepBatch = 500

// SweepStorage removes the storage-compatible uploads that no video claimed within ttl:
// each object's row first, then its file, so no row ever points at a missing file. It is
// safe to run in several processes at once (each object is removed by exactly one) and
// never removes an object a video is claiming at the same time. Once rows are deleted
// their files are deleted even if ctx ends; a file whose deletion fails stays unreferenced
// for the orphans command. It returns how many objects it removed, and the joined errors
// of the statement or the deletions that failed.
func SweepStorage(ctx context.Context, store *postgres.Store, files media.Storage, ttl time.Duration) (int, error) {
	removed := 0
	var errs []error
	for ctx.Err() == nil {
		names, err := store.ExpireStorageObjects(ctx, ttl, sweepBatch)
		if err != nil {
			errs = append(errs, err)
			break
		}
		for _, n := range names {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if err := files.Delete(dctx, n); err != nil {
				errs = append(errs, err)
			}
			cancel()
		}
		removed += len(names)
		if len(names) < sweepBatch {
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("storage sweep: %w", err)
	}
	return removed, nil
}

// SweepInterval is how often serve sweeps for unclaimed uploads kept for ttl: a quarter of
// ttl, at least a second and at most five minutes, so an upload is gone at most a quarter
// later than its ttl and an idle database sees one cheap indexed query every few minutes.
func SweepInterval(ttl time.Duration) time.Duration {
	return min(max(ttl/4, time.Second), 5*time.Minute)
}

// SweepStorageEvery runs SweepStorage at once and then every interval until ctx ends,
// skipping a round while ready (when not nil) returns an error (migrations pending). It
// logs what it removed and why a round failed, and returns when ctx ends.
func SweepStorageEvery(ctx context.Context, store *postgres.Store, files media.Storage, ttl, interval time.Duration, ready func() error, log *slog.Logger) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if ready == nil || ready() == nil {
			n, err := SweepStorage(ctx, store, files, ttl)
			if n > 0 {
				log.Info("removed storage uploads no video claimed", "objects", n, "ttl", ttl)
			}
			if err != nil && ctx.Err() == nil {
				log.Warn("storage sweep failed", "err", err)
			}
		}
		timer.Reset(interval)
	}
}

// FeedEvery keeps the For You feed's state: once the schema is ready (ready returns nil) it
// stores ranking as the ranking's weights, re-ranking every video if they changed, gives
// videos that predate hashtags and sounds theirs (postgres.BackfillDiscovery), and then
// every interval forgets expired sessions and decayed interests. It returns when ctx ends.
func FeedEvery(ctx context.Context, store *postgres.Store, ranking tiktok.Ranking, interval time.Duration, ready func() error, log *slog.Logger) {
	configured := false
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		switch {
		case ready != nil && ready() != nil:
			timer.Reset(time.Second)
			continue
		case !configured:
			n, err := store.ConfigureRanking(ctx, ranking)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("storing the feed ranking failed", "err", err)
				}
				timer.Reset(time.Second)
				continue
			}
			configured = true
			if n > 0 {
				log.Info("feed ranking changed: re-ranked videos", "videos", n)
			}
			backfillDiscovery(ctx, store, log)
		}
		n, err := store.PruneFeed(ctx)
		if n > 0 {
			log.Info("forgot expired feed sessions and faded interests", "rows", n)
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("feed pruning failed", "err", err)
		}
		timer.Reset(interval)
	}
}

// backfillBatch is how many videos one backfill transaction takes.
const backfillBatch = 500

// backfillDiscovery runs the discovery backfill to its end (or until ctx ends), logging
// its progress.
func backfillDiscovery(ctx context.Context, store *postgres.Store, log *slog.Logger) {
	total, start := 0, time.Now()
	for ctx.Err() == nil {
		n, more, err := store.BackfillDiscovery(ctx, backfillBatch)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("hashtag and sound backfill failed; retried at the next start", "err", err)
			}
			return
		}
		total += n
		if total > 0 && (!more || total%(100*backfillBatch) == 0) {
			log.Info("backfilled hashtags and sounds of existing videos", "videos", total, "done", !more, "took", time.Since(start).Round(time.Millisecond))
		}
		if !more {
			return
		}
	}
}
