package analyzer

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/planner/logical"
)

// Result types and column names of scalar functions, as Spark 4 reports them (ANSI on).
func TestScalarFunctionTypesAndNames(t *testing.T) {
	col := func(name string, typ arrow.DataType) logical.Expr {
		return &logical.ColumnRef{AttrID: 1, ColumnName: name, Type: typ, Null: true}
	}
	i32 := func(v int32) logical.Expr { return logical.NewLiteral(scalar.NewInt32Scalar(v)) }
	str := func(v string) logical.Expr { return logical.NewLiteral(scalar.NewStringScalar(v)) }
	dec := func(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }
	a, x, s, d := col("a", arrow.PrimitiveTypes.Int32), col("x", arrow.PrimitiveTypes.Float64), col("s", arrow.BinaryTypes.String), col("d", dec(10, 2))
	cases := []struct {
		function string
		args     []logical.Expr
		typ      arrow.DataType
		display  string
	}{
		{"%", []logical.Expr{a, i32(2)}, arrow.PrimitiveTypes.Int32, "(a % 2)"},
		{"pmod", []logical.Expr{a, x}, arrow.PrimitiveTypes.Float64, "pmod(a, x)"},
		{"&", []logical.Expr{a, i32(3)}, arrow.PrimitiveTypes.Int32, "(a & 3)"},
		{"shiftleft", []logical.Expr{a, i32(1)}, arrow.PrimitiveTypes.Int32, "shiftleft(a, 1)"},
		{"+", []logical.Expr{d, d}, dec(11, 2), "(d + d)"},
		{"*", []logical.Expr{d, a}, dec(21, 2), "(d * a)"},
		{"/", []logical.Expr{d, d}, dec(23, 13), "(d / d)"},
		{"try_divide", []logical.Expr{a, a}, arrow.PrimitiveTypes.Float64, "try_divide(a, a)"},
		{"when", []logical.Expr{x, a, x}, nil, ""}, // x is not boolean: an error
		{"coalesce", []logical.Expr{a, x}, arrow.PrimitiveTypes.Float64, "coalesce(a, x)"},
		{"greatest", []logical.Expr{a, i32(1)}, arrow.PrimitiveTypes.Int32, "greatest(a, 1)"},
		{"round", []logical.Expr{x, i32(2)}, arrow.PrimitiveTypes.Float64, "round(x, 2)"},
		{"round", []logical.Expr{d, i32(1)}, dec(10, 1), "round(d, 1)"},
		{"round", []logical.Expr{d, i32(-1)}, dec(9, 0), "round(d, -1)"},
		{"floor", []logical.Expr{x}, arrow.PrimitiveTypes.Int64, "FLOOR(x)"},
		{"ceil", []logical.Expr{d}, dec(9, 0), "CEIL(d)"},
		{"sqrt", []logical.Expr{a}, arrow.PrimitiveTypes.Float64, "SQRT(a)"},
		{"ln", []logical.Expr{x}, arrow.PrimitiveTypes.Float64, "ln(x)"},
		{"log", []logical.Expr{x}, arrow.PrimitiveTypes.Float64, "LOG(E(), x)"},
		{"pow", []logical.Expr{x, i32(2)}, arrow.PrimitiveTypes.Float64, "POWER(x, 2)"},
		{"abs", []logical.Expr{d}, dec(10, 2), "abs(d)"},
		{"upper", []logical.Expr{s}, arrow.BinaryTypes.String, "upper(s)"},
		{"length", []logical.Expr{s}, arrow.PrimitiveTypes.Int32, "length(s)"},
		{"substring", []logical.Expr{s, i32(1), i32(2)}, arrow.BinaryTypes.String, "substring(s, 1, 2)"},
		{"concat_ws", []logical.Expr{str(","), s, a}, arrow.BinaryTypes.String, "concat_ws(,, s, a)"},
		{"like", []logical.Expr{s, str("a%")}, arrow.FixedWidthTypes.Boolean, "s LIKE a%"},
		{"rlike", []logical.Expr{s, str("a+")}, arrow.FixedWidthTypes.Boolean, "RLIKE(s, a+)"},
		{"split", []logical.Expr{s, str(",")}, arrow.ListOf(arrow.BinaryTypes.String), "split(s, ,, -1)"},
		{"year", []logical.Expr{s}, arrow.PrimitiveTypes.Int32, "year(s)"},
		{"date_add", []logical.Expr{s, i32(1)}, arrow.FixedWidthTypes.Date32, "date_add(s, 1)"},
		{"to_timestamp", []logical.Expr{s}, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, "to_timestamp(s)"},
		{"array", []logical.Expr{a, x}, arrow.ListOf(arrow.PrimitiveTypes.Float64), "array(a, x)"},
		{"size", []logical.Expr{s}, nil, ""}, // not a collection: an error
	}
	for _, c := range cases {
		a := New(nil, DefaultConfig())
		got, err := a.ResolveCall(c.function, c.args, false)
		if c.typ == nil {
			if err == nil {
				t.Errorf("%s(%s): want an error, got %s", c.function, logical.JoinExprs(c.args, ", "), got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.function, err)
			continue
		}
		if !arrow.TypeEqual(got.DataType(), c.typ) {
			t.Errorf("%s: type %s, want %s", c.display, got.DataType(), c.typ)
		}
		if got.String() != c.display {
			t.Errorf("%s: name %q, want %q", c.function, got.String(), c.display)
		}
	}
}
