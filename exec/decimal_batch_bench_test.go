package exec

import (
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// BenchmarkDecimalBatchMultiply runs the batch loop of TPC-H Q1's price * (1 - discount)
// (decimal(15,2) * decimal(16,2) -> decimal(32,4), no rounding) over 64K rows.
func BenchmarkDecimalBatchMultiply(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	const n = 1 << 16
	l, r, out := make([]decimal128.Num, n), make([]decimal128.Num, n), make([]decimal128.Num, n)
	for i := range l {
		l[i], r[i] = decimal128.FromI64(rng.Int63n(10_000_000)), decimal128.FromI64(100-rng.Int63n(11))
	}
	loop := newDecimalBatchOp("multiply", 2, 2, 4, 32)
	subtract := newDecimalBatchOp("subtract", 0, 2, 2, 16)
	one := []decimal128.Num{decimal128.FromI64(1)}
	b.Run("multiply", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			loop(out, l, 1, r, 1, nil)
		}
	})
	b.Run("subtract-literal", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			subtract(out, one, 0, r, 1, nil)
		}
	})
}
