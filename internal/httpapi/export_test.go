package httpapi

import "net/http"

// Test hooks for the external test package (compiled only into tests).

// OpenAPIDocument returns the embedded OpenAPI document.
func OpenAPIDocument() []byte { return openAPIDocument }

// ErrorStatuses returns a copy of the error code → HTTP status table.
func ErrorStatuses() map[string]int {
	out := make(map[string]int, len(statusOf))
	for code, status := range statusOf {
		out[string(code)] = status
	}
	return out
}

// HandleOpenAPI calls the OpenAPI document handler directly, registered or not.
func (s *Server) HandleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	return s.handleOpenAPI(w, r)
}
