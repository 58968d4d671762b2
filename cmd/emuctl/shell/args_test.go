package shell_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/root"
	"github.com/tcpemu/tcpemu/cmd/emuctl/shell"
)

func TestSplitQuotesAsAShellDoes(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
		open bool
	}{
		{"", nil, false},
		{"  endpoint  get s1/a ", []string{"endpoint", "get", "s1/a"}, false},
		{"endpoint send c --data 'hello world'", []string{"endpoint", "send", "c", "--data", "hello world"}, true},
		{`send --data "say \"hi\"" x`, []string{"send", "--data", `say "hi"`, "x"}, true},
		{`a\ b c`, []string{"a b", "c"}, true},
		{"endpoint get ", []string{"endpoint", "get"}, false},
		{"--data ''", []string{"--data", ""}, true},
	} {
		got, open, err := cmdutil.SplitWords(tc.line)
		if err != nil || !reflect.DeepEqual(got, tc.want) || open != tc.open {
			t.Errorf("split(%q) = %q, %v, %v; want %q, %v", tc.line, got, open, err, tc.want, tc.open)
		}
	}
	if _, _, err := cmdutil.SplitWords(`send --data "oops`); err == nil {
		t.Error("an unterminated quote was accepted")
	}
}

// After `use s1`, commands that take SESSION or SESSION/ID get it; names
// given in full are left alone.
func TestWithSessionFillsInTheSessionInUse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"events", "events s1"},
		{"events --kind state-change", "events s1 --kind state-change"},
		{"events s2", "events s2"},
		{"endpoint get client", "endpoint get s1/client"},
		{"endpoint get s2/client", "endpoint get s2/client"},
		{"endpoint send client --data client", "endpoint send s1/client --data client"},
		{"endpoint send --data x client", "endpoint send --data x s1/client"},
		{"endpoint send --data client client", "endpoint send --data client s1/client"},
		{"endpoint send --urgent client --data=x", "endpoint send --urgent s1/client --data=x"},
		{"clock advance --until-idle", "clock advance s1 --until-idle"},
		{"partition cut 10.0.0.1 10.0.0.2", "partition cut s1 10.0.0.1 10.0.0.2"},
		{"path set --src 10.0.0.1 --dst 10.0.0.2 --delay 5ms", "path set s1 --src 10.0.0.1 --dst 10.0.0.2 --delay 5ms"},
		{"session create s3", "session create s3"},
		{"session list", "session list"},
		{"endpoint get", "endpoint get"},
		{"frobnicate", "frobnicate"},
	} {
		r := root.NewCmd(&cmdutil.Globals{})
		got := strings.Join(shell.WithSession(r, strings.Fields(tc.in), "s1"), " ")
		if got != tc.want {
			t.Errorf("%q → %q, want %q", tc.in, got, tc.want)
		}
	}
}
