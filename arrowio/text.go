package arrowio

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
)

func nan() float64         { return math.NaN() }
func inf(sign int) float64 { return math.Inf(sign) }

func newBatch(sc *arrow.Schema, cols []arrow.Array, rows int64) arrow.RecordBatch {
	return array.NewRecordBatch(sc, cols, rows)
}

// buildTextColumn converts text fields to a column of f's type. Values that do not parse are
// null in PERMISSIVE mode (Spark's default) and an error in FAILFAST mode.
func buildTextColumn(mem memory.Allocator, f arrow.Field, values []csvField, o *csvOptions, tz, path string) (arrow.Array, error) {
	b := array.NewBuilder(mem, f.Type)
	defer b.Release()
	b.Reserve(len(values))
	bad := func(v string) error {
		if o.mode == "FAILFAST" {
			return errkind.Invalid("[MALFORMED_RECORD_IN_PARSING] cannot parse %q as %s for column %s in %s (mode FAILFAST); fix the data, give a string schema, or use mode PERMISSIVE", v, f.Type, f.Name, path)
		}
		b.AppendNull()
		return nil
	}
	for _, fv := range values {
		if o.isNull(fv) {
			if f.Type.ID() == arrow.STRING && fv.quoted && fv.value == "" {
				b.(*array.StringBuilder).Append(o.emptyValue)
				continue
			}
			b.AppendNull()
			continue
		}
		v := fv.value
		switch bb := b.(type) {
		case *array.StringBuilder:
			bb.Append(v)
		case *array.LargeStringBuilder:
			bb.Append(v)
		case *array.BinaryBuilder:
			bb.Append([]byte(v))
		case *array.Int8Builder:
			n, err := strconv.ParseInt(v, 10, 8)
			if err != nil {
				if e := bad(v); e != nil {
					return nil, e
				}
				continue
			}
			bb.Append(int8(n))
		case *array.Int16Builder:
			n, err := strconv.ParseInt(v, 10, 16)
			if err != nil {
				if e := bad(v); e != nil {
					return nil, e
				}
				continue
			}
			bb.Append(int16(n))
		case *array.Int32Builder:
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil {
				if e := bad(v); e != nil {
					return nil, e
				}
				continue
			}
			bb.Append(int32(n))
		case *array.Int64Builder:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				if e := bad(v); e != nil {
					return nil, e
				}
				continue
			}
			bb.Append(n)
		case *array.Float32Builder:
			x, ok := parseJavaDouble(v, o)
			if !ok {
				if e := bad(v); e != nil {
					return nil, e
				}
				continue
			}
			bb.Append(float32(x))
		case *array.Float64Builder:
			x, ok := parseJavaDouble(v, o)
			if !ok {
				if e := bad(v); e != nil {
					return nil, e
				}
				continue
			}
			bb.Append(x)
		case *array.BooleanBuilder:
			switch {
			case strings.EqualFold(v, "true"):
				bb.Append(true)
			case strings.EqualFold(v, "false"):
				bb.Append(false)
			default:
				if e := bad(v); e != nil {
					return nil, e
				}
			}
		case *array.Decimal128Builder:
			dt := f.Type.(*arrow.Decimal128Type)
			n, err := decimal128.FromString(strings.TrimSpace(v), dt.Precision, dt.Scale)
			if err != nil {
				if e := bad(v); e != nil {
					return nil, e
				}
				continue
			}
			bb.Append(n)
		case *array.Date32Builder:
			d, ok := parseDate(v, o.dateFormat, false)
			if !ok {
				if e := bad(v); e != nil {
					return nil, e
				}
				continue
			}
			bb.Append(d)
		case *array.TimestampBuilder:
			zone := tz
			tt := f.Type.(*arrow.TimestampType)
			if tt.TimeZone == "" {
				zone = "UTC" // timestamp_ntz: wall clock, no zone
			}
			micros, ok := parseTimestamp(v, o.timestampFormat, zone)
			if !ok {
				if e := bad(v); e != nil {
					return nil, e
				}
				continue
			}
			bb.Append(arrow.Timestamp(convertMicros(micros, tt.Unit)))
		default:
			return nil, errkind.NotImplemented("reading %s columns from text files (column %s)", f.Type, f.Name)
		}
	}
	return b.NewArray(), nil
}

func convertMicros(us int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return us / 1e6
	case arrow.Millisecond:
		return us / 1e3
	case arrow.Nanosecond:
		return us * 1e3
	}
	return us
}

var layoutCache sync.Map // Java pattern -> Go layout

// javaLayout converts a Java DateTimeFormatter pattern (yyyy-MM-dd HH:mm:ss.SSS) to a Go time
// layout; the common letters are supported.
func javaLayout(pattern string) string {
	if l, ok := layoutCache.Load(pattern); ok {
		return l.(string)
	}
	var b strings.Builder
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if c == '\'' {
			j := strings.IndexByte(pattern[i+1:], '\'')
			if j < 0 {
				b.WriteString(pattern[i+1:])
				break
			}
			b.WriteString(pattern[i+1 : i+1+j])
			i += j + 2
			continue
		}
		j := i
		for j < len(pattern) && pattern[j] == c {
			j++
		}
		n := j - i
		switch c {
		case 'y', 'u':
			if n == 2 {
				b.WriteString("06")
			} else {
				b.WriteString("2006")
			}
		case 'M', 'L':
			switch {
			case n == 1:
				b.WriteString("1")
			case n == 2:
				b.WriteString("01")
			case n == 3:
				b.WriteString("Jan")
			default:
				b.WriteString("January")
			}
		case 'd':
			if n == 1 {
				b.WriteString("2")
			} else {
				b.WriteString("02")
			}
		case 'H':
			b.WriteString("15")
		case 'h':
			if n == 1 {
				b.WriteString("3")
			} else {
				b.WriteString("03")
			}
		case 'm':
			if n == 1 {
				b.WriteString("4")
			} else {
				b.WriteString("04")
			}
		case 's':
			if n == 1 {
				b.WriteString("5")
			} else {
				b.WriteString("05")
			}
		case 'S':
			b.WriteString(strings.Repeat("0", n))
		case 'a':
			b.WriteString("PM")
		case 'E':
			if n >= 4 {
				b.WriteString("Monday")
			} else {
				b.WriteString("Mon")
			}
		case 'X':
			switch n {
			case 1:
				b.WriteString("Z07")
			case 2:
				b.WriteString("Z0700")
			default:
				b.WriteString("Z07:00")
			}
		case 'x':
			if n >= 3 {
				b.WriteString("-07:00")
			} else {
				b.WriteString("-0700")
			}
		case 'Z':
			b.WriteString("-0700")
		case 'z', 'V':
			b.WriteString("MST")
		default:
			b.WriteString(pattern[i:j])
		}
		i = j
	}
	l := b.String()
	layoutCache.Store(pattern, l)
	return l
}

var epochDay = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// parseDate parses a date with a Java pattern, or with Spark's default (yyyy-MM-dd; when not
// strict, also yyyy-M-d and a trailing time part as CAST does).
func parseDate(v, pattern string, strict bool) (arrow.Date32, bool) {
	if pattern != "" {
		t, err := time.Parse(javaLayout(pattern), v)
		if err != nil {
			return 0, false
		}
		return arrow.Date32FromTime(t), true
	}
	s := v
	if !strict {
		s = strings.TrimSpace(v)
		if i := strings.IndexAny(s, " T"); i > 0 {
			s = s[:i]
		}
	}
	if strict && !(len(s) == 10 && s[4] == '-' && s[7] == '-') {
		return 0, false
	}
	y, m, d, ok := splitDate(s)
	if !ok {
		return 0, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != m {
		return 0, false
	}
	return arrow.Date32FromTime(t), true
}

func splitDate(s string) (int, int, int, bool) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 || len(parts[0]) != 4 || len(parts[1]) < 1 || len(parts[1]) > 2 || len(parts[2]) < 1 || len(parts[2]) > 2 {
		return 0, 0, 0, false
	}
	y, e1 := strconv.Atoi(parts[0])
	m, e2 := strconv.Atoi(parts[1])
	d, e3 := strconv.Atoi(parts[2])
	if e1 != nil || e2 != nil || e3 != nil || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

var locationCache sync.Map

func loadLocation(name string) *time.Location {
	if name == "" || name == "UTC" {
		return time.UTC
	}
	if l, ok := locationCache.Load(name); ok {
		return l.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	locationCache.Store(name, loc)
	return loc
}

// parseTimestamp parses a timestamp to microseconds since the epoch. Without a pattern it
// accepts what Spark's CAST(string AS timestamp) does: yyyy-MM-dd, then optionally [T ]HH:mm,
// :ss, .fraction, and a zone (Z, +hh:mm, +hhmm, or a region id); zone-less values are in tz.
func parseTimestamp(v, pattern, tz string) (int64, bool) {
	loc := loadLocation(tz)
	if pattern != "" {
		t, err := time.ParseInLocation(javaLayout(pattern), v, loc)
		if err != nil {
			return 0, false
		}
		return t.UnixMicro(), true
	}
	s := strings.TrimSpace(v)
	if len(s) < 10 {
		return 0, false
	}
	y, m, d, ok := splitDate(s[:10])
	if !ok || len(strings.Split(s[:10], "-")[0]) != 4 {
		return 0, false
	}
	rest := s[10:]
	hh, mm, ss, nanos := 0, 0, 0, 0
	if rest != "" && (rest[0] == 'T' || rest[0] == ' ') {
		rest = rest[1:]
		// time: H[H]:m[m][:s[s][.fraction]]
		i := 0
		readNum := func(maxDigits int) (int, bool) {
			start := i
			for i < len(rest) && i-start < maxDigits && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			if i == start {
				return 0, false
			}
			n, _ := strconv.Atoi(rest[start:i])
			return n, true
		}
		var ok bool
		if hh, ok = readNum(2); !ok {
			return 0, false
		}
		if i < len(rest) && rest[i] == ':' {
			i++
			if mm, ok = readNum(2); !ok {
				return 0, false
			}
			if i < len(rest) && rest[i] == ':' {
				i++
				if ss, ok = readNum(2); !ok {
					return 0, false
				}
				if i < len(rest) && rest[i] == '.' {
					i++
					start := i
					for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
						i++
					}
					frac := rest[start:i]
					if len(frac) > 9 {
						frac = frac[:9]
					}
					frac += strings.Repeat("0", 9-len(frac))
					nanos, _ = strconv.Atoi(frac)
				}
			}
		} else {
			return 0, false
		}
		if hh > 23 || mm > 59 || ss > 59 {
			return 0, false
		}
		rest = strings.TrimSpace(rest[i:])
	}
	if rest != "" {
		switch {
		case rest == "Z" || rest == "UTC" || rest == "GMT":
			loc = time.UTC
		case rest[0] == '+' || rest[0] == '-':
			off := strings.ReplaceAll(rest[1:], ":", "")
			if len(off) != 2 && len(off) != 4 {
				return 0, false
			}
			h, err1 := strconv.Atoi(off[:2])
			mi := 0
			var err2 error
			if len(off) == 4 {
				mi, err2 = strconv.Atoi(off[2:])
			}
			if err1 != nil || err2 != nil {
				return 0, false
			}
			secs := h*3600 + mi*60
			if rest[0] == '-' {
				secs = -secs
			}
			loc = time.FixedZone(rest, secs)
		default:
			l, err := time.LoadLocation(rest)
			if err != nil {
				return 0, false
			}
			loc = l
		}
	}
	t := time.Date(y, time.Month(m), d, hh, mm, ss, nanos, loc)
	if t.Day() != d {
		return 0, false
	}
	return t.UnixMicro(), true
}
