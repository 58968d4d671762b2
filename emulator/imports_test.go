package emulator_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEmulatorImportsOnlyTheStandardLibrary enforces DESIGN.md's rule that
// the pure core depends on nothing but the standard library (and its own
// sub-packages), so that it can never pick up I/O, goroutines or global state
// through a dependency.
func TestEmulatorImportsOnlyTheStandardLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		"github.com/tcpemu/tcpemu/emulator/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if !strings.HasPrefix(p, "github.com/tcpemu/tcpemu/emulator") {
			t.Errorf("emulator depends on %s; it may import only the standard library", p)
		}
	}
}

// TestEmulatorHasNoImpureImports keeps wall clocks, goroutine tools, global
// randomness and I/O packages out of the core's own code.
func TestEmulatorHasNoImpureImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}: {{join .Imports \" \"}}",
		"github.com/tcpemu/tcpemu/emulator/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	banned := []string{"os", "net", "sync", "math/rand", "math/rand/v2", "crypto/rand", "io", "io/fs", "os/exec", "syscall", "runtime", "unsafe"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		for _, imp := range strings.Fields(imports) {
			for _, b := range banned {
				if imp == b {
					t.Errorf("%s imports %s: the core must stay pure (no I/O, goroutine tools, global randomness)", pkg, imp)
				}
			}
		}
	}
}
