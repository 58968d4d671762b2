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

// TestKoreanLadderLifelinesLineUp measures every line of the Korean ladder
// in terminal cells: the two lifelines ('|') must stand in the same two
// columns on every line, whatever Hangul the explanation rows hold.
func TestKoreanLadderLifelinesLineUp(t *testing.T) {
	lines := goldenLines(t, "ladder_handshake_ko")
	var want []int
	for i, line := range lines[1:] {
		var cols []int
		x := 0
		for _, r := range line {
			if r == '|' {
				cols = append(cols, x)
			}
			x += runeWidth(r)
		}
		if len(cols) != 2 {
			t.Fatalf("line %d has %d lifelines, want 2: %q", i+2, len(cols), line)
		}
		if want == nil {
			want = cols
		}
		if cols[0] != want[0] || cols[1] != want[1] {
			t.Errorf("line %d has lifelines at cells %v, want %v:\n%s", i+2, cols, want, line)
		}
	}
	if len(lines) < 20 {
		t.Fatalf("the Korean ladder has only %d lines", len(lines))
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
