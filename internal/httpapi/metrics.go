package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, on a registry of its own.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// PoolStats is a snapshot of the database connection pool.
type PoolStats struct {
	Total, Idle, Acquired, Max int32
}

// newMetrics returns the server's metrics; pool, when set, adds the connection pool's
// gauges, and extra are registered beside them.
func newMetrics(pool func() PoolStats, extra ...prometheus.Collector) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
	}
	m.registry.MustRegister(
		m.requests, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.registry.MustRegister(extra...)
	if pool != nil {
		gauge := func(name, help string, f func(PoolStats) int32) prometheus.Collector {
			return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
				func() float64 { return float64(f(pool())) })
		}
		m.registry.MustRegister(
			gauge("db_pool_connections_total", "Open database connections.", func(s PoolStats) int32 { return s.Total }),
			gauge("db_pool_connections_idle", "Idle database connections.", func(s PoolStats) int32 { return s.Idle }),
			gauge("db_pool_connections_acquired", "Database connections in use.", func(s PoolStats) int32 { return s.Acquired }),
			gauge("db_pool_connections_max", "Largest allowed pool size.", func(s PoolStats) int32 { return s.Max }),
		)
	}
	return m
}

// observe records one finished request. Every label is bounded: method by methodLabel,
// route by the router's patterns (plus "unmatched"), status by the statuses the server
// writes.
func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(methodLabel(method), route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// methodLabel is method if it is one of the standard HTTP methods, else "other": the
// method is whatever token the client sent, and each label value is kept forever.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}
