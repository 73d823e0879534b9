package httpapi

import (
	"context"
	"net/http"
	"time"
)

// routes lists every route of the API on one screen. "auth" routes answer 401 without a
// valid token; the others accept anonymous requests.
func (s *Server) routes(mux *http.ServeMux) {
	public := func(pattern string, h apiHandler) {
		s.patterns = append(s.patterns, pattern)
		mux.Handle(pattern, s.handle(h))
	}
	auth := func(pattern string, h apiHandler) { public(pattern, s.requireAuth(h)) }

	public("GET /healthz", s.handleHealthz)
	public("GET /readyz", s.handleReadyz)

	public("POST /api/users/register", s.handleRegister)
	public("POST /api/users/login", s.handleLogin)
	auth("GET /api/users/me", s.handleMe)
}

// Routes returns the pattern of every route the server serves ("GET /api/videos/{id}"),
// in registration order. The OpenAPI tests compare it with the document.
func (s *Server) Routes() []string {
	if s.patterns == nil {
		s.routes(http.NewServeMux())
	}
	return append([]string(nil), s.patterns...)
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}
