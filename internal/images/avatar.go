// Package images turns uploaded pictures into the images the service serves: an avatar
// becomes a centre-cropped square, resized to AvatarSize and AvatarSmallSize pixels and
// re-encoded as JPEG, upright as its EXIF orientation says and without any of its metadata
// (EXIF, GPS, XMP, comments, colour profiles). It also draws the generated avatars of seeded
// users (initials.go). Decoding is bounded: the dimensions a file declares are checked before
// any pixel is decoded, and a Processor lets only so many decodes run at once.
package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/gotok/tiktok/internal/tiktok"
)

const (
	// AvatarSize is the side of a stored avatar, in pixels.
	AvatarSize = 256
	// AvatarSmallSize is the side of the small variant (lists, comments).
	AvatarSmallSize = 64
	// MaxSide is the longest side, in pixels, an uploaded image may declare.
	MaxSide = 10_000
	// MaxPixels is the most pixels an uploaded image may declare (40 megapixels: about
	// 160 MB once decoded), so a small file cannot make the server allocate gigabytes.
	MaxPixels = 40_000_000
	// jpegQuality is the quality of the JPEGs written.
	jpegQuality = 85
)

// Avatar is a processed avatar: two JPEG files.
type Avatar struct {
	Large []byte // AvatarSize × AvatarSize
	Small []byte // AvatarSmallSize × AvatarSmallSize
}

// Processor decodes uploaded images, at most a fixed number at once: a decoded image
// of MaxPixels takes up to 160 MB, so the number of slots bounds the memory uploads take.
type Processor struct {
	slots chan struct{}
}

// NewProcessor returns a Processor that runs at most n decodes at once (at least 1).
func NewProcessor(n int) *Processor {
	return &Processor{slots: make(chan struct{}, max(n, 1))}
}

// Avatar processes an uploaded picture (JPEG, PNG, GIF — its first frame — or WebP):
// it checks the declared size, decodes it, crops the centred square, scales it to both
// avatar sizes, turns it upright by its EXIF orientation and encodes both as JPEG, which
// keeps none of the original's metadata. A transparent picture is put on white. It fails
// with a *tiktok.Error: unsupported_media_type for bytes that are not such a picture or do
// not decode, too_large for a picture above MaxSide or MaxPixels; or with ctx's error while
// waiting for a slot.
func (p *Processor) Avatar(ctx context.Context, data []byte) (Avatar, error) {
	img, orientation, err := p.decode(ctx, data)
	if err != nil {
		return Avatar{}, err
	}
	large := orient(squareScale(img, AvatarSize), orientation)
	small := image.NewRGBA(image.Rect(0, 0, AvatarSmallSize, AvatarSmallSize))
	draw.CatmullRom.Scale(small, small.Bounds(), large, large.Bounds(), draw.Src, nil)
	var a Avatar
	if a.Large, err = encodeJPEG(large); err != nil {
		return Avatar{}, err
	}
	if a.Small, err = encodeJPEG(small); err != nil {
		return Avatar{}, err
	}
	return a, nil
}

// decoder reads one format's header and pixels.
type decoder struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// decoders by the content type media.Sniff gives: the format is chosen from the bytes,
// never by the image package's registry (which any imported package can extend).
var decoders = map[string]decoder{
	"image/jpeg": {jpeg.DecodeConfig, jpeg.Decode},
	"image/png":  {png.DecodeConfig, png.Decode},
	"image/gif":  {gif.DecodeConfig, gif.Decode},
	"image/webp": {webp.DecodeConfig, webp.Decode},
}

// checkConfig refuses an image whose header does not parse (unsupported_media_type) or
// declares more than MaxSide pixels a side or MaxPixels in all (too_large).
func checkConfig(c image.Config, err error) error {
	if err != nil {
		return notAnImage(err)
	}
	if c.Width <= 0 || c.Height <= 0 {
		return tiktok.Errorf(tiktok.CodeUnsupportedMediaType, "File is not a valid image (it declares no pixels)")
	}
	if c.Width > MaxSide || c.Height > MaxSide || int64(c.Width)*int64(c.Height) > MaxPixels {
		return tiktok.Errorf(tiktok.CodeTooLarge, "Image is too large: %d×%d pixels (limit %d pixels a side and %d megapixels)",
			c.Width, c.Height, MaxSide, MaxPixels/1_000_000)
	}
	return nil
}

// notAnImage is the error for bytes that look like an image but do not decode.
func notAnImage(err error) error {
	// The cause is kept as text: a decoder's io.ErrUnexpectedEOF means a truncated image
	// here, not a request body cut short.
	return &tiktok.Error{Code: tiktok.CodeUnsupportedMediaType, Message: "File is not a valid image", Cause: errors.New(err.Error())}
}

// squareScale crops the centred square of img and scales it to a size × size RGBA image,
// over white where img is transparent.
func squareScale(img image.Image, size int) *image.RGBA {
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	x0, y0 := b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2
	crop := image.Rect(x0, y0, x0+side, y0+side)
	dst := image.NewRGBA(image.Rect(0, 0, size, size))
	op := draw.Src
	if o, ok := img.(interface{ Opaque() bool }); !ok || !o.Opaque() {
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		op = draw.Over
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, crop, op, nil)
	return dst
}

// encodeJPEG encodes img as a baseline JPEG with no metadata segments.
func encodeJPEG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return nil, fmt.Errorf("images: encode jpeg: %w", err)
	}
	return buf.Bytes(), nil
}

// orient returns src (origin at 0,0) turned upright for EXIF orientation o (1–8; anything
// else is 1): the image a viewer that honours the tag would show. Orientations 5–8 swap
// the width and the height.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		for x := range dw {
			var sx, sy int // the stored pixel shown at (x, y)
			switch o {
			case 2: // mirrored horizontally
				sx, sy = w-1-x, y
			case 3: // rotated 180°
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored vertically
				sx, sy = x, h-1-y
			case 5: // transposed
				sx, sy = y, x
			case 6: // shown rotated 90° clockwise
				sx, sy = y, h-1-x
			case 7: // transversed
				sx, sy = w-1-y, h-1-x
			case 8: // shown rotated 90° counter-clockwise
				sx, sy = w-1-y, x
			}
			si, di := src.PixOffset(sx, sy), dst.PixOffset(x, y)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}
