package httpapi

import (
	_ "embed"
	"net/http"
	"strconv"
)

// openAPIDocument is the OpenAPI 3.1 document of the whole API, hand-written in
// openapi.json and kept true by the tests in openapi_test.go (the document validates, it
// lists exactly the routes the router serves, and real responses match it).
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPILength is the Content-Length of every answer of handleOpenAPI.
var openAPILength = strconv.Itoa(len(openAPIDocument))

// handleOpenAPI serves the embedded OpenAPI document as it is stored: no per-request
// encoding. It never fails.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", openAPILength)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(openAPIDocument)
	}
	return nil
}
