package udf

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"

	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// These tests run real `python -m quiver.worker` processes from the repository's virtualenv; they
// skip when it is not set up (make setup).

func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

func pythonOrSkip(t *testing.T) string {
	py := filepath.Join(repoRoot(t), ".venv", "bin", "python")
	if _, err := os.Stat(py); err != nil {
		t.Skip("no .venv; run make setup")
	}
	return py
}

// pickle cloudpickles a Python expression evaluating to a function.
func pickle(t *testing.T, py, expr string) []byte {
	out, err := exec.Command(py, "-c", "import cloudpickle, sys\nsys.stdout.buffer.write(cloudpickle.dumps("+expr+"))").Output()
	if err != nil {
		t.Fatalf("pickling %s: %v", expr, err)
	}
	return out
}

func newTestPool(t *testing.T, size int) (*Pool, string) {
	py := pythonOrSkip(t)
	p, err := NewPool(PoolConfig{Python: py, Size: size, PythonPath: filepath.Join(repoRoot(t), "python")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, py
}

func function(t *testing.T, py, name, expr string, rt arrow.DataType, offsets ...int32) *pb.WorkerFunction {
	schema := arrow.NewSchema([]arrow.Field{{Name: "", Type: rt, Nullable: true}}, nil)
	return &pb.WorkerFunction{Name: name, Command: pickle(t, py, expr), PythonVer: "", ArgumentOffsets: offsets,
		ReturnType: &pb.DataType{ArrowSchema: flight.SerializeSchema(schema, memory.DefaultAllocator)}, FunctionId: name}
}

// runScalar sends one batch through a scalar pandas UDF task and returns the output batches.
func runScalar(t *testing.T, w *Worker, mem memory.Allocator, fn *pb.WorkerFunction, rt arrow.DataType, in arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	out := arrow.NewSchema([]arrow.Field{{Name: "_0", Type: rt, Nullable: true}}, nil)
	h := &pb.WorkerTask{EvalType: pb.PythonEvalType_PYTHON_EVAL_TYPE_SQL_SCALAR_PANDAS_UDF, Functions: []*pb.WorkerFunction{fn},
		ReturnSchema: &pb.Schema{ArrowSchema: flight.SerializeSchema(out, mem)}}
	task, err := w.StartTask(context.Background(), h, TaskOptions{Allocator: mem, Describe: "UDF '" + fn.Name + "'"})
	if err != nil {
		return nil, err
	}
	defer task.Finish()
	errc := make(chan error, 1)
	go func() {
		if err := task.WriteBatch(in); err != nil {
			errc <- err
			return
		}
		errc <- task.CloseInput(in.Schema())
	}()
	var got []arrow.RecordBatch
	for {
		b, err := task.ReadBatch()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			<-errc
			return got, err
		}
		got = append(got, b)
	}
	return got, <-errc
}

func TestPoolRunsAndReusesWorkers(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p, py := newTestPool(t, 1)
	fn := function(t, py, "plus_one", "lambda s: s + 1", arrow.PrimitiveTypes.Int64, 0)
	bld := array.NewInt64Builder(mem)
	bld.AppendValues([]int64{1, 2, 3}, []bool{true, false, true})
	col := bld.NewArray()
	bld.Release()
	in := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil), []arrow.Array{col}, 3)
	col.Release()
	defer in.Release()

	var pids []int
	for i := 0; i < 2; i++ {
		w, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, w.PID())
		got, err := runScalar(t, w, mem, fn, arrow.PrimitiveTypes.Int64, in)
		p.Release(w)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("want one output batch, got %d", len(got))
		}
		// pandas turns a nullable int64 column into float64 with NaN; the declared type brings it
		// back to int64 with the null kept.
		want := `[2 (null) 4]`
		if s := got[0].Column(0).String(); s != want {
			t.Fatalf("got %s, want %s", s, want)
		}
		got[0].Release()
	}
	if pids[0] != pids[1] {
		t.Fatalf("the second task ran on a new worker (%d, then %d); workers must be reused", pids[0], pids[1])
	}
}

func TestPoolReportsExceptionsAndReplacesDeadWorkers(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p, py := newTestPool(t, 1)
	bld := array.NewInt64Builder(mem)
	bld.AppendValues([]int64{1, 2}, nil)
	col := bld.NewArray()
	bld.Release()
	in := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{col}, 2)
	col.Release()
	defer in.Release()

	// An exception: a PythonError with the traceback; the worker stays usable.
	w, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	first := w.PID()
	_, err = runScalar(t, w, mem, function(t, py, "boom", "lambda s: 1 / 0", arrow.PrimitiveTypes.Float64, 0), arrow.PrimitiveTypes.Float64, in)
	var pe *PythonError
	if !errors.As(err, &pe) || pe.Detail.ExceptionType != "ZeroDivisionError" || !strings.Contains(err.Error(), "Traceback") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("want a ZeroDivisionError with a traceback naming boom, got %v", err)
	}
	p.Release(w)

	// Death: the task fails with the exit status, the pool starts a new worker.
	w, err = p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if w.PID() != first {
		t.Fatalf("a worker that raised should be reused")
	}
	_, err = runScalar(t, w, mem, function(t, py, "die", "lambda s: __import__('os')._exit(5)", arrow.PrimitiveTypes.Int64, 0), arrow.PrimitiveTypes.Int64, in)
	if err == nil || !strings.Contains(err.Error(), "exit status 5") {
		t.Fatalf("want the exit status in the error, got %v", err)
	}
	p.Release(w)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, err = p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release(w)
	if w.PID() == first {
		t.Fatalf("the dead worker was handed out again")
	}
	got, err := runScalar(t, w, mem, function(t, py, "ok", "lambda s: s * 2", arrow.PrimitiveTypes.Int64, 0), arrow.PrimitiveTypes.Int64, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range got {
		b.Release()
	}
}

func TestPicklesRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	py := pythonOrSkip(t)
	b := array.NewStringBuilder(mem)
	b.AppendValues([]string{"a", "ü", ""}, []bool{true, true, false})
	s := b.NewArray()
	b.Release()
	defer s.Release()
	i := array.NewInt64Builder(mem)
	i.AppendValues([]int64{-1, 1 << 40, 7}, nil)
	n := i.NewArray()
	i.Release()
	defer n.Release()
	raw, err := PickleRows([]arrow.Array{s, n}, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Python reads what Go wrote and writes it back with its own pickler (protocol 4, memo).
	cmd := exec.Command(py, "-c", "import pickle, sys\nrows = pickle.loads(sys.stdin.buffer.read())\nassert rows == [('a', -1), ('ü', 1 << 40), (None, 7)], rows\nsys.stdout.buffer.write(pickle.dumps([list(r) for r in rows] + [['a', 'a', 2.5, True, b'x', -(1 << 70)]], protocol=4))")
	cmd.Stdin = strings.NewReader(string(raw))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python rejected the pickle: %v", err)
	}
	v, err := Unpickle(out)
	if err != nil {
		t.Fatal(err)
	}
	rows := v.([]any)
	if len(rows) != 4 || rows[1].([]any)[1].(int64) != 1<<40 || rows[2].([]any)[0] != nil {
		t.Fatalf("unexpected %v", rows)
	}
	last := rows[3].([]any)
	if last[0] != "a" || last[1] != "a" || last[2] != 2.5 || last[3] != true || string(last[4].([]byte)) != "x" {
		t.Fatalf("unexpected %v", last)
	}
	if big, ok := last[5].(interface{ String() string }); !ok || big.String() != "-1180591620717411303424" {
		t.Fatalf("unexpected big int %v", last[5])
	}
}
