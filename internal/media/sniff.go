package media

import (
	"bytes"
	"encoding/binary"
	"path"
)

// SniffLen is how many leading bytes Sniff needs to recognise every format it knows.
const SniffLen = 512

// String names the kind for messages: "video" or "image".
func (k Kind) String() string {
	switch k {
	case Video:
		return "video"
	case Image:
		return "image"
	default:
		return "unknown"
	}
}

// Sniff identifies a file by its leading bytes (pass at least the first SniffLen bytes, or
// the whole file when it is shorter). It recognises MP4, QuickTime and WebM videos and JPEG,
// PNG, GIF and WebP images, and returns the content type, the file name extension with its
// dot (".mp4") and the kind. Anything else, including every text format (HTML, SVG, …),
// yields ok == false; Sniff never decides by a name or a declared type.
func Sniff(head []byte) (contentType, ext string, kind Kind, ok bool) {
	switch {
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return sniffFtyp(head)
	case isQuickTimeAtom(head):
		return "video/quicktime", ".mov", Video, true
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return "video/webm", ".webm", Video, true
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg", ".jpg", Image, true
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", ".png", Image, true
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "image/gif", ".gif", Image, true
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return "image/webp", ".webp", Image, true
	}
	return "", "", 0, false
}

// sniffFtyp classifies an ISO base media file by its ftyp box: the major brand decides; an
// unknown major brand that is not an audio or still-image brand falls back on the compatible
// brands (cameras write vendor brands such as "XAVC" with "isom" compatibility).
func sniffFtyp(head []byte) (contentType, ext string, kind Kind, ok bool) {
	size := int(binary.BigEndian.Uint32(head[0:4]))
	if size < 16 {
		return "", "", 0, false
	}
	major := string(head[8:12])
	if ct, ext, ok := ftypBrand(major); ok {
		return ct, ext, Video, true
	}
	if nonVideoBrand(major) {
		return "", "", 0, false
	}
	end := min(size, len(head))
	for i := 16; i+4 <= end; i += 4 {
		if ct, ext, ok := ftypBrand(string(head[i : i+4])); ok {
			return ct, ext, Video, true
		}
	}
	return "", "", 0, false
}

// ftypBrand maps a video brand to its content type and extension.
func ftypBrand(brand string) (contentType, ext string, ok bool) {
	switch brand {
	case "qt  ":
		return "video/quicktime", ".mov", true
	case "isom", "iso2", "iso3", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "dash",
		"M4V ", "M4VH", "M4VP", "mmp4":
		return "video/mp4", ".mp4", true
	}
	return "", "", false
}

// nonVideoBrand reports whether an ftyp major brand marks audio or still images (M4A, HEIF,
// AVIF, JPEG 2000, …), which share the ISO container but are not videos.
func nonVideoBrand(brand string) bool {
	switch brand {
	case "M4A ", "M4B ", "M4P ", "F4A ", "F4B ",
		"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis",
		"jp2 ", "jpx ", "jpm ", "mjp2", "crx ":
		return true
	}
	return false
}

// isQuickTimeAtom reports whether head starts with a classic QuickTime atom (a file without
// an ftyp box): moov, mdat, wide or free at offset 4, with a plausible atom size.
func isQuickTimeAtom(head []byte) bool {
	if len(head) < 8 {
		return false
	}
	size := binary.BigEndian.Uint32(head[0:4])
	switch string(head[4:8]) {
	case "mdat":
		return size == 0 || size == 1 || size >= 8 // 0: to end of file; 1: 64-bit size follows
	case "wide":
		return size == 8
	case "moov", "free":
		return size >= 8 && size < 1<<28
	}
	return false
}

// ContentType returns the content type of a stored file from the extension Save gave it
// ("video/mp4" for "….mp4"), or "application/octet-stream" for any other name.
func ContentType(name string) string {
	switch path.Ext(name) {
	case ".mp4":
		return "video/mp4"
	case ".mov":
		return "video/quicktime"
	case ".webm":
		return "video/webm"
	case ".jpg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	}
	return "application/octet-stream"
}
