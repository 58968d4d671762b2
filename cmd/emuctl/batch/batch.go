// Package batch is `emuctl batch`: apply a file of operations to a
// session in one call (the API's Batch), in order.
package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/ladder"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Options are `emuctl batch`'s settings.
type Options struct {
	Session string
	// File is the operations' file; "-" reads the standard input.
	File             string
	Kinds            []string
	OmitExplanations bool
	In               io.Reader
}

// NewCmd is `emuctl batch`.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "batch SESSION -f FILE [--kind K...] [--omit-explanations]",
		Short: "Apply a file of operations to a session in one call, in order",
		Long: `Reads operations from FILE (YAML or JSON; - for the standard input) and applies
them to SESSION in one Batch call, in order. The file holds a list of
operations, or a document whose "operations" key does; each is one
BatchOperation of the API, named like its field (create_endpoint, listen,
connect, send, receive, close, abort, inject, advance, set_path, delete_path,
create_fault_rule, delete_fault_rule, cut, heal, get_endpoint, delete_endpoint)
with the request's fields. Session and parent fields may be left out, and a
"name" may be an endpoint's ID alone ("client"; a fault rule's for
delete_fault_rule).

A malformed operation fails the whole call before anything is applied
(INVALID_ARGUMENT naming operations[i]). Otherwise the operations apply one by
one and the first that fails stops the batch: those before it stay applied.
emuctl then prints what was done and exits 1.

Output: each operation's result and its events; -o json or yaml: the
BatchResponse.`,
		Example: `  cat > ops.yaml <<'END'
  - create_endpoint: {endpoint_id: server, endpoint: {local: {ip: 10.0.0.2, port: 80}}}
  - create_endpoint: {endpoint_id: client, endpoint: {local: {ip: 10.0.0.1, port: 40000}}}
  - listen: {name: server}
  - connect: {name: client, remote: {ip: 10.0.0.2, port: 80}}
  - advance: {until_idle: {}}
  END
  emuctl batch s1 -f ops.yaml
  emuctl batch s1 -f ops.json --kind state-change -o json`,
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = cmdutil.SessionName(args[0]); err != nil {
				return err
			}
			o.In = cmd.InOrStdin()
			return run(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.File, "file", "f", "", "the operations: a YAML or JSON file, - for the standard input (required)")
	f.StringSliceVar(&o.Kinds, "kind", nil, "return only events of these kinds (all are still logged)")
	f.BoolVar(&o.OmitExplanations, "omit-explanations", false, "leave the rule explanations out of the returned events (faster)")
	_ = cmd.MarkFlagRequired("file")
	_ = cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions(printer.KindNames(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func run(ctx context.Context, g *cmdutil.Globals, o *Options) error {
	kinds, err := printer.ParseKinds(o.Kinds)
	if err != nil {
		return err
	}
	ops, err := readOperations(o)
	if err != nil {
		return err
	}
	for _, op := range ops {
		shortNames(op, o.Session)
	}
	req := &pb.BatchRequest{Session: o.Session, Operations: ops, Language: g.Lang, Kinds: kinds, OmitExplanations: o.OmitExplanations}
	r, err := cmdutil.Do(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.BatchResponse, error) {
		return c.Batch(ctx, req)
	})
	if err != nil {
		return err
	}
	if err := printer.Print(g.Out, g.Output, r, func(w io.Writer) error { return table(w, g, req, r) }); err != nil {
		return err
	}
	if r.FailedOperation != nil {
		i := r.GetFailedOperation()
		res := r.Results[len(r.Results)-1]
		return fmt.Errorf("operation %d (%s) failed, the %d after it were not applied: %s",
			i, opName(req.Operations[i]), len(req.Operations)-int(i)-1, printer.OperationError(res.GetError()))
	}
	return nil
}

// readOperations parses the file: YAML (JSON is YAML) into generic
// values, then as JSON into the API's messages, so that the field names
// and value spellings are protojson's and a typo is an error.
func readOperations(o *Options) ([]*pb.BatchOperation, error) {
	var b []byte
	var err error
	if o.File == "-" {
		b, err = io.ReadAll(o.In)
	} else {
		b, err = os.ReadFile(o.File)
	}
	if err != nil {
		return nil, cmdutil.Usagef("-f %s: %v", o.File, err)
	}
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, cmdutil.Usagef("-f %s: not YAML or JSON: %v", o.File, err)
	}
	if m, ok := doc.(map[string]any); ok {
		doc = m["operations"]
	}
	list, ok := doc.([]any)
	if !ok || len(list) == 0 {
		return nil, cmdutil.Usagef("-f %s: want a list of operations (or a document with an \"operations\" list)", o.File)
	}
	ops := make([]*pb.BatchOperation, len(list))
	for i, v := range list {
		j, err := json.Marshal(v)
		if err != nil {
			return nil, cmdutil.Usagef("-f %s: operation %d: %v", o.File, i, err)
		}
		ops[i] = &pb.BatchOperation{}
		if err := protojson.Unmarshal(j, ops[i]); err != nil {
			return nil, cmdutil.Usagef("-f %s: operation %d: %v", o.File, i, err)
		}
	}
	return ops, nil
}

// shortNames turns an operation's bare "name": "client" into the
// resource name under session (faultRules for delete_fault_rule,
// endpoints for the rest).
func shortNames(op *pb.BatchOperation, session string) {
	r := op.ProtoReflect()
	fd := r.WhichOneof(r.Descriptor().Oneofs().ByName("operation"))
	if fd == nil || fd.Kind() != protoreflect.MessageKind {
		return
	}
	m := r.Get(fd).Message()
	nf := m.Descriptor().Fields().ByName("name")
	if nf == nil || nf.Kind() != protoreflect.StringKind {
		return
	}
	name := m.Get(nf).String()
	if name == "" || strings.Contains(name, "/") {
		return
	}
	collection := "endpoints"
	if fd.Name() == "delete_fault_rule" {
		collection = "faultRules"
	}
	m.Set(nf, protoreflect.ValueOfString(session+"/"+collection+"/"+name))
}

func opName(op *pb.BatchOperation) string {
	r := op.ProtoReflect()
	if fd := r.WhichOneof(r.Descriptor().Oneofs().ByName("operation")); fd != nil {
		return string(fd.Name())
	}
	return "nothing"
}

// table prints each operation's result and its events.
func table(w io.Writer, g *cmdutil.Globals, req *pb.BatchRequest, r *pb.BatchResponse) error {
	for i, res := range r.Results {
		status := "ok"
		if res.Error != nil {
			status = "FAILED " + printer.OperationError(res.Error)
		}
		if _, err := fmt.Fprintf(w, "[%d] %s: %s\n", i, opName(req.Operations[i]), status); err != nil {
			return err
		}
		if g.Ladder {
			continue // one ladder of every event, below
		}
		first, n := int(res.FirstEvent), int(res.EventCount)
		if first+n > len(r.Events) {
			n = max(0, len(r.Events)-first)
		}
		if n > 0 {
			if err := printer.Events(w, r.Events[first:first+n], g.Colorful(g.Out)); err != nil {
				return err
			}
		}
	}
	if g.Ladder && len(r.Events) > 0 {
		return ladder.Draw(w, r.Events, printer.LadderOptions(g, g.Out))
	}
	return nil
}
