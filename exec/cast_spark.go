package exec

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Spark's cast rules (CastHook): strings are trimmed and parsed as Spark parses them, numbers
// print as Java prints them (1.0, 1.0E20), narrowing casts check for overflow, decimals rescale
// HALF_UP, and a value that does not convert is an ANSI error naming the value (CAST_INVALID_INPUT,
// CAST_OVERFLOW) or null in legacy and try modes. Nested types cast element by element. Casts
// this file does not handle fall back to arrow's cast.

func init() {
	CastHook = sparkCast
}

// castState carries what one cast needs to report errors and null out failures.
type castState struct {
	ec       *EvalContext
	from, to arrow.DataType
	mode     logical.EvalMode
}

func sparkTypeUpper(t arrow.DataType) string { return strings.ToUpper(logical.SparkTypeName(t)) }

func (c *castState) invalid(value string) error {
	return errkind.Invalid("[CAST_INVALID_INPUT] The value '%s' of the type \"%s\" cannot be cast to \"%s\" because it is malformed. Correct the value as per the syntax, or change its target type. Use `try_cast` to tolerate malformed input and return NULL instead, or set spark.sql.ansi.enabled=false",
		value, sparkTypeUpper(c.from), sparkTypeUpper(c.to))
}

func (c *castState) overflow(value string) error {
	return errkind.Arithmetic("[CAST_OVERFLOW] The value %s of the type \"%s\" cannot be cast to \"%s\" due to an overflow. Use `try_cast` to tolerate overflow and return NULL instead, or set spark.sql.ansi.enabled=false",
		value, sparkTypeUpper(c.from), sparkTypeUpper(c.to))
}

func sparkCast(ec *EvalContext, in arrow.Array, to arrow.DataType, mode logical.EvalMode) (arrow.Array, bool, error) {
	c := &castState{ec: ec, from: in.DataType(), to: to, mode: mode}
	from := in.DataType()
	if from.ID() == arrow.NULL {
		return nil, false, nil
	}
	if from.ID() == arrow.LARGE_STRING || from.ID() == arrow.STRING_VIEW {
		return nil, false, nil // arrow converts string layouts; the result is cast again if needed
	}
	switch {
	case to.ID() == arrow.STRING && (from.ID() == arrow.LIST || from.ID() == arrow.MAP || from.ID() == arrow.STRUCT):
		return c.nestedToString(in)
	case isStringID(to.ID()) && to.ID() == arrow.STRING:
		out, ok := c.toString(in)
		return out, ok, nil
	case from.ID() == arrow.STRING:
		out, err := c.fromString(in.(*array.String))
		if err != nil || out == nil {
			return nil, out != nil, err
		}
		return out, true, nil
	}
	switch to.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		out, ok, err := c.toInteger(in)
		return out, ok, err
	case arrow.FLOAT32, arrow.FLOAT64:
		out, ok := c.toFloat(in)
		return out, ok, nil
	case arrow.DECIMAL128:
		out, ok, err := c.toDecimal(in)
		return out, ok, err
	case arrow.BOOL:
		out, ok := c.toBool(in)
		return out, ok, nil
	case arrow.DATE32:
		if from.ID() == arrow.TIMESTAMP {
			return c.timestampToDate(in), true, nil
		}
	case arrow.TIMESTAMP:
		out, ok := c.toTimestamp(in)
		return out, ok, nil
	case arrow.LIST, arrow.LARGE_LIST, arrow.STRUCT, arrow.MAP:
		return c.nested(in)
	}
	return nil, false, nil
}

func isStringID(id arrow.Type) bool {
	return id == arrow.STRING || id == arrow.LARGE_STRING || id == arrow.STRING_VIEW
}

// ---- numbers ---------------------------------------------------------------------------------

func integerBounds(t arrow.DataType) (int64, int64) {
	switch t.ID() {
	case arrow.INT8:
		return math.MinInt8, math.MaxInt8
	case arrow.INT16:
		return math.MinInt16, math.MaxInt16
	case arrow.INT32:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// readInt64 returns a reader for an integer-like array's values as int64.
func readInt64(a arrow.Array) (func(i int) int64, bool) {
	switch a.DataType().ID() {
	case arrow.INT8:
		v := values[int8](a)
		return func(i int) int64 { return int64(v[i]) }, true
	case arrow.INT16:
		v := values[int16](a)
		return func(i int) int64 { return int64(v[i]) }, true
	case arrow.INT32, arrow.DATE32:
		v := values[int32](a)
		return func(i int) int64 { return int64(v[i]) }, true
	case arrow.INT64:
		v := values[int64](a)
		return func(i int) int64 { return v[i] }, true
	case arrow.UINT8:
		v := values[uint8](a)
		return func(i int) int64 { return int64(v[i]) }, true
	case arrow.UINT16:
		v := values[uint16](a)
		return func(i int) int64 { return int64(v[i]) }, true
	case arrow.UINT32:
		v := values[uint32](a)
		return func(i int) int64 { return int64(v[i]) }, true
	case arrow.BOOL:
		b := boolValues(a.(*array.Boolean))
		return func(i int) int64 {
			if b.get(i) {
				return 1
			}
			return 0
		}, true
	}
	return nil, false
}

func readFloat64(a arrow.Array) (func(i int) float64, bool) {
	switch a.DataType().ID() {
	case arrow.FLOAT32:
		v := values[float32](a)
		return func(i int) float64 { return float64(v[i]) }, true
	case arrow.FLOAT64:
		v := values[float64](a)
		return func(i int) float64 { return v[i] }, true
	case arrow.UINT64:
		v := values[uint64](a)
		return func(i int) float64 { return float64(v[i]) }, true
	}
	if r, ok := readInt64(a); ok {
		return func(i int) float64 { return float64(r(i)) }, true
	}
	return nil, false
}

// writeInteger builds an integer array of type t from int64 values.
func writeInteger(mem memory.Allocator, t arrow.DataType, n int, validity *validityBuilder, get func(i int) int64) arrow.Array {
	switch t.ID() {
	case arrow.INT8:
		buf, out := newFixedBuffer[int8](mem, n)
		for i := range out {
			if validity.valid(i) {
				out[i] = int8(get(i))
			}
		}
		return makeFixedArray(t, n, buf, validity)
	case arrow.INT16:
		buf, out := newFixedBuffer[int16](mem, n)
		for i := range out {
			if validity.valid(i) {
				out[i] = int16(get(i))
			}
		}
		return makeFixedArray(t, n, buf, validity)
	case arrow.INT32, arrow.DATE32:
		buf, out := newFixedBuffer[int32](mem, n)
		for i := range out {
			if validity.valid(i) {
				out[i] = int32(get(i))
			}
		}
		return makeFixedArray(t, n, buf, validity)
	}
	buf, out := newFixedBuffer[int64](mem, n)
	for i := range out {
		if validity.valid(i) {
			out[i] = get(i)
		}
	}
	return makeFixedArray(t, n, buf, validity)
}

func (c *castState) toInteger(in arrow.Array) (arrow.Array, bool, error) {
	n := in.Len()
	lo, hi := integerBounds(c.to)
	mem := c.ec.Task.Allocator
	validity := newValidity(mem, n, in)
	results := make([]int64, n)
	fail := func(i int, text string) error {
		if c.mode == logical.EvalANSI {
			validity.release()
			return c.overflow(text)
		}
		validity.setNull(i)
		return nil
	}
	if r, ok := readInt64(in); ok {
		for i := 0; i < n; i++ {
			if !validity.valid(i) {
				continue
			}
			v := r(i)
			if v < lo || v > hi {
				if c.mode == logical.EvalLegacy {
					results[i] = v // Java narrowing keeps the low bits
					continue
				}
				if err := fail(i, fmt.Sprint(v)); err != nil {
					return nil, true, err
				}
				continue
			}
			results[i] = v
		}
	} else if in.DataType().ID() == arrow.FLOAT32 || in.DataType().ID() == arrow.FLOAT64 || in.DataType().ID() == arrow.UINT64 {
		r, _ := readFloat64(in)
		for i := 0; i < n; i++ {
			if !validity.valid(i) {
				continue
			}
			v := math.Trunc(r(i))
			if v != v || v < float64(lo) || v > float64(hi) || (hi == math.MaxInt64 && v >= 9.223372036854775807e18) {
				if c.mode == logical.EvalLegacy {
					results[i] = javaLong(v) // Java's saturating (long) cast, then narrowing
					if c.to.ID() != arrow.INT64 {
						results[i] = int64(javaInt(v))
					}
					continue
				}
				if err := fail(i, formatJavaDouble(r(i), in.DataType().ID() == arrow.FLOAT32)); err != nil {
					return nil, true, err
				}
				continue
			}
			results[i] = int64(v)
		}
	} else if d, ok := in.(*array.Decimal128); ok {
		scale := d.DataType().(*arrow.Decimal128Type).Scale
		src := values[decimal128.Num](in)
		div := new(big.Int).Exp(bigTen, big.NewInt(int64(scale)), nil)
		for i := 0; i < n; i++ {
			if !validity.valid(i) {
				continue
			}
			v := new(big.Int).Quo(src[i].BigInt(), div) // truncates toward zero
			if !v.IsInt64() || v.Int64() < lo || v.Int64() > hi {
				if err := fail(i, src[i].ToString(scale)); err != nil {
					return nil, true, err
				}
				continue
			}
			results[i] = v.Int64()
		}
	} else if in.DataType().ID() == arrow.TIMESTAMP {
		v := values[int64](in)
		unit := in.DataType().(*arrow.TimestampType).Unit
		for i := 0; i < n; i++ {
			s := floorDiv(toMicros(v[i], unit), 1_000_000)
			results[i] = s
			if s < lo || s > hi {
				if err := fail(i, fmt.Sprint(s)); err != nil {
					return nil, true, err
				}
			}
		}
	} else {
		validity.release()
		return nil, false, nil
	}
	return writeInteger(mem, c.to, n, validity, func(i int) int64 { return results[i] }), true, nil
}

func javaInt(d float64) int32 {
	switch {
	case d != d:
		return 0
	case d >= math.MaxInt32:
		return math.MaxInt32
	case d <= math.MinInt32:
		return math.MinInt32
	}
	return int32(d)
}

func (c *castState) toFloat(in arrow.Array) (arrow.Array, bool) {
	n := in.Len()
	mem := c.ec.Task.Allocator
	var get func(i int) float64
	if r, ok := readFloat64(in); ok {
		get = r
	} else if d, ok := in.(*array.Decimal128); ok {
		return c.decimalToFloat(d), true
	} else if in.DataType().ID() == arrow.TIMESTAMP {
		v := values[int64](in)
		unit := in.DataType().(*arrow.TimestampType).Unit
		get = func(i int) float64 { return float64(toMicros(v[i], unit)) / 1e6 }
	} else {
		return nil, false
	}
	validity := newValidity(mem, n, in)
	if c.to.ID() == arrow.FLOAT32 {
		buf, out := newFixedBuffer[float32](mem, n)
		for i := range out {
			if validity.valid(i) {
				out[i] = float32(get(i))
			}
		}
		return makeFixedArray(c.to, n, buf, validity), true
	}
	buf, out := newFixedBuffer[float64](mem, n)
	for i := range out {
		if validity.valid(i) {
			out[i] = get(i)
		}
	}
	return makeFixedArray(c.to, n, buf, validity), true
}

// decimalToFloat is the typed decimal -> double/float loop (cast_decimal_float.go).
func (c *castState) decimalToFloat(in *array.Decimal128) arrow.Array {
	n := in.Len()
	mem := c.ec.Task.Allocator
	t := in.DataType().(*arrow.Decimal128Type)
	validity := newValidity(mem, n, in)
	buf, out := newFixedBuffer[float64](mem, n)
	decimalToFloat64Values(values[decimal128.Num](in), t.Precision, t.Scale, validity.valid, out)
	if c.to.ID() == arrow.FLOAT64 {
		return makeFixedArray(c.to, n, buf, validity)
	}
	narrowBuffer, narrow := newFixedBuffer[float32](mem, n)
	for i, v := range out {
		narrow[i] = float32(v)
	}
	buf.Release()
	return makeFixedArray(c.to, n, narrowBuffer, validity)
}

func (c *castState) toBool(in arrow.Array) (arrow.Array, bool) {
	n := in.Len()
	get, ok := readFloat64(in)
	if !ok {
		if d, isDec := in.(*array.Decimal128); isDec {
			src := values[decimal128.Num](d)
			get = func(i int) float64 { return float64(src[i].Sign()) }
		} else {
			return nil, false
		}
	}
	validity := newValidity(c.ec.Task.Allocator, n, in)
	out := newBoolOutput(c.ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		out.set(i, validity.valid(i) && get(i) != 0)
	}
	return out.finish(n, validity), true
}

func (c *castState) toDecimal(in arrow.Array) (arrow.Array, bool, error) {
	t := c.to.(*arrow.Decimal128Type)
	n := in.Len()
	mem := c.ec.Task.Allocator
	limit := new(big.Int).Exp(bigTen, big.NewInt(int64(t.Precision)), nil)
	validity := newValidity(mem, n, in)
	buf, out := newFixedBuffer[decimal128.Num](mem, n)
	fail := func(i int, text string) error {
		if c.mode == logical.EvalANSI {
			validity.release()
			buf.Release()
			return errkind.Arithmetic("[NUMERIC_VALUE_OUT_OF_RANGE] The value %s cannot be represented as %s. Use `try_cast` to get NULL instead, or set spark.sql.ansi.enabled=false",
				text, sparkTypeUpper(c.to))
		}
		validity.setNull(i)
		return nil
	}
	var v big.Int
	// text formats the input value only for the error message: formatting every row cost more
	// than the cast itself.
	store := func(i int, text func() string) error {
		if v.CmpAbs(limit) >= 0 {
			return fail(i, text())
		}
		out[i] = decimal128.FromBigInt(&v)
		return nil
	}
	switch {
	case in.DataType().ID() == arrow.DECIMAL128:
		fromScale := int(in.DataType().(*arrow.Decimal128Type).Scale)
		src := values[decimal128.Num](in)
		rescale := int(t.Scale) - fromScale
		for i := 0; i < n; i++ {
			if !validity.valid(i) {
				continue
			}
			text := func() string { return src[i].ToString(int32(fromScale)) }
			if x, ok := int64Of(src[i]); ok && rescale >= -18 && rescale <= 18 {
				// int64 fast path, same HALF_UP rounding and precision check as below
				if rescale < 0 {
					x = roundHalfUpInt64(x, -rescale)
				} else if x, ok = scaleInt64(x, rescale); !ok {
					goto slow
				}
				if t.Precision < 19 && (x >= int64(pow10u64[t.Precision]) || x <= -int64(pow10u64[t.Precision])) {
					if err := fail(i, text()); err != nil {
						return nil, true, err
					}
					continue
				}
				out[i] = decimal128.FromI64(x)
				continue
			}
		slow:
			v.Set(src[i].BigInt())
			roundHalfUp(&v, fromScale-int(t.Scale))
			if err := store(i, text); err != nil {
				return nil, true, err
			}
		}
	case in.DataType().ID() == arrow.FLOAT32 || in.DataType().ID() == arrow.FLOAT64:
		get, _ := readFloat64(in)
		is32 := in.DataType().ID() == arrow.FLOAT32
		for i := 0; i < n; i++ {
			if !validity.valid(i) {
				continue
			}
			x := get(i)
			if math.IsNaN(x) || math.IsInf(x, 0) {
				if err := fail(i, formatJavaDouble(x, is32)); err != nil {
					return nil, true, err
				}
				continue
			}
			if !decimalFromText(&v, formatShortest(x, is32), int(t.Scale)) {
				validity.setNull(i)
				continue
			}
			if err := store(i, func() string { return formatJavaDouble(x, is32) }); err != nil {
				return nil, true, err
			}
		}
	default:
		get, ok := readInt64(in)
		if !ok {
			validity.release()
			buf.Release()
			return nil, false, nil
		}
		for i := 0; i < n; i++ {
			if !validity.valid(i) {
				continue
			}
			x := get(i)
			if t.Scale < 0 || t.Scale > 18 {
				// the math/big path below
			} else if scaled, ok := scaleInt64(x, int(t.Scale)); ok {
				if t.Precision < 19 && (scaled >= int64(pow10u64[t.Precision]) || scaled <= -int64(pow10u64[t.Precision])) {
					if err := fail(i, fmt.Sprint(x)); err != nil {
						return nil, true, err
					}
					continue
				}
				out[i] = decimal128.FromI64(scaled)
				continue
			}
			v.SetInt64(x)
			scaleBy(&v, int(t.Scale))
			if err := store(i, func() string { return fmt.Sprint(x) }); err != nil {
				return nil, true, err
			}
		}
	}
	return makeFixedArray(c.to, n, buf, validity), true, nil
}

func formatShortest(x float64, is32 bool) string {
	if is32 {
		return strconv.FormatFloat(x, 'e', -1, 32)
	}
	return strconv.FormatFloat(x, 'e', -1, 64)
}

// decimalFromText parses a decimal number (with optional exponent) into an unscaled integer at
// scale, rounding HALF_UP.
func decimalFromText(v *big.Int, text string, scale int) bool {
	var r big.Rat
	if _, ok := r.SetString(text); !ok {
		return false
	}
	num := new(big.Int).Set(r.Num())
	scaleBy(num, scale)
	divideHalfUp(v, num, r.Denom())
	return true
}

// formatJavaDouble prints like Java's Double.toString (Spark's cast to string): plain notation
// with at least one fraction digit for 1e-3 <= |x| < 1e7, else d.dddE±n.
func formatJavaDouble(x float64, is32 bool) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	case x == 0:
		if math.Signbit(x) {
			return "-0.0"
		}
		return "0.0"
	}
	bits := 64
	if is32 {
		bits = 32
	}
	abs := math.Abs(x)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(x, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(x, 'e', -1, bits) // 1.2345e+20
	mantissa, exponent, _ := strings.Cut(s, "e")
	if !strings.Contains(mantissa, ".") {
		mantissa += ".0"
	}
	exp, _ := strconv.Atoi(exponent)
	return fmt.Sprintf("%sE%d", mantissa, exp)
}

// ---- to string -------------------------------------------------------------------------------

func (c *castState) toString(in arrow.Array) (arrow.Array, bool) {
	n := in.Len()
	valid := validityBitmap(in)
	out := newStringOutput(n, n*8)
	var format func(i int) string
	switch t := in.DataType().(type) {
	case *arrow.BooleanType:
		b := boolValues(in.(*array.Boolean))
		format = func(i int) string {
			if b.get(i) {
				return "true"
			}
			return "false"
		}
	case *arrow.Float32Type:
		v := values[float32](in)
		format = func(i int) string { return formatJavaDouble(float64(v[i]), true) }
	case *arrow.Float64Type:
		v := values[float64](in)
		format = func(i int) string { return formatJavaDouble(v[i], false) }
	case *arrow.Decimal128Type:
		v := values[decimal128.Num](in)
		format = func(i int) string { return v[i].ToString(t.Scale) }
	case *arrow.Date32Type:
		v := values[arrow.Date32](in)
		format = func(i int) string { return formatDate(int32(v[i])) }
	case *arrow.TimestampType:
		v := values[int64](in)
		loc := timestampLocation(c.ec, t)
		format = func(i int) string { return formatTimestamp(toMicros(v[i], t.Unit), loc) }
	case *arrow.BinaryType:
		b := in.(*array.Binary)
		format = func(i int) string { return string(b.Value(i)) }
	case *arrow.Uint64Type:
		v := values[uint64](in)
		format = func(i int) string { return strconv.FormatUint(v[i], 10) }
	default:
		r, ok := readInt64(in)
		if !ok {
			return nil, false
		}
		format = func(i int) string { return strconv.FormatInt(r(i), 10) }
	}
	for i := 0; i < n; i++ {
		if valid.get(i) {
			out.appendString(format(i))
		} else {
			out.appendEmpty()
		}
	}
	return out.finish(c.ec.Task.Allocator, arrow.BinaryTypes.String, newValidity(c.ec.Task.Allocator, n, in)), true
}

// ---- from string -----------------------------------------------------------------------------

// sparkTrim removes the whitespace and ASCII control characters Spark's UTF8String.trimAll does.
func sparkTrim(s []byte) []byte {
	start, end := 0, len(s)
	for start < end && s[start] <= ' ' {
		start++
	}
	for end > start && s[end-1] <= ' ' {
		end--
	}
	return s[start:end]
}

func (c *castState) fromString(in *array.String) (arrow.Array, error) {
	n := in.Len()
	mem := c.ec.Task.Allocator
	strs := stringsOf(in)
	validity := newValidity(mem, n, in)
	// parse fills the output for row i or reports failure.
	var parse func(i int, text string) bool
	var finish func() arrow.Array
	switch c.to.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		lo, hi := integerBounds(c.to)
		results := make([]int64, n)
		parse = func(i int, text string) bool {
			v, err := strconv.ParseInt(text, 10, 64)
			if err != nil {
				// Legacy mode accepts a fraction and truncates it, as UTF8String.toLong does.
				f, ferr := strconv.ParseFloat(text, 64)
				if c.mode == logical.EvalANSI || ferr != nil || strings.ContainsAny(text, "eEnN") || math.Abs(f) >= 9.2e18 {
					return false
				}
				v = int64(f)
			}
			if v < lo || v > hi {
				return false
			}
			results[i] = v
			return true
		}
		finish = func() arrow.Array {
			return writeInteger(mem, c.to, n, validity, func(i int) int64 { return results[i] })
		}
	case arrow.FLOAT32, arrow.FLOAT64:
		results := make([]float64, n)
		parse = func(i int, text string) bool {
			v, ok := parseSparkDouble(text)
			results[i] = v
			return ok
		}
		finish = func() arrow.Array {
			if c.to.ID() == arrow.FLOAT32 {
				buf, out := newFixedBuffer[float32](mem, n)
				for i := range out {
					out[i] = float32(results[i])
				}
				return makeFixedArray(c.to, n, buf, validity)
			}
			buf, out := newFixedBuffer[float64](mem, n)
			copy(out, results)
			return makeFixedArray(c.to, n, buf, validity)
		}
	case arrow.DECIMAL128:
		t := c.to.(*arrow.Decimal128Type)
		limit := new(big.Int).Exp(bigTen, big.NewInt(int64(t.Precision)), nil)
		buf, out := newFixedBuffer[decimal128.Num](mem, n)
		var v big.Int
		parse = func(i int, text string) bool {
			if strings.ContainsAny(text, "nNiI_/") || !decimalFromText(&v, text, int(t.Scale)) {
				return false
			}
			if new(big.Int).Abs(&v).Cmp(limit) >= 0 {
				return false
			}
			out[i] = decimal128.FromBigInt(&v)
			return true
		}
		finish = func() arrow.Array { return makeFixedArray(c.to, n, buf, validity) }
	case arrow.BOOL:
		out := newBoolOutput(mem, n)
		parse = func(i int, text string) bool {
			switch strings.ToLower(text) {
			case "t", "true", "y", "yes", "1":
				out.set(i, true)
				return true
			case "f", "false", "n", "no", "0":
				return true
			}
			return false
		}
		finish = func() arrow.Array { return out.finish(n, validity) }
	case arrow.DATE32:
		buf, out := newFixedBuffer[int32](mem, n)
		parse = func(i int, text string) bool {
			d, ok := parseSparkDate(text)
			out[i] = d
			return ok
		}
		finish = func() arrow.Array { return makeFixedArray(c.to, n, buf, validity) }
	case arrow.TIMESTAMP:
		tt := c.to.(*arrow.TimestampType)
		loc := timestampLocation(c.ec, tt)
		buf, out := newFixedBuffer[int64](mem, n)
		parse = func(i int, text string) bool {
			micros, ok := parseSparkTimestamp(text, loc)
			out[i] = fromMicros(micros, tt.Unit)
			return ok
		}
		finish = func() arrow.Array { return makeFixedArray(c.to, n, buf, validity) }
	case arrow.BINARY:
		validity.release()
		b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		defer b.Release()
		for i := 0; i < n; i++ {
			if strs.valid.get(i) {
				b.Append(strs.at(i))
			} else {
				b.AppendNull()
			}
		}
		return b.NewArray(), nil
	default:
		validity.release()
		return nil, nil
	}
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		text := string(sparkTrim(strs.at(i)))
		if !parse(i, text) {
			if c.mode == logical.EvalANSI {
				validity.release()
				partial := finish()
				partial.Release()
				return nil, c.invalid(string(strs.at(i)))
			}
			validity.setNull(i)
		}
	}
	return finish(), nil
}

// parseSparkDouble accepts what Spark's cast does: decimal and exponent notation, NaN, Infinity
// and inf in any case, an optional trailing d/f (Java literal suffixes).
func parseSparkDouble(text string) (float64, bool) {
	switch strings.ToLower(text) {
	case "nan":
		return math.NaN(), true
	case "inf", "+inf", "infinity", "+infinity":
		return math.Inf(1), true
	case "-inf", "-infinity":
		return math.Inf(-1), true
	}
	t := strings.TrimRight(text, "dDfF")
	if t == "" || strings.ContainsAny(t, "xXpP_nN") {
		return 0, false
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return v, true
		}
		return 0, false
	}
	return v, true
}

// ---- dates and timestamps --------------------------------------------------------------------

const microsPerDay = 86_400_000_000

var locations sync.Map

// loadLocation resolves a Spark time zone id: a region ("America/New_York"), "UTC"/"Z", or an
// offset ("+08:00", "GMT+8").
func loadLocation(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
		s := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(name, "GMT"), "UTC"), "UT")
		if off, ok := parseZoneOffset(s); ok {
			loc = time.FixedZone(name, off)
		}
	}
	locations.Store(name, loc)
	return loc
}

// parseZoneOffset parses "+08:00", "-0530", "+8" into seconds east of UTC.
func parseZoneOffset(s string) (int, bool) {
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	body := strings.ReplaceAll(s[1:], ":", "")
	var h, m int
	var err error
	switch len(body) {
	case 1, 2:
		h, err = strconv.Atoi(body)
	case 3, 4:
		h, err = strconv.Atoi(body[:len(body)-2])
		if err == nil {
			m, err = strconv.Atoi(body[len(body)-2:])
		}
	default:
		return 0, false
	}
	if err != nil || h > 18 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

// timestampLocation is the zone a timestamp type's values are displayed and parsed in: the
// session zone for timestamps with a zone (Spark's TIMESTAMP is instant-based), UTC for
// timestamp_ntz (wall-clock values stored as if UTC).
func timestampLocation(ec *EvalContext, t *arrow.TimestampType) *time.Location {
	if t.TimeZone == "" {
		return time.UTC
	}
	return sessionLocation(ec)
}

func sessionLocation(ec *EvalContext) *time.Location {
	if ec == nil || ec.Task == nil {
		return time.UTC
	}
	return loadLocation(ec.Task.SessionTimeZone)
}

func toMicros(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1_000_000
	case arrow.Millisecond:
		return v * 1000
	case arrow.Nanosecond:
		return floorDiv(v, 1000)
	}
	return v
}

func fromMicros(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return floorDiv(v, 1_000_000)
	case arrow.Millisecond:
		return floorDiv(v, 1000)
	case arrow.Nanosecond:
		return v * 1000
	}
	return v
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func formatDate(days int32) string {
	return time.Unix(int64(days)*86400, 0).UTC().Format("2006-01-02")
}

// formatTimestamp prints "yyyy-MM-dd HH:mm:ss[.ffffff]" with trailing fraction zeros trimmed, as
// Spark casts timestamps to strings.
func formatTimestamp(micros int64, loc *time.Location) string {
	t := time.UnixMicro(micros).In(loc)
	s := t.Format("2006-01-02 15:04:05")
	if frac := t.Nanosecond() / 1000; frac != 0 {
		f := strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
		s += "." + f
	}
	return s
}

// parseSparkDate accepts Spark's date strings: yyyy, yyyy-[m]m, yyyy-[m]m-[d]d, optionally
// followed by a space or 'T' and anything (a time part).
func parseSparkDate(text string) (int32, bool) {
	if i := strings.IndexAny(text, " T"); i >= 0 {
		text = text[:i]
	}
	parts := strings.Split(text, "-")
	neg := false
	if len(parts) > 0 && parts[0] == "" && len(parts) > 1 { // a negative year
		neg, parts = true, parts[1:]
	}
	if len(parts) == 0 || len(parts) > 3 {
		return 0, false
	}
	nums := [3]int{0, 1, 1}
	for k, p := range parts {
		if p == "" || len(p) > 6 || (k > 0 && len(p) > 2) || (k == 0 && len(p) < 4) {
			return 0, false
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return 0, false
		}
		nums[k] = v
	}
	if neg {
		nums[0] = -nums[0]
	}
	return civilToDays(nums[0], nums[1], nums[2])
}

func civilToDays(y, m, d int) (int32, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // Feb 30 rolls over in Go; Spark rejects it
		return 0, false
	}
	return int32(floorDiv(t.Unix(), 86400)), true
}

// parseSparkTimestamp accepts Spark's timestamp strings: a date, then optionally [ T]HH:mm[:ss
// [.fraction]] and a zone (Z, +hh:mm, a region id after a space); loc applies without a zone.
func parseSparkTimestamp(text string, loc *time.Location) (int64, bool) {
	datePart, rest := text, ""
	if i := strings.IndexAny(text, " T"); i >= 0 {
		datePart, rest = text[:i], strings.TrimSpace(text[i+1:])
	}
	days, ok := parseSparkDate(datePart)
	if !ok {
		return 0, false
	}
	var h, mi, s, micros int
	zone := loc
	if rest != "" {
		// split off a zone: Z, +hh:mm, -hh:mm, or " Region/City"
		timePart := rest
		if i := strings.IndexAny(rest, "Z+- "); i >= 0 {
			timePart = rest[:i]
			z := strings.TrimSpace(rest[i:])
			switch {
			case z == "Z" || z == "UTC":
				zone = time.UTC
			default:
				if off, ok := parseZoneOffset(z); ok {
					zone = time.FixedZone(z, off)
				} else if l, err := time.LoadLocation(z); err == nil {
					zone = l
				} else {
					return 0, false
				}
			}
		}
		fields := strings.Split(timePart, ":")
		if len(fields) < 2 || len(fields) > 3 {
			if !(len(fields) == 1 && fields[0] == "") {
				return 0, false
			}
		}
		var err error
		if fields[0] != "" {
			if h, err = strconv.Atoi(fields[0]); err != nil || h > 23 || len(fields[0]) > 2 {
				return 0, false
			}
			if mi, err = strconv.Atoi(fields[1]); err != nil || mi > 59 {
				return 0, false
			}
			if len(fields) == 3 {
				sec, frac, hasFrac := strings.Cut(fields[2], ".")
				if s, err = strconv.Atoi(sec); err != nil || s > 59 {
					return 0, false
				}
				if hasFrac {
					if len(frac) == 0 || len(frac) > 9 {
						return 0, false
					}
					f, err := strconv.Atoi((frac + "000000")[:6])
					if err != nil {
						return 0, false
					}
					micros = f
				}
			}
		}
	}
	y, m, d := time.Unix(int64(days)*86400, 0).UTC().Date()
	t := time.Date(y, m, d, h, mi, s, micros*1000, zone)
	return t.UnixMicro(), true
}

func (c *castState) timestampToDate(in arrow.Array) arrow.Array {
	t := in.DataType().(*arrow.TimestampType)
	loc := timestampLocation(c.ec, t)
	return mapFixed(c.ec, arrow.FixedWidthTypes.Date32, in, func(v int64) int32 {
		return localDays(toMicros(v, t.Unit), loc)
	})
}

// localDays is the date (days since epoch) of an instant in a zone.
func localDays(micros int64, loc *time.Location) int32 {
	if loc == time.UTC {
		return int32(floorDiv(micros, microsPerDay))
	}
	_, off := time.UnixMicro(micros).In(loc).Zone()
	return int32(floorDiv(micros+int64(off)*1_000_000, microsPerDay))
}

// localMidnight is the instant a date starts in a zone.
func localMidnight(days int32, loc *time.Location) int64 {
	if loc == time.UTC {
		return int64(days) * microsPerDay
	}
	y, m, d := time.Unix(int64(days)*86400, 0).UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc).UnixMicro()
}

func (c *castState) toTimestamp(in arrow.Array) (arrow.Array, bool) {
	tt := c.to.(*arrow.TimestampType)
	switch from := in.DataType().(type) {
	case *arrow.Date32Type:
		loc := timestampLocation(c.ec, tt)
		return mapFixed(c.ec, tt, in, func(d arrow.Date32) int64 { return fromMicros(localMidnight(int32(d), loc), tt.Unit) }), true
	case *arrow.TimestampType:
		if from.TimeZone != "" && tt.TimeZone == "" { // instant -> wall clock in the session zone
			loc := sessionLocation(c.ec)
			return mapFixed(c.ec, tt, in, func(v int64) int64 {
				m := toMicros(v, from.Unit)
				_, off := time.UnixMicro(m).In(loc).Zone()
				return fromMicros(m+int64(off)*1_000_000, tt.Unit)
			}), true
		}
		if from.TimeZone == "" && tt.TimeZone != "" { // wall clock in the session zone -> instant
			loc := sessionLocation(c.ec)
			return mapFixed(c.ec, tt, in, func(v int64) int64 {
				m := toMicros(v, from.Unit)
				t := time.UnixMicro(m).UTC()
				local := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
				return fromMicros(local.UnixMicro(), tt.Unit)
			}), true
		}
		return mapFixed(c.ec, tt, in, func(v int64) int64 { return fromMicros(toMicros(v, from.Unit), tt.Unit) }), true
	case *arrow.Float64Type, *arrow.Float32Type:
		get, _ := readFloat64(in)
		n := in.Len()
		validity := newValidity(c.ec.Task.Allocator, n, in)
		buf, out := newFixedBuffer[int64](c.ec.Task.Allocator, n)
		for i := range out {
			x := get(i)
			if math.IsNaN(x) || math.IsInf(x, 0) {
				validity.setNull(i)
				continue
			}
			out[i] = fromMicros(int64(x*1e6), tt.Unit)
		}
		return makeFixedArray(tt, n, buf, validity), true
	}
	if get, ok := readInt64(in); ok && in.DataType().ID() != arrow.BOOL {
		n := in.Len()
		validity := newValidity(c.ec.Task.Allocator, n, in)
		buf, out := newFixedBuffer[int64](c.ec.Task.Allocator, n)
		for i := range out {
			out[i] = fromMicros(get(i)*1_000_000, tt.Unit)
		}
		return makeFixedArray(tt, n, buf, validity), true
	}
	return nil, false
}

// ---- nested types ----------------------------------------------------------------------------

func (c *castState) castChild(child arrow.Array, to arrow.DataType) (arrow.Array, error) {
	if arrow.TypeEqual(child.DataType(), to) {
		child.Retain()
		return child, nil
	}
	in := compute.NewDatum(child)
	defer in.Release()
	d, err := CastDatum(c.ec, in, to, c.mode, int64(child.Len()))
	if err != nil {
		return nil, err
	}
	defer d.Release()
	return DatumToArray(c.ec, d, int64(child.Len()), to)
}

func (c *castState) nested(in arrow.Array) (arrow.Array, bool, error) {
	data := in.Data()
	switch to := c.to.(type) {
	case *arrow.ListType:
		if _, ok := in.(*array.List); !ok {
			return nil, false, nil
		}
		values := in.(*array.List).ListValues()
		cast, err := c.castChild(values, to.Elem())
		if err != nil {
			return nil, true, err
		}
		defer cast.Release()
		nd := array.NewData(to, data.Len(), data.Buffers(), []arrow.ArrayData{cast.Data()}, data.NullN(), data.Offset())
		defer nd.Release()
		return array.MakeFromData(nd), true, nil
	case *arrow.StructType:
		st, ok := in.(*array.Struct)
		if !ok || st.NumField() != to.NumFields() {
			return nil, false, nil
		}
		if data.Offset() != 0 { // children come back sliced; rebase the struct to offset 0
			flat, err := array.Concatenate([]arrow.Array{in}, c.ec.Task.Allocator)
			if err != nil {
				return nil, true, err
			}
			defer flat.Release()
			st, data = flat.(*array.Struct), flat.Data()
		}
		children := make([]arrow.ArrayData, st.NumField())
		for k := 0; k < st.NumField(); k++ {
			f := st.Field(k)
			// Struct children are not offset-adjusted by Field(); cast them whole.
			cast, err := c.castChild(f, to.Field(k).Type)
			if err != nil {
				return nil, true, err
			}
			defer cast.Release()
			children[k] = cast.Data()
		}
		nd := array.NewData(to, data.Len(), data.Buffers()[:1], children, data.NullN(), data.Offset())
		defer nd.Release()
		return array.MakeFromData(nd), true, nil
	case *arrow.MapType:
		m, ok := in.(*array.Map)
		if !ok {
			return nil, false, nil
		}
		keys, err := c.castChild(m.Keys(), to.KeyType())
		if err != nil {
			return nil, true, err
		}
		defer keys.Release()
		items, err := c.castChild(m.Items(), to.ItemType())
		if err != nil {
			return nil, true, err
		}
		defer items.Release()
		entries := array.NewData(to.Elem(), keys.Len(), []*memory.Buffer{nil}, []arrow.ArrayData{keys.Data(), items.Data()}, 0, 0)
		defer entries.Release()
		nd := array.NewData(to, data.Len(), data.Buffers(), []arrow.ArrayData{entries}, data.NullN(), data.Offset())
		defer nd.Release()
		return array.MakeFromData(nd), true, nil
	}
	return nil, false, nil
}
