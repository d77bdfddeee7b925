package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"

	"go.uber.org/zap"
)

// servePprof serves Go's profiling endpoints on addr, which must be a loopback address: profiles
// reveal query data and the endpoints take no token. It is how engine hot spots are found under a
// real client (`go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=20`).
func servePprof(addr string, logger *zap.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%q is not a loopback address; profiling endpoints have no authentication, use 127.0.0.1:PORT", addr)
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	logger.Info("profiling endpoints listening", zap.String("addr", listener.Addr().String()))
	go func() {
		if err := http.Serve(listener, mux); err != nil {
			logger.Warn("profiling endpoints stopped", zap.Error(err))
		}
	}()
	return nil
}
