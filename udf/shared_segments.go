package udf

import (
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"

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
// A segment is one memfd holding the columns of one stored partition placed together
// (PlaceColumns, called by the first scalar UDF task over the partition). Each column has a region
// in it, rows laid out by their index within the partition: row r's value at valuesOffset +
// r*width (bit r for booleans) and its validity at bit r of the region's validity bitmap.
// Consecutive stored batches of a column are therefore consecutive in memory, and a message made
// of several pieces of them is still one range.
//
// Lifetime: every Arrow buffer built over a segment has the segment as its allocator and holds
// one reference; the placer holds one while it writes, and a UDF task that sent the segment to a
// worker holds one until the task ends (the worker opens the segment by its descriptor, which
// must stay open until then). The last reference unmaps it and closes the descriptor; workers
// still mapping it keep the memory until they hear it was freed (Worker.announceSegments) and
// their Python objects over it are gone.

// segmentHeader is the bytes before the first column: a magic and the segment's id, which the
// worker checks after mapping /proc/<server>/fd/<fd>, so a reused descriptor is never trusted.
const (
	segmentHeader = 4096
	segmentMagic  = "QVSEGMT1"
)

// SharedSegmentMinRows is the number of rows a stored partition must have for its columns to be
// placed in shared segments: a small one is not worth a descriptor and mappings.
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

// sharedSegment is one memfd and its mapping in the server.
type sharedSegment struct {
	id   uint64
	fd   int
	size uint64
	data []byte

	columns []*segmentColumn

	references atomic.Int64
	freed      atomic.Bool
}

// segmentColumn is one column's region of a segment.
type segmentColumn struct {
	segment *sharedSegment
	typ     arrow.DataType
	isBool  bool
	width   int64 // bytes per value; 0 for booleans (bits)

	capacity                     int64
	validityOffset, valuesOffset uint64 // within the segment
	start, end                   uintptr
	validityAddress              uintptr
	valuesAddress                uintptr

	// rows written, and whether the validity bits of all of them are written (set when a null is
	// first seen; earlier rows are then marked valid). Fixed once placing ends.
	rows        int64
	hasValidity bool
}

// newSharedSegment creates a segment with a region of rows rows for each of types.
func newSharedSegment(types []arrow.DataType, rows int64) (*sharedSegment, error) {
	s := &sharedSegment{id: segmentIDs.Add(1)}
	offset := uint64(segmentHeader)
	for _, t := range types {
		c := &segmentColumn{segment: s, typ: t, isBool: t.ID() == arrow.BOOL, capacity: rows}
		if !c.isBool {
			c.width = int64(t.(arrow.FixedWidthDataType).BitWidth() / 8)
		}
		c.validityOffset = offset
		c.valuesOffset = align64(offset + uint64(bitutil.BytesForBits(rows)))
		offset = align64(c.valuesOffset + valuesLength(t, rows))
		s.columns = append(s.columns, c)
	}
	s.size = offset
	fd, err := unix.MemfdCreate(fmt.Sprintf("quiver-segment-%d", s.id), unix.MFD_CLOEXEC)
	if err != nil {
		// No memfd on this system: stored columns stay in Go memory from now on.
		segmentsUnavailable.Store(true)
		return nil, fmt.Errorf("creating a shared segment: %w", err)
	}
	// Reserve the pages now, so that memory running out is an error here and not a SIGBUS under
	// a write.
	if err := unix.Fallocate(fd, 0, 0, int64(s.size)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("reserving %d bytes for a shared segment: %w", s.size, err)
	}
	data, err := unix.Mmap(fd, 0, int(s.size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mapping a shared segment: %w", err)
	}
	// Map the pages at once (one system call, not a fault per page); where the kernel cannot,
	// the writes fault them in.
	unix.Madvise(data, unix.MADV_POPULATE_WRITE)
	s.fd, s.data = fd, data
	copy(data, segmentMagic)
	binary.LittleEndian.PutUint64(data[8:], s.id)
	base := address(data)
	for _, c := range s.columns {
		c.start = base + uintptr(c.validityOffset)
		c.validityAddress = c.start
		c.valuesAddress = base + uintptr(c.valuesOffset)
		c.end = c.valuesAddress + uintptr(valuesLength(c.typ, rows))
	}
	s.references.Store(1) // the placer's
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
	if s.data != nil {
		unix.Munmap(s.data)
		unix.Close(s.fd)
		s.data = nil
	}
}

func (s *sharedSegment) String() string {
	return fmt.Sprintf("shared segment %d (%d columns, %d bytes)", s.id, len(s.columns), s.size)
}

// append copies a's rows after the column's rows and returns the array over the segment (the
// caller releases it). The caller checked there is room.
func (c *segmentColumn) append(a arrow.Array) arrow.Array {
	s := c.segment
	data := a.Data()
	offset, n := int64(data.Offset()), int64(a.Len())
	r := c.rows
	// Buffers start at the byte holding row r's bit, rounded down to a multiple of 8 rows, and the
	// array's offset is r%8: bitmaps keep their bit positions, so nothing is shifted later.
	base := r &^ 7
	shift := r - base
	var valuesStart, valuesEnd uint64
	if c.isBool {
		valuesStart = c.valuesOffset + uint64(base/8)
		valuesEnd = c.valuesOffset + uint64(bitutil.BytesForBits(r+n))
	} else {
		valuesStart = c.valuesOffset + uint64(base*c.width)
		valuesEnd = c.valuesOffset + uint64((r+n)*c.width)
	}
	values := s.data[valuesStart:valuesEnd:valuesEnd]
	var source []byte
	if buffer := data.Buffers()[1]; buffer != nil {
		source = buffer.Bytes()
	}
	switch {
	case c.isBool && source != nil:
		bitutil.CopyBitmap(source, int(offset), int(n), values, int(shift))
	case c.isBool:
		bitutil.SetBitsTo(values, shift, n, false)
	case source != nil:
		copy(values[shift*c.width:], source[offset*c.width:(offset+n)*c.width])
	default:
		clear(values[shift*c.width:])
	}
	nulls := a.NullN()
	if nulls > 0 && !c.hasValidity {
		// The first nulls of the column: the rows before were all valid.
		c.hasValidity = true
		bitutil.SetBitsTo(s.data[c.validityOffset:], 0, r, true)
	}
	var validity []byte
	if c.hasValidity {
		validityEnd := c.validityOffset + uint64(bitutil.BytesForBits(r+n))
		validity = s.data[c.validityOffset+uint64(base/8) : validityEnd : validityEnd]
		if nulls > 0 && data.Buffers()[0] != nil {
			bitutil.CopyBitmap(data.Buffers()[0].Bytes(), int(offset), int(n), validity, int(shift))
		} else {
			bitutil.SetBitsTo(validity, shift, n, true)
		}
	}
	c.rows += n

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

// segmentRegistry finds the column region an address lies in: the executor sees only Arrow
// buffers.
type segmentRegistry struct {
	mu sync.RWMutex
	// byAddress is every live column region, sorted by start address.
	byAddress []*segmentColumn
	count     int
}

var segments segmentRegistry

func (g *segmentRegistry) add(s *sharedSegment) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.byAddress = append(g.byAddress, s.columns...)
	sort.Slice(g.byAddress, func(i, j int) bool { return g.byAddress[i].start < g.byAddress[j].start })
	g.count++
}

func (g *segmentRegistry) remove(s *sharedSegment) {
	g.mu.Lock()
	defer g.mu.Unlock()
	kept := g.byAddress[:0]
	for _, c := range g.byAddress {
		if c.segment != s {
			kept = append(kept, c)
		}
	}
	clear(g.byAddress[len(kept):])
	g.byAddress = kept
	g.count--
}

// find returns the live column region holding address, or nil.
func (g *segmentRegistry) find(address uintptr) *segmentColumn {
	g.mu.RLock()
	defer g.mu.RUnlock()
	i := sort.Search(len(g.byAddress), func(i int) bool { return g.byAddress[i].start > address })
	if i == 0 {
		return nil
	}
	c := g.byAddress[i-1]
	if address >= c.end {
		return nil
	}
	return c
}

// SharedSegmentCount is the number of live shared segments (tests check none leak).
func SharedSegmentCount() int {
	segments.mu.RLock()
	defer segments.mu.RUnlock()
	return segments.count
}

// segmentsUnavailable is set when creating a segment failed (no memfd): columns stay in Go memory.
var segmentsUnavailable atomic.Bool

// inSegment reports whether a's values lie in a shared segment.
func inSegment(a arrow.Array) bool {
	values := a.Data().Buffers()[1]
	return values != nil && values.Len() > 0 && segments.find(address(values.Bytes())) != nil
}

// PlaceColumns copies the given columns (ordinals; nil: all) of batches, the consecutive batches
// of one stored partition, into one new shared segment when they are of fixed-width types, not
// in one yet, and the partition has at least SharedSegmentMinRows rows. It returns the batches
// with those columns replaced (the caller owns them; other columns are shared with batches), or
// nil when there was nothing to place. batches are not released.
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
	var types []arrow.DataType
	seen := map[int]bool{}
	for _, c := range columns {
		if c < 0 || c >= schema.NumFields() || seen[c] || !ringableType(schema.Field(c).Type) {
			continue
		}
		seen[c] = true
		// A column is placed whole or not at all: its first non-empty piece tells.
		for _, b := range batches {
			if b.NumRows() > 0 {
				if !inSegment(b.Column(c)) {
					placing = append(placing, c)
					types = append(types, schema.Field(c).Type)
				}
				break
			}
		}
	}
	if len(placing) == 0 {
		return nil
	}
	s, err := newSharedSegment(types, rows)
	if err != nil {
		return nil // the arguments go through the argument ring
	}
	defer s.release() // the placer's reference: the batches hold theirs
	result := make([]arrow.RecordBatch, len(batches))
	for i, b := range batches {
		out := make([]arrow.Array, b.NumCols())
		for c, a := range b.Columns() {
			out[c] = a
		}
		for j, c := range placing {
			out[c] = s.columns[j].append(b.Column(c))
		}
		result[i] = array.NewRecordBatch(b.Schema(), out, b.NumRows())
		for _, c := range placing {
			out[c].Release()
		}
	}
	return result
}
