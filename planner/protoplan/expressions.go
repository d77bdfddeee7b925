package protoplan

import (
	"math/big"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// Expressions converts a list of proto expressions to unresolved logical expressions.
func (c *Converter) Expressions(in []*pb.Expression) ([]logical.Expr, error) {
	out := make([]logical.Expr, len(in))
	for i, e := range in {
		x, err := c.Expression(e)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// ExpressionConverter converts expression kinds this file does not know (windows, UDFs,
// lambdas); it reports ok=false for kinds it does not handle either.
type ExpressionConverter func(c *Converter, e *pb.Expression) (x logical.Expr, ok bool, err error)

var expressionConverters []ExpressionConverter

// RegisterExpressionConverter adds a converter; files owning an expression kind call it from init.
func RegisterExpressionConverter(f ExpressionConverter) {
	expressionConverters = append(expressionConverters, f)
}

// Expression converts one proto expression to an unresolved logical expression.
func (c *Converter) Expression(e *pb.Expression) (logical.Expr, error) {
	if e == nil || e.ExprType == nil {
		return nil, errkind.Invalid("malformed plan: an expression has no type set")
	}
	for _, conv := range expressionConverters {
		if x, ok, err := conv(c, e); ok || err != nil {
			return x, err
		}
	}
	switch x := e.ExprType.(type) {
	case *pb.Expression_Literal_:
		return Literal(x.Literal)
	case *pb.Expression_UnresolvedAttribute_:
		parts, err := ParseIdentifier(x.UnresolvedAttribute.UnparsedIdentifier)
		if err != nil {
			return nil, err
		}
		return &logical.UnresolvedAttribute{NameParts: parts, PlanID: x.UnresolvedAttribute.PlanId}, nil
	case *pb.Expression_UnresolvedFunction_:
		args, err := c.Expressions(x.UnresolvedFunction.Arguments)
		if err != nil {
			return nil, err
		}
		return &logical.UnresolvedFunction{Name: x.UnresolvedFunction.FunctionName, Args: args, Distinct: x.UnresolvedFunction.IsDistinct}, nil
	case *pb.Expression_ExpressionString_:
		return &logical.UnresolvedSQLExpression{Text: x.ExpressionString.Expression}, nil
	case *pb.Expression_UnresolvedStar_:
		var target []string
		if t := x.UnresolvedStar.GetUnparsedTarget(); t != "" {
			parts, err := ParseIdentifier(strings.TrimSuffix(t, ".*"))
			if err != nil {
				return nil, err
			}
			target = parts
		}
		return &logical.UnresolvedStar{Target: target, PlanID: x.UnresolvedStar.PlanId}, nil
	case *pb.Expression_Alias_:
		child, err := c.Expression(x.Alias.Expr)
		if err != nil {
			return nil, err
		}
		if len(x.Alias.Name) == 0 {
			return nil, errkind.Invalid("malformed plan: an alias has no name")
		}
		return &logical.UnresolvedAlias{Child: child, Names: x.Alias.Name}, nil
	case *pb.Expression_Cast_:
		child, err := c.Expression(x.Cast.Expr)
		if err != nil {
			return nil, err
		}
		mode := logical.EvalANSI
		switch x.Cast.EvalMode {
		case pb.Expression_Cast_EVAL_MODE_LEGACY:
			mode = logical.EvalLegacy
		case pb.Expression_Cast_EVAL_MODE_TRY:
			mode = logical.EvalTry
		}
		switch t := x.Cast.CastToType.(type) {
		case *pb.Expression_Cast_Type:
			dt, err := DecodeDataType(t.Type)
			if err != nil {
				return nil, err
			}
			return &logical.Cast{Child: child, To: dt, Mode: mode}, nil
		case *pb.Expression_Cast_TypeStr:
			return &logical.UnresolvedCast{Child: child, TypeText: t.TypeStr, Mode: mode}, nil
		}
		return nil, errkind.Invalid("malformed plan: a cast has no target type")
	case *pb.Expression_SortOrder_:
		return c.SortOrder(x.SortOrder)
	case *pb.Expression_UnresolvedExtractValue_:
		child, err := c.Expression(x.UnresolvedExtractValue.Child)
		if err != nil {
			return nil, err
		}
		ext, err := c.Expression(x.UnresolvedExtractValue.Extraction)
		if err != nil {
			return nil, err
		}
		return &logical.UnresolvedExtractValue{Child: child, Extraction: ext}, nil
	}
	return nil, errkind.NotImplemented("expression %T is not supported yet", e.ExprType)
}

// SortOrder converts a sort key.
func (c *Converter) SortOrder(s *pb.Expression_SortOrder) (*logical.SortOrder, error) {
	child, err := c.Expression(s.Child)
	if err != nil {
		return nil, err
	}
	out := &logical.SortOrder{Child: child}
	if s.Direction == pb.Expression_SortOrder_SORT_DIRECTION_DESCENDING {
		out.Direction = logical.Descending
	}
	switch s.NullOrdering {
	case pb.Expression_SortOrder_SORT_NULLS_FIRST:
		out.Nulls = logical.NullsFirst
	case pb.Expression_SortOrder_SORT_NULLS_LAST:
		out.Nulls = logical.NullsLast
	}
	return out, nil
}

// Literal converts a proto literal to a typed Arrow scalar.
func Literal(l *pb.Expression_Literal) (*logical.Literal, error) {
	if l == nil || l.LiteralType == nil {
		return nil, errkind.Invalid("malformed plan: a literal has no value")
	}
	switch v := l.LiteralType.(type) {
	case *pb.Expression_Literal_Null:
		t, err := DecodeDataType(v.Null)
		if err != nil {
			return nil, err
		}
		return logical.NullLiteral(t), nil
	case *pb.Expression_Literal_Boolean:
		return logical.NewLiteral(scalar.NewBooleanScalar(v.Boolean)), nil
	case *pb.Expression_Literal_Byte:
		return logical.NewLiteral(scalar.NewInt8Scalar(int8(v.Byte))), nil
	case *pb.Expression_Literal_Short:
		return logical.NewLiteral(scalar.NewInt16Scalar(int16(v.Short))), nil
	case *pb.Expression_Literal_Integer:
		return logical.NewLiteral(scalar.NewInt32Scalar(v.Integer)), nil
	case *pb.Expression_Literal_Long:
		return logical.NewLiteral(scalar.NewInt64Scalar(v.Long)), nil
	case *pb.Expression_Literal_Float:
		return logical.NewLiteral(scalar.NewFloat32Scalar(v.Float)), nil
	case *pb.Expression_Literal_Double:
		return logical.NewLiteral(scalar.NewFloat64Scalar(v.Double)), nil
	case *pb.Expression_Literal_String_:
		return logical.NewLiteral(scalar.NewStringScalar(v.String_)), nil
	case *pb.Expression_Literal_Binary:
		return logical.NewLiteral(scalar.NewBinaryScalar(memoryBuffer(v.Binary), arrow.BinaryTypes.Binary)), nil
	case *pb.Expression_Literal_Date:
		return logical.NewLiteral(scalar.NewDate32Scalar(arrow.Date32(v.Date))), nil
	case *pb.Expression_Literal_Timestamp:
		return logical.NewLiteral(scalar.NewTimestampScalar(arrow.Timestamp(v.Timestamp), &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})), nil
	case *pb.Expression_Literal_TimestampNtz:
		return logical.NewLiteral(scalar.NewTimestampScalar(arrow.Timestamp(v.TimestampNtz), &arrow.TimestampType{Unit: arrow.Microsecond})), nil
	case *pb.Expression_Literal_DayTimeInterval:
		return logical.NewLiteral(scalar.NewDurationScalar(arrow.Duration(v.DayTimeInterval), &arrow.DurationType{Unit: arrow.Microsecond})), nil
	case *pb.Expression_Literal_Decimal_:
		return decimalLiteral(v.Decimal)
	}
	return nil, errkind.NotImplemented("literal %T is not supported yet", l.LiteralType)
}

func decimalLiteral(d *pb.Expression_Literal_Decimal) (*logical.Literal, error) {
	text := strings.TrimSpace(d.Value)
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return nil, errkind.Invalid("malformed decimal literal %q", d.Value)
	}
	digits := strings.TrimLeft(strings.TrimPrefix(strings.TrimPrefix(text, "-"), "+"), "0")
	scale := 0
	if i := strings.IndexByte(text, '.'); i >= 0 {
		scale = len(text) - i - 1
	}
	precision := len(strings.ReplaceAll(digits, ".", ""))
	if precision < scale {
		precision = scale
	}
	if precision == 0 {
		precision = 1
	}
	if d.Precision != nil {
		precision = int(*d.Precision)
	}
	if d.Scale != nil {
		scale = int(*d.Scale)
	}
	if precision > 38 {
		return nil, errkind.Invalid("decimal literal %q needs precision %d; the maximum is 38", d.Value, precision)
	}
	num, err := decimal128.FromString(text, int32(precision), int32(scale))
	if err != nil {
		return nil, errkind.Invalid("decimal literal %q does not fit decimal(%d,%d): %v", d.Value, precision, scale, err)
	}
	_ = r
	t := &arrow.Decimal128Type{Precision: int32(precision), Scale: int32(scale)}
	return logical.NewLiteral(scalar.NewDecimal128Scalar(num, t)), nil
}

// ParseIdentifier splits a possibly qualified, possibly backtick-quoted name into parts:
// "t.a" -> [t a], "`a.b`" -> [a.b], "`a“b`" -> [a`b].
func ParseIdentifier(s string) ([]string, error) {
	var parts []string
	var cur strings.Builder
	inQuote := false
	quoted := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case inQuote && ch == '`':
			if i+1 < len(s) && s[i+1] == '`' {
				cur.WriteByte('`')
				i++
			} else {
				inQuote = false
			}
		case inQuote:
			cur.WriteByte(ch)
		case ch == '`':
			inQuote = true
			quoted = true
		case ch == '.':
			parts = append(parts, cur.String())
			cur.Reset()
			quoted = false
		default:
			cur.WriteByte(ch)
		}
	}
	if inQuote {
		return nil, errkind.Invalid("identifier %q has an unclosed backtick", s)
	}
	if cur.Len() > 0 || quoted || len(parts) == 0 {
		parts = append(parts, cur.String())
	}
	for _, p := range parts {
		if p == "" && len(parts) > 1 {
			return nil, errkind.Invalid("identifier %q has an empty part; quote names containing dots with backticks", s)
		}
	}
	return parts, nil
}

func memoryBuffer(b []byte) *memory.Buffer { return memory.NewBufferBytes(b) }
