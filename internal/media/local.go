package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// MaxNameLen is the longest name, in bytes, that a Storage accepts.
const MaxNameLen = 200

// tempPrefix starts the names of files a Put is still writing. Valid names never start with
// a dot, so a temporary file can neither collide with nor be mistaken for a stored one.
const tempPrefix = ".put-"

// copyBufSize is the chunk size Put streams with; the context is checked between chunks.
const copyBufSize = 32 << 10

// ValidateName returns nil when name may be used as a stored file's name: 1 to MaxNameLen
// bytes of [A-Za-z0-9._-], not starting with a dot and not containing "..". Any other name
// (a path, a hidden file, an empty string, …) yields an error wrapping fs.ErrInvalid.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("media: empty name: %w", fs.ErrInvalid)
	case len(name) > MaxNameLen:
		return fmt.Errorf("media: name longer than %d bytes: %w", MaxNameLen, fs.ErrInvalid)
	case name[0] == '.':
		return fmt.Errorf("media: name %q starts with a dot: %w", name, fs.ErrInvalid)
	case strings.Contains(name, ".."):
		return fmt.Errorf("media: name %q contains \"..\": %w", name, fs.ErrInvalid)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("media: name %q contains a disallowed character: %w", name, fs.ErrInvalid)
		}
	}
	return nil
}

// Local is a Storage on a directory of the local file system. Files are written to a
// temporary file in the same directory, synced, then renamed into place, so a reader never
// sees a partial file and a failed Put leaves nothing behind. It is safe for concurrent use.
type Local struct {
	dir string
}

// NewLocal returns a Local storing files in dir, creating it (mode 0o755) when missing.
// It fails when dir cannot be created or is not a directory.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("media: local storage %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("media: local storage: %w", err)
	}
	// MkdirAll succeeds on an existing directory only; check anyway to report a clear error
	// when something else (a file, a dangling symlink) is in the way.
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("media: local storage: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("media: local storage %q is not a directory", abs)
	}
	return &Local{dir: abs}, nil
}

// Dir returns the absolute path of the directory l stores files in.
func (l *Local) Dir() string { return l.dir }

// Put streams r into the file name, replacing any file of that name, and returns the number
// of bytes stored. It fails on an invalid name (wrapping fs.ErrInvalid), on an error from r
// (wrapped, so a *tiktok.Error from a limiting reader stays visible to errors.As), when ctx
// is done (wrapping ctx.Err()) or on a file system error; in every case the temporary file
// is removed and nothing is left under name.
func (l *Local) Put(ctx context.Context, name string, r io.Reader) (n int64, err error) {
	if err := ValidateName(name); err != nil {
		return 0, fmt.Errorf("media: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("media: put %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(l.dir, tempPrefix+"*")
	if err != nil {
		return 0, fmt.Errorf("media: put %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			tmp.Close() // already failed; the close error adds nothing
			os.Remove(tmp.Name())
		}
	}()

	n, err = copyContext(ctx, tmp, r)
	if err != nil {
		return 0, fmt.Errorf("media: put %s: %w", name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return 0, fmt.Errorf("media: put %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		return 0, fmt.Errorf("media: put %s: sync: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("media: put %s: close: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("media: put %s: %w", name, err)
	}
	dst := filepath.Join(l.dir, name)
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return 0, fmt.Errorf("media: put %s: %w", name, err)
	}
	if err := syncDir(l.dir); err != nil {
		os.Remove(dst) // keep the promise that a failed Put leaves nothing
		return 0, fmt.Errorf("media: put %s: sync directory: %w", name, err)
	}
	return n, nil
}

// copyContext copies r to w in chunks of copyBufSize, stopping with ctx.Err() when ctx is
// done between two chunks. A read error is returned as it is; a write error is wrapped.
func copyContext(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, copyBufSize)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		nr, rerr := r.Read(buf)
		if nr > 0 {
			nw, werr := w.Write(buf[:nr])
			n += int64(nw)
			if werr != nil {
				return n, fmt.Errorf("write: %w", werr)
			}
			if nw != nr {
				return n, fmt.Errorf("write: %w", io.ErrShortWrite)
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// syncDir flushes a directory's entries, making a rename in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

// Open returns the stored file name, which the caller must close. It fails on an invalid
// name (wrapping fs.ErrInvalid), with an error wrapping fs.ErrNotExist when no regular file
// of that name is stored, when ctx is done, or on a file system error.
func (l *Local) Open(ctx context.Context, name string) (File, error) {
	if err := ValidateName(name); err != nil {
		return nil, fmt.Errorf("media: open: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("media: open %s: %w", name, err)
	}
	f, err := os.Open(filepath.Join(l.dir, name))
	if err != nil {
		return nil, fmt.Errorf("media: open %s: %w", name, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("media: open %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("media: open %s: not a regular file: %w", name, fs.ErrNotExist)
	}
	return &localFile{File: f, size: info.Size(), modTime: info.ModTime()}, nil
}

// localFile is an open file of a Local storage.
type localFile struct {
	*os.File
	size    int64
	modTime time.Time
}

// Size returns the file's size in bytes when it was opened.
func (f *localFile) Size() int64 { return f.size }

// ModTime returns the file's modification time when it was opened.
func (f *localFile) ModTime() time.Time { return f.modTime }

// Delete removes the stored file name; a missing file is not an error. It fails on an
// invalid name (wrapping fs.ErrInvalid), when ctx is done, or on a file system error.
func (l *Local) Delete(ctx context.Context, name string) error {
	if err := ValidateName(name); err != nil {
		return fmt.Errorf("media: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("media: delete %s: %w", name, err)
	}
	if err := os.Remove(filepath.Join(l.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: delete %s: %w", name, err)
	}
	return nil
}

// Walk calls fn for every stored file, in no particular order, skipping files a Put is
// still writing and anything that is not a regular file with a valid name. It stops at the
// first error fn returns and returns it unchanged, except fs.SkipAll, which stops the walk
// and returns nil. It also fails when ctx is done (wrapping ctx.Err()) or the directory
// cannot be read. Files added or removed during the walk may or may not be reported.
func (l *Local) Walk(ctx context.Context, fn func(name string, size int64, modTime time.Time) error) error {
	d, err := os.Open(l.dir)
	if err != nil {
		return fmt.Errorf("media: walk: %w", err)
	}
	defer d.Close()
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("media: walk: %w", err)
		}
		entries, err := d.ReadDir(256)
		for _, e := range entries {
			if !e.Type().IsRegular() || ValidateName(e.Name()) != nil {
				continue
			}
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted since the directory was read
			}
			if err != nil {
				return fmt.Errorf("media: walk: %w", err)
			}
			if err := fn(e.Name(), info.Size(), info.ModTime()); err != nil {
				if errors.Is(err, fs.SkipAll) {
					return nil
				}
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("media: walk: %w", err)
		}
	}
}

// RemoveStaleTemp deletes the temporary files of Puts that never finished (the process was
// killed mid-upload) and were last written before cutoff; with dryRun it only counts them.
// It returns how many it found.
func (l *Local) RemoveStaleTemp(ctx context.Context, cutoff time.Time, dryRun bool) (int, error) {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return 0, fmt.Errorf("media: remove stale temp files: %w", err)
	}
	n := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("media: remove stale temp files: %w", err)
		}
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		n++
		if !dryRun {
			if err := os.Remove(filepath.Join(l.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return n, fmt.Errorf("media: remove stale temp file: %w", err)
			}
		}
	}
	return n, nil
}

// compile-time check that Local implements Storage.
var _ Storage = (*Local)(nil)
