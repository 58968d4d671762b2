// Package printer is emuctl's one -o printer: every command hands it the
// API's response and, for table output, a function that draws the table.
//
//	table  for people: aligned columns, events one line each
//	json   for scripts: protojson with the proto's field names and no
//	       unset fields; stable as the API is (64-bit integers are strings)
//	yaml   the same document as YAML
package printer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Formats are the values -o accepts.
var Formats = []string{"table", "json", "yaml"}

// Valid reports whether format is one of Formats.
func Valid(format string) bool {
	for _, f := range Formats {
		if f == format {
			return true
		}
	}
	return false
}

// JSON is m as emuctl's stable JSON: proto field names, unset fields left
// out, indented, with a final newline.
func JSON(m proto.Message) ([]byte, error) {
	b, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: false}.Marshal(m)
	if err != nil {
		return nil, err
	}
	// protojson deliberately varies its spacing between runs; re-indent
	// so the output is byte-stable for scripts and diffs.
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// YAML is JSON(m) as YAML. The JSON is parsed as YAML (JSON is a subset),
// which keeps the key order; every node is then given the block style, and
// strings that would read as another type ("7" for a uint64) stay quoted.
func YAML(m proto.Message) ([]byte, error) {
	j, err := JSON(m)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(j, &doc); err != nil {
		return nil, err
	}
	blockStyle(&doc)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// Print writes m in format: table calls table with a tabwriter (flushed
// afterwards); json and yaml print m itself.
func Print(w io.Writer, format string, m proto.Message, table func(w io.Writer) error) error {
	switch format {
	case "json", "yaml":
		marshal := JSON
		if format == "yaml" {
			marshal = YAML
		}
		b, err := marshal(m)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if err := table(tw); err != nil {
		return err
	}
	return tw.Flush()
}

// Row writes one tab-separated table row.
func Row(w io.Writer, cells ...any) {
	for i, c := range cells {
		if i > 0 {
			io.WriteString(w, "\t")
		}
		fmt.Fprint(w, c)
	}
	io.WriteString(w, "\n")
}

// KV writes "key:\tvalue" rows for a detail view, skipping empty values.
func KV(w io.Writer, pairs ...string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			fmt.Fprintf(w, "%s:\t%s\n", pairs[i], pairs[i+1])
		}
	}
}

// Dash is s, or "-" when empty: table cells are never blank.
func Dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// Fields are a message's set fields as key=value, in the proto's order:
// ProfileOverrides in a detail view ("msl=2m0s", "syn_retries=6").
func Fields(m proto.Message) []string {
	if m == nil || !m.ProtoReflect().IsValid() {
		return nil
	}
	var out []string
	r := m.ProtoReflect()
	fields := r.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if !r.Has(fd) {
			continue
		}
		v := r.Get(fd)
		s := v.String()
		if d, ok := v.Interface().(protoreflect.Message); ok {
			if dur, ok := d.Interface().(*durationpb.Duration); ok {
				s = dur.AsDuration().String()
			}
		}
		out = append(out, string(fd.Name())+"="+s)
	}
	return out
}

// JSONLine is m as one line of compact, byte-stable JSON (a stream's
// records: `watch -o json` prints one event per line).
func JSONLine(m proto.Message) ([]byte, error) {
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
