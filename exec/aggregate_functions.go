package exec

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// accumulator keeps one aggregate function's state for every group of a hash aggregate. Every
// method works on a whole batch: groups[i] is the group of row i, and the loops inside are typed
// loops over Arrow buffers. Arrays passed in are owned by the caller; arrays returned are owned
// by the caller.
type accumulator interface {
	// resize makes room for groups [0, n).
	resize(n int)
	// update folds input rows (the call's evaluated arguments) into their groups.
	update(ec *EvalContext, groups []int32, args []arrow.Array) error
	// merge folds partial states (columns laid out as physical.AggregateStateFields) in.
	merge(ec *EvalContext, groups []int32, states []arrow.Array) error
	// state returns the partial state of every group.
	state(ec *EvalContext) ([]arrow.Array, error)
	// finish returns the final value of every group.
	finish(ec *EvalContext) (arrow.Array, error)
	// (state or finish is the last call but release: an accumulator may hand its buffers to the
	// arrays they return instead of copying them.)
	// size estimates the bytes held.
	size() int64
	// release frees held arrays.
	release()
}

func newAccumulator(call *logical.AggregateCall, ansi bool) (accumulator, error) {
	var argType arrow.DataType = arrow.Null
	if len(call.Args) > 0 {
		argType = call.Args[0].DataType()
	}
	var acc accumulator
	switch call.Function {
	case "count":
		acc = &countAccumulator{}
	case "sum":
		switch t := call.Type.(type) {
		case *arrow.Int64Type:
			acc = &sumIntAccumulator{ansi: ansi, display: call.String()}
		case *arrow.Float64Type:
			acc = &sumFloatAccumulator{}
		case *arrow.Decimal128Type:
			acc = &sumDecimalAccumulator{out: t, ansi: ansi, display: call.String()}
		}
	case "avg":
		if d, ok := argType.(*arrow.Decimal128Type); ok {
			acc = &avgDecimalAccumulator{in: d, out: call.Type.(*arrow.Decimal128Type), ansi: ansi, display: call.String()}
		} else {
			acc = &avgFloatAccumulator{}
		}
	case "min", "max":
		acc = newMinMaxAccumulator(call.Type, call.Function == "max")
	case "first", "last":
		acc = &firstLastAccumulator{last: call.Function == "last", ignoreNulls: call.IgnoreNulls, dtype: call.Type}
	case "collect_list", "collect_set":
		acc = &collectAccumulator{listType: call.Type}
		if call.Function == "collect_set" {
			acc = &distinctAccumulator{inner: acc}
		}
	case "stddev_samp", "stddev_pop", "var_samp", "var_pop":
		acc = &momentAccumulator{function: call.Function}
	case "approx_count_distinct":
		acc = newHyperLogLog(call.Parameter)
	}
	if acc == nil {
		acc = newMoreAccumulator(call)
	}
	if acc == nil {
		return nil, errkind.NotImplemented("aggregate %s over %s", call.String(), logical.SparkTypeName(argType))
	}
	if call.Distinct && call.Function != "collect_set" {
		acc = &distinctAccumulator{inner: acc}
	}
	if call.NullIfEmpty {
		acc = &nullIfEmptyAccumulator{inner: acc}
	}
	return acc, nil
}

// growTo extends s to n elements, filling new ones with fill. It runs after every batch for
// every accumulator, so it grows the backing array by doubling and fills in one loop (an append
// per element was 5% of Q18's CPU with 750K groups).
func growTo[T any](s []T, n int, fill T) []T {
	if n <= len(s) {
		return s
	}
	if n > cap(s) {
		grown := make([]T, len(s), max(n, 2*cap(s)))
		copy(grown, s)
		s = grown
	}
	old := len(s)
	s = s[:n]
	for i := old; i < n; i++ {
		s[i] = fill
	}
	return s
}

// validBools returns the validity of a array as a bitmap reader.
type rowValidity struct {
	bits   []byte
	offset int
}

func rowValidityOf(a arrow.Array) rowValidity {
	b, off := validityBits(a)
	return rowValidity{bits: b, offset: off}
}

func (v rowValidity) at(i int) bool { return v.bits == nil || bitutil.BitIsSet(v.bits, v.offset+i) }

// bitmapFromBools builds a validity buffer (Go memory) and its null count.
func bitmapFromBools(valid []bool) (*memory.Buffer, int) {
	nulls := 0
	buf := make([]byte, bitutil.BytesForBits(int64(len(valid))))
	for i, v := range valid {
		if v {
			bitutil.SetBit(buf, i)
		} else {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	return memory.NewBufferBytes(buf), nulls
}

// fixedArray wraps a Go slice of fixed-width values as an array of type t (no copy).
func sliceToArray[T arrow.FixedWidthType](t arrow.DataType, values []T, valid []bool) arrow.Array {
	var validBuf *memory.Buffer
	nulls := 0
	if valid != nil {
		validBuf, nulls = bitmapFromBools(valid)
	}
	data := array.NewData(t, len(values), []*memory.Buffer{validBuf, memory.NewBufferBytes(arrow.GetBytes(values))}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func boolsToArray(mem memory.Allocator, values []bool) arrow.Array {
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	b.AppendValues(values, nil)
	return b.NewArray()
}

// ---- count ----

type countAccumulator struct{ counts []int64 }

func (c *countAccumulator) resize(n int) { c.counts = growTo(c.counts, n, 0) }
func (c *countAccumulator) size() int64  { return int64(cap(c.counts)) * 8 }
func (c *countAccumulator) release()     {}
func (c *countAccumulator) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	nullable := false
	for _, a := range args {
		if a.NullN() > 0 {
			nullable = true
		}
	}
	if !nullable {
		if len(c.counts) == 1 {
			c.counts[0] += int64(len(groups))
			return nil
		}
		for _, g := range groups {
			c.counts[g]++
		}
		return nil
	}
	valid := make([]rowValidity, len(args))
	for j, a := range args {
		valid[j] = rowValidityOf(a)
	}
rows:
	for i, g := range groups {
		for _, v := range valid {
			if !v.at(i) {
				continue rows
			}
		}
		c.counts[g]++
	}
	return nil
}
func (c *countAccumulator) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	values := states[0].(*array.Int64).Int64Values()
	for i, g := range groups {
		c.counts[g] += values[i]
	}
	return nil
}
func (c *countAccumulator) state(ec *EvalContext) ([]arrow.Array, error) {
	a, err := c.finish(ec)
	return []arrow.Array{a}, err
}
func (c *countAccumulator) finish(*EvalContext) (arrow.Array, error) {
	return sliceToArray(arrow.PrimitiveTypes.Int64, append([]int64(nil), c.counts...), nil), nil
}

// ---- sum ----

type sumIntAccumulator struct {
	sums    []int64
	seen    []bool
	ansi    bool
	display string
}

func (s *sumIntAccumulator) resize(n int) {
	s.sums = growTo(s.sums, n, 0)
	s.seen = growTo(s.seen, n, false)
}
func (s *sumIntAccumulator) size() int64 { return int64(cap(s.sums)) * 9 }
func (s *sumIntAccumulator) release()    {}
func (s *sumIntAccumulator) add(groups []int32, a arrow.Array) error {
	values := a.(*array.Int64).Int64Values()
	v := rowValidityOf(a)
	for i, g := range groups {
		if !v.at(i) {
			continue
		}
		x, cur := values[i], s.sums[g]
		sum := cur + x
		if s.ansi && ((x > 0 && sum < cur) || (x < 0 && sum > cur)) {
			return errkind.Arithmetic("[ARITHMETIC_OVERFLOW] %s overflowed bigint. Cast the argument to decimal (e.g. cast(x as decimal(38,0))) or set spark.sql.ansi.enabled=false", s.display)
		}
		s.sums[g] = sum
		s.seen[g] = true
	}
	return nil
}
func (s *sumIntAccumulator) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	return s.add(groups, args[0])
}
func (s *sumIntAccumulator) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	return s.add(groups, states[0])
}
func (s *sumIntAccumulator) state(ec *EvalContext) ([]arrow.Array, error) {
	a, err := s.finish(ec)
	return []arrow.Array{a}, err
}
func (s *sumIntAccumulator) finish(*EvalContext) (arrow.Array, error) {
	return sliceToArray(arrow.PrimitiveTypes.Int64, append([]int64(nil), s.sums...), s.seen), nil
}

type sumFloatAccumulator struct {
	sums []float64
	seen []bool
	// single is group 0's running sum while it is the only group (laneSum).
	single laneSum
}

func (s *sumFloatAccumulator) resize(n int) {
	if n > 1 {
		s.fold()
	}
	s.sums = growTo(s.sums, n, 0)
	s.seen = growTo(s.seen, n, false)
}

// fold moves the single group's lanes into sums[0], before there are several groups and before
// the sums are read.
func (s *sumFloatAccumulator) fold() {
	if s.single.rows > 0 {
		s.sums[0] += s.single.total()
		s.single = laneSum{}
	}
}
func (s *sumFloatAccumulator) size() int64 { return int64(cap(s.sums)) * 9 }
func (s *sumFloatAccumulator) release()    {}
func (s *sumFloatAccumulator) add(groups []int32, a arrow.Array) {
	values := a.(*array.Float64).Float64Values()
	v := rowValidityOf(a)
	if len(s.sums) == 1 {
		if s.single.add(values[:len(groups)], v) > 0 {
			s.seen[0] = true
		}
		return
	}
	for i, g := range groups {
		if v.at(i) {
			s.sums[g] += values[i]
			s.seen[g] = true
		}
	}
}
func (s *sumFloatAccumulator) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	s.add(groups, args[0])
	return nil
}
func (s *sumFloatAccumulator) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	s.add(groups, states[0])
	return nil
}
func (s *sumFloatAccumulator) state(ec *EvalContext) ([]arrow.Array, error) {
	a, err := s.finish(ec)
	return []arrow.Array{a}, err
}
func (s *sumFloatAccumulator) finish(*EvalContext) (arrow.Array, error) {
	s.fold()
	return sliceToArray(arrow.PrimitiveTypes.Float64, append([]float64(nil), s.sums...), s.seen), nil
}

// sumDecimalAccumulator sums decimals of the input's scale; the result precision is checked at
// the end (Spark: decimal(p+10, s), overflow raises in ANSI mode and is null otherwise).
type sumDecimalAccumulator struct {
	sums    []decimal128.Num
	seen    []bool
	out     *arrow.Decimal128Type
	ansi    bool
	display string
}

func (s *sumDecimalAccumulator) resize(n int) {
	s.sums = growTo(s.sums, n, decimal128.Num{})
	s.seen = growTo(s.seen, n, false)
}
func (s *sumDecimalAccumulator) size() int64 { return int64(cap(s.sums)) * 17 }
func (s *sumDecimalAccumulator) release()    {}
func (s *sumDecimalAccumulator) add(groups []int32, a arrow.Array) {
	values := a.(*array.Decimal128).Values()
	v := rowValidityOf(a)
	if v.bits == nil {
		if len(s.sums) == 1 && len(groups) > 0 {
			s.sums[0] = sumDecimalValues(s.sums[0], values[:len(groups)])
			s.seen[0] = true
			return
		}
		// No nulls (TPC-H's sums): no validity test per row.
		sums, seen := s.sums, s.seen
		for i, g := range groups {
			sums[g] = sums[g].Add(values[i])
			seen[g] = true
		}
		return
	}
	for i, g := range groups {
		if v.at(i) {
			s.sums[g] = s.sums[g].Add(values[i])
			s.seen[g] = true
		}
	}
}

// sumDecimalValues and sumInt64Values add values to sum with the running total in two
// registers, for an aggregate with one group (a global sum such as TPC-H Q6's): adding through
// sums[0] in memory made every add wait for the one before it to be stored and loaded again.
func sumDecimalValues(sum decimal128.Num, values []decimal128.Num) decimal128.Num {
	hi, lo := sum.HighBits(), sum.LowBits()
	for _, v := range values {
		var carry uint64
		lo, carry = bits.Add64(lo, v.LowBits(), 0)
		hi += v.HighBits() + int64(carry)
	}
	return decimal128.New(hi, lo)
}

func sumInt64Values(sum decimal128.Num, values []int64) decimal128.Num {
	hi, lo := sum.HighBits(), sum.LowBits()
	for _, v := range values {
		var carry uint64
		lo, carry = bits.Add64(lo, uint64(v), 0)
		hi += v>>63 + int64(carry) // v's high word is its sign
	}
	return decimal128.New(hi, lo)
}

// addInt64 adds values (at the input's scale, no nulls) computed by a decimal program.
func (s *sumDecimalAccumulator) addInt64(groups []int32, values []int64) {
	sums, seen := s.sums, s.seen
	values = values[:len(groups)]
	if len(sums) == 1 && len(groups) > 0 {
		sums[0] = sumInt64Values(sums[0], values)
		seen[0] = true
		return
	}
	for i, g := range groups {
		sums[g] = sums[g].Add(decimal128.FromI64(values[i]))
		seen[g] = true
	}
}
func (s *sumDecimalAccumulator) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	s.add(groups, args[0])
	return nil
}
func (s *sumDecimalAccumulator) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	s.add(groups, states[0])
	return nil
}
func (s *sumDecimalAccumulator) state(ec *EvalContext) ([]arrow.Array, error) {
	a, err := s.finish(ec)
	return []arrow.Array{a}, err
}
func (s *sumDecimalAccumulator) finish(*EvalContext) (arrow.Array, error) {
	// The sums become the result without a copy (finish is the last call): copying TPC-H Q18's
	// 1.5M sums was 5% of the query.
	sums, valid := s.sums, s.seen
	s.sums, s.seen = nil, nil
	for g, v := range sums {
		if !valid[g] {
			continue
		}
		if _, small := int64Of(v); small && s.out.Precision >= 19 {
			continue // every int64 fits 19 digits
		}
		if !v.FitsInPrecision(s.out.Precision) {
			if s.ansi {
				return nil, errkind.Arithmetic("[ARITHMETIC_OVERFLOW] %s does not fit in %s. Set spark.sql.ansi.enabled=false to get null instead",
					s.display, logical.SparkTypeName(s.out))
			}
			valid[g] = false
		}
	}
	return sliceToArray(arrow.DataType(s.out), sums, valid), nil
}

// laneSum is the running sum of one group's float64 rows in four lanes by row position: the
// group's i-th row goes to lane i mod 4, and the total adds the lanes pairwise. One chain of
// dependent adds (one add's latency per row) became four independent chains, so a global sum
// runs at the adder's throughput instead; the answer still depends only on the rows and their
// order, never on how they were cut into batches (the lane is the row's position in the group,
// not in its batch). Four lanes also round less than one running sum over millions of rows.
type laneSum struct {
	lanes [4]float64
	rows  int // rows seen, nulls included: the next row's lane is rows mod 4
}

// add adds the valid values and returns how many there were.
func (s *laneSum) add(values []float64, v rowValidity) int {
	l0, l1, l2, l3 := s.lanes[0], s.lanes[1], s.lanes[2], s.lanes[3]
	start := s.rows
	s.rows += len(values)
	if v.bits == nil {
		i := 0
		// Rotate the lanes so the loop starts at lane 0 with values[0].
		for ; i < len(values) && (start+i)&3 != 0; i++ {
			switch (start + i) & 3 {
			case 1:
				l1 += values[i]
			case 2:
				l2 += values[i]
			case 3:
				l3 += values[i]
			}
		}
		for ; i+4 <= len(values); i += 4 {
			x := values[i : i+4 : i+4]
			l0 += x[0]
			l1 += x[1]
			l2 += x[2]
			l3 += x[3]
		}
		for ; i < len(values); i++ {
			switch (start + i) & 3 {
			case 0:
				l0 += values[i]
			case 1:
				l1 += values[i]
			case 2:
				l2 += values[i]
			}
		}
		s.lanes = [4]float64{l0, l1, l2, l3}
		return len(values)
	}
	n := 0
	for i, x := range values {
		if !bitutil.BitIsSet(v.bits, v.offset+i) {
			continue
		}
		n++
		switch (start + i) & 3 {
		case 0:
			l0 += x
		case 1:
			l1 += x
		case 2:
			l2 += x
		default:
			l3 += x
		}
	}
	s.lanes = [4]float64{l0, l1, l2, l3}
	return n
}

func (s *laneSum) total() float64 {
	return (s.lanes[0] + s.lanes[1]) + (s.lanes[2] + s.lanes[3])
}

// ---- avg ----

type avgFloatAccumulator struct {
	sums   []float64
	counts []int64
	single laneSum // group 0's running sum while it is the only group
}

func (s *avgFloatAccumulator) resize(n int) {
	if n > 1 {
		s.fold()
	}
	s.sums = growTo(s.sums, n, 0)
	s.counts = growTo(s.counts, n, 0)
}

func (s *avgFloatAccumulator) fold() {
	if s.single.rows > 0 {
		s.sums[0] += s.single.total()
		s.single = laneSum{}
	}
}
func (s *avgFloatAccumulator) size() int64 { return int64(cap(s.sums)) * 16 }
func (s *avgFloatAccumulator) release()    {}
func (s *avgFloatAccumulator) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	values := args[0].(*array.Float64).Float64Values()
	v := rowValidityOf(args[0])
	if len(s.sums) == 1 {
		s.counts[0] += int64(s.single.add(values[:len(groups)], v))
		return nil
	}
	for i, g := range groups {
		if v.at(i) {
			s.sums[g] += values[i]
			s.counts[g]++
		}
	}
	return nil
}
func (s *avgFloatAccumulator) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	s.fold()
	sums := states[0].(*array.Float64).Float64Values()
	counts := states[1].(*array.Int64).Int64Values()
	v := rowValidityOf(states[0])
	for i, g := range groups {
		if v.at(i) {
			s.sums[g] += sums[i]
			s.counts[g] += counts[i]
		}
	}
	return nil
}
func (s *avgFloatAccumulator) state(*EvalContext) ([]arrow.Array, error) {
	s.fold()
	seen := make([]bool, len(s.counts))
	for g, c := range s.counts {
		seen[g] = c > 0
	}
	return []arrow.Array{
		sliceToArray(arrow.PrimitiveTypes.Float64, append([]float64(nil), s.sums...), seen),
		sliceToArray(arrow.PrimitiveTypes.Int64, append([]int64(nil), s.counts...), nil),
	}, nil
}
func (s *avgFloatAccumulator) finish(*EvalContext) (arrow.Array, error) {
	s.fold()
	out := make([]float64, len(s.sums))
	valid := make([]bool, len(s.sums))
	for g, c := range s.counts {
		if c > 0 {
			out[g] = s.sums[g] / float64(c)
			valid[g] = true
		}
	}
	return sliceToArray(arrow.PrimitiveTypes.Float64, out, valid), nil
}

// avgDecimalAccumulator: Spark's avg(decimal(p,s)) sums as decimal(p+10,s) and divides with
// HALF_UP rounding into decimal(p+4,s+4).
type avgDecimalAccumulator struct {
	sums    []decimal128.Num
	counts  []int64
	in      *arrow.Decimal128Type
	out     *arrow.Decimal128Type
	ansi    bool
	display string
}

func (s *avgDecimalAccumulator) resize(n int) {
	s.sums = growTo(s.sums, n, decimal128.Num{})
	s.counts = growTo(s.counts, n, 0)
}
func (s *avgDecimalAccumulator) size() int64 { return int64(cap(s.sums)) * 24 }
func (s *avgDecimalAccumulator) release()    {}
func (s *avgDecimalAccumulator) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	values := args[0].(*array.Decimal128).Values()
	v := rowValidityOf(args[0])
	if v.bits == nil {
		sums, counts := s.sums, s.counts
		if len(sums) == 1 {
			sums[0] = sumDecimalValues(sums[0], values[:len(groups)])
			counts[0] += int64(len(groups))
			return nil
		}
		for i, g := range groups {
			sums[g] = sums[g].Add(values[i])
			counts[g]++
		}
		return nil
	}
	for i, g := range groups {
		if v.at(i) {
			s.sums[g] = s.sums[g].Add(values[i])
			s.counts[g]++
		}
	}
	return nil
}

// addInt64 adds values (at the input's scale, no nulls) computed by a decimal program.
func (s *avgDecimalAccumulator) addInt64(groups []int32, values []int64) {
	sums, counts := s.sums, s.counts
	values = values[:len(groups)]
	if len(sums) == 1 {
		sums[0] = sumInt64Values(sums[0], values)
		counts[0] += int64(len(values))
		return
	}
	for i, g := range groups {
		sums[g] = sums[g].Add(decimal128.FromI64(values[i]))
		counts[g]++
	}
}
func (s *avgDecimalAccumulator) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	sums := states[0].(*array.Decimal128).Values()
	counts := states[1].(*array.Int64).Int64Values()
	v := rowValidityOf(states[0])
	for i, g := range groups {
		if v.at(i) {
			s.sums[g] = s.sums[g].Add(sums[i])
			s.counts[g] += counts[i]
		}
	}
	return nil
}
func (s *avgDecimalAccumulator) state(*EvalContext) ([]arrow.Array, error) {
	seen := make([]bool, len(s.counts))
	for g, c := range s.counts {
		seen[g] = c > 0
	}
	sumType := &arrow.Decimal128Type{Precision: min(38, s.in.Precision+10), Scale: s.in.Scale}
	return []arrow.Array{
		sliceToArray(arrow.DataType(sumType), append([]decimal128.Num(nil), s.sums...), seen),
		sliceToArray(arrow.PrimitiveTypes.Int64, append([]int64(nil), s.counts...), nil),
	}, nil
}
func (s *avgDecimalAccumulator) finish(*EvalContext) (arrow.Array, error) {
	out := make([]decimal128.Num, len(s.sums))
	valid := make([]bool, len(s.sums))
	scaleUp := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s.out.Scale-s.in.Scale)), nil)
	for g, c := range s.counts {
		if c == 0 {
			continue
		}
		num := new(big.Int).Mul(s.sums[g].BigInt(), scaleUp)
		den := big.NewInt(c)
		q, r := new(big.Int).QuoRem(num, den, new(big.Int))
		// HALF_UP: round away from zero when the remainder is at least half the divisor.
		if new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2)).Cmp(den) >= 0 {
			if num.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
		v := decimal128.FromBigInt(q)
		if !v.FitsInPrecision(s.out.Precision) {
			if s.ansi {
				return nil, errkind.Arithmetic("[ARITHMETIC_OVERFLOW] %s does not fit in %s", s.display, logical.SparkTypeName(s.out))
			}
			continue
		}
		out[g] = v
		valid[g] = true
	}
	return sliceToArray(arrow.DataType(s.out), out, valid), nil
}

// ---- min / max ----

type fixedNumber interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

func newMinMaxAccumulator(t arrow.DataType, isMax bool) accumulator {
	switch t.ID() {
	case arrow.INT8:
		return &minMaxFixed[int8]{dtype: t, isMax: isMax}
	case arrow.INT16:
		return &minMaxFixed[int16]{dtype: t, isMax: isMax}
	case arrow.INT32, arrow.DATE32, arrow.TIME32, arrow.INTERVAL_MONTHS:
		return &minMaxFixed[int32]{dtype: t, isMax: isMax}
	case arrow.INT64, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME64, arrow.DURATION:
		return &minMaxFixed[int64]{dtype: t, isMax: isMax}
	case arrow.UINT8:
		return &minMaxFixed[uint8]{dtype: t, isMax: isMax}
	case arrow.UINT16:
		return &minMaxFixed[uint16]{dtype: t, isMax: isMax}
	case arrow.UINT32:
		return &minMaxFixed[uint32]{dtype: t, isMax: isMax}
	case arrow.UINT64:
		return &minMaxFixed[uint64]{dtype: t, isMax: isMax}
	case arrow.FLOAT32:
		return &minMaxFixed[float32]{dtype: t, isMax: isMax}
	case arrow.FLOAT64:
		return &minMaxFixed[float64]{dtype: t, isMax: isMax}
	case arrow.BOOL:
		return &minMaxBool{isMax: isMax}
	case arrow.DECIMAL128:
		return &minMaxDecimal{dtype: t, isMax: isMax}
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		return &minMaxBytes{dtype: t, isMax: isMax}
	case arrow.NULL:
		return &nullAccumulator{}
	}
	return nil
}

// minMaxFixed keeps the min or max of fixed-width numbers. Floats order NaN above every other
// value, as Spark does: max is NaN when a NaN is present, min ignores NaN unless all are NaN.
type minMaxFixed[T fixedNumber] struct {
	values []T
	seen   []bool
	dtype  arrow.DataType
	isMax  bool
}

func (m *minMaxFixed[T]) resize(n int) {
	m.values = growTo(m.values, n, 0)
	m.seen = growTo(m.seen, n, false)
}
func (m *minMaxFixed[T]) size() int64 { return int64(cap(m.values)) * 9 }
func (m *minMaxFixed[T]) release()    {}
func (m *minMaxFixed[T]) add(groups []int32, a arrow.Array) {
	data := a.Data()
	values := reinterpretFixed[T](data)
	v := rowValidityOf(a)
	for i, g := range groups {
		if !v.at(i) {
			continue
		}
		x := values[i]
		if !m.seen[g] {
			m.values[g] = x
			m.seen[g] = true
			continue
		}
		cur := m.values[g]
		var better bool
		if m.isMax {
			better = cur == cur && (x != x || x > cur)
		} else {
			better = x == x && (cur != cur || x < cur)
		}
		if better {
			m.values[g] = x
		}
	}
}

// reinterpretFixed views a fixed-width array's values as []T from its first row.
func reinterpretFixed[T fixedNumber](data arrow.ArrayData) []T {
	buf := data.Buffers()[1]
	if buf == nil || data.Len() == 0 {
		return nil
	}
	var zero T
	width := int(unsafe.Sizeof(zero))
	raw := buf.Bytes()[data.Offset()*width : (data.Offset()+data.Len())*width]
	return arrow.GetData[T](raw)
}

func (m *minMaxFixed[T]) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	m.add(groups, args[0])
	return nil
}
func (m *minMaxFixed[T]) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	m.add(groups, states[0])
	return nil
}
func (m *minMaxFixed[T]) state(ec *EvalContext) ([]arrow.Array, error) {
	a, err := m.finish(ec)
	return []arrow.Array{a}, err
}
func (m *minMaxFixed[T]) finish(*EvalContext) (arrow.Array, error) {
	return sliceToArray(m.dtype, append([]T(nil), m.values...), m.seen), nil
}

type minMaxBool struct {
	values []bool
	seen   []bool
	isMax  bool
}

func (m *minMaxBool) resize(n int) {
	m.values = growTo(m.values, n, false)
	m.seen = growTo(m.seen, n, false)
}
func (m *minMaxBool) size() int64 { return int64(cap(m.values)) * 2 }
func (m *minMaxBool) release()    {}
func (m *minMaxBool) add(groups []int32, a arrow.Array) {
	b := a.(*array.Boolean)
	v := rowValidityOf(a)
	for i, g := range groups {
		if !v.at(i) {
			continue
		}
		x := b.Value(i)
		switch {
		case !m.seen[g]:
			m.values[g], m.seen[g] = x, true
		case m.isMax:
			m.values[g] = m.values[g] || x
		default:
			m.values[g] = m.values[g] && x
		}
	}
}
func (m *minMaxBool) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	m.add(groups, args[0])
	return nil
}
func (m *minMaxBool) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	m.add(groups, states[0])
	return nil
}
func (m *minMaxBool) state(ec *EvalContext) ([]arrow.Array, error) {
	a, err := m.finish(ec)
	return []arrow.Array{a}, err
}
func (m *minMaxBool) finish(ec *EvalContext) (arrow.Array, error) {
	b := array.NewBooleanBuilder(ec.Task.Allocator)
	defer b.Release()
	b.AppendValues(m.values, m.seen)
	return b.NewArray(), nil
}

type minMaxDecimal struct {
	values []decimal128.Num
	seen   []bool
	dtype  arrow.DataType
	isMax  bool
}

func (m *minMaxDecimal) resize(n int) {
	m.values = growTo(m.values, n, decimal128.Num{})
	m.seen = growTo(m.seen, n, false)
}
func (m *minMaxDecimal) size() int64 { return int64(cap(m.values)) * 17 }
func (m *minMaxDecimal) release()    {}
func (m *minMaxDecimal) add(groups []int32, a arrow.Array) {
	values := a.(*array.Decimal128).Values()
	v := rowValidityOf(a)
	for i, g := range groups {
		if !v.at(i) {
			continue
		}
		x := values[i]
		if !m.seen[g] || (m.isMax && x.Greater(m.values[g])) || (!m.isMax && x.Less(m.values[g])) {
			m.values[g], m.seen[g] = x, true
		}
	}
}
func (m *minMaxDecimal) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	m.add(groups, args[0])
	return nil
}
func (m *minMaxDecimal) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	m.add(groups, states[0])
	return nil
}
func (m *minMaxDecimal) state(ec *EvalContext) ([]arrow.Array, error) {
	a, err := m.finish(ec)
	return []arrow.Array{a}, err
}
func (m *minMaxDecimal) finish(*EvalContext) (arrow.Array, error) {
	return sliceToArray(m.dtype, append([]decimal128.Num(nil), m.values...), m.seen), nil
}

// minMaxBytes orders strings and binaries bytewise (Spark compares UTF-8 bytes).
type minMaxBytes struct {
	values []string
	seen   []bool
	dtype  arrow.DataType
	isMax  bool
	bytes  int64
}

func (m *minMaxBytes) resize(n int) {
	m.values = growTo(m.values, n, "")
	m.seen = growTo(m.seen, n, false)
}
func (m *minMaxBytes) size() int64 { return int64(cap(m.values))*17 + m.bytes }
func (m *minMaxBytes) release()    {}
func (m *minMaxBytes) add(groups []int32, a arrow.Array) {
	var value func(i int) string
	switch arr := a.(type) {
	case *array.String:
		value = arr.Value
	case *array.LargeString:
		value = arr.Value
	case *array.Binary:
		value = arr.ValueString
	case *array.LargeBinary:
		value = arr.ValueString
	}
	v := rowValidityOf(a)
	for i, g := range groups {
		if !v.at(i) {
			continue
		}
		x := value(i)
		if !m.seen[g] || (m.isMax && x > m.values[g]) || (!m.isMax && x < m.values[g]) {
			m.bytes += int64(len(x) - len(m.values[g]))
			m.values[g] = string([]byte(x)) // copy: x aliases the batch's buffer
			m.seen[g] = true
		}
	}
}
func (m *minMaxBytes) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	m.add(groups, args[0])
	return nil
}
func (m *minMaxBytes) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	m.add(groups, states[0])
	return nil
}
func (m *minMaxBytes) state(ec *EvalContext) ([]arrow.Array, error) {
	a, err := m.finish(ec)
	return []arrow.Array{a}, err
}
func (m *minMaxBytes) finish(ec *EvalContext) (arrow.Array, error) {
	b := array.NewBuilder(ec.Task.Allocator, m.dtype)
	defer b.Release()
	switch bb := b.(type) {
	case *array.StringBuilder:
		bb.AppendValues(m.values, m.seen)
	case *array.LargeStringBuilder:
		bb.AppendValues(m.values, m.seen)
	case *array.BinaryBuilder:
		for g, s := range m.values {
			if m.seen[g] {
				bb.AppendString(s)
			} else {
				bb.AppendNull()
			}
		}
	}
	return b.NewArray(), nil
}

// nullAccumulator aggregates a NULL-typed column: every result is null.
type nullAccumulator struct{ n int }

func (m *nullAccumulator) resize(n int)                                      { m.n = max(m.n, n) }
func (m *nullAccumulator) size() int64                                       { return 0 }
func (m *nullAccumulator) release()                                          {}
func (m *nullAccumulator) update(*EvalContext, []int32, []arrow.Array) error { return nil }
func (m *nullAccumulator) merge(*EvalContext, []int32, []arrow.Array) error  { return nil }
func (m *nullAccumulator) finish(*EvalContext) (arrow.Array, error)          { return array.NewNull(m.n), nil }
func (m *nullAccumulator) state(ec *EvalContext) ([]arrow.Array, error) {
	a, _ := m.finish(ec)
	return []arrow.Array{a}, nil
}

// ---- first / last ----

// firstLastAccumulator works for every type: it takes the chosen rows of each batch into a
// chunk and remembers, per group, where its value is; finish gathers them with one take.
type firstLastAccumulator struct {
	last, ignoreNulls bool
	dtype             arrow.DataType
	chunks            []arrow.Array
	total             int64
	pos               []int64 // per group: index into the concatenated chunks, -1 unset
	pick              []int32 // per group, this batch: the chosen row, -1 none
	chunkBytes        int64
}

func (f *firstLastAccumulator) resize(n int) {
	f.pos = growTo(f.pos, n, -1)
	f.pick = growTo(f.pick, n, -1)
}
func (f *firstLastAccumulator) size() int64 { return int64(cap(f.pos))*12 + f.chunkBytes }
func (f *firstLastAccumulator) release() {
	for _, c := range f.chunks {
		c.Release()
	}
	f.chunks = nil
}

// choose records rows of values (eligible where ok) as their groups' values.
func (f *firstLastAccumulator) choose(ec *EvalContext, groups []int32, values arrow.Array, eligible func(i int) bool) error {
	var touched []int32
	for i, g := range groups {
		if !eligible(i) || (!f.last && f.pos[g] >= 0) {
			continue
		}
		if f.pick[g] < 0 {
			touched = append(touched, g)
		} else if !f.last {
			continue
		}
		f.pick[g] = int32(i)
	}
	if len(touched) == 0 {
		return nil
	}
	rows := make([]int32, len(touched))
	for k, g := range touched {
		rows[k] = f.pick[g]
		f.pick[g] = -1
		f.pos[g] = f.total + int64(k)
	}
	chunk, err := takeArrayByIndex(ec, values, rows)
	if err != nil {
		return err
	}
	f.chunks = append(f.chunks, chunk)
	f.total += int64(chunk.Len())
	f.chunkBytes += arrayBytes(chunk.Data())
	if f.last && f.total > 2*int64(len(f.pos))+4096 {
		return f.compact(ec)
	}
	return nil
}

// compact rewrites the chunks into one holding exactly one value per set group.
func (f *firstLastAccumulator) compact(ec *EvalContext) error {
	values, err := f.gather(ec, true)
	if err != nil {
		return err
	}
	f.release()
	f.chunks = []arrow.Array{values}
	f.total = int64(values.Len())
	f.chunkBytes = arrayBytes(values.Data())
	next := int64(0)
	for g, p := range f.pos {
		if p >= 0 {
			f.pos[g] = next
			next++
		}
	}
	return nil
}

// gather returns each group's value (null where unset); onlySet skips unset groups.
func (f *firstLastAccumulator) gather(ec *EvalContext, onlySet bool) (arrow.Array, error) {
	var all arrow.Array
	switch len(f.chunks) {
	case 0:
		all = array.MakeArrayOfNull(ec.Task.Allocator, f.dtype, 0)
	case 1:
		all = f.chunks[0]
		all.Retain()
	default:
		c, err := array.Concatenate(f.chunks, ec.Task.Allocator)
		if err != nil {
			return nil, err
		}
		all = c
	}
	defer all.Release()
	ib := array.NewInt64Builder(ec.Task.Allocator)
	defer ib.Release()
	for _, p := range f.pos {
		switch {
		case p >= 0:
			ib.Append(p)
		case !onlySet:
			ib.AppendNull()
		}
	}
	idx := ib.NewArray()
	defer idx.Release()
	return compute.TakeArrayOpts(ec.ComputeContext(), all, idx, compute.TakeOptions{BoundsCheck: false})
}

func (f *firstLastAccumulator) update(ec *EvalContext, groups []int32, args []arrow.Array) error {
	v := rowValidityOf(args[0])
	if f.ignoreNulls {
		return f.choose(ec, groups, args[0], v.at)
	}
	return f.choose(ec, groups, args[0], func(int) bool { return true })
}
func (f *firstLastAccumulator) merge(ec *EvalContext, groups []int32, states []arrow.Array) error {
	set := states[1].(*array.Boolean)
	return f.choose(ec, groups, states[0], func(i int) bool { return set.IsValid(i) && set.Value(i) })
}
func (f *firstLastAccumulator) state(ec *EvalContext) ([]arrow.Array, error) {
	values, err := f.gather(ec, false)
	if err != nil {
		return nil, err
	}
	set := make([]bool, len(f.pos))
	for g, p := range f.pos {
		set[g] = p >= 0
	}
	return []arrow.Array{values, boolsToArray(ec.Task.Allocator, set)}, nil
}
func (f *firstLastAccumulator) finish(ec *EvalContext) (arrow.Array, error) {
	return f.gather(ec, false)
}

// takeArrayByIndex gathers values at rows into a new array.
func takeArrayByIndex(ec *EvalContext, values arrow.Array, rows []int32) (arrow.Array, error) {
	idx := sliceToArray(arrow.PrimitiveTypes.Int32, rows, nil)
	defer idx.Release()
	return compute.TakeArrayOpts(ec.ComputeContext(), values, idx, compute.TakeOptions{BoundsCheck: false})
}

// ---- collect_list ----

// collectAccumulator keeps (group, value) pairs in chunks and builds each group's list at the
// end with one counting sort and one take. Nulls are skipped, as Spark's collect_list does.
type collectAccumulator struct {
	listType   arrow.DataType
	chunks     []arrow.Array
	groupsOf   [][]int32
	counts     []int64
	chunkBytes int64
}

func (c *collectAccumulator) resize(n int) { c.counts = growTo(c.counts, n, 0) }
func (c *collectAccumulator) size() int64  { return int64(cap(c.counts))*8 + c.chunkBytes }
func (c *collectAccumulator) release() {
	for _, ch := range c.chunks {
		ch.Release()
	}
	c.chunks, c.groupsOf = nil, nil
}
func (c *collectAccumulator) add(ec *EvalContext, groups []int32, values arrow.Array, rows []int32) error {
	if len(rows) == 0 {
		return nil
	}
	chunk, err := takeArrayByIndex(ec, values, rows)
	if err != nil {
		return err
	}
	c.chunks = append(c.chunks, chunk)
	c.groupsOf = append(c.groupsOf, groups)
	c.chunkBytes += arrayBytes(chunk.Data()) + int64(len(groups))*4
	for _, g := range groups {
		c.counts[g]++
	}
	return nil
}
func (c *collectAccumulator) update(ec *EvalContext, groups []int32, args []arrow.Array) error {
	v := rowValidityOf(args[0])
	var rows, gs []int32
	for i, g := range groups {
		if v.at(i) {
			rows = append(rows, int32(i))
			gs = append(gs, g)
		}
	}
	return c.add(ec, gs, args[0], rows)
}
func (c *collectAccumulator) merge(ec *EvalContext, groups []int32, states []arrow.Array) error {
	lists := states[0].(*array.List)
	var rows, gs []int32
	for i, g := range groups {
		if lists.IsNull(i) {
			continue
		}
		// ValueOffsets accounts for a sliced list; Offsets() would not.
		start, end := lists.ValueOffsets(i)
		for e := start; e < end; e++ {
			rows = append(rows, int32(e))
			gs = append(gs, g)
		}
	}
	return c.add(ec, gs, lists.ListValues(), rows)
}
func (c *collectAccumulator) state(ec *EvalContext) ([]arrow.Array, error) {
	a, err := c.finish(ec)
	return []arrow.Array{a}, err
}
func (c *collectAccumulator) finish(ec *EvalContext) (arrow.Array, error) {
	elem := c.listType.(*arrow.ListType).Elem()
	n := len(c.counts)
	offsets := make([]int32, n+1)
	for g, k := range c.counts {
		offsets[g+1] = offsets[g] + int32(k)
	}
	var values arrow.Array
	if len(c.chunks) == 0 {
		values = array.MakeArrayOfNull(ec.Task.Allocator, elem, 0)
	} else {
		all, err := array.Concatenate(c.chunks, ec.Task.Allocator)
		if err != nil {
			return nil, err
		}
		defer all.Release()
		// Counting sort of element positions by group, keeping arrival order within a group.
		next := append([]int32(nil), offsets[:n]...)
		order := make([]int32, offsets[n])
		base := int32(0)
		for ci, gs := range c.groupsOf {
			for k, g := range gs {
				order[next[g]] = base + int32(k)
				next[g]++
			}
			base += int32(c.chunks[ci].Len())
		}
		v, err := takeArrayByIndex(ec, all, order)
		if err != nil {
			return nil, err
		}
		values = v
	}
	defer values.Release()
	data := array.NewData(c.listType, n, []*memory.Buffer{nil, memory.NewBufferBytes(arrow.GetBytes(offsets))}, []arrow.ArrayData{values.Data()}, 0, 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

// ---- variance family ----

// momentAccumulator keeps count, mean and the sum of squared deviations (Welford), merged with
// Chan's formula. Spark returns null for samples of one row (and for no rows).
type momentAccumulator struct {
	function    string
	n, mean, m2 []float64
}

func (m *momentAccumulator) resize(n int) {
	m.n = growTo(m.n, n, 0)
	m.mean = growTo(m.mean, n, 0)
	m.m2 = growTo(m.m2, n, 0)
}
func (m *momentAccumulator) size() int64 { return int64(cap(m.n)) * 24 }
func (m *momentAccumulator) release()    {}
func (m *momentAccumulator) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	values := args[0].(*array.Float64).Float64Values()
	v := rowValidityOf(args[0])
	for i, g := range groups {
		if !v.at(i) {
			continue
		}
		x := values[i]
		m.n[g]++
		delta := x - m.mean[g]
		m.mean[g] += delta / m.n[g]
		m.m2[g] += delta * (x - m.mean[g])
	}
	return nil
}
func (m *momentAccumulator) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	ns := states[0].(*array.Float64).Float64Values()
	means := states[1].(*array.Float64).Float64Values()
	m2s := states[2].(*array.Float64).Float64Values()
	for i, g := range groups {
		nb := ns[i]
		if nb == 0 {
			continue
		}
		na := m.n[g]
		n := na + nb
		delta := means[i] - m.mean[g]
		m.mean[g] += delta * nb / n
		m.m2[g] += m2s[i] + delta*delta*na*nb/n
		m.n[g] = n
	}
	return nil
}
func (m *momentAccumulator) state(*EvalContext) ([]arrow.Array, error) {
	return []arrow.Array{
		sliceToArray(arrow.PrimitiveTypes.Float64, append([]float64(nil), m.n...), nil),
		sliceToArray(arrow.PrimitiveTypes.Float64, append([]float64(nil), m.mean...), nil),
		sliceToArray(arrow.PrimitiveTypes.Float64, append([]float64(nil), m.m2...), nil),
	}, nil
}
func (m *momentAccumulator) finish(*EvalContext) (arrow.Array, error) {
	out := make([]float64, len(m.n))
	valid := make([]bool, len(m.n))
	for g, n := range m.n {
		var v float64
		switch m.function {
		case "var_pop", "stddev_pop":
			if n == 0 {
				continue
			}
			v = m.m2[g] / n
		default:
			if n <= 1 {
				continue
			}
			v = m.m2[g] / (n - 1)
		}
		if m.function == "stddev_samp" || m.function == "stddev_pop" {
			v = math.Sqrt(v)
		}
		out[g], valid[g] = v, true
	}
	return sliceToArray(arrow.PrimitiveTypes.Float64, out, valid), nil
}

// ---- approx_count_distinct ----

// hyperLogLog estimates distinct counts per group with 2^p one-byte registers (HyperLogLog with
// HLL++'s precision choice from the relative SD and linear counting for small cardinalities; no
// empirical bias correction).
type hyperLogLog struct {
	p         uint
	m         int
	registers []uint8
	hashes    []uint64
}

func newHyperLogLog(rsd float64) *hyperLogLog {
	p := uint(math.Ceil(2 * math.Log2(1.106/rsd)))
	p = max(p, 4)
	return &hyperLogLog{p: p, m: 1 << p}
}

func (h *hyperLogLog) resize(n int) { h.registers = growTo(h.registers, n*h.m, 0) }
func (h *hyperLogLog) size() int64  { return int64(cap(h.registers)) }
func (h *hyperLogLog) release()     {}
func (h *hyperLogLog) update(ec *EvalContext, groups []int32, args []arrow.Array) error {
	a := args[0]
	if cap(h.hashes) < a.Len() {
		h.hashes = make([]uint64, a.Len())
	}
	hashes := h.hashes[:a.Len()]
	hashColumn(ec.Task.Allocator, a, hashes)
	v := rowValidityOf(a)
	for i, g := range groups {
		if !v.at(i) {
			continue
		}
		x := mix64(hashes[i] ^ 0x5bd1e995)
		idx := int(x >> (64 - h.p))
		rank := uint8(bits.LeadingZeros64(x<<h.p|1<<(h.p-1)) + 1)
		r := &h.registers[int(g)*h.m+idx]
		if rank > *r {
			*r = rank
		}
	}
	return nil
}
func (h *hyperLogLog) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	bin := states[0].(*array.Binary)
	for i, g := range groups {
		regs := bin.Value(i)
		if len(regs) != h.m {
			return errkind.Internal("approx_count_distinct state has %d registers, want %d", len(regs), h.m)
		}
		own := h.registers[int(g)*h.m : int(g+1)*h.m]
		for j, r := range regs {
			if r > own[j] {
				own[j] = r
			}
		}
	}
	return nil
}
func (h *hyperLogLog) state(ec *EvalContext) ([]arrow.Array, error) {
	b := array.NewBinaryBuilder(ec.Task.Allocator, arrow.BinaryTypes.Binary)
	defer b.Release()
	groups := len(h.registers) / h.m
	for g := 0; g < groups; g++ {
		b.Append(h.registers[g*h.m : (g+1)*h.m])
	}
	return []arrow.Array{b.NewArray()}, nil
}
func (h *hyperLogLog) finish(*EvalContext) (arrow.Array, error) {
	groups := len(h.registers) / h.m
	out := make([]int64, groups)
	m := float64(h.m)
	alpha := 0.7213 / (1 + 1.079/m)
	for g := 0; g < groups; g++ {
		sum, zeros := 0.0, 0
		for _, r := range h.registers[g*h.m : (g+1)*h.m] {
			sum += math.Ldexp(1, -int(r))
			if r == 0 {
				zeros++
			}
		}
		e := alpha * m * m / sum
		if e <= 2.5*m && zeros > 0 {
			e = m * math.Log(m/float64(zeros))
		}
		out[g] = int64(math.Round(e))
	}
	return sliceToArray(arrow.PrimitiveTypes.Int64, out, nil), nil
}

// ---- wrappers ----

// distinctAccumulator passes each (group, arguments) combination to its inner accumulator once
// (count(DISTINCT x), collect_set). It has no mergeable state: DISTINCT aggregates run in
// complete mode.
type distinctAccumulator struct {
	inner   accumulator
	seen    map[string]struct{}
	encoder KeyEncoder
	bytes   int64
	// integers keys one integer argument without encoding it (see distinctIntSet).
	integers distinctIntSet
	rows     []int32
}

func (d *distinctAccumulator) resize(n int) { d.inner.resize(n) }
func (d *distinctAccumulator) size() int64  { return d.inner.size() + d.bytes + d.integers.bytes() }
func (d *distinctAccumulator) release()     { d.inner.release() }
func (d *distinctAccumulator) update(ec *EvalContext, groups []int32, args []arrow.Array) error {
	rows, typed := d.rows[:0], false
	if len(args) == 1 && d.seen == nil {
		rows, typed = d.integers.newRows(groups, args[0], rows)
	}
	if !typed {
		rows = d.newEncodedRows(ec, groups, args, rows)
	}
	d.rows = rows
	if len(rows) == 0 {
		return nil
	}
	if len(rows) == len(groups) {
		return d.inner.update(ec, groups, args)
	}
	subGroups := make([]int32, len(rows))
	subArgs := make([]arrow.Array, len(args))
	for k, r := range rows {
		subGroups[k] = groups[r]
	}
	for j, a := range args {
		t, err := takeArrayByIndex(ec, a, rows)
		if err != nil {
			return err
		}
		defer t.Release()
		subArgs[j] = t
	}
	return d.inner.update(ec, subGroups, subArgs)
}

// newEncodedRows is the general path: each (group, arguments) row encoded to a map key.
func (d *distinctAccumulator) newEncodedRows(ec *EvalContext, groups []int32, args []arrow.Array, rows []int32) []int32 {
	if d.seen == nil {
		d.seen = map[string]struct{}{}
	}
	groupColumn := sliceToArray(arrow.PrimitiveTypes.Int32, groups, nil)
	defer groupColumn.Release()
	buf, offsets := d.encoder.Encode(ec.Task.Allocator, append([]arrow.Array{groupColumn}, args...), len(groups))
	for i := range groups {
		key := buf[offsets[i]:offsets[i+1]]
		if _, ok := d.seen[string(key)]; ok {
			continue
		}
		d.seen[string(key)] = struct{}{}
		d.bytes += int64(len(key)) + 48
		rows = append(rows, int32(i))
	}
	return rows
}

func (d *distinctAccumulator) merge(*EvalContext, []int32, []arrow.Array) error {
	return errkind.Internal("DISTINCT aggregates have no partial state to merge")
}
func (d *distinctAccumulator) state(*EvalContext) ([]arrow.Array, error) {
	return nil, errkind.Internal("DISTINCT aggregates have no partial state")
}
func (d *distinctAccumulator) finish(ec *EvalContext) (arrow.Array, error) { return d.inner.finish(ec) }

// nullIfEmptyAccumulator counts the rows each group received and makes the value null where
// none did (pivot cells). Its state is the inner state plus that count.
type nullIfEmptyAccumulator struct {
	inner accumulator
	rows  []int64
}

func (n *nullIfEmptyAccumulator) resize(k int) { n.inner.resize(k); n.rows = growTo(n.rows, k, 0) }
func (n *nullIfEmptyAccumulator) size() int64  { return n.inner.size() + int64(cap(n.rows))*8 }
func (n *nullIfEmptyAccumulator) release()     { n.inner.release() }
func (n *nullIfEmptyAccumulator) update(ec *EvalContext, groups []int32, args []arrow.Array) error {
	for _, g := range groups {
		n.rows[g]++
	}
	return n.inner.update(ec, groups, args)
}
func (n *nullIfEmptyAccumulator) merge(ec *EvalContext, groups []int32, states []arrow.Array) error {
	counts := states[len(states)-1].(*array.Int64).Int64Values()
	for i, g := range groups {
		n.rows[g] += counts[i]
	}
	return n.inner.merge(ec, groups, states[:len(states)-1])
}
func (n *nullIfEmptyAccumulator) state(ec *EvalContext) ([]arrow.Array, error) {
	s, err := n.inner.state(ec)
	if err != nil {
		return nil, err
	}
	return append(s, sliceToArray(arrow.PrimitiveTypes.Int64, append([]int64(nil), n.rows...), nil)), nil
}
func (n *nullIfEmptyAccumulator) finish(ec *EvalContext) (arrow.Array, error) {
	v, err := n.inner.finish(ec)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	empty := make([]bool, len(n.rows))
	for g, r := range n.rows {
		empty[g] = r == 0
	}
	mask := boolsToArray(ec.Task.Allocator, empty)
	defer mask.Release()
	return SetNulls(ec.Task.Allocator, v, mask.(*array.Boolean)), nil
}

func accumulatorError(call *logical.AggregateCall, err error) error {
	return fmt.Errorf("%s: %w", call.String(), err)
}
