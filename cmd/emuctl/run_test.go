package main_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// runVerdicts is `emuctl run --format json`'s document, as far as the
// verdicts go (where the session ran differs by mode).
type runVerdicts struct {
	Summary map[string]float64 `json:"summary"`
	Results []struct {
		File        string           `json:"file"`
		Status      string           `json:"status"`
		Profile     string           `json:"profile"`
		Where       string           `json:"where"`
		Points      float64          `json:"points"`
		Lines       int              `json:"lines_run"`
		VirtualTime int64            `json:"virtual_time_ns"`
		Failure     *json.RawMessage `json:"failure"`
		Unsupported json.RawMessage  `json:"unsupported"`
		Notes       json.RawMessage  `json:"notes"`
	} `json:"results"`
}

// The same scripts give the same verdicts in-process and on a real emud:
// the whole library under both profiles, plus a script that fails and one
// that is unsupported. The remote sessions stay on the daemon afterwards.
func TestRunLocalAndRemoteGiveTheSameVerdicts(t *testing.T) {
	d := startEmud(t)
	lib, err := filepath.Glob("../../scenarios/*.pkt")
	if err != nil || len(lib) == 0 {
		t.Fatalf("library: %v", err)
	}
	dir := t.TempDir()
	wrong := filepath.Join(dir, "wrong.pkt")
	shell := filepath.Join(dir, "shell.pkt")
	writeFile(t, wrong, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n"+
		"+0.1 < S 0:0(0) win 65535 <mss 1460>\n+0 > S. 0:0(0) ack 1 <mss 1460>\n+0.1 < . 1:1(0) ack 1 win 65535\n"+
		"+0 accept(3, ..., ...) = 4\n+0.1 close(4) = 0\n+0 > F. 1:1(0) ack 1\n+0 ~ state FIN-WAIT-2\n")
	writeFile(t, shell, "`ip link set tun0 mtu 1280`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n")
	// Scripts whose verdicts hang on what the driver reports: the send MSS
	// (getsockopt TCP_MAXSEG), a connection's state between two connect()
	// calls, a signalled error read through SO_ERROR.
	extra := map[string]string{
		"maxseg.pkt": "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 getsockopt(3, SOL_TCP, TCP_MAXSEG, [536], [4]) = 0\n" +
			"+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n+0.1 < S 0:0(0) win 32792 <mss 1100>\n+0 > S. 0:0(0) ack 1 <mss 1460>\n" +
			"+0.1 < . 1:1(0) ack 1 win 32792\n+0 accept(3, ..., ...) = 4\n+0 getsockopt(4, SOL_TCP, TCP_MAXSEG, [1100], [4]) = 0\n",
		"reconnect.pkt": "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n" +
			"+0 connect(3, ..., ...) = -1 EINPROGRESS\n+0 > S 0:0(0) <mss 1460>\n+0 connect(3, ..., ...) = -1 EALREADY\n" +
			"+0.1 < S. 0:0(0) ack 1 win 65535 <mss 1460>\n+0 > . 1:1(0) ack 1\n+0 connect(3, ..., ...) = 0\n+0 connect(3, ..., ...) = -1 EISCONN\n",
		"so-error.pkt": "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n" +
			"+0 connect(3, ..., ...) = -1 EINPROGRESS\n+0 > S 0:0(0) <mss 1460>\n+0.1 < R. 0:0(0) ack 1 win 0\n" +
			"+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0\n+0 connect(3, ..., ...) = -1 ECONNABORTED\n",
	}
	files := append([]string(nil), lib...)
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		files = append(files, filepath.Join(dir, name))
		writeFile(t, files[len(files)-1], extra[name])
	}
	files = append(files, wrong, shell)
	for _, profile := range []string{"linux", "rfc9293"} {
		args := append([]string{"run", "--format", "json", "--profile", profile}, files...)
		local := emuctl(t, d.addr, append([]string{args[0], "--local"}, args[1:]...)...)
		remote := emuctl(t, d.addr, args...)
		if local.code != 1 || remote.code != 1 {
			t.Fatalf("exit codes %d (local) and %d (remote), want 1: a script failed\n%s\n%s", local.code, remote.code, local, remote)
		}
		var lv, rv runVerdicts
		if err := json.Unmarshal([]byte(local.stdout), &lv); err != nil {
			t.Fatalf("local: %v\n%s", err, local)
		}
		if err := json.Unmarshal([]byte(remote.stdout), &rv); err != nil {
			t.Fatalf("remote: %v\n%s", err, remote)
		}
		if len(lv.Results) != len(files) || len(rv.Results) != len(files) {
			t.Fatalf("%d and %d results for %d files", len(lv.Results), len(rv.Results), len(files))
		}
		for i := range lv.Results {
			l, r := lv.Results[i], rv.Results[i]
			if l.Status != "unsupported" && (l.Where != "in-process" || !strings.HasPrefix(r.Where, "emud sessions/")) {
				t.Errorf("%s: ran %q and %q", l.File, l.Where, r.Where)
			}
			l.Where, r.Where = "", ""
			if !reflect.DeepEqual(l, r) {
				t.Errorf("%s under %s: verdicts differ\nlocal:  %+v %s\nremote: %+v %s", l.File, profile, l, raw(l.Failure), r, raw(r.Failure))
			}
		}
		last := len(files) - 1
		if lv.Results[last-1].Status != "failed" || lv.Results[last].Status != "unsupported" {
			t.Errorf("the wrong script is %s and the shell one %s", lv.Results[last-1].Status, lv.Results[last].Status)
		}
		if f := raw(lv.Results[last-1].Failure); !strings.Contains(f, "expected state FIN-WAIT-2, the endpoint is in FIN-WAIT-1") {
			t.Errorf("the wrong script's failure: %s", f)
		}
		if lv.Summary["passed"] != float64(len(lib)+len(extra)) {
			t.Errorf("%v of %d library and extra scripts passed under %s", lv.Summary["passed"], len(lib)+len(extra), profile)
		}
		// The session of a remote run stays for inspection.
		session := strings.TrimPrefix(rv.Results[0].Where, "emud sessions/")
		if out := ok(t, d.addr, "events", session); !strings.Contains(out, "SYN-SENT → ESTABLISHED") {
			t.Errorf("emuctl events %s after the run:\n%s", session, out)
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	if r := emuctl(t, "unix:/nonexistent", "run", "--local", "../../scenarios/passive-open.pkt"); r.code != 0 ||
		!strings.Contains(r.stdout, "PASS        ../../scenarios/passive-open.pkt") {
		t.Errorf("a passing script: %s", r)
	}
	for _, args := range [][]string{
		{"run", "--local"},
		{"run", "--local", "--format", "xml", "x.pkt"},
		{"run", "--local", "--profile", "bsd", "x.pkt"},
		{"run", "--local", "--addr", "127.0.0.1:1", "x.pkt"},
	} {
		if r := emuctl(t, "unix:/nonexistent", args...); r.code != 2 {
			t.Errorf("want exit 2 (usage): %s", r)
		}
	}
	// A file that cannot be read (a glob that matched no submission, a
	// directory, a file too large) is an error verdict worth nothing; the
	// other scripts still run, and the grader still gets its results.json.
	dir := t.TempDir()
	big := filepath.Join(dir, "big.pkt")
	writeFile(t, big, "// "+strings.Repeat("x", 5<<20)+"\n")
	r := emuctl(t, "unix:/nonexistent", "run", "--local", "--format", "gradescope", "no-such-file.pkt", dir, big, "../../scenarios/passive-open.pkt")
	var gs struct {
		Score float64 `json:"score"`
		Tests []struct {
			Name     string  `json:"name"`
			Score    float64 `json:"score"`
			MaxScore float64 `json:"max_score"`
			Status   string  `json:"status"`
			Output   string  `json:"output"`
		} `json:"tests"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &gs); r.code != 1 || err != nil || len(gs.Tests) != 4 || gs.Score != 1 {
		t.Fatalf("unreadable files: %v\n%s", err, r)
	}
	for i, want := range []string{"no such file", "is a directory", "larger than"} {
		if tc := gs.Tests[i]; tc.Status != "failed" || tc.Score != 0 || tc.MaxScore != 1 || !strings.Contains(tc.Output, want) {
			t.Errorf("test %d: %+v, want failed, 0 of 1, %q", i, tc, want)
		}
	}
	if tc := gs.Tests[3]; tc.Status != "passed" || tc.Score != 1 {
		t.Errorf("the readable script after them: %+v", tc)
	}
	if r := emuctl(t, "unix:/nonexistent/emud.sock", "run", "../../scenarios/passive-open.pkt"); r.code != 1 || !strings.Contains(r.stderr, "is emud running") {
		t.Errorf("no daemon: %s", r)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func raw(m *json.RawMessage) string {
	if m == nil {
		return "null"
	}
	return string(*m)
}
