package cmdutil

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// CallTimeout bounds one unary call; Watch has none.
const CallTimeout = 30 * time.Second

// Client dials the daemon at g.Addr. Call the returned func when done.
func (g *Globals) Client() (pb.EmulatorServiceClient, func(), error) {
	conn, err := Dial(g.Addr)
	if err != nil {
		return nil, nil, err
	}
	return pb.NewEmulatorServiceClient(conn), func() { conn.Close() }, nil
}

// CallContext is ctx bounded by CallTimeout, for one unary call.
func CallContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, CallTimeout)
}

// DefaultLang is the --lang default: "ko" when LC_ALL, LC_MESSAGES or
// LANG (the first one set, as setlocale reads them) names Korean, else
// "en".
func DefaultLang() string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			if strings.HasPrefix(strings.ToLower(l), "ko") {
				return "ko"
			}
			return "en"
		}
	}
	return "en"
}

// SessionName turns "s1" or "sessions/s1" into "sessions/s1". The ID is
// not checked here: the server says what is wrong with it.
func SessionName(arg string) (string, error) {
	id := strings.TrimPrefix(arg, "sessions/")
	if id == "" || strings.Contains(id, "/") {
		return "", Usagef("%q: want a session ID (s1) or name (sessions/s1)", arg)
	}
	return "sessions/" + id, nil
}

// ChildName turns "s1/x" or "sessions/s1/<collection>/x" into
// "sessions/s1/<collection>/x": endpoints and faultRules are named so.
func ChildName(arg, collection string) (string, error) {
	rest := strings.TrimPrefix(arg, "sessions/")
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 2 && parts[0] != "" && parts[1] != "":
		return "sessions/" + parts[0] + "/" + collection + "/" + parts[1], nil
	case len(parts) == 3 && parts[1] == collection && parts[0] != "" && parts[2] != "":
		return "sessions/" + rest, nil
	}
	return "", Usagef("%q: want SESSION/ID (s1/client) or sessions/SESSION/%s/ID", arg, collection)
}

// EndpointName is ChildName for endpoints.
func EndpointName(arg string) (string, error) { return ChildName(arg, "endpoints") }

// FaultRuleName is ChildName for fault rules.
func FaultRuleName(arg string) (string, error) { return ChildName(arg, "faultRules") }

// SessionOf is the "sessions/s1" part of an endpoint or fault rule name.
func SessionOf(name string) string {
	parts := strings.SplitN(name, "/", 3)
	if len(parts) < 2 {
		return name
	}
	return parts[0] + "/" + parts[1]
}

// LastSegment is the ID at the end of a resource name.
func LastSegment(name string) string { return name[strings.LastIndex(name, "/")+1:] }

// ParseAddress reads --flag ip:port. Only the shape is checked here (a
// usage error); the server validates the IP and the port range and names
// the field it rejects.
func ParseAddress(flag, s string) (*pb.Address, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return nil, Usagef("--%s %q: want ip:port (10.0.0.1:80, [fd00::1]:80)", flag, s)
	}
	p, err := strconv.ParseUint(port, 10, 32)
	if err != nil {
		return nil, Usagef("--%s %q: the port must be a number", flag, s)
	}
	return &pb.Address{Ip: host, Port: uint32(p)}, nil
}

// ParseHost reads --flag as a host: "10.0.0.1" (port 0), or ip:port where
// the message allows a port.
func ParseHost(flag, s string) (*pb.Address, error) {
	if s == "" {
		return nil, nil
	}
	if _, _, err := net.SplitHostPort(s); err == nil {
		return ParseAddress(flag, s)
	}
	return &pb.Address{Ip: strings.Trim(s, "[]")}, nil
}

// FormatAddress prints an address as ip:port ("" when unset).
func FormatAddress(a *pb.Address) string {
	if a == nil || a.Ip == "" {
		return ""
	}
	return net.JoinHostPort(a.Ip, strconv.FormatUint(uint64(a.Port), 10))
}

// ExactArgs is cobra.ExactArgs with a usage error that names what is
// expected.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return Usagef("%s needs %s (got %d argument(s))\nSee '%s --help'.", cmd.CommandPath(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// RangeArgs is cobra.RangeArgs with a usage error.
func RangeArgs(min, max int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return Usagef("%s takes %s (got %d argument(s))\nSee '%s --help'.", cmd.CommandPath(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// Unavailable adds what to do when the daemon cannot be reached.
func Unavailable(addr string) string {
	return fmt.Sprintf("is emud running at %s? Start it, or set --addr or $%s", addr, AddrEnv)
}

// Do dials the daemon, makes one call bounded by CallTimeout, and hangs
// up.
func Do[R any](ctx context.Context, g *Globals, call func(context.Context, pb.EmulatorServiceClient) (R, error)) (R, error) {
	var zero R
	c, done, err := g.Client()
	if err != nil {
		return zero, err
	}
	defer done()
	ctx, cancel := CallContext(ctx)
	defer cancel()
	return call(ctx, c)
}

// ListAll walks a List method's pages until the server returns no
// next_page_token. page makes one call with the token it is given, keeps
// what the page holds, and returns the page's next token.
func ListAll(ctx context.Context, g *Globals, page func(ctx context.Context, c pb.EmulatorServiceClient, token string) (next string, err error)) error {
	_, err := Do(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (struct{}, error) {
		for token := ""; ; {
			next, err := page(ctx, c, token)
			if err != nil || next == "" {
				return struct{}{}, err
			}
			token = next
		}
	})
	return err
}
