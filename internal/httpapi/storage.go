package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/ratelimit"
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
// under an empty field name, or the raw bytes as the body. The route needs no login, so
// everything a stranger could abuse is bounded before the body is read: the object gets an
// owner (storageOwner) or the upload is refused; an existing path is refused, never
// replaced; the client IP may run only so many uploads at once and has a byte budget per
// hour; and the body must keep arriving at the minimum rate. A refused or failed upload
// leaves no file and no row.
func (s *Server) handleStorageUpload(w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if err != nil { // what is left of a refused upload's body is not worth reading
			w.Header().Set("Connection", "close")
		}
	}()
	bucket, path := r.PathValue("bucket"), r.PathValue("path")
	kind, max, err := s.storageBucket(bucket)
	if err != nil {
		return err
	}
	if !validStoragePath(path) {
		return tiktok.Invalid(map[string]string{"path": "may contain only letters, digits, . _ - and / between non-empty segments, no .."})
	}
	owner, err := s.storageOwner(r, path)
	if err != nil {
		return err
	}
	limit := max + 1<<20 // the file and a multipart envelope
	if r.ContentLength > limit {
		return &tiktok.Error{Code: tiktok.CodeTooLarge, Message: "Request body too large"}
	}
	release, err := s.takeUploadSlot(r)
	if err != nil {
		return err
	}
	defer release()
	body, err := s.newUploadBody(w, r, limit)
	if err != nil {
		return err
	}
	defer body.settle()
	if err := s.store.CheckStorageUpload(r.Context(), bucket, path, owner); err != nil {
		return err
	}
	r.Body = body
	var saved media.Saved
	if isMultipart(r) {
		saved, err = s.saveStorageForm(r, kind, max)
	} else {
		saved, err = media.Save(r.Context(), s.media, kind, r.Body, max)
		err = fileError("file", err)
	}
	if err != nil {
		if body.err != nil { // too slow or over the budget: say so, not what it broke
			return body.err
		}
		return err
	}
	obj := tiktok.StorageObject{MediaName: saved.Name, ContentType: saved.ContentType, OwnerID: owner}
	if err := s.store.PutStorageObject(context.WithoutCancel(r.Context()), bucket, path, obj); err != nil {
		s.deleteMedia(saved.Name)
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"Key": bucket + "/" + path, "Id": newUUID()})
	return nil
}

// userFolder matches the user-{id}/ folder the original frontend uploads into.
var userFolder = regexp.MustCompile(`^user-([1-9][0-9]{0,18})/`)

// storageOwner returns the user an upload to path will belong to — the only one who can
// then claim it for a video. It is the uploader when the request carries a valid token of
// ours, else the user of a leading user-{id}/ folder (the original frontend's storage
// client sends only the public key). A logged-in uploader may not write into another
// user's folder (forbidden), and an anonymous upload outside a user folder is refused:
// nobody could ever claim it.
func (s *Server) storageOwner(r *http.Request, path string) (int64, error) {
	var folder int64
	if m := userFolder.FindStringSubmatch(path); m != nil {
		folder, _ = strconv.ParseInt(m[1], 10, 64) // 0 when out of range: no folder
	}
	switch uploader := viewerID(r); {
	case uploader != 0 && folder != 0 && folder != uploader:
		return 0, &tiktok.Error{Code: tiktok.CodeForbidden, Message: "You may upload only into your own user-{id}/ folder"}
	case uploader != 0:
		return uploader, nil
	case folder != 0:
		return folder, nil
	}
	return 0, tiktok.Invalid(map[string]string{"path": "must start with user-{id}/, the folder of the user who will post it (or the upload must carry that user's token)"})
}

// storageBytesRule is the per-client byte budget of storage uploads.
func (s *Server) storageBytesRule() ratelimit.Rule {
	if !s.cfg.Limits.Enabled {
		return ratelimit.Rule{}
	}
	return ratelimit.Rule{Name: "storage-bytes-ip", Limit: s.cfg.Limits.StorageBytesPerIP, Window: time.Hour}
}

// takeUploadSlot admits a storage upload when its client runs fewer than the allowed
// number at once, and returns the function that gives the slot back; otherwise it returns
// a rate_limited error.
func (s *Server) takeUploadSlot(r *http.Request) (release func(), err error) {
	n := s.cfg.Limits.StorageUploadsPerIP
	if !s.cfg.Limits.Enabled || n <= 0 {
		return func() {}, nil
	}
	key := s.clientKey(r)
	if s.slots != nil {
		// Across servers; while the shared store fails, this server's own gate decides.
		leave, ok, err := s.slots.Acquire(r.Context(), "storage-uploads-ip", key, n, uploadSlotTTL)
		switch {
		case err == nil && ok:
			return leave, nil
		case err == nil:
			return nil, tooManyUploads(n)
		}
		s.log.Debug("shared upload slots failed; counting this server's uploads", "err", err)
	}
	leave, ok := s.uploads.tryEnter(key)
	if !ok {
		return nil, tooManyUploads(n)
	}
	return leave, nil
}

func tooManyUploads(n int) error {
	return &tiktok.Error{Code: tiktok.CodeRateLimited, RetryAfter: time.Second,
		Message: fmt.Sprintf("Too many uploads in progress from your address (at most %d at once)", n)}
}

// uploadSlotTTL bounds a shared upload slot that is never given back (its server died): an
// upload's body may take maxBodyTime, storing it a little more.
const uploadSlotTTL = maxBodyTime + 5*time.Minute

const (
	// storageChargeStep is how many bytes a body of unknown length is charged at a time.
	storageChargeStep = 256 << 10
	// maxBodyTime bounds the read deadline the minimum rate moves forward: it is the serve
	// command's ReadTimeout, which setting a deadline replaces.
	maxBodyTime = 10 * time.Minute
)

// uploadBody is the body of a storage upload. It counts the bytes that arrive and charges
// them to the client's byte budget (the Content-Length is reserved up front; a body of
// unknown length is charged as it arrives), and it enforces the minimum transfer rate by
// moving the connection's read deadline as bytes arrive: start + grace + received/rate.
// A body that stops in time for neither fails with err set.
type uploadBody struct {
	s        *Server
	r        io.ReadCloser
	rule     ratelimit.Rule
	key      string
	reserved int64 // bytes taken from the budget; math.MaxInt64 when nothing is charged
	received int64

	rc    *http.ResponseController // nil: no minimum rate
	start time.Time

	err error // the body's own verdict: too slow, over the budget
}

// newUploadBody wraps r's body, limited to limit bytes, reserving its Content-Length from
// the client's byte budget. It fails with rate_limited when the budget cannot cover it.
func (s *Server) newUploadBody(w http.ResponseWriter, r *http.Request, limit int64) (*uploadBody, error) {
	b := &uploadBody{s: s, r: http.MaxBytesReader(w, r.Body, limit), rule: s.storageBytesRule(),
		key: s.clientKey(r), reserved: math.MaxInt64, start: time.Now()}
	if s.cfg.StorageMinRate > 0 {
		b.rc = http.NewResponseController(w)
		b.setDeadline(b.start.Add(s.cfg.StorageRateGrace))
	}
	if b.rule.Limit <= 0 {
		return b, nil
	}
	b.reserved = 0
	if r.ContentLength > 0 {
		n := min(r.ContentLength, limit, int64(b.rule.Limit))
		if err := b.take(r.Context(), n); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// take charges n more bytes to the budget.
func (b *uploadBody) take(ctx context.Context, n int64) error {
	taken, err := b.s.take(ctx, b.rule, b.key, int(n))
	switch {
	case err != nil:
		e := tiktok.AsError(err)
		e.Message = "Upload budget of your address used up, please try again later"
		return e
	case !taken: // the limiter failed (and allowed): stop charging this body
		b.reserved = math.MaxInt64
	default:
		b.reserved += n
	}
	return nil
}

// charge covers the bytes received beyond the reservation: a step ahead when the budget
// allows, else exactly what arrived.
func (b *uploadBody) charge() error {
	need := b.received - b.reserved
	if step := min(max(need, storageChargeStep), int64(b.rule.Limit)); step > need {
		if err := b.take(context.Background(), step); err == nil {
			return nil
		}
	}
	return b.take(context.Background(), need)
}

func (b *uploadBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	b.received += int64(n)
	if b.received > b.reserved {
		if e := b.charge(); e != nil {
			b.err = e
			return n, e
		}
	}
	switch {
	case err == nil:
		if b.rc != nil {
			rate := float64(b.s.cfg.StorageMinRate)
			b.setDeadline(b.start.Add(b.s.cfg.StorageRateGrace + time.Duration(float64(b.received)/rate*float64(time.Second))))
		}
	case errors.Is(err, io.EOF):
		// The body is complete: what follows (storing the row, answering) is not the
		// client's to hurry, and the server reads the connection in the background now.
		if b.rc != nil {
			b.setDeadline(b.start.Add(maxBodyTime))
		}
	case errors.Is(err, os.ErrDeadlineExceeded): // the minimum rate, or the server's ReadTimeout
		msg := "Request body arrived too slowly"
		if b.rc != nil {
			msg += fmt.Sprintf(" (the minimum is %d bytes per second)", b.s.cfg.StorageMinRate)
		}
		b.err = &tiktok.Error{Code: tiktok.CodeRequestTimeout, Message: msg, Cause: err}
		return n, b.err
	}
	return n, err
}

func (b *uploadBody) Close() error { return b.r.Close() }

// setDeadline moves the connection's read deadline to t, never past start + maxBodyTime.
// Where deadlines are not supported, the minimum rate is not enforced.
func (b *uploadBody) setDeadline(t time.Time) {
	if t.After(b.start.Add(maxBodyTime)) {
		t = b.start.Add(maxBodyTime)
	}
	if err := b.rc.SetReadDeadline(t); err != nil {
		b.rc = nil
	}
}

// settle gives back the part of the reservation that did not arrive (a body shorter than
// announced, an upload refused after its first bytes). Bytes that arrived stay charged,
// stored or not: the budget bounds the work a client can make the server do.
func (b *uploadBody) settle() {
	if unused := b.reserved - b.received; b.reserved != math.MaxInt64 && unused > 0 {
		b.s.refund(context.Background(), b.rule, b.key, int(unused))
	}
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

// storageRef returns the storage-compatible object rawURL names when it is one of this
// server's public storage URLs (on the host of the API's base URL), for a new video to
// claim; nil for any other URL, which the video only refers to.
func (s *Server) storageRef(r *http.Request, rawURL, field string) *tiktok.StorageRef {
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
	bucket, path, _ := strings.Cut(strings.TrimPrefix(u.Path, storagePublicPrefix), "/")
	return &tiktok.StorageRef{Bucket: bucket, Path: path, Field: field}
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
