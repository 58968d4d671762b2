package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpemu/tcpemu/emulator"
)

// server is a handshake to a listener, accepted as fd 4.
const server = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0.1 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <mss 1460>
+0.1 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
`

func runScript(t *testing.T, src string, profile string) *Result {
	t.Helper()
	s, err := Parse("t.pkt", src)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return Run(s, "t.pkt", NewLocal, Options{Profile: profile})
}

// A runner that cannot fail is worthless: each of these scripts is wrong
// in one way, and the verdict must say which line and what differs.
func TestWrongScriptsFailWithTheRightDiagnosis(t *testing.T) {
	for _, c := range []struct {
		name, src  string
		line       int
		msg        string // in Failure.Message
		actual     string // in Failure.Actual
		rule       string // Failure.Rule, if any
		profile    string
		unexpected bool
	}{
		{name: "wrong ack in SYN-ACK", line: 5, msg: "ack 1, expected 2", actual: "S. 0:0(0) ack 1", rule: "listen-syn",
			src: "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n+0.1 < S 0:0(0) win 65535 <mss 1460>\n+0 > S. 0:0(0) ack 2 <mss 1460>\n"},
		{name: "wrong flags", line: 9, msg: "flags F., expected .", rule: "close-send-fin",
			src: server + "+0.1 close(4) = 0\n+0 > . 1:1(0) ack 1\n"},
		{name: "missing MSS option", line: 5, msg: "options <mss 1460>, expected no MSS option",
			src: "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n+0.1 < S 0:0(0) win 65535 <mss 1460>\n+0 > S. 0:0(0) ack 1\n"},
		{name: "ack written for a segment without ACK", line: 10, msg: "no ACK, expected ack 5", rule: "abort-reset",
			src: server + "+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0\n+0.1 close(4) = 0\n+0 > R 1:1(0) ack 5\n"},
		{name: "wrong MSS", line: 5, msg: "mss 1460, expected 536",
			src: "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n+0.1 < S 0:0(0) win 65535 <mss 1460>\n+0 > S. 0:0(0) ack 1 <mss 536>\n"},
		{name: "wrong state", line: 9, msg: "expected state TIME-WAIT, the endpoint is in FIN-WAIT-1", actual: "FIN-WAIT-1", rule: "close-send-fin",
			src: server + "+0.1 close(4) = 0\n+0 ~ state TIME-WAIT\n"},
		{name: "nothing sent", line: 8, msg: "expected F. 1:1(0) ack 1 by 204ms; the endpoint sent nothing", actual: "nothing sent",
			src: server + "+0 > F. 1:1(0) ack 1\n"},
		{name: "too early", line: 9, msg: "timing: F. 1:1(0) ack 1 win 65535 was sent at 300ms, expected at 800ms",
			src: server + "+0.1 close(4) = 0\n+0.5 > F. 1:1(0) ack 1\n"},
		{name: "unexpected segment", line: 9, msg: "the endpoint sent F. 1:1(0) ack 1 win 65535 at 300ms, which no line of the script expects",
			src: server + "+0.1 close(4) = 0\n+0.1 < . 1:1(0) ack 1 win 65535\n+0 > F. 1:1(0) ack 1\n"},
		{name: "wrong return value", line: 9, msg: "read() returned 100, expected 50",
			src: server + "+0.1 < P. 1:101(100) ack 1 win 65535\n+0 read(4, ..., 1000) = 50\n"},
		{name: "wrong errno", line: 9, msg: "read() returned -1 ECONNRESET, expected -1 EAGAIN", profile: "rfc9293",
			src: server + "+0.1 < R 1:1(0) win 0\n+0 read(4, ..., 1000) = -1 EAGAIN\n"},
		{name: "blocking call too late", line: 8, msg: "timing: the blocking read() of line 8:1 returned at 500ms, expected at 300ms",
			src: server + "+0...0.1 read(4, ..., 1000) = 10\n+0.3 < P. 1:11(10) ack 1 win 65535\n"},
		{name: "end time of a call that returns at once", line: 8, msg: "timing: write() returned at 200ms, expected at 500ms",
			src: server + "+0...0.3 write(4, ..., 10) = 10\n"},
		{name: "end time of a read that finds data", line: 10, msg: "timing: read() returned at 300ms, expected at 600ms",
			src: server + "+0.1 < P. 1:11(10) ack 1 win 65535\n+0 > . 1:1(0) ack 11\n+0...0.3 read(4, ..., 10) = 10\n"},
		{name: "blocking call never returns", line: 8, msg: "the blocking read() of line 8:1 never returned",
			src: server + "+0...0.1 read(4, ..., 1000) = 10\n"},
		{name: "non-blocking call that blocks", line: 8, msg: "read() blocked",
			src: server + "+0 read(4, ..., 1000) = 10\n"},
		{name: "state of a connection that does not exist", line: 8, msg: "~ state: no connection with the script's port 40009",
			src: server + "+0 ~ state peer 40009 ESTABLISHED\n"},
		{name: "syn retransmission too early for linux", line: 4, msg: "expected at 3s", profile: "linux",
			src: "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0...10 connect(3, ..., ...) = 0\n+0 > S 0:0(0) <mss 1460>\n3 > S 0:0(0) <mss 1460>\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := runScript(t, c.src, c.profile)
			if res.Status != StatusFailed || res.Failure == nil {
				t.Fatalf("verdict %s %+v, want failed", res.Status, res.Failure)
			}
			f := res.Failure
			if f.Pos.Line != c.line {
				t.Errorf("failure on line %d (%q), want line %d", f.Pos.Line, f.Line, c.line)
			}
			if !strings.Contains(f.Message, c.msg) {
				t.Errorf("message %q, want it to contain %q", f.Message, c.msg)
			}
			if c.actual != "" && !strings.Contains(f.Actual, c.actual) {
				t.Errorf("actual %q, want it to contain %q", f.Actual, c.actual)
			}
			if c.rule != "" && f.Rule != c.rule {
				t.Errorf("rule %q (%s), want %q", f.Rule, f.Explanation, c.rule)
			}
			if f.Rule != "" && (f.Section == "" || f.Explanation == "") {
				t.Errorf("rule %q without its section or explanation", f.Rule)
			}
			if res.Points != 0 {
				t.Errorf("a failed script earned %v points", res.Points)
			}
		})
	}
}

// Features the emulator lacks never pass silently and never run.
func TestUnsupportedFeaturesGiveAnUnsupportedVerdict(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"shell command", "`tc qdisc add dev tun0 root netem loss 10%`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", "shell command `tc qdisc"},
		{"python", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ assert tcpi_state == 1 }%\n", "Python block"},
		{"system call", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 sendmsg(3, {msg_name(...)=...}, 0) = 10\n", "system call sendmsg()"},
		{"udp socket", "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n", "socket type SOCK_DGRAM"},
		{"ipv6 socket", "0 socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP) = 3\n", "address family AF_INET6"},
		{"tcp_info", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_state=1}, [4]) = 0\n", "getsockopt option TCP_INFO"},
		{"blocking linger", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=5}, 8) = 0\n", "non-zero l_linger"},
		{"huge write", server + "+0 write(4, ..., 2000000) = 2000000\n", "write() of 2000000 octets (at most 1048576 in one call)"},
		{"knob after listen", server + "+0 setsockopt(4, IPPROTO_TCP, TCP_USER_TIMEOUT, [1000], 4) = 0\n", "after listen() or connect()"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := runScript(t, c.src, "")
			if res.Status != StatusUnsupported {
				t.Fatalf("verdict %s %+v, want unsupported", res.Status, res.Failure)
			}
			var all []string
			for _, u := range res.Unsupported {
				if u.Pos.Line < 1 {
					t.Errorf("unsupported without a line: %v", u)
				}
				all = append(all, u.What)
			}
			if !strings.Contains(strings.Join(all, "\n"), c.want) {
				t.Errorf("unsupported %q, want %q", all, c.want)
			}
		})
	}
}

// Socket options before listen() become the endpoint's knobs.
func TestSocketOptionsBecomeKnobs(t *testing.T) {
	res := runScript(t, `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, IPPROTO_TCP, TCP_MAXSEG, [536], 4) = 0
+0 getsockopt(3, IPPROTO_TCP, TCP_MAXSEG, [536], [4]) = 0
+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0.1 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <mss 536>
`, "")
	if !res.Passed() {
		t.Fatalf("%s: %+v", res.Status, res.Failure)
	}
	// SO_LINGER {1, 0}: close() aborts with a RST.
	res = runScript(t, server+`+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0
+0.1 close(4) = 0
+0 > R 1:1(0)
`, "")
	if !res.Passed() {
		t.Fatalf("SO_LINGER abort: %s: %+v", res.Status, res.Failure)
	}
}

// The library under scenarios/ passes under both profiles; a script that
// names its profile runs under that one only.
func TestLibraryPassesUnderBothProfiles(t *testing.T) {
	files, err := filepath.Glob("../scenarios/*.pkt")
	if err != nil || len(files) < 15 {
		t.Fatalf("library: %d scripts (%v)", len(files), err)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(src), "// Teaches: ") {
			t.Errorf("%s: the first line must say what the script teaches (// Teaches: …)", file)
		}
		for _, profile := range []string{"linux", "rfc9293"} {
			res := RunFile(file, src, NewLocal, Options{Profile: profile})
			if !res.Passed() {
				t.Errorf("%s under %s: %s %+v %v", file, profile, res.Status, res.Failure, res.Unsupported)
			}
			if res.Lines != res.TotalLines || res.Lines == 0 {
				t.Errorf("%s under %s: ran %d of %d lines", file, profile, res.Lines, res.TotalLines)
			}
		}
	}
}

// The same script gives the same verdict and event log every time.
func TestRunsAreDeterministic(t *testing.T) {
	src, err := os.ReadFile("../scenarios/time-wait-lost-ack.pkt")
	if err != nil {
		t.Fatal(err)
	}
	a := RunFile("x", src, NewLocal, Options{Seed: 7})
	b := RunFile("x", src, NewLocal, Options{Seed: 7})
	if len(a.Events) == 0 || len(a.Events) != len(b.Events) {
		t.Fatalf("event logs of %d and %d events", len(a.Events), len(b.Events))
	}
	for i := range a.Events {
		if a.Events[i] != b.Events[i] {
			t.Fatalf("event %d differs: %+v vs %+v", i, a.Events[i], b.Events[i])
		}
	}
}

// Linux details a ported script relies on: shutdown(SHUT_RD) makes an
// empty read return 0 while arriving data is still acknowledged and
// readable; recv(MSG_DONTWAIT) does not block; EWOULDBLOCK is EAGAIN; and
// windows after a SYN that offered window scaling are read as scaled.
func TestLinuxSocketDetails(t *testing.T) {
	res := runScript(t, `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0.1 < S 0:0(0) win 65535 <mss 1000,nop,wscale 2>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 7>
+0.1 < . 1:1(0) ack 1 win 1000
+0 accept(3, ..., ...) = 4
+0 recv(4, ..., 100, MSG_DONTWAIT) = -1 EWOULDBLOCK (Operation would block)
+0 shutdown(4, SHUT_RD) = 0
+0 read(4, ..., 100) = 0
+0 < P. 1:11(10) ack 1 win 1000
+0 > . 1:1(0) ack 11
+0 read(4, ..., 100) = 10
// win 1000 with wscale 2 is 4000 octets: a 3000-octet write goes at once.
+0 write(4, ..., 3000) = 3000
+0 > P. 1:3001(3000) ack 11
`, "")
	if !res.Passed() {
		t.Fatalf("%s: %+v %v", res.Status, res.Failure, res.Unsupported)
	}
	var noted bool
	for _, n := range res.Notes {
		noted = noted || strings.Contains(n.Text, "window scaling is not modelled")
	}
	if !noted {
		t.Errorf("no note about window scaling: %v", res.Notes)
	}
}

// getsockopt's value is compared however the script writes it: a number
// in brackets or bare, an errno name (strace and packetdrill write
// SO_ERROR's value as [ECONNREFUSED]), or a struct. A value the runner
// cannot read is unsupported — never a silent pass.
func TestGetsockoptValuesAreAlwaysCompared(t *testing.T) {
	refused := "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n" +
		"+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n" +
		"+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n" +
		"+0 > S 0:0(0) <mss 1460>\n" +
		"+0.1 < R. 0:0(0) ack 1 win 0\n"
	for _, c := range []struct {
		name, src string
		status    Status
		want      string // in the failure's message or the unsupported list
	}{
		{"errno name matches", refused + "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0\n", StatusPassed, ""},
		{"errno name, no error", server + "+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0\n", StatusFailed,
			"value 0, expected 111 (ECONNREFUSED)"},
		{"wrong errno name", refused + "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0\n", StatusFailed,
			"value 111, expected 104 (ECONNRESET)"},
		{"bare number", server + "+0 getsockopt(4, IPPROTO_TCP, TCP_MAXSEG, 99, [4]) = 0\n", StatusFailed, "value 1460, expected 99"},
		{"bare number matches", server + "+0 getsockopt(4, IPPROTO_TCP, TCP_MAXSEG, 1460, [4]) = 0\n", StatusPassed, ""},
		{"unknown name", server + "+0 getsockopt(4, IPPROTO_TCP, TCP_MAXSEG, [MSS_DEFAULT], [4]) = 0\n", StatusUnsupported,
			"getsockopt value [MSS_DEFAULT]"},
		{"struct field by name", server + "+0 getsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=ON, l_linger=0}, [8]) = 0\n", StatusUnsupported,
			"getsockopt value {l_onoff=ON, l_linger=0}"},
		{"struct field unknown", server + "+0 getsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=0, l_bogus=0}, [8]) = 0\n", StatusUnsupported,
			"l_bogus"},
		{"struct mismatch", server + "+0 getsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, [8]) = 0\n", StatusFailed,
			"l_onoff=0, expected 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := runScript(t, c.src, "")
			if res.Status != c.status {
				t.Fatalf("verdict %s %+v %v, want %s", res.Status, res.Failure, res.Unsupported, c.status)
			}
			var got string
			if res.Failure != nil {
				got = res.Failure.Message
			}
			for _, u := range res.Unsupported {
				got += "\n" + u.String()
			}
			if !strings.Contains(got, c.want) {
				t.Errorf("verdict says %q, want %q", got, c.want)
			}
		})
	}
}

// Virtual time is bounded: relative times that add up past the bound stop
// the run with an error at the line, instead of overflowing the clock
// (which wrapped negative and was then silently clamped to "now").
func TestVirtualTimeIsBounded(t *testing.T) {
	src := server + "+600000000 ~ state ESTABLISHED\n"
	for range 15 {
		src += "+600000000 ~ state ESTABLISHED\n"
	}
	res := runScript(t, src, "")
	if res.Status != StatusError || res.Failure == nil {
		t.Fatalf("verdict %s %+v, want error", res.Status, res.Failure)
	}
	if f := res.Failure; f.Pos.Line != 9 || !strings.Contains(f.Message, "beyond the runner's bound") {
		t.Errorf("failure at %v: %q, want line 9 and the bound", f.Pos, f.Message)
	}
	if res.VirtualTime < 0 || res.VirtualTime > MaxVirtualTime {
		t.Errorf("the clock ended at %v", res.VirtualTime)
	}
}

// getsockopt(TCP_MAXSEG) is Linux's: the MSS set by setsockopt or 536
// (TCP_MSS_DEFAULT, RFC 9293 §3.7.1's default send MSS) until the
// connection is open, then the send MSS the handshake settled on.
func TestGetsockoptMaxsegIsLinuxs(t *testing.T) {
	// The handshake of server, the peer's SYN offering an MSS of 1100.
	src := strings.Replace(server, "= 3\n", "= 3\n+0 getsockopt(3, SOL_TCP, TCP_MAXSEG, [536], [4]) = 0\n", 1)
	src = strings.Replace(src, "<mss 1460>", "<mss 1100>", 1)
	res := runScript(t, src+"+0 getsockopt(4, SOL_TCP, TCP_MAXSEG, [1100], [4]) = 0\n", "")
	if !res.Passed() {
		t.Fatalf("%s: %+v %v", res.Status, res.Failure, res.Unsupported)
	}
}

// A run's event log is bounded: a short script that makes the endpoint
// send millions of one-octet segments (a few lines per 65535 of them)
// stops with an error instead of eating the grader's memory.
func TestEventsAreBounded(t *testing.T) {
	src := "~ set mss=1\n" + strings.ReplaceAll(server, "<mss 1460>", "<mss 1>") +
		"+0 write(4, ..., 30000) = 30000\n+0 > P. 1:30001(30000) ack 1\n+0.1 < . 1:1(0) ack 30001 win 65535\n"
	s, err := Parse("t.pkt", src)
	if err != nil {
		t.Fatal(err)
	}
	if res := Run(s, "t.pkt", NewLocal, Options{}); !res.Passed() {
		t.Fatalf("under the default bound: %s %+v", res.Status, res.Failure)
	}
	res := Run(s, "t.pkt", NewLocal, Options{MaxEvents: 5000})
	if res.Status != StatusError || res.Failure == nil {
		t.Fatalf("verdict %s %+v, want error", res.Status, res.Failure)
	}
	if f := res.Failure; f.Pos.Line != 9 || !strings.Contains(f.Message, "more than 5000 events") {
		t.Errorf("failure at %v: %q, want line 9 (the write) and the bound", f.Pos, f.Message)
	}
}

// Socket calls on a socket in the wrong state answer as Linux's
// inet_stream_connect, inet_listen and inet_bind do.
func TestSocketCallsInTheWrongStateAreLinuxs(t *testing.T) {
	nonblocking := "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n" +
		"+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n" +
		"+0 connect(3, ..., ...) = -1 EINPROGRESS\n" +
		"+0 > S 0:0(0) <mss 1460>\n" +
		"+0 connect(3, ..., ...) = -1 EALREADY\n"
	for _, c := range []struct{ name, src string }{
		// A second connect() reports the outcome of a non-blocking one:
		// 0 once it is open (EISCONN after that), its error if it failed.
		{"connect after a non-blocking connect opened", nonblocking +
			"+0.1 < S. 0:0(0) ack 1 win 65535 <mss 1460>\n+0 > . 1:1(0) ack 1\n" +
			"+0 connect(3, ..., ...) = 0\n+0 connect(3, ..., ...) = -1 EISCONN\n"},
		{"connect after a non-blocking connect was refused", nonblocking +
			"+0.1 < R. 0:0(0) ack 1 win 0\n+0 connect(3, ..., ...) = -1 ECONNREFUSED\n"},
		{"connect on a listener", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n+0 connect(3, ..., ...) = -1 EISCONN\n"},
		// listen() again on a listener only changes its backlog.
		{"listen twice", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n+0 listen(3, 5) = 0\n"},
		{"listen on a connection", server + "+0 listen(4, 1) = -1 EINVAL\n"},
		// bind() once: a bound socket, a listener or a connection say EINVAL.
		{"bind twice", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 bind(3, ..., ...) = -1 EINVAL\n"},
		{"bind a connection", server + "+0 bind(4, ..., ...) = -1 EINVAL\n"},
		// shutdown() of a listener: SHUT_WR does nothing, SHUT_RD stops it
		// listening (a later SYN is refused).
		{"shutdown a listener", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n" +
			"+0 shutdown(3, SHUT_WR) = 0\n+0 ~ state LISTEN\n+0 shutdown(3, SHUT_RD) = 0\n" +
			"+0.1 < S 0:0(0) win 65535 <mss 1460>\n+0 > R. 0:0(0) ack 1 win 0\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if res := runScript(t, c.src, ""); !res.Passed() {
				t.Errorf("%s: %+v %v", res.Status, res.Failure, res.Unsupported)
			}
		})
	}
}

// A knob value the profile refuses is reported where the script sets it:
// a header line is an error at its line and column, a setsockopt() is
// EINVAL there (as Linux refuses a TCP_MAXSEG out of range), not an EIO
// from a later listen().
func TestRefusedKnobsAreReportedWhereTheyAreSet(t *testing.T) {
	res := runScript(t, "~ profile linux\n~ set mss=0\n"+server, "")
	if res.Status != StatusError || res.Failure == nil || res.Failure.Pos != (Pos{2, 7}) ||
		!strings.Contains(res.Failure.Message, "~ set mss=0: invalid mss") {
		t.Errorf("verdict %s %+v, want an error at 2:7 naming the knob", res.Status, res.Failure)
	}
	res = runScript(t, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"+
		"+0 setsockopt(3, IPPROTO_TCP, TCP_MAXSEG, [0], 4) = -1 EINVAL\n"+
		"+0 getsockopt(3, IPPROTO_TCP, TCP_MAXSEG, [536], [4]) = 0\n"+
		"+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n", "")
	if !res.Passed() {
		t.Errorf("setsockopt of a refused value: %s %+v", res.Status, res.Failure)
	}
}

// brokenSend is the in-process driver whose Send fails the way a lost
// daemon does.
type brokenSend struct{ Driver }

var errUnavailable = errors.New("rpc error: code = Unavailable desc = connection refused")

func (brokenSend) Send(emulator.EndpointID, []byte) ([]emulator.Event, error) {
	return nil, errUnavailable
}
func (brokenSend) Abort(emulator.EndpointID) ([]emulator.Event, error) { return nil, errUnavailable }

// A call that fails for a reason of the session, not of TCP (a lost
// daemon, a message too large for the API) is an error verdict naming it,
// never a "failed" blamed on the script with a made-up errno.
func TestDriverFailuresAreErrorsNotErrnos(t *testing.T) {
	s, err := Parse("t.pkt", server+"+0 write(4, ..., 10) = 10\n")
	if err != nil {
		t.Fatal(err)
	}
	open := func(c SessionConfig) (Driver, error) {
		d, err := NewLocal(c)
		return brokenSend{d}, err
	}
	res := Run(s, "t.pkt", open, Options{})
	if res.Status != StatusError || res.Failure == nil || res.Failure.Pos.Line != 8 ||
		!strings.Contains(res.Failure.Message, "write(): rpc error: code = Unavailable") {
		t.Errorf("verdict %s %+v, want an error at line 8 naming the cause", res.Status, res.Failure)
	}
	// close() returns 0 whatever TCP says, but not when the abort never
	// reached the session.
	s, err = Parse("t.pkt", server+"+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0\n+0 close(4) = 0\n+0 > R 1:1(0)\n")
	if err != nil {
		t.Fatal(err)
	}
	res = Run(s, "t.pkt", open, Options{})
	if res.Status != StatusError || res.Failure == nil || res.Failure.Pos.Line != 9 ||
		!strings.Contains(res.Failure.Message, "close(): rpc error") {
		t.Errorf("verdict %s %+v, want an error at line 9 naming the cause", res.Status, res.Failure)
	}
}
