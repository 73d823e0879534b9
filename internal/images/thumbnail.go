package images

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"io"

	"golang.org/x/image/draw"

	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/tiktok"
)

// ThumbnailShortSide is the most pixels a stored video thumbnail has on its short side,
// as the pipeline's transcodes and posters (720p).
const ThumbnailShortSide = 720

// Thumbnail processes an uploaded video thumbnail like an avatar, without the crop: it
// keeps the aspect ratio, scales it down to at most ThumbnailShortSide pixels on the short
// side (never up), turns it upright by its EXIF orientation and encodes it as JPEG, which
// keeps none of the original's metadata (a phone's location among them). Errors are those
// of Avatar.
func (p *Processor) Thumbnail(ctx context.Context, data []byte) ([]byte, error) {
	img, orientation, err := p.decode(ctx, data)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if short := min(w, h); short > ThumbnailShortSide {
		w, h = max(1, w*ThumbnailShortSide/short), max(1, h*ThumbnailShortSide/short)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	op := draw.Src
	if o, ok := img.(interface{ Opaque() bool }); !ok || !o.Opaque() {
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		op = draw.Over
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, op, nil)
	return encodeJPEG(orient(dst, orientation))
}

// SaveThumbnail reads an uploaded thumbnail of at most maxBytes from r, processes it (see
// Thumbnail) and stores the JPEG in store under a new random name. Whenever it fails,
// nothing is left in store.
func (p *Processor) SaveThumbnail(ctx context.Context, store media.Storage, r io.Reader, maxBytes int64) (media.Saved, error) {
	data, err := readImage(r, maxBytes)
	if err != nil {
		return media.Saved{}, err
	}
	out, err := p.Thumbnail(ctx, data)
	if err != nil {
		return media.Saved{}, err
	}
	saved, err := media.Save(ctx, store, media.Image, bytes.NewReader(out), int64(len(out)))
	if err != nil {
		return media.Saved{}, fmt.Errorf("images: store thumbnail: %w", err)
	}
	return saved, nil
}

// decode checks data's declared size, decodes it in one of the Processor's slots and
// returns it with its EXIF orientation (1 for formats other than JPEG).
func (p *Processor) decode(ctx context.Context, data []byte) (image.Image, int, error) {
	contentType, _, kind, ok := media.Sniff(data[:min(len(data), media.SniffLen)])
	dec, known := decoders[contentType]
	if !ok || kind != media.Image || !known {
		return nil, 0, tiktok.Errorf(tiktok.CodeUnsupportedMediaType, "File must be a JPEG, PNG, WebP or GIF image")
	}
	if err := checkConfig(dec.config(bytes.NewReader(data))); err != nil {
		return nil, 0, err
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, fmt.Errorf("images: wait to decode: %w", ctx.Err())
	}
	defer func() { <-p.slots }()
	img, err := dec.decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, notAnImage(err)
	}
	orientation := 1
	if contentType == "image/jpeg" {
		orientation = jpegOrientation(data)
	}
	return img, orientation, nil
}
