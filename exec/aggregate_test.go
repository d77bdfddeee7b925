package exec_test

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"os"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

var aggSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// aggInput has three partitions of rows with few keys, small integer floats (exact sums in
// any order) and a NaN now and then.
func aggInput() exectest.Table {
	r := rand.New(rand.NewSource(42))
	t := exectest.Table{Schema: aggSchema}
	for p := 0; p < 3; p++ {
		var rows exectest.Rows
		for i := 0; i < 40+p*7; i++ {
			var f any = float64(r.Intn(50) - 10)
			if r.Intn(15) == 0 {
				f = math.NaN()
			}
			rows = append(rows, []any{int64(r.Intn(5)), int64(r.Intn(1000) - 500), f, fmt.Sprintf("s%02d", r.Intn(30))})
		}
		t.Partitions = append(t.Partitions, rows)
	}
	return t
}

func call(function string, t arrow.DataType, args ...logical.Expr) *logical.AggregateCall {
	return &logical.AggregateCall{Function: function, Args: args, Type: t, Null: true}
}

func aggregateCalls() []*logical.AggregateCall {
	v, f, s := exectest.Col(aggSchema, 1), exectest.Col(aggSchema, 2), exectest.Col(aggSchema, 3)
	first := call("first", arrow.PrimitiveTypes.Int64, v)
	first.IgnoreNulls = true
	last := call("last", arrow.BinaryTypes.String, s)
	return []*logical.AggregateCall{
		{Function: "count", Type: arrow.PrimitiveTypes.Int64}, // count(*): no argument counts every row
		call("count", arrow.PrimitiveTypes.Int64, v),
		call("sum", arrow.PrimitiveTypes.Int64, v),
		call("avg", arrow.PrimitiveTypes.Float64, f),
		call("min", arrow.BinaryTypes.String, s),
		call("max", arrow.BinaryTypes.String, s),
		call("min", arrow.PrimitiveTypes.Float64, f),
		call("max", arrow.PrimitiveTypes.Float64, f),
		first,
		last,
		call("collect_list", arrow.ListOf(arrow.PrimitiveTypes.Int64), v),
	}
}

// aggregateReference computes aggregateCalls per key with plain loops over rows in order.
func aggregateReference(rows exectest.Rows) exectest.Rows {
	type group struct {
		key           any
		count, countV int64
		sum           int64
		sumSeen       bool
		fSum          float64
		fCount        int64
		minS, maxS    any
		minF, maxF    any
		first, last   any
		firstSet      bool
		list          []any
	}
	var order []string
	groups := map[string]*group{}
	for _, r := range rows {
		key := fmt.Sprint(r[0])
		g, ok := groups[key]
		if !ok {
			g = &group{key: r[0], list: []any{}}
			groups[key] = g
			order = append(order, key)
		}
		g.count++
		if r[1] != nil {
			v := r[1].(int64)
			g.countV++
			g.sum += v
			g.sumSeen = true
			g.list = append(g.list, v)
			if !g.firstSet {
				g.first, g.firstSet = v, true
			}
		}
		if r[2] != nil {
			f := r[2].(float64)
			g.fSum += f
			g.fCount++
			if g.minF == nil || (!math.IsNaN(f) && (math.IsNaN(g.minF.(float64)) || f < g.minF.(float64))) {
				g.minF = f
			}
			if g.maxF == nil || (!math.IsNaN(g.maxF.(float64)) && (math.IsNaN(f) || f > g.maxF.(float64))) {
				g.maxF = f
			}
		}
		if r[3] != nil {
			s := r[3].(string)
			if g.minS == nil || s < g.minS.(string) {
				g.minS = s
			}
			if g.maxS == nil || s > g.maxS.(string) {
				g.maxS = s
			}
		}
		g.last = r[3] // last without ignorenulls: the last row's value, null or not
	}
	var out exectest.Rows
	for _, key := range order {
		g := groups[key]
		var sum, avg any
		if g.sumSeen {
			sum = g.sum
		}
		if g.fCount > 0 {
			avg = g.fSum / float64(g.fCount)
		}
		out = append(out, []any{g.key, g.count, g.countV, sum, avg, g.minS, g.maxS, g.minF, g.maxF, g.first, g.last, g.list})
	}
	return out
}

func aggregatePlan(source physical.Node, twoPhase bool) physical.Node {
	calls := aggregateCalls()
	key := exectest.Col(aggSchema, 0)
	keyField := arrow.Field{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true}
	result := []arrow.Field{keyField}
	state := []arrow.Field{keyField}
	for i, c := range calls {
		result = append(result, arrow.Field{Name: fmt.Sprintf("a%d", i), Type: c.Type, Nullable: c.Function != "count" && c.Function != "collect_list"})
		state = append(state, physical.AggregateStateFields(c, fmt.Sprintf("_%d", i))...)
	}
	if !twoPhase {
		return &physical.HashAggregate{Input: &physical.CoalescePartitions{Input: source}, Mode: physical.AggregateComplete,
			Keys: []logical.Expr{key}, Calls: calls, OutSchema: arrow.NewSchema(result, nil)}
	}
	partial := &physical.HashAggregate{Input: source, Mode: physical.AggregatePartial, Keys: []logical.Expr{key}, Calls: calls,
		OutSchema: arrow.NewSchema(state, nil)}
	finalKey := &logical.BoundRef{Ordinal: 0, ColumnName: "k", Type: arrow.PrimitiveTypes.Int64, Null: true}
	return &physical.HashAggregate{Input: &physical.CoalescePartitions{Input: partial}, Mode: physical.AggregateFinal,
		Keys: []logical.Expr{finalKey}, Calls: calls, OutSchema: arrow.NewSchema(result, nil)}
}

func TestHashAggregateMatchesReference(t *testing.T) {
	for _, twoPhase := range []bool{false, true} {
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   fmt.Sprintf("two_phase=%v", twoPhase),
			Inputs: []exectest.Table{aggInput()},
			Plan: func(s []*exectest.Source) physical.Node {
				return aggregatePlan(s[0], twoPhase)
			},
			Expected: func(in []exectest.Table) (exectest.Rows, error) {
				return aggregateReference(in[0].AllRows()), nil
			},
		})
	}
}

func TestGlobalAggregateOfEmptyInputHasOneRow(t *testing.T) {
	empty := exectest.Table{Schema: aggSchema, Partitions: []exectest.Rows{{}, {}}}
	count := &logical.AggregateCall{Function: "count", Type: arrow.PrimitiveTypes.Int64}
	sum := call("sum", arrow.PrimitiveTypes.Int64, exectest.Col(aggSchema, 1))
	state := append(physical.AggregateStateFields(count, "_0"), physical.AggregateStateFields(sum, "_1")...)
	out := arrow.NewSchema([]arrow.Field{{Name: "c", Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs: []exectest.Table{empty},
		Plan: func(s []*exectest.Source) physical.Node {
			partial := &physical.HashAggregate{Input: s[0], Mode: physical.AggregatePartial, Calls: []*logical.AggregateCall{count, sum}, OutSchema: arrow.NewSchema(state, nil)}
			return &physical.HashAggregate{Input: &physical.CoalescePartitions{Input: partial}, Mode: physical.AggregateFinal,
				Calls: []*logical.AggregateCall{count, sum}, OutSchema: out}
		},
		Expected: func([]exectest.Table) (exectest.Rows, error) { return exectest.Rows{{int64(0), nil}}, nil },
	})
}

func TestSumOverflowIsAnArithmeticError(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	in := exectest.NewTable(schema, exectest.Rows{{int64(math.MaxInt64)}, {int64(1)}})
	sum := call("sum", arrow.PrimitiveTypes.Int64, exectest.Col(schema, 0))
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs: []exectest.Table{in},
		Plan: func(s []*exectest.Source) physical.Node {
			return &physical.HashAggregate{Input: s[0], Mode: physical.AggregateComplete, Calls: []*logical.AggregateCall{sum},
				OutSchema: arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)}
		},
		Expected: func([]exectest.Table) (exectest.Rows, error) { return nil, errkind.ErrArithmetic },
	})
}

// TestAggregationOverThreeTimesTheMemoryLimitSpills runs a two-phase aggregation through the
// scheduler with a pool a third of the input's size: the shuffle and the final aggregate spill,
// the answer is exact, the spill files are gone afterwards and no byte stays allocated.
func TestAggregationOverThreeTimesTheMemoryLimitSpills(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tc := exec.NewTaskContext(mem, exec.NewBlockStore(), nil)
	tc.SetTaskSlots(2)
	tc.BatchSize = 4096
	const rows = 120_000
	const limit = rows * 8 / 3 // the id column alone is three times the limit
	pool := exec.NewMemoryPool(limit)
	pool.SpillDir = t.TempDir()
	tc.SetMemoryPool(pool)

	// Every key of [0, rows/2) arrives twice (doubledRange), from different tasks' partitions.
	id := &logical.BoundRef{Ordinal: 0, ColumnName: "id", Type: arrow.PrimitiveTypes.Int64}
	sum := call("sum", arrow.PrimitiveTypes.Int64, id)
	count := &logical.AggregateCall{Function: "count", Type: arrow.PrimitiveTypes.Int64}
	calls := []*logical.AggregateCall{sum, count}
	keyField := arrow.Field{Name: "k", Type: arrow.PrimitiveTypes.Int64}
	state := append([]arrow.Field{keyField}, append(physical.AggregateStateFields(sum, "_0"), physical.AggregateStateFields(count, "_1")...)...)
	partial := &physical.HashAggregate{Input: &doubledRange{rows: rows / 2, partitions: 3}, Mode: physical.AggregatePartial,
		Keys: []logical.Expr{id}, Calls: calls, OutSchema: arrow.NewSchema(state, nil)}
	finalKey := &logical.BoundRef{Ordinal: 0, ColumnName: "k", Type: arrow.PrimitiveTypes.Int64}
	exchange := &physical.Exchange{Input: partial, Partitioning: physical.Partitioning{Kind: physical.HashPartitioning, NumPartitions: 2, Keys: []logical.Expr{finalKey}}}
	final := &physical.HashAggregate{Input: exchange, Mode: physical.AggregateFinal, Keys: []logical.Expr{finalKey}, Calls: calls,
		OutSchema: arrow.NewSchema([]arrow.Field{keyField, {Name: "s", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "c", Type: arrow.PrimitiveTypes.Int64}}, nil)}

	parts, _, jm, err := exec.CollectResult(context.Background(), tc, final)
	require.NoError(t, err)
	var spilled int64
	for _, task := range jm.Tasks {
		spilled += task.SpillBytes.Load()
	}
	require.Greater(t, spilled, int64(0), "the aggregation should have spilled")
	var finalSpilled int64
	for _, task := range jm.TasksOf(2) {
		finalSpilled += task.SpillBytes.Load()
	}
	require.Greater(t, finalSpilled, int64(0), "the final hash aggregate (stage 2) should have spilled its groups")
	var keys []int64
	for _, p := range parts {
		for _, b := range p {
			k := b.Column(0).(*array.Int64).Int64Values()
			s := b.Column(1).(*array.Int64).Int64Values()
			c := b.Column(2).(*array.Int64).Int64Values()
			for i := range k {
				require.Equal(t, 2*k[i], s[i], "key %d", k[i])
				require.Equal(t, int64(2), c[i], "key %d", k[i])
				keys = append(keys, k[i])
			}
			b.Release()
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	require.Len(t, keys, rows/2)
	for i, k := range keys {
		require.Equal(t, int64(i), k)
	}
	entries, err := os.ReadDir(pool.SpillDir)
	require.NoError(t, err)
	require.Empty(t, entries)
	require.Equal(t, int64(0), pool.Used())
}

// doubledRange is a source whose partition p yields its share of [0, rows) twice, once from the
// start of the partition's range and once from a rotated start, so keys repeat across batches
// and the partial aggregate cannot finish any group early.
type doubledRange struct {
	rows       int64
	partitions int
}

func (d *doubledRange) Schema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
}
func (d *doubledRange) Children() []physical.Node { return nil }
func (d *doubledRange) NumPartitions() int        { return d.partitions }
func (d *doubledRange) Describe() string          { return "DoubledRange" }

func init() {
	exec.RegisterBuilder(&doubledRange{}, func(tc *exec.TaskContext, n physical.Node, p int) (exec.Operator, error) {
		d := n.(*doubledRange)
		lo := d.rows * int64(p) / int64(d.partitions)
		hi := d.rows * int64(p+1) / int64(d.partitions)
		var batches []arrow.RecordBatch
		for pass := 0; pass < 2; pass++ {
			for start := lo; start < hi; start += int64(tc.BatchSize) {
				b := array.NewInt64Builder(tc.Allocator)
				for v := start; v < min(start+int64(tc.BatchSize), hi); v++ {
					b.Append(lo + (v-lo+int64(pass)*(hi-lo)/2)%(hi-lo))
				}
				col := b.NewArray()
				b.Release()
				batches = append(batches, array.NewRecordBatch(d.Schema(), []arrow.Array{col}, int64(col.Len())))
				col.Release()
			}
		}
		return exec.NewBatchSource(d.Schema(), batches), nil
	})
}

// TestGlobalAggregateMatchesReference: an aggregate without keys has one group, which count,
// float sum and avg fold in a register instead of the per-group loop; nulls, NaN and every
// batch size must give what the row-by-row definition gives.
func TestGlobalAggregateMatchesReference(t *testing.T) {
	v, f := exectest.Col(aggSchema, 1), exectest.Col(aggSchema, 2)
	calls := []*logical.AggregateCall{
		{Function: "count", Type: arrow.PrimitiveTypes.Int64},
		call("count", arrow.PrimitiveTypes.Int64, f),
		call("sum", arrow.PrimitiveTypes.Float64, f),
		call("avg", arrow.PrimitiveTypes.Float64, f),
		call("sum", arrow.PrimitiveTypes.Int64, v),
	}
	var state, result []arrow.Field
	for i, c := range calls {
		state = append(state, physical.AggregateStateFields(c, fmt.Sprintf("_%d", i))...)
		result = append(result, arrow.Field{Name: fmt.Sprintf("a%d", i), Type: c.Type, Nullable: c.Function != "count"})
	}
	for _, twoPhase := range []bool{false, true} {
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   fmt.Sprintf("two_phase=%v", twoPhase),
			Inputs: []exectest.Table{aggInput()},
			Plan: func(s []*exectest.Source) physical.Node {
				if !twoPhase {
					return &physical.HashAggregate{Input: &physical.CoalescePartitions{Input: s[0]}, Mode: physical.AggregateComplete,
						Calls: calls, OutSchema: arrow.NewSchema(result, nil)}
				}
				partial := &physical.HashAggregate{Input: s[0], Mode: physical.AggregatePartial, Calls: calls, OutSchema: arrow.NewSchema(state, nil)}
				return &physical.HashAggregate{Input: &physical.CoalescePartitions{Input: partial}, Mode: physical.AggregateFinal,
					Calls: calls, OutSchema: arrow.NewSchema(result, nil)}
			},
			Expected: func(in []exectest.Table) (exectest.Rows, error) {
				var rows, floats int64
				var fSum float64
				var vSum int64
				var vSeen bool
				for _, r := range in[0].AllRows() {
					rows++
					if r[1] != nil {
						vSum += r[1].(int64)
						vSeen = true
					}
					if r[2] != nil {
						fSum += r[2].(float64)
						floats++
					}
				}
				var sum, avg, total any
				if floats > 0 {
					sum, avg = fSum, fSum/float64(floats)
				}
				if vSeen {
					total = vSum
				}
				return exectest.Rows{{rows, floats, sum, avg, total}}, nil
			},
		})
	}
}
