package render

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/tcpemu/tcpemu/scenario"
)

// JUnit writes the results as JUnit XML (the format Jenkins, GitLab and
// GitHub's test reporters read; render/testdata/junit.xsd is its schema):
// one testsuite, one testcase per script. A mismatch is a <failure>; an
// unsupported script or one that could not be read is an <error>, never
// <skipped>, so that no grader counts it as passed.
func JUnit(w io.Writer, results []*scenario.Result, opts VerdictOptions) error {
	s := Summarize(results)
	suite := junitSuite{
		Name: opts.Suite, Tests: s.Total, Failures: s.Failed, Errors: s.Unsupported + s.Errors, Skipped: 0,
	}
	for _, r := range results {
		secs := r.VirtualTime.Seconds()
		suite.Time += secs
		tc := junitCase{
			Name:      r.Name,
			Classname: classname(r.File),
			File:      r.File,
			Time:      fmt.Sprintf("%.6f", secs),
			SystemOut: notesText(r),
		}
		if r.Failure != nil && r.Failure.Line != "" {
			tc.Line = r.Failure.Pos.Line
		}
		switch r.Status {
		case scenario.StatusFailed:
			tc.Failure = &junitProblem{Message: shortMessage(r), Type: "mismatch", Text: failureText(r)}
		case scenario.StatusUnsupported:
			tc.Error = &junitProblem{Message: shortMessage(r), Type: "unsupported", Text: failureText(r)}
		case scenario.StatusError:
			tc.Error = &junitProblem{Message: shortMessage(r), Type: "error", Text: failureText(r)}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	suite.TimeText = fmt.Sprintf("%.6f", suite.Time)
	doc := junitSuites{Name: opts.Suite, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Time: suite.TimeText, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// classname is the script's directory and name, dotted, as JUnit readers
// group test cases ("scenarios.passive-open").
func classname(file string) string {
	dir := filepath.Base(filepath.Dir(file))
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	if dir == "." || dir == "/" {
		return base
	}
	return dir + "." + base
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	TimeText string      `xml:"time,attr"`
	Time     float64     `xml:"-"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// TAP writes the results as TAP version 13: "ok" only for a pass, with a
// YAML block of diagnostics under every other test point.
func TAP(w io.Writer, results []*scenario.Result) error {
	ew := &errWriter{w: w}
	ew.printf("TAP version 13\n1..%d\n", len(results))
	for i, r := range results {
		if r.Passed() {
			ew.printf("ok %d - %s\n", i+1, tapEscape(r.File))
			for _, n := range strings.Split(strings.TrimSuffix(notesText(r), "\n"), "\n") {
				if n != "" {
					ew.printf("# %s\n", n)
				}
			}
			continue
		}
		ew.printf("not ok %d - %s\n", i+1, tapEscape(r.File))
		ew.printf("  ---\n")
		ew.printf("  status: %s\n", yamlString(string(r.Status)))
		ew.printf("  message: %s\n", yamlString(shortMessage(r)))
		if f := r.Failure; f != nil {
			if f.Line != "" {
				ew.printf("  at:\n    file: %s\n    line: %d\n    column: %d\n    text: %s\n",
					yamlString(r.File), f.Pos.Line, f.Pos.Col, yamlString(f.Line))
			}
			if f.Expected != "" || f.Actual != "" {
				ew.printf("  expected: %s\n  actual: %s\n", yamlString(f.Expected), yamlString(f.Actual))
			}
			if f.Rule != "" {
				ew.printf("  rule: %s\n  section: %s\n  explanation: %s\n", yamlString(f.Rule), yamlString(f.Section), yamlString(f.Explanation))
			}
		}
		if len(r.Unsupported) > 0 {
			ew.printf("  unsupported:\n")
			for _, u := range r.Unsupported {
				ew.printf("    - %s\n", yamlString(u.String()))
			}
		}
		ew.printf("  ...\n")
	}
	return ew.err
}

// tapEscape keeps a description from starting a directive.
func tapEscape(s string) string { return strings.ReplaceAll(s, "#", `\#`) }

// yamlString quotes a string for YAML (JSON strings are valid YAML).
func yamlString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// VerdictJSON writes the results as one JSON document: stable field names,
// a summary, and every result's failure, unsupported features and notes.
func VerdictJSON(w io.Writer, results []*scenario.Result) error {
	s := Summarize(results)
	out := jsonRun{Summary: jsonSummary{
		Total: s.Total, Passed: s.Passed, Failed: s.Failed, Unsupported: s.Unsupported, Errors: s.Errors,
		Points: s.Points, MaxPoints: s.MaxPoints,
	}, Results: []jsonResult{}}
	for _, r := range results {
		jr := jsonResult{
			File: r.File, Name: r.Name, Status: string(r.Status), Profile: r.Profile, Where: r.Where,
			Points: r.Points, MaxPoints: r.MaxPoints, Lines: r.Lines, TotalLines: r.TotalLines,
			VirtualTimeNS: int64(r.VirtualTime), Unsupported: []jsonUnsupported{}, Notes: []jsonNote{},
		}
		if f := r.Failure; f != nil {
			jr.Failure = &jsonFailure{
				Line: f.Pos.Line, Column: f.Pos.Col, Text: f.Line, Message: f.Message,
				Expected: f.Expected, Actual: f.Actual, Rule: f.Rule, Section: f.Section,
				Explanation: f.Explanation, TimeNS: int64(f.Time),
			}
		}
		for _, u := range r.Unsupported {
			jr.Unsupported = append(jr.Unsupported, jsonUnsupported{Line: u.Pos.Line, Column: u.Pos.Col, What: u.What})
		}
		for _, n := range r.Notes {
			jr.Notes = append(jr.Notes, jsonNote{Line: n.Pos.Line, Column: n.Pos.Col, Text: n.Text})
		}
		out.Results = append(out.Results, jr)
	}
	return writeJSON(w, out)
}

type jsonRun struct {
	Summary jsonSummary  `json:"summary"`
	Results []jsonResult `json:"results"`
}

type jsonSummary struct {
	Total       int     `json:"total"`
	Passed      int     `json:"passed"`
	Failed      int     `json:"failed"`
	Unsupported int     `json:"unsupported"`
	Errors      int     `json:"errors"`
	Points      float64 `json:"points"`
	MaxPoints   float64 `json:"max_points"`
}

type jsonResult struct {
	File          string            `json:"file"`
	Name          string            `json:"name"`
	Status        string            `json:"status"`
	Profile       string            `json:"profile"`
	Where         string            `json:"where,omitempty"`
	Points        float64           `json:"points"`
	MaxPoints     float64           `json:"max_points"`
	Lines         int               `json:"lines_run"`
	TotalLines    int               `json:"lines_total"`
	VirtualTimeNS int64             `json:"virtual_time_ns"`
	Failure       *jsonFailure      `json:"failure,omitempty"`
	Unsupported   []jsonUnsupported `json:"unsupported"`
	Notes         []jsonNote        `json:"notes"`
}

type jsonFailure struct {
	Line        int    `json:"line,omitempty"`
	Column      int    `json:"column,omitempty"`
	Text        string `json:"text,omitempty"`
	Message     string `json:"message"`
	Expected    string `json:"expected,omitempty"`
	Actual      string `json:"actual,omitempty"`
	Rule        string `json:"rule,omitempty"`
	Section     string `json:"section,omitempty"`
	Explanation string `json:"explanation,omitempty"`
	TimeNS      int64  `json:"time_ns"`
}

type jsonUnsupported struct {
	Line   int    `json:"line"`
	Column int    `json:"column"`
	What   string `json:"what"`
}

type jsonNote struct {
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Text   string `json:"text"`
}

// Gradescope writes Gradescope's autograder results.json: the total score
// and one test per script worth its points (all for a pass, none
// otherwise), with the failure as the test's output.
func Gradescope(w io.Writer, results []*scenario.Result) error {
	s := Summarize(results)
	out := gsResults{
		Score:  s.Points,
		Output: fmt.Sprintf("%d of %d scripts passed", s.Passed, s.Total),
		Tests:  []gsTest{},
	}
	for i, r := range results {
		status := "failed"
		if r.Passed() {
			status = "passed"
		}
		text := failureText(r) + notesText(r)
		if text == "" {
			text = "passed"
		}
		out.Tests = append(out.Tests, gsTest{
			Name: r.File, Number: fmt.Sprint(i + 1), Score: r.Points, MaxScore: r.MaxPoints,
			Status: status, Output: text,
		})
	}
	return writeJSON(w, out)
}

type gsResults struct {
	Score  float64  `json:"score"`
	Output string   `json:"output"`
	Tests  []gsTest `json:"tests"`
}

type gsTest struct {
	Name     string  `json:"name"`
	Number   string  `json:"number"`
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	Status   string  `json:"status"`
	Output   string  `json:"output"`
}

// writeJSON writes v indented, without HTML escaping (the texts hold
// "<SEQ=…>" and "->", which people read).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
