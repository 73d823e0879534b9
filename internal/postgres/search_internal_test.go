package postgres

import (
	"math"
	"testing"
)

func TestEstimateShare(t *testing.T) {
	st := newLexemeStats(
		[]string{"dance", "funny", "cat", "dancer", "danza", "the", "summer", "extra"},
		[]float64{0.10, 0.04, 0.03, 0.002, 0.001, 0.5, 0.01, 0.0, 0.1, 0.5, 0}, // three summary numbers at the end
	)
	for _, c := range []struct {
		q      string
		prefix bool
		want   float64
	}{
		{"dance", false, 0.10},
		{"Dance!", false, 0.10},
		{"zebra", false, 0},             // not among the common words: rare
		{"funny cat", false, 0.03},      // AND: the rarest word drives the index
		{"funny zebra", false, 0},       //
		{"cat or dance", false, 0.13},   // OR: every alternative is read
		{"cat OR zebra", false, 0.03},   //
		{"cat -dance", false, 0.03},     // an excluded word costs nothing
		{"-dance", false, 1},            // nothing positive: nearly every caption
		{`"funny cat"`, false, 0.03},    // a phrase: AND of its words
		{"dan", true, 0.103},            // a prefix: all the common words it starts
		{"funny dan", true, 0.04},       //
		{"summer-time", false, 0},       // split like the parser: "summer", "time"
		{"THE", false, 0.5},             //
		{"", false, 1},                  //
		{"!!!", false, 1},               // no word at all (the store answers nothing)
		{"the or the or the", false, 1}, // capped at 1
	} {
		if got := estimateShare(st, c.q, c.prefix); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("estimateShare(%q, %v) = %v, want %v", c.q, c.prefix, got, c.want)
		}
	}
	if got := newLexemeStats(nil, nil).of("dance"); got != 0 {
		t.Errorf("no statistics: %v", got)
	}
}

func TestPrefixSearch(t *testing.T) {
	for q, want := range map[string]bool{
		"danc":         true,
		"funny danc":   true,
		"da":           false, // too short to mean anything
		"dance!":       false, // punctuation ends the word
		"dance ":       false, // (queries are trimmed; a space would too)
		`"funny danc"`: false, // a phrase is exact
		`"funny danc`:  false, // an open phrase too
		"cat -danc":    false, // an exclusion is exact
		"cat or":       false, // an operator
		"rock-n-roll":  true,
		"über":         true,
		"日本語":          true,
		"😀":            false,
		"abc😀":         false,
	} {
		if got := prefixSearch(q); got != want {
			t.Errorf("prefixSearch(%q) = %v, want %v", q, got, want)
		}
	}
}

// FuzzEstimateShare checks that the routing estimate of any query is a share in [0, 1] and
// that a prefix search is asked for only when the query ends in a letter or digit.
func FuzzEstimateShare(f *testing.F) {
	st := newLexemeStats([]string{"dance", "dancer", "funny", "or"}, []float64{0.1, 0.01, 0.04, 0.2, 0.01, 0.2, 0})
	for _, s := range []string{"dance", `"funny dance" -cat or dan`, "-", `"`, "or or", "日本語 😀", "a\u0301", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		prefix := prefixSearch(q)
		if share := estimateShare(st, q, prefix); share < 0 || share > 1 || math.IsNaN(share) {
			t.Fatalf("%q: share %v", q, share)
		}
		if prefix && len(lexemes(q)) == 0 {
			t.Fatalf("%q: prefix search without a word", q)
		}
	})
}
