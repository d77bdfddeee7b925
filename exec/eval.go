package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Kernel evaluates one function over whole arrays. args are array or scalar datums owned by the
// caller; the result is owned by the caller of the kernel. length is the batch's row count.
type Kernel func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error)

var kernels = map[string]Kernel{}

// RegisterKernel adds a kernel by the canonical function name the analyzer emits.
func RegisterKernel(name string, k Kernel) { kernels[name] = k }

// LazyKernel evaluates a call that decides itself which rows each argument is evaluated on:
// CASE WHEN and coalesce evaluate a branch only on the rows that reach it, as Spark does, so
// `when(x == 0, 0).otherwise(1 / x)` never divides by zero. The result is owned by the caller.
type LazyKernel func(ec *EvalContext, call *logical.Call, batch arrow.RecordBatch) (compute.Datum, error)

var lazyKernels = map[string]LazyKernel{}

// RegisterLazyKernel adds a lazy kernel by canonical function name; call it from init.
func RegisterLazyKernel(name string, k LazyKernel) { lazyKernels[name] = k }

// EvalContext is what kernels need besides their arguments.
type EvalContext struct {
	Ctx  context.Context
	Task *TaskContext
}

// ComputeContext returns a context carrying the task's allocator for arrow compute calls.
func (ec *EvalContext) ComputeContext() context.Context {
	return compute.WithAllocator(ec.Ctx, ec.Task.Allocator)
}

// Eval evaluates a bound expression over a batch. The result is owned by the caller (Release).
func Eval(ec *EvalContext, e logical.Expr, batch arrow.RecordBatch) (compute.Datum, error) {
	switch x := e.(type) {
	case *logical.BoundRef:
		col := batch.Column(x.Ordinal)
		return compute.NewDatum(col), nil
	case *logical.Literal:
		return compute.NewDatum(x.Value), nil
	case *logical.Alias:
		return Eval(ec, x.Child, batch)
	case *logical.Cast:
		in, err := Eval(ec, x.Child, batch)
		if err != nil {
			return nil, err
		}
		defer in.Release()
		return CastDatum(ec, in, x.To, x.Mode, batch.NumRows())
	case *logical.Call:
		if lazy, ok := lazyKernels[x.Function]; ok {
			return lazy(ec, x, batch)
		}
		k, ok := kernels[x.Function]
		if !ok {
			return nil, errkind.NotImplemented("function %s has no kernel yet", x.Function)
		}
		args := make([]compute.Datum, len(x.Args))
		defer func() {
			for _, a := range args {
				if a != nil {
					a.Release()
				}
			}
		}()
		for i, a := range x.Args {
			d, err := Eval(ec, a, batch)
			if err != nil {
				return nil, err
			}
			args[i] = d
		}
		return k(ec, x, args, batch.NumRows())
	}
	for _, ev := range exprEvaluators {
		if d, ok, err := ev(ec, e, batch); ok || err != nil {
			return d, err
		}
	}
	return nil, errkind.Internal("cannot evaluate %T (%s)", e, e.String())
}

// ExprEvaluator evaluates expression kinds added outside this file (UDF calls, ...); it reports
// ok=false for kinds it does not handle.
type ExprEvaluator func(ec *EvalContext, e logical.Expr, batch arrow.RecordBatch) (d compute.Datum, ok bool, err error)

var exprEvaluators []ExprEvaluator

// RegisterExprEvaluator adds an evaluator; call it from init.
func RegisterExprEvaluator(f ExprEvaluator) { exprEvaluators = append(exprEvaluators, f) }

// EvalArray evaluates and returns a full-length array, broadcasting scalars. Release it.
func EvalArray(ec *EvalContext, e logical.Expr, batch arrow.RecordBatch) (arrow.Array, error) {
	d, err := Eval(ec, e, batch)
	if err != nil {
		return nil, err
	}
	defer d.Release()
	return DatumToArray(ec, d, batch.NumRows(), e.DataType())
}

// DatumToArray materializes a datum as an array of length n (retained for the caller).
func DatumToArray(ec *EvalContext, d compute.Datum, n int64, t arrow.DataType) (arrow.Array, error) {
	switch v := d.(type) {
	case *compute.ArrayDatum:
		a := v.MakeArray()
		return a, nil
	case *compute.ScalarDatum:
		s := v.Value
		if !s.IsValid() && s.DataType().ID() == arrow.NULL && t != nil && t.ID() != arrow.NULL {
			s = scalar.MakeNullScalar(t)
		}
		return scalar.MakeArrayFromScalar(s, int(n), ec.Task.Allocator)
	case *compute.ChunkedDatum:
		return array.Concatenate(v.Chunks(), ec.Task.Allocator)
	}
	return nil, errkind.Internal("unexpected datum %s", d.Kind())
}

// callCompute calls an arrow compute function with the task allocator.
func callCompute(ec *EvalContext, name string, opts compute.FunctionOptions, args ...compute.Datum) (compute.Datum, error) {
	out, err := compute.CallFunction(ec.ComputeContext(), name, opts, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}
