package images

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// TestOrient: each EXIF orientation maps the stored corners where a viewer shows them.
func TestOrient(t *testing.T) {
	// A 2×2 image: stored top-left A, top-right B, bottom-left C, bottom-right D.
	a, b, c, d := color.RGBA{1, 0, 0, 255}, color.RGBA{2, 0, 0, 255}, color.RGBA{3, 0, 0, 255}, color.RGBA{4, 0, 0, 255}
	src := image.NewRGBA(image.Rect(0, 0, 2, 2))
	src.Set(0, 0, a)
	src.Set(1, 0, b)
	src.Set(0, 1, c)
	src.Set(1, 1, d)
	for o, want := range map[int][4]color.RGBA{ // shown top-left, top-right, bottom-left, bottom-right
		1: {a, b, c, d}, 2: {b, a, d, c}, 3: {d, c, b, a}, 4: {c, d, a, b},
		5: {a, c, b, d}, 6: {c, a, d, b}, 7: {d, b, c, a}, 8: {b, d, a, c}, 9: {a, b, c, d},
	} {
		got := orient(src, o)
		if g := [4]color.RGBA{got.RGBAAt(0, 0), got.RGBAAt(1, 0), got.RGBAAt(0, 1), got.RGBAAt(1, 1)}; g != want {
			t.Errorf("orientation %d: %v, want %v", o, g, want)
		}
	}
}

// exifSegment returns an APP1 EXIF segment whose IFD0 holds one Orientation entry.
func exifSegment(bo binary.AppendByteOrder, mark string, o uint16) []byte {
	t := []byte(mark)
	t = bo.AppendUint16(t, 42)
	t = bo.AppendUint32(t, 8)
	t = bo.AppendUint16(t, 1)
	t = bo.AppendUint16(t, 0x0112)
	t = bo.AppendUint16(t, 3)
	t = bo.AppendUint32(t, 1)
	t = bo.AppendUint16(t, o)
	t = bo.AppendUint16(t, 0)
	t = bo.AppendUint32(t, 0)
	body := append([]byte("Exif\x00\x00"), t...)
	return append([]byte{0xFF, 0xE1, byte((len(body) + 2) >> 8), byte(len(body) + 2)}, body...)
}

func TestJPEGOrientation(t *testing.T) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	with := func(seg []byte) []byte { return append(append(append([]byte{}, plain[:2]...), seg...), plain[2:]...) }
	for _, c := range []struct {
		name string
		data []byte
		want int
	}{
		{"none", plain, 1},
		{"big-endian 6", with(exifSegment(binary.BigEndian, "MM", 6)), 6},
		{"little-endian 8", with(exifSegment(binary.LittleEndian, "II", 8)), 8},
		{"out of range", with(exifSegment(binary.BigEndian, "MM", 9)), 1},
		{"bad byte order", with(exifSegment(binary.BigEndian, "XX", 6)), 1},
		{"cut short", with(exifSegment(binary.BigEndian, "MM", 6))[:30], 1},
		{"not a JPEG", []byte("GIF89a"), 1},
	} {
		if got := jpegOrientation(c.data); got != c.want {
			t.Errorf("%s: orientation %d, want %d", c.name, got, c.want)
		}
	}
}

func TestInitials(t *testing.T) {
	for name, want := range map[string]string{
		"Jessica M. Hills": "JH", "user7": "U", "Zoë": "Z", "  ": "?", "ünal 42": "?", "élodie Martin": "M", "(Bob) smith": "BS",
	} {
		if got := Initials(name); got != want {
			t.Errorf("Initials(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestDrawerAndProcessor: a drawn avatar is two JPEGs of the avatar sizes in the key's
// colour, and processing refuses a file declaring too many pixels before decoding it.
func TestDrawerAndProcessor(t *testing.T) {
	d, err := NewDrawer()
	if err != nil {
		t.Fatal(err)
	}
	a, err := d.Avatar("JH")
	if err != nil {
		t.Fatal(err)
	}
	for data, size := range map[*[]byte]int{&a.Large: AvatarSize, &a.Small: AvatarSmallSize} {
		img, err := jpeg.Decode(bytes.NewReader(*data))
		if err != nil || img.Bounds().Dx() != size || img.Bounds().Dy() != size {
			t.Fatalf("drawn avatar: %v, %v; want %d px", err, img, size)
		}
	}
	p := NewProcessor(1)
	got, err := p.Avatar(context.Background(), a.Large)
	if err != nil || len(got.Large) == 0 || len(got.Small) == 0 {
		t.Fatalf("processing a drawn avatar: %v", err)
	}
}
