package main_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from emuctl's current output")

// goldenFile compares got with testdata/name.golden (-update rewrites it;
// review the diff like code).
func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/emuctl -run %s -update creates it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./cmd/emuctl -run %s -update rewrites it)\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}

var demoTopics = []string{"handshake", "close", "time-wait", "simultaneous-open", "simultaneous-close", "refused", "half-close"}

// Every demo, run with --auto against a real emud, in English and in
// Korean, tells its story as the golden file does: narration, the ladder
// of each step's events, and the session left for the user. Each language
// has its own daemon, so the sessions are demo-TOPIC in both.
func TestDemoGoldens(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"en", "ko"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			a := startEmud(t).addr
			for _, topic := range demoTopics {
				out := ok(t, a, "demo", topic, "--auto", "--lang", lang)
				goldenFile(t, "demo/"+topic+"."+lang, out)
			}
			// The session stays: the user can keep poking at it.
			if out := ok(t, a, "endpoint", "get", "demo-close/client"); len(lines(out, "state:", "CLOSED")) != 1 {
				t.Errorf("demo-close/client after the demo:\n%s", out)
			}
			if out := ok(t, a, "endpoint", "get", "demo-half-close/server-1", "-o", "json"); !strings.Contains(out, `"STATE_CLOSED"`) {
				t.Errorf("demo-half-close/server-1 after the demo:\n%s", out)
			}
		})
	}
}

// --color always colours the demo's headings and its ladder even when
// piped; a second run of the same demo picks the next free session name.
func TestDemoColorAndSessionNames(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	goldenFile(t, "demo/handshake.color", ok(t, a, "demo", "handshake", "--auto", "--color", "always"))
	out := ok(t, a, "demo", "handshake", "--auto")
	if !strings.Contains(out, "Session: demo-handshake-2,") || strings.Contains(out, "\x1b[") {
		t.Errorf("second run:\n%s", out)
	}
	if r := emuctl(t, a, "demo", "handshake", "--auto", "--session", "demo-handshake"); r.code != 1 || !strings.Contains(r.stderr, "ALREADY_EXISTS") {
		t.Errorf("--session taken: %s", r)
	}
}

// Step by step: the demo waits for Enter before each step after the
// first, and q stops it (exit 0) with the session left as it is.
func TestDemoStepByStep(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, emuctlBin, "demo", "close")
	cmd.Env = append(os.Environ(), "EMUD_ADDR="+a, "LANG=C", "GORACE=atexit_sleep_ms=0")
	cmd.Stdin = strings.NewReader("\n\nq\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{"Step 1/7", "[Enter: step 2 of 7, q: stop]", "Step 3/7: The FIN arrives: CLOSE-WAIT", "[Enter: step 4 of 7, q: stop]", "session demo-close stays on emud"} {
		if !strings.Contains(s, want) {
			t.Errorf("lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Step 4/7") {
		t.Errorf("q did not stop the demo:\n%s", s)
	}
	if out := ok(t, a, "endpoint", "get", "demo-close/client"); len(lines(out, "FIN-WAIT-1")) != 1 {
		t.Errorf("the client after step 3 of close:\n%s", out)
	}
}

// `emuctl demo` lists the topics; an unknown one is a usage error.
func TestDemoList(t *testing.T) {
	t.Parallel()
	out := ok(t, "127.0.0.1:1", "demo")
	for _, topic := range demoTopics {
		if !strings.Contains(out, "\n"+topic+" ") {
			t.Errorf("demo list lacks %s:\n%s", topic, out)
		}
	}
	if ko := ok(t, "127.0.0.1:1", "demo", "--lang", "ko"); !containsHangul(ko) {
		t.Errorf("demo list in Korean:\n%s", ko)
	}
	if r := emuctl(t, "127.0.0.1:1", "demo", "tls"); r.code != 2 || !strings.Contains(r.stderr, `no demo "tls"`) {
		t.Errorf("%s", r)
	}
}
