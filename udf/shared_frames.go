package udf

import (
	"encoding/binary"
	"os"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/quiverdata/quiver/errkind"
)

// frameSegments is a message whose every column lies in shared segments (shared_segments.go):
// the worker builds its arrays over its own read-only mappings of them, nothing is copied.
const frameSegments byte = 'S'

// Header keys: the server's pid (the worker opens /proc/<pid>/fd/<fd>), and the segments the
// worker was sent that have been freed since (comma-separated ids): it drops its mappings.
const (
	configSegmentsPID   = "quiver.udf.segments_pid"
	configFreedSegments = "quiver.udf.freed_segments"
)

// segmentRange is where one argument column of a message lies in a segment: buffers starting at
// a byte (the rows before the first, up to a multiple of 8, included) and the array offset.
type segmentRange struct {
	column                         *segmentColumn
	valuesOffset, valuesLength     uint64
	validityOffset, validityLength uint64 // validityLength 0: no nulls
	nulls, arrayOffset             uint64
}

func address(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// locateSegments describes every column of the message (batches, rows in all) as one range of a
// shared segment, or reports false when some column's pieces are not consecutive rows of one
// segment (the message then goes through the argument ring).
func locateSegments(batches []arrow.RecordBatch, rows int64) ([]segmentRange, bool) {
	out := make([]segmentRange, batches[0].NumCols())
	for c := range out {
		var s *segmentColumn
		var first, next int64
		var nulls int
		started := false
		for _, b := range batches {
			a := b.Column(c)
			n := int64(a.Len())
			if n == 0 {
				continue
			}
			data := a.Data()
			values := data.Buffers()[1]
			if values == nil || values.Len() == 0 {
				return nil, false
			}
			at := address(values.Bytes())
			if s == nil {
				if s = segments.find(at); s == nil {
					return nil, false
				}
			}
			if at < s.valuesAddress || at >= s.end {
				return nil, false
			}
			delta := int64(at - s.valuesAddress)
			var row int64
			if s.isBool {
				row = delta*8 + int64(data.Offset())
			} else {
				if delta%s.width != 0 {
					return nil, false
				}
				row = delta/s.width + int64(data.Offset())
			}
			if !started {
				started, first = true, row
			} else if row != next {
				return nil, false
			}
			if row+n > s.rows {
				return nil, false
			}
			if a.NullN() > 0 {
				validity := data.Buffers()[0]
				if validity == nil || !s.hasValidity {
					return nil, false
				}
				v := address(validity.Bytes())
				if v < s.validityAddress || int64(v-s.validityAddress)*8+int64(data.Offset()) != row {
					return nil, false
				}
				nulls += a.NullN()
			}
			next = row + n
		}
		if s == nil || next-first != rows {
			return nil, false
		}
		base := first &^ 7
		r := segmentRange{column: s, nulls: uint64(nulls), arrayOffset: uint64(first - base)}
		if s.isBool {
			r.valuesOffset = s.valuesOffset + uint64(base/8)
			r.valuesLength = uint64(bitutil.BytesForBits(next)) - uint64(base/8)
		} else {
			r.valuesOffset = s.valuesOffset + uint64(base*s.width)
			r.valuesLength = uint64((next - base) * s.width)
		}
		if nulls > 0 {
			r.validityOffset = s.validityOffset + uint64(base/8)
			r.validityLength = uint64(bitutil.BytesForBits(next)) - uint64(base/8)
		}
		out[c] = r
	}
	return out, true
}

// writeSegmentFrame sends a message whose columns lie in segments: the segments are retained
// until the task ends (the worker opens each by its descriptor when it reads the frame).
func (t *Task) writeSegmentFrame(columns []segmentRange, rows int64) error {
	t.mu.Lock()
	if t.ended {
		t.mu.Unlock()
		return errkind.Internal("%s: arguments written after the task ended", t.options.Describe)
	}
	for _, c := range columns {
		c.column.segment.retain()
		t.segments = append(t.segments, c.column.segment)
	}
	t.mu.Unlock()
	t.worker.noteSegments(columns)

	frame := make([]byte, 0, 1+12+72*len(columns))
	frame = append(frame, frameSegments)
	frame = binary.LittleEndian.AppendUint64(frame, uint64(rows))
	frame = binary.LittleEndian.AppendUint32(frame, uint32(len(columns)))
	for _, c := range columns {
		s := c.column.segment
		for _, v := range []uint64{s.id, uint64(s.fd), s.size, c.valuesOffset, c.valuesLength,
			c.validityOffset, c.validityLength, c.nulls, c.arrayOffset} {
			frame = binary.LittleEndian.AppendUint64(frame, v)
		}
	}
	if _, err := t.worker.w.Write(frame); err != nil {
		return err
	}
	return t.worker.w.Flush()
}

// releaseSegments drops the task's references to the segments it sent (at Finish).
func (t *Task) releaseSegments() {
	t.mu.Lock()
	held := t.segments
	t.segments = nil
	t.mu.Unlock()
	for _, s := range held {
		s.release()
	}
}

// noteSegments remembers which segments the worker may have mapped, to tell it when they are
// freed.
func (w *Worker) noteSegments(columns []segmentRange) {
	w.segmentsMu.Lock()
	defer w.segmentsMu.Unlock()
	if w.sentSegments == nil {
		w.sentSegments = map[uint64]*sharedSegment{}
	}
	for _, c := range columns {
		w.sentSegments[c.column.segment.id] = c.column.segment
	}
}

// announceSegments puts in a task's header the server's pid and the segments the worker was
// sent that have been freed since its last task: it drops its mappings of them (a worker's
// mapping keeps a freed segment's memory until then).
func (w *Worker) announceSegments(header map[string]string) {
	header[configSegmentsPID] = strconv.Itoa(os.Getpid())
	w.segmentsMu.Lock()
	defer w.segmentsMu.Unlock()
	var freed []uint64
	for id, s := range w.sentSegments {
		if s.freed.Load() {
			freed = append(freed, id)
			delete(w.sentSegments, id)
		}
	}
	if len(freed) == 0 {
		return
	}
	sort.Slice(freed, func(i, j int) bool { return freed[i] < freed[j] })
	ids := make([]string, len(freed))
	for i, id := range freed {
		ids[i] = strconv.FormatUint(id, 10)
	}
	header[configFreedSegments] = strings.Join(ids, ",")
}
