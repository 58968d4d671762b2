package explain

import (
	"strings"
	"testing"
	"unicode"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// hasHangul reports whether s contains a Hangul letter.
func hasHangul(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Hangul, r) {
			return true
		}
	}
	return false
}

// everyRule yields every rule that must be explained: all but RuleNone.
func everyRule() []tcp.Rule {
	rules := make([]tcp.Rule, 0, tcp.NumRules-1)
	for r := tcp.Rule(1); int(r) < tcp.NumRules; r++ {
		rules = append(rules, r)
	}
	return rules
}

func TestEveryRuleIsExplainedInEnglishAndKorean(t *testing.T) {
	for _, r := range everyRule() {
		en, ko := ruleText[r][English], ruleText[r][Korean]
		name := r.Name()
		if strings.TrimSpace(en) == "" {
			t.Errorf("%s: no English text", name)
		}
		if strings.TrimSpace(ko) == "" {
			t.Errorf("%s: no Korean text", name)
		}
		if strings.TrimSpace(en) == name || strings.TrimSpace(ko) == name {
			t.Errorf("%s: a text is just the rule's name", name)
		}
		if ko != "" && !hasHangul(ko) {
			t.Errorf("%s: Korean text has no Hangul: %q", name, ko)
		}
		if hasHangul(en) {
			t.Errorf("%s: English text has Hangul (columns swapped?): %q", name, en)
		}
		if en != "" && en == ko {
			t.Errorf("%s: English and Korean texts are the same", name)
		}
	}
}

func TestRuleReturnsTheTextInTheAskedLanguage(t *testing.T) {
	for _, r := range everyRule() {
		if got, want := Rule(r, English), ruleText[r][English]; got != want {
			t.Errorf("Rule(%s, English) = %q, want %q", r.Name(), got, want)
		}
		if got, want := Rule(r, Korean), ruleText[r][Korean]; got != want {
			t.Errorf("Rule(%s, Korean) = %q, want %q", r.Name(), got, want)
		}
		if got := Rule(r, Korean); !hasHangul(got) {
			t.Errorf("Rule(%s, Korean) = %q, has no Hangul", r.Name(), got)
		}
		if got := Rule(r, English); hasHangul(got) {
			t.Errorf("Rule(%s, English) = %q, has Hangul", r.Name(), got)
		}
	}
}

// deadlock is every way of writing the seed notes' wrong reason for
// TIME-WAIT ("데드락을 방지"); RFC 9293 gives two others (DESIGN.md, "Seed
// errata").
var deadlock = []string{"deadlock", "dead-lock", "dead lock", "데드락", "교착"}

// TestTimeWaitTextsGiveTheRFCReasons spot-checks the texts that tell the
// seed's story against RFC 9293 where the seed notes err: why TIME-WAIT
// exists, which side enters CLOSE-WAIT, and how the ACK number is counted.
// Each entry of all must appear (each as one of its alternatives, any case).
func TestTimeWaitTextsGiveTheRFCReasons(t *testing.T) {
	lostACK := map[Lang][]string{English: {"final ack was lost", "last ack is lost", "final ack is lost", "our final ack was lost"}, Korean: {"마지막 ACK가 손실"}}
	oldDups := map[Lang][]string{English: {"old duplicate"}, Korean: {"오래된 중복"}}
	for _, tc := range []struct {
		rule tcp.Rule
		lang Lang
		all  [][]string
		none []string
	}{
		{tcp.RuleFINTimeWait, English, [][]string{{"TIME-WAIT"}, lostACK[English], oldDups[English], {"2×MSL"}}, deadlock},
		{tcp.RuleFINTimeWait, Korean, [][]string{{"TIME-WAIT"}, lostACK[Korean], oldDups[Korean], {"2×MSL"}}, deadlock},
		{tcp.RuleACKClosing, English, [][]string{{"TIME-WAIT"}, {"final ack was lost"}, oldDups[English]}, deadlock},
		{tcp.RuleACKClosing, Korean, [][]string{{"TIME-WAIT"}, lostACK[Korean], oldDups[Korean]}, deadlock},
		{tcp.RuleTimeWaitExpired, English, [][]string{{"final ack was lost"}, oldDups[English], {"240 s"}}, deadlock},
		{tcp.RuleTimeWaitExpired, Korean, [][]string{lostACK[Korean], oldDups[Korean], {"240초"}}, deadlock},
		{tcp.RuleTimeWaitRetransmittedFIN, English, [][]string{{"retransmitted its FIN"}, lostACK[English], oldDups[English]}, deadlock},
		{tcp.RuleTimeWaitRetransmittedFIN, Korean, [][]string{{"재전송"}, lostACK[Korean], oldDups[Korean]}, deadlock},
		{tcp.RuleFINTimeWaitRestart, English, [][]string{{"lost"}, oldDups[English]}, deadlock},
		{tcp.RuleFINTimeWaitRestart, Korean, [][]string{{"손실"}, oldDups[Korean]}, deadlock},
		// The side that receives the first FIN enters CLOSE-WAIT, not TIME-WAIT.
		{tcp.RuleFINCloseWait, English, [][]string{{"enters CLOSE-WAIT, not TIME-WAIT"}, {"SEG.SEQ + SEG.LEN"}}, deadlock},
		{tcp.RuleFINCloseWait, Korean, [][]string{{"TIME-WAIT가 아니라 CLOSE-WAIT"}, {"SEG.SEQ + SEG.LEN"}}, deadlock},
		{tcp.RuleACKLastAck, English, [][]string{{"no TIME-WAIT"}, {"closed first"}}, nil},
		{tcp.RuleACKLastAck, Korean, [][]string{{"TIME-WAIT를 거치지 않"}, {"먼저 닫은 쪽"}}, nil},
		// ACK = SEG.SEQ + SEG.LEN, with SYN counting one.
		{tcp.RuleTextAccepted, English, [][]string{{"SEG.SEQ + SEG.LEN"}, {"not simply SEQ+1"}}, nil},
		{tcp.RuleTextAccepted, Korean, [][]string{{"SEG.SEQ + SEG.LEN"}, {"확인 응답(ACK)"}}, nil},
		{tcp.RuleListenSYN, English, [][]string{{"RCV.NXT = SEG.SEQ+1"}, {"SYN counts as one"}, {"SYN-RECEIVED"}}, nil},
		{tcp.RuleListenSYN, Korean, [][]string{{"RCV.NXT = SEG.SEQ+1"}, {"SYN도 1로"}, {"SYN-RECEIVED"}}, nil},
	} {
		text := Rule(tc.rule, tc.lang)
		low := strings.ToLower(text)
		for _, alts := range tc.all {
			found := false
			for _, a := range alts {
				if strings.Contains(low, strings.ToLower(a)) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("%s (%s) says none of %q:\n%s", tc.rule.Name(), tc.lang, alts, text)
			}
		}
		for _, bad := range tc.none {
			if strings.Contains(low, strings.ToLower(bad)) {
				t.Errorf("%s (%s) mentions %q:\n%s", tc.rule.Name(), tc.lang, bad, text)
			}
		}
	}
}

// TestNoTextBlamesDeadlock keeps the seed notes' wrong reason for TIME-WAIT
// out of every explanation, not only the ones spot-checked above.
func TestNoTextBlamesDeadlock(t *testing.T) {
	for _, r := range everyRule() {
		for lang := range numLangs {
			low := strings.ToLower(ruleText[r][lang])
			for _, bad := range deadlock {
				if strings.Contains(low, bad) {
					t.Errorf("%s (%s) mentions %q", r.Name(), lang, bad)
				}
			}
		}
	}
}

// TestStateAndFieldNamesKeepTheRFCSpelling checks that no text writes a
// state the seed notes' way ("SYN_SENT", "TIME_WAIT", "ESTABLISED") instead
// of RFC 9293's.
func TestStateAndFieldNamesKeepTheRFCSpelling(t *testing.T) {
	wrong := []string{"SYN_SENT", "SYN_RECEIVED", "SYN_RECEIVE", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "ESTABLISED", "TIMEWAIT", "FIN-WAIT "}
	for _, r := range everyRule() {
		for lang := range numLangs {
			text := ruleText[r][lang]
			for _, w := range wrong {
				if strings.Contains(text, w) {
					t.Errorf("%s (%s) writes %q", r.Name(), lang, w)
				}
			}
		}
	}
}
