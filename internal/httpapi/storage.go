package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

// The Supabase-Storage-compatible routes (STORAGE_COMPAT=true) let the original frontend's
// upload page store files here unchanged: it uploads with storage-js, then posts the
// public URLs to POST /api/videos.

const storagePublicPrefix = "/storage/v1/object/public/"

var storagePathPattern = regexp.MustCompile(`^[A-Za-z0-9._/-]{1,512}$`)

// storageBucket returns the media kind and size limit of a bucket.
func (s *Server) storageBucket(bucket string) (media.Kind, int64, error) {
	switch bucket {
	case "videos":
		return media.Video, s.cfg.MaxVideoBytes, nil
	case "thumbnails":
		return media.Image, media.MaxImageBytes, nil
	}
	return 0, 0, tiktok.Invalid(map[string]string{"bucket": "must be videos or thumbnails"})
}

// validStoragePath reports whether p is a safe object path: [A-Za-z0-9._/-], no empty,
// "." or ".." segments.
func validStoragePath(p string) bool {
	if !storagePathPattern.MatchString(p) {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// handleStorageUpload stores a file sent as storage-js does: multipart with the file
// under an empty field name, or the raw bytes as the body.
func (s *Server) handleStorageUpload(w http.ResponseWriter, r *http.Request) error {
	bucket, path := r.PathValue("bucket"), r.PathValue("path")
	kind, max, err := s.storageBucket(bucket)
	if err != nil {
		return err
	}
	if !validStoragePath(path) {
		return tiktok.Invalid(map[string]string{"path": "may contain only letters, digits, . _ - and / between non-empty segments, no .."})
	}
	r.Body = http.MaxBytesReader(w, r.Body, max+1<<20)
	var saved media.Saved
	if isMultipart(r) {
		saved, err = s.saveStorageForm(r, kind, max)
	} else {
		saved, err = media.Save(r.Context(), s.media, kind, r.Body, max)
		err = fileError("file", err)
	}
	if err != nil {
		return err
	}
	upsert := strings.EqualFold(r.Header.Get("x-upsert"), "true")
	if err := s.store.PutStorageObject(context.WithoutCancel(r.Context()), bucket, path, postgres.StorageObject{MediaName: saved.Name, ContentType: saved.ContentType}, upsert); err != nil {
		s.deleteMedia(saved.Name)
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"Key": bucket + "/" + path, "Id": newUUID()})
	return nil
}

// saveStorageForm stores the file part of a storage-js multipart upload (the part with an
// empty field name, or failing that the first part with a file name); other fields
// (cacheControl, metadata) are ignored.
func (s *Server) saveStorageForm(r *http.Request, kind media.Kind, max int64) (media.Saved, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return media.Saved{}, multipartError(err)
	}
	var saved *media.Saved
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if saved != nil {
				s.deleteMedia(saved.Name)
			}
			return media.Saved{}, multipartError(err)
		}
		if saved == nil && (part.FormName() == "" || part.FileName() != "") {
			sv, err := media.Save(r.Context(), s.media, kind, part, max)
			if err != nil {
				return media.Saved{}, fileError("file", err)
			}
			saved = &sv
			continue
		}
		if _, err := io.Copy(io.Discard, part); err != nil {
			if saved != nil {
				s.deleteMedia(saved.Name)
			}
			return media.Saved{}, multipartError(err)
		}
	}
	if saved == nil {
		return media.Saved{}, tiktok.Invalid(map[string]string{"file": "is required"})
	}
	return *saved, nil
}

// handleStoragePublic serves an object stored through handleStorageUpload.
func (s *Server) handleStoragePublic(w http.ResponseWriter, r *http.Request) error {
	bucket, path := r.PathValue("bucket"), r.PathValue("path")
	if _, _, err := s.storageBucket(bucket); err != nil || !validStoragePath(path) {
		return tiktok.NotFound("Object")
	}
	obj, err := s.store.StorageObject(r.Context(), bucket, path)
	if err != nil {
		return err
	}
	return s.serveMedia(w, r, obj.MediaName, obj.ContentType)
}

// ownStorageObject returns the stored file behind rawURL when it is one of this server's
// public storage URLs (so a video posted with it takes ownership), else nil.
func (s *Server) ownStorageObject(r *http.Request, rawURL string) *string {
	if !s.cfg.StorageCompat {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || !strings.HasPrefix(u.Path, storagePublicPrefix) {
		return nil
	}
	base, err := url.Parse(s.baseURL(r))
	if err != nil || !strings.EqualFold(u.Host, base.Host) {
		return nil
	}
	bucket, path, ok := strings.Cut(strings.TrimPrefix(u.Path, storagePublicPrefix), "/")
	if !ok {
		return nil
	}
	obj, err := s.store.StorageObject(r.Context(), bucket, path)
	if err != nil {
		return nil
	}
	return &obj.MediaName
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
