package render

import (
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// runeWidth is how many terminal cells r takes: 2 for East Asian Wide and
// Fullwidth characters (Hangul syllables, CJK ideographs, fullwidth forms),
// 0 for combining marks and controls, 1 otherwise. Ambiguous-width
// characters (§, ×, −, box drawing) count as 1, as terminals draw them
// outside CJK legacy modes; the ladder itself is drawn in ASCII so that its
// lines never depend on that setting.
func runeWidth(r rune) int {
	switch {
	case r < 0x20 || r == 0x7f:
		return 0
	case r < 0x7f:
		return 1
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	case r >= 0x1160 && r <= 0x11ff:
		// Hangul Jamo medial vowels and final consonants combine with the
		// preceding initial consonant into one (wide) syllable.
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// textWidth is the display width of s in terminal cells.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// wrap breaks s into lines of at most max cells, at spaces where it can
// (Korean, like English, puts spaces between words) and inside a word only
// when the word alone is wider than a line.
func wrap(s string, max int) []string {
	if max < 1 {
		max = 1
	}
	var lines []string
	var line strings.Builder
	lineW := 0
	flush := func() {
		lines = append(lines, line.String())
		line.Reset()
		lineW = 0
	}
	for _, word := range strings.Fields(s) {
		w := textWidth(word)
		if lineW > 0 && lineW+1+w > max {
			flush()
		}
		if lineW > 0 {
			line.WriteByte(' ')
			lineW++
		}
		for w > max-lineW {
			// The word does not fit even on a line of its own: break it.
			head, rest, hw := cut(word, max-lineW)
			if hw == 0 && lineW == 0 {
				// One rune wider than the line: place it anyway.
				head, rest, hw = firstRune(word)
			}
			line.WriteString(head)
			lineW += hw
			flush()
			word, w = rest, w-hw
		}
		line.WriteString(word)
		lineW += w
	}
	if lineW > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// cut splits s after at most max cells.
func cut(s string, max int) (head, rest string, w int) {
	for i, r := range s {
		rw := runeWidth(r)
		if w+rw > max {
			return s[:i], s[i:], w
		}
		w += rw
	}
	return s, "", w
}

func firstRune(s string) (head, rest string, w int) {
	for i, r := range s {
		if i > 0 {
			return s[:i], s[i:], w
		}
		w = runeWidth(r)
	}
	return s, "", w
}

// elide shortens s to at most max cells, ending it with "..." when cut.
func elide(s string, max int) string {
	if textWidth(s) <= max {
		return s
	}
	if max <= 3 {
		head, _, _ := cut(s, max)
		return head
	}
	head, _, _ := cut(s, max-3)
	return head + "..."
}

// Wrap breaks s into lines of at most width terminal cells (a Hangul
// syllable is two), at spaces where it can: what the ladder does to
// explanations, for callers that write prose beside a ladder.
func Wrap(s string, width int) []string { return wrap(s, width) }
