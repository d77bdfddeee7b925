package udf

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
)

// resultRing is shared memory a worker writes scalar UDF results into, so that a result column
// of a primitive type reaches the executor without passing through the socket (two copies and
// the system calls of ~1 MiB per message) and is read where it lies: the arrays built over it
// reference the mapping (decision 0026).
//
// Layout: a 64-byte header, then size bytes of data used as a ring. Positions are monotonic byte
// counts; position p lies at offset ringHeader + p%size. The worker reserves regions at growing
// positions; the executor publishes in the header's first 8 bytes (little-endian uint64) the
// watermark: every position below it is free again. A region is free once every Arrow buffer built
// over it has been released, which may be long after the task (a sort above the UDF holds its
// batches); the worker never writes past watermark+size, and sends a result through the socket
// instead when the ring has no room.
type resultRing struct {
	path string
	size uint64

	mu   sync.Mutex
	data []byte
	// frames are the regions the worker announced and the executor has not released, in
	// position order (released ones stay until those before them are released too).
	frames  []*ringFrame
	lastEnd uint64
	closed  bool
}

const (
	ringHeader = 64
	// ringSize holds 4 messages of 524,288 doubles with their validity bitmaps.
	ringSize = 16 << 20
	// shmDirectory is where ring files are created (a tmpfs on Linux) unless the pool's
	// configuration names another; without it arguments and results go through the socket.
	shmDirectory = "/dev/shm"
)

// newResultRing creates and maps a ring file; the worker maps it by path and removes the name.
func newResultRing(directory, name string) (*resultRing, error) {
	path, data, err := mapSharedFile(directory, name, ringHeader+ringSize)
	if err != nil {
		return nil, err
	}
	return &resultRing{path: path, size: ringSize, data: data}, nil
}

// mapSharedFile creates a file of size bytes in directory, reserves its pages and maps it
// shared; the worker maps the same file by path and removes the name. Both rings (results and
// arguments) live in such files.
func mapSharedFile(directory, name string, size int) (path string, data []byte, err error) {
	if _, err := os.Stat(directory); err != nil {
		return "", nil, err
	}
	path = filepath.Join(directory, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	// Reserve the pages now: a ring only truncated to size would be sparse, and a process writing
	// into a full tmpfs (64 MiB /dev/shm in a default container) dies of SIGBUS mid-query.
	// A ring that cannot be reserved is not used; its data goes through the socket.
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, int64(size)); err != nil {
		os.Remove(path)
		return "", nil, fmt.Errorf("reserving %d bytes in %s: %w", size, directory, err)
	}
	data, err = syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		os.Remove(path)
		return "", nil, err
	}
	return path, data, nil
}

// close removes the file (if the worker has not) and unmaps the ring once no batch built over it
// is alive; batches still referencing it keep it mapped until they are released.
func (r *resultRing) close() {
	os.Remove(r.path)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	r.unmapIfUnused()
}

func (r *resultRing) unmapIfUnused() {
	if r.closed && len(r.frames) == 0 && r.data != nil {
		syscall.Munmap(r.data)
		r.data = nil
	}
}

// ringFrame is one message's region; it is the allocator of every buffer built over the region,
// and the region is released when the last of them is.
type ringFrame struct {
	ring       *resultRing
	start, end uint64
	buffers    atomic.Int32
	released   bool
}

func (f *ringFrame) Allocate(size int) []byte { return make([]byte, size) }

func (f *ringFrame) Reallocate(size int, b []byte) []byte {
	out := make([]byte, size)
	copy(out, b)
	return out
}

// Free is called once per buffer built over the frame, when that buffer's last reference goes.
func (f *ringFrame) Free([]byte) {
	if f.buffers.Add(-1) == 0 {
		f.ring.release(f)
	}
}

func (r *resultRing) release(f *ringFrame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f.released = true
	n := 0
	for n < len(r.frames) && r.frames[n].released {
		n++
	}
	r.frames = r.frames[n:]
	watermark := r.lastEnd
	if len(r.frames) > 0 {
		watermark = r.frames[0].start
	}
	if r.data != nil {
		atomic.StoreUint64((*uint64)(unsafe.Pointer(&r.data[0])), watermark)
	}
	r.unmapIfUnused()
}

// ringColumn describes one result column in a ring frame, by offsets within the frame's region.
type ringColumn struct {
	validityOffset, validityLength uint64 // validityLength 0: no nulls
	nullCount                      uint64
	valuesOffset, valuesLength     uint64
}

// readRingBatch reads a ring frame's description from r (after its kind byte) and builds the
// batch over the ring. Columns must be of fixed-width primitive types.
func (r *resultRing) readRingBatch(in io.Reader, schema *arrow.Schema) (arrow.RecordBatch, error) {
	var head [28]byte
	if _, err := io.ReadFull(in, head[:]); err != nil {
		return nil, err
	}
	start := binary.LittleEndian.Uint64(head[0:])
	length := binary.LittleEndian.Uint64(head[8:])
	rows := int64(binary.LittleEndian.Uint64(head[16:]))
	numColumns := int(binary.LittleEndian.Uint32(head[24:]))
	columns := make([]ringColumn, numColumns)
	raw := make([]byte, 40*numColumns)
	if _, err := io.ReadFull(in, raw); err != nil {
		return nil, err
	}
	for i := range columns {
		b := raw[40*i:]
		columns[i] = ringColumn{
			validityOffset: binary.LittleEndian.Uint64(b[0:]), validityLength: binary.LittleEndian.Uint64(b[8:]),
			nullCount: binary.LittleEndian.Uint64(b[16:]), valuesOffset: binary.LittleEndian.Uint64(b[24:]),
			valuesLength: binary.LittleEndian.Uint64(b[32:]),
		}
	}
	if numColumns != schema.NumFields() {
		return nil, errkind.Internal("the Python worker sent %d result columns in shared memory for %d UDFs", numColumns, schema.NumFields())
	}
	offset := start % r.size
	if length > r.size || offset+length > r.size {
		return nil, errkind.Internal("the Python worker sent a shared-memory region [%d, +%d) outside its ring of %d bytes", start, length, r.size)
	}

	r.mu.Lock()
	if r.data == nil || start < r.lastEnd {
		r.mu.Unlock()
		return nil, errkind.Internal("the Python worker sent a shared-memory region at %d, before the end of the last one (%d)", start, r.lastEnd)
	}
	frame := &ringFrame{ring: r, start: start, end: start + length}
	r.frames = append(r.frames, frame)
	r.lastEnd = frame.end
	region := r.data[ringHeader+offset : ringHeader+offset+length : ringHeader+offset+length]
	r.mu.Unlock()

	// One reference per buffer plus one held while building, so a failure below still frees.
	buffers := 0
	for _, c := range columns {
		buffers++
		if c.validityLength > 0 {
			buffers++
		}
	}
	frame.buffers.Store(int32(buffers + 1))
	defer frame.Free(nil)

	slice := func(off, n uint64) ([]byte, error) {
		if off > length || n > length-off {
			return nil, errkind.Internal("the Python worker described a result buffer [%d, +%d) outside its region of %d bytes", off, n, length)
		}
		return region[off : off+n : off+n], nil
	}
	arrays := make([]arrow.Array, 0, numColumns)
	fail := func(err error) (arrow.RecordBatch, error) {
		for _, a := range arrays {
			a.Release()
		}
		return nil, err
	}
	for i, c := range columns {
		typ := schema.Field(i).Type
		width, ok := typ.(arrow.FixedWidthDataType)
		if !ok || width.BitWidth()%8 != 0 || c.valuesLength != uint64(rows)*uint64(width.BitWidth()/8) {
			// Drop the references of this column's buffers and those after it.
			for _, rest := range columns[i:] {
				frame.Free(nil)
				if rest.validityLength > 0 {
					frame.Free(nil)
				}
			}
			return fail(errkind.Internal("the Python worker sent %d bytes in shared memory for %d values of %s", c.valuesLength, rows, typ))
		}
		values, err := slice(c.valuesOffset, c.valuesLength)
		var validity []byte
		if err == nil && c.validityLength > 0 {
			validity, err = slice(c.validityOffset, c.validityLength)
		}
		if err != nil {
			for _, rest := range columns[i:] {
				frame.Free(nil)
				if rest.validityLength > 0 {
					frame.Free(nil)
				}
			}
			return fail(err)
		}
		valuesBuffer := memory.NewBufferWithAllocator(values, frame)
		var validityBuffer *memory.Buffer
		if c.validityLength > 0 {
			validityBuffer = memory.NewBufferWithAllocator(validity, frame)
		}
		data := array.NewData(typ, int(rows), []*memory.Buffer{validityBuffer, valuesBuffer}, nil, int(c.nullCount), 0)
		valuesBuffer.Release()
		if validityBuffer != nil {
			validityBuffer.Release()
		}
		arrays = append(arrays, array.MakeFromData(data))
		data.Release()
	}
	batch := array.NewRecordBatch(schema, arrays, rows)
	for _, a := range arrays {
		a.Release()
	}
	return batch, nil
}

func (r *resultRing) String() string { return fmt.Sprintf("result ring %s (%d bytes)", r.path, r.size) }
