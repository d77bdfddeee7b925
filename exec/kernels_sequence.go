package exec

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// sequence(start, stop, step) (planner/analyzer/fn_sequence.go) with Spark's rules: the step
// must move from start towards stop (a zero step only when start = stop), stop is included when
// a step lands on it, and any null operand gives a null array. Dates and timestamps add
// i * step to start (not step to the previous element), so Jan 31 stepped by a month gives
// Feb 29, then Mar 31.

func init() {
	RegisterKernel("sequence", sequenceKernel)
}

// maxSequenceLength is Spark's ByteArrayMethods.MAX_ROUNDED_ARRAY_LENGTH.
const maxSequenceLength = 2147483632

func illegalSequenceBounds(start, stop, step any) error {
	return errkind.Invalid("requirement failed: Illegal sequence boundaries: %v to %v by %v; the step must go from start towards stop (0 only when they are equal)", start, stop, step)
}

func sequenceTooLong(length uint64) error {
	return errkind.Invalid("[COLLECTION_SIZE_LIMIT_EXCEEDED.PARAMETER] Can't create array with %d elements which exceeding the array size limit %d; use a larger step or smaller bounds", length, maxSequenceLength)
}

func sequenceKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	elem := call.Type.(*arrow.ListType).Elem()
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	offsets := make([]int32, 1, n+1)
	var out []int64
	switch elem.ID() {
	case arrow.DATE32, arrow.TIMESTAMP:
		out, err = temporalSequences(ec, arrays, elem, validity, &offsets)
	default:
		out, err = integerSequences(arrays, validity, &offsets)
	}
	if err != nil {
		validity.release()
		return nil, err
	}
	var valuesArray arrow.Array
	switch elem.ID() {
	case arrow.DATE32:
		buf, v := newFixedBuffer[int32](ec.Task.Allocator, len(out))
		for i, x := range out {
			v[i] = int32(x)
		}
		valuesArray = makeFixedArray(elem, len(out), buf, nil)
	default:
		buf, v := newFixedBuffer[int64](ec.Task.Allocator, len(out))
		copy(v, out)
		valuesArray = makeFixedArray(arrow.PrimitiveTypes.Int64, len(out), buf, nil)
		if elem.ID() == arrow.TIMESTAMP {
			data := array.NewData(elem, len(out), valuesArray.Data().Buffers(), nil, 0, 0)
			valuesArray.Release()
			valuesArray = array.MakeFromData(data)
			data.Release()
		} else if elem.ID() != arrow.INT64 {
			// Every value lies between the bounds, so narrowing cannot overflow.
			narrowed, err := compute.CastArray(ec.ComputeContext(), valuesArray, compute.UnsafeCastOptions(elem))
			valuesArray.Release()
			if err != nil {
				validity.release()
				return nil, err
			}
			valuesArray = narrowed
		}
	}
	defer valuesArray.Release()
	return datumOf(makeList(ec.Task.Allocator, call.Type, offsets, valuesArray, validity)), nil
}

func integerSequences(arrays []arrow.Array, validity *validityBuilder, offsets *[]int32) ([]int64, error) {
	startOf, ok1 := readInt64(arrays[0])
	stopOf, ok2 := readInt64(arrays[1])
	if !ok1 || !ok2 {
		return nil, errkind.Internal("sequence over %s", arrays[0].DataType())
	}
	stepOf := func(i int) int64 { return 0 }
	hasStep := len(arrays) > 2
	if hasStep {
		var ok bool
		if stepOf, ok = readInt64(arrays[2]); !ok {
			return nil, errkind.Internal("sequence step of %s", arrays[2].DataType())
		}
	}
	var out []int64
	for i := 0; i < arrays[0].Len(); i++ {
		if !validity.valid(i) {
			*offsets = append(*offsets, int32(len(out)))
			continue
		}
		start, stop := startOf(i), stopOf(i)
		step := int64(1)
		if start > stop {
			step = -1
		}
		if hasStep {
			step = stepOf(i)
		}
		if !(step > 0 && start <= stop || step < 0 && start >= stop || step == 0 && start == stop) {
			return nil, illegalSequenceBounds(start, stop, step)
		}
		count := uint64(1)
		if step != 0 {
			// The distance fits in a uint64 even from math.MinInt64 to math.MaxInt64.
			distance := uint64(stop - start)
			by := uint64(step)
			if step < 0 {
				distance, by = uint64(start-stop), uint64(-step)
			}
			count = distance/by + 1
		}
		if count > maxSequenceLength || len(out)+int(count) > maxSequenceLength {
			return nil, sequenceTooLong(count)
		}
		for k := uint64(0); k < count; k++ {
			out = append(out, start+int64(k)*step)
		}
		*offsets = append(*offsets, int32(len(out)))
	}
	return out, nil
}

// intervalParts reads a step interval as months, days and microseconds.
func intervalParts(a arrow.Array) (func(i int) (months, days int32, micros int64), error) {
	switch x := a.(type) {
	case *array.MonthInterval:
		return func(i int) (int32, int32, int64) { return int32(x.Value(i)), 0, 0 }, nil
	case *array.Duration:
		unit := x.DataType().(*arrow.DurationType).Unit
		return func(i int) (int32, int32, int64) { return 0, 0, toMicros(int64(x.Value(i)), unit) }, nil
	case *array.MonthDayNanoInterval:
		return func(i int) (int32, int32, int64) {
			v := x.Value(i)
			return v.Months, v.Days, v.Nanoseconds / 1000
		}, nil
	}
	return nil, errkind.Internal("sequence step of %s", a.DataType())
}

func temporalSequences(ec *EvalContext, arrays []arrow.Array, elem arrow.DataType, validity *validityBuilder, offsets *[]int32) ([]int64, error) {
	step, err := intervalParts(arrays[2])
	if err != nil {
		return nil, err
	}
	isDate := elem.ID() == arrow.DATE32
	loc := time.UTC
	var unit arrow.TimeUnit
	if !isDate {
		unit = elem.(*arrow.TimestampType).Unit
		loc = timestampLocation(ec, elem.(*arrow.TimestampType))
	}
	read := func(a arrow.Array, i int) int64 {
		if isDate {
			return int64(values[int32](a)[i])
		}
		return toMicros(values[int64](a)[i], unit)
	}
	var out []int64
	for i := 0; i < arrays[0].Len(); i++ {
		if !validity.valid(i) {
			*offsets = append(*offsets, int32(len(out)))
			continue
		}
		start, stop := read(arrays[0], i), read(arrays[1], i)
		months, days, micros := step(i)
		if isDate && micros%microsPerDay != 0 {
			return nil, errkind.Invalid("sequence step must be an interval day to second of day granularity if start and end values are dates (the step has %d microseconds past whole days); use timestamps for a finer step", micros%microsPerDay)
		}
		// Spark estimates the step's sign from a month of 28 days (its microsPerMonth).
		estimate := micros + int64(days)*microsPerDay + int64(months)*28*microsPerDay
		startMicros, stopMicros := start, stop
		if isDate {
			startMicros, stopMicros = start*microsPerDay, stop*microsPerDay
		}
		if !(estimate > 0 && startMicros <= stopMicros || estimate < 0 && startMicros >= stopMicros || estimate == 0 && startMicros == stopMicros) {
			return nil, illegalSequenceBounds(formatSequenceBound(start, isDate, loc), formatSequenceBound(stop, isDate, loc), formatInterval(months, days, micros))
		}
		at := func(k int64) int64 {
			if isDate {
				return addMonths(start, int(int64(months)*k)) + int64(days)*k + micros/microsPerDay*k
			}
			local := localMicros(start, loc)
			dayNumber := floorDiv(local, microsPerDay)
			shifted := addMonths(dayNumber, int(int64(months)*k)) + int64(days)*k
			return fromLocalMicros(shifted*microsPerDay+(local-dayNumber*microsPerDay), loc) + micros*k
		}
		for k := int64(0); ; k++ {
			t := at(k)
			if estimate > 0 && t > stop || estimate < 0 && t < stop || estimate == 0 && k > 0 {
				break
			}
			if len(out) >= maxSequenceLength {
				return nil, sequenceTooLong(uint64(len(out)) + 1)
			}
			out = append(out, t)
		}
		*offsets = append(*offsets, int32(len(out)))
	}
	if !isDate && unit != arrow.Microsecond {
		for i, v := range out {
			out[i] = fromMicros(v, unit)
		}
	}
	return out, nil
}

func formatSequenceBound(v int64, isDate bool, loc *time.Location) string {
	if isDate {
		return formatDate(int32(v))
	}
	return formatTimestamp(v, loc)
}

func formatInterval(months, days int32, micros int64) string {
	return fmt.Sprintf("%d months %d days %d microseconds", months, days, micros)
}
