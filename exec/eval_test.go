package exec_test

import (
	"errors"
	"math"
	"math/big"
	"math/rand"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
)

// Expression tests: each kernel against a per-row reference in plain Go with Spark's semantics
// (PySpark 4, ANSI on unless the case says legacy).

var errArithmetic = errkind.ErrArithmetic

func pairSchema(t arrow.DataType) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{{Name: "x", Type: t, Nullable: true}, {Name: "y", Type: t, Nullable: true}}, nil)
}

func intPairs(extremes bool) exectest.Rows {
	rng := rand.New(rand.NewSource(1))
	var rows exectest.Rows
	for i := 0; i < 40; i++ {
		rows = append(rows, []any{rng.Int63n(2_000_000_000) - 1_000_000_000, rng.Int63n(2_000_000_000) - 1_000_000_000})
	}
	rows = append(rows, []any{int64(0), int64(0)}, []any{int64(-1), int64(1)})
	if extremes {
		rows = append(rows, []any{int64(math.MaxInt64), int64(1)}, []any{int64(math.MinInt64), int64(-1)},
			[]any{int64(math.MinInt64), int64(math.MaxInt64)})
	}
	return rows
}

// checkedInt applies op with big integers and reports Spark's ARITHMETIC_OVERFLOW (ANSI) or
// wraps around like Java (legacy) when the result does not fit in bits.
func checkedInt(op func(a, b *big.Int) *big.Int, bits uint, ansi bool) func(r []any) (any, error) {
	return func(r []any) (any, error) {
		if r[0] == nil || r[1] == nil {
			return nil, nil
		}
		v := op(big.NewInt(r[0].(int64)), big.NewInt(r[1].(int64)))
		lo := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), bits-1))
		hi := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits-1), big.NewInt(1))
		if v.Cmp(lo) >= 0 && v.Cmp(hi) <= 0 {
			return v.Int64(), nil
		}
		if ansi {
			return nil, errArithmetic
		}
		// Two's complement wrap-around to bits.
		mod := new(big.Int).Lsh(big.NewInt(1), bits)
		w := new(big.Int).Mod(v, mod)
		if w.Cmp(hi) > 0 {
			w.Sub(w, mod)
		}
		return w.Int64(), nil
	}
}

func TestArithmeticInt64(t *testing.T) {
	ops := map[string]func(a, b *big.Int) *big.Int{
		"add":      func(a, b *big.Int) *big.Int { return new(big.Int).Add(a, b) },
		"subtract": func(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) },
		"multiply": func(a, b *big.Int) *big.Int { return new(big.Int).Mul(a, b) },
	}
	schema := pairSchema(int64Type)
	for name, op := range ops {
		for _, extremes := range []bool{false, true} {
			for _, ansi := range []bool{true, false} {
				function := name
				if !ansi {
					function += "_legacy"
				}
				label := function
				if extremes {
					label += "/overflow"
				}
				exectest.RunExpr(t, exectest.ExprTest{
					Name:  label,
					Input: exectest.NewTable(schema, intPairs(extremes)),
					Expr:  scalarCall(function, int64Type, exectest.Col(schema, 0), exectest.Col(schema, 1)),
					Want:  checkedInt(op, 64, ansi),
				})
			}
		}
	}
}

func TestArithmeticInt32Overflow(t *testing.T) {
	schema := pairSchema(arrow.PrimitiveTypes.Int32)
	rows := exectest.Rows{{1, 2}, {math.MaxInt32, 0}, {-7, 3}, {math.MaxInt32, 1}, {math.MinInt32, -1}}
	// Inputs arrive as int32 columns; values come back as int64.
	for i, r := range rows {
		rows[i] = []any{int64(r[0].(int)), int64(r[1].(int))}
	}
	add := func(a, b *big.Int) *big.Int { return new(big.Int).Add(a, b) }
	exectest.RunExpr(t, exectest.ExprTest{
		Name: "add", Input: exectest.NewTable(schema, rows),
		Expr: scalarCall("add", arrow.PrimitiveTypes.Int32, exectest.Col(schema, 0), exectest.Col(schema, 1)),
		Want: checkedInt(add, 32, true),
	})
	exectest.RunExpr(t, exectest.ExprTest{
		Name: "add_legacy", Input: exectest.NewTable(schema, rows),
		Expr: scalarCall("add_legacy", arrow.PrimitiveTypes.Int32, exectest.Col(schema, 0), exectest.Col(schema, 1)),
		Want: checkedInt(add, 32, false),
	})
}

func TestNegativeOverflow(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: int64Type, Nullable: true}}, nil)
	rows := exectest.Rows{{int64(5)}, {int64(-3)}, {int64(math.MaxInt64)}, {int64(math.MinInt64)}}
	exectest.RunExpr(t, exectest.ExprTest{
		Input: exectest.NewTable(schema, rows),
		Expr:  scalarCall("negative", int64Type, exectest.Col(schema, 0)),
		Want: func(r []any) (any, error) {
			if r[0] == nil {
				return nil, nil
			}
			if r[0].(int64) == math.MinInt64 {
				return nil, errArithmetic
			}
			return -r[0].(int64), nil
		},
	})
}

func TestDivide(t *testing.T) {
	schema := pairSchema(float64Type)
	rows := exectest.Rows{{7.0, 2.0}, {-1.0, 3.0}, {1.0, 0.0}, {0.0, -0.0}, {math.Inf(1), 2.0}, {math.NaN(), 1.0}, {5.0, math.NaN()}, {1e308, 1e-308}}
	noZero := exectest.Rows{{7.0, 2.0}, {-1.0, 3.0}, {math.NaN(), 1.0}, {1e308, 1e-308}}
	for _, ansi := range []bool{true, false} {
		function := "divide"
		if !ansi {
			function = "divide_legacy"
		}
		// Spark: a zero divisor raises DIVIDE_BY_ZERO in ANSI mode and gives NULL otherwise, never
		// infinity; a NULL dividend gives NULL even over a zero divisor.
		want := func(r []any) (any, error) {
			if r[0] == nil || r[1] == nil {
				return nil, nil
			}
			if r[1].(float64) == 0 {
				if ansi {
					return nil, errArithmetic
				}
				return nil, nil
			}
			return r[0].(float64) / r[1].(float64), nil
		}
		for name, input := range map[string]exectest.Rows{"zero divisors": rows, "no zero": noZero} {
			exectest.RunExpr(t, exectest.ExprTest{
				Name: function + "/" + name, Input: exectest.NewTable(schema, input),
				Expr: &logical.Call{Function: function, Args: []logical.Expr{exectest.Col(schema, 0), exectest.Col(schema, 1)}, Type: float64Type, Null: true},
				Want: want,
			})
		}
	}
	// NULL / 0 is NULL, not an error, in ANSI mode too.
	exectest.RunExpr(t, exectest.ExprTest{
		Name: "null dividend over zero", Input: exectest.NewTable(schema, exectest.Rows{{nil, 0.0}, {4.0, 2.0}}),
		Expr:            &logical.Call{Function: "divide", Args: []logical.Expr{exectest.Col(schema, 0), exectest.Col(schema, 1)}, Type: float64Type, Null: true},
		Want:            func(r []any) (any, error) { return map[bool]any{true: nil, false: 2.0}[r[0] == nil], nil },
		NoNullInjection: true,
	})
}

// sparkCompare orders values as Spark does: NaN equals NaN and is larger than any other double;
// -0.0 equals 0.0; strings compare by bytes.
func sparkCompare(a, b any) int {
	switch x := a.(type) {
	case int64:
		y := b.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case float64:
		y := b.(float64)
		xn, yn := math.IsNaN(x), math.IsNaN(y)
		switch {
		case xn && yn:
			return 0
		case xn:
			return 1
		case yn:
			return -1
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		y := b.(string)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	panic("sparkCompare: unsupported type")
}

func TestComparisons(t *testing.T) {
	tests := map[string]func(c int) bool{
		"eq": func(c int) bool { return c == 0 }, "lt": func(c int) bool { return c < 0 }, "lte": func(c int) bool { return c <= 0 },
		"gt": func(c int) bool { return c > 0 }, "gte": func(c int) bool { return c >= 0 },
	}
	inputs := map[string]struct {
		t    arrow.DataType
		rows exectest.Rows
	}{
		"int64": {int64Type, intPairs(true)},
		"float64": {float64Type, exectest.Rows{{1.0, 2.0}, {2.0, 2.0}, {math.NaN(), math.NaN()}, {math.NaN(), 1.0}, {math.Inf(1), math.NaN()},
			{-0.0, 0.0}, {math.Inf(-1), -1e308}, {3.5, -3.5}}},
		"string":  {stringType, exectest.Rows{{"a", "b"}, {"b", "a"}, {"", ""}, {"", "a"}, {"é", "z"}, {"abc", "abd"}, {"Z", "a"}}},
		"boolean": {boolType, exectest.Rows{{true, false}, {false, true}, {true, true}, {false, false}}},
	}
	for typeName, in := range inputs {
		schema := pairSchema(in.t)
		for function, holds := range tests {
			exectest.RunExpr(t, exectest.ExprTest{
				Name:  typeName + "/" + function,
				Input: exectest.NewTable(schema, in.rows),
				Expr:  scalarCall(function, boolType, exectest.Col(schema, 0), exectest.Col(schema, 1)),
				Want: func(r []any) (any, error) {
					if r[0] == nil || r[1] == nil {
						return nil, nil
					}
					return holds(sparkCompare(r[0], r[1])), nil
				},
			})
		}
		exectest.RunExpr(t, exectest.ExprTest{
			Name:  typeName + "/eq_null_safe",
			Input: exectest.NewTable(schema, in.rows),
			Expr:  &logical.Call{Function: "eq_null_safe", Args: []logical.Expr{exectest.Col(schema, 0), exectest.Col(schema, 1)}, Type: boolType},
			Want: func(r []any) (any, error) {
				if r[0] == nil || r[1] == nil {
					return r[0] == nil && r[1] == nil, nil
				}
				return sparkCompare(r[0], r[1]) == 0, nil
			},
		})
	}
}

// kleene is SQL's three-valued logic; nil is UNKNOWN.
func kleeneAnd(a, b any) any {
	if a == false || b == false {
		return false
	}
	if a == nil || b == nil {
		return nil
	}
	return true
}

func kleeneOr(a, b any) any {
	if a == true || b == true {
		return true
	}
	if a == nil || b == nil {
		return nil
	}
	return false
}

func TestThreeValuedLogic(t *testing.T) {
	schema := pairSchema(boolType)
	var rows exectest.Rows
	for _, a := range []any{true, false, nil} {
		for _, b := range []any{true, false, nil} {
			rows = append(rows, []any{a, b})
		}
	}
	x, y := exectest.Col(schema, 0), exectest.Col(schema, 1)
	exectest.RunExpr(t, exectest.ExprTest{Name: "and", Input: exectest.NewTable(schema, rows), Expr: scalarCall("and", boolType, x, y),
		Want: func(r []any) (any, error) { return kleeneAnd(r[0], r[1]), nil }})
	exectest.RunExpr(t, exectest.ExprTest{Name: "or", Input: exectest.NewTable(schema, rows), Expr: scalarCall("or", boolType, x, y),
		Want: func(r []any) (any, error) { return kleeneOr(r[0], r[1]), nil }})
	exectest.RunExpr(t, exectest.ExprTest{Name: "not", Input: exectest.NewTable(schema, rows), Expr: scalarCall("not", boolType, x),
		Want: func(r []any) (any, error) {
			if r[0] == nil {
				return nil, nil
			}
			return !r[0].(bool), nil
		}})
	// Literals on one side: false AND NULL is false, true OR NULL is true.
	for _, lit := range []any{true, false} {
		exectest.RunExpr(t, exectest.ExprTest{Name: "and literal " + strconv.FormatBool(lit.(bool)), Input: exectest.NewTable(schema, rows),
			Expr: scalarCall("and", boolType, literal(lit), y),
			Want: func(r []any) (any, error) { return kleeneAnd(lit, r[1]), nil }})
		exectest.RunExpr(t, exectest.ExprTest{Name: "or literal " + strconv.FormatBool(lit.(bool)), Input: exectest.NewTable(schema, rows),
			Expr: scalarCall("or", boolType, x, literal(lit)),
			Want: func(r []any) (any, error) { return kleeneOr(r[0], lit), nil }})
	}
	exectest.RunExpr(t, exectest.ExprTest{Name: "and null literal", Input: exectest.NewTable(schema, rows),
		Expr: scalarCall("and", boolType, x, logical.NullLiteral(boolType)),
		Want: func(r []any) (any, error) { return kleeneAnd(r[0], nil), nil }})
}

func TestNullTests(t *testing.T) {
	in := people()
	for i, f := range peopleSchema.Fields() {
		col := exectest.Col(peopleSchema, i)
		exectest.RunExpr(t, exectest.ExprTest{Name: "isnull/" + f.Name, Input: in,
			Expr: &logical.Call{Function: "isnull", Args: []logical.Expr{col}, Type: boolType},
			Want: func(r []any) (any, error) { return r[i] == nil, nil }})
		exectest.RunExpr(t, exectest.ExprTest{Name: "isnotnull/" + f.Name, Input: in,
			Expr: &logical.Call{Function: "isnotnull", Args: []logical.Expr{col}, Type: boolType},
			Want: func(r []any) (any, error) { return r[i] != nil, nil }})
	}
}

func TestGetFieldOnNullStructs(t *testing.T) {
	point := arrow.StructOf(arrow.Field{Name: "a", Type: int64Type, Nullable: true}, arrow.Field{Name: "b", Type: stringType, Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{{Name: "p", Type: point, Nullable: true}}, nil)
	rows := exectest.Rows{
		{map[string]any{"a": int64(1), "b": "one"}},
		{nil}, // a NULL struct: its children hold garbage (exectest writes it)
		{map[string]any{"a": nil, "b": "no a"}},
		{map[string]any{"a": int64(4), "b": nil}},
		{nil},
		{map[string]any{"a": int64(-6), "b": "six"}},
	}
	for field, typ := range map[string]arrow.DataType{"a": int64Type, "b": stringType} {
		exectest.RunExpr(t, exectest.ExprTest{
			Name:  field,
			Input: exectest.NewTable(schema, rows),
			Expr:  &logical.Call{Function: "get_field", Args: []logical.Expr{exectest.Col(schema, 0), literal(field)}, Type: typ, Null: true},
			Want: func(r []any) (any, error) {
				if r[0] == nil {
					return nil, nil
				}
				return r[0].(map[string]any)[field], nil
			},
		})
	}
}

func TestCastBasic(t *testing.T) {
	single := func(t arrow.DataType) *arrow.Schema {
		return arrow.NewSchema([]arrow.Field{{Name: "x", Type: t, Nullable: true}}, nil)
	}
	cases := []struct {
		name string
		from arrow.DataType
		rows exectest.Rows
		to   arrow.DataType
		want func(v any) (any, error)
	}{
		{"int32 to bigint", arrow.PrimitiveTypes.Int32, exectest.Rows{{int64(1)}, {int64(math.MinInt32)}, {int64(math.MaxInt32)}}, int64Type,
			func(v any) (any, error) { return v, nil }},
		{"bigint to double", int64Type, exectest.Rows{{int64(3)}, {int64(-1 << 53)}, {int64(0)}}, float64Type,
			func(v any) (any, error) { return float64(v.(int64)), nil }},
		{"bigint to int in range", int64Type, exectest.Rows{{int64(3)}, {int64(math.MaxInt32)}, {int64(math.MinInt32)}}, arrow.PrimitiveTypes.Int32,
			func(v any) (any, error) { return v, nil }},
		// ANSI: a value that does not fit raises CAST_OVERFLOW.
		{"bigint to int overflow", int64Type, exectest.Rows{{int64(3)}, {int64(math.MaxInt32) + 1}}, arrow.PrimitiveTypes.Int32,
			func(v any) (any, error) {
				if x := v.(int64); x > math.MaxInt32 || x < math.MinInt32 {
					return nil, errArithmetic
				}
				return v, nil
			}},
		{"bigint to string", int64Type, exectest.Rows{{int64(12)}, {int64(-5)}, {int64(math.MinInt64)}}, stringType,
			func(v any) (any, error) { return strconv.FormatInt(v.(int64), 10), nil }},
		{"boolean to bigint", boolType, exectest.Rows{{true}, {false}}, int64Type,
			func(v any) (any, error) { return map[bool]any{true: int64(1), false: int64(0)}[v.(bool)], nil }},
		{"string to bigint", stringType, exectest.Rows{{"12"}, {"-7"}, {"0"}}, int64Type,
			func(v any) (any, error) { return strconv.ParseInt(v.(string), 10, 64) }},
		// Spark's CAST_INVALID_INPUT (a NumberFormatException in PySpark, not arithmetic).
		{"invalid string to bigint", stringType, exectest.Rows{{"12"}, {"twelve"}}, int64Type,
			func(v any) (any, error) {
				n, err := strconv.ParseInt(v.(string), 10, 64)
				if err != nil {
					return nil, errors.New("[CAST_INVALID_INPUT]")
				}
				return n, nil
			}},
	}
	for _, c := range cases {
		schema := single(c.from)
		exectest.RunExpr(t, exectest.ExprTest{
			Name:  c.name,
			Input: exectest.NewTable(schema, c.rows),
			Expr:  &logical.Cast{Child: exectest.Col(schema, 0), To: c.to, Mode: logical.EvalANSI},
			Want: func(r []any) (any, error) {
				if r[0] == nil {
					return nil, nil
				}
				return c.want(r[0])
			},
		})
	}
}
