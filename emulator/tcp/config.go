package tcp

import (
	"fmt"
	"time"
)

// Config holds the values a profile sets for an endpoint (see the profile
// table in DESIGN.md). The session builds one per profile and override set;
// endpoints share it by pointer and never modify it.
type Config struct {
	// MSL is the maximum segment lifetime; TimeWait is how long TIME-WAIT
	// lasts (RFC 9293 §3.4.2: 2×MSL).
	MSL      time.Duration
	TimeWait time.Duration
	// FinWait2Timeout ends a FIN-WAIT-2 that the peer never finishes; zero
	// waits forever, as RFC 9293 does (Linux: tcp_fin_timeout).
	FinWait2Timeout time.Duration
	// UserTimeout aborts a connection whose sent data stays unacknowledged
	// this long (RFC 9293 §3.8.3, RFC 5482); zero turns it off.
	UserTimeout time.Duration

	// Retransmission timeout bounds, RFC 6298 §2 and §5.
	RTOInitial time.Duration
	RTOMin     time.Duration
	RTOMax     time.Duration
	// Retries before giving up: SYN (tcp_syn_retries), SYN-ACK
	// (tcp_synack_retries), and data or FIN (tcp_retries2).
	SynRetries    int
	SynAckRetries int
	DataRetries   int
	// SynLinearTimeouts is how many SYN retransmissions keep the initial RTO
	// before backoff starts (Linux 6.x tcp_syn_linear_timeouts); zero is RFC
	// 6298's plain doubling.
	SynLinearTimeouts int

	// RFC5961 turns on the challenge ACKs of RFC 5961 §3–§5;
	// ChallengeACKLimit caps them per endpoint per second (§7); zero means
	// no limit.
	RFC5961           bool
	ChallengeACKLimit int
	// RFC1337 ignores RST in TIME-WAIT (RFC 1337 §3, "TIME-WAIT
	// assassination" fix; Linux tcp_rfc1337).
	RFC1337 bool
	// RSTOnCloseWithUnreadData sends RST instead of FIN when CLOSE finds
	// received data the user never read (RFC 2525 §2.17; Linux).
	RSTOnCloseWithUnreadData bool
	// TimeWaitRestartOnACK makes TIME-WAIT restart on a bare in-window ACK
	// and on any out-of-window segment with ACK, as Linux does
	// (tcp_timewait_state_process); otherwise only a retransmitted FIN does.
	TimeWaitRestartOnACK bool
	// TimeWaitAcceptSYN lets a new SYN with a sequence number above RCV.NXT
	// reopen a connection in TIME-WAIT (RFC 9293 §3.6.1 MAY-2, RFC 6191 §2;
	// Linux TCP_TW_SYN).
	TimeWaitAcceptSYN bool

	// OutOfWindowACKInterval rate-limits the ACKs answering unacceptable
	// segments without data to one per interval per endpoint, as Linux's
	// tcp_invalid_ratelimit (500 ms) does; zero answers every one, as RFC
	// 9293 §3.10.7.4 says.
	OutOfWindowACKInterval time.Duration
	// ResendSynAckOnDupSYN answers a retransmitted SYN in SYN-RECEIVED by
	// sending the SYN-ACK again, as Linux does (tcp_check_req). RFC 9293
	// §3.10.7.4 has a bare ACK sent for it, as for any unacceptable segment.
	ResendSynAckOnDupSYN bool

	// DelayedACK delays a pure ACK by this much (RFC 9293 §3.8.6.3 caps it
	// at 0.5 s); zero acknowledges at once.
	DelayedACK time.Duration

	// MSS is the segment size this endpoint announces and its ceiling for
	// sending; RcvBuf is its receive buffer (the largest window it offers);
	// SndBuf bounds data queued by SEND.
	MSS    uint16
	RcvBuf uint32
	SndBuf uint32
	// Backlog bounds a listener's unaccepted children.
	Backlog int
}

// DefaultPeerMSS is the MSS assumed when a SYN carries no MSS option
// (RFC 9293 §3.7.1, MUST-15).
const DefaultPeerMSS = 536

// MaxWindow is the largest window the 16-bit header field carries without
// window scaling, which the emulator does not negotiate.
const MaxWindow = 65535

// Validate reports the first value that cannot work, naming the field.
func (c *Config) Validate() error {
	type check struct {
		ok    bool
		field string
		why   string
	}
	for _, k := range []check{
		{c.MSL >= 0, "msl", "must not be negative"},
		{c.TimeWait >= 0, "time_wait", "must not be negative"},
		{c.FinWait2Timeout >= 0, "fin_wait_2_timeout", "must not be negative"},
		{c.UserTimeout >= 0, "user_timeout", "must not be negative"},
		{c.RTOMin > 0, "rto_min", "must be positive"},
		{c.RTOMax >= c.RTOMin, "rto_max", "must be at least rto_min"},
		{c.RTOInitial >= c.RTOMin && c.RTOInitial <= c.RTOMax, "rto_initial", "must lie between rto_min and rto_max"},
		{c.SynRetries >= 0 && c.SynRetries <= 255, "syn_retries", "must be 0..255"},
		{c.SynAckRetries >= 0 && c.SynAckRetries <= 255, "synack_retries", "must be 0..255"},
		{c.DataRetries >= 0 && c.DataRetries <= 255, "data_retries", "must be 0..255"},
		{c.SynLinearTimeouts >= 0 && c.SynLinearTimeouts <= 255, "syn_linear_timeouts", "must be 0..255"},
		{c.ChallengeACKLimit >= 0, "challenge_ack_limit", "must not be negative"},
		{c.OutOfWindowACKInterval >= 0, "out_of_window_ack_interval", "must not be negative"},
		{c.DelayedACK >= 0 && c.DelayedACK <= 500*time.Millisecond, "delayed_ack", "must be 0..500ms (RFC 9293 §3.8.6.3)"},
		{c.MSS >= 1, "mss", "must be at least 1"},
		{c.RcvBuf >= 1 && c.RcvBuf <= MaxWindow, "rcv_buf", "must be 1..65535 (no window scaling)"},
		{c.SndBuf >= 1, "snd_buf", "must be at least 1"},
		{c.Backlog >= 1, "backlog", "must be at least 1"},
	} {
		if !k.ok {
			return &ConfigError{Field: k.field, Reason: k.why}
		}
	}
	return nil
}

// ConfigError names a configuration field that cannot be used.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason) }
