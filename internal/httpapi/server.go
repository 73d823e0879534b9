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

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gotok/tiktok/internal/auth"
	"github.com/gotok/tiktok/internal/config"
	"github.com/gotok/tiktok/internal/images"
	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/notify"
	"github.com/gotok/tiktok/internal/ratelimit"
	"github.com/gotok/tiktok/internal/webapp"
)

// Config is the part of the configuration the HTTP layer needs.
type Config struct {
	PublicURL      string
	CORSOrigins    []string
	TrustedProxies []netip.Prefix
	MaxVideoBytes  int64
	Limits         config.Limits
	// StorageCompat serves the Supabase-Storage-compatible upload routes.
	StorageCompat bool
	// SeparateMetrics leaves /metrics out of the API's routes: the caller serves
	// MetricsHandler on a listener of its own (METRICS_ADDR).
	SeparateMetrics bool
	// StorageMinRate is the lowest average rate, in bytes per second, at which the body of
	// a storage-compatible upload must arrive once StorageRateGrace has passed; a slower
	// upload is cut off with 408. 0 disables the check.
	StorageMinRate   int64
	StorageRateGrace time.Duration
	// ReportAutoHideThreshold hides a video pending review when this many users have open
	// reports on it; 0 never does.
	ReportAutoHideThreshold int
	// Streams bounds the notification streams of this server (NOTIFY_STREAMS_PER_USER,
	// NOTIFY_STREAMS_MAX); StreamHeartbeat is how often a quiet stream sends a heartbeat
	// and re-checks its token (NOTIFY_HEARTBEAT; 0: 20 s).
	// StreamWriteTimeout bounds each write to a stream (0: 10 s): a client that stops
	// reading is cut off after it.
	Streams            notify.Config
	StreamHeartbeat    time.Duration
	StreamWriteTimeout time.Duration
	// MediaPublicURL, when set, is the public base of stored media (a CDN in front of the
	// bucket): media URLs become <MediaPublicURL>/<name>.
	MediaPublicURL string
	// Processing sends uploaded videos through the media pipeline (they are "processing"
	// until its job has run); false serves them as uploaded (no ffmpeg on this machine).
	Processing bool
}

// Server holds the dependencies of every handler.
type Server struct {
	// versions caches token versions (tokencache.go); stopTokenVersions ends its listener.
	versions          *tokenVersions
	stopTokenVersions func()

	cfg        Config
	log        *slog.Logger
	store      Store
	passwords  *auth.Passwords
	tokens     *auth.Tokens
	media      media.Storage
	limiter    ratelimit.Limiter
	rules      rules
	views      ViewCounter
	closeViews func() // stops the in-process view counter NewServer made, if it did
	// bcryptGate lets each client have at most passwordTurns password checks running.
	bcryptGate *gate
	uploads    *gate       // storage uploads in progress per client
	slots      SharedSlots // nil, or uploads in progress counted across servers (uploads: while it fails)
	metrics    *metrics
	now        func() time.Time
	ready      func() error
	patterns   []string          // filled by routes
	anonFirst  sharedPages       // the anonymous For You first pages
	streams    *notify.Hub       // live notifications: one listening connection, fanned out
	web        *webapp.App       // the browser client, or nil
	images     *images.Processor // decodes uploaded avatars, one at a time
	requestIDs *requestIDs       // ids of requests that came without one
}

// Deps are the collaborators a Server is built from.
type Deps struct {
	Config Config
	Logger *slog.Logger
	Store  Store
	// PoolStats, when set, reports the database connection pool for the metrics.
	PoolStats func() PoolStats
	// ReplicaStats, when set (read replicas configured), reports them for the metrics.
	ReplicaStats func() ReplicaStats
	Passwords    *auth.Passwords
	Tokens       *auth.Tokens
	Media        media.Storage
	// Limiter keeps rate-limit state; nil means an in-process limiter.
	Limiter ratelimit.Limiter
	// Views counts video views; nil means an in-process counter that de-duplicates in
	// memory and adds the counts to Store every ViewFlushInterval (default 1s).
	Views             ViewCounter
	ViewFlushInterval time.Duration
	// SharedViews, when set, makes that in-process counter de-duplicate views across
	// servers too; SharedCache, when set, shares the anonymous For You first page between
	// servers; SharedSlots, when set, bounds storage uploads in progress per client across
	// servers; Collectors are more metrics to serve (redis_errors_total). All from
	// REDIS_URL (package redisstate).
	SharedViews SharedViews
	SharedCache SharedCache
	SharedSlots SharedSlots
	Collectors  []prometheus.Collector
	// Ready, when set, is asked by /readyz before the database is pinged; an error (such as
	// an unavailable *tiktok.Error while migrations are pending) makes the server not ready.
	Ready func() error
	// Web, when set, is the browser client served at / and its deep links (routes.go).
	Web *webapp.App
}

// NewServer returns a Server; call Handler for its http.Handler and Close when done.
func NewServer(d Deps) *Server {
	if d.Limiter == nil {
		d.Limiter = ratelimit.NewMemory(1<<20, time.Now)
	}
	closeViews := func() {}
	if d.Views == nil {
		v := newViewCounter(d.Store, d.Logger, d.ViewFlushInterval, d.SharedViews)
		d.Views, closeViews = v, v.Close
	}
	var streams *notify.Hub
	if d.Store != nil {
		streams = notify.NewHub(d.Store, d.Config.Streams, d.Logger)
	}
	versions := newTokenVersions(maxCachedTokenVersions)
	listenCtx, stopListening := context.WithCancel(context.Background())
	listening := make(chan struct{})
	if src, ok := d.Store.(tokenVersionSource); ok {
		go func() {
			defer close(listening)
			listenTokenVersions(listenCtx, src, versions, d.Logger)
		}()
	} else {
		close(listening)
	}
	return &Server{
		versions: versions,
		stopTokenVersions: func() {
			stopListening()
			<-listening
		},
		cfg:        d.Config,
		log:        d.Logger,
		store:      d.Store,
		passwords:  d.Passwords,
		tokens:     d.Tokens,
		media:      d.Media,
		limiter:    d.Limiter,
		rules:      newRules(d.Config.Limits),
		views:      d.Views,
		closeViews: closeViews,
		bcryptGate: newGate(passwordTurns(d.Passwords)),
		uploads:    newGate(max(d.Config.Limits.StorageUploadsPerIP, 1)),
		slots:      d.SharedSlots,
		metrics:    newMetrics(d.PoolStats, d.Collectors...).withReplicas(d.ReplicaStats),
		now:        time.Now,
		ready:      d.Ready,
		streams:    streams,
		images:     images.NewProcessor(1),
		anonFirst:  sharedPages{shared: d.SharedCache, log: d.Logger},
		web:        d.Web,
		requestIDs: newRequestIDs(),
	}
}

// passwordTurns is how many password computations one client may have running at once: as
// many as can run at all, so that a client alone (one user, or many behind one NAT) uses
// every bcrypt thread, while a client in a burst holds no more than that many places in
// the queue ahead of anybody else's.
func passwordTurns(p *auth.Passwords) int {
	if p == nil {
		return 1
	}
	return max(p.Parallelism(), 1)
}

// Close writes buffered view counts and stops background work. Call it after the HTTP
// server has shut down.
func (s *Server) Close() {
	s.CloseStreams()
	s.closeViews()
	s.stopTokenVersions()
}

// CloseStreams ends every notification stream (each tells its client to reconnect) and
// refuses new ones: streams never finish on their own, so a graceful shutdown calls this
// when it begins (http.Server.RegisterOnShutdown) rather than wait for them.
func (s *Server) CloseStreams() {
	if s.streams != nil {
		s.streams.Close()
	}
}

// Handler returns the complete handler: routes wrapped in the middleware every request
// passes through (outermost first): panic recovery, request id and logging, security
// headers, CORS, the per-IP request limit, optional authentication, JSON 404/405.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.patterns = nil
	s.routes(mux)
	var h http.Handler = s.jsonNotFound(mux)
	h = s.authenticate(h)
	h = s.limitClients(h)
	h = s.cors(h)
	h = securityHeaders(h)
	h = s.logRequests(h)
	h = s.recoverPanics(h)
	return h
}

// apiHandler is a handler that returns its error instead of writing it.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// handle adapts an apiHandler: a returned error is written as the JSON error body.
// It also records the route pattern the router matched, for the log and the metrics.
func (s *Server) handle(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := r.Context().Value(keyRequestInfo).(*requestInfo); ok {
			info.route = r.Pattern
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

type ctxKey int

const (
	keyRequestInfo ctxKey = iota // *requestInfo
	keyViewer                    // viewer
)

// requestInfo is what the logging middleware knows of a request: its id, and the route
// pattern the router matched (filled in by jsonNotFound).
type requestInfo struct {
	id    string
	route string
}

func requestID(ctx context.Context) string {
	if info, ok := ctx.Value(keyRequestInfo).(*requestInfo); ok {
		return info.id
	}
	return ""
}
