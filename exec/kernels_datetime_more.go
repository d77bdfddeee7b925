package exec

import (
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Date, time and math functions of planner/analyzer/fn_datetime_more.go. Timestamps are
// microseconds since the epoch (UTC); dates are days since the epoch.

func init() {
	RegisterKernel("epoch_number", epochNumberKernel)
	RegisterKernel("from_epoch", fromEpochKernel)
	RegisterKernel("date_name", dateNameKernel)
	RegisterKernel("next_day", nextDayKernel)
	RegisterKernel("factorial", factorialKernel)
	RegisterKernel("utc_shift", utcShiftKernel)
}

// epochNumberKernel is unix_date (days), unix_seconds, unix_millis and unix_micros.
func epochNumberKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	name := scalarText(args[1])
	arrays, err := argArrays(ec, call, args[:1], length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	if name == "unix_date" {
		buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
		copy(out, values[int32](arrays[0]))
		return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int32, n, buf, validity)), nil
	}
	unit := arrays[0].DataType().(*arrow.TimestampType).Unit
	in := values[int64](arrays[0])
	divisor := map[string]int64{"unix_seconds": 1_000_000, "unix_millis": 1_000, "unix_micros": 1}[name]
	buf, out := newFixedBuffer[int64](ec.Task.Allocator, n)
	for i := range out {
		out[i] = floorDiv(toMicros(in[i], unit), divisor)
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int64, n, buf, validity)), nil
}

// fromEpochKernel is timestamp_seconds/millis/micros and date_from_unix_date.
func fromEpochKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	name := scalarText(args[1])
	arrays, err := argArrays(ec, call, args[:1], length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	if name == "date_from_unix_date" {
		buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
		copy(out, values[int32](arrays[0]))
		return datumOf(makeFixedArray(arrow.FixedWidthTypes.Date32, n, buf, validity)), nil
	}
	buf, out := newFixedBuffer[int64](ec.Task.Allocator, n)
	if arrays[0].DataType().ID() == arrow.FLOAT64 {
		in := values[float64](arrays[0])
		for i, v := range in {
			micros := v * 1e6
			if !validity.valid(i) {
				continue
			}
			if math.IsNaN(micros) || math.IsInf(micros, 0) || math.Abs(micros) >= math.MaxInt64 {
				validity.setNull(i)
				continue
			}
			out[i] = int64(micros)
		}
	} else {
		in := values[int64](arrays[0])
		factor := map[string]int64{"timestamp_seconds": 1_000_000, "timestamp_millis": 1_000, "timestamp_micros": 1}[name]
		for i, v := range in {
			if !validity.valid(i) {
				continue
			}
			if v > math.MaxInt64/factor || v < math.MinInt64/factor {
				validity.release()
				buf.Release()
				return nil, errkind.Arithmetic("[ARITHMETIC_OVERFLOW] long overflow in %s(%d). Use a smaller value", name, v)
			}
			out[i] = v * factor
		}
	}
	return datumOf(makeFixedArray(call.Type, n, buf, validity)), nil
}

var (
	shortDayNames   = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
	shortMonthNames = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// weekdayIndex is 0 for Monday .. 6 for Sunday (1970-01-01 was a Thursday).
func weekdayIndex(days int64) int { return int(((days+3)%7 + 7) % 7) }

// dateNameKernel is dayname ("Mon") and monthname ("Jan").
func dateNameKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	name := scalarText(args[1])
	arrays, err := argArrays(ec, call, args[:1], length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	in := values[int32](arrays[0])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, n*3)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			if name == "dayname" {
				out.data = append(out.data, shortDayNames[weekdayIndex(int64(in[i]))]...)
			} else {
				_, month, _ := civil(int64(in[i]))
				out.data = append(out.data, shortMonthNames[month-1]...)
			}
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
}

// dayOfWeekNames are the spellings next_day accepts (Spark's DateTimeUtils.getDayOfWeekFromString).
var dayOfWeekNames = map[string]int{
	"MO": 0, "MON": 0, "MONDAY": 0, "TU": 1, "TUE": 1, "TUESDAY": 1, "WE": 2, "WED": 2, "WEDNESDAY": 2,
	"TH": 3, "THU": 3, "THURSDAY": 3, "FR": 4, "FRI": 4, "FRIDAY": 4, "SA": 5, "SAT": 5, "SATURDAY": 5,
	"SU": 6, "SUN": 6, "SUNDAY": 6,
}

// nextDayKernel: the first date after start that falls on the named day of the week; a name
// that is no day is an error in ANSI mode and null otherwise.
func nextDayKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	starts, names := values[int32](arrays[0]), stringsOf(arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		target, ok := dayOfWeekNames[strings.ToUpper(strings.TrimSpace(string(names.at(i))))]
		if !ok {
			if ec.Task.ANSI {
				validity.release()
				buf.Release()
				return nil, errkind.Invalid("[ILLEGAL_DAY_OF_WEEK] Illegal input for day of week: %s. Use a day name such as 'MON', 'Monday' or 'MO'", string(names.at(i)))
			}
			validity.setNull(i)
			continue
		}
		start := int64(starts[i])
		ahead := (target-weekdayIndex(start)+6)%7 + 1
		out[i] = int32(start + int64(ahead))
	}
	return datumOf(makeFixedArray(arrow.FixedWidthTypes.Date32, n, buf, validity)), nil
}

func factorialKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	in := values[int32](arrays[0])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int64](ec.Task.Allocator, n)
	for i, v := range in {
		if !validity.valid(i) {
			continue
		}
		if v < 0 || v > 20 {
			validity.setNull(i)
			continue
		}
		product := int64(1)
		for k := int64(2); k <= int64(v); k++ {
			product *= k
		}
		out[i] = product
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int64, n, buf, validity)), nil
}

// utcShiftKernel is from_utc_timestamp(ts, zone) (read ts as UTC wall-clock time, give the
// instant whose wall-clock time in the session zone is the one in zone) and to_utc_timestamp
// (the reverse). An unknown zone is an error, as Spark's.
func utcShiftKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	fromUTC := scalarBool(args[2])
	arrays, err := argArrays(ec, call, args[:2], length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	unit := arrays[0].DataType().(*arrow.TimestampType).Unit
	in, zones := values[int64](arrays[0]), stringsOf(arrays[1])
	session := timestampLocation(ec, call.Type.(*arrow.TimestampType))
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int64](ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		zoneName := string(zones.at(i))
		zone, ok := knownZone(zoneName)
		if !ok {
			validity.release()
			buf.Release()
			return nil, errkind.Invalid("[INVALID_TIMEZONE] The timezone: %s is invalid. The timezone must be either a region-based zone ID or a zone offset, such as 'America/Los_Angeles' or '+08:00'", zoneName)
		}
		micros := toMicros(in[i], unit)
		local := localMicros(micros, session)
		if fromUTC {
			// The session's wall-clock time is UTC time; show it in zone.
			out[i] = fromMicros(fromLocalMicros(localMicros(fromLocalMicros(local, time.UTC), zone), session), unit)
		} else {
			out[i] = fromMicros(fromLocalMicros(localMicros(fromLocalMicros(local, zone), time.UTC), session), unit)
		}
	}
	return datumOf(makeFixedArray(call.Type, n, buf, validity)), nil
}

// knownZone loads a region zone ID or an offset (+08:00, GMT+1, UTC); ok is false otherwise.
func knownZone(name string) (*time.Location, bool) {
	if _, err := time.LoadLocation(name); err == nil && name != "" && name != "Local" {
		return loadLocation(name), true
	}
	offset := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(name, "GMT"), "UTC"), "UT")
	if _, ok := parseZoneOffset(offset); ok || offset == "" && name != "" {
		return loadLocation(name), true
	}
	return nil, false
}
