package exec_test

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// Scalar function kernels, resolved by the analyzer as a query would be and run through the
// exectest harness (batch sizes 1, 2, 7 and the default; NULL injection; sliced inputs; garbage
// beneath NULLs; checked allocator). References are plain Go.

type functionCase struct {
	name     string
	function string
	// args builds the call's arguments from the input columns.
	args func(columns []logical.Expr) []logical.Expr
	want func(row []any) (any, error)
}

func lit(v any) logical.Expr {
	switch x := v.(type) {
	case int:
		return logical.NewLiteral(scalar.NewInt32Scalar(int32(x)))
	case string:
		return logical.NewLiteral(scalar.NewStringScalar(x))
	case float64:
		return logical.NewLiteral(scalar.NewFloat64Scalar(x))
	case bool:
		return logical.NewLiteral(scalar.NewBooleanScalar(x))
	}
	panic(fmt.Sprintf("lit %T", v))
}

func runFunctionCases(t *testing.T, schema *arrow.Schema, rows exectest.Rows, cases []functionCase) {
	t.Helper()
	runFunctionCasesIn(t, schema, rows, cases, true)
}

// runFunctionCasesIn resolves with spark.sql.ansi.enabled=ansi.
func runFunctionCasesIn(t *testing.T, schema *arrow.Schema, rows exectest.Rows, cases []functionCase, ansi bool) {
	t.Helper()
	columns := make([]logical.Expr, schema.NumFields())
	attrs := make([]*logical.ColumnRef, schema.NumFields())
	for i, f := range schema.Fields() {
		ref := &logical.ColumnRef{AttrID: logical.ExprID(i + 1), ColumnName: f.Name, Type: f.Type, Null: f.Nullable}
		columns[i], attrs[i] = ref, ref
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			config := analyzer.DefaultConfig()
			config.ANSI = ansi
			a := analyzer.New(nil, config)
			resolved, err := a.ResolveCall(c.function, c.args(columns), false)
			if err != nil {
				t.Fatalf("resolve %s: %v", c.function, err)
			}
			bound, err := physical.Bind(resolved, attrs)
			if err != nil {
				t.Fatal(err)
			}
			exectest.RunExpr(t, exectest.ExprTest{Name: c.name, Input: exectest.NewTable(schema, rows), Expr: bound, Want: c.want})
		})
	}
}

// nullSafe calls f only when no argument it reads is NULL.
func nullSafe(indices []int, f func(row []any) (any, error)) func(row []any) (any, error) {
	return func(row []any) (any, error) {
		for _, i := range indices {
			if row[i] == nil {
				return nil, nil
			}
		}
		return f(row)
	}
}

func TestArithmeticFunctions(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "b", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "y", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	nan := math.NaN()
	rows := exectest.Rows{
		{int64(7), int64(3), 2.5, 1.0}, {int64(-7), int64(3), -2.5, nan}, {int64(0), int64(5), nan, nan},
		{int64(13), int64(-4), 1.005, -0.0}, {int64(math.MinInt64), int64(-1), 2.675, 4.0}, {int64(100), int64(7), 0.0, 0.0},
	}
	ab, xy := []int{0, 1}, []int{2, 3}
	cmp := func(a, b float64) int { // Spark: NaN = NaN, NaN above everything
		switch an, bn := math.IsNaN(a), math.IsNaN(b); {
		case an && bn:
			return 0
		case an:
			return 1
		case bn:
			return -1
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	runFunctionCases(t, schema, rows, []functionCase{
		{"mod", "%", func(c []logical.Expr) []logical.Expr { return c[:2] }, nullSafe(ab, func(r []any) (any, error) {
			if r[1].(int64) == -1 {
				return int64(0), nil
			}
			return r[0].(int64) % r[1].(int64), nil
		})},
		{"pmod", "pmod", func(c []logical.Expr) []logical.Expr { return c[:2] }, nullSafe(ab, func(r []any) (any, error) {
			a, b := r[0].(int64), r[1].(int64)
			if b == -1 {
				return int64(0), nil
			}
			m := a % b
			if m < 0 {
				m = (m + b) % b
			}
			return m, nil
		})},
		{"bitand", "&", func(c []logical.Expr) []logical.Expr { return c[:2] }, nullSafe(ab, func(r []any) (any, error) { return r[0].(int64) & r[1].(int64), nil })},
		{"bitxor", "^", func(c []logical.Expr) []logical.Expr { return c[:2] }, nullSafe(ab, func(r []any) (any, error) { return r[0].(int64) ^ r[1].(int64), nil })},
		{"shiftleft", "shiftleft", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(65)} },
			nullSafe([]int{0}, func(r []any) (any, error) { return r[0].(int64) << 1, nil })},
		{"try_add", "try_add", func(c []logical.Expr) []logical.Expr { return c[:2] }, nullSafe(ab, func(r []any) (any, error) {
			a, b := r[0].(int64), r[1].(int64)
			s := a + b
			if (b > 0 && s < a) || (b < 0 && s > a) {
				return nil, nil
			}
			return s, nil
		})},
		{"ansi_add_overflow_raises", "+", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], c[0]} }, nullSafe([]int{0}, func(r []any) (any, error) {
			a := r[0].(int64)
			if a+a < 0 != (a < 0) || (a != 0 && a+a == 0) {
				return nil, fmt.Errorf("ARITHMETIC_OVERFLOW")
			}
			return a + a, nil
		})},
		{"float_eq_nan", "=", func(c []logical.Expr) []logical.Expr { return c[2:] }, nullSafe(xy, func(r []any) (any, error) {
			return cmp(r[2].(float64), r[3].(float64)) == 0, nil
		})},
		{"float_gt_nan", ">", func(c []logical.Expr) []logical.Expr { return c[2:] }, nullSafe(xy, func(r []any) (any, error) {
			return cmp(r[2].(float64), r[3].(float64)) > 0, nil
		})},
		{"float_mod", "%", func(c []logical.Expr) []logical.Expr { return c[2:] }, nullSafe(xy, func(r []any) (any, error) {
			if r[3].(float64) == 0 {
				return nil, fmt.Errorf("DIVIDE_BY_ZERO")
			}
			return math.Mod(r[2].(float64), r[3].(float64)), nil
		})},
	})
	runFunctionCasesIn(t, schema, rows, []functionCase{
		{"legacy_mod_by_zero_is_null", "%", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(0)} },
			func(r []any) (any, error) { return nil, nil }},
		{"legacy_add_wraps", "+", func(c []logical.Expr) []logical.Expr { return c[:2] }, nullSafe(ab, func(r []any) (any, error) {
			return r[0].(int64) + r[1].(int64), nil // Go wraps like Java
		})},
	}, false)
}

func TestConditionalAndMathFunctions(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	rows := exectest.Rows{{int64(0), 2.5}, {int64(2), -2.5}, {int64(4), 0.0}, {int64(-3), 1.005}, {int64(10), 100.0}, {int64(1), math.NaN()}}
	a := func(r []any) (int64, bool) {
		if r[0] == nil {
			return 0, false
		}
		return r[0].(int64), true
	}
	eq := func(l, r logical.Expr) logical.Expr {
		e, err := analyzer.New(nil, analyzer.DefaultConfig()).ResolveCall("=", []logical.Expr{l, r}, false)
		if err != nil {
			panic(err)
		}
		return e
	}
	div := func(l, r logical.Expr) logical.Expr {
		e, err := analyzer.New(nil, analyzer.DefaultConfig()).ResolveCall("/", []logical.Expr{l, r}, false)
		if err != nil {
			panic(err)
		}
		return e
	}
	runFunctionCases(t, schema, rows, []functionCase{
		// The ELSE branch divides by a, which is 0 in the first row: CASE WHEN must not evaluate
		// it there (Spark evaluates branches lazily).
		{"case_when_lazy", "when", func(c []logical.Expr) []logical.Expr {
			return []logical.Expr{eq(c[0], lit(0)), lit(-1.0), div(lit(10), c[0])}
		}, func(r []any) (any, error) {
			v, ok := a(r)
			switch {
			case !ok:
				return nil, nil // a = 0 is null (false), 10 / null is null
			case v == 0:
				return -1.0, nil
			}
			return 10 / float64(v), nil
		}},
		{"divide_ansi", "/", func(c []logical.Expr) []logical.Expr { return []logical.Expr{lit(10), c[0]} }, nullSafe([]int{0}, func(r []any) (any, error) {
			if r[0].(int64) == 0 {
				return nil, fmt.Errorf("DIVIDE_BY_ZERO")
			}
			return 10 / float64(r[0].(int64)), nil
		})},
		{"coalesce", "coalesce", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(99)} }, func(r []any) (any, error) {
			if v, ok := a(r); ok {
				return v, nil
			}
			return int64(99), nil
		}},
		{"greatest", "greatest", func(c []logical.Expr) []logical.Expr { return c }, func(r []any) (any, error) {
			vals := []float64{}
			if v, ok := a(r); ok {
				vals = append(vals, float64(v))
			}
			if r[1] != nil {
				vals = append(vals, r[1].(float64))
			}
			if len(vals) == 0 {
				return nil, nil
			}
			best := vals[0]
			for _, v := range vals[1:] {
				if math.IsNaN(v) || (!math.IsNaN(best) && v > best) {
					best = v
				}
			}
			return best, nil
		}},
		{"round2", "round", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[1], lit(2)} }, nullSafe([]int{1}, func(r []any) (any, error) {
			x := r[1].(float64)
			if math.IsNaN(x) {
				return x, nil
			}
			// HALF_UP on the shortest decimal text (1.005 -> 1.01)
			var v float64
			fmt.Sscan(fmt.Sprintf("%.2f", math.Copysign(math.Floor(math.Abs(x)*100+0.5+1e-9)/100, x)), &v)
			return v, nil
		})},
		{"floor", "floor", func(c []logical.Expr) []logical.Expr { return c[1:] }, nullSafe([]int{1}, func(r []any) (any, error) {
			x := r[1].(float64)
			if math.IsNaN(x) {
				return int64(0), nil
			}
			return int64(math.Floor(x)), nil
		})},
		{"log10_null_below_zero", "log10", func(c []logical.Expr) []logical.Expr { return c[1:] }, nullSafe([]int{1}, func(r []any) (any, error) {
			x := r[1].(float64)
			if x <= 0 {
				return nil, nil
			}
			return math.Log10(x), nil
		})},
		{"isin", "in", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(2), lit(10)} }, nullSafe([]int{0}, func(r []any) (any, error) {
			v := r[0].(int64)
			return v == 2 || v == 10, nil
		})},
	})
}

func TestStringFunctions(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "t", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	rows := exectest.Rows{{"hello world", "o"}, {"", ""}, {"  pad  ", "d"}, {"日本語テキスト", "語"}, {"a,b,,c,", ","}, {"MiXeD", "x"}}
	s := func(r []any) string { return r[0].(string) }
	both := []int{0, 1}
	runeSub := func(str string, pos, length int) string {
		runes := []rune(str)
		start := pos - 1
		if pos < 0 {
			start = len(runes) + pos
		} else if pos == 0 {
			start = 0
		}
		end := min(start+length, len(runes))
		start = max(start, 0)
		if start >= end {
			return ""
		}
		return string(runes[start:end])
	}
	runFunctionCases(t, schema, rows, []functionCase{
		{"upper", "upper", func(c []logical.Expr) []logical.Expr { return c[:1] }, nullSafe([]int{0}, func(r []any) (any, error) { return strings.ToUpper(s(r)), nil })},
		{"length", "length", func(c []logical.Expr) []logical.Expr { return c[:1] }, nullSafe([]int{0}, func(r []any) (any, error) { return int64(utf8.RuneCountInString(s(r))), nil })},
		{"substring_neg", "substring", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(-4), lit(2)} },
			nullSafe([]int{0}, func(r []any) (any, error) { return runeSub(s(r), -4, 2), nil })},
		{"substring_pos", "substring", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(2), lit(3)} },
			nullSafe([]int{0}, func(r []any) (any, error) { return runeSub(s(r), 2, 3), nil })},
		{"concat", "concat", func(c []logical.Expr) []logical.Expr { return c }, nullSafe(both, func(r []any) (any, error) { return s(r) + r[1].(string), nil })},
		{"concat_ws_skips_nulls", "concat_ws", func(c []logical.Expr) []logical.Expr { return []logical.Expr{lit("-"), c[0], c[1]} }, func(r []any) (any, error) {
			var parts []string
			for _, v := range r {
				if v != nil {
					parts = append(parts, v.(string))
				}
			}
			return strings.Join(parts, "-"), nil
		}},
		{"contains", "contains", func(c []logical.Expr) []logical.Expr { return c }, nullSafe(both, func(r []any) (any, error) { return strings.Contains(s(r), r[1].(string)), nil })},
		{"instr", "instr", func(c []logical.Expr) []logical.Expr { return c }, nullSafe(both, func(r []any) (any, error) {
			i := strings.Index(s(r), r[1].(string))
			if i < 0 {
				return int64(0), nil
			}
			return int64(utf8.RuneCountInString(s(r)[:i]) + 1), nil
		})},
		{"lpad", "lpad", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(8), lit("*")} }, nullSafe([]int{0}, func(r []any) (any, error) {
			runes := []rune(s(r))
			if len(runes) >= 8 {
				return string(runes[:8]), nil
			}
			return strings.Repeat("*", 8-len(runes)) + s(r), nil
		})},
		{"like", "like", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit("%o_w%")} }, nullSafe([]int{0}, func(r []any) (any, error) {
			return regexp.MustCompile(`(?s)^.*o.w.*$`).MatchString(s(r)), nil
		})},
		{"regexp_replace", "regexp_replace", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit("([a-z])"), lit("<$1>")} },
			nullSafe([]int{0}, func(r []any) (any, error) {
				return regexp.MustCompile(`([a-z])`).ReplaceAllString(s(r), "<$1>"), nil
			})},
		{"split", "split", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(",")} }, nullSafe([]int{0}, func(r []any) (any, error) {
			var out []any
			for _, p := range strings.Split(s(r), ",") {
				out = append(out, p)
			}
			return out, nil
		})},
		{"cast_int_to_string_in_concat", "concat", func(c []logical.Expr) []logical.Expr {
			return []logical.Expr{c[0], logical.NewLiteral(scalar.NewFloat64Scalar(1e20))}
		}, nullSafe([]int{0}, func(r []any) (any, error) { return s(r) + "1.0E20", nil })},
	})
}

func TestDateFunctions(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	}, nil)
	dates := []time.Time{time.Date(2024, 2, 29, 13, 45, 30, 123456000, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2023, 12, 31, 7, 5, 1, 0, time.UTC)}
	var rows exectest.Rows
	for _, d := range dates {
		rows = append(rows, []any{arrow.Date32FromTime(d), arrow.Timestamp(d.UnixMicro())})
	}
	day := func(r []any) time.Time { return r[0].(arrow.Date32).ToTime() }
	stamp := func(r []any) time.Time { return time.UnixMicro(int64(r[1].(arrow.Timestamp))).UTC() }
	runFunctionCases(t, schema, rows, []functionCase{
		{"year", "year", func(c []logical.Expr) []logical.Expr { return c[:1] }, nullSafe([]int{0}, func(r []any) (any, error) { return int64(day(r).Year()), nil })},
		{"dayofweek", "dayofweek", func(c []logical.Expr) []logical.Expr { return c[:1] }, nullSafe([]int{0}, func(r []any) (any, error) { return int64(day(r).Weekday()) + 1, nil })},
		{"hour", "hour", func(c []logical.Expr) []logical.Expr { return c[1:] }, nullSafe([]int{1}, func(r []any) (any, error) { return int64(stamp(r).Hour()), nil })},
		{"date_add", "date_add", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(400)} }, nullSafe([]int{0}, func(r []any) (any, error) {
			return arrow.Date32FromTime(day(r).AddDate(0, 0, 400)), nil
		})},
		{"date_format", "date_format", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[1], lit("yyyy-MM-dd HH:mm:ss.SSS EEE")} },
			nullSafe([]int{1}, func(r []any) (any, error) { return stamp(r).Format("2006-01-02 15:04:05.000 Mon"), nil })},
		{"date_trunc_month", "date_trunc", func(c []logical.Expr) []logical.Expr { return []logical.Expr{lit("month"), c[1]} }, nullSafe([]int{1}, func(r []any) (any, error) {
			s := stamp(r)
			return arrow.Timestamp(time.Date(s.Year(), s.Month(), 1, 0, 0, 0, 0, time.UTC).UnixMicro()), nil
		})},
	})
}

func TestCollectionFunctions(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "arr", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true}}, nil)
	rows := exectest.Rows{{[]any{int64(3), int64(1), int64(2)}}, {[]any{}}, {[]any{int64(5), nil, int64(5)}}, {[]any{int64(7)}}}
	list := func(r []any) []any { return r[0].([]any) }
	runFunctionCases(t, schema, rows, []functionCase{
		{"size", "size", func(c []logical.Expr) []logical.Expr { return c }, nullSafe([]int{0}, func(r []any) (any, error) { return int64(len(list(r))), nil })},
		{"array_contains", "array_contains", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(5)} }, nullSafe([]int{0}, func(r []any) (any, error) {
			sawNull := false
			for _, v := range list(r) {
				if v == nil {
					sawNull = true
				} else if v.(int64) == 5 {
					return true, nil
				}
			}
			if sawNull {
				return nil, nil
			}
			return false, nil
		})},
		{"sort_array", "sort_array", func(c []logical.Expr) []logical.Expr { return c }, nullSafe([]int{0}, func(r []any) (any, error) {
			var nulls, vals []any
			for _, v := range list(r) {
				if v == nil {
					nulls = append(nulls, v)
				} else {
					vals = append(vals, v)
				}
			}
			for i := range vals {
				for j := i + 1; j < len(vals); j++ {
					if vals[j].(int64) < vals[i].(int64) {
						vals[i], vals[j] = vals[j], vals[i]
					}
				}
			}
			return append(nulls, vals...), nil
		})},
		{"get_item_0", "element_at_extract", func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(0)} }, nullSafe([]int{0}, func(r []any) (any, error) {
			if len(list(r)) == 0 {
				return nil, fmt.Errorf("INVALID_ARRAY_INDEX")
			}
			return list(r)[0], nil
		})},
	})
}

func TestGenerateExplode(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "arr", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	}, nil)
	rows := exectest.Rows{{int64(1), []any{"a", "b"}}, {int64(2), []any{}}, {int64(3), []any{"c", nil, "d"}}, {int64(4), []any{"e"}}}
	for _, outer := range []bool{false, true} {
		out := arrow.NewSchema([]arrow.Field{schema.Field(0), schema.Field(1),
			{Name: "pos", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, {Name: "col", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   fmt.Sprintf("posexplode outer=%t", outer),
			Inputs: []exectest.Table{exectest.NewTable(schema, rows)},
			Plan: func(sources []*exectest.Source) physical.Node {
				return &physical.Generate{Input: sources[0], Collection: exectest.Col(schema, 1), Outer: outer, Position: true, OutSchema: out}
			},
			Expected: func(inputs []exectest.Table) (exectest.Rows, error) {
				var want exectest.Rows
				for _, r := range inputs[0].AllRows() {
					elems, _ := r[1].([]any)
					if len(elems) == 0 {
						if outer {
							want = append(want, []any{r[0], r[1], nil, nil})
						}
						continue
					}
					for k, e := range elems {
						want = append(want, []any{r[0], r[1], int64(k), e})
					}
				}
				return want, nil
			},
			Ordered: true,
		})
	}
}
