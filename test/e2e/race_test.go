//go:build race

package e2e

// raceEnabled builds emud with -race too when the tests run with it, so a
// data race in the daemon fails the test that caused it.
const raceEnabled = true
