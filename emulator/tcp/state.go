// Package tcp is one endpoint's RFC 9293 state machine: its TCB, the user
// calls of §3.10.1–§3.10.6, SEGMENT ARRIVES of §3.10.7 and the timeouts of
// §3.10.8.
//
// It knows no session, network or clock. Time is an argument; everything the
// endpoint does (state changes, segments to send, timers to arm, data for the
// user, errors) is reported to a Sink, which the caller implements. Like
// etcd's raft, the machine is stepped and never runs by itself.
package tcp

// State is a connection state of RFC 9293 §3.3.2.
type State uint8

// The eleven states of RFC 9293 §3.3.2, Figure 6.
const (
	Closed State = iota
	Listen
	SynSent
	SynReceived
	Established
	FinWait1
	FinWait2
	CloseWait
	Closing
	LastAck
	TimeWait
	numStates
)

// NumStates is the number of states, for tables indexed by State.
const NumStates = int(numStates)

var stateNames = [numStates]string{
	Closed:      "CLOSED",
	Listen:      "LISTEN",
	SynSent:     "SYN-SENT",
	SynReceived: "SYN-RECEIVED",
	Established: "ESTABLISHED",
	FinWait1:    "FIN-WAIT-1",
	FinWait2:    "FIN-WAIT-2",
	CloseWait:   "CLOSE-WAIT",
	Closing:     "CLOSING",
	LastAck:     "LAST-ACK",
	TimeWait:    "TIME-WAIT",
}

// String returns the state's name as RFC 9293 spells it ("SYN-SENT").
func (s State) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return "STATE(?)"
}

// ParseState returns the state named as RFC 9293 spells it; underscores are
// accepted for hyphens ("SYN_SENT").
func ParseState(name string) (State, bool) {
	for s, n := range stateNames {
		if n == name || underscored(n) == name {
			return State(s), true
		}
	}
	return 0, false
}

func underscored(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}

// Synchronized reports whether the state is one of RFC 9293 §3.5's
// synchronized states: ESTABLISHED and everything after it.
func (s State) Synchronized() bool { return s >= Established && s < numStates }
