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

// SegmentPlacer moves the fixed-width columns of an upload's batches into shared segments, once
// the upload has reached SharedSegmentMinRows rows. Batches must be placed in their order.
type SegmentPlacer struct {
	schema   *arrow.Schema
	columns  []*sharedSegment
	rows     int64
	active   bool
	disabled bool
}

// NewSegmentPlacer returns a placer for an upload of schema, or nil when no column can be placed
// or shared segments are not available.
func NewSegmentPlacer(schema *arrow.Schema) *SegmentPlacer {
	placeable := false
	for _, f := range schema.Fields() {
		placeable = placeable || ringableType(f.Type)
	}
	if !placeable || segmentsUnavailable.Load() {
		return nil
	}
	return &SegmentPlacer{schema: schema, columns: make([]*sharedSegment, schema.NumFields())}
}

// segmentsUnavailable is set when creating a segment failed (no memfd): uploads stay in Go memory.
var segmentsUnavailable atomic.Bool

// Observe counts rows of the upload and reports whether placing starts now: the caller then
// places every batch received so far, in order, before this one.
func (p *SegmentPlacer) Observe(rows int64) bool {
	if p == nil || p.active || p.disabled {
		return false
	}
	p.rows += rows
	if p.rows >= SharedSegmentMinRows {
		p.active = true
		return true
	}
	return false
}

// Active reports whether batches are being placed.
func (p *SegmentPlacer) Active() bool { return p != nil && p.active && !p.disabled }

// Place returns b with its fixed-width columns in shared segments and releases b; when a segment
// cannot be created, it returns b unchanged from then on.
func (p *SegmentPlacer) Place(b arrow.RecordBatch) arrow.RecordBatch {
	if !p.Active() {
		return b
	}
	n := b.NumRows()
	columns := make([]arrow.Array, b.NumCols())
	for c := range columns {
		a := b.Column(c)
		if !ringableType(a.DataType()) || n > segmentCapacity {
			a.Retain()
			columns[c] = a
			continue
		}
		s := p.columns[c]
		if s == nil || s.rows+n > s.capacity {
			if s != nil {
				s.release()
				p.columns[c] = nil
			}
			created, err := newSharedSegment(a.DataType())
			if err != nil {
				segmentsUnavailable.Store(true)
				p.disabled = true
				for _, x := range columns[:c] {
					x.Release()
				}
				return b
			}
			s = created
			p.columns[c] = s
		}
		columns[c] = s.append(a)
	}
	out := array.NewRecordBatch(b.Schema(), columns, n)
	for _, a := range columns {
		a.Release()
	}
	b.Release()
	return out
}

// Close drops the upload's references: segments live on as long as batches over them do.
func (p *SegmentPlacer) Close() {
	if p == nil {
		return
	}
	for i, s := range p.columns {
		if s != nil {
			s.release()
			p.columns[i] = nil
		}
	}
}
