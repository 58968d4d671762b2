package tcp

import (
	"reflect"
	"testing"
	"time"

	"github.com/tcpemu/tcpemu/emulator/internal/wire"
)

// snapshotSkipped are the Endpoint fields AppendSnapshot leaves to its
// owner or drops on purpose (see its comment).
var snapshotSkipped = map[string]bool{"Owner": true, "Scratch": true, "cfg": true, "gen": true}

// fullEndpoint has every field the snapshot keeps set to a value of its
// own, none zero, so that a field the encoder forgets shows.
func fullEndpoint(cfg *Config) Endpoint {
	e := Endpoint{
		ID: 7, Parent: 3, Local: 4, Remote: 5, state: FinWait1, passive: true, flags: 0x3ff, softErr: ErrConnectionReset,
		iss: 11, sndUna: 12, sndNxt: 13, sndWl1: 14, sndWl2: 15, sndUp: 16, sndWnd: 17, maxSndWnd: 18,
		finSeq: 19, recoverSeq: 20, sndMSS: 21, retries: 22, probes: 23, persistBackoff: 24,
		irs: 25, rcvNxt: 26, rcvUp: 27, rcvAdv: 28, tsRecent: 29,
		sndBuf: []byte("queued"), rcvBuf: []byte("unread"),
		held: []heldText{{seq: 40, data: []byte("ahead")}, {seq: 50, fin: true}},
		srtt: 31 * time.Millisecond, rttvar: 32 * time.Millisecond, rto: 33 * time.Millisecond,
		rttSeq: 34, rttStart: 35 * time.Second,
		deadline: [numTimers]time.Duration{41, 42, 43, 44, 45, 46}, gen: [numTimers]uint32{9, 9, 9, 9, 9, 9},
		armed:          0x2b,
		challengeStart: 36 * time.Second, challengeCount: 37, lastOOWAck: -38,
		cfg: cfg,
	}
	return e
}

// TestEndpointSnapshotRoundTrip: every field AppendSnapshot writes comes
// back as it was; the timer generations start afresh.
func TestEndpointSnapshotRoundTrip(t *testing.T) {
	cfg := rfc9293Config(true)
	e := fullEndpoint(cfg)
	v := reflect.ValueOf(e)
	for i := range v.NumField() {
		if name := v.Type().Field(i).Name; !snapshotSkipped[name] && v.Field(i).IsZero() {
			t.Errorf("fullEndpoint leaves %s zero: give it a value, so that this test checks the snapshot keeps it", name)
		}
	}
	var w wire.Writer
	e.AppendSnapshot(&w)
	r := wire.NewReader(w.B)
	var got Endpoint
	got.RestoreSnapshot(r, cfg)
	r.End()
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	want := e
	want.gen = [numTimers]uint32{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("restored endpoint differs:\n got %+v\nwant %+v", got, want)
	}
}

// TestSegmentAndConfigSnapshotRoundTrip: the same for a segment with every
// option and a configuration with every value changed from the profile.
func TestSegmentAndConfigSnapshotRoundTrip(t *testing.T) {
	seg := Segment{Src: 1, Dst: 2, Seq: 3, Ack: 4, Flags: SYN | ACK | ECE, Window: 5, Urgent: 6,
		Options: Options{MSS: 7, WScale: 8, HasWScale: true, SACKPermitted: true, HasTimestamps: true, TSVal: 9, TSEcr: 10},
		Payload: []byte("payload")}
	cfg := Config{MSL: 1, TimeWait: 2, FinWait2Timeout: 3, UserTimeout: 4, RTOInitial: 6, RTOMin: 5, RTOMax: 7,
		SynRetries: 8, SynAckRetries: 9, DataRetries: 10, SynLinearTimeouts: 11, RFC5961: true, ChallengeACKLimit: 12,
		RFC1337: true, RSTOnCloseWithUnreadData: true, TimeWaitRestartOnACK: true, TimeWaitAcceptSYN: true,
		OutOfWindowACKInterval: 13, ResendSynAckOnDupSYN: true, DelayedACK: 14, MSS: 15, RcvBuf: 16, SndBuf: 17, Backlog: 18}
	for _, x := range []any{seg, seg.Options, cfg} {
		v := reflect.ValueOf(x)
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Errorf("%T fixture leaves %s zero", x, v.Type().Field(i).Name)
			}
		}
	}
	var w wire.Writer
	AppendSegment(&w, &seg)
	AppendConfig(&w, &cfg)
	r := wire.NewReader(w.B)
	gotSeg, gotCfg := ReadSegment(r), ReadConfig(r)
	r.End()
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotSeg, seg) {
		t.Errorf("segment:\n got %+v\nwant %+v", gotSeg, seg)
	}
	if gotCfg != cfg {
		t.Errorf("config:\n got %+v\nwant %+v", gotCfg, cfg)
	}
}
