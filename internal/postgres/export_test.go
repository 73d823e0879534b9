package postgres

import "time"

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
