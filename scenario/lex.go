package scenario

import (
	"strings"
)

// tokKind is a lexical token's kind.
type tokKind uint8

const (
	tokEOF      tokKind = iota
	tokNewline          // the end of a statement (never inside (), [], {})
	tokNum              // 12, 0.5, .1, 0x2 (text kept; parsed by the user)
	tokWord             // letters, digits, _ (SOCK_STREAM, ack, sackOK)
	tokPunct            // one character: + ~ * < > : ( ) [ ] { } , = | - . ; & !
	tokEllipsis         // ...
	tokString           // "text"
	tokCommand          // `shell command` (text without the backticks)
	tokCode             // %{ python }% (text without the markers)
	tokOption           // --name or --name=value at the start of a statement
	tokOther            // any other character (only legal inside a note)
)

// token is one lexical token and where it starts.
type token struct {
	kind tokKind
	text string
	pos  Pos
}

// lexError is a scanning problem; the parser reports it as a ParseError.
type lexError struct {
	pos Pos
	msg string
}

// lexer turns a script into tokens. Comments (// and /* */) are dropped;
// newlines inside brackets do not end a statement.
type lexer struct {
	src       string
	off       int
	line, col int
	depth     int // open ( [ {
	atStart   bool
	toks      []token
	errs      []lexError
}

// lex scans the whole script.
func lex(src string) ([]token, []lexError) {
	l := &lexer{src: src, line: 1, col: 1, atStart: true}
	l.run()
	return l.toks, l.errs
}

func (l *lexer) pos() Pos { return Pos{l.line, l.col} }

func (l *lexer) peek(n int) byte {
	if l.off+n < len(l.src) {
		return l.src[l.off+n]
	}
	return 0
}

// advance moves over n bytes, keeping line and column.
func (l *lexer) advance(n int) {
	for i := 0; i < n && l.off < len(l.src); i++ {
		if l.src[l.off] == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		l.off++
	}
}

func (l *lexer) emit(k tokKind, text string, p Pos) {
	l.toks = append(l.toks, token{kind: k, text: text, pos: p})
	l.atStart = k == tokNewline
}

func (l *lexer) newline(p Pos) {
	if len(l.toks) > 0 && l.toks[len(l.toks)-1].kind != tokNewline {
		l.emit(tokNewline, "", p)
	}
	l.atStart = true
}

func (l *lexer) run() {
	for l.off < len(l.src) {
		c := l.src[l.off]
		p := l.pos()
		switch {
		case c == '\n':
			if l.depth == 0 {
				l.newline(p)
			}
			l.advance(1)
		case c == ' ' || c == '\t' || c == '\r':
			l.advance(1)
		case c == '/' && l.peek(1) == '/':
			end := strings.IndexByte(l.src[l.off:], '\n')
			if end < 0 {
				end = len(l.src) - l.off
			}
			l.advance(end)
		case c == '/' && l.peek(1) == '*':
			end := strings.Index(l.src[l.off+2:], "*/")
			if end < 0 {
				l.errs = append(l.errs, lexError{p, "unterminated /* comment"})
				l.advance(len(l.src))
				continue
			}
			l.advance(end + 4)
		case c == '%' && l.peek(1) == '{':
			end := strings.Index(l.src[l.off+2:], "}%")
			if end < 0 {
				l.errs = append(l.errs, lexError{p, "unterminated %{ block (want }%)"})
				l.advance(len(l.src))
				continue
			}
			l.emit(tokCode, l.src[l.off+2:l.off+2+end], p)
			l.advance(end + 4)
		case c == '`':
			end := strings.IndexByte(l.src[l.off+1:], '`')
			if end < 0 || strings.Contains(l.src[l.off+1:l.off+1+end], "\n") {
				l.errs = append(l.errs, lexError{p, "unterminated ` command"})
				l.skipLine()
				continue
			}
			l.emit(tokCommand, l.src[l.off+1:l.off+1+end], p)
			l.advance(end + 2)
		case c == '"':
			l.str(p)
		case c == '-' && l.peek(1) == '-' && l.atStart && l.depth == 0:
			end := strings.IndexAny(l.src[l.off:], " \t\r\n")
			if end < 0 {
				end = len(l.src) - l.off
			}
			l.emit(tokOption, l.src[l.off+2:l.off+end], p)
			l.advance(end)
		case c == '.' && l.peek(1) == '.' && l.peek(2) == '.':
			l.emit(tokEllipsis, "...", p)
			l.advance(3)
		case isDigit(c) || (c == '.' && isDigit(l.peek(1))):
			l.number(p)
		case isWordStart(c):
			n := 1
			for l.off+n < len(l.src) && isWordChar(l.src[l.off+n]) {
				n++
			}
			l.emit(tokWord, l.src[l.off:l.off+n], p)
			l.advance(n)
		case strings.IndexByte("+~*<>:()[]{},=|-.;&!", c) >= 0:
			switch c {
			case '(', '[', '{':
				l.depth++
			case ')', ']', '}':
				if l.depth > 0 {
					l.depth--
				}
			}
			l.emit(tokPunct, string(c), p)
			l.advance(1)
		default:
			l.emit(tokOther, string(c), p)
			l.advance(1)
		}
	}
	l.newline(l.pos())
	l.emit(tokEOF, "", l.pos())
}

// skipLine drops the rest of the line after a scanning error.
func (l *lexer) skipLine() {
	end := strings.IndexByte(l.src[l.off:], '\n')
	if end < 0 {
		end = len(l.src) - l.off
	}
	l.advance(end)
}

func (l *lexer) str(p Pos) {
	var b strings.Builder
	for i := l.off + 1; i < len(l.src); i++ {
		switch l.src[i] {
		case '\\':
			if i+1 < len(l.src) {
				i++
				b.WriteByte(l.src[i])
			}
		case '"':
			l.emit(tokString, b.String(), p)
			l.advance(i + 1 - l.off)
			return
		case '\n':
			l.errs = append(l.errs, lexError{p, "unterminated string"})
			l.advance(i - l.off)
			return
		default:
			b.WriteByte(l.src[i])
		}
	}
	l.errs = append(l.errs, lexError{p, "unterminated string"})
	l.advance(len(l.src))
}

// number scans 12, 0.5, .1, 1e-3 or 0x1F. A '.' belongs to the number
// only when a digit follows it, so "0...0.2" is 0, ..., 0.2.
func (l *lexer) number(p Pos) {
	i := l.off
	if l.src[i] == '0' && (l.peek(1) == 'x' || l.peek(1) == 'X') {
		i += 2
		for i < len(l.src) && isHex(l.src[i]) {
			i++
		}
	} else {
		for i < len(l.src) && isDigit(l.src[i]) {
			i++
		}
		if i+1 < len(l.src) && l.src[i] == '.' && isDigit(l.src[i+1]) {
			i++
			for i < len(l.src) && isDigit(l.src[i]) {
				i++
			}
		}
	}
	// A word glued to a number (a hex cookie such as 4d2c) stays one word.
	if i < len(l.src) && isWordChar(l.src[i]) {
		for i < len(l.src) && isWordChar(l.src[i]) {
			i++
		}
		l.emit(tokWord, l.src[l.off:i], p)
		l.advance(i - l.off)
		return
	}
	l.emit(tokNum, l.src[l.off:i], p)
	l.advance(i - l.off)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
func isWordStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
func isWordChar(c byte) bool { return isWordStart(c) || isDigit(c) }
