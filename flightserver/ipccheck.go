package flightserver

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
)

// Uploads are untrusted. arrow-go's IPC reader decodes a record batch against the stream's
// schema without comparing the message's field and buffer counts with it: a batch encoded with
// another schema (more columns, other types) decodes "successfully" into wrong data. So each
// record batch message's metadata (a flatbuffer) is checked against the schema before the
// reader sees it. Every read here is bounds-checked: the bytes may be anything.

const (
	messageHeaderSchema      = 1
	messageHeaderRecordBatch = 3
)

// checkedStream passes FlightData through, rejecting record batch messages whose metadata does
// not fit schema (set once the schema message has been read).
type checkedStream struct {
	flight.DataStreamReader
	schema   *arrow.Schema
	messages int
}

func (c *checkedStream) Recv() (*flight.FlightData, error) {
	fd, err := c.DataStreamReader.Recv()
	if err != nil || c.schema == nil || len(fd.DataHeader) == 0 {
		return fd, err
	}
	c.messages++
	if err := checkMessage(fd.DataHeader, len(fd.DataBody), c.schema); err != nil {
		return nil, fmt.Errorf("message %d: %w", c.messages, err)
	}
	return fd, nil
}

// checkMessage validates the metadata of one IPC message against the stream's schema.
func checkMessage(header []byte, bodyLen int, schema *arrow.Schema) error {
	fb := flatbuffer(header)
	root, ok := fb.root()
	if !ok {
		return fmt.Errorf("the message header is not a valid flatbuffer")
	}
	headerType, ok := fb.uint8Field(root, 1)
	if !ok {
		return fmt.Errorf("the message header is not a valid flatbuffer")
	}
	switch headerType {
	case messageHeaderSchema:
		return fmt.Errorf("a schema message in the middle of the stream: a stream has one schema, sent first; upload each schema as its own DataFrame")
	case messageHeaderRecordBatch:
	default:
		return nil // dictionary batches and anything else: the IPC reader decides
	}
	batch, ok := fb.tableField(root, 2)
	if !ok {
		return fmt.Errorf("a record batch message without its header")
	}
	length, ok := fb.int64Field(batch, 0)
	if !ok || length < 0 {
		return fmt.Errorf("a record batch with an invalid length")
	}
	nodes, nodeCount, ok := fb.vectorField(batch, 1, 16)
	if !ok {
		return fmt.Errorf("a record batch with malformed field nodes")
	}
	want := 0
	for _, f := range schema.Fields() {
		want += fieldNodes(f.Type)
	}
	if nodeCount != want {
		return fmt.Errorf("a record batch with %d field nodes where the stream's schema (%s) has %d: the batch was encoded with another schema",
			nodeCount, schemaSummary(schema), want)
	}
	top := 0
	for i, f := range schema.Fields() {
		nodeLength := int64(binary.LittleEndian.Uint64(header[nodes+16*top:]))
		nullCount := int64(binary.LittleEndian.Uint64(header[nodes+16*top+8:]))
		if nodeLength != length {
			return fmt.Errorf("column %d (%s) has %d values in a record batch of %d rows", i, f.Name, nodeLength, length)
		}
		if nullCount < 0 || nullCount > nodeLength {
			return fmt.Errorf("column %d (%s) claims %d nulls in %d values", i, f.Name, nullCount, nodeLength)
		}
		top += fieldNodes(f.Type)
	}
	buffers, bufferCount, ok := fb.vectorField(batch, 2, 16)
	if !ok {
		return fmt.Errorf("a record batch with malformed buffer descriptions")
	}
	for i := 0; i < bufferCount; i++ {
		offset := int64(binary.LittleEndian.Uint64(header[buffers+16*i:]))
		size := int64(binary.LittleEndian.Uint64(header[buffers+16*i+8:]))
		if offset < 0 || size < 0 || offset > int64(bodyLen) || size > int64(bodyLen)-offset {
			return fmt.Errorf("buffer %d (offset %d, %d bytes) lies outside the %d-byte message body: the stream is truncated or corrupt",
				i, offset, size, bodyLen)
		}
	}
	return nil
}

// fieldNodes is the number of IPC field nodes a column of type t has (pre-order, dictionary
// values excluded: they travel in dictionary batches).
func fieldNodes(t arrow.DataType) int {
	switch x := t.(type) {
	case *arrow.DictionaryType:
		return 1
	case arrow.ExtensionType:
		return fieldNodes(x.StorageType())
	case arrow.NestedType:
		n := 1
		for _, f := range x.Fields() {
			n += fieldNodes(f.Type)
		}
		return n
	}
	return 1
}

func schemaSummary(s *arrow.Schema) string {
	out := ""
	for i, f := range s.Fields() {
		if i > 0 {
			out += ", "
		}
		out += f.Name + " " + f.Type.String()
	}
	return out
}

// flatbuffer reads tables and vectors with bounds checks.
type flatbuffer []byte

func (b flatbuffer) u32(pos int) (uint32, bool) {
	if pos < 0 || pos+4 > len(b) {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b[pos:]), true
}

func (b flatbuffer) u16(pos int) (uint16, bool) {
	if pos < 0 || pos+2 > len(b) {
		return 0, false
	}
	return binary.LittleEndian.Uint16(b[pos:]), true
}

func (b flatbuffer) root() (int, bool) {
	off, ok := b.u32(0)
	if !ok || int(off) >= len(b) {
		return 0, false
	}
	return int(off), true
}

// field returns the absolute position of a table's field, 0 when absent.
func (b flatbuffer) field(table, index int) (int, bool) {
	soff, ok := b.u32(table)
	if !ok {
		return 0, false
	}
	vtable := table - int(int32(soff))
	vsize, ok := b.u16(vtable)
	if !ok || vsize < 4 {
		return 0, false
	}
	slot := 4 + 2*index
	if slot+2 > int(vsize) {
		return 0, true
	}
	off, ok := b.u16(vtable + slot)
	if !ok {
		return 0, false
	}
	if off == 0 {
		return 0, true
	}
	return table + int(off), true
}

func (b flatbuffer) uint8Field(table, index int) (uint8, bool) {
	pos, ok := b.field(table, index)
	if !ok || pos >= len(b) {
		return 0, false
	}
	if pos == 0 {
		return 0, true
	}
	return b[pos], true
}

func (b flatbuffer) int64Field(table, index int) (int64, bool) {
	pos, ok := b.field(table, index)
	if !ok {
		return 0, false
	}
	if pos == 0 {
		return 0, true
	}
	if pos+8 > len(b) {
		return 0, false
	}
	return int64(binary.LittleEndian.Uint64(b[pos:])), true
}

func (b flatbuffer) indirect(pos int) (int, bool) {
	off, ok := b.u32(pos)
	if !ok {
		return 0, false
	}
	target := pos + int(off)
	if target < 0 || target >= len(b) {
		return 0, false
	}
	return target, true
}

func (b flatbuffer) tableField(table, index int) (int, bool) {
	pos, ok := b.field(table, index)
	if !ok || pos == 0 {
		return 0, false
	}
	return b.indirect(pos)
}

// vectorField returns the position of a vector's first element and its length; an absent
// vector is empty.
func (b flatbuffer) vectorField(table, index, elementSize int) (int, int, bool) {
	pos, ok := b.field(table, index)
	if !ok {
		return 0, 0, false
	}
	if pos == 0 {
		return 0, 0, true
	}
	vec, ok := b.indirect(pos)
	if !ok {
		return 0, 0, false
	}
	n, ok := b.u32(vec)
	if !ok || int64(n)*int64(elementSize) > int64(len(b)-vec-4) {
		return 0, 0, false
	}
	return vec + 4, int(n), true
}
