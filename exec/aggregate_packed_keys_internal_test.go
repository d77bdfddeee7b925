package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestPackedKeyLayout checks which key sets pack and that packing tells apart null, the empty
// string and values, and refuses strings longer than their field.
func TestPackedKeyLayout(t *testing.T) {
	str, i16, i32, i64 := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64
	for _, c := range []struct {
		types []arrow.DataType
		packs bool
	}{
		{[]arrow.DataType{str, str}, true},
		{[]arrow.DataType{str, str, i16}, true},
		{[]arrow.DataType{i16, i32}, true},
		{[]arrow.DataType{str}, true},
		{[]arrow.DataType{i32}, false}, // one integer: intGroupTable
		{[]arrow.DataType{i64, str}, false},
		{[]arrow.DataType{i32, i16, str}, false}, // no byte left for the string
		{[]arrow.DataType{arrow.FixedWidthTypes.Boolean, str}, false},
	} {
		if got := newPackedKeyLayout(c.types) != nil; got != c.packs {
			t.Errorf("%v: packs=%v, want %v", c.types, got, c.packs)
		}
	}

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	sb.AppendValues([]string{"", "a", "", "ab", "b"}, []bool{true, true, false, true, true})
	strings := sb.NewArray()
	defer strings.Release()
	ib := array.NewInt16Builder(mem)
	defer ib.Release()
	ib.AppendValues([]int16{0, -1, 0, 0, 0}, nil)
	ints := ib.NewArray()
	defer ints.Release()
	layout := newPackedKeyLayout([]arrow.DataType{str, str, i16})
	out := make([]int64, 5)
	if layout.pack([]arrow.Array{strings, strings, ints}, out) {
		t.Fatalf("a two-byte string packed into one-byte fields: %x", out)
	}
	layout = newPackedKeyLayout([]arrow.DataType{str, i16})
	if !layout.pack([]arrow.Array{strings, ints}, out) {
		t.Fatal("strings of up to two bytes did not pack into a five-byte field")
	}
	seen := map[int64]int{}
	for i, v := range out {
		if j, ok := seen[v]; ok {
			t.Errorf("rows %d and %d pack equally (%x) but differ", j, i, v)
		}
		seen[v] = i
	}
}

// TestPackOneByteTexts checks the one-byte string loop against the general loop, over a sliced
// array (non-zero offsets), and that it declines columns with other lengths.
func TestPackOneByteTexts(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	sb.AppendValues([]string{"xy", "A", "N", "R", "\xff", "A", "F", "O"}, nil)
	whole := sb.NewArray()
	defer whole.Release()
	strings := array.NewSlice(whole, 1, 8).(*array.String)
	defer strings.Release()
	field := packedKeyField{shift: 16, width: 3, isText: true}
	fast := make([]int64, strings.Len())
	general := make([]int64, strings.Len())
	for i := range fast {
		fast[i], general[i] = 7, 7 // bits of another field, kept
	}
	if !packOneByteTexts(strings.ValueOffsets(), strings.ValueBytes(), field, fast) {
		t.Fatal("one-byte strings were declined")
	}
	// The general loop (with a validity reader that is not empty, so it cannot take the fast one).
	allValid := []byte{0xff}
	if !packTexts(strings.ValueOffsets(), strings.ValueBytes(), rowValidity{bits: allValid}, field, general) {
		t.Fatal("the general loop refused one-byte strings")
	}
	for i := range fast {
		if fast[i] != general[i] {
			t.Errorf("row %d: one-byte loop %x, general loop %x", i, fast[i], general[i])
		}
	}
	out := make([]int64, whole.Len())
	w := whole.(*array.String)
	if packOneByteTexts(w.ValueOffsets(), w.ValueBytes(), field, out) {
		t.Error("a column with a two-byte string took the one-byte loop")
	}
	for _, v := range out {
		if v != 0 {
			t.Fatalf("a declined column changed the output: %x", out)
		}
	}
}
