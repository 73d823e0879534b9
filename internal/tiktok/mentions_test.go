package tiktok

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMentionTokens(t *testing.T) {
	type tok = MentionToken
	for _, tc := range []struct {
		text string
		want []MentionToken
	}{
		{"", nil},
		{"no mentions here", nil},
		{"@bob", []tok{{0, "bob"}}},
		{"hi @Bob!", []tok{{3, "Bob"}}},
		{"@alice,@bob;@carol", []tok{{0, "alice"}, {7, "bob"}, {12, "carol"}}},
		{"\t@bob\n@carol", []tok{{1, "bob"}, {6, "carol"}}},
		{"(@bob) [@bob] «@bob» “@bob” '@bob' \"@bob\"", []tok{{1, "bob"}, {8, "bob"}, {15, "bob"}, {22, "bob"}, {29, "bob"}, {36, "bob"}}},
		{"@bob's video, @bob-smith, @bob: yes, @bob?", []tok{{0, "bob"}, {14, "bob"}, {26, "bob"}, {37, "bob"}}},
		// trailing dots stay in the run; Names decides (see TestMentionNames)
		{"thanks @bob. and @bob... and @bob.smith", []tok{{7, "bob."}, {17, "bob..."}, {29, "bob.smith"}}},
		// e-mail addresses, URLs and handles on other servers are not mentions
		{"mail a@b.com or bob@example.com", nil},
		{"https://example.com/@bob and http://x.com/p?(@bob) and www.site.com/(@bob", nil},
		{"HTTPS://example.com/a,@bob WWW.example.com/(@bob", nil},
		{"@bob@example.com @bob@x", nil},
		{"user:pass@host x.@bob foo_@bob #tag@bob 1@bob @@bob /@bob a=@bob", nil},
		// a run continued by a letter, digit or mark is not a username
		{"@bobé @bob\u0301 @bob٣", nil},
		// offsets count code points: emoji, ZWJ sequences and combining marks before the '@'
		{"😀@bob", []tok{{1, "bob"}}},
		{"😀 @bob", []tok{{2, "bob"}}},
		{"👩‍👩‍👧 @bob", []tok{{6, "bob"}}},
		{"❤️@bob 👍🏽@carol", []tok{{2, "bob"}, {9, "carol"}}},
		{"Cafe\u0301 @bob", []tok{{6, "bob"}}},
		{"e\u0301@bob", nil}, // the '@' follows a letter with its accent
		{"日本語 @bob", []tok{{4, "bob"}}},
		// too short or too long runs are tokens whose Names are empty
		{"@bo @" + strings.Repeat("a", 31), []tok{{0, "bo"}, {4, strings.Repeat("a", 31)}}},
		{"@ alone, @! and @.", []tok{{16, "."}}},
	} {
		got := MentionTokens(tc.text)
		if !slices.Equal(got, tc.want) {
			t.Errorf("MentionTokens(%q) = %v, want %v", tc.text, got, tc.want)
		}
		for _, m := range got { // each token's code points are "@" + its name
			runes := []rune(tc.text)
			if s := string(runes[m.Start : m.Start+1+len(m.Name)]); s != "@"+m.Name {
				t.Errorf("MentionTokens(%q): code points %d… are %q, not %q", tc.text, m.Start, s, "@"+m.Name)
			}
		}
	}
}

func TestMentionNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"Bob", []string{"bob"}},
		{"bob.", []string{"bob.", "bob"}},
		{"bob...", []string{"bob...", "bob"}},
		{"bo.", []string{"bo."}}, // "bo" is too short
		{"b..", []string{"b.."}},
		{"...", []string{"..."}},
		{"bo", nil},
		{strings.Repeat("a", 30), []string{strings.Repeat("a", 30)}},
		{strings.Repeat("a", 31), nil},
		{strings.Repeat("a", 30) + ".", []string{strings.Repeat("a", 30)}},
	} {
		if got := (MentionToken{Name: tc.name}).Names(); !slices.Equal(got, tc.want) {
			t.Errorf("Names of %q = %q, want %q", tc.name, got, tc.want)
		}
	}
	var b strings.Builder
	for i := range 2 * MaxMentionLookups {
		fmt.Fprintf(&b, "@name%03d @NAME%03d ", i, i)
	}
	names := MentionNames(MentionTokens(b.String()))
	if len(names) != MaxMentionLookups || names[0] != "name000" || names[1] != "name001" {
		t.Errorf("MentionNames = %d names %q…, want %d distinct lower-case names in order", len(names), names[:2], MaxMentionLookups)
	}
}

func TestLinkMentions(t *testing.T) {
	users := map[string]UserMini{
		"bob":   {ID: 1, Username: "Bob"},
		"carol": {ID: 3, Username: "carol"},
	}
	withDot := map[string]UserMini{"bob": users["bob"], "bob.": {ID: 2, Username: "bob."}}
	for _, tc := range []struct {
		text  string
		users map[string]UserMini
		want  []Mention
	}{
		{"hi @BOB and @carol", users, []Mention{{1, "Bob", 3, 7}, {3, "carol", 12, 18}}},
		{"@nobody @bob", users, []Mention{{1, "Bob", 8, 12}}},
		{"thanks @bob.", users, []Mention{{1, "Bob", 7, 11}}},
		{"thanks @bob.", withDot, []Mention{{2, "bob.", 7, 12}}},
		{"thanks @bob...", withDot, []Mention{{1, "Bob", 7, 11}}}, // "bob..." is nobody; without its dots, Bob
		{"😀 @bob 😀 @bob", users, []Mention{{1, "Bob", 2, 6}, {1, "Bob", 9, 13}}},
		{"mail bob@carol.com", users, nil},
	} {
		got := LinkMentions(MentionTokens(tc.text), tc.users)
		if !slices.Equal(got, tc.want) {
			t.Errorf("LinkMentions(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}

	// At most MaxMentionsPerText distinct users; repeated mentions of those keep their spans.
	many := map[string]UserMini{}
	var b strings.Builder
	for i := range MaxMentionsPerText + 5 {
		name := fmt.Sprintf("user%02d", i)
		many[name] = UserMini{ID: int64(i + 1), Username: name}
		b.WriteString("@" + name + " ")
	}
	b.WriteString("@user00")
	got := LinkMentions(MentionTokens(b.String()), many)
	if len(got) != MaxMentionsPerText+1 || got[len(got)-1].UserID != 1 || got[MaxMentionsPerText-1].UserID != MaxMentionsPerText {
		t.Errorf("LinkMentions of %d users: %d spans %v", MaxMentionsPerText+5, len(got), got)
	}
	if n := utf8.RuneCountInString(b.String()); got[len(got)-1].End != n {
		t.Errorf("last span ends at %d, want %d", got[len(got)-1].End, n)
	}
}

func TestValidUsername(t *testing.T) {
	for s, want := range map[string]bool{"bob": true, "Bob_1.x": true, "bo": false, "bob!": false, "bób": false,
		strings.Repeat("a", 30): true, strings.Repeat("a", 31): false} {
		if got := ValidUsername(s); got != want {
			t.Errorf("ValidUsername(%q) = %v", s, got)
		}
	}
}
