package shell

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/ladder"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// previewLines is how many of the coming rows the hint under the prompt
// shows: the newest.
const previewLines = 12

// lastLines is the last n lines of s, without its final newline.
func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

// catchUp bounds the wait, before a prompt, for the watch to deliver the
// events the last command caused.
const catchUp = 2 * time.Second

// liveLadder follows the session in use with a Watch stream and draws its
// new events as ladder rows: each prompt flushes what arrived, so the rows
// of a command's events appear right under its output. Events that arrive
// while the prompt waits (someone else's commands) show at once under the
// prompt, their rows in the line editor's hint area (safe to write from
// this goroutine); Enter draws them for good.
type liveLadder struct {
	s       *Shell
	session string // sessions/ID
	client  pb.EmulatorServiceClient
	hangUp  func()
	cancel  context.CancelFunc
	exited  chan struct{}
	wake    chan struct{}
	draw    *ladder.Live

	mu      sync.Mutex
	pending []*pb.Event
	seen    uint64 // the newest seq received
	err     error  // why the stream ended
}

// startLive checks that the session exists and follows its events from
// now on (`ladder` draws what came before).
func startLive(s *Shell, session string) (*liveLadder, error) {
	c, hangUp, err := s.g.Client()
	if err != nil {
		return nil, err
	}
	ctx, cancel := cmdutil.CallContext(context.Background())
	sess, err := c.GetSession(ctx, &pb.GetSessionRequest{Name: session})
	cancel()
	if err != nil {
		hangUp()
		return nil, fmt.Errorf("use %s: %w", cmdutil.LastSegment(session), err)
	}
	lo := printer.LadderOptions(s.g, s.out)
	lo.Terse = true
	ctx, cancel = context.WithCancel(context.Background())
	l := &liveLadder{
		s: s, session: session, client: c, hangUp: hangUp, cancel: cancel,
		exited: make(chan struct{}), wake: make(chan struct{}, 1),
		draw: ladder.NewLive(s.out, lo, false), seen: sess.LastEventSeq,
	}
	go l.follow(ctx, sess.LastEventSeq)
	return l, nil
}

func (l *liveLadder) follow(ctx context.Context, after uint64) {
	defer close(l.exited)
	st, err := l.client.Watch(ctx, &pb.WatchRequest{Session: l.session, AfterSeq: after, Language: l.s.g.Lang})
	for err == nil {
		var r *pb.WatchResponse
		if r, err = st.Recv(); err != nil {
			break
		}
		if len(r.Events) == 0 {
			continue // the stream's "caught up" marker
		}
		l.mu.Lock()
		l.pending = append(l.pending, r.Events...)
		l.seen = r.Events[len(r.Events)-1].Seq
		waiting := len(l.pending)
		rows, perr := l.draw.Preview(l.pending)
		hint := fmt.Sprintf("%d new event(s) in %s: Enter draws them", waiting, cmdutil.LastSegment(l.session))
		if perr == nil && rows != "" {
			hint += "\n" + lastLines(rows, previewLines)
		}
		// Under mu, so that a flush that has drawn these rows clears
		// the hint after it is set, never before.
		l.s.rl.Hint.SetTransient(hint)
		l.mu.Unlock()
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	l.mu.Lock()
	if ctx.Err() == nil {
		l.err = err
	}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// flush waits (boundedly) until the watch has caught up with the
// session's log, then draws every event received and not yet drawn.
func (l *liveLadder) flush(w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), catchUp)
	defer cancel()
	sess, err := l.client.GetSession(ctx, &pb.GetSessionRequest{Name: l.session})
	if err != nil {
		return fmt.Errorf("follow %s: %w", cmdutil.LastSegment(l.session), err)
	}
	for {
		l.mu.Lock()
		seen, ended := l.seen, l.err
		l.mu.Unlock()
		if seen >= sess.LastEventSeq || ended != nil {
			break
		}
		select {
		case <-l.wake:
		case <-ctx.Done():
			return nil // drawn at the next prompt
		}
	}
	l.mu.Lock()
	evs, ended := l.pending, l.err
	l.pending, l.err = nil, nil
	err = l.draw.Write(evs)
	l.s.rl.Hint.ClearTransient()
	l.mu.Unlock()
	if err != nil {
		return err
	}
	if ended != nil {
		return fmt.Errorf("follow %s: %w", cmdutil.LastSegment(l.session), ended)
	}
	return nil
}

func (l *liveLadder) stop() {
	l.cancel()
	<-l.exited
	l.hangUp()
}
