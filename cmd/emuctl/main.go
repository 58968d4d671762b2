// Command emuctl is the command line of tcpemu: it talks to a running emud
// over the gRPC API (proto/tcpemu/v1).
//
//	emuctl session create s1 --seed 7
//	emuctl endpoint create s1/server --local 10.0.0.2:80
//	emuctl endpoint listen s1/server
//	emuctl clock advance s1 --until-idle
//	emuctl watch s1 -o json
//	emuctl bench lifecycles --duration 10s      # the API's figures (issue 4)
//
// Nouns: session, endpoint, clock, inject, batch, path, fault, partition,
// peer, events, watch, export; tools: demo, shell, bench, completion.
// Global flags: --addr (env EMUD_ADDR), -o table|json|yaml, --lang en|ko,
// --ladder, --color auto|always|never. Exit codes: 0 ok, 1 error, 2 usage.
// Each command lives in its own package under cmd/emuctl/ with an options
// struct and a run function; cmd/emuctl/printer is the one -o printer.
package main

import (
	"os"

	"github.com/tcpemu/tcpemu/cmd/emuctl/root"
)

func main() {
	os.Exit(root.Main(os.Args[1:], os.Stdout, os.Stderr))
}
