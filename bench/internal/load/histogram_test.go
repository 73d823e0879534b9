package load

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsCoverEveryValueInOrder(t *testing.T) {
	prev := -1
	for _, us := range []uint64{0, 1, 63, 127, 128, 129, 255, 256, 1000, 12345, 1 << 20, 1<<40 - 1, 1 << 50} {
		b := bucketOf(us)
		if b < prev || b >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d after %d (of %d)", us, b, prev, numBuckets)
		}
		prev = b
		if us <= maxRecorded {
			mid := bucketMid(b)
			if rel := math.Abs(mid-float64(us)) / math.Max(float64(us), 1); rel > 1.0/subCount {
				t.Errorf("bucketMid(bucketOf(%d)) = %.1f: %.2f %% off", us, mid, 100*rel)
			}
		}
	}
}

func TestQuantilesMatchSortedSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h, a, b Histogram
	var all []time.Duration
	for i := range 100000 {
		d := time.Duration(rng.ExpFloat64() * float64(3*time.Millisecond))
		all = append(all, d)
		h.Record(d)
		if i%2 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	a.Merge(&b)
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := all[int(q*float64(len(all)))-1]
		for _, got := range []time.Duration{h.Quantile(q), a.Quantile(q)} {
			if rel := math.Abs(float64(got-want)) / float64(want); rel > 0.02 {
				t.Errorf("p%g = %s, want %s (%.2f %% off)", 100*q, got, want, 100*rel)
			}
		}
	}
	if h.Count() != int64(len(all)) || a.Count() != h.Count() || h.Max() != all[len(all)-1] {
		t.Errorf("count %d/%d, max %s, want %d and %s", h.Count(), a.Count(), h.Max(), len(all), all[len(all)-1])
	}
}
