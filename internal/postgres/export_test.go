package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// SetVideoSearchBounds changes the bounds of a Store's video search (search.go), so that
// tests can reach them with a few rows: candidates of each route, rows the common route
// walks at most, and the share of captions from which a query counts as common.
func SetVideoSearchBounds(s *Store, selectiveCandidates, commonCandidates, commonScan int, commonShare float64) {
	s.search.tuning.selectiveCandidates = selectiveCandidates
	s.search.tuning.commonCandidates = commonCandidates
	s.search.tuning.commonScan = commonScan
	s.search.tuning.commonShare = commonShare
}

// SetFuzzyBudget changes how long a search statement with a trigram step may run.
func SetFuzzyBudget(s *Store, d time.Duration) { s.search.tuning.fuzzyBudget = d }

// RoutedQuery runs sql as the Store's generated queries run theirs: on a replica when the
// statement only reads and ctx allows it, else on the primary.
func RoutedQuery(s *Store, ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if s.router == nil {
		return s.pool.Query(ctx, sql, args...)
	}
	return s.router.Query(ctx, sql, args...)
}
