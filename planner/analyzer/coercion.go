package analyzer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// numericRank orders numeric types the way Spark widens them: byte < short < int < long < float < double.
// Unsigned types (an Arrow extension Spark lacks) widen to the next signed type that holds them.
func numericRank(t arrow.DataType) (int, bool) {
	switch t.ID() {
	case arrow.INT8:
		return 1, true
	case arrow.UINT8, arrow.INT16:
		return 2, true
	case arrow.UINT16, arrow.INT32:
		return 3, true
	case arrow.UINT32, arrow.INT64:
		return 4, true
	case arrow.UINT64:
		return 5, true // widened to decimal(20,0) by Spark; double here keeps arithmetic vectorized
	case arrow.FLOAT16, arrow.FLOAT32:
		return 6, true
	case arrow.FLOAT64:
		return 7, true
	}
	return 0, false
}

var rankTypes = map[int]arrow.DataType{
	1: arrow.PrimitiveTypes.Int8, 2: arrow.PrimitiveTypes.Int16, 3: arrow.PrimitiveTypes.Int32,
	4: arrow.PrimitiveTypes.Int64, 5: arrow.PrimitiveTypes.Float64, 6: arrow.PrimitiveTypes.Float32,
	7: arrow.PrimitiveTypes.Float64,
}

func isNumeric(t arrow.DataType) bool { _, ok := numericRank(t); return ok }

func isNumericOrNull(t arrow.DataType) bool {
	return isNumeric(t) || t.ID() == arrow.NULL
}

func isDecimal(t arrow.DataType) bool {
	return t.ID() == arrow.DECIMAL128 || t.ID() == arrow.DECIMAL256
}

func isInterval(t arrow.DataType) bool {
	return t.ID() == arrow.DURATION || t.ID() == arrow.INTERVAL_MONTH_DAY_NANO || t.ID() == arrow.INTERVAL_MONTHS
}

func isString(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

// WiderNumericType is the type both numeric operands widen to, with Spark's rules.
func WiderNumericType(l, r arrow.DataType) (arrow.DataType, bool) {
	if l.ID() == arrow.NULL && r.ID() == arrow.NULL {
		return arrow.PrimitiveTypes.Int32, true
	}
	if l.ID() == arrow.NULL {
		return r, isNumeric(r)
	}
	if r.ID() == arrow.NULL {
		return l, isNumeric(l)
	}
	lr, lok := numericRank(l)
	rr, rok := numericRank(r)
	if !lok || !rok {
		return nil, false
	}
	if arrow.TypeEqual(l, r) {
		if l.ID() == arrow.UINT64 || l.ID() == arrow.FLOAT16 {
			return rankTypes[lr], true
		}
		return l, true
	}
	return rankTypes[max(lr, rr)], true
}

// literalDecimalType is the type of e in arithmetic with an operand of type other: an integer
// literal next to a decimal is decimal(digits, 0), Spark's DecimalType.fromLiteral.
func literalDecimalType(e logical.Expr, other arrow.DataType) arrow.DataType {
	t := e.DataType()
	lit, ok := e.(*logical.Literal)
	if !ok || !isDecimal(other) || !lit.Value.IsValid() {
		return t
	}
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
	default:
		return t
	}
	digits := len(strings.TrimPrefix(lit.Value.String(), "-"))
	return &arrow.Decimal128Type{Precision: int32(max(digits, 1)), Scale: 0}
}

// integerDecimal is the decimal type Spark uses for an integer operand in decimal arithmetic.
func integerDecimal(t arrow.DataType) (*arrow.Decimal128Type, bool) {
	switch t.ID() {
	case arrow.INT8, arrow.UINT8:
		return &arrow.Decimal128Type{Precision: 3, Scale: 0}, true
	case arrow.INT16, arrow.UINT16:
		return &arrow.Decimal128Type{Precision: 5, Scale: 0}, true
	case arrow.INT32, arrow.UINT32:
		return &arrow.Decimal128Type{Precision: 10, Scale: 0}, true
	case arrow.INT64:
		return &arrow.Decimal128Type{Precision: 20, Scale: 0}, true
	case arrow.UINT64:
		return &arrow.Decimal128Type{Precision: 20, Scale: 0}, true
	}
	if d, ok := t.(*arrow.Decimal128Type); ok {
		return d, true
	}
	return nil, false
}

// decimalResult applies Spark's DecimalPrecision rules (with allowPrecisionLoss=true). A float
// operand makes the result double.
func decimalResult(op string, l, r arrow.DataType) (arrow.DataType, bool) {
	if l.ID() == arrow.FLOAT32 || l.ID() == arrow.FLOAT64 || r.ID() == arrow.FLOAT32 || r.ID() == arrow.FLOAT64 {
		return arrow.PrimitiveTypes.Float64, true
	}
	ld, lok := integerDecimal(l)
	rd, rok := integerDecimal(r)
	if !lok || !rok {
		return nil, false
	}
	p1, s1, p2, s2 := int(ld.Precision), int(ld.Scale), int(rd.Precision), int(rd.Scale)
	var p, s int
	switch op {
	case "add", "subtract":
		s = max(s1, s2)
		p = max(p1-s1, p2-s2) + s + 1
	case "multiply":
		p = p1 + p2 + 1
		s = s1 + s2
	case "divide":
		s = max(6, s1+p2+1)
		p = p1 - s1 + s2 + s
	case "mod":
		s = max(s1, s2)
		p = min(p1-s1, p2-s2) + s
	default:
		return nil, false
	}
	p, s = adjustPrecisionScale(p, s)
	return &arrow.Decimal128Type{Precision: int32(p), Scale: int32(s)}, true
}

// widerDecimalType is Spark's DecimalPrecision.widerDecimalType: the narrowest decimal holding
// both operands exactly, which comparisons and unions use. (Arithmetic's result type adds a digit
// for the carry; comparing in that type would cast a decimal(15,2) column to decimal(16,2) on
// every row of `l_quantity < 24`.) A float operand makes it double.
func widerDecimalType(l, r arrow.DataType) (arrow.DataType, bool) {
	if l.ID() == arrow.FLOAT32 || l.ID() == arrow.FLOAT64 || r.ID() == arrow.FLOAT32 || r.ID() == arrow.FLOAT64 {
		return arrow.PrimitiveTypes.Float64, true
	}
	ld, lok := integerDecimal(l)
	rd, rok := integerDecimal(r)
	if !lok || !rok {
		return nil, false
	}
	scale := max(ld.Scale, rd.Scale)
	precision := min(max(ld.Precision-ld.Scale, rd.Precision-rd.Scale)+scale, 38)
	return &arrow.Decimal128Type{Precision: precision, Scale: min(scale, 38)}, true
}

// adjustPrecisionScale is Spark's DecimalType.adjustPrecisionScale for MAX_PRECISION 38.
func adjustPrecisionScale(p, s int) (int, int) {
	const maxPrecision, minAdjustedScale = 38, 6
	if p <= maxPrecision {
		return p, s
	}
	intDigits := p - s
	minScale := min(s, minAdjustedScale)
	adjusted := max(maxPrecision-intDigits, minScale)
	return maxPrecision, adjusted
}

// ComparableType is the common type two operands are compared in.
func ComparableType(l, r arrow.DataType) (arrow.DataType, bool) {
	if arrow.TypeEqual(l, r) {
		return l, true
	}
	if l.ID() == arrow.NULL {
		return r, true
	}
	if r.ID() == arrow.NULL {
		return l, true
	}
	if t, ok := WiderNumericType(l, r); ok {
		return t, true
	}
	if isDecimal(l) || isDecimal(r) {
		if t, ok := widerDecimalType(l, r); ok {
			return t, true
		}
	}
	if isString(l) && isString(r) {
		return arrow.BinaryTypes.String, true
	}
	// ANSI coercion: a string compared with a number, date or timestamp is cast to the other side.
	if isString(l) && (isNumeric(r) || isDecimal(r) || isTemporal(r) || r.ID() == arrow.BOOL) {
		return r, true
	}
	if isString(r) && (isNumeric(l) || isDecimal(l) || isTemporal(l) || l.ID() == arrow.BOOL) {
		return l, true
	}
	if isTemporal(l) && isTemporal(r) {
		if l.ID() == arrow.TIMESTAMP {
			return l, true
		}
		return r, true
	}
	if l.ID() == r.ID() {
		return l, true
	}
	return nil, false
}

func isTemporal(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP:
		return true
	}
	return false
}

// CheckCast rejects casts Spark does not allow, before anything runs.
func CheckCast(from, to arrow.DataType) error {
	if from == nil || to == nil || arrow.TypeEqual(from, to) || from.ID() == arrow.NULL {
		return nil
	}
	bad := func() error {
		return errkind.Invalid("cannot cast %s to %s", logical.SparkTypeName(from), logical.SparkTypeName(to))
	}
	switch to.ID() {
	case arrow.BINARY, arrow.LARGE_BINARY:
		if !isString(from) && !isNumeric(from) && from.ID() != arrow.BINARY && from.ID() != arrow.LARGE_BINARY {
			return bad()
		}
	case arrow.DATE32, arrow.TIMESTAMP:
		if isNumeric(from) && to.ID() == arrow.DATE32 {
			return bad()
		}
	case arrow.STRUCT, arrow.LIST, arrow.LARGE_LIST, arrow.MAP:
		if from.ID() != to.ID() && !isString(from) {
			return bad()
		}
	}
	return nil
}

// ParseDDLType parses a Spark type name ("int", "decimal(10,2)", "array<string>",
// "map<string,int>", "struct<a:int,b:string>") to an Arrow type.
func ParseDDLType(text string, sessionTimeZone string) (arrow.DataType, error) {
	p := &ddlParser{s: strings.TrimSpace(text), tz: sessionTimeZone}
	t, err := p.parseType()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.s) {
		return nil, errkind.Invalid("cannot parse type %q: unexpected %q at position %d", text, p.s[p.pos:], p.pos+1)
	}
	return t, nil
}

type ddlParser struct {
	s   string
	pos int
	tz  string
}

func (p *ddlParser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n') {
		p.pos++
	}
}

func (p *ddlParser) ident() string {
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == '`' {
		end := strings.IndexByte(p.s[p.pos+1:], '`')
		if end < 0 {
			return ""
		}
		id := p.s[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return id
	}
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			p.pos++
			continue
		}
		break
	}
	return p.s[start:p.pos]
}

func (p *ddlParser) expect(c byte) error {
	p.skipSpace()
	if p.pos >= len(p.s) || p.s[p.pos] != c {
		return errkind.Invalid("cannot parse type %q: expected '%c' at position %d", p.s, c, p.pos+1)
	}
	p.pos++
	return nil
}

func (p *ddlParser) peek(c byte) bool {
	p.skipSpace()
	return p.pos < len(p.s) && p.s[p.pos] == c
}

func (p *ddlParser) parseType() (arrow.DataType, error) {
	name := strings.ToLower(p.ident())
	switch name {
	case "boolean", "bool":
		return arrow.FixedWidthTypes.Boolean, nil
	case "tinyint", "byte", "int8":
		return arrow.PrimitiveTypes.Int8, nil
	case "smallint", "short", "int16":
		return arrow.PrimitiveTypes.Int16, nil
	case "int", "integer", "int32":
		return arrow.PrimitiveTypes.Int32, nil
	case "bigint", "long", "int64":
		return arrow.PrimitiveTypes.Int64, nil
	case "uint8":
		return arrow.PrimitiveTypes.Uint8, nil
	case "uint16":
		return arrow.PrimitiveTypes.Uint16, nil
	case "uint32":
		return arrow.PrimitiveTypes.Uint32, nil
	case "uint64":
		return arrow.PrimitiveTypes.Uint64, nil
	case "float", "real", "float32":
		return arrow.PrimitiveTypes.Float32, nil
	case "double", "float64":
		return arrow.PrimitiveTypes.Float64, nil
	case "string", "varchar", "char", "text":
		if p.peek('(') { // varchar(n): the length is not enforced, as in Spark's string semantics
			p.pos++
			p.ident()
			if err := p.expect(')'); err != nil {
				return nil, err
			}
		}
		return arrow.BinaryTypes.String, nil
	case "binary":
		return arrow.BinaryTypes.Binary, nil
	case "date":
		return arrow.FixedWidthTypes.Date32, nil
	case "timestamp", "timestamp_ltz":
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: p.tz}, nil
	case "timestamp_ntz":
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case "void", "null":
		return arrow.Null, nil
	case "decimal", "dec", "numeric":
		prec, scale := 10, 0
		if p.peek('(') {
			p.pos++
			var err error
			if prec, err = strconv.Atoi(p.ident()); err != nil {
				return nil, errkind.Invalid("cannot parse type %q: decimal precision must be a number", p.s)
			}
			if p.peek(',') {
				p.pos++
				if scale, err = strconv.Atoi(p.ident()); err != nil {
					return nil, errkind.Invalid("cannot parse type %q: decimal scale must be a number", p.s)
				}
			}
			if err := p.expect(')'); err != nil {
				return nil, err
			}
		}
		if prec < 1 || prec > 38 || scale < 0 || scale > prec {
			return nil, errkind.Invalid("decimal(%d,%d) is out of range: precision must be 1..38 and scale 0..precision", prec, scale)
		}
		return &arrow.Decimal128Type{Precision: int32(prec), Scale: int32(scale)}, nil
	case "array":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		elem, err := p.parseType()
		if err != nil {
			return nil, err
		}
		if err := p.expect('>'); err != nil {
			return nil, err
		}
		return arrow.ListOf(elem), nil
	case "map":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		k, err := p.parseType()
		if err != nil {
			return nil, err
		}
		if err := p.expect(','); err != nil {
			return nil, err
		}
		v, err := p.parseType()
		if err != nil {
			return nil, err
		}
		if err := p.expect('>'); err != nil {
			return nil, err
		}
		return arrow.MapOf(k, v), nil
	case "struct":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		var fields []arrow.Field
		for !p.peek('>') {
			fname := p.ident()
			if fname == "" {
				return nil, errkind.Invalid("cannot parse type %q: expected a field name at position %d", p.s, p.pos+1)
			}
			p.skipSpace()
			if p.peek(':') {
				p.pos++
			}
			ft, err := p.parseType()
			if err != nil {
				return nil, err
			}
			fields = append(fields, arrow.Field{Name: fname, Type: ft, Nullable: true})
			if p.peek(',') {
				p.pos++
			}
		}
		p.pos++
		return arrow.StructOf(fields...), nil
	case "":
		return nil, errkind.Invalid("cannot parse type %q: expected a type name at position %d", p.s, p.pos+1)
	}
	return nil, errkind.Invalid("unknown type %q%s", name, func() string {
		s := SuggestClosest(name, []string{"boolean", "tinyint", "smallint", "int", "bigint", "float", "double", "string", "binary", "date", "timestamp", "timestamp_ntz", "decimal", "array", "map", "struct"})
		if s == "" {
			return ""
		}
		return fmt.Sprintf("; did you mean '%s'?", s)
	}())
}
