package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"time"

	"github.com/rs/zerolog"
)

// servePprof serves the runtime profiles (go tool pprof
// http://ADDR/debug/pprof/profile) on a loopback address only: they expose
// the daemon's internals and can slow it down, so never to the network.
// The handlers are on a mux of their own, not http.DefaultServeMux.
func servePprof(addr string, log zerolog.Logger) (stop func(), err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof %q: want a loopback host:port: %w", addr, err)
	}
	if ip, err := netip.ParseAddr(host); host != "localhost" && (err != nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("--pprof %q: only a loopback address is allowed", addr)
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn().Err(err).Msg("pprof server stopped")
		}
	}()
	log.Warn().Str("pprof", "http://"+lis.Addr().String()+"/debug/pprof/").Msg("serving runtime profiles (loopback only)")
	return func() { hs.Close() }, nil
}
