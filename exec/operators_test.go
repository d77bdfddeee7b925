package exec_test

import (
	"context"
	"errors"
	"io"
	"math"
	"math/big"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

var (
	int64Type   = arrow.PrimitiveTypes.Int64
	float64Type = arrow.PrimitiveTypes.Float64
	boolType    = arrow.FixedWidthTypes.Boolean
	stringType  = arrow.BinaryTypes.String
)

// people is the operators' common input: 3 partitions (one empty) of mixed types.
var peopleSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: int64Type},
	{Name: "age", Type: int64Type, Nullable: true},
	{Name: "name", Type: stringType, Nullable: true},
	{Name: "score", Type: float64Type, Nullable: true},
	{Name: "active", Type: boolType, Nullable: true},
}, nil)

func people() exectest.Table {
	var partitions []exectest.Rows
	id := 0
	for _, n := range []int{13, 0, 20} {
		var rows exectest.Rows
		for i := 0; i < n; i++ {
			rows = append(rows, []any{int64(id), int64(id*7%50 - 5), string(rune('a'+id%26)) + "x", float64(id) / 4, id%3 == 0})
			id++
		}
		partitions = append(partitions, rows)
	}
	partitions[2][4][3] = math.NaN()
	partitions[2][5][2] = ""
	return exectest.Table{Schema: peopleSchema, Partitions: partitions}
}

func literal(v any) *logical.Literal { return logical.NewLiteral(scalar.MakeScalar(v)) }

func scalarCall(function string, t arrow.DataType, args ...logical.Expr) *logical.Call {
	null := false
	for _, a := range args {
		null = null || a.Nullable()
	}
	return &logical.Call{Function: function, Args: args, Type: t, Null: null}
}

func TestStoredScan(t *testing.T) {
	in := people()
	// The stored batches carry schema metadata the plan does not (pandas metadata, say).
	stored := arrow.NewSchema(peopleSchema.Fields(), func() *arrow.Metadata { m := arrow.NewMetadata([]string{"k"}, []string{"v"}); return &m }())
	for name, projection := range map[string][]int{"all": nil, "subset reordered": {3, 0, 2}, "one twice": {1, 1}} {
		out := peopleSchema
		if projection != nil {
			fields := make([]arrow.Field, len(projection))
			for i, p := range projection {
				fields[i] = peopleSchema.Field(p)
			}
			out = arrow.NewSchema(fields, nil)
		}
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   name,
			Inputs: []exectest.Table{in},
			Setup: func(t *testing.T, tc *exec.TaskContext, inputs []exectest.Table) {
				table := inputs[0]
				table.Schema = stored
				require.NoError(t, exectest.StoreTable(tc, "df", table))
			},
			Plan: func([]*exectest.Source) physical.Node {
				return &physical.StoredScan{DataFrameID: "df", Projection: projection, OutSchema: out, Partitions: len(in.Partitions)}
			},
			Expected: func(inputs []exectest.Table) (exectest.Rows, error) {
				var want exectest.Rows
				for _, row := range inputs[0].AllRows() {
					if projection == nil {
						want = append(want, row)
						continue
					}
					r := make([]any, len(projection))
					for i, p := range projection {
						r[i] = row[p]
					}
					want = append(want, r)
				}
				return want, nil
			},
			Ordered: true,
		})
	}
}

func TestStoredScanOfReleasedFrameIsNotFound(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tc := exectest.NewTaskContext(mem)
	defer tc.Store.Close()
	_, err := exectest.Collect(t, tc, &physical.StoredScan{DataFrameID: "gone", OutSchema: peopleSchema, Partitions: 1})
	require.Error(t, err)
	require.Contains(t, err.Error(), "not stored")
}

// rangeReference lists range(start, end, step) with big integers, immune to overflow.
func rangeReference(start, end, step int64) exectest.Rows {
	var rows exectest.Rows
	v, e, s := big.NewInt(start), big.NewInt(end), big.NewInt(step)
	for (step > 0 && v.Cmp(e) < 0) || (step < 0 && v.Cmp(e) > 0) {
		rows = append(rows, []any{v.Int64()})
		v = new(big.Int).Add(v, s)
	}
	return rows
}

func TestRange(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: int64Type}}, nil)
	cases := []struct {
		name                   string
		start, end, step       int64
		partitions             int
		wantPartitionsBalanced bool
	}{
		{"simple", 0, 10, 1, 1, true},
		{"step 3 over 4 partitions", 0, 100, 3, 4, true},
		{"negative step", 10, -10, -3, 3, true},
		{"empty", 5, 5, 1, 2, true},
		{"wrong direction is empty", 5, 10, -1, 2, true},
		{"more partitions than rows", 0, 7, 2, 7, true},
		{"near the int64 limits", math.MaxInt64 - 10, math.MaxInt64, 3, 2, true},
		{"span wider than int64", -5, math.MaxInt64, math.MaxInt64 / 2, 2, true},
		{"from the minimum", math.MinInt64, math.MinInt64 + 20, 7, 3, true},
		{"down to the minimum", math.MinInt64 + 9, math.MinInt64, -4, 2, true},
	}
	for _, c := range cases {
		node := &physical.RangeScan{Start: c.start, End: c.end, Step: c.step, Partitions: c.partitions, OutSchema: schema}
		exectest.RunPlan(t, exectest.PlanTest{
			Name:     c.name,
			Plan:     func([]*exectest.Source) physical.Node { return node },
			Expected: func([]exectest.Table) (exectest.Rows, error) { return rangeReference(c.start, c.end, c.step), nil },
			Ordered:  true,
		})
		// Partitions get equal shares (they differ by at most one row).
		t.Run(c.name+"/balanced", func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			tc := exectest.NewTaskContext(mem)
			defer tc.Store.Close()
			total := len(rangeReference(c.start, c.end, c.step))
			for p := 0; p < c.partitions; p++ {
				op, err := exec.Build(tc, node, p)
				require.NoError(t, err)
				rows, err := exectest.Drain(context.Background(), exectest.NewChecker(t, op))
				require.NoError(t, err)
				require.InDelta(t, float64(total)/float64(c.partitions), len(rows), 1, "partition %d", p)
			}
		})
	}
}

func TestProjection(t *testing.T) {
	in := people()
	age, score, name := exectest.Col(peopleSchema, 1), exectest.Col(peopleSchema, 3), exectest.Col(peopleSchema, 2)
	out := arrow.NewSchema([]arrow.Field{
		{Name: "name", Type: stringType, Nullable: true},
		{Name: "(age + 1)", Type: int64Type, Nullable: true},
		{Name: "seven", Type: int64Type},
		{Name: "(score * 2.0)", Type: float64Type, Nullable: true},
		{Name: "missing", Type: stringType, Nullable: true},
	}, nil)
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs: []exectest.Table{in},
		Plan: func(s []*exectest.Source) physical.Node {
			return &physical.Projection{Input: s[0], OutSchema: out, Expressions: []logical.Expr{
				name,
				scalarCall("add", int64Type, age, literal(int64(1))),
				&logical.Alias{Child: literal(int64(7)), Alias: "seven"},
				scalarCall("multiply", float64Type, score, literal(2.0)),
				logical.NullLiteral(stringType),
			}}
		},
		Expected: func(inputs []exectest.Table) (exectest.Rows, error) {
			var want exectest.Rows
			for _, r := range inputs[0].AllRows() {
				row := []any{r[2], nil, int64(7), nil, nil}
				if r[1] != nil {
					row[1] = r[1].(int64) + 1
				}
				if r[3] != nil {
					row[3] = r[3].(float64) * 2
				}
				want = append(want, row)
			}
			return want, nil
		},
		Ordered: true,
	})
}

func TestFilter(t *testing.T) {
	in := people()
	age, active, score := exectest.Col(peopleSchema, 1), exectest.Col(peopleSchema, 4), exectest.Col(peopleSchema, 3)
	cases := []struct {
		name      string
		predicate logical.Expr
		keep      func(r []any) bool // SQL: NULL does not keep the row
	}{
		{"age > 10", scalarCall("gt", boolType, age, literal(int64(10))), func(r []any) bool { return r[1] != nil && r[1].(int64) > 10 }},
		{"boolean column", active, func(r []any) bool { return r[4] != nil && r[4].(bool) }},
		{"always true", literal(true), func([]any) bool { return true }},
		{"always false", literal(false), func([]any) bool { return false }},
		{"null literal", logical.NullLiteral(boolType), func([]any) bool { return false }},
		{"score <= 2.5 or active", scalarCall("or", boolType, scalarCall("lte", boolType, score, literal(2.5)), active), func(r []any) bool {
			// Kleene OR: true if either side is true.
			return (r[3] != nil && r[3].(float64) <= 2.5) || (r[4] != nil && r[4].(bool))
		}},
	}
	for _, c := range cases {
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   c.name,
			Inputs: []exectest.Table{in},
			Plan: func(s []*exectest.Source) physical.Node {
				return &physical.Filter{Input: s[0], Predicate: c.predicate}
			},
			Expected: func(inputs []exectest.Table) (exectest.Rows, error) {
				var want exectest.Rows
				for _, r := range inputs[0].AllRows() {
					if c.keep(r) {
						want = append(want, r)
					}
				}
				return want, nil
			},
			Ordered: true,
		})
	}
}

func TestLimits(t *testing.T) {
	in := people()
	cases := []struct{ count, offset int64 }{{0, 0}, {1, 0}, {5, 0}, {5, 3}, {-1, 4}, {100, 0}, {3, 100}, {-1, 0}}
	for _, c := range cases {
		name := "count=" + itoa(c.count) + "/offset=" + itoa(c.offset)
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   "global/" + name,
			Inputs: []exectest.Table{in},
			Plan: func(s []*exectest.Source) physical.Node {
				return &physical.GlobalLimit{Input: &physical.CoalescePartitions{Input: s[0]}, Count: c.count, Offset: c.offset}
			},
			Expected: func(inputs []exectest.Table) (exectest.Rows, error) {
				var want exectest.Rows
				for i, r := range inputs[0].AllRows() {
					if int64(i) >= c.offset && (c.count < 0 || int64(i) < c.offset+c.count) {
						want = append(want, r)
					}
				}
				return want, nil
			},
			Ordered: true,
		})
		if c.offset != 0 {
			continue
		}
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   "local/" + name,
			Inputs: []exectest.Table{in},
			Plan: func(s []*exectest.Source) physical.Node {
				return &physical.LocalLimit{Input: s[0], Count: c.count}
			},
			Expected: func(inputs []exectest.Table) (exectest.Rows, error) {
				var want exectest.Rows
				for _, part := range inputs[0].Partitions {
					for i, r := range part {
						if c.count < 0 || int64(i) < c.count {
							want = append(want, r)
						}
					}
				}
				return want, nil
			},
			Ordered: true,
		})
	}
}

// A limit stops pulling its input once it has its rows.
func TestLimitStopsEarly(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tc := exectest.NewTaskContext(mem)
	defer tc.Store.Close()
	tc.BatchSize = 10
	input, err := exec.Build(tc, &physical.RangeScan{Start: 0, End: 1_000_000, Step: 1, Partitions: 1,
		OutSchema: arrow.NewSchema([]arrow.Field{{Name: "id", Type: int64Type}}, nil)}, 0)
	require.NoError(t, err)
	counted := exectest.NewChecker(t, input)
	rows, err := exectest.Drain(context.Background(), exec.NewLimit(counted, 25, 5))
	require.NoError(t, err)
	require.Len(t, rows, 25)
	require.Equal(t, int64(5), rows[0][0])
	require.Equal(t, 3, counted.Batches, "30 rows in batches of 10")
}

func TestCoalescePartitions(t *testing.T) {
	in := people()
	age := exectest.Col(peopleSchema, 1)
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs: []exectest.Table{in},
		Plan: func(s []*exectest.Source) physical.Node {
			return &physical.CoalescePartitions{Input: &physical.Filter{Input: s[0], Predicate: scalarCall("isnotnull", boolType, age)}}
		},
		Expected: func(inputs []exectest.Table) (exectest.Rows, error) {
			var want exectest.Rows
			for _, r := range inputs[0].AllRows() {
				if r[1] != nil {
					want = append(want, r)
				}
			}
			return want, nil
		},
		Ordered: true,
	})
}

func TestEmpty(t *testing.T) {
	exectest.RunPlan(t, exectest.PlanTest{
		Plan:     func([]*exectest.Source) physical.Node { return &physical.Empty{OutSchema: peopleSchema} },
		Expected: func([]exectest.Table) (exectest.Rows, error) { return nil, nil },
	})
}

// An operator's error surfaces through Next and everything is still released.
func TestErrorMidStreamReleasesEverything(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: int64Type}}, nil)
	var rows exectest.Rows
	for i := 0; i < 50; i++ {
		rows = append(rows, []any{int64(i)})
	}
	rows[37][0] = int64(math.MaxInt64)
	x := exectest.Col(schema, 0)
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs: []exectest.Table{exectest.NewTable(schema, rows)},
		Plan: func(s []*exectest.Source) physical.Node {
			return &physical.GlobalLimit{Count: -1, Input: &physical.Projection{Input: s[0], Expressions: []logical.Expr{scalarCall("add", int64Type, x, literal(int64(1)))},
				OutSchema: arrow.NewSchema([]arrow.Field{{Name: "(x + 1)", Type: int64Type}}, nil)}}
		},
		Expected: func([]exectest.Table) (exectest.Rows, error) { return nil, errArithmetic },
	})
}

func TestBatchSourceCloseReleasesUnread(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: int64Type}}, nil)
	var batches []arrow.RecordBatch
	for i := 0; i < 3; i++ {
		b, err := exectest.MakeBatch(mem, schema, exectest.Rows{{int64(i)}})
		require.NoError(t, err)
		batches = append(batches, b)
	}
	src := exec.NewBatchSource(schema, batches)
	require.NoError(t, src.Open(context.Background()))
	b, err := src.Next(context.Background())
	require.NoError(t, err)
	b.Release()
	require.NoError(t, src.Close())
	_, err = src.Next(context.Background())
	require.True(t, errors.Is(err, io.EOF))
}

func itoa(v int64) string { return big.NewInt(v).String() }
