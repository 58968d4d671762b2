// Package peer is `emuctl peer attach`: play an external host in a
// session from the terminal (or a script) — see the segments the session
// sends to it, and answer with hand-made ones.
package peer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/inject"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Options are `emuctl peer attach`'s settings.
type Options struct {
	Session string
	Hosts   []string
	After   uint64
	// Count stops after this many segments received; 0: at the end of
	// the input.
	Count int
	In    io.Reader
}

// NewCmd is `emuctl peer`.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "peer <command>",
		Short: "Play an external host: receive the segments sent to it, send its own",
		Example: `  emuctl peer attach s1 --host 192.0.2.9
  emuctl peer attach s1 --host 192.0.2.9 --count 1 -o json`,
	}
	cmd.AddCommand(newAttachCmd(g))
	return cmd
}

func newAttachCmd(g *cmdutil.Globals) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "attach SESSION [--host IP...] [--after N] [--count N]",
		Short: "Attach as an external host: print segments addressed to it, send segments read from the input",
		Long: `Attaches to SESSION as the external hosts --host names (no endpoint of the
session may live on them; none: every external host no other peer claims). Each
segment the session sends to them is printed as it arrives (-o json: one
AttachExternalPeerResponse per line). Remember that the clock moves only when
someone advances it (emuctl clock advance).

Each line of the input sends one segment from a claimed host, written as
emuctl inject's flags (--src --dst --flags --seq [--ack --win --mss --data ...]
[--via-network]) or as an ExternalPeerSend in JSON ({"segment": {...}}); the
events it caused, or why it was refused, are printed. Attach ends once every
segment sent is answered and either --count segments have arrived or, without
--count, the input has ended; or on Ctrl-C.`,
		Example: `  emuctl peer attach s1 --host 192.0.2.9
  # then type, for a SYN from 10.0.0.1:40000 that arrived with SEQ 1000:
  --src 192.0.2.9:80 --dst 10.0.0.1:40000 --flags SYN,ACK --seq 5000 --ack 1001
  # scripted: wait for one segment, answer nothing
  emuctl peer attach s1 --host 192.0.2.9 --count 1 < /dev/null`,
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = cmdutil.SessionName(args[0]); err != nil {
				return err
			}
			o.In = cmd.InOrStdin()
			return attach(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Hosts, "host", nil, "an external host to play: an IP (repeatable or comma-separated)")
	f.Uint64Var(&o.After, "after", 0, "also print segments handed out after this event seq (0: only new ones)")
	f.IntVar(&o.Count, "count", 0, "stop after this many segments have arrived (0: at the end of the input)")
	cmd.Annotations = map[string]string{cmdutil.OutputsAnnotation: "table,json"}
	return cmd
}

// peer is one attached stream.
type peer struct {
	g      *cmdutil.Globals
	o      *Options
	mu     sync.Mutex // guards writes to g.Out and the counters below
	got    int
	sent   uint64 // sends made
	answer uint64 // sends answered
	closed bool   // the input ended
}

func attach(ctx context.Context, g *cmdutil.Globals, o *Options) error {
	c, hangUp, err := g.Client()
	if err != nil {
		return err
	}
	defer hangUp()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := c.AttachExternalPeer(ctx)
	if err != nil {
		return fmt.Errorf("attach to %s: %w", o.Session, err)
	}
	err = st.Send(&pb.AttachExternalPeerRequest{Message: &pb.AttachExternalPeerRequest_Attach{Attach: &pb.ExternalPeerAttach{
		Session: o.Session, Hosts: o.Hosts, Language: g.Lang, AfterSeq: o.After}}})
	if err != nil {
		return fmt.Errorf("attach to %s: %w", o.Session, err)
	}
	p := &peer{g: g, o: o}
	// The answer to attach comes first: a session that is not there, or a
	// host that is not external, ends it here.
	first, err := st.Recv()
	if err != nil {
		return fmt.Errorf("attach to %s: %w", o.Session, err)
	}
	if err := p.print(first); err != nil {
		return err
	}
	recvErr := make(chan error, 1)
	go func() { recvErr <- p.receive(st) }()
	inErr := make(chan error, 1)
	go func() { inErr <- p.read(st) }()
	for {
		select {
		case err := <-recvErr:
			if ctx.Err() != nil || errors.Is(err, errFinished) {
				return nil
			}
			return fmt.Errorf("attach to %s: %w", o.Session, err)
		case err := <-inErr:
			if err != nil {
				return err
			}
			inErr = nil // the input ended; finish once answered
			p.mu.Lock()
			p.closed = true
			finished := p.finished()
			p.mu.Unlock()
			if finished {
				return nil
			}
		case <-ctx.Done():
			return nil // interrupted: the usual way to stop
		}
	}
}

var errFinished = errors.New("finished")

// finished reports whether attach may end: every send answered, and
// --count segments received or, without --count, the input over. Call
// with mu held.
func (p *peer) finished() bool {
	if p.answer != p.sent {
		return false
	}
	if p.o.Count > 0 {
		return p.got >= p.o.Count
	}
	return p.closed
}

// receive prints what the server sends until the stream ends.
func (p *peer) receive(st pb.EmulatorService_AttachExternalPeerClient) error {
	for {
		r, err := st.Recv()
		if err != nil {
			return err
		}
		p.mu.Lock()
		err = p.print(r)
		switch r.Message.(type) {
		case *pb.AttachExternalPeerResponse_Segment:
			p.got++
		case *pb.AttachExternalPeerResponse_Sent:
			p.answer++
		}
		stop := p.finished()
		p.mu.Unlock()
		if err != nil {
			return err
		}
		if stop {
			return errFinished
		}
	}
}

func (p *peer) print(r *pb.AttachExternalPeerResponse) error {
	w := p.g.Out
	if p.g.Output == "json" {
		b, err := printer.JSONLine(r)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	switch m := r.Message.(type) {
	case *pb.AttachExternalPeerResponse_Attached:
		_, err := fmt.Fprintf(w, "attached to %s at %s (last event #%d)\n", p.o.Session, printer.Duration(m.Attached.Now), m.Attached.LastEventSeq)
		return err
	case *pb.AttachExternalPeerResponse_Segment:
		s := m.Segment
		_, err := fmt.Fprintf(w, "#%-5d %9s  received  %s\n", s.EventSeq, printer.Duration(s.Time), printer.SegmentText(s.Segment))
		return err
	case *pb.AttachExternalPeerResponse_Sent:
		s := m.Sent
		if s.Error != nil {
			_, err := fmt.Fprintf(w, "send %d refused: %s\n", s.Id, printer.OperationError(s.Error))
			return err
		}
		if _, err := fmt.Fprintf(w, "send %d:\n", s.Id); err != nil {
			return err
		}
		return printer.Events(w, s.Events, p.g.Colorful(w))
	}
	return nil
}

// read sends one segment per input line.
func (p *peer) read(st pb.EmulatorService_AttachExternalPeerClient) error {
	sc := bufio.NewScanner(p.o.In)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		send, err := parseSend(line)
		if err != nil {
			p.mu.Lock()
			fmt.Fprintf(p.g.ErrOut, "emuctl peer attach: %v\n", err)
			p.mu.Unlock()
			continue
		}
		p.mu.Lock()
		p.sent++
		send.Id = p.sent
		p.mu.Unlock()
		if err := st.Send(&pb.AttachExternalPeerRequest{Message: &pb.AttachExternalPeerRequest_Send{Send: send}}); err != nil {
			return fmt.Errorf("send: %w", err)
		}
	}
	return sc.Err()
}

// parseSend reads one input line: inject's flags, or an ExternalPeerSend
// in JSON.
func parseSend(line string) (*pb.ExternalPeerSend, error) {
	if strings.HasPrefix(line, "{") {
		var s pb.ExternalPeerSend
		if err := protojson.Unmarshal([]byte(line), &s); err != nil {
			return nil, fmt.Errorf("%q: %w", line, err)
		}
		return &s, nil
	}
	var seg inject.Segment
	f := pflag.NewFlagSet("send", pflag.ContinueOnError)
	f.SetOutput(io.Discard)
	seg.AddFlags(f)
	via := f.Bool("via-network", false, "")
	words, _, err := cmdutil.SplitWords(line)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", line, err)
	}
	if err := f.Parse(words); err != nil {
		return nil, fmt.Errorf("%q: %w", line, err)
	}
	s, err := seg.Build()
	if err != nil {
		return nil, fmt.Errorf("%q: %w", line, err)
	}
	return &pb.ExternalPeerSend{Segment: s, ViaNetwork: *via}, nil
}
