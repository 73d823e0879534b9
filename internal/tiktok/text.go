package tiktok

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits of what a caption's text makes.
const (
	MaxHashtagLen      = 100 // characters of a tag name; longer tags are not tags
	MaxHashtagsPerText = 30  // distinct tags taken from one caption, in order of appearance
)

// Hashtags returns the distinct hashtags of a caption, normalised (NFC, lower case, without
// the '#'), in order of first appearance, at most MaxHashtagsPerText.
//
// A tag is '#' followed by Unicode letters, combining marks, digits and '_', with at least
// one letter ("#2024" is a number, not a tag, and "#️⃣", '#' with a variation selector and
// an enclosing keycap mark, is an emoji). The '#' must start the text, follow a
// space or an opening punctuation mark, or directly follow another tag ("#a#b" is two
// tags); so "example.com/page#section" and "a#b" hold none. A tag ends at the first other
// character, so "#fun😀" is "fun".
func Hashtags(caption string) []string {
	caption = norm.NFC.String(caption)
	var tags []string
	seen := map[string]bool{}
	prev := ' '    // the character before the current position
	inTag := false // prev ended a tag
	for i := 0; i < len(caption); {
		r, size := utf8.DecodeRuneInString(caption[i:])
		if r != '#' || !(inTag || startsTag(prev)) {
			prev, inTag = r, false
			i += size
			continue
		}
		j := i + size
		hasLetter := false
		for j < len(caption) {
			c, n := utf8.DecodeRuneInString(caption[j:])
			if !tagRune(c) || j == i+size && unicode.IsMark(c) { // a mark cannot start a word
				break
			}
			hasLetter = hasLetter || unicode.IsLetter(c)
			j += n
		}
		name := caption[i+size : j]
		if hasLetter && utf8.RuneCountInString(name) <= MaxHashtagLen {
			key := norm.NFC.String(strings.ToLower(name))
			if !seen[key] {
				seen[key] = true
				tags = append(tags, key)
				if len(tags) == MaxHashtagsPerText {
					return tags
				}
			}
		}
		inTag = j > i+size
		prev = '#'
		if inTag {
			prev, _ = utf8.DecodeLastRuneInString(caption[:j])
		}
		i = j
	}
	return tags
}

// NormalizeHashtag returns the stored form of a tag name as a client writes it (with or
// without its '#'), and whether it is a valid tag at all.
func NormalizeHashtag(name string) (string, bool) {
	tags := Hashtags("#" + strings.TrimPrefix(name, "#"))
	if len(tags) != 1 || tags[0] != norm.NFC.String(strings.ToLower(strings.TrimPrefix(name, "#"))) {
		return "", false
	}
	return tags[0], true
}

// tagRune reports whether r continues a tag.
func tagRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
}

// startsTag reports whether a '#' after prev can start a tag: after a space or an opening
// punctuation mark, never inside a word or a URL.
func startsTag(prev rune) bool {
	return unicode.IsSpace(prev) || strings.ContainsRune("([{<\"'«“‘¡¿,;:!.", prev)
}

// SoundKey is the identity of a sound name: NFC, trimmed, inner spaces collapsed, lower
// case — "Original Sound" and " original  sound" are one sound.
func SoundKey(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(norm.NFC.String(name)), " "))
}

// SoundName is the display form of a sound name: NFC, trimmed, inner spaces collapsed.
func SoundName(name string) string {
	return strings.Join(strings.Fields(norm.NFC.String(name)), " ")
}
