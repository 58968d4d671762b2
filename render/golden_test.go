package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/name.golden; with -update it rewrites
// the file instead. Review the diff of a rewrite like code.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./render -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./render -run %s -update rewrites it)\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}

type renderer func(w *bytes.Buffer, events []emulator.Event, opts Options) error

func ladder(w *bytes.Buffer, ev []emulator.Event, o Options) error    { return Ladder(w, ev, o) }
func table(w *bytes.Buffer, ev []emulator.Event, o Options) error     { return Table(w, ev, o) }
func mermaid(w *bytes.Buffer, ev []emulator.Event, o Options) error   { return Mermaid(w, ev, o) }
func jsonLines(w *bytes.Buffer, ev []emulator.Event, o Options) error { return JSONLines(w, ev, o) }

// goldenCases are the renderings kept in testdata, each from a real session.
var goldenCases = []struct {
	name  string
	story func(*testing.T) *story
	opts  func(*Options)
	draw  renderer
}{
	{"ladder_seed_en", seedStory, func(o *Options) { o.Explain = true }, ladder},
	{"ladder_seed_plain", seedStory, nil, ladder},
	{"ladder_seed_color", seedStory, func(o *Options) { o.Color = true }, ladder},
	{"ladder_handshake_ko", handshakeStory, func(o *Options) { o.Explain = true; o.Lang = explain.Korean }, ladder},
	{"ladder_handshake_color_ko", handshakeStory, func(o *Options) { o.Explain = true; o.Lang = explain.Korean; o.Color = true }, ladder},
	{"ladder_three_split_child", handshakeStory, func(o *Options) { o.SplitChildren = true }, ladder},
	{"ladder_two_clients", twoClientsStory, nil, ladder},
	{"ladder_two_clients_ko", twoClientsStory, func(o *Options) { o.Explain = true; o.Lang = explain.Korean; o.ExplainLines = 3 }, ladder},
	{"ladder_lost_syn_color", lostSYNStory, func(o *Options) { o.Color = true }, ladder},
	{"ladder_simultaneous_open", simultaneousOpenStory, func(o *Options) { o.Explain = true }, ladder},
	{"ladder_lost_syn", lostSYNStory, func(o *Options) { o.Explain = true }, ladder},
	{"ladder_timers", timersStory, func(o *Options) { o.Explain = true; o.ExplainLines = 2 }, ladder},
	{"ladder_duplicate_fin", duplicateStory, func(o *Options) { o.Explain = true; o.ExplainLines = 3 }, ladder},
	{"ladder_wrap_absolute", wrapStory, func(o *Options) { o.Absolute = true }, ladder},
	{"ladder_wrap_relative", wrapStory, nil, ladder},
	{"ladder_injected_rst", injectedRSTStory, func(o *Options) { o.Explain = true; o.ExplainLines = 2 }, ladder},
	{"ladder_external", externalStory, nil, ladder},
	{"table_seed", seedStory, nil, table},
	{"table_duplicate_fin", duplicateStory, nil, table},
	{"mermaid_seed", seedStory, nil, mermaid},
	{"mermaid_lost_syn", lostSYNStory, func(o *Options) { o.Explain = true }, mermaid},
	{"mermaid_duplicate_fin", duplicateStory, nil, mermaid},
	{"jsonl_handshake", handshakeStory, nil, jsonLines},
	{"jsonl_lost_syn_ko", lostSYNStory, func(o *Options) { o.Explain = true; o.Lang = explain.Korean }, jsonLines},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.story(t)
			o := st.options()
			o.Columns = st.order
			if tc.opts != nil {
				tc.opts(&o)
			}
			var b bytes.Buffer
			if err := tc.draw(&b, st.events, o); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.Bytes())
		})
	}
}
