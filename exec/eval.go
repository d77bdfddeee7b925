package exec

import (
	"context"
	"fmt"
	"strings"

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
	// shared, when set, keeps the results of deterministic calls over one batch, so a
	// subexpression that several expressions repeat is computed once (see WithSharedResults).
	shared *sharedResults
}

// sharedResults maps an expression's structural key to its result over batch.
type sharedResults struct {
	batch   arrow.RecordBatch
	results map[string]arrow.Array
}

// WithSharedResults returns a context under which evaluating expressions over batch computes
// each repeated deterministic call once: TPC-H Q1's sum(price * (1 - discount)) and
// sum(price * (1 - discount) * (1 + tax)) share the first product. Call release when done with
// the batch; results already returned stay owned by their callers.
func (ec *EvalContext) WithSharedResults(batch arrow.RecordBatch) (shared *EvalContext, release func()) {
	results := &sharedResults{batch: batch, results: map[string]arrow.Array{}}
	return &EvalContext{Ctx: ec.Ctx, Task: ec.Task, shared: results}, func() {
		for _, a := range results.results {
			a.Release()
		}
		clear(results.results)
	}
}

// sharedKey is the key of call x over batch in the shared results, or "" when it is not shared:
// no shared results for this batch (lazy kernels evaluate arguments over row subsets), or an
// expression whose value may change between evaluations.
func (ec *EvalContext) sharedKey(x *logical.Call, batch arrow.RecordBatch) string {
	if ec.shared == nil || ec.shared.batch != batch {
		return ""
	}
	var key strings.Builder
	if !writeExpressionKey(&key, x) {
		return ""
	}
	return key.String()
}

// nonDeterministicFunctions may give another value when evaluated again (as the optimizer's list).
var nonDeterministicFunctions = map[string]bool{
	"rand": true, "randn": true, "random": true, "uuid": true, "shuffle": true,
	"monotonically_increasing_id": true, "spark_partition_id": true, "input_file_name": true,
}

// writeExpressionKey writes a key equal for two expressions exactly when they compute the same
// values: column ordinals, literal values and every type, not display names (a self-join has
// two columns of one name). It reports false for expressions that must not be shared.
func writeExpressionKey(key *strings.Builder, e logical.Expr) bool {
	switch x := e.(type) {
	case *logical.BoundRef:
		fmt.Fprintf(key, "#%d:%s", x.Ordinal, x.Type)
		return true
	case *logical.Literal:
		fmt.Fprintf(key, "lit(%s:%s)", x.Value, x.Value.DataType())
		return true
	case *logical.Alias:
		return writeExpressionKey(key, x.Child)
	case *logical.Cast:
		key.WriteString("cast(")
		if !writeExpressionKey(key, x.Child) {
			return false
		}
		fmt.Fprintf(key, " as %s mode %d)", x.To, x.Mode)
		return true
	case *logical.Call:
		if nonDeterministicFunctions[x.Function] {
			return false
		}
		fmt.Fprintf(key, "%s:%s(", x.Function, x.Type)
		for i, a := range x.Args {
			if i > 0 {
				key.WriteByte(',')
			}
			if !writeExpressionKey(key, a) {
				return false
			}
		}
		key.WriteByte(')')
		return true
	}
	return false
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
		if x.Function == "and" || x.Function == "or" {
			if d, ok, err := evalConnective(ec, x, batch); ok || err != nil {
				return d, err
			}
		}
		if lazy, ok := lazyKernels[x.Function]; ok {
			return lazy(ec, x, batch)
		}
		k, ok := kernels[x.Function]
		if !ok {
			return nil, errkind.NotImplemented("function %s has no kernel yet", x.Function)
		}
		key := ec.sharedKey(x, batch)
		if key != "" {
			if a, hit := ec.shared.results[key]; hit {
				return compute.NewDatum(a), nil // retains a for the caller
			}
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
		d, err := k(ec, x, args, batch.NumRows())
		if err == nil && key != "" {
			if ad, ok := d.(*compute.ArrayDatum); ok {
				ec.shared.results[key] = ad.MakeArray() // its own reference, released with the batch
			}
		}
		return d, err
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
