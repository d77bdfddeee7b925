package exec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Date and time functions. Dates are days since the epoch (date32); timestamps are microseconds
// since the epoch, shown in the session time zone (TaskContext.SessionTimeZone) when their type
// has a zone and as wall-clock values when it has none (timestamp_ntz). Datetime patterns follow
// Spark's (yyyy-MM-dd HH:mm:ss.SSS, EEE, MMM, a, XXX, ...).

func init() {
	RegisterKernel("date_part", datePartKernel)
	RegisterKernel("date_add", dateAddKernel)
	RegisterKernel("add_months", addMonthsKernel)
	RegisterKernel("datediff", dateDiffKernel)
	RegisterKernel("months_between", monthsBetweenKernel)
	RegisterKernel("last_day", lastDayKernel)
	RegisterKernel("trunc", truncDateKernel)
	RegisterKernel("date_trunc", truncTimestampKernel)
	RegisterKernel("date_format", dateFormatKernel)
	RegisterKernel("to_date_format", toDateFormatKernel)
	RegisterKernel("to_timestamp_format", toTimestampFormatKernel)
	RegisterKernel("unix_timestamp", unixTimestampKernel)
	RegisterKernel("from_unixtime", fromUnixtimeKernel)
	RegisterKernel("make_date", makeDateKernel)
	RegisterKernel("identity", func(_ *EvalContext, _ *logical.Call, args []compute.Datum, _ int64) (compute.Datum, error) {
		return RetainDatum(args[0]), nil
	})
}

// civil converts days since the epoch to a proleptic Gregorian date (Howard Hinnant's
// days_from_civil inverse), without the time package.
func civil(days int64) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

// daysFromCivil is the inverse of civil.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := int64(y - era*400)
	mm := int64(m)
	if m > 2 {
		mm -= 3
	} else {
		mm += 9
	}
	doy := (153*mm+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + doe - 719468
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInMonth(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// localMicros shifts an instant to wall-clock microseconds in loc.
func localMicros(micros int64, loc *time.Location) int64 {
	if loc == time.UTC {
		return micros
	}
	_, off := time.UnixMicro(micros).In(loc).Zone()
	return micros + int64(off)*1_000_000
}

// fromLocalMicros turns wall-clock microseconds in loc back into an instant.
func fromLocalMicros(local int64, loc *time.Location) int64 {
	if loc == time.UTC {
		return local
	}
	days := floorDiv(local, microsPerDay)
	y, m, d := civil(days)
	rest := local - days*microsPerDay
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc).Add(time.Duration(rest) * time.Microsecond)
	return t.UnixMicro()
}

// temporalInput reads a date or timestamp array as wall-clock microseconds (dates at midnight).
func temporalInput(ec *EvalContext, a arrow.Array) (func(i int) int64, error) {
	switch t := a.DataType().(type) {
	case *arrow.Date32Type:
		v := values[int32](a)
		return func(i int) int64 { return int64(v[i]) * microsPerDay }, nil
	case *arrow.TimestampType:
		v := values[int64](a)
		loc := timestampLocation(ec, t)
		return func(i int) int64 { return localMicros(toMicros(v[i], t.Unit), loc) }, nil
	}
	return nil, errkind.Internal("expected a date or timestamp, got %s", a.DataType())
}

func literalString(d compute.Datum) (string, bool) {
	s, ok := d.(*compute.ScalarDatum)
	if !ok || !s.Value.IsValid() {
		return "", false
	}
	if str, ok := s.Value.(*scalar.String); ok {
		return string(str.Value.Bytes()), true
	}
	return "", false
}

// datePartKernel extracts a field (args[1], a literal) of a date or timestamp as an int.
func datePartKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	field, _ := literalString(args[1])
	arrays, err := argArrays(ec, call, args[:1], length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	get, err := temporalInput(ec, arrays[0])
	if err != nil {
		return nil, err
	}
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays[0])
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		local := get(i)
		days := floorDiv(local, microsPerDay)
		inDay := local - days*microsPerDay
		var v int
		switch field {
		case "year", "month", "day", "quarter", "dayofyear":
			y, m, d := civil(days)
			switch field {
			case "year":
				v = y
			case "month":
				v = m
			case "day":
				v = d
			case "quarter":
				v = (m-1)/3 + 1
			default:
				v = int(days-daysFromCivil(y, 1, 1)) + 1
			}
		case "dayofweek": // 1 = Sunday .. 7 = Saturday; 1970-01-01 was a Thursday
			v = int((days%7+7+4)%7) + 1
		case "weekday": // 0 = Monday .. 6 = Sunday
			v = int((days%7 + 7 + 3) % 7)
		case "weekofyear":
			y, m, d := civil(days)
			_, w := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).ISOWeek()
			v = w
		case "hour":
			v = int(inDay / 3_600_000_000)
		case "minute":
			v = int(inDay / 60_000_000 % 60)
		case "second":
			v = int(inDay / 1_000_000 % 60)
		default:
			validity.release()
			buf.Release()
			return nil, errkind.Internal("unknown date part %q", field)
		}
		out[i] = int32(v)
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int32, n, buf, validity)), nil
}

// dateAddKernel is date_add(date, n) (date_sub arrives with n negated by the analyzer).
func dateAddKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	d, k := values[int32](arrays[0]), values[int32](arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	for i := range out {
		out[i] = d[i] + k[i]
	}
	return datumOf(makeFixedArray(arrow.FixedWidthTypes.Date32, n, buf, validity)), nil
}

// addMonths adds months; a day past the end of the target month becomes its last day.
func addMonths(days int64, months int) int64 {
	y, m, d := civil(days)
	total := y*12 + (m - 1) + months
	ny, nm := total/12, total%12+1
	if total < 0 && total%12 != 0 {
		ny = (total - 11) / 12
		nm = total - ny*12 + 1
	}
	return daysFromCivil(ny, nm, min(d, daysInMonth(ny, nm)))
}

func addMonthsKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	d, k := values[int32](arrays[0]), values[int32](arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	for i := range out {
		if validity.valid(i) {
			out[i] = int32(addMonths(int64(d[i]), int(k[i])))
		}
	}
	return datumOf(makeFixedArray(arrow.FixedWidthTypes.Date32, n, buf, validity)), nil
}

func dateDiffKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	end, start := values[int32](arrays[0]), values[int32](arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	for i := range out {
		out[i] = end[i] - start[i]
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int32, n, buf, validity)), nil
}

// monthsBetweenKernel follows Spark's DateTimeUtils.monthsBetween: whole months when both days
// are the same day of month or both are month ends, otherwise the day and time difference over
// a 31-day month; rounded to 8 digits when args[2] is true.
func monthsBetweenKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	roundOff := true
	if s, ok := args[2].(*compute.ScalarDatum); ok && s.Value.IsValid() {
		roundOff = s.Value.(*scalar.Boolean).Value
	}
	arrays, err := argArrays(ec, call, args[:2], length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	get1, err := temporalInput(ec, arrays[0])
	if err != nil {
		return nil, err
	}
	get2, err := temporalInput(ec, arrays[1])
	if err != nil {
		return nil, err
	}
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[float64](ec.Task.Allocator, n)
	for i := range out {
		if !validity.valid(i) {
			continue
		}
		t1, t2 := get1(i), get2(i)
		d1, d2 := floorDiv(t1, microsPerDay), floorDiv(t2, microsPerDay)
		y1, m1, day1 := civil(d1)
		y2, m2, day2 := civil(d2)
		months := float64((y1-y2)*12 + (m1 - m2))
		if day1 == day2 || (day1 == daysInMonth(y1, m1) && day2 == daysInMonth(y2, m2)) {
			out[i] = months
			continue
		}
		sec1 := float64(day1-1)*86400 + float64(t1-d1*microsPerDay)/1e6
		sec2 := float64(day2-1)*86400 + float64(t2-d2*microsPerDay)/1e6
		v := months + (sec1-sec2)/(31*86400)
		if roundOff {
			v = math.Round(v*1e8) / 1e8
		}
		out[i] = v
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Float64, n, buf, validity)), nil
}

func lastDayKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	return datumOf(mapFixed(ec, arrow.FixedWidthTypes.Date32, arrays[0], func(d int32) int32 {
		y, m, _ := civil(int64(d))
		return int32(daysFromCivil(y, m, daysInMonth(y, m)))
	})), nil
}

// truncateLocal truncates wall-clock microseconds to a unit; ok is false for an unknown unit.
func truncateLocal(local int64, unit string) (int64, bool) {
	days := floorDiv(local, microsPerDay)
	switch strings.ToLower(unit) {
	case "year", "yyyy", "yy":
		y, _, _ := civil(days)
		return daysFromCivil(y, 1, 1) * microsPerDay, true
	case "quarter":
		y, m, _ := civil(days)
		return daysFromCivil(y, (m-1)/3*3+1, 1) * microsPerDay, true
	case "month", "mon", "mm":
		y, m, _ := civil(days)
		return daysFromCivil(y, m, 1) * microsPerDay, true
	case "week": // the Monday of the week
		dow := (days%7 + 7 + 3) % 7
		return (days - dow) * microsPerDay, true
	case "day", "dd":
		return days * microsPerDay, true
	case "hour":
		return floorDiv(local, 3_600_000_000) * 3_600_000_000, true
	case "minute":
		return floorDiv(local, 60_000_000) * 60_000_000, true
	case "second":
		return floorDiv(local, 1_000_000) * 1_000_000, true
	case "millisecond":
		return floorDiv(local, 1000) * 1000, true
	case "microsecond":
		return local, true
	}
	return 0, false
}

// truncDateKernel is trunc(date, fmt): null for units finer than a week or unknown units.
func truncDateKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	d := values[int32](arrays[0])
	units := stringsOf(arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	for i := range out {
		if !validity.valid(i) {
			continue
		}
		unit := strings.ToLower(string(units.at(i)))
		switch unit {
		case "year", "yyyy", "yy", "quarter", "month", "mon", "mm", "week":
			t, _ := truncateLocal(int64(d[i])*microsPerDay, unit)
			out[i] = int32(t / microsPerDay)
		default:
			validity.setNull(i)
		}
	}
	return datumOf(makeFixedArray(arrow.FixedWidthTypes.Date32, n, buf, validity)), nil
}

// truncTimestampKernel is date_trunc(fmt, ts) in the session time zone.
func truncTimestampKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	units := stringsOf(arrays[0])
	t := arrays[1].DataType().(*arrow.TimestampType)
	v := values[int64](arrays[1])
	loc := timestampLocation(ec, t)
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int64](ec.Task.Allocator, n)
	for i := range out {
		if !validity.valid(i) {
			continue
		}
		local, ok := truncateLocal(localMicros(toMicros(v[i], t.Unit), loc), string(units.at(i)))
		if !ok {
			validity.setNull(i)
			continue
		}
		out[i] = fromMicros(fromLocalMicros(local, loc), t.Unit)
	}
	return datumOf(makeFixedArray(call.Type, n, buf, validity)), nil
}

// ---- datetime patterns -----------------------------------------------------------------------

type patternToken struct {
	letter  byte // 0 for literal text
	count   int
	literal string
}

var patternLetters = "GyuYMLdDQqEeaHhKkmsSnVzOXxZ"

// parseDatetimePattern splits a Spark datetime pattern into fields and literal text.
func parseDatetimePattern(pattern string) ([]patternToken, error) {
	var tokens []patternToken
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			end := strings.IndexByte(pattern[i+1:], '\'')
			if end < 0 {
				return nil, errkind.Invalid("the datetime pattern %q has an unclosed quote", pattern)
			}
			text := pattern[i+1 : i+1+end]
			if text == "" {
				text = "'"
			}
			tokens = append(tokens, patternToken{literal: text})
			i += end + 2
		case strings.IndexByte(patternLetters, c) >= 0:
			j := i
			for j < len(pattern) && pattern[j] == c {
				j++
			}
			tokens = append(tokens, patternToken{letter: c, count: j - i})
			i = j
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			return nil, errkind.Invalid("the datetime pattern %q uses the letter '%c', which Spark does not define; quote literal text with ''", pattern, c)
		default:
			tokens = append(tokens, patternToken{literal: string(c)})
			i++
		}
	}
	return tokens, nil
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var dayNames = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

func padNumber(dst []byte, v, width int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	s := strconv.Itoa(v)
	for k := len(s); k < width; k++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// formatLocal appends wall-clock microseconds local (with the zone offset for zone letters)
// formatted by tokens.
func formatLocal(dst []byte, tokens []patternToken, local int64, offsetSeconds int, zoneName string) []byte {
	days := floorDiv(local, microsPerDay)
	inDay := local - days*microsPerDay
	y, m, d := civil(days)
	hour := int(inDay / 3_600_000_000)
	minute := int(inDay / 60_000_000 % 60)
	second := int(inDay / 1_000_000 % 60)
	micros := int(inDay % 1_000_000)
	for _, t := range tokens {
		switch t.letter {
		case 0:
			dst = append(dst, t.literal...)
		case 'y', 'u', 'Y':
			if t.count == 2 {
				dst = padNumber(dst, y%100, 2)
			} else {
				dst = padNumber(dst, y, t.count)
			}
		case 'M', 'L':
			switch {
			case t.count >= 4:
				dst = append(dst, monthNames[m-1]...)
			case t.count == 3:
				dst = append(dst, monthNames[m-1][:3]...)
			default:
				dst = padNumber(dst, m, t.count)
			}
		case 'd':
			dst = padNumber(dst, d, t.count)
		case 'D':
			dst = padNumber(dst, int(days-daysFromCivil(y, 1, 1))+1, t.count)
		case 'Q', 'q':
			dst = padNumber(dst, (m-1)/3+1, t.count)
		case 'E', 'e':
			name := dayNames[(days%7+7+3)%7]
			if t.count >= 4 {
				dst = append(dst, name...)
			} else {
				dst = append(dst, name[:3]...)
			}
		case 'a':
			if hour < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'H':
			dst = padNumber(dst, hour, t.count)
		case 'k':
			h := hour
			if h == 0 {
				h = 24
			}
			dst = padNumber(dst, h, t.count)
		case 'h':
			h := hour % 12
			if h == 0 {
				h = 12
			}
			dst = padNumber(dst, h, t.count)
		case 'K':
			dst = padNumber(dst, hour%12, t.count)
		case 'm':
			dst = padNumber(dst, minute, t.count)
		case 's':
			dst = padNumber(dst, second, t.count)
		case 'S':
			frac := fmt.Sprintf("%06d", micros)
			for k := 0; k < t.count; k++ {
				if k < 6 {
					dst = append(dst, frac[k])
				} else {
					dst = append(dst, '0')
				}
			}
		case 'X', 'x', 'Z', 'O':
			dst = appendOffset(dst, t, offsetSeconds)
		case 'z', 'V':
			dst = append(dst, zoneName...)
		case 'G':
			dst = append(dst, "AD"...)
		}
	}
	return dst
}

func appendOffset(dst []byte, t patternToken, off int) []byte {
	if off == 0 && t.letter == 'X' {
		return append(dst, 'Z')
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	h, m := off/3600, off/60%60
	dst = append(dst, sign)
	dst = padNumber(dst, h, 2)
	switch {
	case t.letter == 'Z' && t.count <= 3, t.count == 2 && t.letter != 'Z':
		dst = padNumber(dst, m, 2)
	case t.count == 1 && t.letter != 'Z':
		if m != 0 {
			dst = padNumber(dst, m, 2)
		}
	default:
		dst = append(dst, ':')
		dst = padNumber(dst, m, 2)
	}
	return dst
}

// parsedFields is what a pattern parse produced.
type parsedFields struct {
	year, month, day, dayOfYear int
	hour, minute, second, micro int
	pm, hasAmPm, hasZone        bool
	offset                      int
	loc                         *time.Location
}

// parseWithPattern parses text fully with tokens (Spark is strict: the whole text must match).
func parseWithPattern(tokens []patternToken, text string) (parsedFields, bool) {
	f := parsedFields{year: 1970, month: 1, day: 1}
	pos := 0
	readDigits := func(minWidth, maxWidth int) (int, bool) {
		start := pos
		neg := false
		if pos < len(text) && (text[pos] == '-' || text[pos] == '+') && maxWidth > 4 {
			neg = text[pos] == '-'
			pos++
			start = pos
		}
		for pos < len(text) && pos-start < maxWidth && text[pos] >= '0' && text[pos] <= '9' {
			pos++
		}
		if pos-start < minWidth {
			return 0, false
		}
		v, err := strconv.Atoi(text[start:pos])
		if neg {
			v = -v
		}
		return v, err == nil
	}
	for k, t := range tokens {
		// A numeric field followed directly by another numeric field has a fixed width.
		adjacent := k+1 < len(tokens) && tokens[k+1].letter != 0
		width := func(defaultMax int) (int, int) {
			if t.count == 1 && !adjacent {
				return 1, defaultMax
			}
			return t.count, max(t.count, 2)
		}
		var ok bool
		switch t.letter {
		case 0:
			if !strings.HasPrefix(text[pos:], t.literal) {
				return f, false
			}
			pos += len(t.literal)
			ok = true
		case 'y', 'u', 'Y':
			if t.count == 2 {
				var v int
				if v, ok = readDigits(2, 2); ok {
					f.year = 2000 + v
				}
			} else {
				lo, hi := t.count, 9
				if adjacent {
					hi = t.count
				}
				f.year, ok = readDigits(lo, hi)
			}
		case 'M', 'L':
			if t.count >= 3 {
				ok = false
				for idx, name := range monthNames {
					candidate := name
					if t.count == 3 {
						candidate = name[:3]
					}
					if len(text)-pos >= len(candidate) && strings.EqualFold(text[pos:pos+len(candidate)], candidate) {
						f.month, pos, ok = idx+1, pos+len(candidate), true
						break
					}
				}
			} else {
				lo, hi := width(2)
				f.month, ok = readDigits(lo, hi)
			}
		case 'd':
			lo, hi := width(2)
			f.day, ok = readDigits(lo, hi)
		case 'D':
			lo, hi := width(3)
			f.dayOfYear, ok = readDigits(lo, hi)
		case 'H', 'k':
			lo, hi := width(2)
			f.hour, ok = readDigits(lo, hi)
		case 'h', 'K':
			lo, hi := width(2)
			f.hour, ok = readDigits(lo, hi)
			f.hasAmPm = true
		case 'm':
			lo, hi := width(2)
			f.minute, ok = readDigits(lo, hi)
		case 's':
			lo, hi := width(2)
			f.second, ok = readDigits(lo, hi)
		case 'S':
			start := pos
			for pos < len(text) && pos-start < t.count && text[pos] >= '0' && text[pos] <= '9' {
				pos++
			}
			digits := text[start:pos]
			ok = len(digits) > 0
			if ok {
				f.micro, _ = strconv.Atoi((digits + "000000")[:6])
			}
		case 'a':
			rest := strings.ToUpper(text[pos:])
			switch {
			case strings.HasPrefix(rest, "AM"):
				pos, ok = pos+2, true
			case strings.HasPrefix(rest, "PM"):
				f.pm, pos, ok = true, pos+2, true
			}
			f.hasAmPm = true
		case 'E', 'e':
			ok = false
			for _, name := range dayNames {
				candidate := name
				if t.count < 4 {
					candidate = name[:3]
				}
				if len(text)-pos >= len(candidate) && strings.EqualFold(text[pos:pos+len(candidate)], candidate) {
					pos, ok = pos+len(candidate), true
					break
				}
			}
		case 'X', 'x', 'Z', 'O':
			if pos < len(text) && text[pos] == 'Z' {
				pos, ok, f.hasZone = pos+1, true, true
				break
			}
			end := pos + 1
			for end < len(text) && (text[end] >= '0' && text[end] <= '9' || text[end] == ':') {
				end++
			}
			f.offset, ok = parseZoneOffset(strings.TrimPrefix(text[pos:end], "GMT"))
			f.hasZone, pos = true, end
		case 'z', 'V':
			end := pos
			for end < len(text) && text[end] != ' ' {
				end++
			}
			if l, err := time.LoadLocation(text[pos:end]); err == nil {
				f.loc, ok, f.hasZone, pos = l, true, true, end
			}
		case 'G':
			ok = strings.HasPrefix(text[pos:], "AD")
			pos += 2
		}
		if !ok {
			return f, false
		}
	}
	if pos != len(text) {
		return f, false
	}
	if f.hasAmPm {
		if f.hour > 12 || f.hour < 0 {
			return f, false
		}
		f.hour %= 12
		if f.pm {
			f.hour += 12
		}
	}
	if f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysInMonth(f.year, f.month) || f.hour > 23 || f.minute > 59 || f.second > 59 {
		return f, false
	}
	return f, true
}

// toMicrosIn turns parsed fields into an instant; fields without a zone are wall-clock in loc.
func (f parsedFields) toMicrosIn(loc *time.Location) int64 {
	days := daysFromCivil(f.year, f.month, f.day)
	if f.dayOfYear > 0 {
		days = daysFromCivil(f.year, 1, 1) + int64(f.dayOfYear) - 1
	}
	local := days*microsPerDay + int64(f.hour)*3_600_000_000 + int64(f.minute)*60_000_000 + int64(f.second)*1_000_000 + int64(f.micro)
	switch {
	case f.loc != nil:
		return fromLocalMicros(local, f.loc)
	case f.hasZone:
		return local - int64(f.offset)*1_000_000
	}
	return fromLocalMicros(local, loc)
}

// patternCacheFor parses a pattern argument (usually a literal) once.
type datetimePatterns struct {
	last   string
	tokens []patternToken
	err    error
	ok     bool
}

func (p *datetimePatterns) get(pattern string) ([]patternToken, error) {
	if !p.ok || pattern != p.last {
		p.tokens, p.err = parseDatetimePattern(pattern)
		p.last, p.ok = pattern, true
	}
	return p.tokens, p.err
}

func dateFormatKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	patterns := stringsOf(arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, n*20)
	cache := &datetimePatterns{}
	var instant func(i int) int64
	loc := time.UTC
	switch t := arrays[0].DataType().(type) {
	case *arrow.Date32Type:
		v := values[int32](arrays[0])
		instant = func(i int) int64 { return int64(v[i]) * microsPerDay }
	case *arrow.TimestampType:
		v := values[int64](arrays[0])
		loc = timestampLocation(ec, t)
		instant = func(i int) int64 { return toMicros(v[i], t.Unit) }
	default:
		validity.release()
		return nil, errkind.Internal("date_format on %s", arrays[0].DataType())
	}
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			out.appendEmpty()
			continue
		}
		tokens, err := cache.get(string(patterns.at(i)))
		if err != nil {
			validity.release()
			return nil, err
		}
		m := instant(i)
		off, name := 0, "UTC"
		if loc != time.UTC {
			name, off = time.UnixMicro(m).In(loc).Zone()
		}
		out.data = formatLocal(out.data, tokens, m+int64(off)*1_000_000, off, name)
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
}

// parseFailure is Spark's error for text that does not match the pattern (ANSI), or null.
func parseFailure(ec *EvalContext, call *logical.Call, text, pattern string) error {
	return errkind.Invalid("[CANNOT_PARSE_TIMESTAMP] Text '%s' could not be parsed with the pattern '%s' in %s. Use try_to_timestamp to tolerate malformed input and return NULL instead, or set spark.sql.ansi.enabled=false",
		text, pattern, call.String())
}

func failOnParse(call *logical.Call, ec *EvalContext) bool {
	return ec.Task.ANSI && !strings.HasPrefix(call.Display, "try_")
}

// parseStrings parses args[0] (strings) with the pattern args[1] into instants.
func parseStrings(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64, emit func(i int, micros int64)) (*validityBuilder, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	texts, patterns := stringsOf(arrays[0]), stringsOf(arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	cache := &datetimePatterns{}
	loc := sessionLocation(ec)
	if t, ok := call.Type.(*arrow.TimestampType); ok && t.TimeZone == "" {
		loc = time.UTC
	}
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		pattern := string(patterns.at(i))
		tokens, err := cache.get(pattern)
		if err != nil {
			validity.release()
			return nil, err
		}
		f, ok := parseWithPattern(tokens, string(texts.at(i)))
		if !ok {
			if failOnParse(call, ec) {
				validity.release()
				return nil, parseFailure(ec, call, string(texts.at(i)), pattern)
			}
			validity.setNull(i)
			continue
		}
		emit(i, f.toMicrosIn(loc))
	}
	return validity, nil
}

func toTimestampFormatKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	buf, out := newFixedBuffer[int64](ec.Task.Allocator, int(length))
	unit := call.Type.(*arrow.TimestampType).Unit
	validity, err := parseStrings(ec, call, args, length, func(i int, micros int64) { out[i] = fromMicros(micros, unit) })
	if err != nil {
		buf.Release()
		return nil, err
	}
	return datumOf(makeFixedArray(call.Type, int(length), buf, validity)), nil
}

func toDateFormatKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, int(length))
	loc := sessionLocation(ec)
	validity, err := parseStrings(ec, call, args, length, func(i int, micros int64) { out[i] = localDays(micros, loc) })
	if err != nil {
		buf.Release()
		return nil, err
	}
	return datumOf(makeFixedArray(arrow.FixedWidthTypes.Date32, int(length), buf, validity)), nil
}

// unixTimestampKernel: args[0] is a timestamp (seconds since the epoch, floored) or a string
// parsed with the pattern args[1].
func unixTimestampKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	n := int(length)
	if call.Args[0].DataType().ID() == arrow.STRING {
		buf, out := newFixedBuffer[int64](ec.Task.Allocator, n)
		validity, err := parseStrings(ec, call, args, length, func(i int, micros int64) { out[i] = floorDiv(micros, 1_000_000) })
		if err != nil {
			buf.Release()
			return nil, err
		}
		return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int64, n, buf, validity)), nil
	}
	arrays, err := argArrays(ec, call, args[:1], length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	switch t := arrays[0].DataType().(type) {
	case *arrow.TimestampType:
		return datumOf(mapFixed(ec, arrow.PrimitiveTypes.Int64, arrays[0], func(v int64) int64 {
			return floorDiv(toMicros(v, t.Unit), 1_000_000)
		})), nil
	case *arrow.Date32Type:
		loc := sessionLocation(ec)
		return datumOf(mapFixed(ec, arrow.PrimitiveTypes.Int64, arrays[0], func(d int32) int64 {
			return floorDiv(localMidnight(d, loc), 1_000_000)
		})), nil
	}
	return nil, errkind.Internal("unix_timestamp on %s", arrays[0].DataType())
}

func fromUnixtimeKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	secs := values[int64](arrays[0])
	patterns := stringsOf(arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, n*20)
	cache := &datetimePatterns{}
	loc := sessionLocation(ec)
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			out.appendEmpty()
			continue
		}
		tokens, err := cache.get(string(patterns.at(i)))
		if err != nil {
			validity.release()
			return nil, err
		}
		m := secs[i] * 1_000_000
		name, off := time.UnixMicro(m).In(loc).Zone()
		out.data = formatLocal(out.data, tokens, m+int64(off)*1_000_000, off, name)
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
}

func makeDateKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	y, m, d := values[int32](arrays[0]), values[int32](arrays[1]), values[int32](arrays[2])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	for i := range out {
		if !validity.valid(i) {
			continue
		}
		if m[i] < 1 || m[i] > 12 || d[i] < 1 || int(d[i]) > daysInMonth(int(y[i]), int(m[i])) {
			if ec.Task.ANSI {
				validity.release()
				buf.Release()
				return nil, errkind.Invalid("[DATETIME_FIELD_OUT_OF_BOUNDS] make_date(%d, %d, %d) is not a valid date. Use try_make_date or set spark.sql.ansi.enabled=false to get NULL instead", y[i], m[i], d[i])
			}
			validity.setNull(i)
			continue
		}
		out[i] = int32(daysFromCivil(int(y[i]), int(m[i]), int(d[i])))
	}
	return datumOf(makeFixedArray(arrow.FixedWidthTypes.Date32, n, buf, validity)), nil
}
