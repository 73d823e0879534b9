package tiktok

import (
	"slices"
	"strings"
	"testing"
)

func TestHashtags(t *testing.T) {
	for _, tc := range []struct {
		caption string
		want    []string
	}{
		{"", nil},
		{"no tags here", nil},
		{"#Dance and #dance and #DANCE", []string{"dance"}},
		{"start #one,#two.#three!", []string{"one", "two", "three"}},
		{"#a#b #c", []string{"a", "b", "c"}},
		{"emoji #fun😀 #😀 #party🎉time", []string{"fun", "party"}},
		{"mixed #東京tokyo #Café #СОБАКА #ñandú_2", []string{"東京tokyo", "café", "собака", "ñandú_2"}},
		{"decomposed #Cafe\u0301 equals #café", []string{"café"}},
		{"numbers #2024 #2024vibes #_", []string{"2024vibes"}},
		{"urls https://example.com/page#section x.com/#/route a#b", nil},
		{"(#paren) «#quote» “#curly”", []string{"paren", "quote", "curly"}},
		{"devanagari #नमस्ते", []string{"नमस्ते"}},
		{"## #", nil},
		{"keycap #️⃣ and #\u20e3 are emoji, #️⃣ok is not a tag either", nil},
		{"#" + strings.Repeat("a", MaxHashtagLen+1) + " #ok", []string{"ok"}},
		{"#" + strings.Repeat("ä", MaxHashtagLen), []string{strings.Repeat("ä", MaxHashtagLen)}},
	} {
		if got := Hashtags(tc.caption); !slices.Equal(got, tc.want) {
			t.Errorf("Hashtags(%q) = %q, want %q", tc.caption, got, tc.want)
		}
	}
}

func TestHashtagsBounded(t *testing.T) {
	var b strings.Builder
	for i := range 100 {
		b.WriteString(" #t")
		b.WriteString(strings.Repeat("x", i+1))
	}
	if n := len(Hashtags(b.String())); n != MaxHashtagsPerText {
		t.Fatalf("%d tags, want %d", n, MaxHashtagsPerText)
	}
}

func TestNormalizeHashtag(t *testing.T) {
	for in, want := range map[string]string{"Dance": "dance", "#Dance": "dance", "Cafe\u0301": "café", "東京": "東京"} {
		if got, ok := NormalizeHashtag(in); !ok || got != want {
			t.Errorf("NormalizeHashtag(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "#", "a b", "2024", "a#b", "fun😀", strings.Repeat("a", MaxHashtagLen+1)} {
		if got, ok := NormalizeHashtag(in); ok {
			t.Errorf("NormalizeHashtag(%q) = %q, want invalid", in, got)
		}
	}
}

func TestSoundKey(t *testing.T) {
	if a, b := SoundKey("Original Sound"), SoundKey("  original   SOUND "); a != b || a != "original sound" {
		t.Fatalf("keys %q and %q", a, b)
	}
	if got := SoundName("  Night   Drive "); got != "Night Drive" {
		t.Fatalf("SoundName = %q", got)
	}
}
