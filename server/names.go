package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
)

// Resource names follow Google AIP-122: "sessions/{session}" and
// "sessions/{session}/endpoints/{endpoint}". IDs chosen by clients follow
// AIP-122's recommendation (RFC 1034 labels): 1-63 characters of lowercase
// letters, digits and hyphens, starting with a letter.

const (
	sessionsCollection   = "sessions"
	endpointsCollection  = "endpoints"
	faultRulesCollection = "faultRules"
	maxIDLength          = 63
)

// validID reports whether id is a client-choosable resource ID.
func validID(id string) bool {
	if len(id) == 0 || len(id) > maxIDLength || id[0] < 'a' || id[0] > 'z' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return !strings.HasSuffix(id, "-")
}

// sessionName is "sessions/{id}".
func sessionName(id string) string { return sessionsCollection + "/" + id }

// endpointName is "sessions/{session}/endpoints/{endpoint}".
func endpointName(session, endpoint string) string {
	return sessionsCollection + "/" + session + "/" + endpointsCollection + "/" + endpoint
}

// parseSessionName reads "sessions/{id}". Server-picked IDs are valid IDs
// too, so the same check applies to every name.
func parseSessionName(name string) (string, error) {
	id, ok := strings.CutPrefix(name, sessionsCollection+"/")
	if !ok || !validID(id) {
		return "", fmt.Errorf("want %q, got %q", "sessions/{session}", name)
	}
	return id, nil
}

// endpointRef names one endpoint of one session.
type endpointRef struct {
	session  string
	endpoint string
}

func (r endpointRef) String() string { return endpointName(r.session, r.endpoint) }

// parseEndpointName reads "sessions/{session}/endpoints/{endpoint}".
// Endpoint IDs the server picks for a listener's children contain only
// the characters a client's may, but may be longer.
func parseEndpointName(name string) (endpointRef, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != sessionsCollection || parts[2] != endpointsCollection ||
		!validID(parts[1]) || !validChildID(parts[3]) {
		return endpointRef{}, fmt.Errorf("want %q, got %q", "sessions/{session}/endpoints/{endpoint}", name)
	}
	return endpointRef{session: parts[1], endpoint: parts[3]}, nil
}

// validChildID accepts client IDs and the server's IDs for a listener's
// children ("{listener}-{n}"), which use the same characters but may be
// longer than 63 or end in a digit after a hyphen-ended prefix.
func validChildID(id string) bool {
	if len(id) <= maxIDLength && validID(id) {
		return true
	}
	if len(id) == 0 || len(id) > 2*maxIDLength || id[0] < 'a' || id[0] > 'z' {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// newSessionID picks an ID for a session created without one: "s-" and
// twelve random hex digits (48 bits: collisions are checked anyway).
func newSessionID() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "s-" + hex.EncodeToString(b[:])
}
