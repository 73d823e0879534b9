package httpapi

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/gotok/tiktok/internal/tiktok"
)

// statusOf is the one table mapping error codes to HTTP statuses.
var statusOf = map[tiktok.Code]int{
	tiktok.CodeInvalidJSON:          http.StatusBadRequest,
	tiktok.CodeValidation:           http.StatusBadRequest,
	tiktok.CodeInvalidID:            http.StatusBadRequest,
	tiktok.CodeInvalidCursor:        http.StatusBadRequest,
	tiktok.CodeInvalidLimit:         http.StatusBadRequest,
	tiktok.CodeCannotFollowSelf:     http.StatusBadRequest,
	tiktok.CodeCannotBlockSelf:      http.StatusBadRequest,
	tiktok.CodeCannotReportSelf:     http.StatusBadRequest,
	tiktok.CodeAccountSuspended:     http.StatusForbidden,
	tiktok.CodeTokenMissing:         http.StatusUnauthorized,
	tiktok.CodeTokenInvalid:         http.StatusUnauthorized,
	tiktok.CodeTokenExpired:         http.StatusUnauthorized,
	tiktok.CodeInvalidCredentials:   http.StatusUnauthorized,
	tiktok.CodeForbidden:            http.StatusForbidden,
	tiktok.CodeNotFound:             http.StatusNotFound,
	tiktok.CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	tiktok.CodeRequestTimeout:       http.StatusRequestTimeout,
	tiktok.CodeUsernameTaken:        http.StatusConflict,
	tiktok.CodeEmailTaken:           http.StatusConflict,
	tiktok.CodeTooLarge:             http.StatusRequestEntityTooLarge,
	tiktok.CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	tiktok.CodeRateLimited:          http.StatusTooManyRequests,
	tiktok.CodeInternal:             http.StatusInternalServerError,
	tiktok.CodeUnavailable:          http.StatusServiceUnavailable,
	tiktok.CodeNotImplemented:       http.StatusNotImplemented,
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Message string            `json:"message"`
	Code    tiktok.Code       `json:"code"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// writeError writes err as a JSON error. Internal errors are logged with their cause and
// reach the client only as "internal error"; client errors are logged at debug level.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		err = &tiktok.Error{Code: tiktok.CodeTooLarge, Message: "Request body too large", Cause: err}
	}
	e := tiktok.AsError(err)
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	body := errorBody{Message: e.Message, Code: e.Code, Fields: e.Fields}
	if status >= 500 {
		level := slog.LevelError
		switch {
		case r.Context().Err() != nil:
			// The client went away (e.g. aborted an upload): what failed was its request,
			// and nobody reads this answer.
			level = slog.LevelDebug
		case e.Code == tiktok.CodeUnavailable:
			level = slog.LevelWarn
		case e.Code == tiktok.CodeNotImplemented: // the client's mistake, not the server's
			level = slog.LevelDebug
		}
		s.log.Log(r.Context(), level, "request failed", "method", r.Method, "path", r.URL.Path,
			"request_id", requestID(r.Context()), "err", err)
		if e.Code == tiktok.CodeInternal {
			body = errorBody{Message: "internal error", Code: tiktok.CodeInternal}
		}
	} else {
		s.log.Debug("client error", "method", r.Method, "path", r.URL.Path, "code", e.Code, "err", err)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	}
	writeJSON(w, status, body)
}
