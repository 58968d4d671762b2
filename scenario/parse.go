package scenario

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultTolerance is packetdrill's default --tolerance_usecs (4 ms): how
// far an outbound segment or a blocking call's return may be from the time
// the script gives.
const DefaultTolerance = 4 * time.Millisecond

// ParseError is a script that cannot be read, with where.
type ParseError struct {
	File string
	Pos  Pos
	Msg  string
}

func (e *ParseError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Col, e.Msg)
	}
	return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

// ParseErrors are all the problems found in one script, in order.
type ParseErrors []*ParseError

func (es ParseErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// maxParseErrors stops a hopeless script early.
const maxParseErrors = 20

// Parse reads a script. name is used in errors and verdicts. The error, if
// any, is ParseErrors: every problem with its line and column.
func Parse(name, src string) (*Script, error) {
	toks, lerrs := lex(src)
	p := &parser{toks: toks, s: &Script{Name: name, Points: 1, Tolerance: DefaultTolerance}, name: name}
	for _, e := range lerrs {
		p.errs = append(p.errs, &ParseError{File: name, Pos: e.pos, Msg: e.msg})
	}
	p.script()
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return p.s, nil
}

type parser struct {
	toks   []token
	i      int
	s      *Script
	name   string
	errs   ParseErrors
	events bool // an event was seen: header lines are over
	last   *Event
	// nesting is how deep expr is in arguments (bounded by maxNesting).
	nesting int
	started bool // an event line was met, even a broken one
}

// errBail unwinds one statement after its error was recorded.
var errBail = errors.New("bail")

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) fail(pos Pos, format string, args ...any) error {
	p.errs = append(p.errs, &ParseError{File: p.name, Pos: pos, Msg: printable(fmt.Sprintf(format, args...))})
	return errBail
}

func (p *parser) is(kind tokKind, text string) bool {
	t := p.peek()
	return t.kind == kind && (text == "" || t.text == text)
}

func (p *parser) accept(kind tokKind, text string) bool {
	if p.is(kind, text) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expect(kind tokKind, text, what string) (token, error) {
	if !p.is(kind, text) {
		return token{}, p.fail(p.peek().pos, "expected %s, found %s", what, describe(p.peek()))
	}
	return p.next(), nil
}

func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of script"
	case tokNewline:
		return "end of line"
	case tokCommand:
		return "`" + t.text + "`"
	case tokCode:
		return "%{ … }%"
	case tokString:
		return strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

// script := { statement NEWLINE }
func (p *parser) script() {
	for !p.is(tokEOF, "") {
		if p.accept(tokNewline, "") {
			continue
		}
		start := p.i
		if err := p.statement(); err != nil {
			if len(p.errs) >= maxParseErrors {
				return
			}
			// Skip to the end of the statement and go on: report every
			// broken line, not just the first.
			for !p.is(tokNewline, "") && !p.is(tokEOF, "") {
				p.next()
			}
			continue
		}
		if !p.is(tokNewline, "") && !p.is(tokEOF, "") {
			t := p.peek()
			_ = p.fail(t.pos, "unexpected %s after the end of the statement that starts at %s", describe(t), p.toks[start].pos)
			for !p.is(tokNewline, "") && !p.is(tokEOF, "") {
				p.next()
			}
		}
	}
}

func (p *parser) statement() error {
	if p.commandOrCode() {
		return nil
	}
	t := p.peek()
	switch {
	case t.kind == tokOption:
		p.next()
		return p.option(t)
	case t.kind == tokPunct && t.text == "~":
		p.next()
		if p.events {
			return p.fail(t.pos, "\"~\" header lines (profile, set, points) must come before the first event")
		}
		return p.header(t)
	}
	return p.event()
}

// commandOrCode takes a backtick command or a %{ }% block, with or
// without a time before it, and reports whether it did.
func (p *parser) commandOrCode() bool {
	t := p.peek()
	switch t.kind {
	case tokCommand:
		p.next()
		p.command(t)
		return true
	case tokCode:
		p.next()
		p.unsupported(t.pos, "%s", pythonUnsupported)
		return true
	}
	return false
}

// option handles packetdrill's in-script command-line options.
func (p *parser) option(t token) error {
	name, value, _ := strings.Cut(t.text, "=")
	switch name {
	case "tolerance_usecs":
		us, err := strconv.ParseUint(value, 10, 32)
		if err != nil {
			return p.fail(t.pos, "--tolerance_usecs=%q: want a number of microseconds", value)
		}
		p.s.Tolerance = time.Duration(us) * time.Microsecond
	case "ip_version":
		if value != "ipv4" {
			p.unsupported(t.pos, "--ip_version=%s (scripts run over IPv4)", value)
		}
	case "mss", "bind_port", "connect_port", "local_ip", "remote_ip", "gateway_ip", "netmask_ip", "wire_client", "wire_server",
		"non_fatal", "dry_run", "verbose", "debug", "init_scripts", "speed", "mtu", "define", "send_omit_free":
		p.unsupported(t.pos, "--%s option", name)
	default:
		p.unsupported(t.pos, "--%s option", name)
	}
	return nil
}

func (p *parser) unsupported(pos Pos, format string, args ...any) {
	p.s.Unsupported = append(p.s.Unsupported, Unsupported{Pos: pos, What: printable(fmt.Sprintf(format, args...))})
}

func (p *parser) note(pos Pos, format string, args ...any) {
	p.s.Notes = append(p.s.Notes, Note{Pos: pos, Text: printable(fmt.Sprintf(format, args...))})
}

// printable escapes control characters (\x1b, \a, …) and invalid UTF-8 in
// script text a verdict repeats: graders read verdicts in terminals, and a
// script must not be able to write escape sequences to them.
func printable(s string) string {
	clean := true
	for _, c := range s {
		if c < 0x20 || c == 0x7f || c == utf8.RuneError || (c >= 0x80 && c < 0xa0) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}

// header := "~" ( "profile" NAME | "set" KEY "=" VALUE | "points" NUM )
func (p *parser) header(tilde token) error {
	w, err := p.expect(tokWord, "", "profile, set or points after ~")
	if err != nil {
		return err
	}
	switch w.text {
	case "profile":
		n, err := p.expect(tokWord, "", "a profile name (linux or rfc9293)")
		if err != nil {
			return err
		}
		if n.text != "linux" && n.text != "rfc9293" {
			return p.fail(n.pos, "unknown profile %q (want linux or rfc9293)", n.text)
		}
		p.s.Profile = n.text
	case "set":
		k, err := p.expect(tokWord, "", "a knob name (time_wait, syn_retries, …)")
		if err != nil {
			return err
		}
		if _, err := p.expect(tokPunct, "=", "\"=\""); err != nil {
			return err
		}
		v := p.rawValue()
		if err := checkKnob(k.text, v); err != nil {
			return p.fail(k.pos, "~ set %s=%s: %v", k.text, v, err)
		}
		p.s.Knobs = append(p.s.Knobs, Knob{Pos: k.pos, Name: k.text, Value: v, From: "~ set " + k.text + "=" + v})
	case "points":
		n, err := p.expect(tokNum, "", "a number of points")
		if err != nil {
			return err
		}
		f, perr := strconv.ParseFloat(n.text, 64)
		if perr != nil || f < 0 || math.IsInf(f, 0) {
			return p.fail(n.pos, "points %q: want a non-negative number", n.text)
		}
		p.s.Points = f
	default:
		return p.fail(w.pos, "unknown header %q after ~ (want profile, set or points)", w.text)
	}
	return nil
}

// rawValue joins the tokens up to the end of the line ("30s", "true").
func (p *parser) rawValue() string {
	var b strings.Builder
	for !p.is(tokNewline, "") && !p.is(tokEOF, "") {
		b.WriteString(p.next().text)
	}
	return b.String()
}

// command handles a backtick line: never run; recognised or unsupported.
func (p *parser) command(t token) {
	cmd := strings.TrimSpace(t.text)
	fields := strings.Fields(cmd)
	switch {
	case len(fields) == 1 && strings.HasSuffix(fields[0], "defaults.sh"):
		p.note(t.pos, "`%s`: the profile's own defaults are used (no shell command is run)", cmd)
	case len(fields) > 0 && fields[0] == "sysctl":
		p.sysctl(t.pos, cmd, fields[1:])
	default:
		p.unsupported(t.pos, "shell command `%s` (scripts never run shell commands)", cmd)
	}
}

// sysctl turns "sysctl -q net.ipv4.tcp_syn_retries=1" into a knob.
func (p *parser) sysctl(pos Pos, cmd string, args []string) {
	assigned := false
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			if a != "-q" && a != "-w" && a != "-qw" && a != "-wq" {
				p.unsupported(pos, "shell command `%s` (sysctl flag %s)", cmd, a)
				return
			}
			continue
		}
		name, value, ok := strings.Cut(a, "=")
		if !ok {
			p.unsupported(pos, "shell command `%s` (only sysctl name=value is understood)", cmd)
			return
		}
		knob, kv, ok := sysctlKnob(name, value)
		if !ok {
			p.unsupported(pos, "shell command `%s` (%s is not a knob the emulator models)", cmd, name)
			return
		}
		p.s.Knobs = append(p.s.Knobs, Knob{Pos: pos, Name: knob, Value: kv, From: "`" + printable(cmd) + "`"})
		assigned = true
	}
	if !assigned {
		p.unsupported(pos, "shell command `%s`", cmd)
	}
}

const pythonUnsupported = "%{ … }% Python block (the emulator runs no Python)"
