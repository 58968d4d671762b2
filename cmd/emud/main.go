// Command emud is the tcpemu daemon. The gRPC API it will serve is defined
// in proto/tcpemu/v1; the server itself is not built yet (issue 4), so for
// now emud says so and exits.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "emud: not yet — the gRPC server is still being built (issue 4).")
	fmt.Fprintln(os.Stderr, "The emulator core is ready: see emulator/ and run `make test`.")
	os.Exit(1)
}
