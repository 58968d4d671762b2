// Package demo is `emuctl demo TOPIC`: narrated walk-throughs of the
// seed's topics — the handshakes, TIME-WAIT, the simultaneous cases, a
// refused connection, a half-close — each an ordinary session on the
// daemon that the user can keep poking at afterwards.
//
// A topic is a list of steps. Each step says what is about to happen (in
// English or Korean), makes its API calls, and draws the events they
// caused as the next rows of one growing ladder. Between steps the demo
// waits for Enter unless --auto.
package demo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/ladder"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
	"github.com/tcpemu/tcpemu/render"
)

// pathDelay is every demo's one-way delay.
const pathDelay = 10 * time.Millisecond

// Options are `emuctl demo`'s settings.
type Options struct {
	Topic string
	// Auto runs every step without waiting for Enter.
	Auto bool
	// Session names the demo's session; "" picks demo-TOPIC (with a
	// number after it when that is taken).
	Session string
	// Explain writes each transition's RFC explanation under the ladder's
	// rows too (the narration already tells the story).
	Explain bool
	In      io.Reader
}

// NewCmd is `emuctl demo`.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "demo [TOPIC] [--auto] [--lang en|ko]",
		Short: "Narrated walk-throughs of TCP's handshakes, TIME-WAIT and friends, live on the daemon",
		Long: `Walks through one topic step by step: what is about to happen and why (in
English or Korean, --lang), then the step's calls on the daemon and the events
they caused, drawn as the next rows of a ladder. Press Enter for the next step
(q and Enter to stop), or pass --auto to run them all.

Each demo is an ordinary session on emud (demo-TOPIC unless --session says
otherwise): when it ends, keep poking at it with any other command.

Without a topic, lists the topics.`,
		Example: `  emuctl demo
  emuctl demo handshake
  emuctl demo time-wait --auto --lang ko
  emuctl demo close --session mine && emuctl endpoint get mine/client`,
		Args:              cmdutil.RangeArgs(0, 1, "at most one topic"),
		ValidArgsFunction: completeTopics,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return list(g)
			}
			o.Topic, o.In = args[0], cmd.InOrStdin()
			return run(cmd.Context(), g, o)
		},
	}
	cmd.Flags().BoolVar(&o.Auto, "auto", false, "run every step without waiting for Enter")
	cmd.Flags().StringVar(&o.Session, "session", "", "the session to create for the demo (default demo-TOPIC)")
	cmd.Flags().BoolVar(&o.Explain, "explain", false, "also write each transition's RFC explanation under the ladder")
	// The demo prints a story, not a document.
	cmd.Annotations = map[string]string{cmdutil.OutputsAnnotation: "table"}
	return cmd
}

func completeTopics(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, t := range topics {
		out = append(out, t.name+"\t"+t.title[0])
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// list prints the topics, one line each.
func list(g *cmdutil.Globals) error {
	l := langIndex(g.Lang)
	w := tabwriter.NewWriter(g.Out, 0, 0, 2, ' ', 0)
	printer.Row(w, "TOPIC", "WHAT IT SHOWS")
	for _, t := range topics {
		printer.Row(w, t.name, t.short[l])
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(g.Out, "\n"+[...]string{"Run one: emuctl demo TOPIC (--auto: no pauses; --lang ko: in Korean)", "실행: emuctl demo TOPIC (--auto: 멈추지 않고 끝까지, --lang en: 영어로)"}[l])
	return err
}

func find(name string) (*topic, error) {
	var names []string
	for i := range topics {
		if topics[i].name == name {
			return &topics[i], nil
		}
		names = append(names, topics[i].name)
	}
	return nil, cmdutil.Usagef("no demo %q: want one of %s (emuctl demo lists them)", name, strings.Join(names, ", "))
}

func langIndex(lang string) int {
	if lang == "ko" {
		return 1
	}
	return 0
}

// demoRun is one demo in progress.
type demoRun struct {
	g       *cmdutil.Globals
	o       *Options
	t       *topic
	l       int // 0 English, 1 Korean
	c       pb.EmulatorServiceClient
	ctx     context.Context
	session string // sessions/ID
	in      *bufio.Reader
	live    *ladder.Live
	width   int
}

func run(ctx context.Context, g *cmdutil.Globals, o *Options) error {
	t, err := find(o.Topic)
	if err != nil {
		return err
	}
	c, done, err := g.Client()
	if err != nil {
		return err
	}
	defer done()
	r := &demoRun{g: g, o: o, t: t, l: langIndex(g.Lang), c: c, ctx: ctx, in: bufio.NewReader(o.In), width: cmdutil.Width(g.Out)}
	if err := r.createSession(); err != nil {
		return err
	}
	lo := printer.LadderOptions(g, g.Out)
	lo.Columns = t.columns
	lo.Terse = !o.Explain
	lo.TimeWidth = len("4m0.13s") // TIME-WAIT's end, so the header is drawn once
	r.live = ladder.NewLive(g.Out, lo, false)
	id := cmdutil.LastSegment(r.session)
	r.printf("%s\n%s\n", r.bold(t.title[r.l]), fmt.Sprintf(msgSession[r.l], id))
	for i, s := range t.steps {
		if i > 0 && !r.pause(i+1) {
			break
		}
		if err := r.step(i, s); err != nil {
			return err
		}
	}
	r.printf("\n"+msgEnd[r.l], id, id, id, fmt.Sprintf(t.poke, id), id)
	return nil
}

// createSession creates the demo's session: --session, else demo-TOPIC,
// demo-TOPIC-2, … (the first that is free).
func (r *demoRun) createSession() error {
	names := []string{r.o.Session}
	if r.o.Session == "" {
		names = []string{"demo-" + r.t.name}
		for i := 2; i <= 20; i++ {
			names = append(names, fmt.Sprintf("demo-%s-%d", r.t.name, i))
		}
	}
	for _, id := range names {
		ctx, cancel := cmdutil.CallContext(r.ctx)
		s, err := r.c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: id, Session: r.t.session()})
		cancel()
		if status.Code(err) == codes.AlreadyExists && len(names) > 1 {
			continue
		}
		if err != nil {
			return fmt.Errorf("create session %s: %w", id, err)
		}
		r.session = s.Name
		// Every segment takes 10 ms each way, so that segments in
		// flight show and crossing ones cross.
		_, err = call(r, "set the default path", func(ctx context.Context) (*pb.SetPathResponse, error) {
			return r.c.SetPath(ctx, &pb.SetPathRequest{Session: r.session, Path: &pb.Path{Delay: durationpb.New(pathDelay)}})
		})
		return err
	}
	return fmt.Errorf("create a session for the demo: demo-%s to demo-%s-20 are all taken (--session NAME picks another)", r.t.name, r.t.name)
}

// pause waits for Enter before step n; false means stop. At the end of
// the input (a script, /dev/null) the remaining steps run on.
func (r *demoRun) pause(n int) bool {
	if r.o.Auto {
		return true
	}
	r.printf("%s ", r.dim(fmt.Sprintf(msgPause[r.l], n, len(r.t.steps))))
	line, err := r.in.ReadString('\n')
	if err != nil {
		r.o.Auto = true
		r.printf("\n")
		return true
	}
	return strings.TrimSpace(strings.ToLower(line)) != "q"
}

// step narrates step i, makes its calls and draws their events.
func (r *demoRun) step(i int, s step) error {
	r.printf("\n%s\n", r.bold(fmt.Sprintf(msgStep[r.l], i+1, len(r.t.steps), s.title[r.l])))
	for _, line := range render.Wrap(s.say[r.l], r.width-2) {
		r.printf("  %s\n", line)
	}
	r.printf("\n")
	var evs []*pb.Event
	for _, op := range s.ops {
		got, err := op(r)
		if err != nil {
			return err
		}
		evs = append(evs, got...)
	}
	return r.live.Write(evs)
}

func (r *demoRun) printf(format string, args ...any) {
	fmt.Fprintf(r.g.Out, format, args...)
}

func (r *demoRun) bold(s string) string {
	if r.g.Colorful(r.g.Out) {
		return "\x1b[1m" + s + "\x1b[0m"
	}
	return s
}

func (r *demoRun) dim(s string) string {
	if r.g.Colorful(r.g.Out) {
		return "\x1b[2m" + s + "\x1b[0m"
	}
	return s
}

var (
	msgSession = [2]string{
		"Session: %s, an ordinary session on emud: the ladder below is its event log.",
		"세션: %s — emud의 평범한 세션이며, 아래 래더는 이 세션의 이벤트 기록입니다.",
	}
	msgStep  = [2]string{"Step %d/%d: %s", "%d/%d단계: %s"}
	msgPause = [2]string{"[Enter: step %d of %d, q: stop]", "[Enter: %d/%d단계로, q: 그만]"}
	msgEnd   = [2]string{
		"The demo is over; session %s stays on emud. Keep poking at it:\n  emuctl endpoint list %s\n  emuctl events %s --ladder\n  emuctl %s\n  emuctl session delete %s   # when done\n",
		"데모가 끝났습니다. 세션 %s: emud에 그대로 남아 있으니 계속 살펴보세요:\n  emuctl endpoint list %s\n  emuctl events %s --ladder\n  emuctl %s\n  emuctl session delete %s   # 다 봤으면 지우기\n",
	}
)
