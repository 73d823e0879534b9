package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/tiktok"
)

// StoredAvatar names the two files of an avatar in a media.Storage.
type StoredAvatar struct {
	Name  string // the AvatarSize JPEG
	Small string // the AvatarSmallSize JPEG
}

// Names returns both names (for deleting them).
func (s StoredAvatar) Names() []string { return []string{s.Name, s.Small} }

// SaveAvatar reads an uploaded picture of at most maxBytes from r, processes it (see
// Avatar) and stores both JPEGs in store under new random names. Like media.Save it
// decides the type from the first bytes before reading the rest: an empty file or one
// that is not a picture is unsupported_media_type, one of more than maxBytes too_large.
// Errors of r (a cut-short body, http.MaxBytesError) are returned wrapped. Whenever it
// fails, nothing is left in store.
func (p *Processor) SaveAvatar(ctx context.Context, store media.Storage, r io.Reader, maxBytes int64) (StoredAvatar, error) {
	data, err := readImage(r, maxBytes)
	if err != nil {
		return StoredAvatar{}, err
	}
	a, err := p.Avatar(ctx, data)
	if err != nil {
		return StoredAvatar{}, err
	}
	return StoreAvatar(ctx, store, a)
}

// StoreAvatar stores a processed avatar's two files under new random names; on failure
// it leaves neither.
func StoreAvatar(ctx context.Context, store media.Storage, a Avatar) (StoredAvatar, error) {
	large, err := media.Save(ctx, store, media.Image, bytes.NewReader(a.Large), int64(len(a.Large)))
	if err != nil {
		return StoredAvatar{}, fmt.Errorf("images: store avatar: %w", err)
	}
	small, err := media.Save(ctx, store, media.Image, bytes.NewReader(a.Small), int64(len(a.Small)))
	if err != nil {
		if derr := store.Delete(context.WithoutCancel(ctx), large.Name); derr != nil {
			err = errors.Join(err, derr)
		}
		return StoredAvatar{}, fmt.Errorf("images: store small avatar: %w", err)
	}
	return StoredAvatar{Name: large.Name, Small: small.Name}, nil
}

// readImage reads all of r, at most maxBytes, checking the type from the first bytes
// before the rest is read.
func readImage(r io.Reader, maxBytes int64) ([]byte, error) {
	head := make([]byte, media.SniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("images: read: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return nil, tiktok.Errorf(tiktok.CodeUnsupportedMediaType, "File is empty")
	}
	if _, _, kind, ok := media.Sniff(head); !ok || kind != media.Image {
		return nil, tiktok.Errorf(tiktok.CodeUnsupportedMediaType, "File must be a JPEG, PNG, WebP or GIF image")
	}
	buf := bytes.NewBuffer(head)
	if n == media.SniffLen { // there may be more
		if _, err := io.Copy(buf, io.LimitReader(r, maxBytes+1-int64(n))); err != nil {
			return nil, fmt.Errorf("images: read: %w", err)
		}
	}
	if int64(buf.Len()) > maxBytes {
		return nil, tiktok.Errorf(tiktok.CodeTooLarge, "File is too large (limit %.1f MiB)", float64(maxBytes)/(1<<20))
	}
	return buf.Bytes(), nil
}
