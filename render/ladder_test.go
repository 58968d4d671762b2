package render

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

func TestTextWidthCountsHangulAsTwoCells(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"SYN-SENT", 8},
		{"상태", 4},
		{"SYN이 도착", 10},
		{"§3.10.7.4 × −", 13}, // ambiguous width: one cell
		{"\u1100\u1161", 2},   // a conjoining Jamo syllable: one wide cell pair
	} {
		if got := textWidth(tc.s); got != tc.want {
			t.Errorf("textWidth(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestWrapKeepsEveryLineWithinTheWidth(t *testing.T) {
	for _, lang := range []explain.Lang{explain.English, explain.Korean} {
		for _, width := range []int{10, 33, 66} {
			for r := 1; r < 20; r++ {
				text := explain.Rule(ruleOf(r), lang)
				lines := wrap(text, width)
				for _, line := range lines {
					if w := textWidth(line); w > width {
						t.Errorf("wrap(%d) made a line %d cells wide: %q", width, w, line)
					}
				}
				if got, want := strings.Join(strings.Fields(strings.Join(lines, " ")), ""), strings.Join(strings.Fields(text), ""); got != want {
					t.Errorf("wrap(%d) lost text:\n got %q\nwant %q", width, got, want)
				}
			}
		}
	}
}

// TestTwoEndpointLadderFitsEightyColumns checks the promise of issue 5: a
// two-endpoint ladder, explanations included, fits an 80-column terminal.
func TestTwoEndpointLadderFitsEightyColumns(t *testing.T) {
	for _, lang := range []explain.Lang{explain.English, explain.Korean} {
		st := seedStory(t)
		o := st.options()
		o.Columns, o.Explain, o.Lang = st.order, true, lang
		var b bytes.Buffer
		if err := Ladder(&b, st.events, o); err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if w := textWidth(line); w > 80 {
				t.Errorf("%s line %d is %d cells wide:\n%s", lang, i+1, w, line)
			}
		}
	}
	// The golden files are checked too, so that a rewrite cannot slip a
	// wide line past review.
	for _, name := range []string{"ladder_seed_en", "ladder_seed_plain", "ladder_handshake_ko"} {
		for i, line := range goldenLines(t, name) {
			if w := textWidth(line); w > 80 {
				t.Errorf("%s.golden line %d is %d cells wide", name, i+1, w)
			}
		}
	}
}

// TestKoreanLadderLifelinesLineUp measures every line of the Korean
// ladders in terminal cells: the lifelines ('|') must stand in the same
// columns on every line, whatever Hangul the explanation rows hold — with
// two endpoints and with three (where explanations span all of them).
func TestKoreanLadderLifelinesLineUp(t *testing.T) {
	for _, tc := range []struct {
		name string
		cols int
	}{{"ladder_handshake_ko", 2}, {"ladder_two_clients_ko", 4}} {
		lines := goldenLines(t, tc.name)
		var want []int
		hangul := 0
		for i, line := range lines[1:] {
			var cols []int
			x := 0
			for _, r := range line {
				if r == '|' {
					cols = append(cols, x)
				}
				if r >= 0xAC00 && r <= 0xD7A3 {
					hangul++
				}
				x += runeWidth(r)
			}
			if len(cols) == 2 && len(cols) < tc.cols {
				// An explanation row: only the outer lifelines.
				if want != nil && (cols[0] != want[0] || cols[1] != want[len(want)-1]) {
					t.Errorf("%s line %d has outer lifelines at cells %v, want %d and %d:\n%s", tc.name, i+2, cols, want[0], want[len(want)-1], line)
				}
				continue
			}
			if len(cols) != tc.cols {
				t.Fatalf("%s line %d has %d lifelines, want %d: %q", tc.name, i+2, len(cols), tc.cols, line)
			}
			if want == nil {
				want = cols
			}
			for k := range cols {
				if cols[k] != want[k] {
					t.Errorf("%s line %d has lifelines at cells %v, want %v:\n%s", tc.name, i+2, cols, want, line)
					break
				}
			}
		}
		if len(lines) < 20 || hangul < 100 {
			t.Fatalf("%s: only %d lines, %d Hangul syllables", tc.name, len(lines), hangul)
		}
	}
}

// goldenLines reads a golden file's lines.
func goldenLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".golden"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func ruleOf(i int) tcp.Rule { return tcp.Rule(i) }
