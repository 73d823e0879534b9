// Package maintenance finds and removes media files that no row refers to any more: the
// file of an upload whose request failed after storing it, a replaced storage-compatible
// object, a file left by a crash between deleting a row and deleting its file. The tiktok
// command's orphans subcommand is a thin wrapper around it.
package maintenance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/postgres"
)

// DefaultMinAge is how old an unreferenced file must be before Orphans removes it. An
// upload stores its file before the row that refers to it is committed; the age keeps such
// a file, and any request slower than this is long over (the server's read timeout is 10
// minutes).
const DefaultMinAge = time.Hour

// StorageGrace is how long a file uploaded through the storage-compatible routes counts as
// referenced although no video refers to it yet: the original frontend uploads first and
// creates the video afterwards.
const StorageGrace = 24 * time.Hour

// OrphanOptions tune Orphans.
type OrphanOptions struct {
	// MinAge is the age (by modification time) below which an unreferenced file is kept;
	// zero means DefaultMinAge.
	MinAge time.Duration
	// DryRun reports what would be removed without removing anything.
	DryRun bool
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
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
//
// It lists the files first and the references second, so a row committed while it runs is
// seen; a file stored meanwhile is younger than MinAge and kept. For each orphan it forgets
// the mapping before deleting the file, so no row is ever left pointing at a missing file:
// if a deletion fails, the file stays unreferenced and the next run removes it.
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
	referenced, err := store.ReferencedMedia(ctx, StorageGrace)
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
	if err := store.ForgetStorageObjects(ctx, names); err != nil {
		return rep, fmt.Errorf("orphans: %w", err)
	}
	var errs []error
	for _, f := range orphans {
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
