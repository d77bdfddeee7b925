package exec_test

import (
	"context"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
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
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := exec.EvalArray(ec, charge, batch)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
}
