package media

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
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

// Real leading bytes of files of each format (ISO/QuickTime headers as written by ffmpeg,
// an iPhone and old QuickTime; the EBML header as written by ffmpeg's WebM muxer).
var (
	mp4Isom = []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41\x00\x00\x00\x08free")
	mp4Mp42 = []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00\x00\x08free")
	mp4Avc1 = []byte("\x00\x00\x00\x1cftypavc1\x00\x00\x00\x00avc1isommp41\x00\x00\x00\x08free")
	mp4Dash = []byte("\x00\x00\x00\x18ftypdash\x00\x00\x00\x00iso6mp41\x00\x00\x00\x08free")
	mp4M4V  = []byte("\x00\x00\x00\x1cftypM4V \x00\x00\x00\x01M4V M4A mp42\x00\x00\x00\x08free")
	mp4XAVC = []byte("\x00\x00\x00\x1cftypXAVC\x01\x00\x1f\xffXAVCmp42iso2\x00\x00\x00\x08free")
	movQt   = []byte("\x00\x00\x00\x14ftypqt  \x20\x05\x03\x00qt  \x00\x00\x00\x08wide")
	movMoov = []byte("\x00\x00\x01\x2cmoov\x00\x00\x00\x6cmvhd")
	movMdat = []byte("\x00\x01\x00\x00mdat\x00\x00\x00\x00")
	movWide = []byte("\x00\x00\x00\x08wide\x00\x10\x00\x00mdat")
	movFree = []byte("\x00\x00\x00\x10free\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x2cmoov")
	webm    = []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02")
	webp    = []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00\x30\x01\x00\x9d\x01\x2a\x01\x00\x01\x00")
	gif87   = []byte("GIF87a\x01\x00\x01\x00\x80\x00\x00")
)

func realPNG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func realJPEG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func realGIF(t testing.TB) []byte {
	var b bytes.Buffer
	if err := gif.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := range 16 {
		for y := range 16 {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 16), 128, 255})
		}
	}
	return img
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name     string
		head     []byte
		wantOK   bool
		wantType string
		wantExt  string
		wantKind Kind
	}{
		{name: "mp4 isom", head: mp4Isom, wantOK: true, wantType: "video/mp4", wantExt: ".mp4", wantKind: Video},
		{name: "mp4 mp42", head: mp4Mp42, wantOK: true, wantType: "video/mp4", wantExt: ".mp4", wantKind: Video},
		{name: "mp4 avc1", head: mp4Avc1, wantOK: true, wantType: "video/mp4", wantExt: ".mp4", wantKind: Video},
		{name: "mp4 dash", head: mp4Dash, wantOK: true, wantType: "video/mp4", wantExt: ".mp4", wantKind: Video},
		{name: "mp4 M4V", head: mp4M4V, wantOK: true, wantType: "video/mp4", wantExt: ".mp4", wantKind: Video},
		{name: "mp4 vendor brand with isom compatibility", head: mp4XAVC, wantOK: true, wantType: "video/mp4", wantExt: ".mp4", wantKind: Video},
		{name: "sample clip", head: Samples()[0].Video[:SniffLen], wantOK: true, wantType: "video/mp4", wantExt: ".mp4", wantKind: Video},
		{name: "quicktime ftyp qt", head: movQt, wantOK: true, wantType: "video/quicktime", wantExt: ".mov", wantKind: Video},
		{name: "quicktime moov atom", head: movMoov, wantOK: true, wantType: "video/quicktime", wantExt: ".mov", wantKind: Video},
		{name: "quicktime mdat atom", head: movMdat, wantOK: true, wantType: "video/quicktime", wantExt: ".mov", wantKind: Video},
		{name: "quicktime wide atom", head: movWide, wantOK: true, wantType: "video/quicktime", wantExt: ".mov", wantKind: Video},
		{name: "quicktime free atom", head: movFree, wantOK: true, wantType: "video/quicktime", wantExt: ".mov", wantKind: Video},
		{name: "webm", head: webm, wantOK: true, wantType: "video/webm", wantExt: ".webm", wantKind: Video},
		{name: "jpeg", head: realJPEG(t), wantOK: true, wantType: "image/jpeg", wantExt: ".jpg", wantKind: Image},
		{name: "sample thumbnail", head: Samples()[0].Thumbnail, wantOK: true, wantType: "image/jpeg", wantExt: ".jpg", wantKind: Image},
		{name: "png", head: realPNG(t), wantOK: true, wantType: "image/png", wantExt: ".png", wantKind: Image},
		{name: "gif89a", head: realGIF(t), wantOK: true, wantType: "image/gif", wantExt: ".gif", wantKind: Image},
		{name: "gif87a", head: gif87, wantOK: true, wantType: "image/gif", wantExt: ".gif", wantKind: Image},
		{name: "webp", head: webp, wantOK: true, wantType: "image/webp", wantExt: ".webp", wantKind: Image},

		{name: "empty", head: nil},
		{name: "plain text", head: []byte("this is not a video, whatever its name says\n")},
		{name: "html", head: []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")},
		{name: "svg", head: []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
		{name: "json", head: []byte(`{"ftyp": "isom"}`)},
		{name: "pdf", head: []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")},
		{name: "wav", head: []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00")},
		{name: "m4a audio", head: []byte("\x00\x00\x00\x1cftypM4A \x00\x00\x02\x00M4A isommp42")},
		{name: "heic image", head: []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")},
		{name: "avif image", head: []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf")},
		{name: "ftyp box too small", head: []byte("\x00\x00\x00\x0cftypisom")},
		{name: "unknown brand", head: []byte("\x00\x00\x00\x18ftypabcd\x00\x00\x00\x00abcdefgh")},
		{name: "wide atom of wrong size", head: []byte("\x00\x00\x01\x00wide\x00\x00\x00\x00")},
		{name: "moov atom of implausible size", head: []byte("abcdmoov and then some text")},
		{name: "truncated png", head: []byte("\x89PNG\r\n")},
		{name: "truncated webp", head: []byte("RIFF\x24\x00\x00\x00WEB")},
		{name: "jpeg without marker", head: []byte("\xff\xd8")},
		{name: "gif of unknown version", head: []byte("GIF88a\x01\x00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, ext, kind, ok := Sniff(tt.head)
			if ok != tt.wantOK {
				t.Fatalf("Sniff ok = %v (type %q), want %v", ok, ct, tt.wantOK)
			}
			if !ok {
				return
			}
			if ct != tt.wantType || ext != tt.wantExt || kind != tt.wantKind {
				t.Errorf("Sniff = %q, %q, %v; want %q, %q, %v", ct, ext, kind, tt.wantType, tt.wantExt, tt.wantKind)
			}
			if got := ContentType("x" + ext); got != ct {
				t.Errorf("ContentType(%q) = %q, want %q", "x"+ext, got, ct)
			}
		})
	}
}

// hasKnownSignature reports, independently of Sniff, whether b starts with the signature of
// a format Sniff may accept.
func hasKnownSignature(b []byte) bool {
	if len(b) >= 8 {
		switch string(b[4:8]) {
		case "ftyp", "moov", "mdat", "wide", "free":
			return true
		}
	}
	if len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" {
		return true
	}
	for _, sig := range []string{"\x1a\x45\xdf\xa3", "\xff\xd8\xff", "\x89PNG\r\n\x1a\n", "GIF87a", "GIF89a"} {
		if bytes.HasPrefix(b, []byte(sig)) {
			return true
		}
	}
	return false
}

func FuzzSniff(f *testing.F) {
	for _, seed := range [][]byte{
		mp4Isom, mp4Mp42, mp4Avc1, mp4Dash, mp4M4V, mp4XAVC, movQt, movMoov, movMdat, movWide,
		movFree, webm, webp, gif87,
		[]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"),
		[]byte("GIF89a\x01\x00\x01\x00"), []byte("<svg></svg>"), []byte("hello"), nil,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ct, ext, kind, ok := Sniff(b)
		if !ok {
			if ct != "" || ext != "" {
				t.Fatalf("rejected but returned %q, %q", ct, ext)
			}
			return
		}
		if kind != Video && kind != Image {
			t.Fatalf("accepted with kind %v", kind)
		}
		if !hasKnownSignature(b) {
			t.Fatalf("accepted %q as %s without a known signature", b, ct)
		}
		if !strings.HasPrefix(ct, kind.String()+"/") || ContentType("x"+ext) != ct {
			t.Fatalf("inconsistent result %q, %q, %v", ct, ext, kind)
		}
	})
}

// dirNames lists every entry of dir, hidden and temporary files included.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func newLocal(t *testing.T) *Local {
	t.Helper()
	l, err := NewLocal(filepath.Join(t.TempDir(), "uploads"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func wantCode(t *testing.T, err error, code tiktok.Code) {
	t.Helper()
	var e *tiktok.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v, want a *tiktok.Error with code %s", err, code)
	}
}

var storedName = regexp.MustCompile(`^[0-9a-f]{32}\.[a-z0-9]+$`)

func TestSave(t *testing.T) {
	tests := []struct {
		name     string
		kind     Kind
		body     []byte
		wantCode tiktok.Code // "" means success
		wantType string
	}{
		{name: "mp4 video", kind: Video, body: append(slices.Clone(mp4Isom), make([]byte, 4000)...), wantType: "video/mp4"},
		{name: "quicktime video", kind: Video, body: movQt, wantType: "video/quicktime"},
		{name: "webm video", kind: Video, body: webm, wantType: "video/webm"},
		{name: "sample clip", kind: Video, body: Samples()[1].Video, wantType: "video/mp4"},
		{name: "jpeg image", kind: Image, body: realJPEG(t), wantType: "image/jpeg"},
		{name: "png image", kind: Image, body: realPNG(t), wantType: "image/png"},
		{name: "gif image", kind: Image, body: realGIF(t), wantType: "image/gif"},
		{name: "webp image", kind: Image, body: webp, wantType: "image/webp"},
		{name: "text named .mp4", kind: Video, body: []byte("definitely not a movie\n"), wantCode: tiktok.CodeUnsupportedMediaType},
		{name: "html as image", kind: Image, body: []byte("<html><body>hi</body></html>"), wantCode: tiktok.CodeUnsupportedMediaType},
		{name: "image as video", kind: Video, body: realPNG(t), wantCode: tiktok.CodeUnsupportedMediaType},
		{name: "video as image", kind: Image, body: mp4Isom, wantCode: tiktok.CodeUnsupportedMediaType},
		{name: "empty", kind: Video, body: nil, wantCode: tiktok.CodeUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStorage(t, func(t *testing.T, st testStorage) {
				saved, err := Save(t.Context(), st, tt.kind, bytes.NewReader(tt.body), 10<<20)
				if tt.wantCode != "" {
					wantCode(t, err, tt.wantCode)
					if names := st.contents(t); len(names) != 0 {
						t.Errorf("storage holds %q after a failed Save", names)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !storedName.MatchString(saved.Name) || saved.ContentType != tt.wantType || saved.Size != int64(len(tt.body)) {
					t.Errorf("Save = %+v, want a random name, type %q, size %d", saved, tt.wantType, len(tt.body))
				}
				if ContentType(saved.Name) != tt.wantType {
					t.Errorf("ContentType(%q) = %q, want %q", saved.Name, ContentType(saved.Name), tt.wantType)
				}
				if got := readStored(t, st, saved.Name); !bytes.Equal(got, tt.body) {
					t.Errorf("stored %d bytes differ from the %d uploaded", len(got), len(tt.body))
				}
				if names := st.contents(t); !slices.Equal(names, []string{saved.Name}) {
					t.Errorf("storage holds %q, want only %q", names, saved.Name)
				}
			})
		})
	}
}

func TestSaveNamesAreUnique(t *testing.T) {
	l := newLocal(t)
	seen := map[string]bool{}
	for range 20 {
		saved, err := Save(t.Context(), l, Image, bytes.NewReader(gif87), MaxImageBytes)
		if err != nil {
			t.Fatal(err)
		}
		if seen[saved.Name] {
			t.Fatalf("name %q given twice", saved.Name)
		}
		seen[saved.Name] = true
	}
}

// generated yields size bytes: head, then a repeating pattern, without holding them.
type generated struct {
	head []byte
	off  int64
	size int64
	err  error // returned instead of io.EOF once size bytes were read
}

func (g *generated) Read(p []byte) (int, error) {
	if g.off >= g.size {
		if g.err != nil {
			return 0, g.err
		}
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.size-g.off)]
	for i := range p {
		if pos := g.off + int64(i); pos < int64(len(g.head)) {
			p[i] = g.head[pos]
		} else {
			p[i] = byte(pos)
		}
	}
	g.off += int64(len(p))
	return len(p), nil
}

func TestSaveSizeLimit(t *testing.T) {
	const max = 100 << 10
	tests := []struct {
		name     string
		size     int64
		max      int64
		wantCode tiktok.Code
	}{
		{name: "exactly the limit", size: max, max: max},
		{name: "one byte over", size: max + 1, max: max, wantCode: tiktok.CodeTooLarge},
		{name: "far over", size: 10 * max, max: max, wantCode: tiktok.CodeTooLarge},
		{name: "head alone over", size: 400, max: 100, wantCode: tiktok.CodeTooLarge},
		{name: "limit smaller than the sniffed head", size: 300, max: 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStorage(t, func(t *testing.T, st testStorage) {
				saved, err := Save(t.Context(), st, Video, &generated{head: mp4Isom, size: tt.size}, tt.max)
				if tt.wantCode != "" {
					wantCode(t, err, tt.wantCode)
					if names := st.contents(t); len(names) != 0 {
						t.Errorf("storage holds %q after a too large upload", names)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if saved.Size != tt.size {
					t.Errorf("Size = %d, want %d", saved.Size, tt.size)
				}
			})
		})
	}
}

func TestSaveFailureLeavesNothing(t *testing.T) {
	broken := errors.New("connection reset")
	tests := []struct {
		name    string
		body    func(cancel context.CancelFunc) io.Reader
		wantErr error
	}{
		{
			name:    "reader fails midway",
			body:    func(context.CancelFunc) io.Reader { return &generated{head: mp4Isom, size: 300 << 10, err: broken} },
			wantErr: broken,
		},
		{
			name:    "reader fails in the head",
			body:    func(context.CancelFunc) io.Reader { return &generated{head: mp4Isom, size: 100, err: broken} },
			wantErr: broken,
		},
		{
			name: "context cancelled midway",
			body: func(cancel context.CancelFunc) io.Reader {
				return io.MultiReader(&generated{head: mp4Isom, size: 200 << 10},
					readerFunc(func([]byte) (int, error) { cancel(); return 0, nil }),
					&generated{size: 200 << 10})
			},
			wantErr: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStorage(t, func(t *testing.T, st testStorage) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				_, err := Save(ctx, st, Video, tt.body(cancel), 10<<20)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				if names := st.contents(t); len(names) != 0 {
					t.Errorf("storage holds %q after a failed Save", names)
				}
			})
		})
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestSaveMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 50 MiB")
	}
	const size = 50 << 20
	l := newLocal(t)
	body := &generated{head: mp4Isom, size: size}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	saved, err := Save(t.Context(), l, Video, body, 100<<20)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Size != size {
		t.Fatalf("Size = %d, want %d", saved.Size, size)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("saving %d MiB allocated %d KiB", size>>20, alloc>>10)
	if alloc >= 8<<20 {
		t.Errorf("saving %d MiB allocated %d KiB, want < 8 MiB", size>>20, alloc>>10)
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name  string
		valid bool
	}{
		{"3f9c0a1b2c3d4e5f60718293a4b5c6d7.mp4", true},
		{"a", true},
		{"A-b_c.d.jpg", true},
		{strings.Repeat("a", MaxNameLen), true},
		{"", false},
		{strings.Repeat("a", MaxNameLen+1), false},
		{".hidden", false},
		{".", false},
		{"..", false},
		{"../x", false},
		{"a/b", false},
		{"a\\b", false},
		{"/etc/passwd", false},
		{"x..y", false},
		{"a b", false},
		{"a\x00b", false},
		{"vidéo.mp4", false},
		{".put-123", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.name), func(t *testing.T) {
			err := ValidateName(tt.name)
			if tt.valid && err != nil {
				t.Errorf("ValidateName = %v, want nil", err)
			}
			if !tt.valid && !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("ValidateName = %v, want an error wrapping fs.ErrInvalid", err)
			}
		})
	}
}

func TestLocalRejectsBadNames(t *testing.T) {
	parent := t.TempDir()
	l, err := NewLocal(filepath.Join(parent, "uploads"))
	if err != nil {
		t.Fatal(err)
	}
	// A file next to the storage directory that traversal would reach.
	if err := os.WriteFile(filepath.Join(parent, "x"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, name := range []string{"../x", "a/b", ".hidden", "", "..", "/x", `..\x`} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			if _, err := l.Put(ctx, name, strings.NewReader("data")); !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("Put error = %v, want fs.ErrInvalid", err)
			}
			if f, err := l.Open(ctx, name); !errors.Is(err, fs.ErrInvalid) {
				if f != nil {
					f.Close()
				}
				t.Errorf("Open error = %v, want fs.ErrInvalid", err)
			}
			if err := l.Delete(ctx, name); !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("Delete error = %v, want fs.ErrInvalid", err)
			}
		})
	}
	if names := dirNames(t, l.Dir()); len(names) != 0 {
		t.Errorf("storage holds %q", names)
	}
	if names := dirNames(t, parent); !slices.Equal(names, []string{"uploads", "x"}) {
		t.Errorf("parent holds %q, want only uploads and x", names)
	}
	if b, err := os.ReadFile(filepath.Join(parent, "x")); err != nil || string(b) != "secret" {
		t.Errorf("file outside the storage changed: %q, %v", b, err)
	}
}

// TestLocalFiles checks what only the local storage has (the storage contract itself is
// tested for every storage in storage_test.go): file modes, directories, hidden files.
func TestLocalFiles(t *testing.T) {
	l := newLocal(t)
	ctx := t.Context()
	if _, err := l.Put(ctx, "clip.mp4", strings.NewReader("0123456789")); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(l.Dir(), "clip.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o644 {
		t.Errorf("mode = %v, want 0644", perm)
	}
	if err := os.Mkdir(filepath.Join(l.Dir(), "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Open(ctx, "sub"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a directory: %v, want fs.ErrNotExist", err)
	}
	// An unfinished Put, a directory and a hidden file are not stored files.
	for _, name := range []string{tempPrefix + "123", ".hidden"} {
		if err := os.WriteFile(filepath.Join(l.Dir(), name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int64{}
	if err := l.Walk(ctx, func(name string, size int64, _ time.Time) error { got[name] = size; return nil }); err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"clip.mp4": 10}; !maps.Equal(got, want) {
		t.Errorf("Walk listed %v, want %v", got, want)
	}
}

func TestNewLocal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() || info.Mode().Perm() != 0o755 {
		t.Errorf("NewLocal did not create %s with mode 0755: %v, %v", dir, info, err)
	}
	if l.Dir() != dir {
		t.Errorf("Dir = %q, want %q", l.Dir(), dir)
	}
	if _, err := NewLocal(dir); err != nil {
		t.Errorf("NewLocal of an existing directory: %v", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewLocal(file); err == nil {
		t.Error("NewLocal of a regular file succeeded")
	}
}

func TestSamples(t *testing.T) {
	samples := Samples()
	if len(samples) != 4 {
		t.Fatalf("%d samples, want 4", len(samples))
	}
	var total int
	for i, s := range samples {
		if want := fmt.Sprintf("sample%d", i+1); s.Name != want {
			t.Errorf("sample %d is named %q, want %q", i, s.Name, want)
		}
		if ct, _, kind, ok := Sniff(s.Video); !ok || kind != Video || ct != "video/mp4" {
			t.Errorf("%s video sniffed as %q, %v, %v", s.Name, ct, kind, ok)
		}
		if ct, _, kind, ok := Sniff(s.Thumbnail); !ok || kind != Image || ct != "image/jpeg" {
			t.Errorf("%s thumbnail sniffed as %q, %v, %v", s.Name, ct, kind, ok)
		}
		if len(s.Video) > 420<<10 || len(s.Thumbnail) > 60<<10 {
			t.Errorf("%s is too big: video %d, thumbnail %d bytes", s.Name, len(s.Video), len(s.Thumbnail))
		}
		if _, err := jpeg.DecodeConfig(bytes.NewReader(s.Thumbnail)); err != nil {
			t.Errorf("%s thumbnail: %v", s.Name, err)
		}
		total += len(s.Video) + len(s.Thumbnail)
	}
	if total > 2<<20 {
		t.Errorf("samples total %d bytes, want < 2 MiB", total)
	}
	// Callers get their own copies.
	samples[0].Video[0] = 0xff
	if Samples()[0].Video[0] == 0xff {
		t.Error("Samples shares its bytes between calls")
	}
}

func TestLocalRemoveStaleTemp(t *testing.T) {
	dir := t.TempDir()
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	for _, n := range []string{".put-old1", ".put-old2", ".put-new", "kept.mp4"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{".put-old1", ".put-old2", "kept.mp4"} {
		if err := os.Chtimes(filepath.Join(dir, n), old, old); err != nil {
			t.Fatal(err)
		}
	}
	cutoff := time.Now().Add(-time.Hour)
	if n, err := l.RemoveStaleTemp(context.Background(), cutoff, true); err != nil || n != 2 {
		t.Fatalf("dry run: %d, %v", n, err)
	}
	if n, err := l.RemoveStaleTemp(context.Background(), cutoff, false); err != nil || n != 2 {
		t.Fatalf("remove: %d, %v", n, err)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if strings.Join(left, ",") != ".put-new,kept.mp4" {
		t.Fatalf("left %v", left)
	}
}
