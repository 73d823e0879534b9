package httpapi

import (
	"errors"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/tiktok"
)

// maxRanges is the most byte ranges one request of a stored file may ask for.
const maxRanges = 8

// handleUpload serves a stored file by its name.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	ctype := media.ContentType(name)
	if ctype == "application/octet-stream" { // not a name Save gives
		return tiktok.NotFound("File")
	}
	return s.serveMedia(w, r, name, ctype)
}

// serveMedia serves a stored file byte for byte, with Range, ETag and conditional requests
// (http.ServeContent). Names never change, so responses are cacheable forever. A missing
// file, or a name the storage refuses, is a 404.
func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request, name, contentType string) error {
	f, err := s.media.Open(r.Context(), name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Debug("open media", "name", name, "err", err)
		}
		return tiktok.NotFound("File")
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("ETag", `"`+name+`"`)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	if rg := r.Header.Get("Range"); strings.Count(rg, ",") >= maxRanges {
		// Players ask for one range at a time. Many ranges cost a multipart part each, so
		// past a few the header is ignored (as nginx's max_ranges does) and the file is
		// served whole, which is what a plain GET gets anyway.
		r.Header.Del("Range")
	}
	http.ServeContent(w, r, name, f.ModTime(), f)
	return nil
}
