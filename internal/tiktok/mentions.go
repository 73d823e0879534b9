package tiktok

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the mentions a text makes.
const (
	// MaxMentionsPerText is how many distinct users one caption or comment can mention;
	// the names of further users stay plain text.
	MaxMentionsPerText = 20
	// MaxMentionLookups is how many distinct names of one text are looked up (a run ending
	// in dots counts twice: with and without them); later names stay plain text.
	MaxMentionLookups = 50
	// MaxUsernameLen and MinUsernameLen bound a username (^[A-Za-z0-9_.]{3,30}$).
	MinUsernameLen = 3
	MaxUsernameLen = 30
)

// Mention is a span of a text that names a user: [Start, End) in Unicode code points of the
// text as stored (not bytes, not UTF-16 units), the '@' included, so the text's code points
// Start to End are "@" and the name as written. Username is the user's current username
// (it follows a rename; the span keeps the user).
type Mention struct {
	UserID   int64
	Username string
	Start    int
	End      int
}

// MentionToken is a possible mention of a text: an '@' where a mention may start, at code
// point Start, and Name, the run of username characters after it as written (it may end in
// dots that are punctuation rather than part of the name; see Names).
type MentionToken struct {
	Start int
	Name  string
}

// Names returns the lower-case usernames t may name, the likelier first: the whole run, and
// the run without its trailing dots ("@bob." names "bob." if that user exists, else "bob"),
// each only if it is a valid username.
func (t MentionToken) Names() []string {
	var out []string
	run := strings.ToLower(t.Name)
	if validUsernameLen(run) {
		out = append(out, run)
	}
	if trimmed := strings.TrimRight(run, "."); trimmed != run && validUsernameLen(trimmed) {
		out = append(out, trimmed)
	}
	return out
}

// MentionTokens returns the possible mentions of text, in order.
//
// A mention is '@' followed by a username (^[A-Za-z0-9_.]{3,30}$, matched case-insensitively
// later). The '@' must start the text or follow white space, an opening bracket or quote, a
// symbol (an emoji) or one of , ; : ! ? * — never a letter, digit, mark, '.', '_', '/' or
// '@', so "a@b.com" and "x.com/@bob" hold none — and must not sit in a URL (a word holding
// "://" or starting "www." before it). The name is the longest run of username characters
// after the '@'; the mention is dropped if the run is directly followed by a letter, digit,
// mark or another '@' ("@bob@example.com" is an address, "@bobé" no username). Text that is
// not valid UTF-8 is read as is, each invalid byte one code point.
func MentionTokens(text string) []MentionToken {
	var out []MentionToken
	prev := ' ' // the character before position i
	word := 0   // byte offset where the current run of non-space characters starts
	cp := 0     // code point offset of position i
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			prev, word = r, i+size
			cp++
			i += size
			continue
		}
		if r != '@' || !startsMention(prev) || inURL(text[word:i]) {
			prev = r
			cp++
			i += size
			continue
		}
		j := i + 1
		for j < len(text) && usernameByte(text[j]) {
			j++
		}
		if next, _ := utf8.DecodeRuneInString(text[j:]); j > i+1 && (j == len(text) || !continuesWord(next)) {
			out = append(out, MentionToken{Start: cp, Name: text[i+1 : j]})
		}
		prev = '@'
		if j > i+1 {
			prev = rune(text[j-1])
		}
		cp += j - i // '@' and the run are ASCII: one code point per byte
		i = j
	}
	return out
}

// LinkMentions turns tokens into the spans of the users they name. users maps lower-case
// usernames to users (what a lookup of the tokens' Names found). A token takes its longest
// name that is a user; tokens naming nobody are skipped. Only the first MaxMentionsPerText
// distinct users get spans (every span of those users).
func LinkMentions(tokens []MentionToken, users map[string]UserMini) []Mention {
	var out []Mention
	distinct := map[int64]bool{}
	for _, t := range tokens {
		for _, name := range t.Names() {
			u, ok := users[name]
			if !ok {
				continue
			}
			if !distinct[u.ID] && len(distinct) == MaxMentionsPerText {
				break
			}
			distinct[u.ID] = true
			out = append(out, Mention{UserID: u.ID, Username: u.Username, Start: t.Start, End: t.Start + 1 + len(name)})
			break
		}
	}
	return out
}

// MentionNames returns the distinct lower-case names tokens may name, in order, at most
// MaxMentionLookups: what to look up.
func MentionNames(tokens []MentionToken) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tokens {
		for _, n := range t.Names() {
			if seen[n] {
				continue
			}
			if len(out) == MaxMentionLookups {
				return out
			}
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// ValidUsername reports whether s is a well-formed username: 3–30 of A–Z, a–z, 0–9, '_', '.'.
func ValidUsername(s string) bool {
	for i := 0; i < len(s); i++ {
		if !usernameByte(s[i]) {
			return false
		}
	}
	return validUsernameLen(s)
}

func validUsernameLen(s string) bool { return len(s) >= MinUsernameLen && len(s) <= MaxUsernameLen }

func usernameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '.'
}

// startsMention reports whether an '@' after prev can start a mention.
func startsMention(prev rune) bool {
	switch {
	case unicode.IsSpace(prev), unicode.In(prev, unicode.Ps, unicode.Pi), strings.ContainsRune(`"',;:!?*`, prev):
		return true
	case prev == '@' || prev == '/' || prev == '\\' || prev == '.' || prev == '_' || prev == '=' || prev == '+' || prev == '&':
		return false
	}
	// emoji and other pictographs, with their skin tones and variation selectors
	return unicode.In(prev, unicode.So, unicode.Sk, unicode.Variation_Selector)
}

// continuesWord reports whether r, right after a name, shows the name is part of a longer
// word or an address.
func continuesWord(r rune) bool {
	return r == '@' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// inURL reports whether word, the non-space characters before an '@', is (the start of) a URL.
func inURL(word string) bool {
	return strings.Contains(word, "://") || len(word) >= 4 && strings.EqualFold(word[:4], "www.")
}

// MaxCommentRunes is the longest comment content, in code points.
const MaxCommentRunes = 1000

// WithMention returns text starting with a mention of username ("@bob " + text), as a reply
// to a reply is written, unless text already mentions that name anywhere.
func WithMention(text, username string) string {
	name := strings.ToLower(username)
	for _, t := range MentionTokens(text) {
		if slices.Contains(t.Names(), name) {
			return text
		}
	}
	return "@" + username + " " + text
}

// MentionRecord is one mention of a user, for the data export: AuthorID named the user in
// the caption of VideoID (CommentID nil) or in comment CommentID.
type MentionRecord struct {
	ID        int64
	AuthorID  int64
	VideoID   int64
	CommentID *int64
	CreatedAt time.Time
}
