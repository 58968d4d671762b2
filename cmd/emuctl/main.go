// Command emuctl is the command line of tcpemu: it talks to a running emud
// over the gRPC API (proto/tcpemu/v1).
//
//	emuctl bench lifecycles --duration 10s      # the API's figures (issue 4)
//	emuctl bench idle --pid $(pgrep -n emud)
//
// Exit codes: 0 ok, 1 error, 2 usage. Each command lives in its own package
// under cmd/emuctl/ with an options struct and a run function.
package main

import (
	"os"

	"github.com/tcpemu/tcpemu/cmd/emuctl/root"
)

func main() {
	os.Exit(root.Main(os.Args[1:], os.Stdout, os.Stderr))
}
