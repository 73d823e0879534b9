// Package httpapi is the HTTP face of the service: the routes of the API contract, JSON
// encoding and decoding, authentication middleware, the error → status table, pagination
// cursors, CORS and operational endpoints. Handlers call the Store; they never build SQL.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gotok/tiktok/internal/auth"
	"github.com/gotok/tiktok/internal/postgres"
)

// Config is the part of the configuration the HTTP layer needs.
type Config struct {
	Production     bool
	PublicURL      string
	CORSOrigins    []string
	TrustedProxies []netip.Prefix
	MaxVideoBytes  int64
}

// Server holds the dependencies of every handler.
type Server struct {
	cfg       Config
	log       *slog.Logger
	store     *postgres.Store
	passwords *auth.Passwords
	tokens    *auth.Tokens
	now       func() time.Time
	patterns  []string // filled by routes
}

// Deps are the collaborators a Server is built from.
type Deps struct {
	Config    Config
	Logger    *slog.Logger
	Store     *postgres.Store
	Passwords *auth.Passwords
	Tokens    *auth.Tokens
}

// NewServer returns a Server; call Handler for its http.Handler.
func NewServer(d Deps) *Server {
	return &Server{
		cfg:       d.Config,
		log:       d.Logger,
		store:     d.Store,
		passwords: d.Passwords,
		tokens:    d.Tokens,
		now:       time.Now,
	}
}

// Handler returns the complete handler: routes wrapped in the middleware every request
// passes through (outermost first): panic recovery, request id and logging, security
// headers, CORS, JSON 404/405, optional authentication.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.patterns = nil
	s.routes(mux)
	var h http.Handler = s.jsonNotFound(mux)
	h = s.authenticate(h)
	h = s.cors(h)
	h = securityHeaders(h)
	h = s.logRequests(h)
	h = s.recoverPanics(h)
	return h
}

// apiHandler is a handler that returns its error instead of writing it.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// handle adapts an apiHandler: a returned error is written as the JSON error body.
func (s *Server) handle(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyViewer
	keyRoute // *string: the matched route pattern, filled in by the router for the logs
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}
