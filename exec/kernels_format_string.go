package exec

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// format_string / printf with java.util.Formatter's syntax, which Spark uses:
// %[index$][flags][width][.precision]conversion with conversions s S d x X o f e E c b B % n and
// flags - + space 0 , #. A null argument prints as "null" (false for %b). A conversion that
// does not fit the argument is an error, as Java's IllegalFormatConversionException.

func init() {
	RegisterKernel("format_string", formatStringKernel)
}

type formatArgument struct {
	integers func(i int) int64
	bits     int
	floats   []float64
	booleans *array.Boolean
	strings  stringColumn
	valid    bitmap
	kind     arrow.Type
}

func formatStringKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	formats := stringsOf(arrays[0])
	arguments := make([]formatArgument, len(arrays)-1)
	for k, a := range arrays[1:] {
		f := formatArgument{valid: validityBitmap(a), kind: a.DataType().ID()}
		switch f.kind {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
			f.integers, _ = readInt64(a)
			f.bits = a.DataType().(arrow.FixedWidthDataType).BitWidth()
			f.kind = arrow.INT64
		case arrow.FLOAT64:
			f.floats = values[float64](a)
		case arrow.BOOL:
			f.booleans = a.(*array.Boolean)
		case arrow.STRING:
			f.strings = stringsOf(a)
		case arrow.NULL:
		default:
			return nil, errkind.Internal("format_string argument of %s", a.DataType())
		}
		arguments[k] = f
	}
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays[0])
	out := newStringOutput(n, n*16)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			text, err := formatJava(string(formats.at(i)), arguments, i)
			if err != nil {
				validity.release()
				return nil, err
			}
			out.data = append(out.data, text...)
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
}

func formatJava(format string, arguments []formatArgument, row int) (string, error) {
	var b strings.Builder
	next := 0
	for k := 0; k < len(format); k++ {
		if format[k] != '%' {
			b.WriteByte(format[k])
			continue
		}
		// %[index$][flags][width][.precision]conversion
		j := k + 1
		start := j
		for j < len(format) && format[j] >= '0' && format[j] <= '9' {
			j++
		}
		index := -1
		if j < len(format) && format[j] == '$' && j > start {
			index, _ = strconv.Atoi(format[start:j])
			j++
		} else {
			j = start
		}
		flagsStart := j
		for j < len(format) && strings.IndexByte("-#+ 0,(", format[j]) >= 0 {
			j++
		}
		flags := format[flagsStart:j]
		widthStart := j
		for j < len(format) && format[j] >= '0' && format[j] <= '9' {
			j++
		}
		width := format[widthStart:j]
		precision := ""
		if j < len(format) && format[j] == '.' {
			precisionStart := j
			j++
			for j < len(format) && format[j] >= '0' && format[j] <= '9' {
				j++
			}
			precision = format[precisionStart:j]
		}
		if j >= len(format) {
			return "", errkind.Invalid("[FORMAT_STRING] format_string: the format %q ends inside a conversion (java.util.UnknownFormatConversionException)", format)
		}
		conversion := format[j]
		k = j
		switch conversion {
		case '%':
			b.WriteString(pad("%", flags, width))
			continue
		case 'n':
			b.WriteByte('\n')
			continue
		}
		var argument *formatArgument
		switch {
		case index > 0:
			if index > len(arguments) {
				return "", errkind.Invalid("format_string: %q refers to argument %d, but there are %d (java.util.MissingFormatArgumentException)", format, index, len(arguments))
			}
			argument = &arguments[index-1]
		default:
			if next >= len(arguments) {
				return "", errkind.Invalid("format_string: %q needs more arguments than the %d given (java.util.MissingFormatArgumentException: Format specifier '%s')", format, len(arguments), format[flagsStart-1:j+1])
			}
			argument = &arguments[next]
			next++
		}
		text, err := formatOne(conversion, flags, width, precision, argument, row)
		if err != nil {
			return "", err
		}
		b.WriteString(text)
	}
	return b.String(), nil
}

func pad(s, flags, width string) string {
	w, _ := strconv.Atoi(width)
	if len([]rune(s)) >= w {
		return s
	}
	fill := strings.Repeat(" ", w-len([]rune(s)))
	if strings.Contains(flags, "-") {
		return s + fill
	}
	return fill + s
}

// groupThousands inserts commas into the integer digits of a formatted number.
func groupThousands(s string) string {
	sign := ""
	if s != "" && (s[0] == '-' || s[0] == '+' || s[0] == ' ') {
		sign, s = s[:1], s[1:]
	}
	digits, rest := s, ""
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		digits, rest = s[:dot], s[dot:]
	}
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String() + rest
}

func formatOne(conversion byte, flags, width, precision string, argument *formatArgument, row int) (string, error) {
	isNull := argument.kind == arrow.NULL || !argument.valid.get(row)
	mismatch := func() error {
		return errkind.Invalid("[FORMAT_STRING] format_string: %%%c cannot format a %s value (java.util.IllegalFormatConversionException)", conversion, strings.ToLower(argument.kind.String()))
	}
	upper := conversion >= 'A' && conversion <= 'Z'
	var text string
	switch strings.ToLower(string(conversion))[0] {
	case 'b':
		value := !isNull
		if argument.kind == arrow.BOOL && !isNull {
			value = argument.booleans.Value(row)
		}
		text = strconv.FormatBool(value)
		if precision != "" {
			p, _ := strconv.Atoi(precision[1:])
			text = text[:min(p, len(text))]
		}
	case 's':
		switch {
		case isNull:
			text = "null"
		case argument.kind == arrow.INT64:
			text = strconv.FormatInt(argument.integers(row), 10)
		case argument.kind == arrow.FLOAT64:
			text = formatJavaDouble(argument.floats[row], false)
		case argument.kind == arrow.BOOL:
			text = strconv.FormatBool(argument.booleans.Value(row))
		default:
			text = string(argument.strings.at(row))
		}
		if precision != "" {
			p, _ := strconv.Atoi(precision[1:])
			if r := []rune(text); len(r) > p {
				text = string(r[:p])
			}
		}
	case 'c':
		switch {
		case isNull:
			text = "null"
		case argument.kind == arrow.INT64:
			text = string(rune(argument.integers(row)))
		default:
			return "", mismatch()
		}
	case 'd', 'x', 'o':
		if isNull {
			text = "null"
			break
		}
		if argument.kind != arrow.INT64 {
			return "", mismatch()
		}
		v := argument.integers(row)
		unsigned := uint64(v)
		if argument.bits < 64 {
			unsigned &= 1<<argument.bits - 1 // Java prints a negative int in 32 bits
		}
		switch conversion {
		case 'd':
			goFlags := strings.NewReplacer(",", "", "(", "").Replace(flags)
			text = fmt.Sprintf("%"+goFlags+width+"d", v)
			if strings.Contains(flags, ",") {
				text = pad(groupThousands(strings.TrimSpace(text)), strings.ReplaceAll(flags, "0", ""), width)
			}
			return text, nil
		case 'x', 'X':
			text = strconv.FormatUint(unsigned, 16)
			if strings.Contains(flags, "#") {
				text = "0x" + text
			}
		default:
			text = strconv.FormatUint(unsigned, 8)
			if strings.Contains(flags, "#") {
				text = "0" + text
			}
		}
		if strings.Contains(flags, "0") {
			w, _ := strconv.Atoi(width)
			for len(text) < w {
				text = "0" + text
			}
		}
	case 'f', 'e':
		if isNull {
			text = "null"
			break
		}
		// Java rounds the shortest decimal form of a double (or a decimal's digits) HALF_UP:
		// %.1f of 1.25 is 1.3 and of 0.125 at two places 0.13.
		var digits string
		switch argument.kind {
		case arrow.FLOAT64:
			digits = strconv.FormatFloat(argument.floats[row], 'f', -1, 64)
			if math.IsNaN(argument.floats[row]) || math.IsInf(argument.floats[row], 0) {
				return pad(formatJavaDouble(argument.floats[row], false), flags, width), nil
			}
		case arrow.STRING:
			digits = string(argument.strings.at(row))
			if _, ok := new(big.Rat).SetString(digits); !ok {
				return "", mismatch()
			}
		default:
			return "", mismatch()
		}
		if precision == "" {
			precision = ".6"
		}
		places, _ := strconv.Atoi(precision[1:])
		goFlags := strings.NewReplacer(",", "", "(", "").Replace(flags)
		if conversion|0x20 == 'f' {
			rounded := formatHalfUp(digits, places)
			text = fmt.Sprintf("%"+goFlags+width+"s", rounded)
			if strings.Contains(flags, "+") && !strings.HasPrefix(rounded, "-") {
				text = fmt.Sprintf("%"+strings.ReplaceAll(goFlags, "+", "")+width+"s", "+"+rounded)
			}
			if strings.Contains(flags, "0") && !strings.Contains(flags, "-") {
				w, _ := strconv.Atoi(width)
				text = zeroPadNumber(rounded, w)
			}
		} else {
			v, _ := strconv.ParseFloat(digits, 64)
			text = fmt.Sprintf("%"+goFlags+width+precision+"e", v)
		}
		if strings.Contains(flags, ",") && conversion|0x20 == 'f' {
			text = pad(groupThousands(strings.TrimSpace(text)), strings.ReplaceAll(flags, "0", ""), width)
		}
		if upper {
			text = strings.ToUpper(text)
		}
		return text, nil
	default:
		return "", errkind.NotImplemented("format_string: the conversion %%%c is not supported by Quiver; use %%s, %%d, %%x, %%o, %%f, %%e, %%c or %%b", conversion)
	}
	if upper {
		text = strings.ToUpper(text)
	}
	return pad(text, flags, width), nil
}

// formatHalfUp prints a decimal number with places fraction digits, rounding half away from zero
// (Java's RoundingMode.HALF_UP).
func formatHalfUp(digits string, places int) string {
	r, _ := new(big.Rat).SetString(digits)
	negative := r.Sign() < 0
	scaled := new(big.Rat).Mul(new(big.Rat).Abs(r), new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)))
	scaled.Add(scaled, big.NewRat(1, 2))
	whole := new(big.Int).Quo(scaled.Num(), scaled.Denom())
	text := whole.String()
	if places > 0 {
		for len(text) <= places {
			text = "0" + text
		}
		text = text[:len(text)-places] + "." + text[len(text)-places:]
	}
	if negative && whole.Sign() != 0 {
		text = "-" + text
	}
	return text
}

// zeroPadNumber pads a number with zeros after its sign to width characters.
func zeroPadNumber(text string, width int) string {
	sign := ""
	if strings.HasPrefix(text, "-") {
		sign, text = "-", text[1:]
	}
	for len(sign)+len(text) < width {
		text = "0" + text
	}
	return sign + text
}
