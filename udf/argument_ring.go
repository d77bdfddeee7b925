package udf

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// argumentRing is shared memory the executor writes scalar UDF arguments into, so that an
// argument column of a fixed-width type reaches the worker without passing through the socket
// (the executor's write system calls and the worker's receive copy of ~1 MiB per message), and
// the worker builds its Arrow arrays and numpy views over the mapping (decision 0026, amendment).
//
// It is the result ring turned around: the same file layout (a 64-byte header, then size bytes
// used as a ring at monotonic positions, position p at offset ringHeader + p%size), but the
// executor reserves regions and the worker publishes the watermark in the header: the start of
// the oldest region some Python object still references (a UDF may keep its input Series), or
// the end of the last region it was sent when none is referenced. The executor writes only below
// watermark + size, and sends a message through the socket when there is no room.
//
// One task at a time writes (the task's feeding goroutine); mu keeps kill's unmapping from
// pulling the mapping away under a copy.
type argumentRing struct {
	path string
	size uint64

	mu   sync.Mutex
	data []byte // nil once closed
	// pos is where the next region may start; positions the worker has never been told about
	// (a reservation whose frame failed to go out) are simply skipped.
	pos uint64
}

// argumentRingSize holds 4 messages of 524,288 doubles (the default rows per message) with
// their validity bitmaps, as the result ring does.
const argumentRingSize = 16 << 20

func newArgumentRing(directory, name string) (*argumentRing, error) {
	path, data, err := mapSharedFile(directory, name, ringHeader+argumentRingSize)
	if err != nil {
		return nil, err
	}
	return &argumentRing{path: path, size: argumentRingSize, data: data}, nil
}

// close removes the file (if the worker has not) and unmaps the ring; nothing in the executor
// references the ring's memory beyond a write, which close waits for.
func (r *argumentRing) close() {
	os.Remove(r.path)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.data != nil {
		syscall.Munmap(r.data)
		r.data = nil
	}
}

func (r *argumentRing) String() string {
	return fmt.Sprintf("argument ring %s (%d bytes)", r.path, r.size)
}

// ringableType reports whether a column of type t is two buffers, validity and fixed-width values,
// that the worker rebuilds with pa.Array.from_buffers: the types Spark passes as numbers, dates,
// timestamps, booleans and decimals.
func ringableType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME32, arrow.TIME64, arrow.DURATION,
		arrow.DECIMAL128, arrow.DECIMAL256:
		return true
	}
	return false
}

// ringableSchema reports whether every column of s can go through the argument ring (and s has
// columns): a task's input is framed only then, so a message is never split between the two paths.
func ringableSchema(s *arrow.Schema) bool {
	if s == nil || s.NumFields() == 0 {
		return false
	}
	for _, f := range s.Fields() {
		if !ringableType(f.Type) {
			return false
		}
	}
	return true
}

func align64(n uint64) uint64 { return (n + 63) &^ 63 }

// valuesLength is the bytes of rows values of t (a bitmap for booleans).
func valuesLength(t arrow.DataType, rows int64) uint64 {
	if t.ID() == arrow.BOOL {
		return uint64(bitutil.BytesForBits(rows))
	}
	return uint64(rows) * uint64(t.(arrow.FixedWidthDataType).BitWidth()/8)
}

// writeMessage copies the rows of batches (all of one ringable schema, rows in total) into one
// region of the ring, as one message, and writes its frame (frameRing and the region's layout)
// to w. It returns false, having written nothing, when the ring has no room or is closed.
func (r *argumentRing) writeMessage(w io.Writer, batches []arrow.RecordBatch, rows int64) (bool, error) {
	schema := batches[0].Schema()
	columns := make([]ringColumn, schema.NumFields())
	var cursor uint64
	for c, f := range schema.Fields() {
		nulls := 0
		for _, b := range batches {
			nulls += b.Column(c).NullN()
		}
		if nulls > 0 {
			columns[c].nullCount = uint64(nulls)
			columns[c].validityOffset = cursor
			columns[c].validityLength = uint64(bitutil.BytesForBits(rows))
			cursor = align64(cursor + columns[c].validityLength)
		}
		columns[c].valuesOffset = cursor
		columns[c].valuesLength = valuesLength(f.Type, rows)
		cursor = align64(cursor + columns[c].valuesLength)
	}
	length := cursor

	r.mu.Lock()
	defer r.mu.Unlock()
	start, ok := r.reserve(length)
	if !ok {
		return false, nil
	}
	offset := ringHeader + start%r.size
	region := r.data[offset : offset+length : offset+length]
	for c, f := range schema.Fields() {
		column := columns[c]
		values := region[column.valuesOffset : column.valuesOffset+column.valuesLength]
		var validity []byte
		if column.validityLength > 0 {
			validity = region[column.validityOffset : column.validityOffset+column.validityLength]
		}
		var at int64
		for _, b := range batches {
			copyColumn(b.Column(c), f.Type, values, validity, at)
			at += b.NumRows()
		}
	}

	frame := make([]byte, 0, 1+28+40*len(columns))
	frame = append(frame, frameRing)
	frame = binary.LittleEndian.AppendUint64(frame, start)
	frame = binary.LittleEndian.AppendUint64(frame, length)
	frame = binary.LittleEndian.AppendUint64(frame, uint64(rows))
	frame = binary.LittleEndian.AppendUint32(frame, uint32(len(columns)))
	for _, c := range columns {
		for _, v := range []uint64{c.validityOffset, c.validityLength, c.nullCount, c.valuesOffset, c.valuesLength} {
			frame = binary.LittleEndian.AppendUint64(frame, v)
		}
	}
	if _, err := w.Write(frame); err != nil {
		return true, err
	}
	return true, nil
}

// reserve returns the position of a free region of n bytes, or false when the ring has no room
// (or is closed). Regions do not wrap around the end of the ring. Called with mu held.
func (r *argumentRing) reserve(n uint64) (uint64, bool) {
	if r.data == nil || n == 0 || n > r.size {
		return 0, false
	}
	p := r.pos
	if p%r.size+n > r.size {
		p += r.size - p%r.size
	}
	// The worker's watermark: every position below it is free (no Python object references it).
	watermark := atomic.LoadUint64((*uint64)(unsafe.Pointer(&r.data[0])))
	if p+n-watermark > r.size {
		return 0, false
	}
	r.pos = p + n
	return p, true
}

// copyColumn writes a's rows at row at of the message's values and validity (nil: the message's
// column has no nulls). Sliced arrays (offset != 0) are realigned: the ring's bitmaps start at bit 0.
func copyColumn(a arrow.Array, t arrow.DataType, values, validity []byte, at int64) {
	data := a.Data()
	offset, n := int64(data.Offset()), int64(a.Len())
	if n == 0 {
		return
	}
	var source []byte
	if buffer := data.Buffers()[1]; buffer != nil {
		source = buffer.Bytes()
	}
	if source == nil {
		// No values buffer (an all-null array may come without one): zeros, as Arrow would hold.
		width := valuesLength(t, 1)
		if t.ID() == arrow.BOOL {
			bitutil.SetBitsTo(values, at, n, false)
		} else {
			clear(values[uint64(at)*width : uint64(at+n)*width])
		}
	} else if t.ID() == arrow.BOOL {
		bitutil.CopyBitmap(source, int(offset), int(n), values, int(at))
	} else {
		width := int64(t.(arrow.FixedWidthDataType).BitWidth() / 8)
		copy(values[at*width:(at+n)*width], source[offset*width:(offset+n)*width])
	}
	if validity == nil {
		return
	}
	if a.NullN() == 0 || data.Buffers()[0] == nil {
		bitutil.SetBitsTo(validity, at, n, true)
		return
	}
	bitutil.CopyBitmap(data.Buffers()[0].Bytes(), int(offset), int(n), validity, int(at))
}
