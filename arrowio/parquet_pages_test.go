package arrowio

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
)

// packRun encodes values as one bit-packed run of the RLE / bit-packed hybrid encoding, the
// way the format defines it: a varint header, then the values little-endian, LSB first.
func packRun(values []uint32, width int) []byte {
	groups := (len(values) + 7) / 8
	out := binary.AppendUvarint(nil, uint64(groups<<1|1))
	packed := make([]byte, groups*width)
	for i, v := range values {
		for b := range width {
			if v>>uint(b)&1 != 0 {
				bit := i*width + b
				packed[bit/8] |= 1 << uint(bit%8)
			}
		}
	}
	return append(out, packed...)
}

// Every width, read in pieces of awkward sizes (so reads start inside groups), and the
// extraction of single values for sparse selections, against values packed bit by bit.
func TestHybridDecoderUnpacksEveryWidth(t *testing.T) {
	random := rand.New(rand.NewPCG(1, 2))
	for width := 0; width <= 32; width++ {
		values := make([]uint32, 1000)
		for i := range values {
			if width > 0 {
				values[i] = uint32(random.Uint64() & (1<<uint(width) - 1))
			}
		}
		data := packRun(values, width)
		var h hybridDecoder
		h.init(data, width)
		got := make([]uint32, len(values))
		for start, step := 0, 1; start < len(values); step = step%13 + 3 {
			end := min(start+step, len(values))
			if err := h.readUint32(got[start:end]); err != nil {
				t.Fatal(err)
			}
			start = end
		}
		for i := range values {
			if got[i] != values[i] {
				t.Fatalf("width %d value %d: got %d, want %d", width, i, got[i], values[i])
			}
		}
		h.init(data, width)
		sparse := make([]int32, len(values))
		rows := []int32{0, 7, 8, 9, 500, 993, 999}
		if err := h.readSelected(sparse, 0, len(values), rows); err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			if uint32(sparse[row]) != values[row] {
				t.Fatalf("width %d selected row %d: got %d, want %d", width, row, sparse[row], values[row])
			}
		}
	}
}

func BenchmarkHybridDecoderUnpack(b *testing.B) {
	for _, width := range []int{4, 12, 19} {
		b.Run(fmt.Sprint(width), func(b *testing.B) {
			values := make([]uint32, 1<<16)
			for i := range values {
				values[i] = uint32(i*7919) & (1<<uint(width) - 1)
			}
			data := packRun(values, width)
			out := make([]uint32, 10000)
			cpuStart := processCPUSeconds()
			b.ResetTimer()
			for range b.N {
				var h hybridDecoder
				h.init(data, width)
				for left := len(values); left > 0; left -= len(out) {
					_ = h.readUint32(out[:min(len(out), left)])
				}
			}
			// CPU time: wall time is meaningless on a shared machine.
			b.ReportMetric((processCPUSeconds()-cpuStart)*1e9/float64(b.N*len(values)), "cpu-ns/value")
		})
	}
}
