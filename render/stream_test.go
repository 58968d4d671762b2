package render

import (
	"bytes"
	"testing"

	"github.com/tcpemu/tcpemu/emulator/explain"
)

// A stream given every event at once draws exactly what Ladder draws.
func TestLadderStreamInOneBatchIsTheLadder(t *testing.T) {
	for _, tc := range goldenCases {
		if tc.name[:6] != "ladder" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			st := tc.story(t)
			o := st.options()
			o.Columns = st.order
			if tc.opts != nil {
				tc.opts(&o)
			}
			var want, got bytes.Buffer
			if err := Ladder(&want, st.events, o); err != nil {
				t.Fatal(err)
			}
			s := NewLadderStream(&got, o)
			if err := s.Write(st.events); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("stream:\n%s\nladder:\n%s", got.String(), want.String())
			}
		})
	}
}

// streamIn draws st's events through a LadderStream, n events at a time.
func streamIn(t *testing.T, st *story, o Options, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	s := NewLadderStream(&b, o)
	for i := 0; i < len(st.events); i += n {
		if err := s.Write(st.events[i:min(i+n, len(st.events))]); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// The ladder of `watch --ladder` piped and of the demos: batch by batch,
// no line written twice. Two clients, three events at a time and no
// column order given: the third column appears mid-way and a new header
// says so; segments in flight at the end of a batch arrive on rows of
// their own.
func TestGoldenLadderStream(t *testing.T) {
	st := twoClientsStory(t)
	golden(t, "ladder_stream_two_clients", streamIn(t, st, st.options(), 3))

	st = handshakeStory(t)
	o := st.options()
	o.Columns, o.Explain, o.Lang = st.order, true, explain.Korean
	golden(t, "ladder_stream_handshake_ko", streamIn(t, st, o, 2))
}
