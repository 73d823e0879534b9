package httpapi

import "testing"

func TestVisibleName(t *testing.T) {
	for s, want := range map[string]bool{
		"Jessica Hills": true, "Jessica Hills\u202e\u200b": false, "👩‍👩‍👧‍👦": true, "🇯🇵 👍🏽 🏳️‍🌈": true,
		"Zoë e\u0301": true, "你好 مرحبا": true, "a\u200db": true, "a\u200d": false, "\u200da": false, "a \u200d b": false,
		"🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F": true, "a\U000E0067": false, "🏴\U000E0067": false,
		"a\ufe0f": false, "❤\ufe0f": true, "tab\there": false, "a\u2028b": false, "\u2067שלום\u2069": false, "ㅤ": false,
		"a\u034fb": false, "می\u200cخواهم": true,
	} {
		if got := visibleName(s); got != want {
			t.Errorf("visibleName(%q) = %v, want %v", s, got, want)
		}
	}
}
