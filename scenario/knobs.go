package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// knobKind is the type of a knob's value.
type knobKind uint8

const (
	knobDuration knobKind = iota
	knobCount
	knobBool
)

// knob is one profile value a script may set, by the name emuctl's --set
// and the API's ProfileOverrides use, so that a remote run passes the
// same names on.
type knob struct {
	kind knobKind
	set  func(o *emulator.Overrides, d time.Duration, n uint64, b bool)
}

func ptr[T any](v T) *T { return &v }

var knobs = map[string]knob{
	"msl":                        {knobDuration, func(o *emulator.Overrides, d time.Duration, _ uint64, _ bool) { o.MSL = ptr(d) }},
	"time_wait":                  {knobDuration, func(o *emulator.Overrides, d time.Duration, _ uint64, _ bool) { o.TimeWait = ptr(d) }},
	"fin_wait_2_timeout":         {knobDuration, func(o *emulator.Overrides, d time.Duration, _ uint64, _ bool) { o.FinWait2Timeout = ptr(d) }},
	"rto_initial":                {knobDuration, func(o *emulator.Overrides, d time.Duration, _ uint64, _ bool) { o.RTOInitial = ptr(d) }},
	"rto_min":                    {knobDuration, func(o *emulator.Overrides, d time.Duration, _ uint64, _ bool) { o.RTOMin = ptr(d) }},
	"rto_max":                    {knobDuration, func(o *emulator.Overrides, d time.Duration, _ uint64, _ bool) { o.RTOMax = ptr(d) }},
	"delayed_ack":                {knobDuration, func(o *emulator.Overrides, d time.Duration, _ uint64, _ bool) { o.DelayedACK = ptr(d) }},
	"user_timeout":               {knobDuration, func(o *emulator.Overrides, d time.Duration, _ uint64, _ bool) { o.UserTimeout = ptr(d) }},
	"out_of_window_ack_interval": {knobDuration, func(o *emulator.Overrides, d time.Duration, _ uint64, _ bool) { o.OutOfWindowACKInterval = ptr(d) }},
	"syn_retries":                {knobCount, func(o *emulator.Overrides, _ time.Duration, n uint64, _ bool) { o.SynRetries = ptr(int(n)) }},
	"synack_retries":             {knobCount, func(o *emulator.Overrides, _ time.Duration, n uint64, _ bool) { o.SynAckRetries = ptr(int(n)) }},
	"data_retries":               {knobCount, func(o *emulator.Overrides, _ time.Duration, n uint64, _ bool) { o.DataRetries = ptr(int(n)) }},
	"syn_linear_timeouts":        {knobCount, func(o *emulator.Overrides, _ time.Duration, n uint64, _ bool) { o.SynLinearTimeouts = ptr(int(n)) }},
	"challenge_ack_limit":        {knobCount, func(o *emulator.Overrides, _ time.Duration, n uint64, _ bool) { o.ChallengeACKLimit = ptr(int(n)) }},
	"backlog":                    {knobCount, func(o *emulator.Overrides, _ time.Duration, n uint64, _ bool) { o.Backlog = ptr(int(n)) }},
	"mss":                        {knobCount, func(o *emulator.Overrides, _ time.Duration, n uint64, _ bool) { o.MSS = ptr(uint16(n)) }},
	"rcv_wnd":                    {knobCount, func(o *emulator.Overrides, _ time.Duration, n uint64, _ bool) { o.RcvBuf = ptr(uint32(n)) }},
	"snd_buf":                    {knobCount, func(o *emulator.Overrides, _ time.Duration, n uint64, _ bool) { o.SndBuf = ptr(uint32(n)) }},
	"rfc5961":                    {knobBool, func(o *emulator.Overrides, _ time.Duration, _ uint64, b bool) { o.RFC5961 = ptr(b) }},
	"rfc1337":                    {knobBool, func(o *emulator.Overrides, _ time.Duration, _ uint64, b bool) { o.RFC1337 = ptr(b) }},
	"rst_on_close_with_unread_data": {knobBool, func(o *emulator.Overrides, _ time.Duration, _ uint64, b bool) {
		o.RSTOnCloseWithUnreadData = ptr(b)
	}},
	"time_wait_restart_on_ack": {knobBool, func(o *emulator.Overrides, _ time.Duration, _ uint64, b bool) { o.TimeWaitRestartOnACK = ptr(b) }},
	"time_wait_accept_syn":     {knobBool, func(o *emulator.Overrides, _ time.Duration, _ uint64, b bool) { o.TimeWaitAcceptSYN = ptr(b) }},
	"resend_synack_on_dup_syn": {knobBool, func(o *emulator.Overrides, _ time.Duration, _ uint64, b bool) { o.ResendSynAckOnDupSYN = ptr(b) }},
}

// checkKnob validates a knob's name and value.
func checkKnob(name, value string) error {
	k, ok := knobs[strings.ReplaceAll(name, "-", "_")]
	if !ok {
		return fmt.Errorf("unknown knob (known: msl, time_wait, fin_wait_2_timeout, rto_*, syn_retries, synack_retries, data_retries, rfc5961, rfc1337, …)")
	}
	_, _, _, err := k.parse(value)
	return err
}

func (k knob) parse(v string) (time.Duration, uint64, bool, error) {
	switch k.kind {
	case knobDuration:
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, 0, false, fmt.Errorf("want a duration (30s, 200ms)")
		}
		return d, 0, false, nil
	case knobCount:
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return 0, 0, false, fmt.Errorf("want a non-negative number")
		}
		return 0, n, false, nil
	default:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return 0, 0, false, fmt.Errorf("want true or false")
		}
		return 0, 0, b, nil
	}
}

// Overrides turns knobs into the emulator's overrides (nil for none).
func Overrides(ks []Knob) (*emulator.Overrides, error) {
	if len(ks) == 0 {
		return nil, nil
	}
	o := &emulator.Overrides{}
	for _, kn := range ks {
		k, ok := knobs[strings.ReplaceAll(kn.Name, "-", "_")]
		if !ok {
			return nil, fmt.Errorf("%s: unknown knob %q", kn.Pos, kn.Name)
		}
		d, n, b, err := k.parse(kn.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %s=%s: %w", kn.Pos, kn.Name, kn.Value, err)
		}
		k.set(o, d, n, b)
	}
	return o, nil
}

// KnobPairs are knobs as "name=value" strings, the form emuctl's --set and
// a remote driver take.
func KnobPairs(ks []Knob) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Name + "=" + k.Value
	}
	return out
}

// sysctlKnobs are the Linux TCP sysctls the profiles model: the knob each
// sets and the unit of its value.
var sysctlKnobs = map[string]struct{ knob, unit string }{
	"tcp_syn_retries":         {"syn_retries", "count"},
	"tcp_synack_retries":      {"synack_retries", "count"},
	"tcp_retries2":            {"data_retries", "count"},
	"tcp_syn_linear_timeouts": {"syn_linear_timeouts", "count"},
	"tcp_fin_timeout":         {"fin_wait_2_timeout", "s"},
	"tcp_rfc1337":             {"rfc1337", "bool"},
	"tcp_invalid_ratelimit":   {"out_of_window_ack_interval", "ms"},
}

// sysctlKnob maps a Linux TCP sysctl the profiles model onto a knob.
func sysctlKnob(name, value string) (knob, kv string, ok bool) {
	k, known := sysctlKnobs[strings.ReplaceAll(strings.TrimPrefix(name, "net.ipv4."), "/", ".")]
	if !known {
		return "", "", false
	}
	if k.unit == "bool" {
		switch value {
		case "0":
			return k.knob, "false", true
		case "1":
			return k.knob, "true", true
		}
		return "", "", false
	}
	n, err := strconv.ParseUint(value, 10, 32)
	if err != nil {
		return "", "", false
	}
	switch k.unit {
	case "s":
		return k.knob, (time.Duration(n) * time.Second).String(), true
	case "ms":
		return k.knob, (time.Duration(n) * time.Millisecond).String(), true
	}
	return k.knob, value, true
}

// parseState reads a state as RFC 9293 spells it (TIME-WAIT), with
// underscores (TIME_WAIT), or as Linux's ss prints it (SYN_RECV,
// FIN_WAIT1, CLOSE).
func parseState(name string) (tcp.State, bool) {
	n := strings.ToUpper(strings.TrimSpace(name))
	switch n {
	case "SYN_RECV", "SYN-RECV":
		return tcp.SynReceived, true
	case "FIN_WAIT1", "FIN-WAIT1":
		return tcp.FinWait1, true
	case "FIN_WAIT2", "FIN-WAIT2":
		return tcp.FinWait2, true
	case "CLOSE":
		return tcp.Closed, true
	}
	return tcp.ParseState(n)
}
