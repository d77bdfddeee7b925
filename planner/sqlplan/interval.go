package sqlplan

import (
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Interval literals follow Spark's ANSI types: YEAR/MONTH units make a year-month interval
// (Arrow month interval), DAY..SECOND units a day-time interval (Arrow duration in
// microseconds), and a literal mixing both a calendar interval (Arrow month-day-nano).

type intervalValue struct {
	months int64
	micros int64
}

var intervalUnits = map[string]func(v float64) intervalValue{
	"year":        func(v float64) intervalValue { return intervalValue{months: int64(v * 12)} },
	"month":       func(v float64) intervalValue { return intervalValue{months: int64(v)} },
	"week":        func(v float64) intervalValue { return intervalValue{micros: int64(v * 7 * 86400e6)} },
	"day":         func(v float64) intervalValue { return intervalValue{micros: int64(v * 86400e6)} },
	"hour":        func(v float64) intervalValue { return intervalValue{micros: int64(v * 3600e6)} },
	"minute":      func(v float64) intervalValue { return intervalValue{micros: int64(v * 60e6)} },
	"second":      func(v float64) intervalValue { return intervalValue{micros: int64(v * 1e6)} },
	"millisecond": func(v float64) intervalValue { return intervalValue{micros: int64(v * 1e3)} },
	"microsecond": func(v float64) intervalValue { return intervalValue{micros: int64(v)} },
}

func unitName(word string) (string, bool) {
	w := strings.ToLower(word)
	if _, ok := intervalUnits[w]; ok {
		return w, true
	}
	if strings.HasSuffix(w, "s") {
		if _, ok := intervalUnits[w[:len(w)-1]]; ok {
			return w[:len(w)-1], true
		}
	}
	return "", false
}

// interval parses INTERVAL '90' DAY, INTERVAL 3 MONTHS, INTERVAL 1 DAY 2 HOURS,
// INTERVAL '1 day 2 hours', INTERVAL '1-2' YEAR TO MONTH, INTERVAL '1 02:03:04' DAY TO SECOND.
func (p *parser) interval() (logical.Expr, error) {
	start := p.next() // INTERVAL
	var total intervalValue
	sawYearMonth, sawDayTime := false, false
	count := 0
	for {
		negative := p.acceptOp("-")
		t := p.peek()
		if t.kind != tokString && t.kind != tokNumber {
			break
		}
		p.next()
		unitTok := p.peek()
		unit, isUnit := unitName(unitTok.text)
		if unitTok.kind != tokIdent || !isUnit {
			if t.kind == tokString && count == 0 {
				v, ym, dt, err := parseIntervalString(t.text)
				if err != nil {
					return nil, syntaxErrorAt(p.text, t.pos, t.text, "%v", err)
				}
				if negative {
					v = intervalValue{-v.months, -v.micros}
				}
				return intervalLiteral(v, ym, dt), nil
			}
			return nil, p.errorf("expected an interval unit (YEAR, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND)")
		}
		p.next()
		p.skipPrecision()
		var v intervalValue
		if p.acceptKeyword("TO") {
			endTok := p.peek()
			endUnit, ok := unitName(endTok.text)
			if !ok {
				return nil, p.errorf("expected an interval unit after TO")
			}
			p.next()
			p.skipPrecision()
			parsed, err := parseIntervalRange(t.text, unit, endUnit)
			if err != nil {
				return nil, syntaxErrorAt(p.text, t.pos, t.text, "%v", err)
			}
			v = parsed
		} else {
			text := strings.TrimSpace(t.text)
			sign := 1.0
			if strings.HasPrefix(text, "-") {
				sign, text = -1, text[1:]
			}
			f, err := strconv.ParseFloat(strings.TrimRight(text, "LlDd"), 64)
			if err != nil {
				return nil, syntaxErrorAt(p.text, t.pos, t.text, "interval value '%s' is not a number", t.text)
			}
			v = intervalUnits[unit](sign * f)
		}
		if negative {
			v = intervalValue{-v.months, -v.micros}
		}
		if unit == "year" || unit == "month" {
			sawYearMonth = true
		} else {
			sawDayTime = true
		}
		total.months += v.months
		total.micros += v.micros
		count++
	}
	if count == 0 {
		return nil, syntaxErrorAt(p.text, start.pos, "INTERVAL", "INTERVAL needs a value and a unit, e.g. INTERVAL '3' DAY")
	}
	return intervalLiteral(total, sawYearMonth, sawDayTime), nil
}

// skipPrecision skips a unit precision such as DAY (3) in the TPC-H text.
func (p *parser) skipPrecision() {
	if p.atOp("(") && p.peekAt(1).kind == tokNumber && p.peekAt(2).text == ")" {
		p.next()
		p.next()
		p.next()
	}
}

func intervalLiteral(v intervalValue, yearMonth, dayTime bool) *logical.Literal {
	switch {
	case yearMonth && !dayTime:
		return logical.NewLiteral(scalar.NewMonthIntervalScalar(arrow.MonthInterval(v.months)))
	case dayTime && !yearMonth:
		return logical.NewLiteral(scalar.NewDurationScalar(arrow.Duration(v.micros), &arrow.DurationType{Unit: arrow.Microsecond}))
	}
	days := v.micros / 86400e6
	return logical.NewLiteral(scalar.NewMonthDayNanoIntervalScalar(arrow.MonthDayNanoInterval{
		Months: int32(v.months), Days: int32(days), Nanoseconds: (v.micros - days*86400e6) * 1000}))
}

// parseIntervalString reads '1 day 2 hours' (Spark's multi-unit string form).
func parseIntervalString(s string) (intervalValue, bool, bool, error) {
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) > 0 && fields[0] == "interval" {
		fields = fields[1:]
	}
	if len(fields) == 0 || len(fields)%2 != 0 {
		return intervalValue{}, false, false, errkind.Invalid("interval '%s' needs a unit: write INTERVAL '%s' DAY or INTERVAL '1 day 2 hours'", s, s)
	}
	var total intervalValue
	ym, dt := false, false
	for i := 0; i < len(fields); i += 2 {
		f, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return intervalValue{}, false, false, errkind.Invalid("interval value '%s' is not a number", fields[i])
		}
		unit, ok := unitName(fields[i+1])
		if !ok {
			return intervalValue{}, false, false, errkind.Invalid("unknown interval unit '%s'", fields[i+1])
		}
		v := intervalUnits[unit](f)
		total.months += v.months
		total.micros += v.micros
		if unit == "year" || unit == "month" {
			ym = true
		} else {
			dt = true
		}
	}
	return total, ym, dt, nil
}

// parseIntervalRange reads '1-2' YEAR TO MONTH and '1 02:03:04.5' DAY TO SECOND forms.
func parseIntervalRange(s, from, to string) (intervalValue, error) {
	s = strings.TrimSpace(s)
	sign := int64(1)
	if strings.HasPrefix(s, "-") {
		sign, s = -1, s[1:]
	}
	if from == "year" && to == "month" {
		y, m, ok := strings.Cut(s, "-")
		yi, err1 := strconv.ParseInt(y, 10, 64)
		mi, err2 := strconv.ParseInt(m, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return intervalValue{}, errkind.Invalid("'%s' is not a YEAR TO MONTH interval; write 'y-m'", s)
		}
		return intervalValue{months: sign * (yi*12 + mi)}, nil
	}
	// Day-time: [d ][hh:]mm[:ss[.fff]] depending on the units.
	var micros int64
	rest := s
	if from == "day" {
		d, r, ok := strings.Cut(rest, " ")
		di, err := strconv.ParseInt(d, 10, 64)
		if err != nil {
			return intervalValue{}, errkind.Invalid("'%s' is not a DAY TO %s interval", s, strings.ToUpper(to))
		}
		micros += di * 86400e6
		if !ok {
			return intervalValue{micros: sign * micros}, nil
		}
		rest = r
	}
	parts := strings.Split(rest, ":")
	scales := map[string]float64{"hour": 3600e6, "minute": 60e6, "second": 1e6}
	order := []string{"hour", "minute", "second"}
	first := 0
	if from == "minute" {
		first = 1
	} else if from == "second" {
		first = 2
	}
	for i, part := range parts {
		if first+i >= len(order) {
			return intervalValue{}, errkind.Invalid("'%s' has too many fields for an interval up to %s", s, strings.ToUpper(to))
		}
		f, err := strconv.ParseFloat(part, 64)
		if err != nil {
			return intervalValue{}, errkind.Invalid("'%s' is not a valid day-time interval", s)
		}
		micros += int64(f * scales[order[first+i]])
	}
	return intervalValue{micros: sign * micros}, nil
}

// foldBinary builds a binary operator call, folding date literal +/- interval literal into a
// date literal (TPC-H's "date '1998-12-01' - interval '90' day") so filters compare with a
// constant, as Spark's constant folding does.
func foldBinary(op string, left, right logical.Expr) logical.Expr {
	if op == "+" || op == "-" {
		if d, ok := left.(*logical.Literal); ok {
			if i, ok := right.(*logical.Literal); ok {
				if folded, ok := addInterval(d, i, op == "-"); ok {
					return folded
				}
			}
		}
		if op == "+" {
			if i, ok := left.(*logical.Literal); ok {
				if d, ok := right.(*logical.Literal); ok {
					if folded, ok := addInterval(d, i, false); ok {
						return folded
					}
				}
			}
		}
	}
	return call(op, left, right)
}

func addInterval(date, interval *logical.Literal, subtract bool) (*logical.Literal, bool) {
	d, ok := date.Value.(*scalar.Date32)
	if !ok || !d.IsValid() || !interval.Value.IsValid() {
		return nil, false
	}
	sign := int64(1)
	if subtract {
		sign = -1
	}
	t := d.Value.ToTime()
	switch v := interval.Value.(type) {
	case *scalar.MonthInterval:
		t = addMonths(t, sign*int64(v.Value))
	case *scalar.Duration:
		if int64(v.Value)%86400e6 != 0 {
			return nil, false // date + hours is a timestamp in Spark; leave it to the analyzer
		}
		t = t.AddDate(0, 0, int(sign*int64(v.Value)/86400e6))
	case *scalar.MonthDayNanoInterval:
		if v.Value.Nanoseconds != 0 {
			return nil, false
		}
		t = addMonths(t, sign*int64(v.Value.Months)).AddDate(0, 0, int(sign*int64(v.Value.Days)))
	default:
		return nil, false
	}
	return logical.NewLiteral(scalar.NewDate32Scalar(arrow.Date32FromTime(t))), true
}

// addMonths adds months clamping to the end of the month (2020-01-31 + 1 month = 2020-02-29),
// as Spark's add_months does.
func addMonths(t time.Time, months int64) time.Time {
	y, m, d := t.Date()
	total := int64(y)*12 + int64(m-1) + months
	ny, nm := int(total/12), time.Month(total%12+1)
	last := time.Date(ny, nm+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return time.Date(ny, nm, min(d, last), 0, 0, 0, 0, time.UTC)
}
