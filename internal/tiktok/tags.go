package tiktok

// Hashtag is a tag as captions use it: its normalised name (see Hashtags), how many
// videos carry it and the views of those videos.
type Hashtag struct {
	ID         int64
	Name       string
	VideoCount int64
	ViewCount  int64
}

// Sound is a video's audio as a first-class object: one per name, compared by SoundKey.
type Sound struct {
	ID         int64
	Name       string
	VideoCount int64
}

// RankKey is a position in a list ranked best first (by a rank such as a video's hot
// rank, ties broken by id, both descending): the key of the last item of the previous
// page. The zero RankKey means "from the start".
type RankKey struct {
	Rank float64
	ID   int64
}

// RankPage asks for up to Limit items of a ranked list after After, as seen by Viewer
// (0 for anonymous).
type RankPage struct {
	Viewer int64
	After  RankKey
	Limit  int
}

// MaxDeferred bounds the items a SpreadKey carries over to later pages.
const MaxDeferred = 20

// SpreadKey is a position in a ranked list that shows at most one item per creator on a
// page: After is the key of the last item the previous pages scanned, and Deferred the ids
// (at most MaxDeferred, best first) scanned above After but not served yet because their
// creator was already on the page; the next page serves them first. The zero SpreadKey
// means "from the start".
type SpreadKey struct {
	After    RankKey
	Deferred []int64
}

// SpreadPage asks for up to Limit items of a spread list from Key, as seen by Viewer.
type SpreadPage struct {
	Viewer int64
	Key    SpreadKey
	Limit  int
}

// SpreadItem is a candidate for a spread page: an item, its creator and its rank.
type SpreadItem struct {
	ID, CreatorID int64
	Rank          float64
}

// SpreadBatch is how many items after the cursor a spread page of limit items must scan:
// every scanned item is either served (at most limit) or deferred (at most MaxDeferred),
// and one more tells whether anything is left.
func SpreadBatch(limit int) int { return limit + MaxDeferred + 1 }

// Spread makes a page of at most limit items, no two by one creator, from the deferred
// items that still exist (in the order of the key's Deferred) followed by scanned: up to
// SpreadBatch(limit) items ranked below after, best first, excluding the deferred ones.
// An item whose creator is already on the page is deferred to a later page, which serves
// it first; scanning stops when the page is full or MaxDeferred items wait. It returns the
// page and the key of the next one, nil when nothing is left. A page with a next key is
// never empty, so walking the pages serves every item exactly once.
func Spread(limit int, after RankKey, deferred, scanned []SpreadItem) ([]SpreadItem, *SpreadKey) {
	var page []SpreadItem
	var wait []int64
	creators := map[int64]bool{}
	for _, it := range deferred {
		if len(page) < limit && !creators[it.CreatorID] {
			page = append(page, it)
			creators[it.CreatorID] = true
		} else {
			wait = append(wait, it.ID)
		}
	}
	i := 0
	for ; i < len(scanned) && len(page) < limit && len(wait) < MaxDeferred; i++ {
		it := scanned[i]
		after = RankKey{Rank: it.Rank, ID: it.ID}
		if creators[it.CreatorID] {
			wait = append(wait, it.ID)
			continue
		}
		page = append(page, it)
		creators[it.CreatorID] = true
	}
	// A page consumes at most limit + MaxDeferred scanned items, so a full batch is never
	// used up: when the list goes on past the batch, i stops short of its end.
	if i == len(scanned) && len(wait) == 0 {
		return page, nil
	}
	return page, &SpreadKey{After: after, Deferred: wait}
}
