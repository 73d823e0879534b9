package httpapi

import (
	"unicode"
	"unicode/utf8"
)

// optionalName is optionalText for a display name, which must also look like what it is:
// see visibleName.
func optionalName(fields map[string]string, key string, s *string) *string {
	t := optionalText(fields, key, s, maxNameRunes)
	if t != nil && fields[key] == "" && !visibleName(*t) {
		fields[key] = "must not contain control, bidirectional-override or invisible characters"
	}
	return t
}

// visibleName reports whether every character of a display name shows as itself, so that
// one name cannot be made to look exactly like another ("Jessica Hills\u202e\u200b").
// Refused: control characters and line or paragraph separators; format characters, among
// them every bidirectional control (LRM, RLM, embeddings, overrides, isolates) and the
// zero-width space, word joiner and BOM; other default-ignorable characters (such as the
// Hangul fillers and the combining grapheme joiner). Allowed where they are part of
// visible text: the zero-width joiner and non-joiner between two visible characters
// (emoji sequences such as 👩‍👧, Persian words), variation selectors after a non-ASCII
// character (️ in 🏳️‍🌈), and tag characters within a flag sequence (🏴 + tags + cancel tag).
func visibleName(s string) bool {
	prev := rune(-1) // the previous character; -1 at the start
	inFlagTags := false
	for i, r := range s {
		next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
		if i+utf8.RuneLen(r) == len(s) {
			next = -1
		}
		switch {
		case r >= 0xE0020 && r <= 0xE007F: // tag characters
			if !(prev == 0x1F3F4 || inFlagTags) {
				return false
			}
			inFlagTags = r != 0xE007F
		case inFlagTags: // a flag's tags must end with the cancel tag
			return false
		case r == 0x200C || r == 0x200D: // ZWNJ, ZWJ
			if !shows(prev) || !shows(next) {
				return false
			}
		case unicode.Is(unicode.Variation_Selector, r):
			if prev < utf8.RuneSelf || !shows(prev) {
				return false
			}
			continue // the selector belongs to prev: a joiner may follow it
		case unicode.IsControl(r), unicode.In(r, unicode.Zl, unicode.Zp, unicode.Cf),
			unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
			return false
		}
		prev = r
	}
	return !inFlagTags
}

// shows reports whether r is a character that is drawn: not absent (-1), white space, or
// one of the invisible kinds visibleName refuses.
func shows(r rune) bool {
	return r >= 0 && !unicode.IsSpace(r) && !unicode.IsControl(r) &&
		!unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) &&
		!unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) &&
		!unicode.Is(unicode.Variation_Selector, r)
}
