package emulator

import (
	"fmt"
	"sort"
	"time"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// ProfileRFC9293 is the default profile: RFC 9293 read strictly, with the
// seed's 240 s TIME-WAIT (DESIGN.md, "Profiles").
func ProfileRFC9293() tcp.Config {
	return tcp.Config{
		MSL:             120 * time.Second, // RFC 9293 §3.4.2: "arbitrarily defined to be 2 minutes"
		TimeWait:        240 * time.Second, // 2×MSL
		FinWait2Timeout: 0,                 // the RFC waits forever
		RTOInitial:      time.Second,       // RFC 6298 §2.1
		RTOMin:          time.Second,       // RFC 6298 §2.4
		RTOMax:          60 * time.Second,  // RFC 6298 §2.5
		SynRetries:      6,
		SynAckRetries:   5,
		DataRetries:     15,
		// RFC 5961 §7 leaves the challenge-ACK rate to the implementer;
		// ten a second per endpoint keeps an attacker's amplification small.
		ChallengeACKLimit: 10,
		MSS:               1460,
		RcvBuf:            tcp.MaxWindow,
		SndBuf:            1 << 20,
		Backlog:           128,
	}
}

// ProfileLinux models Linux 6.x defaults (net/ipv4/tcp*.c and the sysctls
// named beside each value).
func ProfileLinux() tcp.Config {
	c := ProfileRFC9293()
	c.TimeWait = 60 * time.Second        // TCP_TIMEWAIT_LEN
	c.MSL = 30 * time.Second             // Linux has no MSL; 2×MSL = TIME-WAIT
	c.FinWait2Timeout = 60 * time.Second // tcp_fin_timeout
	c.RTOMin = 200 * time.Millisecond    // TCP_RTO_MIN
	c.RTOMax = 120 * time.Second         // TCP_RTO_MAX
	c.SynLinearTimeouts = 4              // tcp_syn_linear_timeouts
	c.RFC5961 = true                     // tcp_validate_incoming
	// Linux rate-limits challenge ACKs per socket to one per
	// tcp_invalid_ratelimit (500 ms): two a second.
	c.ChallengeACKLimit = 2
	c.RSTOnCloseWithUnreadData = true                 // tcp_close: data_was_unread
	c.TimeWaitRestartOnACK = true                     // tcp_timewait_state_process
	c.TimeWaitAcceptSYN = true                        // TCP_TW_SYN
	c.ResendSynAckOnDupSYN = true                     // tcp_check_req
	c.OutOfWindowACKInterval = 500 * time.Millisecond // tcp_invalid_ratelimit
	return c
}

var profiles = map[string]func() tcp.Config{
	"rfc9293": ProfileRFC9293,
	"linux":   ProfileLinux,
}

// DefaultProfile is the profile a session gets when none is named.
const DefaultProfile = "rfc9293"

// ProfileNames lists the profiles, sorted.
func ProfileNames() []string {
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupProfile returns the named profile's values.
func LookupProfile(name string) (tcp.Config, error) {
	if name == "" {
		name = DefaultProfile
	}
	p, ok := profiles[name]
	if !ok {
		return tcp.Config{}, fmt.Errorf("%w: %q (known: %v)", ErrUnknownProfile, name, ProfileNames())
	}
	return p(), nil
}

// Overrides change individual profile values; nil fields keep the profile's.
// Setting MSL without TimeWait makes TIME-WAIT 2×MSL.
type Overrides struct {
	MSL, TimeWait, FinWait2Timeout, UserTimeout *time.Duration
	RTOInitial, RTOMin, RTOMax                  *time.Duration
	DelayedACK                                  *time.Duration
	SynRetries, SynAckRetries, DataRetries      *int
	SynLinearTimeouts, ChallengeACKLimit        *int
	Backlog                                     *int
	RFC5961, RFC1337, RSTOnCloseWithUnreadData  *bool
	TimeWaitRestartOnACK, TimeWaitAcceptSYN     *bool
	ResendSynAckOnDupSYN                        *bool
	OutOfWindowACKInterval                      *time.Duration
	MSS                                         *uint16
	RcvBuf, SndBuf                              *uint32
}

// Apply writes the overrides into c and validates the result.
func (o *Overrides) Apply(c *tcp.Config) error {
	if o == nil {
		return c.Validate()
	}
	setD := func(dst *time.Duration, v *time.Duration) {
		if v != nil {
			*dst = *v
		}
	}
	setI := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setB := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	if o.MSL != nil && o.TimeWait == nil {
		c.TimeWait = 2 * *o.MSL
	}
	setD(&c.MSL, o.MSL)
	setD(&c.TimeWait, o.TimeWait)
	setD(&c.FinWait2Timeout, o.FinWait2Timeout)
	setD(&c.UserTimeout, o.UserTimeout)
	setD(&c.RTOInitial, o.RTOInitial)
	setD(&c.RTOMin, o.RTOMin)
	setD(&c.RTOMax, o.RTOMax)
	setD(&c.DelayedACK, o.DelayedACK)
	setD(&c.OutOfWindowACKInterval, o.OutOfWindowACKInterval)
	setI(&c.SynRetries, o.SynRetries)
	setI(&c.SynAckRetries, o.SynAckRetries)
	setI(&c.DataRetries, o.DataRetries)
	setI(&c.SynLinearTimeouts, o.SynLinearTimeouts)
	setI(&c.ChallengeACKLimit, o.ChallengeACKLimit)
	setI(&c.Backlog, o.Backlog)
	setB(&c.RFC5961, o.RFC5961)
	setB(&c.RFC1337, o.RFC1337)
	setB(&c.RSTOnCloseWithUnreadData, o.RSTOnCloseWithUnreadData)
	setB(&c.TimeWaitRestartOnACK, o.TimeWaitRestartOnACK)
	setB(&c.TimeWaitAcceptSYN, o.TimeWaitAcceptSYN)
	setB(&c.ResendSynAckOnDupSYN, o.ResendSynAckOnDupSYN)
	if o.MSS != nil {
		c.MSS = *o.MSS
	}
	if o.RcvBuf != nil {
		c.RcvBuf = *o.RcvBuf
	}
	if o.SndBuf != nil {
		c.SndBuf = *o.SndBuf
	}
	return c.Validate()
}
