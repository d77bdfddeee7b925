package exec_test

import (
	"cmp"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// spilledWindowCase is one window function over a spilled partition with its reference: the
// value for row i of a partition (rows in window order), computed from the definition.
type spilledWindowCase struct {
	name      string
	function  *logical.WindowExpr
	fieldType arrow.DataType
	reference func(rows [][]any, i int) any
}

func intArgument(i int64) logical.Expr { return logical.NewLiteral(scalar.NewInt64Scalar(i)) }

func rowsFrame(lower, upper *int64) *logical.WindowFrame {
	f := &logical.WindowFrame{Type: logical.RowFrame}
	if lower == nil {
		f.Lower.Unbounded = true
	} else {
		f.Lower.Offset = *lower
	}
	if upper == nil {
		f.Upper.Unbounded = true
	} else {
		f.Upper.Offset = *upper
	}
	return f
}

func offset(i int64) *int64 { return &i }

// frameRows is rows [lo, hi] of a partition clamped to it (RANGE current row: the row's peers
// by t).
func frameRows(rows [][]any, i int, f *logical.WindowFrame) [][]any {
	lo, hi := 0, len(rows)-1
	if f.Type == logical.RangeFrame {
		if !f.Lower.Unbounded {
			for lo = i; lo > 0 && rows[lo-1][1] == rows[i][1]; lo-- {
			}
		}
		if !f.Upper.Unbounded {
			for hi = i; hi < len(rows)-1 && rows[hi+1][1] == rows[i][1]; hi++ {
			}
		}
		return rows[lo : hi+1]
	}
	if !f.Lower.Unbounded {
		lo = max(lo, i+int(f.Lower.Offset))
	}
	if !f.Upper.Unbounded {
		hi = min(hi, i+int(f.Upper.Offset))
	}
	if lo > hi {
		return nil
	}
	return rows[lo : hi+1]
}

func nonNullValues(rows [][]any) []int64 {
	var out []int64
	for _, r := range rows {
		if r[2] != nil {
			out = append(out, r[2].(int64))
		}
	}
	return out
}

func spilledWindowCases(v, tt logical.Expr) []spilledWindowCase {
	aggregate := func(name string, t arrow.DataType, frame *logical.WindowFrame, reduce func([]int64) any) spilledWindowCase {
		return spilledWindowCase{name: name + " " + frame.String(), fieldType: t,
			function: &logical.WindowExpr{Function: &logical.AggregateCall{Function: name, Args: []logical.Expr{v}, Type: t, Null: true}, Frame: frame},
			reference: func(rows [][]any, i int) any {
				values := nonNullValues(frameRows(rows, i, frame))
				if len(values) == 0 && name != "count" {
					return nil
				}
				return reduce(values)
			}}
	}
	sum := func(values []int64) any {
		s := int64(0)
		for _, x := range values {
			s += x
		}
		return s
	}
	count := func(values []int64) any { return int64(len(values)) }
	avg := func(values []int64) any { return float64(sum(values).(int64)) / float64(len(values)) }
	minimum := func(values []int64) any { return slices.Min(values) }
	maximum := func(values []int64) any { return slices.Max(values) }
	peerStart := func(rows [][]any, i int) int {
		for i > 0 && rows[i-1][1] == rows[i][1] {
			i--
		}
		return i
	}
	ranking := func(name string, t arrow.DataType, args []logical.Expr, reference func(rows [][]any, i int) any) spilledWindowCase {
		return spilledWindowCase{name: name, fieldType: t, reference: reference,
			function: &logical.WindowExpr{Function: &logical.Call{Function: name, Type: t, Args: args}, Frame: rowsFrame(nil, offset(0))}}
	}
	return []spilledWindowCase{
		ranking("row_number", arrow.PrimitiveTypes.Int32, nil, func(_ [][]any, i int) any { return int64(i + 1) }),
		ranking("rank", arrow.PrimitiveTypes.Int32, nil, func(rows [][]any, i int) any { return int64(peerStart(rows, i) + 1) }),
		ranking("dense_rank", arrow.PrimitiveTypes.Int32, nil, func(rows [][]any, i int) any {
			dense := int64(1)
			for k := 1; k <= i; k++ {
				if rows[k][1] != rows[k-1][1] {
					dense++
				}
			}
			return dense
		}),
		ranking("percent_rank", arrow.PrimitiveTypes.Float64, nil, func(rows [][]any, i int) any {
			return float64(peerStart(rows, i)) / float64(len(rows)-1)
		}),
		ranking("cume_dist", arrow.PrimitiveTypes.Float64, nil, func(rows [][]any, i int) any {
			end := i
			for end < len(rows)-1 && rows[end+1][1] == rows[i][1] {
				end++
			}
			return float64(end+1) / float64(len(rows))
		}),
		ranking("ntile", arrow.PrimitiveTypes.Int32, []logical.Expr{intArgument(7)}, func(rows [][]any, i int) any {
			// Spark's NTILE: the first len % 7 buckets get one row more.
			n, q := len(rows), len(rows)/7
			r := n % 7
			if i < r*(q+1) {
				return int64(i/(q+1) + 1)
			}
			return int64((i-r*(q+1))/q + r + 1)
		}),
		{name: "lag", fieldType: arrow.PrimitiveTypes.Int64,
			function: &logical.WindowExpr{Function: &logical.Call{Function: "lag", Type: arrow.PrimitiveTypes.Int64, Null: true,
				Args: []logical.Expr{v, intArgument(2), intArgument(-99)}}, Frame: rowsFrame(offset(-2), offset(-2))},
			reference: func(rows [][]any, i int) any {
				if i < 2 {
					return int64(-99)
				}
				return rows[i-2][2]
			}},
		{name: "lead", fieldType: arrow.PrimitiveTypes.Int64,
			function: &logical.WindowExpr{Function: &logical.Call{Function: "lead", Type: arrow.PrimitiveTypes.Int64, Null: true,
				Args: []logical.Expr{v, intArgument(3), logical.NullLiteral(arrow.PrimitiveTypes.Int64)}}, Frame: rowsFrame(offset(3), offset(3))},
			reference: func(rows [][]any, i int) any {
				if i+3 >= len(rows) {
					return nil
				}
				return rows[i+3][2]
			}},
		aggregate("sum", arrow.PrimitiveTypes.Int64, logical.DefaultFrame(true), sum),
		aggregate("count", arrow.PrimitiveTypes.Int64, rowsFrame(nil, offset(1)), count),
		aggregate("avg", arrow.PrimitiveTypes.Float64, rowsFrame(offset(-2), offset(1)), avg),
		aggregate("avg", arrow.PrimitiveTypes.Float64, rowsFrame(nil, offset(0)), avg),
		aggregate("min", arrow.PrimitiveTypes.Int64, rowsFrame(offset(-3), offset(0)), minimum),
		aggregate("max", arrow.PrimitiveTypes.Int64, logical.DefaultFrame(true), maximum),
		aggregate("min", arrow.PrimitiveTypes.Int64, rowsFrame(nil, offset(-1)), minimum),
		aggregate("sum", arrow.PrimitiveTypes.Int64, rowsFrame(nil, nil), sum),
		aggregate("avg", arrow.PrimitiveTypes.Float64, rowsFrame(nil, nil), avg),
		aggregate("max", arrow.PrimitiveTypes.Int64, rowsFrame(nil, nil), maximum),
		aggregate("sum", arrow.PrimitiveTypes.Int64, &logical.WindowFrame{Type: logical.RangeFrame}, sum),
	}
}

// TestWindowPartitionLargerThanTheLimitSpills computes every supported kind of window function
// over one window partition (no PARTITION BY) of input several times the memory pool, and over
// a partitioned input where one partition is that large: the partition goes to a spill file and
// is computed in chunks, with the answers of the definitions.
func TestWindowPartitionLargerThanTheLimitSpills(t *testing.T) {
	const n = 600 // 14 KB of input against a 4 KiB pool
	for _, partitioned := range []bool{false, true} {
		var rows exectest.Rows
		for i := 0; i < n; i++ {
			var k, v any = int64(0), int64((i*13)%50 - 25)
			if partitioned && i%10 == 0 {
				k = int64(1 + i%7) // small partitions around the big one (k = 0)
			}
			if i%7 == 0 {
				v = nil
			}
			rows = append(rows, []any{k, int64(i / 3), v}) // peers: three rows share each t
		}
		k, tt, v := exectest.Col(windowSchema, 0), exectest.Col(windowSchema, 1), exectest.Col(windowSchema, 2)
		cases := spilledWindowCases(v, tt)
		fields := append([]arrow.Field(nil), windowSchema.Fields()...)
		functions := make([]*logical.WindowExpr, len(cases))
		for i, c := range cases {
			functions[i] = c.function
			fields = append(fields, arrow.Field{Name: c.name, Type: c.fieldType, Nullable: true})
		}
		out := arrow.NewSchema(fields, nil)
		runs := &spillRuns{limit: 4 << 10}
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   map[bool]string{false: "one partition", true: "one large partition among small ones"}[partitioned],
			Inputs: []exectest.Table{{Schema: windowSchema, Partitions: []exectest.Rows{rows[:n/2], rows[n/2:]}}},
			Setup:  runs.setup,
			Plan: func(s []*exectest.Source) physical.Node {
				var partition []logical.Expr
				order := []*logical.SortOrder{{Child: tt}}
				sortKeys := order
				if partitioned {
					partition = []logical.Expr{k}
					sortKeys = []*logical.SortOrder{{Child: k}, {Child: tt}}
				}
				// t ties are ordered by the input row (a stable sort over one coalesced partition),
				// which the reference follows.
				sorted := &physical.Sort{Input: &physical.CoalescePartitions{Input: s[0]}, Order: sortKeys}
				return &physical.Window{Input: sorted, PartitionSpec: partition, OrderSpec: order, Functions: functions, OutSchema: out}
			},
			Expected: func(in []exectest.Table) (exectest.Rows, error) {
				groups := map[any][][]any{}
				for _, r := range in[0].AllRows() {
					var key any
					if partitioned {
						key = r[0]
					}
					groups[key] = append(groups[key], r)
				}
				var result exectest.Rows
				for _, group := range groups {
					// NULLS FIRST, ties in input order (the sort is stable).
					slices.SortStableFunc(group, func(a, b []any) int {
						switch {
						case a[1] == nil && b[1] == nil:
							return 0
						case a[1] == nil:
							return -1
						case b[1] == nil:
							return 1
						}
						return cmp.Compare(a[1].(int64), b[1].(int64))
					})
					for i, r := range group {
						row := append([]any{}, r...)
						for _, c := range cases {
							row = append(row, c.reference(group, i))
						}
						result = append(result, row)
					}
				}
				return result, nil
			},
		})
		runs.requireSpilled(t)
	}
}
