// Package server is tcpemu's gRPC service (tcpemu.v1.EmulatorService): it
// validates requests, converts them to the emulator's values, applies them
// to a session under that session's lock, and maps errors to status codes
// in one place (errors.go). It holds no protocol logic: the emulator
// decides everything about TCP.
//
// Concurrency: sessions live in a registry; each has one mutex, so calls
// on one session apply in order while different sessions progress in
// parallel. Watchers wait on a per-session channel that is closed and
// replaced whenever events are appended, and read the session's log at
// their own pace — a slow one is never skipped.
package server

import (
	"cmp"
	"runtime"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
	"github.com/tcpemu/tcpemu/store"
)

// Limits bound what one client can make the daemon do. Exceeding one is
// RESOURCE_EXHAUSTED; zero fields take the defaults.
type Limits struct {
	// Sessions alive at once.
	MaxSessions int
	// Endpoints per session created with CreateEndpoint (a listener's
	// children are bounded by its backlog instead).
	MaxEndpointsPerSession int
	// Octets in one Send, Connect or Inject payload.
	MaxPayload int
	// Octets in one request message (gRPC's receive limit).
	MaxMessageSize int
	// Pending items one Advance (or one Batch advance operation) may
	// process.
	MaxAdvanceSteps int
	// Operations in one Batch.
	MaxBatchOperations int
	// Events in one WatchResponse or ListEvents page.
	MaxEventsPerMessage int
	// Events each session keeps in its log; older ones are trimmed, and a
	// Watch that needs them ends with OUT_OF_RANGE.
	MaxLogEvents int
	// Events one call (an Advance, or a whole Batch) may cause. The step
	// bound alone does not bound them: two endpoints ACKing each other's
	// unacceptable segments with no delay make events forever, and 1M
	// steps of that is ~3M events, ~1 GiB of response built under the
	// session's lock. At the cap an advance stops early (complete=false)
	// and a Batch fails its next operation with RESOURCE_EXHAUSTED.
	MaxEventsPerCall int
}

// DefaultLimits are the limits a zero Limits gets.
var DefaultLimits = Limits{
	MaxSessions:            10000,
	MaxEndpointsPerSession: 100000,
	MaxPayload:             1 << 20,
	MaxMessageSize:         16 << 20,
	MaxAdvanceSteps:        1000000,
	MaxBatchOperations:     100000,
	MaxEventsPerMessage:    4096,
	// 131,072 events a session: the log keeps between one and two such
	// windows (8 to 16 MiB of 64-octet events, emulator/log.go), and a
	// watcher further behind than this is told so with OUT_OF_RANGE rather
	// than the daemon holding every event in memory. emud's disk store
	// keeps a smaller window (its journal serves older reads).
	MaxLogEvents: 1 << 17,
	// 131,072 events: at most ~43 MiB of response with Korean explanations
	// (~330 octets an event), under the 64 MiB send limit; emuctl bench's
	// lifecycles (~33 events each) fit about 4,000 to a Batch.
	MaxEventsPerCall: 1 << 17,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.MaxSessions, d.MaxSessions)
	set(&l.MaxEndpointsPerSession, d.MaxEndpointsPerSession)
	set(&l.MaxPayload, d.MaxPayload)
	set(&l.MaxMessageSize, d.MaxMessageSize)
	set(&l.MaxAdvanceSteps, d.MaxAdvanceSteps)
	set(&l.MaxBatchOperations, d.MaxBatchOperations)
	set(&l.MaxEventsPerMessage, d.MaxEventsPerMessage)
	set(&l.MaxLogEvents, d.MaxLogEvents)
	set(&l.MaxEventsPerCall, d.MaxEventsPerCall)
	return l
}

// Options configure a Server.
type Options struct {
	Limits Limits
	// Logger receives one line per RPC and every recovered panic.
	Logger zerolog.Logger
	// Version is reported in logs.
	Version string
	// Store journals every session (see package store); nil keeps
	// sessions in memory only. Call Recover before serving.
	Store store.Store
	// SnapshotInputs and SnapshotEvents: a durable session is snapshotted
	// once this many inputs or events were journaled since its last
	// snapshot (0: 10,000 and 1,048,576), bounding its replay on start.
	SnapshotInputs, SnapshotEvents int
}

// Server implements tcpemu.v1.EmulatorService.
type Server struct {
	pb.UnimplementedEmulatorServiceServer

	limits                 Limits
	log                    zerolog.Logger
	reg                    *registry
	health                 *health.Server
	store                  store.Store // nil: memory only
	snapInputs, snapEvents uint64
	damage                 map[string]string // NoteDamage's notes, for Recover
	commitBufs             sync.Pool         // *[]byte: a journaled call's input and events (journal.go)

	stopping chan struct{} // closed by Shutdown: streams end with UNAVAILABLE
	stopOnce sync.Once
	wallNow  func() time.Time
}

// New creates a server with no sessions.
func New(o Options) *Server {
	return &Server{
		limits:     o.Limits.withDefaults(),
		log:        o.Logger,
		reg:        &registry{sessions: make(map[string]*session)},
		store:      o.Store,
		snapInputs: uint64(cmp.Or(max(o.SnapshotInputs, 0), defaultSnapshotInputs)),
		snapEvents: uint64(cmp.Or(max(o.SnapshotEvents, 0), defaultSnapshotEvents)),
		health:     health.NewServer(),
		stopping:   make(chan struct{}),
		wallNow:    time.Now,
	}
}

// ServiceName is the gRPC service name, as reflection and health list it.
const ServiceName = "tcpemu.v1.EmulatorService"

// NewGRPCServer makes a grpc.Server serving s, with the interceptors
// (panic recovery, one log line per RPC), the message size limit, server
// reflection and the standard health service, which are always on.
func NewGRPCServer(s *Server, opts ...grpc.ServerOption) *grpc.Server {
	opts = append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.logUnary, s.recoverUnary),
		grpc.ChainStreamInterceptor(s.logStream, s.recoverStream),
		grpc.MaxRecvMsgSize(s.limits.MaxMessageSize),
		grpc.MaxSendMsgSize(max(s.limits.MaxMessageSize, 64<<20)),
		// Long-lived stream workers keep their grown goroutine stacks: with a
		// fresh goroutine per RPC, growing the stack was 18% of emud's CPU
		// on small unary calls (pprof, emuctl bench unary).
		grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))),
		// gRPC's proto codec, which also keeps the octets of a request to
		// journal (rawrequest.go).
		grpc.ForceServerCodecV2(newRawCodec()),
	}, opts...)
	gs := grpc.NewServer(opts...)
	gs.RegisterService(emulatorServiceDesc(), s)
	healthpb.RegisterHealthServer(gs, s.health)
	reflection.Register(gs)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(ServiceName, healthpb.HealthCheckResponse_SERVING)
	return gs
}

// Shutdown begins a graceful stop: health turns NOT_SERVING and every
// stream ends with UNAVAILABLE, telling its client to reconnect and resume
// (Watch with after_seq). Unary calls in flight finish; the caller then
// runs grpc.Server.GracefulStop. Shutdown is idempotent.
func (s *Server) Shutdown() {
	s.stopOnce.Do(func() {
		s.health.Shutdown()
		close(s.stopping)
	})
}
