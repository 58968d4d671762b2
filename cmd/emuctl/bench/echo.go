package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"google.golang.org/grpc"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// The bare echo server the unary figure is compared with: gRPC-go with no
// interceptors, one method that returns its request. It speaks the same
// message as the emud call (a GetSessionRequest), so only the server's
// work differs.
//
// It runs in a process of its own, as emud does: served from inside the
// load tool it shared the tool's runtime and scheduler, and no process
// switch stood between caller and server, which flattered it by about a
// tenth on a 2-core machine.
const echoMethod = "/tcpemu.bench.Echo/Echo"

// echoKind is the hidden bench kind the echo's process runs.
const echoKind = "echo-server"

var echoService = grpc.ServiceDesc{
	ServiceName: "tcpemu.bench.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(pb.GetSessionRequest)
			if err := dec(in); err != nil {
				return nil, err
			}
			return in, nil
		},
	}},
}

// serveEcho is `emuctl bench echo-server`: it listens on addr ("unix:PATH"
// or a loopback host:port), prints the address it serves on as one line,
// and serves until its standard input closes (its parent ended).
func serveEcho(addr string, out io.Writer) error {
	var lis net.Listener
	var err error
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		lis, err = net.Listen("unix", path)
	} else {
		lis, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("echo server: %w", err)
	}
	gs := grpc.NewServer()
	gs.RegisterService(&echoService, struct{}{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		gs.Stop()
	}()
	if strings.HasPrefix(addr, "unix:") {
		fmt.Fprintln(out, addr)
	} else {
		fmt.Fprintln(out, lis.Addr().String())
	}
	return gs.Serve(lis)
}

// startEcho starts the echo in a child process of this executable on the
// same kind of transport as addr: a loopback port, or a unix socket in a
// temporary directory.
func startEcho(addr string) (echoAddr string, stop func(), err error) {
	listen, dir := "127.0.0.1:0", ""
	if strings.HasPrefix(addr, "unix:") {
		if dir, err = os.MkdirTemp("", "emuctl-echo"); err != nil {
			return "", nil, err
		}
		listen = "unix:" + filepath.Join(dir, "echo.sock")
	}
	cleanup := func() {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	self, err := os.Executable()
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("echo server: %w", err)
	}
	cmd := exec.Command(self, "bench", echoKind, "--addr", listen)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cleanup()
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cleanup()
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("echo server: %w", err)
	}
	stop = func() {
		stdin.Close() // the child stops serving when its input closes
		_ = cmd.Wait()
		cleanup()
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("echo server did not start: %w", err)
	}
	return strings.TrimSpace(line), stop, nil
}
