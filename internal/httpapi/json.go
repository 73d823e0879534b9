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

// unmarshalStrict decodes exactly one JSON value from body into dst.
func unmarshalStrict(body []byte, dst any) error {
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
