package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

func (r *runner) setsockopt(ev *Event, s *socket, name string, val Expr) error {
	if msg, ok := sockoptNoEffect[name]; ok {
		r.noteOnce(name, ev.Pos, msg)
		if v, ok := intArg(val); ok {
			s.sockopts[name] = v
		}
		return r.check(ev, okRes(0))
	}
	if name == "SO_LINGER" {
		s.linger0 = intField(val, "l_onoff") == 1 && intField(val, "l_linger") == 0
		s.sockopts["l_onoff"], s.sockopts["l_linger"] = intField(val, "l_onoff"), intField(val, "l_linger")
		return r.check(ev, okRes(0))
	}
	v, okv := intArg(val)
	if !okv || v < 0 {
		if name == "TCP_LINGER2" && okv {
			return &unsupportedErr{"TCP_LINGER2 -1 (an orphan FIN-WAIT-2 that is reset at once)"}
		}
		return r.check(ev, errno("EINVAL"))
	}
	if s.ep != 0 {
		return &unsupportedErr{fmt.Sprintf("setsockopt %s after listen() or connect(): the emulator fixes an endpoint's knobs when it opens", name)}
	}
	knob := sockoptKnob[name]
	value := strconv.FormatInt(v, 10)
	switch name {
	case "TCP_USER_TIMEOUT":
		value = (time.Duration(v) * time.Millisecond).String()
	case "TCP_LINGER2":
		value = (time.Duration(v) * time.Second).String()
	}
	// A value the profile refuses (TCP_MAXSEG 0) is EINVAL here, as Linux
	// refuses it in setsockopt, not a failure of the later listen().
	if o, err := overridesOf(append(append([]string(nil), s.knobs...), knob+"="+value)); err != nil {
		return r.check(ev, errno("EINVAL"))
	} else if cfg := r.cfg; o.Apply(&cfg) != nil {
		return r.check(ev, errno("EINVAL"))
	}
	s.knobs = append(s.knobs, knob+"="+value)
	s.sockopts[name] = v
	return r.check(ev, okRes(0))
}

func (r *runner) getsockopt(ev *Event, s *socket, name string) error {
	res := okRes(0)
	var v int64
	switch name {
	case "SO_ERROR":
		if e := r.takeErr(s.ep, ""); e.errno != "" {
			v = errnoNumber(e.errno)
		}
	case "SO_LINGER":
		on, l := s.sockopts["l_onoff"], s.sockopts["l_linger"]
		res.value = &Expr{Kind: ExprStruct, Fields: map[string]Expr{"l_onoff": {Kind: ExprInt, Int: on}, "l_linger": {Kind: ExprInt, Int: l}}}
		return r.check(ev, res)
	case "TCP_MAXSEG":
		v = r.maxseg(s)
	default:
		if x, ok := s.sockopts[name]; ok {
			v = x
		} else {
			v = r.profileValue(name)
		}
	}
	res.value = &Expr{Kind: ExprList, Items: []Expr{{Kind: ExprInt, Int: v}}}
	return r.check(ev, res)
}

// profileValue is a socket option's value before any setsockopt: the
// profile's (with the script's knobs).
func (r *runner) profileValue(name string) int64 {
	switch name {
	case "TCP_USER_TIMEOUT":
		return r.cfg.UserTimeout.Milliseconds()
	case "TCP_LINGER2":
		return int64(r.cfg.FinWait2Timeout / time.Second)
	case "TCP_SYNCNT":
		return int64(r.cfg.SynRetries)
	}
	return 0
}

// tcpMSSDefault is Linux's TCP_MSS_DEFAULT, a socket's MSS before it
// connects: RFC 9293 §3.7.1's default send MSS.
const tcpMSSDefault = 536

// maxseg is getsockopt(TCP_MAXSEG) as Linux's do_tcp_getsockopt gives it:
// on a closed or listening socket the MSS set by setsockopt, else 536;
// on a connection the send MSS (tp->mss_cache).
func (r *runner) maxseg(s *socket) int64 {
	if s.ep != 0 && !s.listener {
		if st, err := r.d.Status(s.ep); err == nil && st.State != tcp.Closed && st.SndMSS > 0 {
			return int64(st.SndMSS)
		}
	}
	if x, ok := s.sockopts["TCP_MAXSEG"]; ok {
		return x
	}
	return tcpMSSDefault
}

func (r *runner) fcntl(ev *Event, s *socket, cmd string, val Expr) error {
	const oRDWR, oNONBLOCK = 0x2, 0x800
	switch cmd {
	case "F_SETFL":
		s.nonblock = strings.Contains(val.Name, "O_NONBLOCK") || (val.Kind == ExprInt && val.Int&oNONBLOCK != 0)
		return r.check(ev, okRes(0))
	default: // F_GETFL
		flags := int64(oRDWR)
		if s.nonblock {
			flags |= oNONBLOCK
		}
		return r.check(ev, okRes(flags))
	}
}
