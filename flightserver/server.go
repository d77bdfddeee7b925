// Package flightserver is Quiver's gRPC edge: Arrow Flight and Flight SQL on one port,
// authentication, sessions, and the mapping of error kinds to gRPC codes. It holds no plan
// logic: it hands plans to the planner and streams what exec produces.
package flightserver

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/quiverdata/quiver/exec"
)

// Config configures a server.
type Config struct {
	// Addr is host:port; port 0 picks a free port.
	Addr string
	// Token is the shared secret every call must present. Empty disables auth (loopback only).
	Token string
	// TLSCertFile and TLSKeyFile enable TLS when both are set.
	TLSCertFile, TLSKeyFile string
	// TicketTTL is how long an unread result ticket stays valid.
	TicketTTL time.Duration
	// MaxMessageBytes bounds one gRPC message (one record batch).
	MaxMessageBytes int
	// DefaultParallelism is the partition count of range() and shuffles; the core count by default.
	DefaultParallelism int
	// RowsPerPartition groups uploaded batches into stored partitions of about this many rows.
	RowsPerPartition int64
	// MemoryLimit bounds the bytes operators hold (hash tables, sort buffers, shuffle
	// buffers); past it they spill to SpillDir. 0 means unlimited.
	MemoryLimit int64
	// SpillDir is where spill files go; the system temp directory when empty.
	SpillDir string
	// Allocator for execution; memory.DefaultAllocator when nil.
	Allocator memory.Allocator
	Logger    *zap.Logger
}

// Server is a running Quiver Flight server.
type Server struct {
	flight.BaseFlightServer
	cfg      Config
	log      *zap.Logger
	mem      memory.Allocator
	store    *exec.BlockStore
	pool     *exec.MemoryPool
	grpc     *grpc.Server
	listener net.Listener
	sessions *sessionRegistry
	tickets  *ticketRegistry
	sql      flight.FlightServer
	stop     chan struct{}
	stopOnce sync.Once
}

// ValidateListenAddress refuses to expose a server that runs user code without protection: a
// non-loopback address needs a token or TLS.
func ValidateListenAddress(cfg Config) error {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("invalid listen address %q: %v (use host:port, e.g. 127.0.0.1:50051)", cfg.Addr, err)
	}
	if isLoopback(host) {
		return nil
	}
	if cfg.Token == "" && (cfg.TLSCertFile == "" || cfg.TLSKeyFile == "") {
		return fmt.Errorf("refusing to listen on %s without authentication: the server runs user code (UDFs). "+
			"Set a token (--token or QUIVER_TOKEN) and/or TLS (--tls-cert, --tls-key), or listen on 127.0.0.1", cfg.Addr)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// New validates the configuration and builds a server; Serve starts it.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if err := ValidateListenAddress(cfg); err != nil {
		return nil, err
	}
	if cfg.TicketTTL == 0 {
		cfg.TicketTTL = 10 * time.Minute
	}
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = 1 << 30
	}
	if cfg.DefaultParallelism <= 0 {
		cfg.DefaultParallelism = defaultParallelism()
	}
	if cfg.RowsPerPartition <= 0 {
		cfg.RowsPerPartition = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	mem := cfg.Allocator
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, mem: mem, store: exec.NewBlockStore(),
		sessions: newSessionRegistry(), tickets: newTicketRegistry(cfg.TicketTTL),
		stop: make(chan struct{}), pool: exec.NewMemoryPool(cfg.MemoryLimit),
	}
	s.pool.SpillDir = cfg.SpillDir
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.MaxMessageBytes),
		grpc.MaxSendMsgSize(cfg.MaxMessageBytes),
	}
	// Authentication runs first (and logs what it rejects); the logging interceptor inside it
	// logs every accepted call that fails, once, with its session and code.
	if cfg.Token != "" {
		opts = append(opts, grpc.ChainUnaryInterceptor(s.unaryAuth, s.unaryLog), grpc.ChainStreamInterceptor(s.streamAuth, s.streamLog))
	} else {
		opts = append(opts, grpc.ChainUnaryInterceptor(s.unaryNoAuth, s.unaryLog), grpc.ChainStreamInterceptor(s.streamNoAuth, s.streamLog))
	}
	if cfg.TLSCertFile != "" && cfg.TLSKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading TLS certificate: %w", err)
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})))
	}
	s.grpc = grpc.NewServer(opts...)
	flight.RegisterFlightServiceServer(s.grpc, s)
	if SQLServerFactory != nil {
		s.sql = SQLServerFactory(s)
	}
	return s, nil
}

// SQLServerFactory builds the Flight SQL handler sharing this server's catalog; set by the
// Flight SQL file of this package.
var SQLServerFactory func(s *Server) flight.FlightServer

// Listen binds the address; Addr is valid afterwards.
func (s *Server) Listen() error {
	l, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", s.cfg.Addr, err)
	}
	s.listener = l
	return nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// Serve serves until Shutdown; call Listen first.
func (s *Server) Serve() error {
	if s.listener == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	go s.tickets.expireLoop(s.stop)
	s.log.Info("serving", zap.String("addr", s.listener.Addr().String()), zap.Bool("auth", s.cfg.Token != ""),
		zap.Bool("tls", s.cfg.TLSCertFile != ""), zap.Int("parallelism", s.cfg.DefaultParallelism))
	err := s.grpc.Serve(s.listener)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Shutdown stops accepting calls, lets running calls finish until ctx ends, then frees all data.
func (s *Server) Shutdown(ctx context.Context) {
	s.stopOnce.Do(func() {
		close(s.stop)
		done := make(chan struct{})
		go func() { s.grpc.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			s.grpc.Stop()
		}
		s.tickets.clear()
		s.store.Close()
		for _, c := range closers {
			c(s)
		}
		s.log.Info("stopped")
	})
}

// closers run at shutdown (worker pools, spill directories); registered by other files.
var closers []func(*Server)

// Store is the server's block store.
func (s *Server) Store() *exec.BlockStore { return s.store }

// Logger is the server's logger.
func (s *Server) Logger() *zap.Logger { return s.log }

// Allocator is the server's execution allocator.
func (s *Server) Allocator() memory.Allocator { return s.mem }

func (s *Server) unaryNoAuth(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(context.WithValue(ctx, sessionKey, sessionFromHeader(ctx)), req)
}

func (s *Server) streamNoAuth(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &sessionStream{ServerStream: ss, ctx: context.WithValue(ss.Context(), sessionKey, sessionFromHeader(ss.Context()))})
}

func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// NewToken returns a random token suitable for Config.Token.
func NewToken() string { return newID() }
