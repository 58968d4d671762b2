// Package cmdutil holds what every emuctl command shares: the global flags,
// dialing the daemon, and the errors that choose the exit code.
package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// AddrEnv names the environment variable that sets --addr's default.
const AddrEnv = "EMUD_ADDR"

// DefaultAddr is where emud listens when started without --listen.
const DefaultAddr = "127.0.0.1:7411"

// Globals are the root command's persistent flags and the streams every
// command writes to.
type Globals struct {
	// Addr is the daemon's address: host:port or unix:PATH.
	Addr string
	// Output is the -o format: "table", "json" or "yaml".
	Output string
	// Lang is the language of the explanations the server writes: "en"
	// or "ko".
	Lang string
	// Ladder draws a command's events as a ladder diagram (--ladder);
	// Absolute prints its SEQ and ACK as on the wire (--absolute).
	Ladder, Absolute bool
	// Color is --color: "auto", "always" or "never" (see Colorful).
	Color  string
	Out    io.Writer
	ErrOut io.Writer
}

// OutputsAnnotation, on a command, lists the -o formats it supports when
// they are not all of them ("table,json").
const OutputsAnnotation = "emuctl/outputs"

// DefaultAddress is $EMUD_ADDR, else DefaultAddr.
func DefaultAddress() string {
	if a := os.Getenv(AddrEnv); a != "" {
		return a
	}
	return DefaultAddr
}

// Target turns "host:port" or "unix:PATH" into a gRPC target. host:port
// goes through the passthrough resolver: no DNS for an IP literal.
func Target(addr string) (string, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if path == "" {
			return "", Usagef("--addr unix:PATH needs a path")
		}
		return "unix:" + path, nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", Usagef("--addr %q: want host:port or unix:PATH", addr)
	}
	return "passthrough:///" + addr, nil
}

// IsLocal reports whether addr is a unix socket or a loopback host:port
// ("localhost" included).
func IsLocal(addr string) bool {
	if strings.HasPrefix(addr, "unix:") {
		return true
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// Dial opens a client connection to the daemon (insecure: emud listens on
// loopback or a unix socket unless told otherwise). The connection is
// lazy: the first call dials.
func Dial(addr string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	target, err := Target(addr)
	if err != nil {
		return nil, err
	}
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20)),
	}, opts...)
	conn, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	return conn, nil
}

// UsageError is a mistake on the command line: exit code 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef makes a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// ExitCode is 0 for nil, 2 for a UsageError, else 1.
func ExitCode(err error) int {
	var u *UsageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &u):
		return 2
	default:
		return 1
	}
}
