package udf

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkPlaceColumns places a 10M-row partition of two 8-byte columns stored in 524,288-row
// batches (the client's 8 MiB chunks): the copy the first UDF query over it pays.
func BenchmarkPlaceColumns(b *testing.B) {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.PrimitiveTypes.Float64}}, nil)
	const rows = 1 << 19
	ids := array.NewInt64Builder(mem)
	values := array.NewFloat64Builder(mem)
	for i := 0; i < rows; i++ {
		ids.Append(int64(i))
		values.Append(float64(i))
	}
	idArray, valueArray := ids.NewArray(), values.NewArray()
	batch := array.NewRecordBatch(schema, []arrow.Array{idArray, valueArray}, rows)
	batches := make([]arrow.RecordBatch, 20)
	for i := range batches {
		batches[i] = batch
	}
	b.SetBytes(20 * rows * 16)
	for b.Loop() {
		releaseAll(PlaceColumns(batches, nil))
	}
}
