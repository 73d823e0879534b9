package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/tiktok"
)

// Direct uploads: POST /api/uploads hands a signed-in user a presigned PUT of one object
// (S3 storage only); the client sends the file straight to the bucket, then names the key
// in POST /api/videos (videoKey, thumbnailKey). Keys are recorded per user (migration
// 00019) and claimed once.
const (
	// uploadURLTTL is how long a presigned upload URL may be used (the PUT must start by then).
	uploadURLTTL = 15 * time.Minute
	// uploadKeyTTL is how long the key may be claimed: longer than the URL, so that an
	// upload started at the last moment can finish and be claimed.
	uploadKeyTTL = 30 * time.Minute
	// maxOpenUploads is how many keys a user may hold neither claimed nor expired.
	maxOpenUploads = 10
)

// uploadRequest is the body of POST /api/uploads.
type uploadRequest struct {
	Kind        *string `json:"kind"`
	ContentType *string `json:"contentType"`
	Size        *int64  `json:"size"`
}

// uploadJSON is a presigned direct upload.
type uploadJSON struct {
	URL       string            `json:"url"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	Key       string            `json:"key"`
	ExpiresAt string            `json:"expiresAt"`
}

func (s *Server) handleUploadCreate(w http.ResponseWriter, r *http.Request) error {
	var req uploadRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	presigner, ok := s.media.(media.Presigner)
	if !ok {
		return &tiktok.Error{Code: tiktok.CodeNotImplemented,
			Message: "Direct uploads need S3 storage (MEDIA_STORAGE=s3); send the file to POST /api/videos as multipart/form-data instead"}
	}
	fields := map[string]string{}
	var kind media.Kind
	switch {
	case req.Kind == nil:
		fields["kind"] = "is required"
	case *req.Kind == "video":
		kind = media.Video
	case *req.Kind == "image":
		kind = media.Image
	default:
		fields["kind"] = "must be video or image"
	}
	var name string
	if req.ContentType == nil {
		fields["contentType"] = "is required"
	} else {
		n, got, ok, err := media.NewName(strings.ToLower(strings.TrimSpace(*req.ContentType)))
		switch {
		case err != nil:
			return err
		case !ok || (req.Kind != nil && fields["kind"] == "" && got != kind):
			if kind == media.Image {
				fields["contentType"] = "must be image/jpeg, image/png, image/webp or image/gif"
			} else {
				fields["contentType"] = "must be video/mp4, video/quicktime or video/webm"
			}
		default:
			name = n
		}
	}
	limit := s.cfg.MaxVideoBytes
	if kind == media.Image {
		limit = media.MaxImageBytes
	}
	switch {
	case req.Size == nil:
		fields["size"] = "is required"
	case *req.Size <= 0:
		fields["size"] = "must be a positive number of bytes"
	case *req.Size > limit && fields["kind"] == "":
		return &tiktok.Error{Code: tiktok.CodeTooLarge, Message: fmt.Sprintf("File is too large (limit %d bytes)", limit),
			Fields: map[string]string{"size": fmt.Sprintf("must be at most %d", limit)}}
	}
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	ctype := media.ContentType(name)
	if _, err := s.store.IssueUploadKey(r.Context(), tiktok.NewUploadKey{Key: name, UserID: viewerID(r),
		Kind: kind.String(), ContentType: ctype, Size: *req.Size, TTL: uploadKeyTTL}, maxOpenUploads); err != nil {
		return err
	}
	p, err := presigner.PresignPut(r.Context(), name, ctype, *req.Size, uploadURLTTL)
	if err != nil {
		return err
	}
	headers := make(map[string]string, len(p.Header))
	for k := range p.Header {
		headers[k] = p.Header.Get(k)
	}
	writeJSON(w, http.StatusCreated, uploadJSON{URL: p.URL, Method: p.Method, Headers: headers, Key: name, ExpiresAt: jsonTime(p.Expires)})
	return nil
}

// createVideoFromUploads is POST /api/videos with JSON naming direct uploads: videoKey and
// an optional thumbnailKey. The text fields are checked first, so that a typo does not
// cost the upload; then each key must be the caller's, of its kind, unexpired and not yet
// claimed, and its object must exist, fit the size limit and sniff as its kind with the
// extension its key promised (else 413/415 and the object is deleted). Keys are claimed
// once, atomically; the video then owns the objects, and a failure to create it deletes
// them.
func (s *Server) createVideoFromUploads(w http.ResponseWriter, r *http.Request, f videoForm) error {
	fields := map[string]string{}
	optionalText(fields, "caption", f.Caption, maxCaptionRunes)
	optionalText(fields, "audioName", f.AudioName, maxAudioNameRunes)
	if f.VideoKey == nil || *f.VideoKey == "" {
		fields["videoKey"] = "is required"
	}
	if f.VideoURL != nil || f.ThumbnailURL != nil {
		fields["videoKey"] = "cannot be combined with videoUrl or thumbnailUrl"
	}
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	ctx, user := r.Context(), viewerID(r)
	video, err := s.checkUpload(ctx, user, "videoKey", *f.VideoKey, media.Video, s.cfg.MaxVideoBytes)
	if err != nil {
		return err
	}
	var thumbnail *media.Saved
	if f.ThumbnailKey != nil && *f.ThumbnailKey != "" {
		if thumbnail, err = s.checkUpload(ctx, user, "thumbnailKey", *f.ThumbnailKey, media.Image, media.MaxImageBytes); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		field string
		saved *media.Saved
		kind  media.Kind
	}{{"videoKey", video, media.Video}, {"thumbnailKey", thumbnail, media.Image}} {
		if c.saved == nil {
			continue
		}
		won, err := s.store.ClaimUploadKey(ctx, c.saved.Name, user, c.kind.String())
		if err != nil {
			return err
		}
		if !won { // a parallel request claimed it first (or it expired just now)
			if c.kind == media.Image {
				// The video's key is claimed already: its object goes with this failure.
				s.deleteMedia(video.Name)
			}
			return tiktok.Invalid(map[string]string{c.field: "was already used"})
		}
	}
	if err := s.createVideo(w, r, f, video, thumbnail); err != nil {
		s.deleteMedia(savedNames(video, thumbnail)...)
		return err
	}
	return nil
}

// checkUpload checks the direct upload key (of request field field) before it is claimed:
// issued to user for kind, neither expired nor claimed, its object stored, at most max
// bytes, and its first bytes of the type the key's extension says. An object that fails
// the size or type check is deleted.
func (s *Server) checkUpload(ctx context.Context, user int64, field, key string, kind media.Kind, max int64) (*media.Saved, error) {
	invalid := func(problem string) error { return tiktok.Invalid(map[string]string{field: problem}) }
	if media.ValidateName(key) != nil {
		return nil, invalid("is not an upload key")
	}
	k, err := s.store.UploadKey(ctx, key)
	var te *tiktok.Error
	if errors.As(err, &te) && te.Code == tiktok.CodeNotFound {
		return nil, tiktok.NotFound("Upload")
	}
	switch {
	case err != nil:
		return nil, err
	case k.UserID != user:
		return nil, tiktok.Forbidden()
	case k.Kind != kind.String():
		return nil, invalid("is not an upload of a " + kind.String())
	case k.Claimed:
		return nil, invalid("was already used")
	case k.Expired:
		return nil, invalid("has expired; ask for a new upload")
	}
	f, err := s.media.Open(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, invalid("has no file yet: send it to the upload URL first")
	}
	if err != nil {
		return nil, err
	}
	head := make([]byte, min(f.Size(), media.SniffLen))
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read the head of upload %s: %w", key, err)
	}
	reject := func(e *tiktok.Error) (*media.Saved, error) {
		s.deleteMedia(key)
		e.Fields = map[string]string{field: e.Message}
		return nil, e
	}
	if f.Size() > max {
		return reject(tiktok.Errorf(tiktok.CodeTooLarge, "File is too large (limit %d bytes)", max))
	}
	ctype, _, got, ok := media.Sniff(head)
	if f.Size() == 0 || !ok || got != kind || ctype != media.ContentType(key) {
		return reject(tiktok.Errorf(tiktok.CodeUnsupportedMediaType, "The uploaded bytes are not the %s the upload was for (%s)", kind, media.ContentType(key)))
	}
	return &media.Saved{Name: key, ContentType: ctype, Size: f.Size()}, nil
}
