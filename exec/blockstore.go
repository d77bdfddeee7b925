package exec

import (
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
)

// StoredFrame is a DataFrame held in memory as partitions of record batches.
type StoredFrame struct {
	ID         string
	Owner      string
	Schema     *arrow.Schema
	Partitions [][]arrow.RecordBatch
	NumRows    int64
	NumBytes   int64
}

// BlockStore holds stored DataFrames (uploads, cached results). It owns one reference to every
// batch it holds; readers retain what they hand out.
type BlockStore struct {
	mu     sync.RWMutex
	frames map[string]*StoredFrame
	bytes  int64
}

// NewBlockStore returns an empty store.
func NewBlockStore() *BlockStore {
	return &BlockStore{frames: map[string]*StoredFrame{}}
}

// Put stores a frame; the store takes ownership of its batches.
func (s *BlockStore) Put(f *StoredFrame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.frames[f.ID]; ok {
		releaseFrame(old)
		s.bytes -= old.NumBytes
	}
	s.frames[f.ID] = f
	s.bytes += f.NumBytes
}

// Get returns a frame's metadata and batches. The batches stay owned by the store; use
// RetainPartition to read them safely while the frame may be released concurrently.
func (s *BlockStore) Get(id string) (*StoredFrame, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.frames[id]
	if !ok {
		return nil, errkind.NotFound("DataFrame %q is not stored on this server (it was released, or the server restarted); create it again", id)
	}
	return f, nil
}

// RetainPartition returns the batches of one partition, each retained for the caller, who must
// Release every one.
func (s *BlockStore) RetainPartition(id string, partition int) ([]arrow.RecordBatch, *arrow.Schema, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.frames[id]
	if !ok {
		return nil, nil, errkind.NotFound("DataFrame %q is not stored on this server (it was released, or the server restarted); create it again", id)
	}
	if partition < 0 || partition >= len(f.Partitions) {
		if partition == 0 && len(f.Partitions) == 0 {
			return nil, f.Schema, nil
		}
		return nil, nil, errkind.Internal("DataFrame %q has %d partitions, partition %d requested", id, len(f.Partitions), partition)
	}
	batches := f.Partitions[partition]
	out := make([]arrow.RecordBatch, len(batches))
	for i, b := range batches {
		b.Retain()
		out[i] = b
	}
	return out, f.Schema, nil
}

// Remove drops a frame and releases its batches. It reports whether the frame existed.
func (s *BlockStore) Remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.frames[id]
	if !ok {
		return false
	}
	delete(s.frames, id)
	s.bytes -= f.NumBytes
	releaseFrame(f)
	return true
}

// List returns the frames owned by owner ("" lists all).
func (s *BlockStore) List(owner string) []*StoredFrame {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*StoredFrame
	for _, f := range s.frames {
		if owner == "" || f.Owner == owner {
			out = append(out, f)
		}
	}
	return out
}

// RemoveOwned drops every frame of an owner (a closed session).
func (s *BlockStore) RemoveOwned(owner string) {
	for _, f := range s.List(owner) {
		s.Remove(f.ID)
	}
}

// Bytes is the total size of stored buffers.
func (s *BlockStore) Bytes() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.bytes
}

// Close releases everything.
func (s *BlockStore) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, f := range s.frames {
		releaseFrame(f)
		delete(s.frames, id)
	}
	s.bytes = 0
}

func releaseFrame(f *StoredFrame) {
	for _, p := range f.Partitions {
		for _, b := range p {
			b.Release()
		}
	}
	f.Partitions = nil
}

// BatchBytes is the size of a batch's buffers.
func BatchBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		n += arrayBytes(c.Data())
	}
	return n
}

func arrayBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += arrayBytes(c)
	}
	if d.DataType().ID() == arrow.DICTIONARY {
		n += arrayBytes(d.Dictionary())
	}
	return n
}
