package tcp

// Rule names the specification rule behind a transition, a reply segment or
// a discard. Every event the machine reports carries one, so that a reader
// can look up the text it came from; package explain holds each rule's
// plain-language explanation in English and Korean.
type Rule uint16

// ruleInfo is a rule's stable name (used in transcripts and the API) and the
// section of the specification it implements.
type ruleInfo struct {
	name    string
	section string
}

// The rules, grouped by the part of RFC 9293 §3.10 they implement.
const (
	RuleNone Rule = iota

	// User calls, §3.10.1–§3.10.6.
	RuleOpenPassive
	RuleOpenActive
	RuleOpenListenToActive
	RuleSendQueued
	RuleSendSegmentize
	RuleCloseListen
	RuleCloseSynSent
	RuleCloseQueued
	RuleCloseSendFIN
	RuleCloseUnreadData
	RuleAbortReset
	RuleAbortQuiet
	RuleListenerClosedChild
	RuleReceiveWindowUpdate

	// SEGMENT ARRIVES in CLOSED and LISTEN, §3.10.7.1–§3.10.7.2.
	RuleClosedReset
	RuleClosedDiscardRST
	RuleListenRSTIgnored
	RuleListenACKReset
	RuleListenSYN
	RuleListenBacklogFull
	RuleListenOtherDropped

	// SEGMENT ARRIVES in SYN-SENT, §3.10.7.3.
	RuleSynSentBadACK
	RuleSynSentBadACKRST
	RuleSynSentRST
	RuleSynSentRSTIgnored
	RuleSynSentSynAck
	RuleSynSentSimultaneousOpen
	RuleSynSentNoSYN

	// SEGMENT ARRIVES in synchronized states, §3.10.7.4, in the RFC's order.
	RuleUnacceptable
	RuleUnacceptableRST
	RuleUnacceptableRateLimited
	RuleZeroWindowData
	RuleOutOfOrderHeld
	RuleRSTChallenge
	RuleRSTSynReceivedPassive
	RuleRSTSynReceivedActive
	RuleRSTReset
	RuleRSTClose
	RuleRSTTimeWaitIgnored
	RuleSYNSynReceivedPassive
	RuleSYNChallenge
	RuleSYNInWindowReset
	RuleSYNTimeWaitReopen
	RuleACKOff
	RuleACKChallenge
	RuleACKSynReceived
	RuleACKSynReceivedBad
	RuleACKDuplicate
	RuleACKUnsent
	RuleACKFinWait1
	RuleACKClosing
	RuleACKLastAck
	RuleACKTimeWaitIgnored
	RuleTextAccepted
	RuleTextIgnored
	RuleFINCloseWait
	RuleFINClosing
	RuleFINTimeWait
	RuleFINRemain
	RuleFINTimeWaitRestart
	RuleTimeWaitRetransmittedFIN
	RuleTimeWaitACKRestart

	// Timeouts, §3.10.8 and RFC 6298.
	RuleRetransmit
	RuleRetransmitGiveUp
	RuleTimeWaitExpired
	RuleUserTimeout
	RuleFinWait2Timeout
	RuleDelayedACK
	RulePersistProbe

	numRules
)

var rules = [numRules]ruleInfo{
	RuleNone: {"none", ""},

	RuleOpenPassive:         {"open-passive", "RFC 9293 §3.10.1"},
	RuleOpenActive:          {"open-active", "RFC 9293 §3.10.1"},
	RuleOpenListenToActive:  {"open-listen-to-active", "RFC 9293 §3.10.1"},
	RuleSendQueued:          {"send-queued", "RFC 9293 §3.10.2"},
	RuleSendSegmentize:      {"send-segmentize", "RFC 9293 §3.10.2"},
	RuleCloseListen:         {"close-listen", "RFC 9293 §3.10.4"},
	RuleCloseSynSent:        {"close-syn-sent", "RFC 9293 §3.10.4"},
	RuleCloseQueued:         {"close-queued", "RFC 9293 §3.10.4"},
	RuleCloseSendFIN:        {"close-send-fin", "RFC 9293 §3.10.4"},
	RuleCloseUnreadData:     {"close-unread-data", "RFC 2525 §2.17"},
	RuleAbortReset:          {"abort-reset", "RFC 9293 §3.10.5"},
	RuleAbortQuiet:          {"abort-quiet", "RFC 9293 §3.10.5"},
	RuleListenerClosedChild: {"listener-closed-child", "RFC 9293 §3.10.4"},
	RuleReceiveWindowUpdate: {"receive-window-update", "RFC 9293 §3.8.6.2.2"},

	RuleClosedReset:        {"closed-reset", "RFC 9293 §3.10.7.1"},
	RuleClosedDiscardRST:   {"closed-discard-rst", "RFC 9293 §3.10.7.1"},
	RuleListenRSTIgnored:   {"listen-rst-ignored", "RFC 9293 §3.10.7.2"},
	RuleListenACKReset:     {"listen-ack-reset", "RFC 9293 §3.10.7.2"},
	RuleListenSYN:          {"listen-syn", "RFC 9293 §3.10.7.2"},
	RuleListenBacklogFull:  {"listen-backlog-full", "RFC 9293 §3.10.7.2"},
	RuleListenOtherDropped: {"listen-other-dropped", "RFC 9293 §3.10.7.2"},

	RuleSynSentBadACK:           {"syn-sent-bad-ack", "RFC 9293 §3.10.7.3"},
	RuleSynSentBadACKRST:        {"syn-sent-bad-ack-rst", "RFC 9293 §3.10.7.3"},
	RuleSynSentRST:              {"syn-sent-rst", "RFC 9293 §3.10.7.3"},
	RuleSynSentRSTIgnored:       {"syn-sent-rst-ignored", "RFC 9293 §3.10.7.3"},
	RuleSynSentSynAck:           {"syn-sent-syn-ack", "RFC 9293 §3.10.7.3"},
	RuleSynSentSimultaneousOpen: {"syn-sent-simultaneous-open", "RFC 9293 §3.10.7.3"},
	RuleSynSentNoSYN:            {"syn-sent-no-syn", "RFC 9293 §3.10.7.3"},

	RuleUnacceptable:             {"unacceptable", "RFC 9293 §3.10.7.4"},
	RuleUnacceptableRST:          {"unacceptable-rst", "RFC 9293 §3.10.7.4"},
	RuleUnacceptableRateLimited:  {"unacceptable-rate-limited", "Linux tcp_oow_rate_limited"},
	RuleZeroWindowData:           {"zero-window-data", "RFC 9293 §3.10.7.4"},
	RuleOutOfOrderHeld:           {"out-of-order-held", "RFC 9293 §3.10.7.4"},
	RuleRSTChallenge:             {"rst-challenge", "RFC 5961 §3.2"},
	RuleRSTSynReceivedPassive:    {"rst-syn-received-passive", "RFC 9293 §3.10.7.4"},
	RuleRSTSynReceivedActive:     {"rst-syn-received-active", "RFC 9293 §3.10.7.4"},
	RuleRSTReset:                 {"rst-reset", "RFC 9293 §3.10.7.4"},
	RuleRSTClose:                 {"rst-close", "RFC 9293 §3.10.7.4"},
	RuleRSTTimeWaitIgnored:       {"rst-time-wait-ignored", "RFC 1337 §3"},
	RuleSYNSynReceivedPassive:    {"syn-syn-received-passive", "RFC 9293 §3.10.7.4"},
	RuleSYNChallenge:             {"syn-challenge", "RFC 5961 §4.2"},
	RuleSYNInWindowReset:         {"syn-in-window-reset", "RFC 793 §3.9"},
	RuleSYNTimeWaitReopen:        {"syn-time-wait-reopen", "RFC 6191 §2"},
	RuleACKOff:                   {"ack-off", "RFC 9293 §3.10.7.4"},
	RuleACKChallenge:             {"ack-challenge", "RFC 5961 §5.2"},
	RuleACKSynReceived:           {"ack-syn-received", "RFC 9293 §3.10.7.4"},
	RuleACKSynReceivedBad:        {"ack-syn-received-bad", "RFC 9293 §3.10.7.4"},
	RuleACKDuplicate:             {"ack-duplicate", "RFC 9293 §3.10.7.4"},
	RuleACKUnsent:                {"ack-unsent", "RFC 9293 §3.10.7.4"},
	RuleACKFinWait1:              {"ack-fin-wait-1", "RFC 9293 §3.10.7.4"},
	RuleACKClosing:               {"ack-closing", "RFC 9293 §3.10.7.4"},
	RuleACKLastAck:               {"ack-last-ack", "RFC 9293 §3.10.7.4"},
	RuleACKTimeWaitIgnored:       {"ack-time-wait-ignored", "RFC 9293 §3.10.7.4"},
	RuleTextAccepted:             {"text-accepted", "RFC 9293 §3.10.7.4"},
	RuleTextIgnored:              {"text-ignored", "RFC 9293 §3.10.7.4"},
	RuleFINCloseWait:             {"fin-close-wait", "RFC 9293 §3.10.7.4"},
	RuleFINClosing:               {"fin-closing", "RFC 9293 §3.10.7.4"},
	RuleFINTimeWait:              {"fin-time-wait", "RFC 9293 §3.10.7.4"},
	RuleFINRemain:                {"fin-remain", "RFC 9293 §3.10.7.4"},
	RuleFINTimeWaitRestart:       {"fin-time-wait-restart", "RFC 9293 §3.10.7.4"},
	RuleTimeWaitRetransmittedFIN: {"time-wait-retransmitted-fin", "RFC 9293 §3.10.7.4"},
	RuleTimeWaitACKRestart:       {"time-wait-ack-restart", "Linux tcp_minisocks.c"},

	RuleRetransmit:       {"retransmit", "RFC 6298 §5.4"},
	RuleRetransmitGiveUp: {"retransmit-give-up", "RFC 9293 §3.8.3"},
	RuleTimeWaitExpired:  {"time-wait-expired", "RFC 9293 §3.10.8"},
	RuleUserTimeout:      {"user-timeout", "RFC 9293 §3.10.8"},
	RuleFinWait2Timeout:  {"fin-wait-2-timeout", "Linux tcp_fin_timeout"},
	RuleDelayedACK:       {"delayed-ack", "RFC 9293 §3.8.6.3"},
	RulePersistProbe:     {"persist-probe", "RFC 9293 §3.8.6.1"},
}

// NumRules is one past the largest Rule, for tables indexed by Rule.
const NumRules = int(numRules)

// Name is the rule's stable machine name ("listen-syn").
func (r Rule) Name() string {
	if r < numRules {
		return rules[r].name
	}
	return "unknown"
}

// Section is the specification the rule implements ("RFC 9293 §3.10.7.2").
func (r Rule) Section() string {
	if r < numRules {
		return rules[r].section
	}
	return ""
}

// String is the rule's name.
func (r Rule) String() string { return r.Name() }

// ParseRule finds a rule by its machine name.
func ParseRule(name string) (Rule, bool) {
	for r := range rules {
		if rules[r].name == name {
			return Rule(r), true
		}
	}
	return 0, false
}
