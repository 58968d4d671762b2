package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/tcpemu/tcpemu/emulator"
)

// TestJSONLinesAreOneObjectPerEvent parses every line back and checks it
// against the event it came from.
func TestJSONLinesAreOneObjectPerEvent(t *testing.T) {
	st := lostSYNStory(t)
	var b bytes.Buffer
	if err := JSONLines(&b, st.events, st.options()); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&b)
	i := 0
	for sc.Scan() {
		var j JSONEvent
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&j); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, sc.Text())
		}
		ev := st.events[i]
		if j.Seq != ev.Seq || j.TimeNS != int64(ev.Time) || j.Kind != ev.Kind.String() || j.Endpoint != uint32(ev.Endpoint) {
			t.Errorf("line %d = %+v, want event %+v", i+1, j, ev)
		}
		if ev.Kind == emulator.KindSegmentSent && (j.Segment == nil || j.Segment.Seq != uint32(ev.Seg.Seq) || j.Segment.Flags != ev.Seg.Flags.String()) {
			t.Errorf("line %d: segment %+v, want %+v", i+1, j.Segment, ev.Seg)
		}
		i++
	}
	if i != len(st.events) {
		t.Errorf("%d lines for %d events", i, len(st.events))
	}
}

// TestJSONFieldsAreDocumented keeps JSONEvent's and JSONSegment's doc
// comments in step with their fields: scripts read the names from there.
func TestJSONFieldsAreDocumented(t *testing.T) {
	src, err := os.ReadFile("jsonl.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{JSONEvent{}, JSONSegment{}} {
		ty := reflect.TypeOf(v)
		for i := range ty.NumField() {
			name, _, _ := strings.Cut(ty.Field(i).Tag.Get("json"), ",")
			if !bytes.Contains(src, []byte("//\t"+name+" ")) && !bytes.Contains(src, []byte("//\t"+name+",")) &&
				!bytes.Contains(src, []byte(", "+name+" ")) {
				t.Errorf("%s.%s (%q) is not in the doc comment", ty.Name(), ty.Field(i).Name, name)
			}
		}
	}
}

// TestRenderersNeedNoNamesOrAddresses: a caller with nothing but events
// still gets every rendering.
func TestRenderersNeedNoNamesOrAddresses(t *testing.T) {
	st := duplicateStory(t)
	for name, f := range map[string]func(*bytes.Buffer, []emulator.Event, Options) error{
		"ladder": ladder, "table": table, "mermaid": mermaid, "jsonl": jsonLines,
	} {
		for _, events := range [][]emulator.Event{nil, st.events} {
			var b bytes.Buffer
			if err := f(&b, events, Options{}); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			if len(events) > 0 && !strings.Contains(b.String(), "ep1") {
				t.Errorf("%s names no endpoint ep1:\n%s", name, b.String())
			}
		}
	}
}

// TestMermaidMarksEveryLostSegment: each drop is a "-x" message.
func TestMermaidMarksEveryLostSegment(t *testing.T) {
	st := timersStory(t)
	var b bytes.Buffer
	if err := Mermaid(&b, st.events, st.options()); err != nil {
		t.Fatal(err)
	}
	drops := 0
	for _, ev := range st.events {
		if ev.Kind == emulator.KindSegmentDropped {
			drops++
		}
	}
	if got := strings.Count(b.String(), "-x"); got != drops || drops == 0 {
		t.Errorf("%d lost messages for %d drops:\n%s", got, drops, b.String())
	}
}

// TestColorOnlyAddsEscapes: the coloured ladder is the plain one with SGR
// sequences added, nothing moved.
func TestColorOnlyAddsEscapes(t *testing.T) {
	plain := strings.Join(goldenLines(t, "ladder_seed_plain"), "\n")
	color := strings.Join(goldenLines(t, "ladder_seed_color"), "\n")
	if !strings.Contains(color, "\x1b[") {
		t.Fatal("the coloured ladder has no escape sequences")
	}
	if stripped := stripSGR(color); stripped != plain {
		t.Errorf("colour changed the text:\n%s\n---\n%s", stripped, plain)
	}
	if strings.Contains(plain, "\x1b") {
		t.Error("the plain ladder has escape sequences")
	}
}

func stripSGR(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
