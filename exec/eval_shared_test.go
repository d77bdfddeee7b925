package exec_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
)

// countedAdds counts calls of the test kernel "test_counted_add" (int64 a + b through arrow).
var countedAdds atomic.Int64

func init() {
	exec.RegisterKernel("test_counted_add", func(ec *exec.EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		countedAdds.Add(1)
		return compute.Add(ec.ComputeContext(), compute.ArithmeticOptions{}, args[0], args[1])
	})
}

// TestSharedResultsComputeARepeatedCallOnce evaluates (x + y) * 2 and (x + y) * 3 under one
// batch's shared results: x + y runs once and both answers are right; a call with the same
// display text over other columns (a self-join's two x columns) is not confused with it.
func TestSharedResultsComputeARepeatedCallOnce(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}, {Name: "y", Type: arrow.PrimitiveTypes.Int64},
		{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	batch, err := exectest.MakeBatch(mem, schema, exectest.Rows{{int64(1), int64(2), int64(100)}, {int64(3), int64(4), int64(200)}})
	require.NoError(t, err)
	defer batch.Release()
	int64Type := arrow.PrimitiveTypes.Int64
	sum := func(left int) logical.Expr {
		return &logical.Call{Function: "test_counted_add", Display: "(x + y)", Type: int64Type,
			Args: []logical.Expr{exectest.Col(schema, left), exectest.Col(schema, 1)}}
	}
	times := func(e logical.Expr, k int64) logical.Expr {
		return &logical.Call{Function: "multiply", Type: int64Type, Args: []logical.Expr{e, logical.NewLiteral(scalar.NewInt64Scalar(k))}}
	}
	tc := exectest.NewTaskContext(mem)
	ec, release := (&exec.EvalContext{Ctx: context.Background(), Task: tc}).WithSharedResults(batch)
	countedAdds.Store(0)
	cases := []struct {
		expr logical.Expr
		want []any
	}{
		{times(sum(0), 2), []any{int64(6), int64(14)}},
		{times(sum(0), 3), []any{int64(9), int64(21)}},
		{sum(2), []any{int64(102), int64(204)}},
	}
	for _, c := range cases {
		got, err := exec.EvalArray(ec, c.expr, batch)
		require.NoError(t, err)
		require.Equal(t, c.want, []any{exectest.ValueAt(got, 0), exectest.ValueAt(got, 1)}, c.expr.String())
		got.Release()
	}
	release()
	require.Equal(t, int64(2), countedAdds.Load(), "x + y once, x' + y once")
}
