// Package udf owns the Python worker pool and the protocol spoken with `python -m quiver.worker`
// over a Unix socket: per task a WorkerTask header, then Arrow IPC (or pickled rows for the classic
// row path) both ways, then a WorkerTaskResult. The scalar Arrow forms frame their input, and the
// scalar pandas form its output, so that columns of fixed-width types travel through per-worker
// rings in shared memory instead (argument_ring.go, ring.go; decision 0026). It knows nothing of plans or operators; exec's
// Python operators drive it. It must not import exec, planner or flightserver.
package udf

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/quiverdata/quiver/errkind"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// PoolConfig configures a worker pool.
type PoolConfig struct {
	// Python is the interpreter that runs `-m quiver.worker`; "python3" when empty.
	Python string
	// Size is the most workers alive at once; one per core when zero.
	Size int
	// PythonPath is prepended to the workers' PYTHONPATH so `quiver` is importable.
	PythonPath string
	// StartTimeout bounds a worker's start (interpreter, imports, handshake); 60 s when zero.
	StartTimeout time.Duration
	Logger       *zap.Logger
	// SharedMemoryDirectory is where the workers' rings are created; /dev/shm when empty. When
	// it does not exist, scalar UDF arguments and results go through the socket.
	SharedMemoryDirectory string
}

// Pool is a set of long-lived Python workers. Workers are started ahead of need (Warm), reused
// across tasks, and replaced when one dies. At most Size workers exist at once; Acquire blocks
// while all are busy, so partitions feed workers in parallel up to the pool size.
type Pool struct {
	cfg      PoolConfig
	log      *zap.Logger
	dir      string
	listener *net.UnixListener

	// slots holds one token per live or starting worker; its capacity is the pool size.
	slots chan struct{}
	idle  chan *Worker

	mu       sync.Mutex
	pending  map[string]chan accepted
	workers  map[*Worker]bool
	extra    map[*Worker]bool
	closed   bool
	closeErr error
	wg       sync.WaitGroup
}

// NewPool opens the pool's socket; no worker starts until Warm or Acquire.
func NewPool(cfg PoolConfig) (*Pool, error) {
	if cfg.Python == "" {
		cfg.Python = "python3"
	}
	if cfg.Size <= 0 {
		cfg.Size = runtime.NumCPU()
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	if cfg.SharedMemoryDirectory == "" {
		cfg.SharedMemoryDirectory = shmDirectory
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	// The socket lives in a private directory: only this user can connect, and every worker must
	// still present its own secret.
	dir, err := os.MkdirTemp("", "quiver-udf-")
	if err != nil {
		return nil, fmt.Errorf("creating the UDF worker socket directory: %w", err)
	}
	path := filepath.Join(dir, "workers.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("listening on the UDF worker socket %s: %w", path, err)
	}
	p := &Pool{
		cfg: cfg, log: cfg.Logger, dir: dir, listener: l,
		slots: make(chan struct{}, cfg.Size), idle: make(chan *Worker, cfg.Size),
		pending: map[string]chan accepted{}, workers: map[*Worker]bool{}, extra: map[*Worker]bool{},
	}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Size is the most workers alive at once.
func (p *Pool) Size() int { return p.cfg.Size }

// Python is the interpreter the workers run.
func (p *Pool) Python() string { return p.cfg.Python }

// SocketPath is where workers connect.
func (p *Pool) SocketPath() string { return filepath.Join(p.dir, "workers.sock") }

// Warm starts workers in the background until the pool is full, so the first UDF does not pay
// for interpreter start and imports.
func (p *Pool) Warm() {
	for i := 0; i < p.cfg.Size; i++ {
		p.replaceInBackground()
	}
}

// replaceInBackground starts a worker when a slot is free and parks it idle.
func (p *Pool) replaceInBackground() {
	select {
	case p.slots <- struct{}{}:
	default:
		return // the pool is full; Acquire starts workers on demand later
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		w, err := p.start(context.Background())
		if err != nil {
			<-p.slots
			if !p.isClosed() {
				p.log.Warn("starting a Python worker failed", zap.Error(err))
			}
			return
		}
		p.idle <- w
	}()
}

// Acquire returns an idle worker, starting one when the pool has room, or waits for one. The
// caller must give it back with Release.
func (p *Pool) Acquire(ctx context.Context) (*Worker, error) {
	for {
		if p.isClosed() {
			return nil, errkind.Internal("the Python worker pool is shut down")
		}
		select {
		case w := <-p.idle:
			if w.alive() {
				return w, nil
			}
			p.discard(w)
			continue
		default:
		}
		select {
		case w := <-p.idle:
			if w.alive() {
				return w, nil
			}
			p.discard(w)
		case p.slots <- struct{}{}:
			w, err := p.start(ctx)
			if err != nil {
				<-p.slots
				return nil, err
			}
			return w, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: waiting for a Python worker: %v", errkind.ErrCanceled, ctx.Err())
		}
	}
}

// AcquireExtra returns an idle worker or starts one beyond the pool size, never waiting for a
// busy one. Operators whose input pipeline holds other workers of the same task use it: were
// they to wait, a task stacking more Python operators than the pool has workers (f(g(x)) over a
// filter on h(x)) would wait for itself. An extra worker is stopped when released.
func (p *Pool) AcquireExtra(ctx context.Context) (*Worker, error) {
	for {
		select {
		case w := <-p.idle:
			if !w.alive() {
				p.discard(w)
				continue
			}
			// The worker gives its slot back: operators deeper in the same pipeline may need it.
			p.makeExtra(w)
			<-p.slots
			return w, nil
		default:
		}
		break
	}
	w, err := p.start(ctx)
	if err != nil {
		return nil, err
	}
	p.makeExtra(w)
	return w, nil
}

func (p *Pool) makeExtra(w *Worker) {
	p.mu.Lock()
	delete(p.workers, w)
	p.extra[w] = true
	p.mu.Unlock()
	w.extra = true
}

// Release gives a worker back. A worker that is broken (died, killed, out of step) is discarded
// and replaced in the background.
func (p *Pool) Release(w *Worker) {
	if w == nil {
		return
	}
	if w.extra {
		p.mu.Lock()
		delete(p.extra, w)
		p.mu.Unlock()
		if w.alive() && !w.broken && !p.isClosed() {
			// Keep it when the pool has room again; it is an ordinary worker from now on.
			select {
			case p.slots <- struct{}{}:
				w.extra = false
				p.mu.Lock()
				p.workers[w] = true
				p.mu.Unlock()
				p.idle <- w
				return
			default:
			}
		}
		w.kill()
		return
	}
	if w.alive() && !w.broken && !p.isClosed() {
		p.idle <- w
		return
	}
	p.discard(w)
	if !p.isClosed() {
		p.replaceInBackground()
	}
}

func (p *Pool) discard(w *Worker) {
	w.kill()
	p.mu.Lock()
	if p.workers[w] {
		delete(p.workers, w)
		p.mu.Unlock()
		<-p.slots
		return
	}
	p.mu.Unlock()
}

func (p *Pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Close kills every worker and removes the socket. Idempotent.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return p.closeErr
	}
	p.closed = true
	workers := make([]*Worker, 0, len(p.workers))
	for w := range p.workers {
		workers = append(workers, w)
	}
	for w := range p.extra {
		workers = append(workers, w)
	}
	p.mu.Unlock()
	for _, w := range workers {
		w.kill()
	}
	p.closeErr = p.listener.Close()
	p.wg.Wait()
	os.RemoveAll(p.dir)
	return nil
}

// acceptLoop hands each authenticated connection to the start call waiting for its secret.
func (p *Pool) acceptLoop() {
	defer p.wg.Done()
	for {
		conn, err := p.listener.AcceptUnix()
		if err != nil {
			return
		}
		go p.handshake(conn)
	}
}

// socketBuffer is the kernel buffer asked for on each side of a worker's socket: a few
// 80,000-row messages of doubles.
const socketBuffer = 4 << 20

func (p *Pool) handshake(conn *net.UnixConn) {
	conn.SetReadDeadline(time.Now().Add(p.cfg.StartTimeout))
	var hello pb.WorkerHello
	raw, err := readFrame(conn)
	if err == nil {
		err = proto.Unmarshal(raw, &hello)
	}
	if err != nil {
		conn.Close()
		return
	}
	p.mu.Lock()
	ch, ok := p.pending[hello.Secret]
	delete(p.pending, hello.Secret)
	p.mu.Unlock()
	if !ok {
		p.log.Warn("rejected a worker connection with an unknown secret", zap.Int32("pid", hello.Pid))
		conn.Close()
		return
	}
	conn.SetReadDeadline(time.Time{})
	ch <- accepted{conn: conn, pythonVersion: hello.PythonVersion, canOpenDescriptors: hello.CanOpenExecutorDescriptors}
}

// workerMallocTunables keeps freed memory in a worker's heap for the next message. By default
// glibc maps each allocation above 128 KiB afresh and trims the heap on free, so every message's
// arrays (the Arrow input read from the socket, the UDF's result, the result gathered for the
// reply) page-faulted in new zeroed pages: a third of a worker's CPU on plus-one over 10M rows
// (decision 0026). Allocations below 32 MiB (glibc's largest threshold) come from the heap, and
// up to 128 MiB of free heap stays mapped. A GLIBC_TUNABLES set for the server wins.
const workerMallocTunables = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=134217728"

// accepted is an authenticated worker connection and what the worker announced.
type accepted struct {
	conn          *net.UnixConn
	pythonVersion string
	// canOpenDescriptors: the worker may open this process's descriptors (shared segments).
	canOpenDescriptors bool
}

func newSecret() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// start launches one worker process and waits for its handshake.
func (p *Pool) start(ctx context.Context) (*Worker, error) {
	secret := newSecret()
	ch := make(chan accepted, 1)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errkind.Internal("the Python worker pool is shut down")
	}
	p.pending[secret] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.pending, secret)
		p.mu.Unlock()
	}()

	cmd := exec.Command(p.cfg.Python, "-m", "quiver.worker")
	env := os.Environ()
	env = append(env, "QUIVER_WORKER_SOCKET="+p.SocketPath(), "QUIVER_WORKER_SECRET="+secret, "PYTHONUNBUFFERED=1")
	if p.cfg.PythonPath != "" {
		pp := p.cfg.PythonPath
		if old := os.Getenv("PYTHONPATH"); old != "" {
			pp += string(os.PathListSeparator) + old
		}
		env = append(env, "PYTHONPATH="+pp)
	}
	if os.Getenv("GLIBC_TUNABLES") == "" {
		env = append(env, "GLIBC_TUNABLES="+workerMallocTunables)
	}
	cmd.Env = env
	stderr := &tailBuffer{limit: 8192}
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	// Own process group (so a kill reaches anything the UDF forked) and a parent-death signal (so
	// no worker outlives the server even when the server is SIGKILLed).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// Pdeathsig fires when the creating OS thread exits; keep the fork on a thread Go never retires.
	runtime.LockOSThread()
	err := cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return nil, errkind.Invalid("cannot start the Python worker %q: %v; set quiver.python (or QUIVER_PYTHON) to a Python interpreter with quiver, pyarrow, pandas and cloudpickle installed", p.cfg.Python, err)
	}
	w := &Worker{pool: p, cmd: cmd, pid: cmd.Process.Pid, stderr: stderr, exited: make(chan struct{})}
	go func() {
		w.waitErr = cmd.Wait()
		close(w.exited)
	}()
	timer := time.NewTimer(p.cfg.StartTimeout)
	defer timer.Stop()
	select {
	case got := <-ch:
		conn := got.conn
		w.pythonVersion = got.pythonVersion
		w.canMapSegments = got.canOpenDescriptors
		p.mu.Lock()
		p.workers[w] = true
		closed := p.closed
		p.mu.Unlock()
		w.conn = conn
		// Room for whole input messages (several maxRecordsPerBatch batches) in the socket, so
		// the feeding goroutine queues the next message while the worker computes instead of
		// blocking on the default 208 KiB. The system's limit (net.core.wmem_max) caps it.
		_ = conn.SetWriteBuffer(socketBuffer)
		_ = conn.SetReadBuffer(socketBuffer)
		w.r = bufio.NewReaderSize(conn, 1<<16)
		w.w = bufio.NewWriterSize(conn, 1<<16)
		if closed {
			w.kill()
			return nil, errkind.Internal("the Python worker pool is shut down")
		}
		p.log.Debug("Python worker started", zap.Int("pid", w.pid), zap.String("python", w.pythonVersion))
		return w, nil
	case <-w.exited:
		return nil, errkind.Invalid("the Python worker %q exited while starting (%s): %s; check that quiver.python (or QUIVER_PYTHON) names an interpreter with quiver, pyarrow, pandas and cloudpickle installed",
			p.cfg.Python, describeExit(w.waitErr), strings.TrimSpace(stderr.String()))
	case <-timer.C:
		w.kill()
		return nil, errkind.Internal("the Python worker %q did not connect within %s: %s", p.cfg.Python, p.cfg.StartTimeout, strings.TrimSpace(stderr.String()))
	case <-ctx.Done():
		w.kill()
		return nil, fmt.Errorf("%w: starting a Python worker: %v", errkind.ErrCanceled, ctx.Err())
	}
}

// describeExit renders a process's end: "exit status 3" or "killed by signal SIGSEGV".
func describeExit(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Sprintf("killed by signal %s (%d)", signalName(ws.Signal()), int(ws.Signal()))
		}
		return fmt.Sprintf("exit status %d", ee.ExitCode())
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGBUS:
		return "SIGBUS"
	}
	return s.String()
}

// tailBuffer keeps the last limit bytes written: a worker's stderr for error messages.
type tailBuffer struct {
	mu    sync.Mutex
	limit int
	buf   []byte
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.limit {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.limit:]...)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
