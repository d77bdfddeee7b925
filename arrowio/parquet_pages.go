package arrowio

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// pageDecoder decodes the pages of one flat fixed-width column chunk (INT32, INT64, FLOAT,
// DOUBLE; dictionary or plain encoded values; data pages v1 and v2) straight into row aligned
// slices. parquet-go's typed decoders decode a dictionary page lazily, growing a Go slice by
// appends as larger indices show up, per row group: on TPC-H lineitem (a dictionary of ~400,000
// prices per row group) that growing was 15% of Q6's CPU time, plus the garbage it left.
// Here the dictionary is decoded once per chunk into a reused slice and indices are unpacked
// and looked up in one loop.
type pageDecoder struct {
	pages    file.PageReader
	width    int // bytes per value: 4 or 8
	nullable bool

	dictionary     []byte // the chunk's dictionary values
	dictionarySize int
	// A string column's dictionary (width 0): value k is
	// dictionaryBytes[dictionaryOffsets[k]:dictionaryOffsets[k+1]].
	dictionaryOffsets []int32
	dictionaryBytes   []byte

	// The current data page.
	left              int // levels left in the page
	dictionaryEncoded bool
	plain             []byte // the page's remaining plain values
	indices           hybridDecoder
	definitions       hybridDecoder
	scratch           []uint32
	skippedValid      []bool
}

// pageDecodable reports whether every encoding of a column chunk is one pageDecoder reads.
func pageDecodable(chunk *metadata.ColumnChunkMetaData) bool {
	for _, e := range chunk.Encodings() {
		switch e {
		// BIT_PACKED (deprecated) only ever encodes levels; parquet-go reads those chunks.
		case parquet.Encodings.Plain, parquet.Encodings.PlainDict, parquet.Encodings.RLEDict, parquet.Encodings.RLE:
		default:
			return false
		}
	}
	return true
}

func (d *pageDecoder) reset(pages file.PageReader, width int, nullable bool) {
	d.pages, d.width, d.nullable = pages, width, nullable
	d.dictionarySize, d.left = 0, 0
	// A chunk without a dictionary page validates no index, but views of the dictionary need
	// one value of room.
	d.dictionary = grow(d.dictionary, 8)
}

func (d *pageDecoder) close() {
	if d.pages != nil {
		d.pages.Close()
		d.pages = nil
	}
}

// nextPage moves to the next data page, reading a dictionary page on the way.
func (d *pageDecoder) nextPage() error {
	for d.pages.Next() {
		switch page := d.pages.Page().(type) {
		case *file.DictionaryPage:
			if err := d.readDictionaryPage(page); err != nil {
				return err
			}
		case *file.DataPageV1, *file.DataPageV2:
			return d.startDataPage(page.(file.DataPage))
		}
	}
	if err := d.pages.Err(); err != nil {
		return err
	}
	return fmt.Errorf("the column chunk ends early")
}

// readDictionaryPage keeps the chunk's dictionary.
func (d *pageDecoder) readDictionaryPage(page *file.DictionaryPage) error {
	encoding := parquet.Encoding(page.Encoding())
	if encoding != parquet.Encodings.Plain && encoding != parquet.Encodings.PlainDict {
		return fmt.Errorf("dictionary page encoded as %s", encoding)
	}
	size := int(page.NumValues())
	data := page.Data()
	if d.width == 0 {
		return d.readByteArrayDictionary(data, size)
	}
	if size < 0 || len(data) < size*d.width {
		return fmt.Errorf("dictionary page of %d values holds %d bytes", size, len(data))
	}
	// Eight bytes of slack: the gather loads whole words.
	d.dictionary = grow(d.dictionary, size*d.width+8)
	copy(d.dictionary, data[:size*d.width])
	d.dictionarySize = size
	return nil
}

// startDataPage makes page the current data page.
func (d *pageDecoder) startDataPage(page file.DataPage) error {
	switch page := page.(type) {
	case *file.DataPageV1:
		data := page.Data()
		d.left = int(page.NumValues())
		if d.nullable {
			if page.DefinitionLevelEncoding() != parquet.Encodings.RLE {
				return fmt.Errorf("definition levels encoded as %s", page.DefinitionLevelEncoding())
			}
			if len(data) < 4 {
				return fmt.Errorf("data page too short for its definition levels")
			}
			size := int(binary.LittleEndian.Uint32(data))
			if size < 0 || 4+size > len(data) {
				return fmt.Errorf("definition levels of %d bytes in a page of %d", size, len(data))
			}
			d.definitions.init(data[4:4+size], 1)
			data = data[4+size:]
		}
		return d.startValues(parquet.Encoding(page.Encoding()), data)
	case *file.DataPageV2:
		data := page.Data()
		d.left = int(page.NumValues())
		repetition, definition := int(page.RepetitionLevelByteLen()), int(page.DefinitionLevelByteLen())
		if repetition < 0 || definition < 0 || repetition+definition > len(data) {
			return fmt.Errorf("level lengths %d and %d in a page of %d bytes", repetition, definition, len(data))
		}
		if d.nullable {
			d.definitions.init(data[repetition:repetition+definition], 1)
		}
		return d.startValues(parquet.Encoding(page.Encoding()), data[repetition+definition:])
	}
	return fmt.Errorf("unexpected data page %T", page)
}

// seek moves the decoder to row of the chunk (a split that starts inside a row group): the
// dictionary page is read where the footer points, the offset index finds the data page holding
// row, and the rows before it in that page are passed over.
func (d *pageDecoder) seek(row int64) error {
	dictionary, err := d.pages.GetDictionaryPage()
	if err != nil {
		return err
	}
	if dictionary != nil {
		if err := d.readDictionaryPage(dictionary); err != nil {
			return err
		}
	}
	if err := d.pages.SeekToPageWithRow(row); err != nil {
		return err
	}
	page, ok := d.pages.Page().(file.DataPage)
	if !ok {
		return fmt.Errorf("no data page holds row %d", row)
	}
	if err := d.startDataPage(page); err != nil {
		return err
	}
	return d.skipRows(int(row - page.FirstRowIndex()))
}

// skipRows passes over the next k rows of the current page.
func (d *pageDecoder) skipRows(k int) error {
	if k < 0 || k > d.left {
		return fmt.Errorf("cannot pass over %d rows of a page holding %d", k, d.left)
	}
	present := k
	if d.nullable {
		d.skippedValid = grow(d.skippedValid, k)
		if err := d.definitions.readBools(d.skippedValid); err != nil {
			return err
		}
		present = 0
		for _, v := range d.skippedValid {
			present += int(asByte(v))
		}
	}
	switch {
	case d.dictionaryEncoded:
		d.scratch = grow(d.scratch, present)
		if err := d.indices.readUint32(d.scratch); err != nil {
			return err
		}
	case d.width > 0 && len(d.plain) >= present*d.width:
		d.plain = d.plain[present*d.width:]
	default:
		return fmt.Errorf("plain page holds fewer values than its header says")
	}
	d.left -= k
	return nil
}

func (d *pageDecoder) startValues(encoding parquet.Encoding, data []byte) error {
	switch encoding {
	case parquet.Encodings.Plain:
		if d.width == 0 {
			return fmt.Errorf("a plain page where the footer lists only dictionary pages")
		}
		d.dictionaryEncoded = false
		d.plain = data
	case parquet.Encodings.PlainDict, parquet.Encodings.RLEDict:
		if len(data) < 1 {
			return fmt.Errorf("dictionary encoded page without its bit width")
		}
		width := int(data[0])
		if width > 32 {
			return fmt.Errorf("dictionary index bit width %d", width)
		}
		d.dictionaryEncoded = true
		d.indices.init(data[1:], width)
	default:
		return fmt.Errorf("values encoded as %s", encoding)
	}
	return nil
}

// read decodes n rows into out (n*width bytes, row aligned; null rows are zero) and, for a
// nullable column, their validity into valid. It returns how many rows are null.
func (d *pageDecoder) read(out []byte, valid []bool, n int) (int, error) {
	nulls := 0
	for row := 0; row < n; {
		if d.left == 0 {
			if err := d.nextPage(); err != nil {
				return 0, err
			}
			continue
		}
		k := min(d.left, n-row)
		present := k
		if d.nullable {
			levels := valid[row : row+k]
			if err := d.definitions.readBools(levels); err != nil {
				return 0, err
			}
			present = 0
			for _, v := range levels {
				present += int(asByte(v))
			}
		}
		dense := out[row*d.width : (row+present)*d.width]
		if err := d.readValues(dense, present); err != nil {
			return 0, err
		}
		if present < k {
			spreadBytes(out[row*d.width:(row+k)*d.width], valid[row:row+k], present, d.width)
			nulls += k - present
		}
		d.left -= k
		row += k
	}
	return nulls, nil
}

// readValues decodes the next m values of the page densely into out.
func (d *pageDecoder) readValues(out []byte, m int) error {
	if m == 0 {
		return nil
	}
	if !d.dictionaryEncoded {
		size := m * d.width
		if len(d.plain) < size {
			return fmt.Errorf("plain page holds fewer values than its header says")
		}
		copy(out, d.plain[:size])
		d.plain = d.plain[size:]
		return nil
	}
	d.scratch = grow(d.scratch, m)
	indices := d.scratch[:m]
	if err := d.indices.readUint32(indices); err != nil {
		return err
	}
	size := uint32(d.dictionarySize)
	switch d.width {
	case 4:
		dictionary := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(d.dictionary))), d.dictionarySize)
		values := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(out))), m)
		for i, k := range indices {
			if k >= size {
				return fmt.Errorf("dictionary index %d out of range [0, %d)", k, size)
			}
			values[i] = dictionary[k]
		}
	case 8:
		dictionary := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(d.dictionary))), d.dictionarySize)
		values := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(out))), m)
		for i, k := range indices {
			if k >= size {
				return fmt.Errorf("dictionary index %d out of range [0, %d)", k, size)
			}
			values[i] = dictionary[k]
		}
	}
	return nil
}

// spreadBytes moves the present dense values at the front of out to the rows valid marks
// (from the back, in place) and zeroes null rows.
func spreadBytes(out []byte, valid []bool, present, width int) {
	next := present - 1
	for i := len(valid) - 1; i >= 0; i-- {
		row := out[i*width : i*width+width]
		if valid[i] {
			copy(row, out[next*width:next*width+width])
			next--
		} else {
			clear(row)
		}
	}
}

// hybridDecoder reads Parquet's RLE / bit-packed hybrid encoding (dictionary indices and
// definition levels).
type hybridDecoder struct {
	data     []byte
	bitWidth int
	mask     uint64
	// The current run: repeated holds a RLE run's count, packed a bit-packed run's values left
	// at bit position bit of packedData.
	repeated   int
	value      uint32
	packed     int
	packedData []byte
	bit        int
}

func (h *hybridDecoder) init(data []byte, bitWidth int) {
	h.data, h.bitWidth = data, bitWidth
	h.mask = 1<<uint(bitWidth) - 1
	h.repeated, h.packed = 0, 0
}

// nextRun reads a run header.
func (h *hybridDecoder) nextRun() error {
	header, size := binary.Uvarint(h.data)
	if size <= 0 {
		return fmt.Errorf("corrupt run header in RLE / bit-packed data")
	}
	h.data = h.data[size:]
	if header&1 == 0 {
		count := int(header >> 1)
		bytes := (h.bitWidth + 7) / 8
		if len(h.data) < bytes || count <= 0 {
			return fmt.Errorf("corrupt RLE run")
		}
		var v uint32
		for i := range bytes {
			v |= uint32(h.data[i]) << (8 * i)
		}
		h.data = h.data[bytes:]
		h.repeated, h.value = count, v
		return nil
	}
	groups := int(header >> 1)
	bytes := groups * h.bitWidth
	if groups <= 0 {
		return fmt.Errorf("corrupt bit-packed run")
	}
	// The last run may be cut short of its groups at the page's end.
	if bytes > len(h.data) {
		bytes = len(h.data)
	}
	h.packedData, h.bit = h.data[:bytes], 0
	h.packed = min(groups*8, bytes*8/max(h.bitWidth, 1))
	if h.bitWidth == 0 {
		h.packed = groups * 8
	}
	h.data = h.data[bytes:]
	return nil
}

// readUint32 fills out with the next len(out) values.
func (h *hybridDecoder) readUint32(out []uint32) error {
	for i := 0; i < len(out); {
		if h.repeated > 0 {
			k := min(h.repeated, len(out)-i)
			v := h.value
			for j := range out[i : i+k] {
				out[i+j] = v
			}
			h.repeated -= k
			i += k
			continue
		}
		if h.packed > 0 {
			k := min(h.packed, len(out)-i)
			h.unpack(out[i : i+k])
			h.packed -= k
			i += k
			continue
		}
		if err := h.nextRun(); err != nil {
			return err
		}
	}
	return nil
}

// unpack reads len(out) bit-packed values of the current run.
func (h *hybridDecoder) unpack(out []uint32) {
	data, width, mask, bit := h.packedData, h.bitWidth, h.mask, h.bit
	if width == 0 {
		clear(out)
		return
	}
	i := 0
	// Whole little-endian words while eight bytes remain past the value's first byte: the
	// values up to fast qualify, checked once, so the loop loads without bounds checks.
	// Value i qualifies while bit+i*width <= (len(data)-8)*8.
	if limit := (len(data) - 8) * 8; limit >= bit {
		fast := (limit-bit)/width + 1
		fast = min(fast, len(out))
		base := unsafe.Pointer(unsafe.SliceData(data))
		for ; i < fast; i++ {
			word := *(*uint64)(unsafe.Add(base, bit>>3))
			out[i] = uint32(word >> uint(bit&7) & mask)
			bit += width
		}
	}
	for ; i < len(out) && bit>>3+8 <= len(data); i++ {
		word := binary.LittleEndian.Uint64(data[bit>>3:])
		out[i] = uint32(word >> uint(bit&7) & mask)
		bit += width
	}
	for ; i < len(out); i++ {
		var word uint64
		for j, b := range data[bit>>3:] {
			word |= uint64(b) << (8 * j)
		}
		out[i] = uint32(word >> uint(bit&7) & mask)
		bit += width
	}
	h.bit = bit
}

// readBools reads definition levels of a flat column (bit width 1) as validity.
func (h *hybridDecoder) readBools(out []bool) error {
	for i := 0; i < len(out); {
		if h.repeated > 0 {
			k := min(h.repeated, len(out)-i)
			v := h.value != 0
			for j := range out[i : i+k] {
				out[i+j] = v
			}
			h.repeated -= k
			i += k
			continue
		}
		if h.packed > 0 {
			k := min(h.packed, len(out)-i)
			for j := range k {
				out[i+j] = h.packedData[h.bit>>3]>>(h.bit&7)&1 != 0
				h.bit++
			}
			h.packed -= k
			i += k
			continue
		}
		if err := h.nextRun(); err != nil {
			return err
		}
	}
	return nil
}

// readByteArrayDictionary parses a PLAIN dictionary page of byte arrays (each a little-endian
// 4-byte length and the bytes).
func (d *pageDecoder) readByteArrayDictionary(data []byte, size int) error {
	if size < 0 {
		return fmt.Errorf("dictionary page of %d values", size)
	}
	d.dictionaryOffsets = grow(d.dictionaryOffsets, size+1)
	d.dictionaryOffsets[0] = 0
	d.dictionaryBytes = d.dictionaryBytes[:0]
	for k := range size {
		if len(data) < 4 {
			return fmt.Errorf("dictionary page ends inside value %d of %d", k, size)
		}
		length := int(binary.LittleEndian.Uint32(data))
		if length < 0 || 4+length > len(data) {
			return fmt.Errorf("dictionary value of %d bytes in a page with %d left", length, len(data)-4)
		}
		d.dictionaryBytes = append(d.dictionaryBytes, data[4:4+length]...)
		d.dictionaryOffsets[k+1] = int32(len(d.dictionaryBytes))
		data = data[4+length:]
	}
	d.dictionarySize = size
	return nil
}

// readIndices decodes n rows of a dictionary-encoded column as dictionary indices (row aligned;
// null rows are zero) and, for a nullable column, their validity. It returns how many rows are
// null.
func (d *pageDecoder) readIndices(out []int32, valid []bool, n int) (int, error) {
	nulls := 0
	for row := 0; row < n; {
		if d.left == 0 {
			if err := d.nextPage(); err != nil {
				return 0, err
			}
			continue
		}
		k := min(d.left, n-row)
		present := k
		if d.nullable {
			levels := valid[row : row+k]
			if err := d.definitions.readBools(levels); err != nil {
				return 0, err
			}
			present = 0
			for _, v := range levels {
				present += int(asByte(v))
			}
		}
		if !d.dictionaryEncoded {
			return 0, fmt.Errorf("a plain page where the footer lists only dictionary pages")
		}
		dense := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(out[row:]))), present)
		if err := d.indices.readUint32(dense); err != nil {
			return 0, err
		}
		size := uint32(d.dictionarySize)
		for _, index := range dense {
			if index >= size {
				return 0, fmt.Errorf("dictionary index %d out of range [0, %d)", index, size)
			}
		}
		if present < k {
			spreadValid(out[row:row+k], valid[row:row+k], present)
			nulls += k - present
		}
		d.left -= k
		row += k
	}
	return nulls, nil
}

// spreadValid moves the present dense indices at the front of out to the rows valid marks.
func spreadValid(out []int32, valid []bool, present int) {
	next := present - 1
	for i := len(valid) - 1; i >= 0; i-- {
		if valid[i] {
			out[i] = out[next]
			next--
		} else {
			out[i] = 0
		}
	}
}

// readSelectedIndices is readIndices for a required column that decodes only the rows in
// selection (sorted; every row when all); the other rows of out are left as they were.
func (d *pageDecoder) readSelectedIndices(out []int32, n int, selection []int32, all bool) error {
	if all {
		_, err := d.readIndices(out, nil, n)
		return err
	}
	next := 0 // the first selected row not read yet
	size := uint32(d.dictionarySize)
	for row := 0; row < n; {
		if d.left == 0 {
			if err := d.nextPage(); err != nil {
				return err
			}
			size = uint32(d.dictionarySize)
			continue
		}
		if !d.dictionaryEncoded {
			return fmt.Errorf("a plain page where the footer lists only dictionary pages")
		}
		k := min(d.left, n-row)
		end := next
		for end < len(selection) && int(selection[end]) < row+k {
			end++
		}
		rows := selection[next:end]
		if len(rows)*4 >= k {
			// Dense selections: unpacking every value in bulk beats extracting each one.
			dense := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(out[row:]))), k)
			if err := d.indices.readUint32(dense); err != nil {
				return err
			}
		} else if err := d.indices.readSelected(out, row, k, rows); err != nil {
			return err
		}
		for _, r := range rows {
			if uint32(out[r]) >= size {
				return fmt.Errorf("dictionary index %d out of range [0, %d)", out[r], size)
			}
		}
		next = end
		d.left -= k
		row += k
	}
	return nil
}

// readSelected passes over the next count values, which belong to rows base to base+count-1,
// writing only those of rows (sorted, within that range) to out[row].
func (h *hybridDecoder) readSelected(out []int32, base, count int, rows []int32) error {
	position, end, next := base, base+count, 0
	for position < end {
		if h.repeated > 0 {
			k := min(h.repeated, end-position)
			for next < len(rows) && int(rows[next]) < position+k {
				out[rows[next]] = int32(h.value)
				next++
			}
			h.repeated -= k
			position += k
			continue
		}
		if h.packed > 0 {
			k := min(h.packed, end-position)
			for next < len(rows) && int(rows[next]) < position+k {
				out[rows[next]] = int32(h.extract(h.bit + (int(rows[next])-position)*h.bitWidth))
				next++
			}
			h.bit += k * h.bitWidth
			h.packed -= k
			position += k
			continue
		}
		if err := h.nextRun(); err != nil {
			return err
		}
	}
	return nil
}

// extract reads the bit-packed value at bit of the current run.
func (h *hybridDecoder) extract(bit int) uint32 {
	if h.bitWidth == 0 {
		return 0
	}
	data := h.packedData
	var word uint64
	if bit>>3+8 <= len(data) {
		word = binary.LittleEndian.Uint64(data[bit>>3:])
	} else {
		for j, b := range data[bit>>3:] {
			word |= uint64(b) << (8 * j)
		}
	}
	return uint32(word >> uint(bit&7) & h.mask)
}
