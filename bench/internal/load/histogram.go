package load

import (
	"math/bits"
	"time"
)

// The histogram is log-linear, like HdrHistogram: durations are counted in microseconds,
// exactly below 2·subCount µs and above that in subCount buckets per power of two, so a
// reported quantile is within 1/subCount (1.6 %) of the true value at any scale, in a fixed
// array and without allocation per sample.
const (
	subBits     = 6
	subCount    = 1 << subBits // linear buckets per power of two
	linearLimit = 2 * subCount // values below this (µs) are counted exactly
	maxShift    = 40 - subBits // up to 2^40 µs (12 days)
	numBuckets  = linearLimit + maxShift*subCount
	maxRecorded = uint64(1)<<40 - 1 // µs; longer durations are clamped
)

// Histogram counts durations. The zero value is empty and ready to use; it is not safe
// for concurrent use (each worker keeps its own and Merge combines them).
type Histogram struct {
	counts   [numBuckets]int64
	n        int64
	sum      time.Duration
	min, max time.Duration
}

// bucketOf returns the bucket of a value in microseconds.
func bucketOf(us uint64) int {
	if us < linearLimit {
		return int(us)
	}
	if us > maxRecorded {
		us = maxRecorded
	}
	shift := bits.Len64(us) - subBits - 1 // ≥ 1: keeps the top subBits+1 bits
	return linearLimit + (shift-1)*subCount + int(us>>shift) - subCount
}

// bucketMid returns the middle of bucket i, in microseconds.
func bucketMid(i int) float64 {
	if i < linearLimit {
		return float64(i)
	}
	shift := (i-linearLimit)/subCount + 1
	m := uint64((i-linearLimit)%subCount + subCount)
	lo := m << shift
	hi := (m+1)<<shift - 1
	return (float64(lo) + float64(hi)) / 2
}

// Record counts one duration.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d/time.Microsecond))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += d
}

// Merge adds the counts of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Count returns the number of recorded durations.
func (h *Histogram) Count() int64 { return h.n }

// Max returns the longest recorded duration.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean returns the average duration, or 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Quantile returns the duration below which a fraction q (0 < q ≤ 1) of the recorded
// durations fall, or 0 when empty. The exact minimum and maximum bound the answer.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			d := time.Duration(bucketMid(i) * float64(time.Microsecond))
			return min(max(d, h.min), h.max)
		}
	}
	return h.max
}
