package exec_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// BenchmarkDecimalQ1Expression evaluates TPC-H Q1's l_extendedprice * (1 - l_discount) *
// (1 + l_tax) over 64K rows of decimal(15,2), as Spark types it.
//
//	go test -run x -bench DecimalQ1 -cpuprofile /tmp/cpu.out ./exec/
func BenchmarkDecimalQ1Expression(b *testing.B) {
	mem := memory.NewGoAllocator()
	d152 := &arrow.Decimal128Type{Precision: 15, Scale: 2}
	schema := arrow.NewSchema([]arrow.Field{{Name: "price", Type: d152}, {Name: "discount", Type: d152}, {Name: "tax", Type: d152}}, nil)
	rng := rand.New(rand.NewSource(1))
	builders := []*array.Decimal128Builder{array.NewDecimal128Builder(mem, d152), array.NewDecimal128Builder(mem, d152), array.NewDecimal128Builder(mem, d152)}
	const n = 1 << 16
	for i := 0; i < n; i++ {
		builders[0].Append(decimal128.FromI64(rng.Int63n(10_000_000)))
		builders[1].Append(decimal128.FromI64(rng.Int63n(11)))
		builders[2].Append(decimal128.FromI64(rng.Int63n(9)))
	}
	columns := make([]arrow.Array, 3)
	for i, builder := range builders {
		columns[i] = builder.NewArray()
	}
	batch := array.NewRecordBatch(schema, columns, n)
	ref := func(i int) logical.Expr { return exectest.Col(schema, i) }
	one := &logical.Cast{Child: logical.NewLiteral(scalar.NewInt32Scalar(1)), To: &arrow.Decimal128Type{Precision: 10, Scale: 0}, Mode: logical.EvalANSI}
	d162 := &arrow.Decimal128Type{Precision: 16, Scale: 2}
	minusDiscount := &logical.Call{Function: "decimal_subtract", Args: []logical.Expr{one, ref(1)}, Type: d162}
	plusTax := &logical.Call{Function: "decimal_add", Args: []logical.Expr{one, ref(2)}, Type: d162}
	discounted := &logical.Call{Function: "decimal_multiply", Args: []logical.Expr{ref(0), minusDiscount}, Type: &arrow.Decimal128Type{Precision: 32, Scale: 4}}
	charge := &logical.Call{Function: "decimal_multiply", Args: []logical.Expr{discounted, plusTax}, Type: &arrow.Decimal128Type{Precision: 38, Scale: 6}}
	tc := exectest.NewTaskContext(mem)
	ec := &exec.EvalContext{Ctx: context.Background(), Task: tc}
	cpuStart := processCPUTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := exec.EvalArray(ec, charge, batch)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPUTime()-cpuStart)/float64(b.N)/n, "cpu-ns/row")
}

// benchmarkSource is a physical leaf whose one partition yields pre-built batches (retained per
// run), so aggregate benchmarks measure the operator, not input construction.
type benchmarkSource struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
}

func (s *benchmarkSource) Schema() *arrow.Schema     { return s.schema }
func (s *benchmarkSource) Children() []physical.Node { return nil }
func (s *benchmarkSource) NumPartitions() int        { return 1 }
func (s *benchmarkSource) Describe() string          { return "BenchmarkSource" }

func init() {
	exec.RegisterBuilder(&benchmarkSource{}, func(_ *exec.TaskContext, n physical.Node, _ int) (exec.Operator, error) {
		s := n.(*benchmarkSource)
		batches := make([]arrow.RecordBatch, len(s.batches))
		for i, b := range s.batches {
			b.Retain()
			batches[i] = b
		}
		return exec.NewBatchSource(s.schema, batches), nil
	})
}

func (s *benchmarkSource) release() {
	for _, b := range s.batches {
		b.Release()
	}
}

var (
	decimal152 = &arrow.Decimal128Type{Precision: 15, Scale: 2}
	lineitemQ1 = arrow.NewSchema([]arrow.Field{
		{Name: "l_quantity", Type: decimal152}, {Name: "l_extendedprice", Type: decimal152},
		{Name: "l_discount", Type: decimal152}, {Name: "l_tax", Type: decimal152},
		{Name: "l_returnflag", Type: arrow.BinaryTypes.String}, {Name: "l_linestatus", Type: arrow.BinaryTypes.String},
		{Name: "l_shipdate", Type: arrow.FixedWidthTypes.Date32}, {Name: "l_orderkey", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
)

// lineitemBatches builds rows of TPC-H lineitem's Q1/Q18 columns with dbgen's value ranges:
// orderkeys ascending, about four lines per order (as the generated files are sorted).
func lineitemBatches(mem memory.Allocator, rows, batchSize int) *benchmarkSource {
	rng := rand.New(rand.NewSource(7))
	source := &benchmarkSource{schema: lineitemQ1}
	orderKey := int64(1)
	for start := 0; start < rows; start += batchSize {
		n := min(batchSize, rows-start)
		builder := array.NewRecordBuilder(mem, lineitemQ1)
		for i := 0; i < n; i++ {
			quantity := rng.Int63n(50) + 1
			builder.Field(0).(*array.Decimal128Builder).Append(decimal128.FromI64(quantity * 100))
			builder.Field(1).(*array.Decimal128Builder).Append(decimal128.FromI64(quantity * (90_000 + rng.Int63n(10_000_000)) / 10))
			builder.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(rng.Int63n(11)))
			builder.Field(3).(*array.Decimal128Builder).Append(decimal128.FromI64(rng.Int63n(9)))
			shipDate := arrow.Date32(8036 + rng.Int31n(2526)) // 1992-01-02 .. 1998-12-01
			flag, status := "N", "O"
			if shipDate <= 9298 { // 1995-06-17
				flag, status = []string{"A", "R"}[rng.Intn(2)], "F"
			}
			builder.Field(4).(*array.StringBuilder).Append(flag)
			builder.Field(5).(*array.StringBuilder).Append(status)
			builder.Field(6).(*array.Date32Builder).Append(shipDate)
			builder.Field(7).(*array.Int64Builder).Append(orderKey)
			if rng.Intn(4) == 0 {
				orderKey++
			}
		}
		source.batches = append(source.batches, builder.NewRecordBatch())
		builder.Release()
	}
	return source
}

func decimalCall(function string, t arrow.DataType, args ...logical.Expr) logical.Expr {
	return &logical.Call{Function: function, Args: args, Type: t}
}

// q1Aggregate is TPC-H Q1's partial aggregate over its filter, typed as Spark types it.
func q1Aggregate(source physical.Node) *physical.HashAggregate {
	schema := source.Schema()
	ref := func(i int) logical.Expr { return exectest.Col(schema, i) }
	one := &logical.Cast{Child: logical.NewLiteral(scalar.NewInt32Scalar(1)), To: &arrow.Decimal128Type{Precision: 10, Scale: 0}, Mode: logical.EvalANSI}
	d162 := &arrow.Decimal128Type{Precision: 16, Scale: 2}
	discounted := decimalCall("decimal_multiply", &arrow.Decimal128Type{Precision: 32, Scale: 4}, ref(1), decimalCall("decimal_subtract", d162, one, ref(2)))
	charge := decimalCall("decimal_multiply", &arrow.Decimal128Type{Precision: 38, Scale: 6}, discounted, decimalCall("decimal_add", d162, one, ref(3)))
	shipDate := logical.NewLiteral(scalar.NewDate32Scalar(10471)) // 1998-09-02
	filter := &physical.Filter{Input: source, Predicate: &logical.Call{Function: "lte", Args: []logical.Expr{ref(6), shipDate}, Type: arrow.FixedWidthTypes.Boolean}}
	sum := func(e logical.Expr) *logical.AggregateCall {
		p := e.DataType().(*arrow.Decimal128Type)
		return &logical.AggregateCall{Function: "sum", Args: []logical.Expr{e}, Type: &arrow.Decimal128Type{Precision: min(38, p.Precision+10), Scale: p.Scale}, Null: true}
	}
	avg := func(e logical.Expr) *logical.AggregateCall {
		return &logical.AggregateCall{Function: "avg", Args: []logical.Expr{e}, Type: &arrow.Decimal128Type{Precision: 19, Scale: 6}, Null: true}
	}
	calls := []*logical.AggregateCall{sum(ref(0)), sum(ref(1)), sum(discounted), sum(charge), avg(ref(0)), avg(ref(1)), avg(ref(2)),
		{Function: "count", Type: arrow.PrimitiveTypes.Int64}}
	fields := []arrow.Field{schema.Field(4), schema.Field(5)}
	for i, c := range calls {
		fields = append(fields, physical.AggregateStateFields(c, fmt.Sprintf("_%d", i))...)
	}
	return &physical.HashAggregate{Input: filter, Mode: physical.AggregatePartial, Keys: []logical.Expr{ref(4), ref(5)},
		Calls: calls, OutSchema: arrow.NewSchema(fields, nil)}
}

// q18Aggregate is Q18's inner l_orderkey, sum(l_quantity) aggregate, partial then final in one
// partition: about a quarter as many groups as rows.
func q18Aggregate(source physical.Node) *physical.HashAggregate {
	schema := source.Schema()
	sum := &logical.AggregateCall{Function: "sum", Args: []logical.Expr{exectest.Col(schema, 0)}, Type: &arrow.Decimal128Type{Precision: 25, Scale: 2}, Null: true}
	key := schema.Field(7)
	state := append([]arrow.Field{key}, physical.AggregateStateFields(sum, "_0")...)
	partial := &physical.HashAggregate{Input: source, Mode: physical.AggregatePartial, Keys: []logical.Expr{exectest.Col(schema, 7)},
		Calls: []*logical.AggregateCall{sum}, OutSchema: arrow.NewSchema(state, nil)}
	result := []arrow.Field{key, {Name: "sum_qty", Type: sum.Type, Nullable: true}}
	finalKey := &logical.BoundRef{Ordinal: 0, ColumnName: key.Name, Type: key.Type}
	return &physical.HashAggregate{Input: partial, Mode: physical.AggregateFinal, Keys: []logical.Expr{finalKey},
		Calls: []*logical.AggregateCall{sum}, OutSchema: arrow.NewSchema(result, nil)}
}

func runAggregateBenchmark(b *testing.B, plan func(physical.Node) *physical.HashAggregate, rows int) {
	mem := memory.NewGoAllocator()
	source := lineitemBatches(mem, rows, exec.DefaultBatchSize)
	defer source.release()
	node := plan(source)
	tc := exectest.NewTaskContext(mem)
	ctx := context.Background()
	b.ReportAllocs()
	cpuStart := processCPUTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		op, err := exec.Build(tc, node, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := op.Open(ctx); err != nil {
			b.Fatal(err)
		}
		for {
			out, err := op.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
		if err := op.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// CPU time (all threads, GC included) is steadier than wall time on a shared machine.
	b.ReportMetric(float64(processCPUTime()-cpuStart)/float64(b.N)/float64(rows), "cpu-ns/row")
}

// processCPUTime is the user+system CPU time of this process in nanoseconds.
func processCPUTime() int64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return usage.Utime.Nano() + usage.Stime.Nano()
}

// BenchmarkQ1PartialAggregate runs TPC-H Q1's filter and partial aggregate (8 calls, two string
// keys, four groups) over 1M lineitem-like rows.
//
//	go test -run x -bench Q1Partial -benchtime 5x -cpuprofile /tmp/cpu.out ./exec/
func BenchmarkQ1PartialAggregate(b *testing.B) { runAggregateBenchmark(b, q1Aggregate, 1<<20) }

// BenchmarkQ18OrderKeyAggregate runs Q18's sum(l_quantity) by l_orderkey (partial and final)
// over 1M rows: about 260K int64 groups.
func BenchmarkQ18OrderKeyAggregate(b *testing.B) {
	runAggregateBenchmark(b, q18Aggregate, 1<<20)
}

// BenchmarkDecimalToDoubleCast casts 64K rows of decimal(15,2) to double, as TPC-H Q6's filter
// does for `l_discount >= 0.05` (Spark compares a decimal with a double literal as double).
//
//	go test -run x -bench DecimalToDoubleCast ./exec/
func BenchmarkDecimalToDoubleCast(b *testing.B) {
	mem := memory.NewGoAllocator()
	d152 := &arrow.Decimal128Type{Precision: 15, Scale: 2}
	rng := rand.New(rand.NewSource(1))
	builder := array.NewDecimal128Builder(mem, d152)
	const n = 1 << 16
	for i := 0; i < n; i++ {
		builder.Append(decimal128.FromI64(rng.Int63n(10_000_000) - 5_000_000))
	}
	column := builder.NewArray()
	builder.Release()
	defer column.Release()
	ec := &exec.EvalContext{Ctx: context.Background(), Task: exectest.NewTaskContext(mem)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, ok, err := exec.CastHook(ec, column, arrow.PrimitiveTypes.Float64, logical.EvalANSI)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		out.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
}
