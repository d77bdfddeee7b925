package arrowio

import (
	"math/bits"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recyclingAllocator keeps the large buffers a scan's batches free and hands them to the scan's
// next batches. A scan allocates the same few buffer sizes for every batch, and its consumer
// usually releases a batch before asking for the next one; without reuse every batch costs
// fresh zeroed Go memory (page faults, memclr) and garbage for the collector, which was a third
// of a TPC-H Q6 scan's CPU time. Buffers are recycled by size class (quarters of a power of
// two); small ones go straight to the underlying allocator. Reused memory is zeroed like fresh
// memory. Close returns every pooled buffer to the underlying allocator, and buffers freed after
// Close go straight to it, so the underlying allocator's accounting ends balanced.
type recyclingAllocator struct {
	underlying memory.Allocator
	mu         sync.Mutex
	free       map[int][][]byte // by class size
	// outstanding maps the first byte of every class buffer handed out to its class size. The
	// slices handed out have cap == len: arrow-go's compute kernels size their writes by cap()
	// but write within len(), so a longer cap makes them drop or misplace bytes.
	outstanding map[*byte]int
	pooled      int
	closed      bool
}

const (
	// recycleMinBytes: smaller buffers are cheap to allocate and not worth a lock.
	recycleMinBytes = 4 << 10
	// recycleMaxPooledBytes bounds what one scan keeps in reserve (a few batches' worth).
	recycleMaxPooledBytes = 16 << 20
)

func newRecyclingAllocator(underlying memory.Allocator) *recyclingAllocator {
	return &recyclingAllocator{underlying: underlying, free: map[int][][]byte{}, outstanding: map[*byte]int{}}
}

// sizeClass rounds n up to a quarter step of its next power of two (at most 25% waste).
func sizeClass(n int) int {
	if n < recycleMinBytes {
		return n
	}
	step := 1 << (bits.Len(uint(n-1)) - 2)
	return (n + step - 1) / step * step
}

// take hands out a class buffer of at least size bytes, from the pool when one is there; zeroed
// says whether reused memory must be cleared. Callers hold no lock.
func (r *recyclingAllocator) take(size int, zeroed bool) []byte {
	class := sizeClass(size)
	r.mu.Lock()
	var full []byte
	if list := r.free[class]; len(list) > 0 {
		full = list[len(list)-1]
		r.free[class] = list[:len(list)-1]
		r.pooled -= class
	}
	r.mu.Unlock()
	if full == nil {
		full = r.underlying.Allocate(class)
	} else if zeroed {
		clear(full[:size])
	}
	r.mu.Lock()
	r.outstanding[unsafe.SliceData(full)] = class
	r.mu.Unlock()
	return full[:size:size]
}

// classOf returns the class buffer b starts, or nil when b did not come from take.
func (r *recyclingAllocator) classOf(b []byte) []byte {
	if cap(b) == 0 {
		return nil
	}
	start := unsafe.SliceData(b)
	r.mu.Lock()
	class, ok := r.outstanding[start]
	r.mu.Unlock()
	if !ok {
		return nil
	}
	return unsafe.Slice(start, class)
}

func (r *recyclingAllocator) Allocate(size int) []byte {
	if size < recycleMinBytes {
		return r.underlying.Allocate(size)
	}
	return r.take(size, true)
}

// allocateUninitialized is Allocate without zeroing reused memory, for buffers the caller
// overwrites completely.
func (r *recyclingAllocator) allocateUninitialized(size int) []byte {
	if size < recycleMinBytes {
		return r.underlying.Allocate(size)
	}
	return r.take(size, false)
}

// newOutputBuffer returns a buffer of size bytes from mem that the caller overwrites
// completely; its contents start undefined when mem recycles.
func newOutputBuffer(mem memory.Allocator, size int) *memory.Buffer {
	if r, ok := mem.(*recyclingAllocator); ok {
		return memory.NewBufferWithAllocator(r.allocateUninitialized(size), r)
	}
	buffer := memory.NewResizableBuffer(mem)
	buffer.Resize(size)
	return buffer
}

func (r *recyclingAllocator) Reallocate(size int, b []byte) []byte {
	full := r.classOf(b)
	if full == nil && size < recycleMinBytes {
		return r.underlying.Reallocate(size, b)
	}
	if full != nil && size <= len(full) {
		if size > len(b) {
			clear(full[len(b):size])
		}
		return full[:size:size]
	}
	out := r.Allocate(size)
	copy(out, b)
	r.Free(b)
	return out
}

func (r *recyclingAllocator) Free(b []byte) {
	full := r.classOf(b)
	if full == nil {
		r.underlying.Free(b)
		return
	}
	r.mu.Lock()
	delete(r.outstanding, unsafe.SliceData(full))
	if r.closed || r.pooled+len(full) > recycleMaxPooledBytes {
		r.mu.Unlock()
		r.underlying.Free(full)
		return
	}
	r.free[len(full)] = append(r.free[len(full)], full)
	r.pooled += len(full)
	r.mu.Unlock()
}

// Close hands the pooled buffers back; later frees pass straight through.
func (r *recyclingAllocator) Close() {
	r.mu.Lock()
	free := r.free
	r.free, r.pooled, r.closed = nil, 0, true
	r.mu.Unlock()
	for _, list := range free {
		for _, b := range list {
			r.underlying.Free(b)
		}
	}
}
