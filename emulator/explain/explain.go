// Package explain turns the emulator's coded events into words: each
// rule's plain-language explanation in English and Korean, and one-line
// descriptions of events in RFC 9293's notation. The emulator stores only
// codes; text is made here, on demand.
package explain

import (
	"fmt"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// Lang is a language explanations are written in.
type Lang uint8

// The languages.
const (
	English Lang = iota
	Korean
	numLangs
)

// ParseLang reads "en" or "ko" (an empty string is English).
func ParseLang(s string) (Lang, error) {
	switch s {
	case "", "en", "english":
		return English, nil
	case "ko", "korean":
		return Korean, nil
	}
	return English, fmt.Errorf("unknown language %q (want en or ko)", s)
}

// String is the language's code.
func (l Lang) String() string {
	if l == Korean {
		return "ko"
	}
	return "en"
}

// Rule explains a rule in the given language: what happened and why, in a
// sentence or two a student can learn from.
func Rule(r tcp.Rule, lang Lang) string {
	if int(r) < len(ruleText) && lang < numLangs {
		if t := ruleText[r][lang]; t != "" {
			return t
		}
	}
	return r.Name()
}
