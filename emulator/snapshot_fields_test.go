package emulator

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// snapshotFields is the committed list of every field of every type a
// snapshot encodes, each with what the encoder does with it. A field added
// to one of these types without a decision about snapshots fails
// TestSnapshotCoversEveryField: a session restored from a snapshot that
// silently lost it would continue differently, and the StateHash of a
// replay would not notice (the encoder leaves the field out on both sides).
var snapshotFields = []struct {
	typ    reflect.Type
	file   string   // where its encoder lives
	fields []string // "Name" (encoded) or "Name: why not"
}{
	{reflect.TypeFor[Session](), "emulator/snapshot.go", []string{
		"cfg", "base", "now", "order",
		"queue: its live items, in run order (appendSchedule); few, lanes and heap are rebuilt by push",
		"cause", "isn", "isnNext",
		"eps: as the endpoint records, by ID",
		"nextID",
		"conns: rebuilt from each record's routed bit",
		"listening: rebuilt from each record's listening bit",
		"closed: the list from closedAt on",
		"closedAt: the list is written compacted",
		"pool: recycled records hold nothing the session reads",
		"addrs", "hosted",
		"addrIdx: rebuilt from addrs",
		"hosts", "ports",
		"flights: each delivery item carries its segment",
		"scratch: every use overwrites it whole (tcp output.go send)",
		"freeFlights: rebuilt (none free)",
		"external", "imp",
		"log: the store keeps events; only NextSeq is written",
		"logBase: as NextSeq",
		"older: as log",
		"joined: a buffer for Events",
		"held: a hold lasts one caller's run of calls, not state",
		"hold: as held",
	}},
	{reflect.TypeFor[Config](), "emulator/snapshot.go", []string{
		"Seed", "Profile", "Overrides: already applied to base, which is written", "Delay", "FixedISS",
		"LogLimit", "KeepClosed", "NoExternal",
	}},
	{reflect.TypeFor[isnGenerator](), "emulator/snapshot.go", []string{"k0", "k1"}},
	{reflect.TypeFor[endpoint](), "emulator/snapshot_endpoints.go", []string{
		"Endpoint", "cfg: as an index into the distinct configurations",
		"peer: a guess that arrival checks against conns",
		"counters", "accepted", "routed", "backlog", "children", "issFixed",
	}},
	{reflect.TypeFor[Counters](), "emulator/snapshot_endpoints.go", []string{
		"BytesSent", "BytesReceived", "SegmentsSent", "SegmentsReceived", "Retransmissions",
		"SegmentsDiscarded", "RSTsSent", "RSTsReceived", "ChallengeACKsSent",
	}},
	{reflect.TypeFor[item](), "emulator/snapshot_endpoints.go", []string{
		"at", "order", "ep: a timer's endpoint by ID; a delivery's guess is left out (arrival checks it)",
		"arg: a delivery's segment, a timer's current generation, a network item's key",
		"kind", "timer",
	}},
	{reflect.TypeFor[impairments](), "emulator/snapshot_impair.go", []string{
		"def", "dirs", "byConn: a cache of dirs, filled on use", "faults", "nextFault", "cuts", "specials", "nextSpecial",
	}},
	{reflect.TypeFor[direction](), "emulator/snapshot_impair.go", []string{"rng", "path", "busyUntil", "held", "pair"}},
	{reflect.TypeFor[rng](), "emulator/snapshot_impair.go", []string{"state"}},
	{reflect.TypeFor[heldRef](), "emulator/snapshot_impair.go", []string{"key", "remaining"}},
	{reflect.TypeFor[hostPair](), "emulator/snapshot_impair.go", []string{"from", "to"}},
	{reflect.TypeFor[special](), "emulator/snapshot_impair.go", []string{"kind", "seg", "rule", "corrupt", "dir", "pair", "cut"}},
	{reflect.TypeFor[FaultRule](), "emulator/snapshot_impair.go", []string{"ID", "Fault", "Matched", "Fired"}},
	{reflect.TypeFor[Fault](), "emulator/snapshot_impair.go", []string{
		"Name", "From", "To", "Flags", "ExactFlags", "MatchSeq", "SeqFirst", "SeqLast", "MatchLen", "MinLen", "MaxLen",
		"Nth", "Action", "Delay", "Copies", "Spacing", "Behind", "Count",
	}},
	{reflect.TypeFor[Path](), "emulator/snapshot_impair.go", []string{
		"Delay", "Jitter", "Loss", "Duplicate", "Reorder", "ReorderDelay", "ReorderBehind", "Bandwidth",
	}},
	{reflect.TypeFor[tcp.Endpoint](), "emulator/tcp/snapshot.go", []string{
		"ID", "Parent", "Local", "Remote",
		"Owner: the owner sets it", "Scratch: the owner sets it",
		"state", "passive", "flags", "cfg: the owner writes configurations", "softErr",
		"iss", "sndUna", "sndNxt", "sndWl1", "sndWl2", "sndUp", "sndWnd", "maxSndWnd", "finSeq", "recoverSeq",
		"sndMSS", "retries", "probes", "persistBackoff",
		"irs", "rcvNxt", "rcvUp", "rcvAdv", "tsRecent",
		"sndBuf", "rcvBuf", "held",
		"srtt", "rttvar", "rto", "rttSeq", "rttStart",
		"deadline", "gen: only tells stale items, which a snapshot leaves out", "armed",
		"challengeStart", "challengeCount", "lastOOWAck",
	}},
	{reflect.TypeFor[tcp.Endpoint]().Field(heldField()).Type.Elem(), "emulator/tcp/snapshot.go", []string{"seq", "data", "fin"}},
	{reflect.TypeFor[tcp.Segment](), "emulator/tcp/snapshot.go", []string{
		"Src", "Dst", "Seq", "Ack", "Flags", "Window", "Urgent", "Options", "Payload",
	}},
	{reflect.TypeFor[tcp.Options](), "emulator/tcp/snapshot.go", []string{
		"MSS", "WScale", "HasWScale", "SACKPermitted", "HasTimestamps", "TSVal", "TSEcr",
	}},
	{reflect.TypeFor[tcp.Config](), "emulator/tcp/snapshot.go", []string{
		"MSL", "TimeWait", "FinWait2Timeout", "UserTimeout", "RTOInitial", "RTOMin", "RTOMax",
		"SynRetries", "SynAckRetries", "DataRetries", "SynLinearTimeouts", "RFC5961", "ChallengeACKLimit",
		"RFC1337", "RSTOnCloseWithUnreadData", "TimeWaitRestartOnACK", "TimeWaitAcceptSYN",
		"OutOfWindowACKInterval", "ResendSynAckOnDupSYN", "DelayedACK", "MSS", "RcvBuf", "SndBuf", "Backlog",
	}},
}

// heldField finds tcp.Endpoint's held-text slice, whose element type is
// unexported.
func heldField() int {
	f, _ := reflect.TypeFor[tcp.Endpoint]().FieldByName("held")
	return f.Index[0]
}

// TestSnapshotCoversEveryField compares the fields of every type a
// snapshot encodes with the committed list above.
func TestSnapshotCoversEveryField(t *testing.T) {
	for _, c := range snapshotFields {
		var have, want []string
		for i := range c.typ.NumField() {
			have = append(have, c.typ.Field(i).Name)
		}
		for _, f := range c.fields {
			name, _, _ := strings.Cut(f, ":")
			want = append(want, name)
		}
		var added, removed []string
		for _, f := range have {
			if !slices.Contains(want, f) {
				added = append(added, f)
			}
		}
		for _, f := range want {
			if !slices.Contains(have, f) {
				removed = append(removed, f)
			}
		}
		if len(added) > 0 {
			t.Errorf("%v has fields the snapshot does not know: %v. Encode and restore them in %s "+
				"(or decide they need not be, and say why), then list them in snapshot_fields_test.go",
				c.typ, added, c.file)
		}
		if len(removed) > 0 {
			t.Errorf("%v no longer has fields %v: update %s and snapshot_fields_test.go", c.typ, removed, c.file)
		}
	}
}
