package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/tiktok"
)

const (
	maxCaptionRunes   = 2200
	maxAudioNameRunes = 255
	maxURLBytes       = 2048
	maxFormFieldBytes = 64 << 10 // a text field of a multipart form
	feedLimit         = 10
)

type videoPageJSON struct {
	Videos     []videoJSON `json:"videos"`
	Pagination pagination  `json:"pagination"`
}

// listVideos serves a page of videos from list.
func (s *Server) listVideos(w http.ResponseWriter, r *http.Request, list func(context.Context, tiktok.Page) ([]tiktok.Video, error)) error {
	p, err := parsePage(r, feedLimit)
	if err != nil {
		return err
	}
	videos, err := list(r.Context(), p)
	if err != nil {
		return err
	}
	videos, pg := trimPage(videos, p, videoKey)
	writeJSON(w, http.StatusOK, videoPageJSON{Videos: s.renderer(r).videos(videos), Pagination: pg})
	return nil
}

func (s *Server) handleVideoList(w http.ResponseWriter, r *http.Request) error {
	return s.listVideos(w, r, s.store.ListVideos)
}

func (s *Server) handleFollowingFeed(w http.ResponseWriter, r *http.Request) error {
	return s.listVideos(w, r, s.store.ListFollowingVideos)
}

func (s *Server) handleUserVideos(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.listVideos(w, r, func(ctx context.Context, p tiktok.Page) ([]tiktok.Video, error) {
		return s.store.ListUserVideos(ctx, id, p)
	})
}

func (s *Server) handleVideoGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.store.Video(r.Context(), id, viewerID(r))
	if err != nil {
		return err
	}
	s.views.Count(id, s.viewerKey(r), s.now())
	writeJSON(w, http.StatusOK, s.renderer(r).video(v))
	return nil
}

func (s *Server) handleVideoView(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var f viewForm
	if err := decodeOptionalJSON(w, r, &f); err != nil {
		return err
	}
	if err := s.store.CheckVisible(r.Context(), viewerID(r), tiktok.Target{Type: tiktok.TargetVideo, ID: id}); err != nil {
		return err
	}
	s.views.Count(id, s.viewerKey(r), s.now())
	if viewer := viewerID(r); viewer != 0 {
		// A signed-in view is an impression (the For You feed will not show it again), and
		// watching to the end is interest in the creator and tags.
		if _, err := s.store.MarkSeen(r.Context(), []int64{viewer}, []int64{id}); err != nil {
			return err
		}
		if f.Completed {
			if err := s.store.CompletedView(r.Context(), viewer, id); err != nil {
				return err
			}
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// viewForm is the optional body of POST /api/videos/{id}/view.
type viewForm struct {
	Completed bool `json:"completed"` // the viewer watched to the end
}

// viewerKey identifies a viewer for view counting: the user, else the client address.
func (s *Server) viewerKey(r *http.Request) string {
	if id := viewerID(r); id != 0 {
		return "u" + strconv.FormatInt(id, 10)
	}
	return "ip" + s.clientKey(r) // an IPv6 /64 is one viewer, as it is one client for the limits
}

// videoForm collects the fields of a video creation request.
type videoForm struct {
	Caption              *string `json:"caption"`
	AudioName            *string `json:"audioName"`
	VideoURL             *string `json:"videoUrl"`
	ThumbnailURL         *string `json:"thumbnailUrl"`
	VideoStoragePath     *string `json:"videoStoragePath"`
	ThumbnailStoragePath *string `json:"thumbnailStoragePath"`
	VideoKey             *string `json:"videoKey"`     // a direct upload (directuploads.go)
	ThumbnailKey         *string `json:"thumbnailKey"` // with videoKey only
}

func (s *Server) handleVideoCreate(w http.ResponseWriter, r *http.Request) error {
	if isJSON(r) {
		var f videoForm
		if err := decodeJSON(w, r, &f); err != nil {
			return err
		}
		if f.VideoKey != nil || f.ThumbnailKey != nil {
			return s.createVideoFromUploads(w, r, f)
		}
		return s.createVideo(w, r, f, nil, nil)
	}
	if !isMultipart(r) {
		return &tiktok.Error{Code: tiktok.CodeUnsupportedMediaType, Message: "Content-Type must be multipart/form-data or application/json"}
	}
	// Everything a request may carry: the video, a thumbnail and small text fields.
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxVideoBytes+media.MaxImageBytes+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return &tiktok.Error{Code: tiktok.CodeValidation, Message: "Malformed multipart body", Cause: err}
	}
	var (
		f                videoForm
		video, thumbnail *media.Saved
	)
	committed := false
	defer func() {
		if !committed {
			s.deleteMedia(savedNames(video, thumbnail)...)
		}
	}()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return multipartError(err)
		}
		switch name := part.FormName(); name {
		case "video", "thumbnail":
			kind, max, slot := media.Video, s.cfg.MaxVideoBytes, &video
			if name == "thumbnail" {
				kind, max, slot = media.Image, media.MaxImageBytes, &thumbnail
			}
			if *slot != nil {
				return tiktok.Invalid(map[string]string{name: "must be sent once"})
			}
			var saved media.Saved
			if kind == media.Image {
				// Re-encoded: no EXIF (a phone's location) reaches other users.
				saved, err = s.images.SaveThumbnail(r.Context(), s.media, part, max)
			} else {
				saved, err = media.Save(r.Context(), s.media, kind, part, max)
			}
			if err != nil {
				return fileError(name, err)
			}
			*slot = &saved
		case "caption", "audioName":
			v, err := formValue(part)
			if err != nil {
				return err
			}
			if name == "caption" {
				f.Caption = &v
			} else {
				f.AudioName = &v
			}
		default:
			if _, err := io.Copy(io.Discard, part); err != nil {
				return multipartError(err)
			}
		}
	}
	if video == nil {
		return tiktok.Invalid(map[string]string{"video": "is required"})
	}
	if err := s.createVideo(w, r, f, video, thumbnail); err != nil {
		return err
	}
	committed = true
	return nil
}

// createVideo validates f and stores the video. Uploaded files, when given, take the place
// of the form's URLs and belong to the video.
func (s *Server) createVideo(w http.ResponseWriter, r *http.Request, f videoForm, video, thumbnail *media.Saved) error {
	fields := map[string]string{}
	nv := tiktok.NewVideo{UserID: viewerID(r), Process: s.cfg.Processing}
	if c := optionalText(fields, "caption", f.Caption, maxCaptionRunes); c != nil {
		nv.Caption = *c
	}
	nv.AudioName = optionalText(fields, "audioName", f.AudioName, maxAudioNameRunes)
	if video != nil {
		nv.VideoURL, nv.VideoMedia = video.Name, &video.Name
		if thumbnail != nil {
			nv.ThumbnailURL, nv.ThumbnailMedia = &thumbnail.Name, &thumbnail.Name
		}
	} else {
		if f.VideoURL == nil || strings.TrimSpace(*f.VideoURL) == "" {
			fields["videoUrl"] = "is required"
		} else if u, ok := httpURL(*f.VideoURL); !ok {
			fields["videoUrl"] = "must be an absolute http(s) URL"
		} else {
			nv.VideoURL, nv.VideoObject = u, s.storageRef(r, u, "videoUrl")
		}
		if f.ThumbnailURL != nil && strings.TrimSpace(*f.ThumbnailURL) != "" {
			if u, ok := httpURL(*f.ThumbnailURL); !ok {
				fields["thumbnailUrl"] = "must be an absolute http(s) URL"
			} else {
				nv.ThumbnailURL, nv.ThumbnailObject = &u, s.storageRef(r, u, "thumbnailUrl")
			}
		}
		nv.VideoStoragePath = optionalText(fields, "videoStoragePath", f.VideoStoragePath, 1024)
		nv.ThumbnailStoragePath = optionalText(fields, "thumbnailStoragePath", f.ThumbnailStoragePath, 1024)
	}
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	// Once the files are stored, finish even if the client goes away: a cancelled context
	// could abort a commit that already happened, and the caller would then delete the
	// files of a row that exists.
	v, err := s.store.CreateVideo(context.WithoutCancel(r.Context()), nv)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.renderer(r).video(v))
	return nil
}

// httpURL returns s trimmed if it is an absolute http or https URL with a host.
func httpURL(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) > maxURLBytes || !validText(s) {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	return s, true
}

type videoUpdateRequest struct {
	Caption   *string `json:"caption"`
	AudioName *string `json:"audioName"`
}

func (s *Server) handleVideoUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req videoUpdateRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	fields := map[string]string{}
	var u tiktok.VideoUpdate
	if req.Caption != nil {
		c := optionalText(fields, "caption", req.Caption, maxCaptionRunes)
		if c == nil {
			c = new(string)
		}
		u.Caption = c
	}
	if req.AudioName != nil {
		u.SetAudio, u.AudioName = true, optionalText(fields, "audioName", req.AudioName, maxAudioNameRunes)
	}
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	v, err := s.store.UpdateVideo(r.Context(), id, viewerID(r), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.renderer(r).video(v))
	return nil
}

func (s *Server) handleVideoDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	files, err := s.store.DeleteVideo(r.Context(), id, viewerID(r))
	if err != nil {
		return err
	}
	s.deleteMedia(files...)
	writeJSON(w, http.StatusOK, map[string]string{"message": "Video deleted successfully"})
	return nil
}

func (s *Server) handleVideoLike(like bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		n, err := s.store.SetVideoLike(r.Context(), viewerID(r), id, like)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, likeResult("Video", like, n))
		return nil
	}
}

func likeResult(what string, like bool, count int64) likeJSON {
	if like {
		return likeJSON{Message: what + " liked successfully", Action: "liked", LikeCount: count, IsLiked: true}
	}
	return likeJSON{Message: what + " unliked successfully", Action: "unliked", LikeCount: count, IsLiked: false}
}

// deleteMedia removes stored files after the rows that referenced them are gone. A failure
// is logged, not returned: the orphans command collects what is left.
func (s *Server) deleteMedia(names ...string) {
	for _, n := range names {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.media.Delete(ctx, n); err != nil {
			s.log.Warn("deleting media file failed", "name", n, "err", err)
		}
		cancel()
	}
}

func savedNames(files ...*media.Saved) []string {
	var out []string
	for _, f := range files {
		if f != nil {
			out = append(out, f.Name)
		}
	}
	return out
}

func isMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// formValue reads a small text field of a multipart form.
func formValue(part io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, maxFormFieldBytes+1))
	if err != nil {
		return "", multipartError(err)
	}
	if len(b) > maxFormFieldBytes {
		return "", &tiktok.Error{Code: tiktok.CodeTooLarge, Message: "Form field too large"}
	}
	if !utf8.Valid(b) {
		return "", tiktok.Invalid(map[string]string{"form": "text fields must be UTF-8"})
	}
	return string(b), nil
}

// multipartError classifies an error reading a multipart body: too large, or malformed.
func multipartError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return &tiktok.Error{Code: tiktok.CodeTooLarge, Message: "Request body too large", Cause: err}
	}
	return &tiktok.Error{Code: tiktok.CodeValidation, Message: "Malformed multipart body", Cause: err}
}

// fileError names the form field in a media error. A file cut short (a truncated body or
// multipart part) is the client's error, not a storage failure.
func fileError(field string, err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return &tiktok.Error{Code: tiktok.CodeTooLarge, Message: fmt.Sprintf("%s is too large", field), Cause: err}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &tiktok.Error{Code: tiktok.CodeValidation, Message: "Request body ends in the middle of a file",
			Fields: map[string]string{field: "is cut short"}, Cause: err}
	}
	var te *tiktok.Error
	if errors.As(err, &te) && te.Fields == nil && te.Code != tiktok.CodeInternal {
		return &tiktok.Error{Code: te.Code, Message: te.Message, Fields: map[string]string{field: te.Message}, Cause: err}
	}
	return err
}
