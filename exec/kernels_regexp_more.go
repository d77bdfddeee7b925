package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// regexp_count, regexp_substr, regexp_instr and regexp_extract_all (planner/analyzer
// fn_string_more.go), with the Java-syntax patterns regexp_extract compiles.

func init() {
	RegisterKernel("regexp_count", regexpCountKernel)
	RegisterKernel("regexp_substr", regexpSubstrKernel)
	RegisterKernel("regexp_instr", regexpInstrKernel)
	RegisterKernel("regexp_extract_all", regexpExtractAllKernel)
}

func regexpCountKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	s, p := stringsOf(arrays[0]), stringsOf(arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	cache := &patternCache{compile: compileJavaRegex}
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		re, err := cache.get(string(p.at(i)))
		if err != nil {
			validity.release()
			buf.Release()
			return nil, err
		}
		out[i] = int32(len(re.FindAllIndex(s.at(i), -1)))
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int32, n, buf, validity)), nil
}

// regexpSubstrKernel: the first match, null when there is none.
func regexpSubstrKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	s, p := stringsOf(arrays[0]), stringsOf(arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, len(s.data))
	cache := &patternCache{compile: compileJavaRegex}
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			re, err := cache.get(string(p.at(i)))
			if err != nil {
				validity.release()
				return nil, err
			}
			if m := re.FindIndex(s.at(i)); m != nil {
				out.data = append(out.data, s.at(i)[m[0]:m[1]]...)
			} else {
				validity.setNull(i)
			}
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
}

// regexpInstrKernel: the 1-based character position of the first match, 0 when none.
func regexpInstrKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args[:2], length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	s, p := stringsOf(arrays[0]), stringsOf(arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	cache := &patternCache{compile: compileJavaRegex}
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		re, err := cache.get(string(p.at(i)))
		if err != nil {
			validity.release()
			buf.Release()
			return nil, err
		}
		if m := re.FindIndex(s.at(i)); m != nil {
			out[i] = int32(len([]rune(string(s.at(i)[:m[0]])))) + 1
		}
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int32, n, buf, validity)), nil
}

// regexpExtractAllKernel: group idx of every match.
func regexpExtractAllKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	s, p := stringsOf(arrays[0]), stringsOf(arrays[1])
	idx := values[int32](arrays[2])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	elements := newStringOutput(n, len(s.data))
	offsets := make([]int32, 1, n+1)
	cache := &patternCache{compile: compileJavaRegex}
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			re, err := cache.get(string(p.at(i)))
			if err != nil {
				validity.release()
				return nil, err
			}
			group := int(idx[i])
			for _, m := range re.FindAllSubmatchIndex(s.at(i), -1) {
				// Spark checks the group only once something matches.
				if group < 0 || group > re.NumSubexp() {
					validity.release()
					return nil, errkind.Invalid("[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) `idx` in `regexp_extract_all` is invalid: Expects group index between 0 and %d, but got %d", re.NumSubexp(), group)
				}
				if m[2*group] < 0 {
					elements.appendEmpty()
				} else {
					elements.appendBytes(s.at(i)[m[2*group]:m[2*group+1]])
				}
			}
		}
		offsets = append(offsets, int32(len(elements.offsets)-1))
	}
	values := elements.finish(ec.Task.Allocator, arrow.BinaryTypes.String, nil)
	defer values.Release()
	return datumOf(makeList(ec.Task.Allocator, call.Type, offsets, values, validity)), nil
}
