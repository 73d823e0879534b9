package images

import (
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"strings"
	"unicode"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Drawer draws generated avatars: up to two initials in white on a colour derived from
// them, in Go Bold (the font ships inside golang.org/x/image; nothing is fetched). A
// Drawer is not safe for concurrent use.
type Drawer struct {
	face font.Face
}

// NewDrawer parses the font once for the avatars a Drawer draws.
func NewDrawer() (*Drawer, error) {
	f, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("images: parse Go Bold: %w", err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 104, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("images: Go Bold face: %w", err)
	}
	return &Drawer{face: face}, nil
}

// Initials returns the avatar key of a display name (or, when it has none, a username):
// the first letter of its first and last words, A–Z only, upper case ("Jessica M. Hills"
// → "JH", "user7" → "U", "Zoë" → "Z"), or "?" when there is no such letter. There are at
// most 26×26+26+1 keys, so avatars drawn per key are few whatever the number of users.
func Initials(name string) string {
	var letters []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			if r = unicode.ToUpper(r); r >= 'A' && r <= 'Z' {
				letters = append(letters, r)
				break
			}
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				break // a word that starts with another letter gives no initial
			}
		}
	}
	switch len(letters) {
	case 0:
		return "?"
	case 1:
		return string(letters)
	}
	return string(letters[0]) + string(letters[len(letters)-1])
}

// Avatar draws the avatar of key (as Initials returns it) at both sizes, as JPEG.
func (d *Drawer) Avatar(key string) (Avatar, error) {
	img := image.NewRGBA(image.Rect(0, 0, AvatarSize, AvatarSize))
	draw.Draw(img, img.Bounds(), image.NewUniform(keyColor(key)), image.Point{}, draw.Src)
	m := d.face.Metrics()
	capHeight := m.CapHeight
	if capHeight <= 0 {
		capHeight = m.Ascent * 7 / 10
	}
	dr := &font.Drawer{Dst: img, Src: image.White, Face: d.face}
	width := dr.MeasureString(key)
	dr.Dot = fixed.Point26_6{
		X: (fixed.I(AvatarSize) - width) / 2,
		Y: (fixed.I(AvatarSize) + capHeight) / 2,
	}
	dr.DrawString(key)
	small := image.NewRGBA(image.Rect(0, 0, AvatarSmallSize, AvatarSmallSize))
	draw.CatmullRom.Scale(small, small.Bounds(), img, img.Bounds(), draw.Src, nil)
	var (
		a   Avatar
		err error
	)
	if a.Large, err = encodeJPEG(img); err != nil {
		return Avatar{}, err
	}
	if a.Small, err = encodeJPEG(small); err != nil {
		return Avatar{}, err
	}
	return a, nil
}

// keyColor is the background of key: a hue from its hash, at a saturation and lightness
// on which white text reads well.
func keyColor(key string) color.RGBA {
	h := fnv.New32a()
	h.Write([]byte(key))
	return hsl(float64(h.Sum32()%360), 0.55, 0.42)
}

// hsl converts a hue (degrees), saturation and lightness (0–1) to an opaque RGB colour.
func hsl(h, s, l float64) color.RGBA {
	c := (1 - abs(2*l-1)) * s
	hp := h / 60
	x := c * (1 - abs(mod2(hp)-1))
	var r, g, b float64
	switch {
	case hp < 1:
		r, g = c, x
	case hp < 2:
		r, g = x, c
	case hp < 3:
		g, b = c, x
	case hp < 4:
		g, b = x, c
	case hp < 5:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := l - c/2
	to := func(v float64) uint8 { return uint8((v+m)*255 + 0.5) }
	return color.RGBA{to(r), to(g), to(b), 255}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// mod2 is v modulo 2 for v ≥ 0.
func mod2(v float64) float64 {
	return v - 2*float64(int(v/2))
}
