package server

import (
	"strings"
	"testing"
)

func TestResourceNames(t *testing.T) {
	long := strings.Repeat("a", 63)
	for _, tc := range []struct {
		name     string
		ok       bool
		session  string
		endpoint string
	}{
		{"sessions/s1/endpoints/client", true, "s1", "client"},
		{"sessions/s1/endpoints/server-12", true, "s1", "server-12"},
		{"sessions/s1/endpoints/" + long + "-7", true, "s1", long + "-7"},
		{"sessions/s1/endpoints/" + long[:62] + "-7", true, "s1", long[:62] + "-7"},
		{"sessions/S1/endpoints/a", false, "", ""},
		{"sessions/s1/endpoint/a", false, "", ""},
		{"sessions/s1/endpoints/", false, "", ""},
		{"sessions/s1/endpoints/a/b", false, "", ""},
		{"s1/a", false, "", ""},
		{"sessions/s1/endpoints/1a", false, "", ""},
	} {
		ref, err := parseEndpointName(tc.name)
		if (err == nil) != tc.ok || tc.ok && (ref.session != tc.session || ref.endpoint != tc.endpoint) {
			t.Errorf("%q: %+v, %v", tc.name, ref, err)
		}
	}
	for id, ok := range map[string]bool{"a": true, "s-1": true, long: true, long + "a": false, "a-": false, "-a": false, "A": false, "a_b": false, "": false} {
		if validID(id) != ok {
			t.Errorf("validID(%q) = %v", id, !ok)
		}
	}
	if id := newSessionID(); !validID(id) {
		t.Errorf("generated session ID %q is not valid", id)
	}
}
