package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gotok/tiktok/internal/tiktok"
)

// maxJSONBytes bounds every JSON request body.
const maxJSONBytes = 1 << 20

// writeJSON encodes v first, then sets the headers, then the status, so an encoding
// failure can still become a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		body = []byte(`{"message":"internal error","code":"internal"}`)
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", fmt.Sprint(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// isJSON reports whether the request declares a JSON body (charset parameter allowed).
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// decodeJSON reads one JSON value from the bounded request body into dst. It answers
// 415 for another content type, 413 past 1 MiB, 400 invalid_json for malformed JSON or
// trailing data, and 400 validation_failed naming the field for a wrongly typed value.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if !isJSON(r) {
		return &tiktok.Error{Code: tiktok.CodeUnsupportedMediaType, Message: "Content-Type must be application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBytes))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return &tiktok.Error{Code: tiktok.CodeTooLarge, Message: "Request body too large", Cause: err}
		}
		return &tiktok.Error{Code: tiktok.CodeInvalidJSON, Message: "Could not read request body", Cause: err}
	}
	return unmarshalStrict(body, dst)
}

// unmarshalStrict decodes exactly one JSON value from body into dst. A body that is not
// valid UTF-8, or that escapes half of a surrogate pair ("\ud800"), is malformed:
// encoding/json would silently replace such text with U+FFFD, storing something the client
// did not send.
func unmarshalStrict(body []byte, dst any) error {
	if !utf8.Valid(body) {
		return &tiktok.Error{Code: tiktok.CodeInvalidJSON, Message: "Malformed JSON body: not valid UTF-8"}
	}
	if loneSurrogateEscape(body) {
		return &tiktok.Error{Code: tiktok.CodeInvalidJSON, Message: "Malformed JSON body: unpaired surrogate escape"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return &tiktok.Error{Code: tiktok.CodeValidation, Message: "Validation failed",
				Fields: map[string]string{typeErr.Field: "must be a " + jsonKind(typeErr.Type.Kind().String())}, Cause: err}
		}
		return &tiktok.Error{Code: tiktok.CodeInvalidJSON, Message: "Malformed JSON body", Cause: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &tiktok.Error{Code: tiktok.CodeInvalidJSON, Message: "Malformed JSON body: unexpected data after the JSON value"}
	}
	return nil
}

// loneSurrogateEscape reports whether body holds a \uXXXX escape of a UTF-16 surrogate
// that is not part of a high-low pair. Backslashes appear only inside JSON strings (anywhere
// else the body is malformed anyway), so the escapes can be found without tracking strings.
func loneSurrogateEscape(body []byte) bool {
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if i+1 >= len(body) || body[i+1] != 'u' {
			i++ // a two-character escape such as \\ or \"
			continue
		}
		r, ok := hex4(body[i+2:])
		if !ok {
			return false // malformed: the decoder reports it
		}
		i += 5
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true // a low surrogate without a high one before it
		case r >= 0xD800 && r <= 0xDBFF:
			if i+6 >= len(body) || body[i+1] != '\\' || body[i+2] != 'u' {
				return true
			}
			low, ok := hex4(body[i+3:])
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return true
			}
			i += 6
		}
	}
	return false
}

// hex4 parses the four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func jsonKind(goKind string) string {
	switch {
	case goKind == "string":
		return "string"
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"), strings.HasPrefix(goKind, "float"):
		return "number"
	case goKind == "bool":
		return "boolean"
	case goKind == "struct", goKind == "map":
		return "object"
	case goKind == "slice":
		return "array"
	}
	return goKind
}
