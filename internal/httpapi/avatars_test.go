package httpapi_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/image/webp"

	"github.com/gotok/tiktok/internal/maintenance"
	"github.com/gotok/tiktok/internal/seed"
)

// exifJPEG returns a 400×200 JPEG, top half red and bottom half blue as stored, with an
// EXIF segment (APP1) that says "show me rotated 90° clockwise" (orientation 6) and
// carries a GPS position and a description holding marker.
func exifJPEG(t *testing.T, marker string) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 400, 200))
	for y := range 200 {
		for x := range 400 {
			c := color.RGBA{220, 0, 0, 255}
			if y >= 100 {
				c = color.RGBA{0, 0, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	// TIFF, big-endian: IFD0 (Orientation, ImageDescription, GPS IFD pointer), then the
	// GPS IFD (latitude N 48° 51' 29"), then the values that do not fit in an entry.
	var tf bytes.Buffer
	be := binary.BigEndian
	put := func(v any) { _ = binary.Write(&tf, be, v) }
	desc := marker + "\x00"
	const ifd0, ifd0Entries, gpsEntries = 8, 3, 2
	gpsIFD := ifd0 + 2 + 12*ifd0Entries + 4
	descAt := gpsIFD + 2 + 12*gpsEntries + 4
	latAt := descAt + len(desc)
	tf.WriteString("MM")
	put(uint16(42))
	put(uint32(ifd0))
	put(uint16(ifd0Entries))
	put([]uint16{0x010E, 2}) // ImageDescription, ASCII
	put([]uint32{uint32(len(desc)), uint32(descAt)})
	put([]uint16{0x0112, 3}) // Orientation, SHORT
	put([]uint32{1})
	put([]uint16{6, 0})
	put([]uint16{0x8825, 4}) // GPS IFD pointer, LONG
	put([]uint32{1, uint32(gpsIFD)})
	put(uint32(0))
	put(uint16(gpsEntries))
	put([]uint16{0x0001, 2}) // GPSLatitudeRef, ASCII "N"
	put([]uint32{2})
	tf.WriteString("N\x00\x00\x00")
	put([]uint16{0x0002, 5}) // GPSLatitude, 3 RATIONAL
	put([]uint32{3, uint32(latAt)})
	put(uint32(0))
	tf.WriteString(desc)
	put([]uint32{48, 1, 51, 1, 29, 1})
	body := append([]byte("Exif\x00\x00"), tf.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	be.PutUint16(seg[2:], uint16(len(body)+2))
	seg = append(seg, body...)
	src := buf.Bytes()
	return slices.Concat(src[:2], seg, src[2:]) // right after SOI
}

// jpegSegments lists the markers of the segments before the image data of a JPEG.
func jpegSegments(t *testing.T, b []byte) []byte {
	t.Helper()
	var markers []byte
	for i := 2; i+4 <= len(b) && b[i] == 0xFF; {
		m := b[i+1]
		markers = append(markers, m)
		if m == 0xDA {
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:i+4]))
	}
	return markers
}

// fetchImage GETs a media URL of the server and decodes the JPEG it serves.
func fetchImage(t *testing.T, e *env, url string) ([]byte, image.Image) {
	t.Helper()
	if !strings.HasPrefix(url, e.srv.URL+"/uploads/") {
		t.Fatalf("media URL %q is not one of the server's", url)
	}
	res, err := e.srv.Client().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, res.Header.Get("Content-Type"))
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("GET %s: not a JPEG: %v", url, err)
	}
	return b, img
}

// near reports whether c is within 40 of (r, g, b) in every channel.
func near(c color.Color, r, g, b uint8) bool {
	cr, cg, cb, _ := c.RGBA()
	d := func(x uint32, y uint8) bool { v := int(x>>8) - int(y); return v > -40 && v < 40 }
	return d(cr, r) && d(cg, g) && d(cb, b)
}

// TestAvatarIsProcessed: an uploaded phone photo comes back as a 256×256 JPEG and a
// 64×64 one, upright as its EXIF orientation said, without any EXIF (no GPS, no
// description); the files are owned (replaced and deleted with the account) and referenced
// (the orphans command keeps them).
func TestAvatarIsProcessed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("phone")
	path := fmt.Sprintf("/api/users/%d", u.id)
	const marker = "SECRET-PLACE-48.8582N"
	photo := exifJPEG(t, marker)
	if !bytes.Contains(photo, []byte(marker)) {
		t.Fatal("test photo has no marker")
	}
	res := e.upload("PUT", path, u.token, nil, map[string]fileUpload{"avatar": {"IMG_0001.jpg", photo}})
	expect(t, res, 200, "")
	large, img := fetchImage(t, e, res.str("avatar"))
	small, smallImg := fetchImage(t, e, res.str("avatarSmall"))
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Errorf("avatar is %v, want 256×256", b)
	}
	if b := smallImg.Bounds(); b.Dx() != 64 || b.Dy() != 64 {
		t.Errorf("small avatar is %v, want 64×64", b)
	}
	for name, b := range map[string][]byte{"avatar": large, "small avatar": small} {
		if segs := jpegSegments(t, b); slices.Contains(segs, 0xE1) || bytes.Contains(b, []byte("Exif")) || bytes.Contains(b, []byte(marker)) {
			t.Errorf("%s keeps metadata: segments % X", name, segs)
		}
	}
	// Stored top red, bottom blue; shown rotated 90° clockwise: left blue, right red.
	for _, p := range []struct {
		img     image.Image
		x, y    int
		r, g, b uint8
	}{
		{img, 40, 128, 0, 0, 220}, {img, 215, 128, 220, 0, 0}, {img, 40, 20, 0, 0, 220}, {img, 215, 235, 220, 0, 0},
		{smallImg, 10, 32, 0, 0, 220}, {smallImg, 54, 32, 220, 0, 0},
	} {
		if c := p.img.At(p.x, p.y); !near(c, p.r, p.g, p.b) {
			t.Errorf("pixel (%d,%d) of a %v avatar is %v, want about (%d,%d,%d): not turned upright", p.x, p.y, p.img.Bounds().Size(), c, p.r, p.g, p.b)
		}
	}
	got := e.request("GET", path, nil, "")
	if got.str("avatar") != res.str("avatar") || got.str("avatarSmall") != res.str("avatarSmall") {
		t.Errorf("profile shows %s", got.raw)
	}

	// The orphans command keeps both files: they are referenced.
	rep, err := maintenance.Orphans(context.Background(), e.store, e.media, maintenance.OrphanOptions{
		DryRun: true, Now: func() time.Time { return time.Now().Add(24 * time.Hour) }})
	if err != nil || len(rep.Removed) != 0 || rep.Scanned != 2 {
		t.Errorf("orphans: %+v, %v; want 2 files scanned, none to remove", rep, err)
	}
	// Replacing deletes both old files; deleting the account deletes the new ones.
	res = e.upload("PUT", path, u.token, nil, map[string]fileUpload{"avatar": {"again.jpg", photo}})
	expect(t, res, 200, "")
	files := e.mediaFiles()
	want := []string{strings.TrimPrefix(res.str("avatar"), e.srv.URL+"/uploads/"), strings.TrimPrefix(res.str("avatarSmall"), e.srv.URL+"/uploads/")}
	slices.Sort(want)
	if !slices.Equal(files, want) {
		t.Errorf("files after replacing the avatar %v, want %v", files, want)
	}
	expect(t, e.request("DELETE", path, nil, u.token), 200, "")
	if files := e.mediaFiles(); len(files) != 0 {
		t.Errorf("files left by the deleted account: %v", files)
	}
}

// TestAvatarFormats: PNG (transparent: put on white), GIF and WebP become the same two JPEGs.
func TestAvatarFormats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("formats")
	path := fmt.Sprintf("/api/users/%d", u.id)
	tall := image.NewNRGBA(image.Rect(0, 0, 90, 300)) // transparent, a green band across the middle
	for y := 140; y < 160; y++ {
		for x := range 90 {
			tall.Set(x, y, color.NRGBA{0, 200, 0, 255})
		}
	}
	var pngBuf, gifBuf bytes.Buffer
	if err := png.Encode(&pngBuf, tall); err != nil {
		t.Fatal(err)
	}
	pal := image.NewPaletted(tall.Bounds(), color.Palette{color.Transparent, color.NRGBA{0, 200, 0, 255}})
	draw.Draw(pal, pal.Bounds(), tall, image.Point{}, draw.Src)
	if err := gif.Encode(&gifBuf, pal, nil); err != nil {
		t.Fatal(err)
	}
	webpData, err := os.ReadFile("testdata/images/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := webp.DecodeConfig(bytes.NewReader(webpData)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"a.png", pngBuf.Bytes()}, {"a.gif", gifBuf.Bytes()}, {"a.webp", webpData}} {
		res := e.upload("PUT", path, u.token, nil, map[string]fileUpload{"avatar": {f.name, f.data}})
		expect(t, res, 200, "")
		_, img := fetchImage(t, e, res.str("avatar"))
		_, small := fetchImage(t, e, res.str("avatarSmall"))
		if img.Bounds().Dx() != 256 || img.Bounds().Dy() != 256 || small.Bounds().Dx() != 64 || small.Bounds().Dy() != 64 {
			t.Errorf("%s: sizes %v and %v", f.name, img.Bounds(), small.Bounds())
		}
		if f.name == "a.webp" {
			continue
		}
		// The centre square of the tall picture: green band in the middle, white (was
		// transparent) above and below.
		if !near(img.At(128, 128), 0, 200, 0) || !near(img.At(128, 10), 255, 255, 255) || !near(img.At(128, 245), 255, 255, 255) {
			t.Errorf("%s: centre %v, top %v, bottom %v; want green on white", f.name, img.At(128, 128), img.At(128, 10), img.At(128, 245))
		}
	}
	if files := e.mediaFiles(); len(files) != 2 {
		t.Errorf("%d files stored, want the last avatar's 2", len(files))
	}
}

// pngHeader returns a PNG signature and IHDR chunk declaring w×h pixels, and no pixels.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk := binary.BigEndian.AppendUint32(nil, 13)
	chunk = append(chunk, "IHDR"...)
	chunk = append(chunk, ihdr...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append([]byte("\x89PNG\r\n\x1a\n"), chunk...)
}

// TestAvatarRefusals: a decompression bomb (a few bytes declaring 50000×50000 pixels, or a
// side beyond the limit) is refused before decoding with 413, bytes that claim to be an
// image but do not decode with 415; neither stores anything nor changes the avatar.
func TestAvatarRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("bomber")
	path := fmt.Sprintf("/api/users/%d", u.id)
	res := e.upload("PUT", path, u.token, nil, map[string]fileUpload{"avatar": {"ok.jpg", sampleImage(t)}})
	expect(t, res, 200, "")
	before := e.mediaFiles()
	bomb := pngHeader(50000, 50000)
	if len(bomb) > 64 {
		t.Fatalf("bomb of %d bytes", len(bomb))
	}
	for _, c := range []struct {
		name   string
		data   []byte
		status int
		code   string
	}{
		{"bomb.png", bomb, 413, "too_large"},
		{"wide.png", pngHeader(10001, 10), 413, "too_large"},
		{"many.png", pngHeader(8000, 6000), 413, "too_large"}, // 48 megapixels
		{"empty.png", pngHeader(0, 0), 415, "unsupported_media_type"},
		{"header only.png", pngHeader(100, 100), 415, "unsupported_media_type"},
		{"truncated.jpg", sampleImage(t)[:300], 415, "unsupported_media_type"},
		{"garbage.gif", []byte("GIF89a\x01\x00\x01\x00garbage"), 415, "unsupported_media_type"},
		{"garbage.webp", []byte("RIFF\x20\x00\x00\x00WEBPVP8 garbage"), 415, "unsupported_media_type"},
	} {
		got := e.upload("PUT", path, u.token, nil, map[string]fileUpload{"avatar": {c.name, c.data}})
		if got.status != c.status || got.str("code") != c.code || got.str("fields.avatar") == "" {
			t.Errorf("%s: %s, want %d %s with a message on avatar", c.name, got, c.status, c.code)
		}
	}
	if after := e.mediaFiles(); !slices.Equal(after, before) {
		t.Errorf("files %v after refused uploads, want %v", after, before)
	}
	if got := e.request("GET", path, nil, ""); got.str("avatar") != res.str("avatar") {
		t.Errorf("avatar changed by a refused upload: %s", got.raw)
	}
}

// TestSeededUsersHaveAvatars: after the seed every user, the moderator too, has an avatar
// and a small one that the server serves as JPEGs, and the orphans command keeps them.
func TestSeededUsersHaveAvatars(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("password123"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	opts := seed.DefaultOptions()
	opts.Videos, opts.Comments, opts.VideoLikes, opts.CommentLikes, opts.Follows, opts.MediaCopies = 3, 0, 0, 0, 5, 1
	if _, err := seed.Run(context.Background(), e.pool, e.media, string(hash), opts, io.Discard); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	rows, err := e.pool.Query(context.Background(), `SELECT id FROM users ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil || len(ids) != opts.Users+1 {
		t.Fatalf("%d users (%v), want %d and the moderator", len(ids), err, opts.Users)
	}
	for _, id := range ids {
		res := e.request("GET", fmt.Sprintf("/api/users/%d", id), nil, "")
		expect(t, res, 200, "")
		_, img := fetchImage(t, e, res.str("avatar"))
		_, small := fetchImage(t, e, res.str("avatarSmall"))
		if img.Bounds().Dx() != 256 || small.Bounds().Dx() != 64 {
			t.Errorf("user %d: avatar %v, small %v", id, img.Bounds(), small.Bounds())
		}
	}
	rep, err := maintenance.Orphans(context.Background(), e.store, e.media, maintenance.OrphanOptions{
		DryRun: true, Now: func() time.Time { return time.Now().Add(24 * time.Hour) }})
	if err != nil || len(rep.Removed) != 0 {
		t.Errorf("orphans would remove %v (%v), want nothing", rep.Removed, err)
	}
}

// TestThumbnailIsReencoded: a video's uploaded thumbnail (a phone photo with EXIF: GPS,
// orientation 6) is served upright, at its size, without any metadata segment.
func TestThumbnailIsReencoded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("uploader")
	res := e.upload("POST", "/api/videos", u.token, map[string]string{"caption": "with a phone thumbnail"},
		map[string]fileUpload{"video": {"clip.mp4", sampleVideo(t)}, "thumbnail": {"t.jpg", exifJPEG(t, "SECRET-PLACE")}})
	expect(t, res, 201, "")
	raw, img := fetchImage(t, e, res.str("thumbnailUrl"))
	if bytes.Contains(raw, []byte("Exif")) || bytes.Contains(raw, []byte("SECRET-PLACE")) || bytes.ContainsRune(jpegSegments(t, raw), 0xE1) {
		t.Errorf("the thumbnail kept metadata: segments % x", jpegSegments(t, raw))
	}
	// Stored 400×200, red on top; shown rotated 90° clockwise: 200×400, red on the right.
	if b := img.Bounds(); b.Dx() != 200 || b.Dy() != 400 {
		t.Errorf("thumbnail %v, want 200×400 (upright)", b)
	}
	if !near(img.At(190, 200), 220, 0, 0) || !near(img.At(10, 200), 0, 0, 220) {
		t.Errorf("thumbnail not turned upright: right %v, left %v", img.At(190, 200), img.At(10, 200))
	}
}
