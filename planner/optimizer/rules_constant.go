package optimizer

import (
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/planner/logical"
)

// Constant folding without the executor (the planner must not import exec): arithmetic,
// comparisons and boolean logic over literals are computed here, with Spark's null rules.
// Anything that would raise at run time (ANSI overflow, division by zero) is left alone so the
// query raises as Spark does. Boolean identities (x AND true, x OR false, ...) simplify too, and
// a filter that is always true disappears.

func init() { RegisterRule(foldConstants{}) }

type foldConstants struct{}

func (foldConstants) Name() string { return "ConstantFolding" }

func (foldConstants) Apply(p logical.Plan) (logical.Plan, bool, error) {
	changed := false
	fold := func(e logical.Expr) logical.Expr {
		out, c := foldExpr(e)
		if c {
			changed = true
		}
		return out
	}
	out, err := logical.TransformPlan(p, func(n logical.Plan) (logical.Plan, error) {
		switch x := n.(type) {
		case *logical.Filter:
			cond := fold(x.Condition)
			if lit, ok := cond.(*logical.Literal); ok && lit.Value.IsValid() {
				if b, ok := lit.Value.(*scalar.Boolean); ok && b.Value {
					changed = true
					return x.Input, nil
				}
			}
			if cond != x.Condition {
				return &logical.Filter{Input: x.Input, Condition: cond}, nil
			}
		case *logical.Project:
			var exprs []logical.Named
			for i, e := range x.Expressions {
				a, ok := e.(*logical.Alias)
				if !ok {
					continue
				}
				child := fold(a.Child)
				if child == a.Child {
					continue
				}
				if exprs == nil {
					exprs = append([]logical.Named(nil), x.Expressions...)
				}
				cp := *a
				cp.Child = child
				exprs[i] = &cp
			}
			if exprs != nil {
				return &logical.Project{Input: x.Input, Expressions: exprs}, nil
			}
		case *logical.Join:
			if x.Condition != nil {
				if cond := fold(x.Condition); cond != x.Condition {
					cp := *x
					cp.Condition = cond
					return &cp, nil
				}
			}
		}
		return n, nil
	})
	return out, changed, err
}

// foldExpr folds e bottom-up and reports whether anything changed.
func foldExpr(e logical.Expr) (logical.Expr, bool) {
	changed := false
	out, _ := logical.Transform(e, func(x logical.Expr) (logical.Expr, error) {
		if r := foldNode(x); r != nil {
			changed = true
			return r, nil
		}
		return x, nil
	})
	return out, changed
}

func boolLiteral(v bool) *logical.Literal { return logical.NewLiteral(scalar.NewBooleanScalar(v)) }

func isBoolLiteral(e logical.Expr, v bool) bool {
	l, ok := e.(*logical.Literal)
	if !ok || !l.Value.IsValid() {
		return false
	}
	b, ok := l.Value.(*scalar.Boolean)
	return ok && b.Value == v
}

// foldNode returns the folded node, or nil when it cannot fold x.
func foldNode(x logical.Expr) logical.Expr {
	switch v := x.(type) {
	case *logical.Cast:
		if l, ok := v.Child.(*logical.Literal); ok && !l.Value.IsValid() {
			return logical.NullLiteral(v.To)
		}
		if r := foldDecimalCast(v); r != nil {
			return r
		}
		return nil
	case *logical.Call:
		if r := foldDecimalCall(v); r != nil {
			return r
		}
		return foldCall(v)
	}
	return nil
}

func foldCall(c *logical.Call) logical.Expr {
	switch c.Function {
	case "and", "or":
		if len(c.Args) != 2 {
			return nil
		}
		l, r := c.Args[0], c.Args[1]
		absorbing := c.Function == "or" // true absorbs OR, false absorbs AND
		for _, side := range []logical.Expr{l, r} {
			if isBoolLiteral(side, absorbing) {
				return boolLiteral(absorbing)
			}
		}
		if isBoolLiteral(l, !absorbing) {
			return r
		}
		if isBoolLiteral(r, !absorbing) {
			return l
		}
		return nil
	case "not":
		if l, ok := c.Args[0].(*logical.Literal); ok {
			if !l.Value.IsValid() {
				return logical.NullLiteral(arrow.FixedWidthTypes.Boolean)
			}
			if b, ok := l.Value.(*scalar.Boolean); ok {
				return boolLiteral(!b.Value)
			}
		}
		return nil
	case "isnull", "isnotnull":
		if l, ok := c.Args[0].(*logical.Literal); ok {
			return boolLiteral(l.Value.IsValid() == (c.Function == "isnotnull"))
		}
		return nil
	}
	lits := make([]*logical.Literal, len(c.Args))
	for i, a := range c.Args {
		l, ok := a.(*logical.Literal)
		if !ok {
			return nil
		}
		lits[i] = l
	}
	if len(lits) != 2 {
		return nil
	}
	switch c.Function {
	case "add", "subtract", "multiply", "divide":
		if !lits[0].Value.IsValid() || !lits[1].Value.IsValid() {
			return logical.NullLiteral(c.Type)
		}
		if !arrow.TypeEqual(lits[0].DataType(), c.Type) || !arrow.TypeEqual(lits[1].DataType(), c.Type) {
			return nil
		}
		return foldArithmetic(c.Function, lits[0].Value, lits[1].Value, c.Type)
	case "eq", "neq", "lt", "lte", "gt", "gte":
		if !lits[0].Value.IsValid() || !lits[1].Value.IsValid() {
			return logical.NullLiteral(arrow.FixedWidthTypes.Boolean)
		}
		cmp, ok := compareScalars(lits[0].Value, lits[1].Value)
		if !ok {
			return nil
		}
		return boolLiteral(map[string]bool{"eq": cmp == 0, "neq": cmp != 0, "lt": cmp < 0, "lte": cmp <= 0, "gt": cmp > 0, "gte": cmp >= 0}[c.Function])
	}
	return nil
}

// integerValue reads an integer scalar.
func integerValue(s scalar.Scalar) (int64, bool) {
	switch v := s.(type) {
	case *scalar.Int8:
		return int64(v.Value), true
	case *scalar.Int16:
		return int64(v.Value), true
	case *scalar.Int32:
		return int64(v.Value), true
	case *scalar.Int64:
		return v.Value, true
	}
	return 0, false
}

func floatValue(s scalar.Scalar) (float64, bool) {
	switch v := s.(type) {
	case *scalar.Float32:
		return float64(v.Value), true
	case *scalar.Float64:
		return v.Value, true
	}
	return 0, false
}

// foldArithmetic computes l op r of type t, or nil when the result would raise at run time
// (overflow in t, division by zero) or the type is not handled.
func foldArithmetic(op string, l, r scalar.Scalar, t arrow.DataType) logical.Expr {
	if a, ok := integerValue(l); ok {
		b, _ := integerValue(r)
		var v int64
		switch op {
		case "add":
			v = a + b
			if (b > 0 && v < a) || (b < 0 && v > a) {
				return nil
			}
		case "subtract":
			v = a - b
			if (b < 0 && v < a) || (b > 0 && v > a) {
				return nil
			}
		case "multiply":
			if a != 0 && b != 0 {
				v = a * b
				if v/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
					return nil
				}
			}
		default:
			return nil
		}
		out, err := scalar.NewInt64Scalar(v).CastTo(t)
		if err != nil {
			return nil
		}
		if back, _ := integerValue(out); back != v {
			return nil // overflow of a narrower type
		}
		return logical.NewLiteral(out)
	}
	a, ok := floatValue(l)
	if !ok {
		return nil
	}
	b, _ := floatValue(r)
	var v float64
	switch op {
	case "add":
		v = a + b
	case "subtract":
		v = a - b
	case "multiply":
		v = a * b
	case "divide":
		if b == 0 {
			return nil // Spark raises DIVIDE_BY_ZERO (ANSI) or yields null: leave it to run time
		}
		v = a / b
	}
	if t.ID() == arrow.FLOAT32 {
		return logical.NewLiteral(scalar.NewFloat32Scalar(float32(v)))
	}
	return logical.NewLiteral(scalar.NewFloat64Scalar(v))
}

// compareScalars orders two non-null scalars of comparable kinds (numbers, strings, booleans).
// Floats order NaN above everything and equal to itself, as Spark does.
func compareScalars(l, r scalar.Scalar) (int, bool) {
	if a, ok := integerValue(l); ok {
		if b, ok := integerValue(r); ok {
			switch {
			case a < b:
				return -1, true
			case a > b:
				return 1, true
			}
			return 0, true
		}
		return 0, false
	}
	if a, ok := floatValue(l); ok {
		b, ok := floatValue(r)
		if !ok {
			return 0, false
		}
		an, bn := math.IsNaN(a), math.IsNaN(b)
		switch {
		case an && bn:
			return 0, true
		case an:
			return 1, true
		case bn:
			return -1, true
		case a < b:
			return -1, true
		case a > b:
			return 1, true
		}
		return 0, true
	}
	if a, ok := l.(*scalar.String); ok {
		b, ok := r.(*scalar.String)
		if !ok {
			return 0, false
		}
		return strings.Compare(string(a.Value.Bytes()), string(b.Value.Bytes())), true
	}
	if a, ok := l.(*scalar.Boolean); ok {
		b, ok := r.(*scalar.Boolean)
		if !ok {
			return 0, false
		}
		switch {
		case a.Value == b.Value:
			return 0, true
		case !a.Value:
			return -1, true
		}
		return 1, true
	}
	return 0, false
}
