package exec_test

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// AND/OR chains (eval_connectives.go: short-circuit over the undecided rows, cheap operands
// first, OR-ed literal comparisons as one IN-list test) against SQL's three-valued logic
// written out in Go, through the exectest harness (batch sizes, NULL injection, sliced inputs,
// checked allocator).

// and3 and or3 are SQL's AND and OR over true, false and nil (NULL).
func and3(values ...any) any {
	result := any(true)
	for _, v := range values {
		switch v {
		case false:
			return false
		case nil:
			result = nil
		}
	}
	return result
}

func or3(values ...any) any {
	result := any(false)
	for _, v := range values {
		switch v {
		case true:
			return true
		case nil:
			result = nil
		}
	}
	return result
}

// in3 is x IN (list) with NULL semantics; a nil in list is a NULL literal.
func in3(x any, list ...any) any {
	if x == nil {
		return nil
	}
	result := any(false)
	for _, v := range list {
		if v == nil {
			result = nil
		} else if v == x {
			return true
		}
	}
	return result
}

func compare3(x any, f func(any) bool) any {
	if x == nil {
		return nil
	}
	return f(x)
}

type connectiveCase struct {
	name  string
	build func(r resolver) logical.Expr
	want  func(row []any) any
}

// resolver resolves calls as the analyzer does for a query.
type resolver struct {
	t       *testing.T
	a       *analyzer.Analyzer
	columns []logical.Expr
}

func (r resolver) call(name string, args ...logical.Expr) logical.Expr {
	r.t.Helper()
	e, err := r.a.ResolveCall(name, args, false)
	if err != nil {
		r.t.Fatalf("resolve %s: %v", name, err)
	}
	return e
}

func (r resolver) in(subject logical.Expr, values ...logical.Expr) logical.Expr {
	return r.call("in", append([]logical.Expr{subject}, values...)...)
}

func nullString() logical.Expr {
	return logical.NewLiteral(scalar.MakeNullScalar(arrow.BinaryTypes.String))
}

func runConnectiveCases(t *testing.T, schema *arrow.Schema, rows exectest.Rows, cases []connectiveCase) {
	t.Helper()
	columns := make([]logical.Expr, schema.NumFields())
	attrs := make([]*logical.ColumnRef, schema.NumFields())
	for i, f := range schema.Fields() {
		ref := &logical.ColumnRef{AttrID: logical.ExprID(i + 1), ColumnName: f.Name, Type: f.Type, Null: f.Nullable}
		columns[i], attrs[i] = ref, ref
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := resolver{t: t, a: analyzer.New(nil, analyzer.DefaultConfig()), columns: columns}
			bound, err := physical.Bind(c.build(r), attrs)
			if err != nil {
				t.Fatal(err)
			}
			exectest.RunExpr(t, exectest.ExprTest{Name: c.name, Input: exectest.NewTable(schema, rows),
				Expr: bound, Want: func(row []any) (any, error) { return c.want(row), nil }})
		})
	}
}

func TestConnectivesAndInLists(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "c", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	truthValues := []any{true, false, nil}
	numbers := []any{int32(0), int32(1), int32(2), int32(3), int32(7), nil}
	texts := []any{"", "ab", "é日", "AB", "zz", "ab ", nil}
	var rows exectest.Rows
	k := 0
	for _, a := range truthValues {
		for _, b := range truthValues {
			for _, c := range truthValues {
				for j := 0; j < 3; j++ {
					rows = append(rows, []any{a, b, c, numbers[k%len(numbers)], texts[(k*5)%len(texts)]})
					k++
				}
			}
		}
	}
	col := func(r resolver, i int) logical.Expr { return r.columns[i] }
	cases := []connectiveCase{
		{"a and b and c", func(r resolver) logical.Expr {
			return r.call("and", r.call("and", col(r, 0), col(r, 1)), col(r, 2))
		}, func(row []any) any { return and3(row[0], row[1], row[2]) }},
		{"a or b or c", func(r resolver) logical.Expr {
			return r.call("or", col(r, 0), r.call("or", col(r, 1), col(r, 2)))
		}, func(row []any) any { return or3(row[0], row[1], row[2]) }},
		{"(a and b) or c", func(r resolver) logical.Expr {
			return r.call("or", r.call("and", col(r, 0), col(r, 1)), col(r, 2))
		}, func(row []any) any { return or3(and3(row[0], row[1]), row[2]) }},
		{"a and (b or not c)", func(r resolver) logical.Expr {
			return r.call("and", col(r, 0), r.call("or", col(r, 1), r.call("not", col(r, 2))))
		}, func(row []any) any {
			notC := row[2]
			if notC != nil {
				notC = !notC.(bool)
			}
			return and3(row[0], or3(row[1], notC))
		}},
		{"s = empty string", func(r resolver) logical.Expr { return r.call("=", col(r, 4), lit("")) },
			func(row []any) any { return compare3(row[4], func(v any) bool { return v == "" }) }},
		{"multi-byte literal = s", func(r resolver) logical.Expr { return r.call("=", lit("é日"), col(r, 4)) },
			func(row []any) any { return compare3(row[4], func(v any) bool { return v == "é日" }) }},
		{"not (s = ab)", func(r resolver) logical.Expr { return r.call("not", r.call("=", col(r, 4), lit("ab"))) },
			func(row []any) any { return compare3(row[4], func(v any) bool { return v != "ab" }) }},
		{"s in strings", func(r resolver) logical.Expr {
			return r.in(col(r, 4), lit(""), lit("é日"), lit("zz"))
		}, func(row []any) any { return in3(row[4], "", "é日", "zz") }},
		{"s in strings with null", func(r resolver) logical.Expr {
			return r.in(col(r, 4), lit("ab"), nullString())
		}, func(row []any) any { return in3(row[4], "ab", nil) }},
		{"s in many strings", func(r resolver) logical.Expr {
			var values []logical.Expr
			var want []any
			for _, v := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "é日", "ab"} {
				values = append(values, lit(v))
				want = append(want, v)
			}
			return r.in(col(r, 4), values...)
		}, func(row []any) any { return in3(row[4], "a", "b", "c", "d", "e", "f", "g", "h", "i", "é日", "ab") }},
		{"s in strings longer than 8 bytes", func(r resolver) logical.Expr {
			return r.in(col(r, 4), lit("ab"), lit("a string of many bytes"))
		}, func(row []any) any { return in3(row[4], "ab", "a string of many bytes") }},
		{"s in 20 strings", func(r resolver) logical.Expr {
			var values []logical.Expr
			var want []any
			for k := 0; k < 19; k++ {
				v := strings.Repeat("é", k)
				values, want = append(values, lit(v)), append(want, v)
			}
			values = append(values, lit("ab "))
			return r.in(col(r, 4), values...)
		}, func(row []any) any {
			var want []any
			for k := 0; k < 19; k++ {
				want = append(want, strings.Repeat("é", k))
			}
			return in3(row[4], append(want, "ab ")...)
		}},
		{"x in numbers", func(r resolver) logical.Expr {
			return r.in(col(r, 3), lit(1), lit(3), lit(5))
		}, func(row []any) any { return in3(row[3], int64(1), int64(3), int64(5)) }},
		{"x in list or s in list or a", func(r resolver) logical.Expr {
			return r.call("or", r.call("or", r.in(col(r, 3), lit(0), lit(7)), r.in(col(r, 4), lit("AB"), lit("ab "))), col(r, 0))
		}, func(row []any) any { return or3(in3(row[3], int64(0), int64(7)), in3(row[4], "AB", "ab "), row[0]) }},
		{"q19 shape", func(r resolver) logical.Expr {
			branch := func(text string, low, high int, flag int, containers ...string) logical.Expr {
				var list []logical.Expr
				for _, c := range containers {
					list = append(list, lit(c))
				}
				return r.call("and", r.call("and", r.call("and", r.call("=", col(r, 4), lit(text)), r.in(col(r, 4), list...)),
					r.call("and", r.call(">=", col(r, 3), lit(low)), r.call("<=", col(r, 3), lit(high)))), col(r, flag))
			}
			return r.call("or", r.call("or", branch("ab", 0, 2, 1, "ab", "zz"), branch("", 1, 3, 2, "", "x")), branch("é日", 3, 9, 0, "é日"))
		}, func(row []any) any {
			branch := func(text string, low, high int64, flag int, containers ...any) any {
				x := row[3]
				return and3(compare3(row[4], func(v any) bool { return v == text }), in3(row[4], containers...),
					compare3(x, func(v any) bool { return v.(int64) >= low }), compare3(x, func(v any) bool { return v.(int64) <= high }), row[flag])
			}
			return or3(branch("ab", 0, 2, 1, "ab", "zz"), branch("", 1, 3, 2, "", "x"), branch("é日", 3, 9, 0, "é日"))
		}},
		// Spark evaluates the right of AND only where the left is not false: no division by
		// zero is raised for x = 0.
		{"x <> 0 and 10 / x > 1", func(r resolver) logical.Expr {
			return r.call("and", r.call("!=", col(r, 3), lit(0)), r.call(">", r.call("/", lit(10), col(r, 3)), lit(1)))
		}, func(row []any) any {
			if row[3] == nil {
				return nil
			}
			x := row[3].(int64)
			return x != 0 && 10/float64(x) > 1
		}},
		{"x = 0 or 10 / x > 4", func(r resolver) logical.Expr {
			return r.call("or", r.call("=", col(r, 3), lit(0)), r.call(">", r.call("/", lit(10), col(r, 3)), lit(4)))
		}, func(row []any) any {
			if row[3] == nil {
				return nil
			}
			x := row[3].(int64)
			return x == 0 || 10/float64(x) > 4
		}},
		// Few rows left after the first operand: the rest runs over the gathered rows.
		{"x = 3 and s like and s in", func(r resolver) logical.Expr {
			return r.call("and", r.call("and", r.call("=", col(r, 3), lit(3)), r.call("like", col(r, 4), lit("%b%"))),
				r.in(col(r, 4), lit("ab"), lit("ab "), lit("")))
		}, func(row []any) any {
			like := compare3(row[4], func(v any) bool { return referenceLike(v.(string), "%b%", '\\') })
			return and3(compare3(row[3], func(v any) bool { return v.(int64) == 3 }), like, in3(row[4], "ab", "ab ", ""))
		}},
		{"x <> 3 or s like or not b", func(r resolver) logical.Expr {
			return r.call("or", r.call("or", r.call("!=", col(r, 3), lit(3)), r.call("like", col(r, 4), lit("%b%"))), r.call("not", col(r, 1)))
		}, func(row []any) any {
			like := compare3(row[4], func(v any) bool { return referenceLike(v.(string), "%b%", '\\') })
			notB := compare3(row[1], func(v any) bool { return !v.(bool) })
			return or3(compare3(row[3], func(v any) bool { return v.(int64) != 3 }), like, notB)
		}},
		{"s like and not like", func(r resolver) logical.Expr {
			return r.call("and", r.call("like", col(r, 4), lit("%b%")), r.call("not", r.call("like", col(r, 4), lit("_b"))))
		}, func(row []any) any {
			if row[4] == nil {
				return nil
			}
			s := row[4].(string)
			return referenceLike(s, "%b%", '\\') && !referenceLike(s, "_b", '\\')
		}},
	}
	runConnectiveCases(t, schema, rows, cases)
}
