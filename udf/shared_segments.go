package udf

import (
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/sys/unix"
)

// Shared segments hold the fixed-width columns of stored DataFrames in memory the Python workers
// map read-only, so that a scalar UDF's argument column reaches the worker without any copy: the
// executor sends where the rows lie (an S frame) and the worker builds its arrays over its own
// mapping (decision 0026, amendment "stored DataFrames in shared memory").
//
// A segment is one memfd holding one column of one upload, rows laid out by their index within
// the segment: row r's value at valuesOffset + r*width (bit r for booleans) and its validity at
// bit r of the validity region. Consecutive stored batches of a column are therefore consecutive
// in memory, and a message made of several pieces of them is still one range. The file is sized
// for segmentCapacity rows but sparse: only the pages written take memory.
//
// Lifetime: every Arrow buffer built over a segment has the segment as its allocator and holds
// one reference; the upload holds one until it ends, and a UDF task that sent the segment to a
// worker holds one until the task ends (the worker opens the segment by its descriptor, which
// must stay open until then). The last reference unmaps it and closes the descriptor; workers
// still mapping it keep the memory until they hear it was freed (Worker.freedSegments) and their
// Python objects over it are gone.

// segmentHeader is the bytes before the validity region: a magic and the segment's id, which the
// worker checks after mapping /proc/<server>/fd/<fd>, so a reused descriptor is never trusted.
const (
	segmentHeader = 4096
	segmentMagic  = "QVSEGMT1"
)

// segmentCapacity is how many rows of a column one segment holds (address space only: the file
// is sparse); a longer column continues in a new segment.
var segmentCapacity int64 = 1 << 26

// SharedSegmentMinRows is the number of rows an upload must reach before its columns go into
// shared segments: a small DataFrame is not worth descriptors and mappings.
var SharedSegmentMinRows = int64(envInt("QUIVER_SHARED_SEGMENT_MIN_ROWS", 1<<16))

func envInt(name string, fallback int) int {
	if v := os.Getenv(name); v != "" {
		var n int
		if _, err := fmt.Sscanf(v, "%d", &n); err == nil && n >= 0 {
			return n
		}
	}
	return fallback
}

var segmentIDs atomic.Uint64

type sharedSegment struct {
	id     uint64
	fd     int
	size   uint64
	data   []byte
	typ    arrow.DataType
	isBool bool
	width  int64 // bytes per value; 0 for booleans (bits)

	capacity                       int64
	validityOffset, valuesOffset   uint64
	validityAddress, valuesAddress uintptr

	// rows written, and whether the validity bits of all of them are written (set when a null is
	// first seen; earlier rows are then marked valid). Fixed once the upload ends.
	rows        int64
	hasValidity bool

	references atomic.Int64
	freed      atomic.Bool
}

func newSharedSegment(t arrow.DataType) (*sharedSegment, error) {
	s := &sharedSegment{id: segmentIDs.Add(1), typ: t, isBool: t.ID() == arrow.BOOL, capacity: segmentCapacity}
	if !s.isBool {
		s.width = int64(t.(arrow.FixedWidthDataType).BitWidth() / 8)
	}
	validityLength := (uint64(bitutil.BytesForBits(s.capacity)) + 4095) &^ 4095
	s.validityOffset = segmentHeader
	s.valuesOffset = segmentHeader + validityLength
	s.size = s.valuesOffset + valuesLength(t, s.capacity)
	fd, err := unix.MemfdCreate(fmt.Sprintf("quiver-segment-%d", s.id), unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("creating a shared segment: %w", err)
	}
	if err := unix.Ftruncate(fd, int64(s.size)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("sizing a shared segment: %w", err)
	}
	data, err := unix.Mmap(fd, 0, int(s.size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mapping a shared segment: %w", err)
	}
	s.fd, s.data = fd, data
	copy(data, segmentMagic)
	binary.LittleEndian.PutUint64(data[8:], s.id)
	s.validityAddress = uintptr(unsafe.Pointer(&data[s.validityOffset]))
	s.valuesAddress = uintptr(unsafe.Pointer(&data[s.valuesOffset]))
	s.references.Store(1) // the writer's
	segments.add(s)
	return s, nil
}

func (s *sharedSegment) Allocate(size int) []byte { return make([]byte, size) }

func (s *sharedSegment) Reallocate(size int, b []byte) []byte {
	out := make([]byte, size)
	copy(out, b)
	return out
}

// Free is called once per buffer built over the segment, when that buffer's last reference goes.
func (s *sharedSegment) Free([]byte) { s.release() }

func (s *sharedSegment) retain() { s.references.Add(1) }

func (s *sharedSegment) release() {
	if s.references.Add(-1) != 0 {
		return
	}
	segments.remove(s)
	s.freed.Store(true)
	unix.Munmap(s.data)
	unix.Close(s.fd)
	s.data = nil
}

func (s *sharedSegment) String() string {
	return fmt.Sprintf("shared segment %d (%s, %d rows)", s.id, s.typ, s.rows)
}

// touch makes the kernel allocate the pages of data[start:end] at once (one system call, not a
// fault per page); where the kernel cannot, the writes fault them in.
func touch(data []byte, start, end uint64) {
	start &^= 4095
	if end-start >= 1<<16 {
		unix.Madvise(data[start:end], unix.MADV_POPULATE_WRITE)
	}
}

// append copies a's rows after the segment's rows and returns the array over the segment (the
// caller releases it). The caller checked there is room.
func (s *sharedSegment) append(a arrow.Array) arrow.Array {
	data := a.Data()
	offset, n := int64(data.Offset()), int64(a.Len())
	r := s.rows
	// Buffers start at the byte holding row r's bit, rounded down to a multiple of 8 rows, and the
	// array's offset is r%8: bitmaps keep their bit positions, so nothing is shifted later.
	base := r &^ 7
	shift := r - base
	var valuesStart, valuesEnd uint64
	if s.isBool {
		valuesStart = s.valuesOffset + uint64(base/8)
		valuesEnd = s.valuesOffset + uint64(bitutil.BytesForBits(r+n))
	} else {
		valuesStart = s.valuesOffset + uint64(base*s.width)
		valuesEnd = s.valuesOffset + uint64((r+n)*s.width)
	}
	values := s.data[valuesStart:valuesEnd:valuesEnd]
	touch(s.data, valuesStart, valuesEnd)
	var source []byte
	if buffer := data.Buffers()[1]; buffer != nil {
		source = buffer.Bytes()
	}
	switch {
	case s.isBool && source != nil:
		bitutil.CopyBitmap(source, int(offset), int(n), values, int(shift))
	case s.isBool:
		bitutil.SetBitsTo(values, shift, n, false)
	case source != nil:
		copy(values[shift*s.width:], source[offset*s.width:(offset+n)*s.width])
	default:
		clear(values[shift*s.width:])
	}
	nulls := a.NullN()
	if nulls > 0 && !s.hasValidity {
		// The first nulls of the column: the rows before were all valid.
		s.hasValidity = true
		bitutil.SetBitsTo(s.data[s.validityOffset:], 0, r, true)
	}
	var validity []byte
	if s.hasValidity {
		validityEnd := s.validityOffset + uint64(bitutil.BytesForBits(r+n))
		validity = s.data[s.validityOffset+uint64(base/8) : validityEnd : validityEnd]
		if nulls > 0 && data.Buffers()[0] != nil {
			bitutil.CopyBitmap(data.Buffers()[0].Bytes(), int(offset), int(n), validity, int(shift))
		} else {
			bitutil.SetBitsTo(validity, shift, n, true)
		}
	}
	s.rows += n

	buffers := []*memory.Buffer{nil, memory.NewBufferWithAllocator(values, s)}
	s.retain()
	if nulls > 0 {
		buffers[0] = memory.NewBufferWithAllocator(validity, s)
		s.retain()
	}
	out := array.NewData(a.DataType(), int(n), buffers, nil, nulls, int(shift))
	for _, b := range buffers {
		if b != nil {
			b.Release()
		}
	}
	defer out.Release()
	return array.MakeFromData(out)
}

// segmentRegistry finds the segment an address lies in: the executor sees only Arrow buffers.
type segmentRegistry struct {
	mu sync.RWMutex
	// byAddress is sorted by the mapping's start address.
	byAddress []*sharedSegment
}

var segments segmentRegistry

func (g *segmentRegistry) add(s *sharedSegment) {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := sort.Search(len(g.byAddress), func(i int) bool { return g.byAddress[i].start() > s.start() })
	g.byAddress = append(g.byAddress, nil)
	copy(g.byAddress[i+1:], g.byAddress[i:])
	g.byAddress[i] = s
}

func (g *segmentRegistry) remove(s *sharedSegment) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, x := range g.byAddress {
		if x == s {
			g.byAddress = append(g.byAddress[:i], g.byAddress[i+1:]...)
			return
		}
	}
}

func (s *sharedSegment) start() uintptr { return uintptr(unsafe.Pointer(&s.data[0])) }

// find returns the live segment whose mapping holds address, or nil.
func (g *segmentRegistry) find(address uintptr) *sharedSegment {
	g.mu.RLock()
	defer g.mu.RUnlock()
	i := sort.Search(len(g.byAddress), func(i int) bool { return g.byAddress[i].start() > address })
	if i == 0 {
		return nil
	}
	s := g.byAddress[i-1]
	if address >= s.start()+uintptr(s.size) {
		return nil
	}
	return s
}

// SharedSegmentCount is the number of live shared segments (tests check none leak).
func SharedSegmentCount() int {
	segments.mu.RLock()
	defer segments.mu.RUnlock()
	return len(segments.byAddress)
}

// segmentsUnavailable is set when creating a segment failed (no memfd): columns stay in Go memory.
var segmentsUnavailable atomic.Bool

// inSegment reports whether a's values lie in a shared segment.
func inSegment(a arrow.Array) bool {
	values := a.Data().Buffers()[1]
	return values != nil && values.Len() > 0 && segments.find(address(values.Bytes())) != nil
}

// PlaceColumns copies the given columns (ordinals; nil: all) of batches, the consecutive batches
// of one stored partition, into shared segments when they are of fixed-width types, not there
// yet, and the partition has at least SharedSegmentMinRows rows. It returns the batches with
// those columns replaced (the caller owns them; other columns are shared with batches), or nil
// when there was nothing to place. batches are not released.
func PlaceColumns(batches []arrow.RecordBatch, columns []int) []arrow.RecordBatch {
	if len(batches) == 0 || segmentsUnavailable.Load() {
		return nil
	}
	var rows int64
	for _, b := range batches {
		rows += b.NumRows()
	}
	if rows < SharedSegmentMinRows || rows == 0 {
		return nil
	}
	schema := batches[0].Schema()
	if columns == nil {
		for c := range schema.NumFields() {
			columns = append(columns, c)
		}
	}
	var placing []int
	for _, c := range columns {
		if c < 0 || c >= schema.NumFields() || !ringableType(schema.Field(c).Type) {
			continue
		}
		// A column is placed whole or not at all: its first non-empty piece tells.
		for _, b := range batches {
			if b.NumRows() > 0 {
				if !inSegment(b.Column(c)) {
					placing = append(placing, c)
				}
				break
			}
		}
	}
	if len(placing) == 0 {
		return nil
	}
	out := make([][]arrow.Array, len(batches))
	for i, b := range batches {
		out[i] = make([]arrow.Array, b.NumCols())
		for c, a := range b.Columns() {
			a.Retain()
			out[i][c] = a
		}
	}
	release := func() {
		for _, columns := range out {
			for _, a := range columns {
				a.Release()
			}
		}
	}
	for _, c := range placing {
		var s *sharedSegment
		for i, b := range batches {
			n := b.NumRows()
			if n > segmentCapacity {
				// Never the case at Quiver's batch sizes; such a column stays where it is.
				break
			}
			if s == nil || s.rows+n > s.capacity {
				if s != nil {
					s.release()
				}
				created, err := newSharedSegment(schema.Field(c).Type)
				if err != nil {
					segmentsUnavailable.Store(true)
					release()
					return nil
				}
				s = created
			}
			placed := s.append(b.Column(c))
			out[i][c].Release()
			out[i][c] = placed
		}
		if s != nil {
			s.release() // the writer's reference: the batches hold theirs
		}
	}
	result := make([]arrow.RecordBatch, len(batches))
	for i, b := range batches {
		result[i] = array.NewRecordBatch(b.Schema(), out[i], b.NumRows())
	}
	release()
	return result
}
