package httpapi

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ReplicaStats is a snapshot of the database read routing (postgres.ReplicaStats).
type ReplicaStats struct {
	PrimaryReads, Fallbacks uint64
	Replicas                []ReplicaStat
}

// ReplicaStat is one read replica's state.
type ReplicaStat struct {
	Name     string // replica0, replica1, ...: bounded by the configuration
	Up       bool
	Reads    uint64
	LagBytes uint64
	Lag      time.Duration
}

var (
	descReads     = prometheus.NewDesc("db_reads_total", "Read-only statements by the database that answered them (primary, replica0, ...).", []string{"target"}, nil)
	descFallbacks = prometheus.NewDesc("db_replica_fallbacks_total", "Replica reads that failed and were answered by the primary.", nil, nil)
	descUp        = prometheus.NewDesc("db_replica_up", "Whether the replica is in rotation (1) or not (0).", []string{"replica"}, nil)
	descLagBytes  = prometheus.NewDesc("db_replica_lag_bytes", "WAL bytes the replica was behind the primary at the last health check.", []string{"replica"}, nil)
	descLag       = prometheus.NewDesc("db_replica_lag_seconds", "How long ago the primary wrote the oldest WAL the replica had not replayed at the last health check.", []string{"replica"}, nil)
)

// replicaCollector exports ReplicaStats, read when scraped.
type replicaCollector struct{ stats func() ReplicaStats }

func (c replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descReads, descFallbacks, descUp, descLagBytes, descLag} {
		ch <- d
	}
}

func (c replicaCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	ch <- prometheus.MustNewConstMetric(descReads, prometheus.CounterValue, float64(st.PrimaryReads), "primary")
	ch <- prometheus.MustNewConstMetric(descFallbacks, prometheus.CounterValue, float64(st.Fallbacks))
	for _, r := range st.Replicas {
		up := 0.0
		if r.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descReads, prometheus.CounterValue, float64(r.Reads), r.Name)
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, r.Name)
		ch <- prometheus.MustNewConstMetric(descLagBytes, prometheus.GaugeValue, float64(r.LagBytes), r.Name)
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, r.Lag.Seconds(), r.Name)
	}
}

// withReplicas adds the read replicas' metrics when stats is set (replicas configured).
func (m *metrics) withReplicas(stats func() ReplicaStats) *metrics {
	if stats != nil {
		m.registry.MustRegister(replicaCollector{stats: stats})
	}
	return m
}
