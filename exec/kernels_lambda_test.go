package exec_test

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
)

// Higher-order function kernels against per-row references in plain Go with Spark's semantics
// (three-valued exists/forall, null padding in zip_with, null arrays give null). exectest runs
// each at batch sizes 1, 2, 7 and the default, with NULLs injected (garbage under null arrays)
// and sliced inputs, on a checked allocator.

func lambdaSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "b", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	}, nil)
}

func lambdaRows() exectest.Rows {
	return exectest.Rows{
		{[]any{int64(1), int64(2), int64(3)}, int64(10), []any{int64(7)}},
		{nil, int64(20), []any{}},
		{[]any{}, int64(30), []any{int64(1), int64(2)}},
		{[]any{int64(5), nil, int64(7)}, nil, nil},
		{[]any{int64(-4)}, int64(2), []any{int64(8), int64(9), nil}},
	}
}

func variable(name string, id logical.ExprID, t arrow.DataType) *logical.LambdaVariable {
	return &logical.LambdaVariable{VariableName: name, AttrID: id, Type: t, Null: true}
}

func lambda(body logical.Expr, variables ...*logical.LambdaVariable) *logical.LambdaFunction {
	names := make([]string, len(variables))
	for i, v := range variables {
		names[i] = v.VariableName
	}
	return &logical.LambdaFunction{Parameters: names, Variables: variables, Body: body}
}

func lambdaCall(function string, t arrow.DataType, args ...logical.Expr) *logical.Call {
	return &logical.Call{Function: function, Args: args, Type: t, Null: true}
}

func listArg(row []any, i int) []any {
	if row[i] == nil {
		return nil
	}
	return row[i].([]any)
}

func TestLambdaTransformAndFilter(t *testing.T) {
	schema := lambdaSchema()
	x := variable("x", 1, int64Type)
	i := variable("i", 2, arrow.PrimitiveTypes.Int32)
	listType := arrow.ListOf(int64Type)
	// transform(a, (x, i) -> x * k + i)
	body := scalarCall("add", int64Type, scalarCall("multiply", int64Type, x, exectest.Col(schema, 1)),
		&logical.Cast{Child: i, To: int64Type})
	exectest.RunExpr(t, exectest.ExprTest{
		Name: "transform", Input: exectest.NewTable(schema, lambdaRows()),
		Expr: lambdaCall("array_transform", listType, exectest.Col(schema, 0), lambda(body, x, i)),
		Want: func(row []any) (any, error) {
			a := listArg(row, 0)
			if a == nil {
				return nil, nil
			}
			out := []any{}
			for pos, e := range a {
				if e == nil || row[1] == nil {
					out = append(out, nil)
					continue
				}
				out = append(out, e.(int64)*row[1].(int64)+int64(pos))
			}
			return out, nil
		},
	})
	// filter(a, x -> x > k - 9) with an outer column in the predicate.
	predicate := scalarCall("gt", boolType, x, scalarCall("subtract", int64Type, exectest.Col(schema, 1), literal(int64(9))))
	exectest.RunExpr(t, exectest.ExprTest{
		Name: "filter", Input: exectest.NewTable(schema, lambdaRows()),
		Expr: lambdaCall("array_filter", listType, exectest.Col(schema, 0), lambda(predicate, x)),
		Want: func(row []any) (any, error) {
			a := listArg(row, 0)
			if a == nil {
				return nil, nil
			}
			out := []any{}
			for _, e := range a {
				if e != nil && row[1] != nil && e.(int64) > row[1].(int64)-9 {
					out = append(out, e)
				}
			}
			return out, nil
		},
	})
}

func TestLambdaQuantifiers(t *testing.T) {
	schema := lambdaSchema()
	x := variable("x", 1, int64Type)
	for _, exists := range []bool{true, false} {
		function := "array_forall"
		if exists {
			function = "array_exists"
		}
		// x > 1, three-valued over a null element.
		predicate := scalarCall("gt", boolType, x, literal(int64(1)))
		exectest.RunExpr(t, exectest.ExprTest{
			Name: function, Input: exectest.NewTable(schema, lambdaRows()),
			Expr: lambdaCall(function, boolType, exectest.Col(schema, 0), lambda(predicate, x)),
			Want: func(row []any) (any, error) {
				a := listArg(row, 0)
				if a == nil {
					return nil, nil
				}
				sawNull := false
				for _, e := range a {
					if e == nil {
						sawNull = true
					} else if (e.(int64) > 1) == exists {
						return exists, nil
					}
				}
				if sawNull {
					return nil, nil
				}
				return !exists, nil
			},
		})
	}
}

func TestLambdaAggregateAndZipWith(t *testing.T) {
	schema := lambdaSchema()
	acc := variable("acc", 1, int64Type)
	x := variable("x", 2, int64Type)
	merge := lambda(scalarCall("add", int64Type, acc, x), acc, x)
	done := variable("done", 3, int64Type)
	finish := lambda(scalarCall("multiply", int64Type, done, literal(int64(2))), done)
	// aggregate(a, k, (acc, x) -> acc + x, done -> done * 2)
	exectest.RunExpr(t, exectest.ExprTest{
		Name: "aggregate", Input: exectest.NewTable(schema, lambdaRows()),
		Expr: lambdaCall("array_aggregate", int64Type, exectest.Col(schema, 0), exectest.Col(schema, 1), merge, finish),
		Want: func(row []any) (any, error) {
			a := listArg(row, 0)
			if a == nil || row[1] == nil {
				return nil, nil
			}
			sum := row[1].(int64)
			for _, e := range a {
				if e == nil {
					return nil, nil
				}
				sum += e.(int64)
			}
			return sum * 2, nil
		},
	})
	left := variable("l", 4, int64Type)
	right := variable("r", 5, int64Type)
	pair := lambda(scalarCall("coalesce", int64Type, left, right), left, right)
	exectest.RunExpr(t, exectest.ExprTest{
		Name: "zip_with", Input: exectest.NewTable(schema, lambdaRows()),
		Expr: lambdaCall("array_zip_with", arrow.ListOf(int64Type), exectest.Col(schema, 0), exectest.Col(schema, 2), pair),
		Want: func(row []any) (any, error) {
			a, b := listArg(row, 0), listArg(row, 2)
			if a == nil || b == nil {
				return nil, nil
			}
			out := []any{}
			for k := 0; k < max(len(a), len(b)); k++ {
				var v any
				if k < len(a) {
					v = a[k]
				}
				if v == nil && k < len(b) {
					v = b[k]
				}
				out = append(out, v)
			}
			return out, nil
		},
	})
}
