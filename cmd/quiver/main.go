// Command quiver runs the Quiver server: `quiver serve`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/quiverdata/quiver/flightserver"
)

const usage = `Quiver: a columnar DataFrame engine with a PySpark-style client.

Usage:
  quiver serve [flags]    run the server (Flight and Flight SQL on one port)
  quiver version          print the version

Run 'quiver serve -h' for the server's flags.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		os.Exit(serve(os.Args[2:]))
	case "version", "--version", "-v":
		fmt.Println("quiver", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "quiver: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
}

func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", envOr("QUIVER_ADDR", "127.0.0.1:50051"), "listen address host:port (port 0 picks a free port)")
	token := fs.String("token", "", "auth token clients must present (default: $QUIVER_TOKEN)")
	tlsCert := fs.String("tls-cert", "", "TLS certificate file")
	tlsKey := fs.String("tls-key", "", "TLS key file")
	portFile := fs.String("port-file", "", "write the bound port to this file once listening")
	logLevel := fs.String("log-level", envOr("QUIVER_LOG_LEVEL", "info"), "debug, info, warn or error")
	logFormat := fs.String("log-format", "json", "json or console")
	parallelism := fs.Int("parallelism", 0, "default partitions and task slots (default: number of cores)")
	ticketTTL := fs.Duration("ticket-ttl", 10*time.Minute, "how long unread result tickets stay valid")
	memoryLimit := fs.String("memory-limit", envOr("QUIVER_MEMORY_LIMIT", "auto"), "bytes operators may hold before spilling to disk, e.g. 4GiB, 512MB, 40% of memory, or 0 for unlimited (default auto: half of the machine's or container's memory)")
	spillDir := fs.String("spill-dir", envOr("QUIVER_SPILL_DIR", ""), "directory for spill files (default: the system temp directory)")
	exitWithParent := fs.Bool("exit-with-parent", false, "exit when the parent process (the Python client of a local session) dies")
	pprofAddr := fs.String("pprof-addr", envOr("QUIVER_PPROF_ADDR", ""), "serve Go's profiling endpoints (/debug/pprof/) on this loopback host:port, e.g. 127.0.0.1:6060 (default: off)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *token == "" {
		*token = os.Getenv("QUIVER_TOKEN")
	}
	logger, err := newLogger(*logLevel, *logFormat)
	if err != nil {
		fmt.Fprintf(os.Stderr, "quiver: %v\n", err)
		return 2
	}
	defer logger.Sync() //nolint:errcheck // nothing to do if stderr is gone
	limit, err := flightserver.ResolveMemoryLimit(*memoryLimit)
	if err != nil {
		fmt.Fprintf(os.Stderr, "quiver: --memory-limit: %v\n", err)
		return 2
	}
	cfg := flightserver.Config{
		Addr: *addr, Token: *token, TLSCertFile: *tlsCert, TLSKeyFile: *tlsKey,
		DefaultParallelism: *parallelism, TicketTTL: *ticketTTL, Logger: logger,
		MemoryLimit: limit, SpillDir: *spillDir,
	}
	// Refuse before generating a token: a token nobody configured does not make an exposed
	// address safe to use.
	if err := flightserver.ValidateListenAddress(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "quiver: %v\n", err)
		return 2
	}
	if cfg.Token == "" {
		cfg.Token = flightserver.NewToken()
		fmt.Fprintf(os.Stderr, "quiver: no token configured; generated one for this run: %s\n", cfg.Token)
	}
	srv, err := flightserver.New(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "quiver: %v\n", err)
		return 2
	}
	if err := srv.Listen(); err != nil {
		fmt.Fprintf(os.Stderr, "quiver: %v\n", err)
		return 1
	}
	// Signals are caught before the port file announces the server, so a client that stops
	// the server as soon as it appears still gets a graceful shutdown.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if *portFile != "" {
		if err := writePortFile(*portFile, srv.Addr()); err != nil {
			fmt.Fprintf(os.Stderr, "quiver: %v\n", err)
			return 1
		}
	}
	if *exitWithParent {
		go watchParent(ctx, stop, logger)
	}
	if *pprofAddr != "" {
		if err := servePprof(*pprofAddr, logger); err != nil {
			fmt.Fprintf(os.Stderr, "quiver: --pprof-addr: %v\n", err)
			return 2
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case err := <-errc:
		if err != nil {
			logger.Error("server failed", zap.Error(err))
			return 1
		}
		return 0
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(shutdownCtx)
	return 0
}

func writePortFile(path string, addr fmt.Stringer) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(addr.String()+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing port file: %w", err)
	}
	return os.Rename(tmp, path)
}

// watchParent stops the server when its parent dies, so a local server never outlives the Python
// process that started it, even after SIGKILL.
func watchParent(ctx context.Context, stop func(), logger *zap.Logger) {
	parent := os.Getppid()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != parent {
				logger.Info("parent process exited; stopping")
				stop()
				return
			}
		}
	}
}

func newLogger(level, format string) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("invalid log level %q: use debug, info, warn or error", level)
	}
	cfg := zap.NewProductionConfig()
	if format == "console" {
		cfg = zap.NewDevelopmentConfig()
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.OutputPaths = []string{"stderr"}
	return cfg.Build()
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
