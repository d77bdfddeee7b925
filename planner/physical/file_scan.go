package physical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// FileScan reads a file dataset; partition i reads Splits[i] (row groups of Parquet files,
// byte ranges of text files). Row groups and files the scan's filters cannot match were left
// out at planning time (Stats counts them); the Filter above the scan still applies.
type FileScan struct {
	Dataset *arrowio.Dataset
	// Projection lists the dataset columns read (indexes into Dataset.Schema()); nil reads all.
	Projection []int
	Splits     [][]arrowio.Split
	OutSchema  *arrow.Schema
	// Pushed is the predicate used to skip files and row groups (nil: none).
	Pushed *arrowio.Predicate
	// PushedText renders the pushed filters for explain output.
	PushedText []string
	Stats      arrowio.SplitStats
}

func (s *FileScan) Schema() *arrow.Schema { return s.OutSchema }
func (s *FileScan) Children() []Node      { return nil }
func (s *FileScan) NumPartitions() int    { return len(s.Splits) }
func (s *FileScan) Describe() string {
	d := fmt.Sprintf("FileScan %s [%s] partitions=%d %s", s.Dataset.Describe(), fieldNames(s.OutSchema), len(s.Splits), s.Stats)
	if len(s.PushedText) > 0 {
		d += " pushedFilters=[" + strings.Join(s.PushedText, ", ") + "]"
	}
	return d
}

func init() {
	ScanLowering = lowerFileScan
}

func lowerFileScan(p *Planner, s *logical.Scan) (Node, error) {
	ds, ok := s.Source.(*arrowio.Dataset)
	if !ok {
		return nil, errkind.NotImplemented("scanning %s", s.Source.Describe())
	}
	var conjuncts []*arrowio.Predicate
	var texts []string
	for _, f := range s.Filters {
		if pred := FilePredicate(f, s.Attributes); pred != nil {
			conjuncts = append(conjuncts, pred)
			texts = append(texts, f.String())
		}
	}
	var pushed *arrowio.Predicate
	switch len(conjuncts) {
	case 0:
	case 1:
		pushed = conjuncts[0]
	default:
		pushed = &arrowio.Predicate{Op: "and", Children: conjuncts}
	}
	parallelism := p.DefaultParallelism
	if parallelism < 1 {
		parallelism = 1
	}
	splits, stats, err := ds.PlanSplits(parallelism, pushed)
	if err != nil {
		return nil, err
	}
	return &FileScan{Dataset: ds, Projection: s.Projection, Splits: splits, OutSchema: logical.OutputSchema(s),
		Pushed: pushed, PushedText: texts, Stats: stats}, nil
}

// FilePredicate translates a resolved filter over a scan's attributes into a predicate the file
// reader can check against statistics and partition values; nil when it cannot (the filter is
// then only applied to rows).
func FilePredicate(e logical.Expr, attrs []*logical.ColumnRef) *arrowio.Predicate {
	call, ok := e.(*logical.Call)
	if !ok {
		return nil
	}
	switch call.Function {
	case "and":
		var children []*arrowio.Predicate
		for _, a := range call.Args {
			if c := FilePredicate(a, attrs); c != nil { // an untranslatable conjunct only widens
				children = append(children, c)
			}
		}
		if len(children) == 0 {
			return nil
		}
		return &arrowio.Predicate{Op: "and", Children: children}
	case "or":
		var children []*arrowio.Predicate
		for _, a := range call.Args {
			c := FilePredicate(a, attrs)
			if c == nil {
				return nil
			}
			children = append(children, c)
		}
		return &arrowio.Predicate{Op: "or", Children: children}
	case "isnull", "isnotnull":
		if len(call.Args) != 1 {
			return nil
		}
		col, _, ok := predicateColumn(call.Args[0], attrs)
		if !ok {
			return nil
		}
		return &arrowio.Predicate{Op: call.Function, Column: col}
	case "eq", "lt", "lte", "gt", "gte":
		if len(call.Args) != 2 {
			return nil
		}
		op := call.Function
		left, right := call.Args[0], call.Args[1]
		if _, isLiteral := literalValue(left); isLiteral {
			left, right = right, left
			op = map[string]string{"eq": "eq", "lt": "gt", "lte": "gte", "gt": "lt", "gte": "lte"}[op]
		}
		col, asFloat, ok := predicateColumn(left, attrs)
		if !ok {
			return nil
		}
		v, ok := literalValue(right)
		if !ok {
			return nil
		}
		return &arrowio.Predicate{Op: op, Column: col, Values: []scalar.Scalar{v}, Float: asFloat || arrow.IsFloating(v.DataType().ID())}
	}
	return nil
}

// predicateColumn finds the scan column an expression reads: a column, or a column under a
// numeric widening cast (compared in the float domain).
func predicateColumn(e logical.Expr, attrs []*logical.ColumnRef) (int, bool, bool) {
	asFloat := false
	if c, ok := e.(*logical.Cast); ok {
		from, to := c.Child.DataType(), c.To
		if !isNumericType(from) || !isNumericType(to) {
			return 0, false, false
		}
		asFloat = arrow.IsFloating(to.ID()) || arrow.IsDecimal(to.ID()) || arrow.IsDecimal(from.ID())
		e = c.Child
	}
	ref, ok := e.(*logical.ColumnRef)
	if !ok {
		return 0, false, false
	}
	for i, a := range attrs {
		if a.AttrID == ref.AttrID {
			return i, asFloat, true
		}
	}
	return 0, false, false
}

func isNumericType(t arrow.DataType) bool {
	id := t.ID()
	return arrow.IsInteger(id) || arrow.IsFloating(id) || arrow.IsDecimal(id)
}

// literalValue returns a non-null literal's value, folding a cast of a literal.
func literalValue(e logical.Expr) (scalar.Scalar, bool) {
	switch x := e.(type) {
	case *logical.Literal:
		if x.Value == nil || !x.Value.IsValid() {
			return nil, false
		}
		return x.Value, true
	case *logical.Cast:
		v, ok := literalValue(x.Child)
		if !ok {
			return nil, false
		}
		return castLiteral(v, x.To)
	}
	return nil, false
}

// castLiteral folds the numeric casts the analyzer puts on literals, with Spark's meaning
// (arrow's scalar cast treats an integer cast to decimal as the unscaled value, 24 -> 0.24, so
// it is not used for decimals). Other casts are not folded: the filter is then not pushed.
func castLiteral(v scalar.Scalar, to arrow.DataType) (scalar.Scalar, bool) {
	from := v.DataType()
	switch {
	case arrow.TypeEqual(from, to):
		return v, true
	case arrow.IsDecimal(to.ID()):
		dt, ok := to.(*arrow.Decimal128Type)
		if !ok {
			return nil, false
		}
		var text string
		switch x := v.(type) {
		case *scalar.Decimal128:
			text = x.Value.ToString(x.Type.(*arrow.Decimal128Type).Scale)
		default:
			if !arrow.IsInteger(from.ID()) {
				return nil, false
			}
			text = v.String()
		}
		n, err := decimal128.FromString(text, dt.Precision, dt.Scale)
		if err != nil {
			return nil, false
		}
		return scalar.NewDecimal128Scalar(n, dt), true
	case arrow.IsFloating(to.ID()) && arrow.IsDecimal(from.ID()):
		d, ok := v.(*scalar.Decimal128)
		if !ok {
			return nil, false
		}
		return scalar.NewFloat64Scalar(d.Value.ToFloat64(d.Type.(*arrow.Decimal128Type).Scale)), true
	case (arrow.IsInteger(from.ID()) || arrow.IsFloating(from.ID())) && (arrow.IsInteger(to.ID()) || arrow.IsFloating(to.ID())):
		if arrow.IsFloating(from.ID()) && arrow.IsInteger(to.ID()) {
			return nil, false // truncation changes the comparison
		}
		cast, err := v.CastTo(to)
		if err != nil || cast == nil || !cast.IsValid() {
			return nil, false
		}
		return cast, true
	}
	return nil, false
}
