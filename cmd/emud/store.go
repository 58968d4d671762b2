package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/tcpemu/tcpemu/server"
	"github.com/tcpemu/tcpemu/store"
)

// storeOptions are the store's flags.
type storeOptions struct {
	kind       string // "disk" or "memory"
	dataDir    string
	sync       string
	interval   time.Duration
	maxEvents  uint64
	syncRecord int
	snapInputs int
}

func storeFlags(fs *flag.FlagSet, o *storeOptions) {
	fs.StringVar(&o.kind, "store", "disk", "where sessions live: disk (journaled to --data-dir, restored on start) or memory (lost when emud stops)")
	fs.StringVar(&o.dataDir, "data-dir", "", "the store's directory (default $XDG_STATE_HOME/tcpemu, or ~/.local/state/tcpemu)")
	fs.StringVar(&o.sync, "sync", "batch", "when the journal reaches the disk: "+
		"always (a call is answered only after its input and events are fsynced: a power cut loses nothing answered), "+
		"batch (fsync at least every --sync-interval: a power cut loses at most the calls answered in that last interval), "+
		"none (never fsync: a power cut may lose anything). In every mode a crash of emud alone loses nothing answered")
	fs.DurationVar(&o.interval, "sync-interval", 20*time.Millisecond, "with --sync batch, the longest time between fsyncs")
	fs.IntVar(&o.syncRecord, "sync-records", 4096, "with --sync batch, fsync sooner once this many calls wait")
	fs.IntVar(&o.snapInputs, "snapshot-inputs", 10000, "snapshot a session every this many journaled calls (and every 1,048,576 events, and at shutdown): a start replays at most that many")
	fs.Uint64Var(&o.maxEvents, "max-stored-events", 10_000_000, "events kept on disk per session; older ones are deleted first (Watch from before them ends with OUT_OF_RANGE)")
}

// defaultDataDir is $XDG_STATE_HOME/tcpemu, else ~/.local/state/tcpemu.
func defaultDataDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "tcpemu"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no data directory: %w; set --data-dir (EMUD_DATA_DIR) or use --store memory", err)
	}
	return filepath.Join(home, ".local", "state", "tcpemu"), nil
}

// openStore opens the store the flags ask for; nil for --store memory.
// A torn journal tail is logged and returned, to be noted in the status of
// the session it belonged to.
func openStore(o storeOptions, log zerolog.Logger) (store.Store, *store.TornTail, error) {
	switch o.kind {
	case "memory":
		log.Info().Msg("store: memory: sessions are lost when emud stops")
		return nil, nil, nil
	case "disk":
	default:
		return nil, nil, fmt.Errorf("--store %q: want disk or memory", o.kind)
	}
	mode, err := store.ParseSyncMode(o.sync)
	if err != nil {
		return nil, nil, fmt.Errorf("--sync: %w", err)
	}
	dir := o.dataDir
	if dir == "" {
		if dir, err = defaultDataDir(); err != nil {
			return nil, nil, err
		}
	}
	st, rep, err := store.Open(dir, store.Options{Sync: mode, SyncInterval: o.interval, SyncRecords: o.syncRecord,
		MaxEventsPerSession: o.maxEvents, Format: server.StoreFormat})
	if err != nil {
		return nil, nil, fmt.Errorf("store: %w", err)
	}
	if rep.Torn != nil {
		log.Warn().Str("damage", rep.Torn.String()).Str("session", rep.Torn.Session).
			Msg("store: the journal's tail was torn or corrupt (a power cut mid-write?); recovered to the last valid record, the octets after it are gone")
	}
	log.Info().Str("data_dir", dir).Str("sync", mode.String()).Int("journal_records_moved", rep.Replayed).Msg("store: opened")
	return st, rep.Torn, nil
}

// recoverSessions restores the stored sessions and logs how it went.
func recoverSessions(srv *server.Server, st store.Store, torn *store.TornTail, log zerolog.Logger) error {
	if st == nil {
		return nil
	}
	if torn != nil && torn.Session != "" {
		srv.NoteDamage(torn.Session, "the journal's tail was torn (a power cut mid-write?): this session's newest journaled call(s) were lost: "+torn.String())
	}
	rep, err := srv.Recover()
	if err != nil {
		st.Close()
		return fmt.Errorf("recover sessions: %w (emud check tells more)", err)
	}
	ev := log.Info()
	if rep.Truncated+rep.Diverged+rep.Failed > 0 {
		ev = log.Warn()
	}
	ev.Int("sessions", rep.Sessions).Int("exact", rep.Exact).Int("truncated", rep.Truncated).
		Int("diverged", rep.Diverged).Int("failed", rep.Failed).Uint64("inputs", rep.Inputs).
		Uint64("events", rep.Events).Dur("took", rep.Took).Msg("store: sessions restored")
	return nil
}

func closeStore(st store.Store, log zerolog.Logger) {
	if st == nil {
		return
	}
	if err := st.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
		log.Error().Err(err).Msg("store: close")
	}
}

// runCheck is `emud check`: 0 healthy, 1 damaged, 2 unreadable or misused.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emud check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data-dir", os.Getenv("EMUD_DATA_DIR"), "the data directory to check (default as emud's)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *dir == "" {
		d, err := defaultDataDir()
		if err != nil {
			fmt.Fprintln(stderr, "emud check:", err)
			return 2
		}
		*dir = d
	}
	rep, err := store.Check(*dir, server.StoreFormat)
	if err != nil {
		fmt.Fprintln(stderr, "emud check:", err)
		return 2
	}
	fmt.Fprintf(stdout, "data dir %s: %d sessions, %d inputs, %d events stored; %d journal records not yet checkpointed\n",
		*dir, rep.Sessions, rep.Inputs, rep.Events, rep.JournalRecords)
	if rep.OK() {
		fmt.Fprintln(stdout, "ok: no damage found")
		return 0
	}
	fmt.Fprintf(stdout, "DAMAGED: %d problems (emud recovers each session to its last valid record on start and says so):\n  %s\n",
		len(rep.Problems), strings.Join(rep.Problems, "\n  "))
	return 1
}
