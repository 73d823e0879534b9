// Package media stores uploaded files (videos, thumbnails, avatars) behind a small
// interface: a local directory (Local) or an S3-compatible bucket (S3). It decides what
// a file is by its bytes, enforces size limits while streaming, and names files itself.
package media

import (
	"context"
	"io"
	"time"
)

// Kind is the class of file an upload must be.
type Kind int

const (
	// Video accepts MP4, QuickTime and WebM.
	Video Kind = iota
	// Image accepts JPEG, PNG, WebP and GIF.
	Image
)

// MaxImageBytes is the size limit of thumbnails and avatars.
const MaxImageBytes = 5 << 20

// Storage is where media files live. Names are flat (no directories), chosen by Save.
type Storage interface {
	// Put stores everything r yields under name. On error nothing remains under name.
	Put(ctx context.Context, name string, r io.Reader) (int64, error)
	// Open returns the stored file; a missing file is an error wrapping fs.ErrNotExist.
	Open(ctx context.Context, name string) (File, error)
	// Delete removes the file; deleting a missing file is not an error.
	Delete(ctx context.Context, name string) error
	// Walk calls fn for every stored file (for the orphans maintenance command).
	Walk(ctx context.Context, fn func(name string, size int64, modTime time.Time) error) error
}

// File is an open stored file.
type File interface {
	io.ReadSeekCloser
	Size() int64
	ModTime() time.Time
}

// Saved describes a file Save stored.
type Saved struct {
	Name        string // random name with the extension of the detected type, e.g. "3f9c…e1.mp4"
	ContentType string // detected from the bytes, e.g. "video/mp4"
	Size        int64
}
