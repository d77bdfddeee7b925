package exectest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// BatchSizes are the source batch sizes every test runs at (cockroach's colexec uses the same
// small sizes: they put batch boundaries everywhere).
var BatchSizes = []int{1, 2, 7, exec.DefaultBatchSize}

// NullProbability is the chance that NULL injection turns a value of a nullable input column
// into NULL.
const NullProbability = 0.25

// PlanTest is one operator test: inputs, a plan over them, and a reference for the result.
type PlanTest struct {
	Name string
	// Inputs are the test's input tables; Plan gets one Source per input, in order.
	Inputs []Table
	// Plan builds the physical plan under test over the sources.
	Plan func(sources []*Source) physical.Node
	// Expected computes the expected output from the inputs the run actually used (values
	// normalized as BatchRows returns them, NULLs injected), with plain Go code independent of
	// the code under test. A non-nil error means
	// the run must fail with an error matching it (errors.Is, or its text contained in the
	// error's text).
	Expected func(inputs []Table) (Rows, error)
	// Ordered compares rows in order (all partitions in partition order); otherwise as multisets.
	Ordered bool
	// NoNullInjection runs only the inputs as given.
	NoNullInjection bool
	// Setup adjusts each run's task context (ANSI mode, the block store's contents, ...); it
	// gets the inputs of the run (after NULL injection).
	Setup func(t *testing.T, tc *exec.TaskContext, inputs []Table)
}

// RunPlan runs a PlanTest at every batch size of BatchSizes, with and without NULLs injected
// into the nullable input columns, with whole and sliced (non-zero offset) input arrays, each
// run with its own checked allocator that must end at zero bytes. Every operator of the plan is
// built by exec.Build, and the root is wrapped in a Checker.
func RunPlan(t *testing.T, pt PlanTest) {
	t.Helper()
	for _, nulls := range []bool{false, true} {
		if nulls && (pt.NoNullInjection || !anyNullable(pt.Inputs)) {
			continue
		}
		for _, sliced := range []bool{false, true} {
			for _, size := range BatchSizes {
				name := fmt.Sprintf("batch=%d", size)
				if nulls {
					name += "/nulls"
				}
				if sliced {
					name += "/sliced"
				}
				if pt.Name != "" {
					name = pt.Name + "/" + name
				}
				t.Run(name, func(t *testing.T) { runPlanOnce(t, pt, size, nulls, sliced) })
			}
		}
	}
}

func runPlanOnce(t *testing.T, pt PlanTest, batchSize int, nulls, sliced bool) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tc := NewTaskContext(mem)
	defer tc.Store.Close()
	tc.BatchSize = batchSize
	tc.Extensions[slicedInputsKey] = sliced
	inputs := make([]Table, len(pt.Inputs))
	for i, in := range pt.Inputs {
		inputs[i] = NormalizeTable(in)
	}
	if nulls {
		inputs = InjectNulls(inputs, seed(t.Name()))
	}
	if pt.Setup != nil {
		pt.Setup(t, tc, inputs)
	}
	sources := make([]*Source, len(inputs))
	for i, in := range inputs {
		sources[i] = &Source{Table: in, Label: fmt.Sprint(i)}
	}
	node := pt.Plan(sources)
	want, wantErr := pt.Expected(inputs)
	got, err := Collect(t, tc, node)
	if wantErr != nil {
		if err == nil {
			t.Fatalf("expected an error matching %q, got %d rows: %v", wantErr, len(got), got)
		}
		if !errors.Is(err, wantErr) && !strings.Contains(err.Error(), wantErr.Error()) {
			t.Fatalf("expected an error matching %q, got %v", wantErr, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v\nplan:\n%s", err, physical.Format(node))
	}
	if !RowsEqual(want, got, pt.Ordered) {
		t.Fatalf("wrong result (ordered=%v)\nplan:\n%s\nwant %d rows: %v\ngot  %d rows: %v", pt.Ordered, physical.Format(node),
			len(want), want, len(got), got)
	}
}

// NewTaskContext returns a task context on mem with an empty block store (Close it) and ANSI on.
func NewTaskContext(mem memory.Allocator) *exec.TaskContext {
	return exec.NewTaskContext(mem, exec.NewBlockStore(), nil)
}

// Collect builds and runs every partition of node in order and returns all rows. Each
// operator is wrapped in a Checker; every batch is released. It also checks that an operator
// closed without being opened releases what Build allocated.
func Collect(t testing.TB, tc *exec.TaskContext, node physical.Node) (Rows, error) {
	t.Helper()
	unopened, err := exec.Build(tc, node, 0)
	if err != nil {
		return nil, err
	}
	if err := unopened.Close(); err != nil {
		t.Errorf("Close without Open failed: %v", err)
	}
	ctx := context.Background()
	var rows Rows
	for p := 0; p < node.NumPartitions(); p++ {
		op, err := exec.Build(tc, node, p)
		if err != nil {
			return nil, err
		}
		part, err := Drain(ctx, NewChecker(t, op))
		rows = append(rows, part...)
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// Drain opens op, reads it to the end, releases every batch, closes it, and returns the rows.
func Drain(ctx context.Context, op exec.Operator) (rows Rows, err error) {
	defer func() {
		if closeErr := op.Close(); err == nil {
			err = closeErr
		}
	}()
	if err := op.Open(ctx); err != nil {
		return nil, err
	}
	for {
		b, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, BatchRows(b)...)
		b.Release()
	}
}

// InjectNulls returns copies of tables where each value of a nullable top-level column is NULL
// with probability NullProbability (deterministic for a seed).
func InjectNulls(tables []Table, seed int64) []Table {
	rng := rand.New(rand.NewSource(seed))
	out := make([]Table, len(tables))
	for i, tb := range tables {
		cp := Table{Schema: tb.Schema, Partitions: make([]Rows, len(tb.Partitions))}
		for p, rows := range tb.Partitions {
			cp.Partitions[p] = make(Rows, len(rows))
			for r, row := range rows {
				nr := append([]any{}, row...)
				for c, f := range tb.Schema.Fields() {
					if f.Nullable && rng.Float64() < NullProbability {
						nr[c] = nil
					}
				}
				cp.Partitions[p][r] = nr
			}
		}
		out[i] = cp
	}
	return out
}

func anyNullable(tables []Table) bool {
	for _, tb := range tables {
		for _, f := range tb.Schema.Fields() {
			if f.Nullable {
				return true
			}
		}
	}
	return false
}

func seed(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64() >> 1)
}

// ExprTest tests one bound expression against a per-row reference.
type ExprTest struct {
	Name  string
	Input Table
	// Expr is bound to Input.Schema: column references are logical.BoundRef ordinals.
	Expr logical.Expr
	// Want computes the expected value of one input row (nil is NULL) in plain Go, or the error
	// evaluation must raise for it (see PlanTest.Expected).
	Want func(row []any) (any, error)
	// NoNullInjection runs only the input as given.
	NoNullInjection bool
	// Setup adjusts each run's task context (see PlanTest.Setup).
	Setup func(t *testing.T, tc *exec.TaskContext, inputs []Table)
}

// RunExpr runs an ExprTest as a projection of the expression over the input, in every
// configuration RunPlan uses.
func RunExpr(t *testing.T, et ExprTest) {
	t.Helper()
	out := arrow.NewSchema([]arrow.Field{{Name: "out", Type: et.Expr.DataType(), Nullable: et.Expr.Nullable()}}, nil)
	RunPlan(t, PlanTest{
		Name:   et.Name,
		Inputs: []Table{et.Input},
		Plan: func(sources []*Source) physical.Node {
			return &physical.Projection{Input: sources[0], Expressions: []logical.Expr{et.Expr}, OutSchema: out}
		},
		Expected: func(inputs []Table) (Rows, error) {
			var rows Rows
			for _, row := range inputs[0].AllRows() {
				v, err := et.Want(row)
				if err != nil {
					return nil, err
				}
				rows = append(rows, []any{v})
			}
			return rows, nil
		},
		Ordered:         true,
		NoNullInjection: et.NoNullInjection,
		Setup:           et.Setup,
	})
}

// Col returns a bound reference to column i of schema.
func Col(schema *arrow.Schema, i int) *logical.BoundRef {
	f := schema.Field(i)
	return &logical.BoundRef{Ordinal: i, ColumnName: f.Name, Type: f.Type, Null: f.Nullable}
}
