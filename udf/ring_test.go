package udf

import (
	"bytes"
	"encoding/binary"
	"math"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// ringFrameBytes is what a worker sends after the kind byte: the region, then per column
// (validity offset, validity length, null count, values offset, values length).
func ringFrameBytes(start, length, rows uint64, columns ...[5]uint64) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, []uint64{start, length, rows})
	binary.Write(&b, binary.LittleEndian, uint32(len(columns)))
	for _, c := range columns {
		binary.Write(&b, binary.LittleEndian, c[:])
	}
	return b.Bytes()
}

func (r *resultRing) watermark() uint64 {
	return atomic.LoadUint64((*uint64)(unsafe.Pointer(&r.data[0])))
}

// putDoubles writes values at ring position p as the worker would.
func putDoubles(r *resultRing, p uint64, values ...float64) {
	for i, v := range values {
		binary.LittleEndian.PutUint64(r.data[ringHeader+p%r.size+uint64(8*i):], math.Float64bits(v))
	}
}

func newTestRing(t *testing.T) *resultRing {
	t.Helper()
	r, err := newResultRing(shmDirectory, "quiver-udf-test-"+newSecret()[:16])
	if err != nil {
		t.Skipf("no shared memory here: %v", err)
	}
	return r
}

var doubles = arrow.NewSchema([]arrow.Field{{Name: "_0", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)

func TestResultRingBatchesReadInPlaceAndReleaseInOrder(t *testing.T) {
	r := newTestRing(t)
	defer r.close()

	putDoubles(r, 0, 1.5, 2.5, -1, 4)
	r.data[ringHeader+64] = 0b1011 // the third value is null
	first, err := r.readRingBatch(bytes.NewReader(ringFrameBytes(0, 128, 4, [5]uint64{64, 1, 1, 0, 32})), doubles)
	if err != nil {
		t.Fatal(err)
	}
	putDoubles(r, 128, 7, 8)
	second, err := r.readRingBatch(bytes.NewReader(ringFrameBytes(128, 64, 2, [5]uint64{0, 0, 0, 0, 16})), doubles)
	if err != nil {
		t.Fatal(err)
	}

	got := first.Column(0).(*array.Float64)
	if got.Len() != 4 || got.Value(0) != 1.5 || got.Value(1) != 2.5 || !got.IsNull(2) || got.Value(3) != 4 || got.NullN() != 1 {
		t.Fatalf("first batch read %v", got)
	}
	if s := second.Column(0).(*array.Float64); s.Value(0) != 7 || s.Value(1) != 8 || s.NullN() != 0 {
		t.Fatalf("second batch read %v", s)
	}
	// The data is read where it lies: the array's values are the ring's bytes.
	if &got.Float64Values()[0] != (*float64)(unsafe.Pointer(&r.data[ringHeader])) {
		t.Fatal("the batch copied the ring's bytes instead of referencing them")
	}

	if w := r.watermark(); w != 0 {
		t.Fatalf("watermark %d before any release", w)
	}
	second.Release()
	if w := r.watermark(); w != 0 {
		t.Fatalf("watermark %d after releasing only the later region; the first is still read", w)
	}
	// A column kept beyond its batch keeps the region.
	kept := first.Column(0)
	kept.Retain()
	first.Release()
	if w := r.watermark(); w != 0 {
		t.Fatalf("watermark %d while a column of the first region is alive", w)
	}
	kept.Release()
	if w := r.watermark(); w != 192 {
		t.Fatalf("watermark %d after every release, want the end of the last region (192)", w)
	}
}

func TestResultRingStaysMappedWhileBatchesAreAliveAfterClose(t *testing.T) {
	r := newTestRing(t)
	putDoubles(r, 0, 3, 4)
	b, err := r.readRingBatch(bytes.NewReader(ringFrameBytes(0, 64, 2, [5]uint64{0, 0, 0, 0, 16})), doubles)
	if err != nil {
		t.Fatal(err)
	}
	r.close() // the worker died or the pool shut down
	if r.data == nil {
		t.Fatal("the ring was unmapped while a batch over it is alive")
	}
	if v := b.Column(0).(*array.Float64).Value(1); v != 4 {
		t.Fatalf("read %v after close", v)
	}
	b.Release()
	if r.data != nil {
		t.Fatal("the ring stayed mapped after its last batch was released")
	}
}

func TestResultRingRejectsBadFramesAndFreesTheirRegion(t *testing.T) {
	r := newTestRing(t)
	defer r.close()
	// Three doubles announced in 16 bytes.
	if _, err := r.readRingBatch(bytes.NewReader(ringFrameBytes(0, 64, 3, [5]uint64{0, 0, 0, 0, 16})), doubles); err == nil {
		t.Fatal("a frame whose values do not fill its rows was accepted")
	}
	if w := r.watermark(); w != 64 {
		t.Fatalf("watermark %d after a rejected frame, want its region freed (64)", w)
	}
	// A buffer outside the region.
	if _, err := r.readRingBatch(bytes.NewReader(ringFrameBytes(64, 64, 16, [5]uint64{0, 0, 0, 0, 128})), doubles); err == nil {
		t.Fatal("a frame with a buffer outside its region was accepted")
	}
	// A region before the last one.
	if _, err := r.readRingBatch(bytes.NewReader(ringFrameBytes(0, 64, 1, [5]uint64{0, 0, 0, 0, 8})), doubles); err == nil {
		t.Fatal("a region before the last one was accepted")
	}
	// A region beyond the ring's end.
	if _, err := r.readRingBatch(bytes.NewReader(ringFrameBytes(r.size-8, 64, 1, [5]uint64{0, 0, 0, 0, 8})), doubles); err == nil {
		t.Fatal("a region crossing the ring's end was accepted")
	}
}
