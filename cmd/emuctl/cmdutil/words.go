package cmdutil

import (
	"errors"
	"strings"
)

// SplitWords breaks a command line into words as a POSIX shell would for
// simple cases: blanks separate words, single quotes keep everything,
// double quotes keep blanks (a backslash escapes " and \ inside them), a
// backslash outside quotes escapes the next character. It reports whether
// the line ends inside a word (for completion: the last word is being
// typed) and fails on an unterminated quote.
func SplitWords(line string) (words []string, open bool, err error) {
	var cur strings.Builder
	inWord := false
	quote := rune(0)
	escaped := false
	for _, r := range line {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				escaped = true
			default:
				cur.WriteRune(r)
			}
		case r == '\\':
			escaped, inWord = true, true
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, false, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, inWord, nil
}
