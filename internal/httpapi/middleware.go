package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// statusClientClosedRequest is the status logged and counted for a request whose client
// went away before it was answered (nginx's 499); no client ever receives it.
const statusClientClosedRequest = 499

// logRequests gives each request an id (X-Request-ID) and logs method, route pattern,
// status and duration when it ends.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if id == "" || len(id) > 64 {
			id = s.requestIDs.next()
		}
		w.Header()["X-Request-Id"] = []string{id}
		info := &requestInfo{id: id}
		r = r.WithContext(context.WithValue(r.Context(), keyRequestInfo, info))
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		if r.Context().Err() != nil && (rec.status == 0 || status >= 500) {
			// The client closed the connection before its answer was written (the end of a
			// load test, a user scrolling on): whatever failed after that failed because
			// nobody was waiting. Not a server error, so not logged or counted as one.
			status = statusClientClosedRequest
		}
		pattern := info.route
		if pattern == "" {
			pattern = "unmatched"
		}
		s.metrics.observe(r.Method, pattern, status, time.Since(start))
		level := slog.LevelInfo
		switch {
		case status == statusClientClosedRequest:
		case status == http.StatusServiceUnavailable:
			level = slog.LevelWarn // the database is down: one cause, already logged by writeError
		case status >= 500:
			level = slog.LevelError
		}
		if !s.log.Enabled(r.Context(), level) {
			return
		}
		s.log.LogAttrs(r.Context(), level, "request",
			slog.String("method", methodLabel(r.Method)),
			slog.String("route", pattern),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", id),
		)
	})
}

// requestIDs names requests that came without an id: a random prefix per process (so
// servers behind one load balancer do not repeat each other's) and a counter, 16 hex
// digits in all. Ids need to be unique, not unpredictable, so no request pays for a read
// of the system's random source.
type requestIDs struct {
	prefix uint64 // high 32 bits random
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &requestIDs{prefix: uint64(binary.BigEndian.Uint32(b[:])) << 32}
}

func (g *requestIDs) next() string {
	var b [16]byte
	v := g.prefix | g.n.Add(1)&0xffffffff
	const digits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b[i] = digits[v&15]
		v >>= 4
	}
	return string(b[:])
}

// recoverPanics turns a panic into a logged 500 with a generic body.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeJSON(w, http.StatusInternalServerError, errorBody{Message: "internal error", Code: tiktok.CodeInternal})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaderKeys and securityHeaderValues are the headers every response carries,
// keys in canonical form so that setting them needs no canonicalization per request.
var (
	securityHeaderKeys   = [...]string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Content-Security-Policy", "Cross-Origin-Resource-Policy"}
	securityHeaderValues = [...]string{"nosniff", "DENY", "no-referrer", "default-src 'none'; frame-ancestors 'none'", "cross-origin"}
)

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		values := securityHeaderValues // one copy per response, which handlers may change
		for i, k := range securityHeaderKeys {
			h[k] = values[i : i+1 : i+1]
		}
		next.ServeHTTP(w, r)
	})
}

const (
	corsMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"
	corsHeaders = "Authorization, Content-Type, X-Request-ID, Last-Event-ID" // Last-Event-ID: resuming a notification stream
)

// cors answers preflight requests with 204 and adds the CORS headers to every response,
// errors included.
func (s *Server) cors(next http.Handler) http.Handler {
	allowAll := slices.Contains(s.cfg.CORSOrigins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		if origin != "" {
			h.Add("Vary", "Origin")
			switch {
			case allowAll:
				h.Set("Access-Control-Allow-Origin", "*")
			case slices.Contains(s.cfg.CORSOrigins, strings.TrimRight(origin, "/")):
				h.Set("Access-Control-Allow-Origin", origin)
			}
			h.Set("Access-Control-Expose-Headers", "Link, Retry-After, X-Request-ID")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			allowed := corsHeaders
			if strings.HasPrefix(r.URL.Path, "/storage/") {
				allowed += ", apikey, x-client-info, x-upsert"
			}
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", allowed)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// routerAnswer intercepts the answer the mux itself gives when no route matches: its
// plain-text 404, or 405 with an Allow header. Every route records its pattern before it
// writes (handle), so a status written while no route is recorded is the mux's own.
type routerAnswer struct {
	http.ResponseWriter
	info   *requestInfo
	status int // the mux's own status; 0 while a route answers
}

func (a *routerAnswer) WriteHeader(code int) {
	if a.info.route == "" {
		a.status = code
		return
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *routerAnswer) Write(b []byte) (int, error) {
	if a.info.route == "" {
		if a.status == 0 {
			a.status = http.StatusOK
		}
		return len(b), nil
	}
	return a.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (a *routerAnswer) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// jsonNotFound lets the mux route (once), but replaces its plain-text 404 and 405 answers
// with the JSON error body (keeping the Allow header of a 405).
func (s *Server) jsonNotFound(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, ok := r.Context().Value(keyRequestInfo).(*requestInfo)
		if !ok {
			info = &requestInfo{}
			r = r.WithContext(context.WithValue(r.Context(), keyRequestInfo, info))
		}
		a := &routerAnswer{ResponseWriter: w, info: info}
		mux.ServeHTTP(a, r)
		switch a.status {
		case 0:
		case http.StatusMethodNotAllowed:
			s.writeError(w, r, tiktok.Errorf(tiktok.CodeMethodNotAllowed, "Method %s not allowed", r.Method))
		default: // 404, or a redirect to a cleaned path: either way an unknown path
			w.Header().Del("Allow")
			w.Header().Del("Location")
			s.writeError(w, r, tiktok.Errorf(tiktok.CodeNotFound, "Route not found"))
		}
	})
}
