package images

import "encoding/binary"

// jpegOrientation returns the EXIF orientation (1–8) of a JPEG file, or 1 when it has none
// or the tag does not parse. It reads only the segments before the image data and, of the
// EXIF segment (APP1 "Exif\0\0"), only the first IFD's Orientation tag (0x0112).
func jpegOrientation(data []byte) int {
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7): // no length
			i += 2
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image: no EXIF before
			return 1
		}
		length := int(binary.BigEndian.Uint16(data[i+2 : i+4]))
		if length < 2 || i+2+length > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+length]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + length
	}
	return 1
}

// tiffOrientation reads the Orientation tag of the first IFD of a TIFF structure (the body
// of an EXIF segment), or returns 1.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:4]) != 42 {
		return 1
	}
	ifd := int(bo.Uint32(t[4:8]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[ifd : ifd+2]))
	for e := 0; e < n; e++ {
		off := ifd + 2 + 12*e
		if off+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[off:off+2]) != 0x0112 {
			continue
		}
		if bo.Uint16(t[off+2:off+4]) != 3 || bo.Uint32(t[off+4:off+8]) != 1 { // one SHORT
			return 1
		}
		if o := int(bo.Uint16(t[off+8 : off+10])); o >= 1 && o <= 8 {
			return o
		}
		return 1
	}
	return 1
}
