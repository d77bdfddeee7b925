package flightserver

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/protoplan"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
	"github.com/quiverdata/quiver/udf"
)

// Python UDF wiring: one worker pool per Python interpreter (the session's quiver.python, else
// $QUIVER_PYTHON, which a local session sets to the client's interpreter), the per-session
// function registry behind spark.udf.register, and pool shutdown with the server.
//
// Settings:
//   - quiver.python (session) / QUIVER_PYTHON (server env): the workers' interpreter.
//   - quiver.udf.timeout (session): seconds one call of a UDF on one batch or group may take.
//   - QUIVER_UDF_WORKERS (server env): workers per pool; the server's parallelism by default.
//   - QUIVER_UDF_WARM=0 (server env): do not start workers before the first UDF needs one.
//   - QUIVER_WORKER_PYTHONPATH (server env): prepended to the workers' PYTHONPATH.

// pythonRuntime is a server's Python state.
type pythonRuntime struct {
	mu    sync.Mutex
	pools map[string]*udf.Pool
	// functions[session][lower-case name] is a function registered with spark.udf.register.
	functions map[string]map[string]*logical.PythonFunction
	closed    bool
}

var (
	pythonRuntimesMu sync.Mutex
	pythonRuntimes   = map[*Server]*pythonRuntime{}
)

func (s *Server) python() *pythonRuntime {
	pythonRuntimesMu.Lock()
	defer pythonRuntimesMu.Unlock()
	rt, ok := pythonRuntimes[s]
	if !ok {
		rt = &pythonRuntime{pools: map[string]*udf.Pool{}, functions: map[string]map[string]*logical.PythonFunction{}}
		pythonRuntimes[s] = rt
	}
	return rt
}

func init() {
	taskExtensions = append(taskExtensions, pythonTaskExtension)
	closers = append(closers, closePython)
	RegisterAction(ActionHandler{Type: "quiver.register_udf", Description: "Register a Python function for SQL (ActionRegisterFunction)",
		New: func() proto.Message { return &pb.ActionRegisterFunction{} }, Handler: registerFunctionAction})
}

// defaultPython is the interpreter workers run when the session does not say.
func defaultPython() string {
	if p := os.Getenv("QUIVER_PYTHON"); p != "" {
		return p
	}
	return "python3"
}

// PythonExecutable is the interpreter a session's UDFs run in.
func (s *Session) PythonExecutable() string {
	if v, ok := s.Config("quiver.python"); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return defaultPython()
}

// pool returns (starting when new) the pool of an interpreter.
func (s *Server) pythonPool(python string) (*udf.Pool, error) {
	rt := s.python()
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return nil, errkind.Internal("the server is shutting down")
	}
	if p, ok := rt.pools[python]; ok {
		return p, nil
	}
	size := s.cfg.DefaultParallelism
	if v, err := strconv.Atoi(os.Getenv("QUIVER_UDF_WORKERS")); err == nil && v > 0 {
		size = v
	}
	p, err := udf.NewPool(udf.PoolConfig{Python: python, Size: size, PythonPath: os.Getenv("QUIVER_WORKER_PYTHONPATH"), Logger: s.log})
	if err != nil {
		return nil, err
	}
	rt.pools[python] = p
	if os.Getenv("QUIVER_UDF_WARM") != "0" {
		p.Warm()
	}
	s.log.Info("Python worker pool", zap.String("python", python), zap.Int("size", size))
	return p, nil
}

func pythonTaskExtension(s *Server, session *Session, tc *exec.TaskContext) {
	pool, err := s.pythonPool(session.PythonExecutable())
	if err != nil {
		s.log.Warn("no Python worker pool", zap.Error(err))
		return
	}
	settings := &exec.PythonSettings{Pool: pool, Config: map[string]string{
		"spark.sql.session.timeZone":                   tc.SessionTimeZone,
		"spark.sql.execution.arrow.maxRecordsPerBatch": strconv.Itoa(tc.BatchSize),
	}}
	// Zero or a negative value means "no limit" in Spark: Quiver's larger default then applies.
	if v, ok := session.Config("spark.sql.execution.arrow.maxRecordsPerBatch"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		settings.BatchSizeSet = err == nil && n > 0
	}
	if v, ok := session.Config("quiver.udf.sharedMemory"); ok && strings.EqualFold(strings.TrimSpace(v), "false") {
		settings.NoSharedMemory = true
	}
	if v, ok := session.Config("quiver.udf.timeout"); ok {
		if secs, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), "s"), 64); err == nil && secs > 0 {
			settings.Timeout = time.Duration(secs * float64(time.Second))
		}
	}
	tc.Extensions[exec.PythonExtension] = settings
}

func closePython(s *Server) {
	pythonRuntimesMu.Lock()
	rt, ok := pythonRuntimes[s]
	delete(pythonRuntimes, s)
	pythonRuntimesMu.Unlock()
	if !ok {
		return
	}
	rt.mu.Lock()
	rt.closed = true
	pools := rt.pools
	rt.pools = map[string]*udf.Pool{}
	rt.mu.Unlock()
	for _, p := range pools {
		p.Close()
	}
}

func registerFunctionAction(s *Server, _ context.Context, session *Session, body proto.Message) ([]proto.Message, error) {
	req := body.(*pb.ActionRegisterFunction)
	if strings.TrimSpace(req.Name) == "" {
		return nil, errkind.Invalid("spark.udf.register needs a function name")
	}
	f, err := protoplan.PythonFunction(req.Function)
	if err != nil {
		return nil, err
	}
	f.Name = req.Name
	switch {
	case f.EvalType.IsScalar(), f.EvalType.IsAggregate():
	default:
		return nil, errkind.Invalid("spark.udf.register takes row, scalar pandas or grouped aggregate pandas UDFs; '%s' is %s", req.Name, f.EvalType)
	}
	rt := s.python()
	rt.mu.Lock()
	if rt.functions[session.ID] == nil {
		rt.functions[session.ID] = map[string]*logical.PythonFunction{}
	}
	rt.functions[session.ID][strings.ToLower(req.Name)] = f
	rt.mu.Unlock()
	// Registering a UDF announces work: have workers ready before the first query.
	if _, err := s.pythonPool(session.PythonExecutable()); err != nil {
		s.log.Warn("no Python worker pool", zap.Error(err))
	}
	return nil, nil
}

// LookupPythonFunction returns a function the session registered with spark.udf.register; the
// SQL front end resolves calls by name through it.
func (s *Server) LookupPythonFunction(session *Session, name string) (*logical.PythonFunction, bool) {
	rt := s.python()
	rt.mu.Lock()
	defer rt.mu.Unlock()
	f, ok := rt.functions[session.ID][strings.ToLower(name)]
	return f, ok
}

// LookupFunction lets the analyzer resolve registered Python functions by name (analyzer's
// FunctionCatalog).
func (c *catalog) LookupFunction(name string) (*logical.PythonFunction, bool) {
	return c.server.LookupPythonFunction(c.session, name)
}
