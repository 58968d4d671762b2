package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/tcpemu/tcpemu/scenario"
)

const verdictServer = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0.1 < S 0:0(0) win 65535 <mss 1460>
`

// verdictResults runs four scripts: one passes (worth 2 points), one fails
// at a mismatch, one uses an unsupported feature, one does not parse.
func verdictResults(t *testing.T) []*scenario.Result {
	t.Helper()
	scripts := []struct{ file, src string }{
		{"lib/pass.pkt", "~ points 2\n" + verdictServer + "+0 > S. 0:0(0) ack 1 <mss 1460,sackOK>\n"},
		{"lib/fail.pkt", verdictServer + "+0 > S. 0:0(0) ack 2 <mss 1460>\n"},
		{"lib/unsupported.pkt", "`ethtool -K tun0 tso off`\n" + verdictServer},
		{"lib/broken.pkt", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = \n"},
	}
	var out []*scenario.Result
	for _, s := range scripts {
		out = append(out, scenario.RunFile(s.file, []byte(s.src), scenario.NewLocal, scenario.Options{}))
	}
	want := []scenario.Status{scenario.StatusPassed, scenario.StatusFailed, scenario.StatusUnsupported, scenario.StatusError}
	for i, r := range out {
		if r.Status != want[i] {
			t.Fatalf("%s: %s %+v, want %s", r.File, r.Status, r.Failure, want[i])
		}
	}
	return out
}

func TestJUnitValidatesAgainstTheSchema(t *testing.T) {
	results := verdictResults(t)
	var buf bytes.Buffer
	if err := JUnit(&buf, results, VerdictOptions{Suite: "emuctl run"}); err != nil {
		t.Fatal(err)
	}
	schema := loadXSD(t, "testdata/junit.xsd")
	if err := validateXML(schema, buf.String()); err != nil {
		t.Fatalf("JUnit output does not validate: %v\n%s", err, buf.String())
	}
	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	if doc.Tests != 4 || s.Tests != 4 || s.Failures != 1 || s.Errors != 2 || s.Skipped != 0 {
		t.Errorf("counts: %d tests, %d failures, %d errors, %d skipped; want 4, 1, 2, 0", s.Tests, s.Failures, s.Errors, s.Skipped)
	}
	c := s.Cases
	if c[0].Failure != nil || c[0].Error != nil || c[0].Classname != "lib.pass" {
		t.Errorf("passing case: %+v", c[0])
	}
	if !strings.Contains(c[0].SystemOut, "not compared (options the emulator does not model): sackOK") {
		t.Errorf("passing case's notes %q lack the uncompared option", c[0].SystemOut)
	}
	if f := c[1].Failure; f == nil || f.Type != "mismatch" || f.Message != "line 5: segment mismatch: ack 1, expected 2" ||
		!strings.Contains(f.Text, "why (listen-syn, RFC 9293 §3.10.7.2)") || c[1].Line != 5 {
		t.Errorf("failing case: %+v %+v", c[1], c[1].Failure)
	}
	if e := c[2].Error; e == nil || e.Type != "unsupported" || !strings.Contains(e.Message, "shell command `ethtool") {
		t.Errorf("unsupported case: %+v", c[2].Error)
	}
	if e := c[3].Error; e == nil || e.Type != "error" || !strings.Contains(e.Message, "parse error") {
		t.Errorf("broken case: %+v", c[3].Error)
	}
}

// TAP 13: a plan, "ok" only for the pass, a YAML block for each other.
func TestTAPIsWellFormed(t *testing.T) {
	var buf bytes.Buffer
	if err := TAP(&buf, verdictResults(t)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if lines[0] != "TAP version 13" || lines[1] != "1..4" {
		t.Fatalf("header %q", lines[:2])
	}
	point := regexp.MustCompile(`^(ok|not ok) (\d+) - (\S+)$`)
	var points []string
	inYAML := false
	for _, l := range lines[2:] {
		switch {
		case l == "  ---":
			inYAML = true
		case l == "  ...":
			inYAML = false
		case inYAML:
			if !strings.HasPrefix(l, "  ") {
				t.Errorf("YAML line %q not indented", l)
			}
		case strings.HasPrefix(l, "#"):
		default:
			m := point.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("line %q is not a test point", l)
			}
			points = append(points, m[1]+" "+m[2])
		}
	}
	if strings.Join(points, ",") != "ok 1,not ok 2,not ok 3,not ok 4" {
		t.Errorf("test points %v", points)
	}
	if !strings.Contains(buf.String(), `  expected: "S. 0:0(0) ack 2 <mss 1460>"`) {
		t.Errorf("no expected segment in the diagnostics:\n%s", buf.String())
	}
}

// results.json carries Gradescope's documented fields with their types:
// score; tests[] with name, score, max_score, status (passed or failed)
// and output. The total is the sum of the tests' scores.
func TestGradescopeResultsHaveTheDocumentedFields(t *testing.T) {
	var buf bytes.Buffer
	if err := Gradescope(&buf, verdictResults(t)); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	allowedTop := map[string]bool{"score": true, "output": true, "tests": true, "execution_time": true, "visibility": true,
		"stdout_visibility": true, "extra_data": true, "output_format": true, "leaderboard": true}
	for k := range doc {
		if !allowedTop[k] {
			t.Errorf("top-level field %q is not one of Gradescope's", k)
		}
	}
	tests, ok := doc["tests"].([]any)
	if !ok || len(tests) != 4 {
		t.Fatalf("tests: %v", doc["tests"])
	}
	allowedTest := map[string]bool{"score": true, "max_score": true, "status": true, "name": true, "name_format": true,
		"number": true, "output": true, "output_format": true, "tags": true, "visibility": true, "extra_data": true}
	sum := 0.0
	for i, x := range tests {
		tc := x.(map[string]any)
		for k := range tc {
			if !allowedTest[k] {
				t.Errorf("test field %q is not one of Gradescope's", k)
			}
		}
		score, ok1 := tc["score"].(float64)
		max, ok2 := tc["max_score"].(float64)
		status, ok3 := tc["status"].(string)
		_, ok4 := tc["name"].(string)
		out, ok5 := tc["output"].(string)
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || out == "" {
			t.Errorf("test %d: fields missing or mistyped: %v", i, tc)
		}
		if status != "passed" && status != "failed" {
			t.Errorf("test %d: status %q", i, status)
		}
		if (status == "passed") != (score == max) || score < 0 || score > max {
			t.Errorf("test %d: %s with %v of %v points", i, status, score, max)
		}
		sum += score
	}
	if doc["score"].(float64) != sum || sum != 2 {
		t.Errorf("score %v, tests sum to %v; want 2 (the passing script's points)", doc["score"], sum)
	}
}

func TestVerdictJSONSummarizes(t *testing.T) {
	var buf bytes.Buffer
	if err := VerdictJSON(&buf, verdictResults(t)); err != nil {
		t.Fatal(err)
	}
	var doc jsonRun
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Summary
	if s.Total != 4 || s.Passed != 1 || s.Failed != 1 || s.Unsupported != 1 || s.Errors != 1 || s.Points != 2 || s.MaxPoints != 5 {
		t.Errorf("summary %+v", s)
	}
	f := doc.Results[1].Failure
	if f == nil || f.Line != 5 || f.Column != 1 || f.Rule != "listen-syn" || f.Expected != "S. 0:0(0) ack 2 <mss 1460>" {
		t.Errorf("failure %+v", f)
	}
	if u := doc.Results[2].Unsupported; len(u) != 1 || u[0].Line != 1 {
		t.Errorf("unsupported %+v", u)
	}
}

// The human report shows the failing line, both sides, the rule and the
// ladder up to the mismatch.
func TestHumanReportShowsTheMismatch(t *testing.T) {
	var buf bytes.Buffer
	if err := Human(&buf, verdictResults(t), VerdictOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"PASS        lib/pass.pkt",
		"FAIL        lib/fail.pkt",
		"  lib/fail.pkt:5:1: +0 > S. 0:0(0) ack 2 <mss 1460>",
		"    expected: S. 0:0(0) ack 2 <mss 1460>\n    actual:   S. 0:0(0) ack 1 win 65535 <mss 1460>",
		"  why (listen-syn, RFC 9293 §3.10.7.2):",
		"  the exchange up to the mismatch (at 100ms):",
		"SYN,ACK seq=0 ack=1",
		"UNSUPPORTED lib/unsupported.pkt",
		"lib/unsupported.pkt:1:1: unsupported: shell command `ethtool -K tun0 tso off`",
		"ERROR       lib/broken.pkt",
		"4 script(s): 1 passed, 1 failed, 1 unsupported, 1 error(s); 2 of 5 points",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// The human report draws at most the last DefaultMaxLadderEvents events of
// a failed run and says how many earlier ones it left out: a script that
// makes the endpoint send thousands of segments before its mismatch must
// not print a ladder of millions of lines into a grader's log.
func TestHumanLadderIsBounded(t *testing.T) {
	src := "~ set mss=1\n" + strings.ReplaceAll(verdictServer, "<mss 1460>", "<mss 1>") +
		"+0 > S. 0:0(0) ack 1 <mss 1>\n+0.1 < . 1:1(0) ack 1 win 65535\n+0 accept(3, ..., ...) = 4\n" +
		"+0 write(4, ..., 3000) = 3000\n+0 > P. 1:3001(3000) ack 1\n+0 ~ state CLOSED\n"
	r := scenario.RunFile("lib/long.pkt", []byte(src), scenario.NewLocal, scenario.Options{})
	if r.Status != scenario.StatusFailed || len(r.Events) < 3*DefaultMaxLadderEvents {
		t.Fatalf("%s %+v with %d events, want a failure after many events", r.Status, r.Failure, len(r.Events))
	}
	var buf bytes.Buffer
	if err := Human(&buf, []*scenario.Result{r}, VerdictOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	want := fmt.Sprintf("%d earlier events are not drawn", len(r.Events)-DefaultMaxLadderEvents)
	if !strings.Contains(out, want) {
		t.Errorf("no %q in the report", want)
	}
	if n := strings.Count(out, "\n"); n > 4*DefaultMaxLadderEvents {
		t.Errorf("the report has %d lines for %d events drawn", n, DefaultMaxLadderEvents)
	}
}
