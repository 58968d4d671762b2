package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseReadsPacketdrillLines(t *testing.T) {
	src := "// a comment\n" +
		"--tolerance_usecs=10000\n" +
		"`../common/defaults.sh`\n" +
		"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n" +
		"+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0\n" +
		"+.1 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>\n" +
		"+0 > S. 0:0(0) ack 1 <...>\n" +
		"+0.1~+0.2 > P. 1:1001(1000) ack 1 win 257\n" +
		"* > F. 1001:1001(0) ack 1\n" +
		"+0...0.3 read(4, ..., 1000) = -1 ECONNRESET (Connection reset by peer)\n" +
		"/* a block\n comment */ +0 ~ state TIME_WAIT\n"
	s, err := Parse("t.pkt", src)
	if err != nil {
		t.Fatal(err)
	}
	if s.Tolerance != 10*time.Millisecond {
		t.Errorf("tolerance %v, want 10ms", s.Tolerance)
	}
	if len(s.Notes) != 1 || !strings.Contains(s.Notes[0].Text, "defaults.sh") {
		t.Errorf("notes %v, want the defaults.sh note", s.Notes)
	}
	if len(s.Events) != 8 {
		t.Fatalf("%d events, want 8", len(s.Events))
	}
	syn := s.Events[2].Packet
	if !syn.Inbound || syn.Flags != "S" || !syn.HasWin || syn.Win != 32792 || len(syn.Options) != 6 || syn.Options[0].Value != 1000 {
		t.Errorf("inbound SYN parsed as %+v", syn)
	}
	if s.Events[2].Time.Kind != TimeRelative || s.Events[2].Time.At != 100*time.Millisecond {
		t.Errorf("+.1 parsed as %+v", s.Events[2].Time)
	}
	if sa := s.Events[3].Packet; sa.Inbound || sa.Flags != "S." || !sa.AnyOpts || !sa.HasAck || sa.Ack != 1 {
		t.Errorf("outbound SYN-ACK parsed as %+v", sa)
	}
	if tm := s.Events[4].Time; tm.Kind != TimeRelativeRange || tm.At != 100*time.Millisecond || tm.End != 200*time.Millisecond {
		t.Errorf("+0.1~+0.2 parsed as %+v", tm)
	}
	if p := s.Events[4].Packet; p.Seq != 1 || p.Len != 1000 {
		t.Errorf("1:1001(1000) parsed as seq %d len %d", p.Seq, p.Len)
	}
	if s.Events[5].Time.Kind != TimeAny {
		t.Errorf("* parsed as %+v", s.Events[5].Time)
	}
	rd := s.Events[6]
	if rd.Time.BlockEnd == nil || *rd.Time.BlockEnd != 300*time.Millisecond || rd.Syscall.Ret != -1 || rd.Syscall.Errno != "ECONNRESET" {
		t.Errorf("blocking read parsed as %+v %+v", rd.Time, rd.Syscall)
	}
	if st := s.Events[7]; st.Kind != EventState || st.State != "TIME_WAIT" || st.Pos != (Pos{12, 13}) {
		t.Errorf("state line parsed as %+v", st)
	}
	linger := s.Events[1].Syscall.Args[3]
	if linger.Kind != ExprStruct || intField(linger, "l_onoff") != 1 || intField(linger, "l_linger") != 0 {
		t.Errorf("SO_LINGER struct parsed as %+v", linger)
	}
}

func TestParseHeaderExtensions(t *testing.T) {
	s, err := Parse("t.pkt", "~ profile rfc9293\n~ set time_wait=30s\n~ points 2.5\n`sysctl -q net.ipv4.tcp_syn_retries=1`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.Profile != "rfc9293" || s.Points != 2.5 {
		t.Errorf("profile %q points %v", s.Profile, s.Points)
	}
	want := []string{"time_wait=30s", "syn_retries=1"}
	if got := KnobPairs(s.Knobs); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("knobs %v, want %v", got, want)
	}
}

// Every malformed script is rejected with the line and column of the
// problem, and a message that names it.
func TestParseErrorsHaveLineAndColumn(t *testing.T) {
	for _, c := range []struct {
		name, src, want string
	}{
		{"no time", "socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", "1:1: expected a time in seconds"},
		{"bad flags", "0 < SX 0:0(0) win 1\n", "1:5: unknown TCP flags \"SX\""},
		{"inconsistent seq", "0 < . 1:5(3) ack 1 win 1\n", "1:7: inconsistent TCP sequence numbers"},
		{"window range", "0 < . 1:1(0) ack 1 win 70000\n", "1:24: TCP window value out of range"},
		{"inbound ellipsis options", "0 < S 0:0(0) win 1 <...>\n", "1:20: <...> for TCP options can only be used with outbound packets"},
		{"star on syscall", "* close(3) = 0\n", "1:1: event time * can only be used with outbound packets"},
		{"range on inbound", "0~1 < S 0:0(0) win 1\n", "1:1: event time range can only be used with outbound packets"},
		{"backwards range", "+0.2~+0.1 > S 0:0(0)\n", "1:1: time range is backwards"},
		{"mixed range", "+0.1~0.2 > S 0:0(0)\n", "1:6: a time range is either absolute"},
		{"missing result", "0 close(3)\n", "1:11: expected \"=\" and the expected result"},
		{"errno without -1", "0 close(3) = 0 EBADF\n", "1:16: an errno goes with the result -1"},
		{"unknown option", "0 > S 0:0(0) <mss 1, bogus>\n", "1:22: unknown TCP option \"bogus\""},
		{"unknown state", "0 ~ state LISTENING\n", "1:11: unknown state \"LISTENING\""},
		{"unknown extension", "0 ~ dance\n", "1:5: unknown extension \"dance\""},
		{"header after events", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n~ profile linux\n", "2:1: \"~\" header lines"},
		{"unknown profile", "~ profile bsd\n", "1:11: unknown profile \"bsd\""},
		{"bad knob", "~ set time_wait=forever\n", "1:7: ~ set time_wait=forever: want a duration"},
		{"unknown knob", "~ set warp=9\n", "1:7: ~ set warp=9: unknown knob"},
		{"unterminated comment", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 /* oops\n", "1:45: unterminated /* comment"},
		{"unterminated python", "%{\nassert 1\n", "1:1: unterminated %{ block"},
		{"trailing junk", "0 close(3) = 0 (x) y\n", "1:20: unexpected \"y\""},
		{"bad port selector", "0 ~ peer 70000 < S 0:0(0) win 1\n", "1:10: peer \"70000\": want 1..65535"},
		{"time goes backward", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n0.2 bind(3, ..., ...) = 0\n0.1 listen(3, 1) = 0\n",
			"3:1: time goes backward in the script, from 200ms to 100ms"},
		{"first event not at 0", "0.5 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", "1:1: the first event must be at time 0"},
		{"nested too deep", "0 getsockopt(3, SOL_SOCKET, SO_LINGER, " + strings.Repeat("[", 40) + "0" + strings.Repeat("]", 40) + ", [8]) = 0\n",
			"1:72: arguments nested more than 32 deep"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.pkt", c.src)
			var pe ParseErrors
			if !errors.As(err, &pe) || len(pe) == 0 {
				t.Fatalf("Parse(%q) = %v, want ParseErrors", c.src, err)
			}
			if got := pe[0].Error(); !strings.Contains(got, "bad.pkt:"+c.want) {
				t.Errorf("error %q, want it to contain %q", got, "bad.pkt:"+c.want)
			}
			for _, e := range pe {
				if e.Pos.Line < 1 || e.Pos.Col < 1 {
					t.Errorf("error without a position: %v", e)
				}
			}
		})
	}
}

// A hostile script nested millions deep is a parse error, not a stack
// overflow that kills the grader's whole run.
func TestParseRejectsDeepNestingWithoutOverflowingTheStack(t *testing.T) {
	for open, n := range map[string]int{"[": 200_000, "{a=": 100, "f(": 100} {
		close := map[string]string{"[": "]", "{a=": "}", "f(": ")"}[open]
		src := "0 socket(" + strings.Repeat(open, n) + strings.Repeat(close, n) + ") = 3\n"
		_, err := Parse("deep.pkt", src)
		var pe ParseErrors
		if !errors.As(err, &pe) || !strings.Contains(pe[0].Msg, "nested more than") {
			t.Errorf("%s × %d: %v, want a nesting error", open, n, err)
		}
	}
}

// A script with several broken lines reports each of them.
func TestParseReportsEveryBrokenLine(t *testing.T) {
	_, err := Parse("x.pkt", "0 close(3)\n+0 < Q 0:0(0) win 1\n+0 close(3) = 0\n+0 ~ state NOWHERE\n")
	var pe ParseErrors
	if !errors.As(err, &pe) {
		t.Fatal(err)
	}
	var lines []int
	for _, e := range pe {
		lines = append(lines, e.Pos.Line)
	}
	if len(lines) != 3 || lines[0] != 1 || lines[1] != 2 || lines[2] != 4 {
		t.Errorf("errors on lines %v, want 1, 2 and 4: %v", lines, err)
	}
	// A broken first line does not make the next one "the first event".
	_, err = Parse("x.pkt", "socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0.1 close(3) = 0\n")
	if !errors.As(err, &pe) || len(pe) != 1 || pe[0].Pos.Line != 1 {
		t.Errorf("errors %v, want one, on line 1", err)
	}
}

// What the emulator cannot do is listed as unsupported, with where.
func TestParseListsUnsupportedFeatures(t *testing.T) {
	s, err := Parse("u.pkt", "`echo hi`\n"+
		"`sysctl -q net.ipv4.tcp_timestamps=0`\n"+
		"--mss=1000\n"+
		"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"+
		"+0 %{ assert tcpi_rto == 1000 }%\n"+
		"+0 < U. 1:1(0) ack 1 win 1\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1:1: unsupported: shell command `echo hi`",
		"2:1: unsupported: shell command `sysctl -q net.ipv4.tcp_timestamps=0` (net.ipv4.tcp_timestamps is not a knob",
		"3:1: unsupported: --mss option",
		"5:4: unsupported: %{ … }% Python block",
		"6:6: unsupported: the URG flag",
	}
	if len(s.Unsupported) != len(want) {
		t.Fatalf("unsupported %v, want %d entries", s.Unsupported, len(want))
	}
	for i, w := range want {
		if got := s.Unsupported[i].String(); !strings.HasPrefix(got, w) {
			t.Errorf("unsupported[%d] = %q, want prefix %q", i, got, w)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../scenarios/*.pkt")
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(src))
	}
	f.Add("+0...0.2 accept(3, ..., ...) = 4\n")
	f.Add("0 > P. 1:2(1) ack 1 <mss 1,TS val 1 ecr 2,sack 1:2 3:4,FO abcd>\n")
	f.Add("`sysctl -q net.ipv4.tcp_fin_timeout=5`\n%{ x }%\n")
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse("f.pkt", src)
		if err != nil {
			var pe ParseErrors
			if !errors.As(err, &pe) || len(pe) == 0 {
				t.Fatalf("error %v is not ParseErrors", err)
			}
			for _, e := range pe {
				if e.Pos.Line < 1 || e.Pos.Col < 1 {
					t.Fatalf("error without a position: %v", e)
				}
			}
			return
		}
		// A script that parses runs without panicking, to a verdict.
		res := Run(s, "f.pkt", NewLocal, Options{})
		switch res.Status {
		case StatusPassed, StatusFailed, StatusUnsupported, StatusError:
		default:
			t.Fatalf("verdict %q", res.Status)
		}
	})
}

// What a script says is shown to graders, often in a terminal: control
// characters in a shell command or an option come out escaped, never raw.
func TestScriptTextInVerdictsHasNoControlCharacters(t *testing.T) {
	s, err := Parse("x.pkt", "`\x1b[2J\x1b]0;owned\x07`\n--\x1b[31m=1\n`sysctl -q \x1b[2Jnet.ipv4.tcp_fin_timeout=5`\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Unsupported) != 3 {
		t.Fatalf("unsupported: %v", s.Unsupported)
	}
	for _, u := range s.Unsupported {
		if strings.ContainsAny(u.What, "\x1b\x07") || !strings.Contains(u.What, `\x1b`) {
			t.Errorf("unsupported %q: want control characters escaped", u.What)
		}
	}
	_, err = Parse("x.pkt", "~ set time_wait=\x1b[2J\n")
	if err == nil || strings.Contains(err.Error(), "\x1b") || !strings.Contains(err.Error(), `\x1b`) {
		t.Errorf("parse error %q: want control characters escaped", err)
	}
}
