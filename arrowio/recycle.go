package arrowio

import (
	"math/bits"
	"sync"

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
	pooled     int
	closed     bool
}

const (
	// recycleMinBytes: smaller buffers are cheap to allocate and not worth a lock.
	recycleMinBytes = 4 << 10
	// recycleMaxPooledBytes bounds what one scan keeps in reserve (a few batches' worth).
	recycleMaxPooledBytes = 16 << 20
)

func newRecyclingAllocator(underlying memory.Allocator) *recyclingAllocator {
	return &recyclingAllocator{underlying: underlying, free: map[int][][]byte{}}
}

// sizeClass rounds n up to a quarter step of its next power of two (at most 25% waste).
func sizeClass(n int) int {
	if n < recycleMinBytes {
		return n
	}
	step := 1 << (bits.Len(uint(n-1)) - 2)
	return (n + step - 1) / step * step
}

// recycled reports whether b is a buffer of this allocator's size classes.
func recycled(b []byte) bool {
	c := cap(b)
	return c >= recycleMinBytes && sizeClass(c) == c
}

func (r *recyclingAllocator) Allocate(size int) []byte {
	if size < recycleMinBytes {
		return r.underlying.Allocate(size)
	}
	class := sizeClass(size)
	r.mu.Lock()
	if list := r.free[class]; len(list) > 0 {
		b := list[len(list)-1]
		r.free[class] = list[:len(list)-1]
		r.pooled -= class
		r.mu.Unlock()
		b = b[:size]
		clear(b)
		return b
	}
	r.mu.Unlock()
	return r.underlying.Allocate(class)[:size:class]
}

// allocateUninitialized is Allocate without zeroing reused memory, for buffers the caller
// overwrites completely.
func (r *recyclingAllocator) allocateUninitialized(size int) []byte {
	if size >= recycleMinBytes {
		class := sizeClass(size)
		r.mu.Lock()
		if list := r.free[class]; len(list) > 0 {
			b := list[len(list)-1]
			r.free[class] = list[:len(list)-1]
			r.pooled -= class
			r.mu.Unlock()
			return b[:size]
		}
		r.mu.Unlock()
	}
	return r.Allocate(size)
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
	if !recycled(b) && size < recycleMinBytes {
		return r.underlying.Reallocate(size, b)
	}
	if recycled(b) && size <= cap(b) {
		old := len(b)
		b = b[:size]
		if size > old {
			clear(b[old:])
		}
		return b
	}
	out := r.Allocate(size)
	copy(out, b)
	r.Free(b)
	return out
}

func (r *recyclingAllocator) Free(b []byte) {
	if !recycled(b) {
		r.underlying.Free(b)
		return
	}
	full := b[:cap(b)]
	r.mu.Lock()
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
