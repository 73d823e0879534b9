package media

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/gotok/tiktok/internal/tiktok"
)

// Save streams an upload from r into s under a new random name and returns what it stored.
// It decides the file's type from its first SniffLen bytes, never from a name or declared
// type, and never holds more than a small buffer of the file in memory. It fails with a
// *tiktok.Error of code CodeUnsupportedMediaType when the file is empty or its bytes are not
// a format of kind, with one of code CodeTooLarge as soon as more than max bytes have been
// read, and otherwise with the wrapped error of r, of s.Put or of ctx. Whenever it fails,
// nothing is left in s.
func Save(ctx context.Context, s Storage, kind Kind, r io.Reader, max int64) (Saved, error) {
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Saved{}, fmt.Errorf("media: save %s: read: %w", kind, err)
	}
	head = head[:n]
	if n == 0 {
		return Saved{}, tiktok.Errorf(tiktok.CodeUnsupportedMediaType, "File is empty")
	}
	contentType, ext, got, ok := Sniff(head)
	if !ok || got != kind {
		return Saved{}, unsupported(kind)
	}
	if int64(n) > max {
		return Saved{}, tooLarge(max)
	}
	name, err := randomName(ext)
	if err != nil {
		return Saved{}, fmt.Errorf("media: save %s: %w", kind, err)
	}
	body := &limitReader{r: io.MultiReader(bytes.NewReader(head), r), left: max, max: max}
	size, err := s.Put(ctx, name, body)
	if err != nil {
		return Saved{}, fmt.Errorf("media: save %s: %w", kind, err)
	}
	return Saved{Name: name, ContentType: contentType, Size: size}, nil
}

// unsupported is the error for a file whose bytes are not a format of kind.
func unsupported(kind Kind) *tiktok.Error {
	if kind == Image {
		return tiktok.Errorf(tiktok.CodeUnsupportedMediaType, "File must be a JPEG, PNG, WebP or GIF image")
	}
	return tiktok.Errorf(tiktok.CodeUnsupportedMediaType, "File must be an MP4, QuickTime or WebM video")
}

// tooLarge is the error for a file of more than max bytes.
func tooLarge(max int64) *tiktok.Error {
	return tiktok.Errorf(tiktok.CodeTooLarge, "File is too large (limit %s)", formatSize(max))
}

// formatSize writes a byte count the way limits are usually stated: "100 MiB", "512 KiB".
func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// limitReader passes through at most max bytes of r and fails with a too_large error as
// soon as r yields one more.
type limitReader struct {
	r    io.Reader
	left int64 // bytes still allowed; negative once the limit was exceeded
	max  int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, tooLarge(l.max)
	}
	// Ask for one byte more than allowed, to tell "exactly max" from "more than max".
	if allowed := l.left + 1; allowed > 0 && int64(len(p)) > allowed {
		p = p[:allowed]
	}
	n, err := l.r.Read(p)
	if int64(n) > l.left {
		n = int(l.left)
		l.left = -1
		return n, tooLarge(l.max)
	}
	l.left -= int64(n)
	return n, err
}

// randomName returns 32 random hex digits followed by ext.
func randomName(ext string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random name: %w", err)
	}
	return hex.EncodeToString(b[:]) + ext, nil
}
