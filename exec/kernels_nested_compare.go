package exec

import (
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Comparisons of arrays and structs (planner/analyzer/fn_nested_compare.go): Spark's ordering
// of these types, which its `=` also uses: element by element, a null element before any value
// and equal to another null, then the shorter array first; structs field by field.

func init() {
	RegisterKernel("compare_nested", compareNestedKernel)
}

// listComparator compares non-null lists x[i] and y[j] (one element type).
func listComparator(x, y *array.List) func(i, j int) int {
	xv, yv := x.ListValues(), y.ListValues()
	elements := valueComparator(xv, yv)
	return func(i, j int) int {
		xs, xe := x.ValueOffsets(i)
		ys, ye := y.ValueOffsets(j)
		for ; xs < xe && ys < ye; xs, ys = xs+1, ys+1 {
			xn, yn := xv.IsNull(int(xs)), yv.IsNull(int(ys))
			if xn || yn {
				if r := nullCompare(xn, yn, true); r != 0 {
					return r
				}
				continue
			}
			if r := elements(int(xs), int(ys)); r != 0 {
				return r
			}
		}
		switch {
		case xs < xe:
			return 1
		case ys < ye:
			return -1
		}
		return 0
	}
}

// compareNestedKernel is compare_nested(l, r, op): op is eq, lt, lte, gt, gte or eq_null_safe.
func compareNestedKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	op := ""
	if s, ok := scalarArg(args[2]); ok && s.IsValid() {
		op = s.(interface{ String() string }).String()
	}
	arrays, err := argArrays(ec, call, args[:2], length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	l, r := arrays[0], arrays[1]
	compare := valueComparator(l, r)
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n)
	out := newBoolOutput(ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		ln, rn := l.IsNull(i), r.IsNull(i)
		if ln || rn {
			if op == "eq_null_safe" {
				out.set(i, ln && rn)
			} else {
				validity.setNull(i)
			}
			continue
		}
		c := compare(i, i)
		var v bool
		switch op {
		case "eq", "eq_null_safe":
			v = c == 0
		case "lt":
			v = c < 0
		case "lte":
			v = c <= 0
		case "gt":
			v = c > 0
		case "gte":
			v = c >= 0
		default:
			validity.release()
			return nil, errkind.Internal("compare_nested with operator %q", op)
		}
		out.set(i, v)
	}
	return datumOf(out.finish(n, validity)), nil
}
