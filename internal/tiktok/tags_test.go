package tiktok

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// walkSpread pages through items (ranked best first) the way the store does: each page
// gets the deferred items of its key that exist and a batch scanned below the key's
// position, skipping those. It returns the pages.
func walkSpread(t *testing.T, items []SpreadItem, limit int) [][]SpreadItem {
	t.Helper()
	byID := map[int64]SpreadItem{}
	for _, it := range items {
		byID[it.ID] = it
	}
	var pages [][]SpreadItem
	key := SpreadKey{After: RankKey{Rank: math.Inf(1), ID: math.MaxInt64}}
	for range len(items) + 2 {
		if len(key.Deferred) > MaxDeferred {
			t.Fatalf("key defers %d items, more than %d", len(key.Deferred), MaxDeferred)
		}
		var deferred, scanned []SpreadItem
		for _, id := range key.Deferred {
			deferred = append(deferred, byID[id])
		}
		for _, it := range items {
			below := it.Rank < key.After.Rank || (it.Rank == key.After.Rank && it.ID < key.After.ID)
			if below && !slices.Contains(key.Deferred, it.ID) && len(scanned) < SpreadBatch(limit) {
				scanned = append(scanned, it)
			}
		}
		page, next := Spread(limit, key.After, deferred, scanned)
		pages = append(pages, page)
		if next == nil {
			return pages
		}
		if len(page) == 0 {
			t.Fatalf("page %d is empty but has a next page", len(pages))
		}
		key = *next
	}
	t.Fatalf("no last page after %d pages", len(pages))
	return nil
}

func TestSpreadServesEveryItemOncePerCreatorOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := rng.IntN(120)
		creators := 1 + rng.IntN(12)
		limit := 1 + rng.IntN(15)
		items := make([]SpreadItem, n)
		for i := range items {
			// skewed: creator 0 makes about half of everything
			c := int64(rng.IntN(creators))
			if rng.IntN(2) == 0 {
				c = 0
			}
			items[i] = SpreadItem{ID: int64(i + 1), CreatorID: c, Rank: float64(rng.IntN(40))} // ties on rank
		}
		slices.SortFunc(items, func(a, b SpreadItem) int {
			return cmp.Or(cmp.Compare(b.Rank, a.Rank), cmp.Compare(b.ID, a.ID))
		})
		pages := walkSpread(t, items, limit)
		seen := map[int64]int{}
		for p, page := range pages {
			if len(page) > limit {
				t.Fatalf("trial %d page %d: %d items, limit %d", trial, p, len(page), limit)
			}
			onPage := map[int64]bool{}
			for _, it := range page {
				if onPage[it.CreatorID] {
					t.Fatalf("trial %d page %d: creator %d twice", trial, p, it.CreatorID)
				}
				onPage[it.CreatorID] = true
				seen[it.ID]++
			}
		}
		for _, it := range items {
			if seen[it.ID] != 1 {
				t.Fatalf("trial %d (n=%d, limit=%d): item %d served %d times", trial, n, limit, it.ID, seen[it.ID])
			}
		}
		if len(seen) != n {
			t.Fatalf("trial %d: served %d distinct items of %d", trial, len(seen), n)
		}
	}
}

func TestSpreadFillsPagesFromDistinctCreators(t *testing.T) {
	// Creators a a b a c d, limit 3: the first page is a b c (the second and third a
	// wait), the next serves the waiting a first.
	items := []SpreadItem{{1, 100, 6}, {2, 100, 5}, {3, 200, 4}, {4, 100, 3}, {5, 300, 2}, {6, 400, 1}}
	pages := walkSpread(t, items, 3)
	var got [][]int64
	for _, p := range pages {
		var ids []int64
		for _, it := range p {
			ids = append(ids, it.ID)
		}
		got = append(got, ids)
	}
	want := [][]int64{{1, 3, 5}, {2, 6}, {4}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("pages %v, want %v", got, want)
	}
}
