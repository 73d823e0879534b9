package httpapi

import (
	"context"
	"net/http"
	"time"
)

// routes lists every route of the API on one screen.
func (s *Server) routes(mux *http.ServeMux) {
	h, authed := s.handle, func(h apiHandler) http.Handler { return s.handle(s.requireAuth(h)) }

	mux.Handle("GET /healthz", h(s.handleHealthz))
	mux.Handle("GET /readyz", h(s.handleReadyz))

	mux.Handle("POST /api/users/register", h(s.handleRegister))
	mux.Handle("POST /api/users/login", h(s.handleLogin))
	mux.Handle("GET /api/users/me", authed(s.handleMe))
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
