//go:build race

package main_test

// raceEnabled builds emud and emuctl with -race too when the tests run
// with it, so a data race in either fails the test that caused it.
const raceEnabled = true
