package protoplan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

func init() {
	registerRelation(&pb.Relation_SetOp{}, setOperationRelation)
}

func setOperationRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	s := rel.GetSetOp()
	left, err := c.input(s.LeftInput)
	if err != nil {
		return nil, err
	}
	right, err := c.input(s.RightInput)
	if err != nil {
		return nil, err
	}
	opName := map[pb.SetOperation_SetOpType]string{
		pb.SetOperation_SET_OP_TYPE_UNION: "union", pb.SetOperation_SET_OP_TYPE_INTERSECT: "intersect",
		pb.SetOperation_SET_OP_TYPE_EXCEPT: "except",
	}[s.SetOpType]
	if opName == "" {
		return nil, errkind.Invalid("malformed plan: a set operation has no type")
	}
	if s.GetByName() {
		if s.SetOpType != pb.SetOperation_SET_OP_TYPE_UNION {
			return nil, errkind.NotImplemented("by-name matching is only supported for union")
		}
		if left, right, err = c.alignByName(left, right, s.GetAllowMissingColumns()); err != nil {
			return nil, err
		}
	}
	lo, ro := left.Output(), right.Output()
	if len(lo) != len(ro) {
		return nil, errkind.Invalid("[NUM_COLUMNS_MISMATCH] %s can only be performed on inputs with the same number of columns, but the first input has %d columns (%s) and the second has %d (%s); use unionByName(other, allowMissingColumns=True) to match columns by name",
			opName, len(lo), names(lo), len(ro), names(ro))
	}
	types := make([]arrow.DataType, len(lo))
	for i := range lo {
		t, ok := UnionType(lo[i].Type, ro[i].Type)
		if !ok {
			return nil, errkind.Invalid("%s can only be performed on inputs with compatible column types: column %d ('%s') is %s in the first input and %s in the second; cast one side",
				opName, i+1, lo[i].ColumnName, logical.SparkTypeName(lo[i].Type), logical.SparkTypeName(ro[i].Type))
		}
		types[i] = t
	}
	if left, err = c.castTo(left, types); err != nil {
		return nil, err
	}
	if right, err = c.castTo(right, types); err != nil {
		return nil, err
	}
	if s.SetOpType != pb.SetOperation_SET_OP_TYPE_UNION {
		kind := logical.Intersect
		if s.SetOpType == pb.SetOperation_SET_OP_TYPE_EXCEPT {
			kind = logical.Except
		}
		return &logical.SetOperation{Left: left, Right: right, Kind: kind, All: s.GetIsAll()}, nil
	}
	return NewUnion(c.A.IDs, []logical.Plan{left, right}), nil
}

// NewUnion builds a union of inputs whose columns already have equal types; the output takes the
// first input's names and metadata, nullable where any input is.
func NewUnion(ids *logical.IDGenerator, inputs []logical.Plan) *logical.Union {
	first := inputs[0].Output()
	attrs := make([]*logical.ColumnRef, len(first))
	for i, a := range first {
		null := false
		for _, in := range inputs {
			null = null || in.Output()[i].Null
		}
		attrs[i] = &logical.ColumnRef{AttrID: ids.Next(), ColumnName: a.ColumnName, Type: a.Type, Null: null, Metadata: a.Metadata}
	}
	return &logical.Union{Inputs: inputs, Attributes: attrs}
}

// UnionType is the type two columns of a union (or intersect/except) widen to, with Spark's rules:
// numeric widening, strings absorbing other atomic types, null taking the other side's type.
func UnionType(l, r arrow.DataType) (arrow.DataType, bool) {
	if arrow.TypeEqual(l, r) {
		return l, true
	}
	if l.ID() == arrow.NULL {
		return r, true
	}
	if r.ID() == arrow.NULL {
		return l, true
	}
	if t, ok := analyzer.WiderNumericType(l, r); ok {
		return t, true
	}
	if isStringType(l) && isAtomic(r) || isStringType(r) && isAtomic(l) {
		return arrow.BinaryTypes.String, true
	}
	if t, ok := analyzer.ComparableType(l, r); ok && !isStringType(l) && !isStringType(r) {
		return t, true
	}
	return nil, false
}

func isStringType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

func isAtomic(t arrow.DataType) bool {
	switch t.(type) {
	case arrow.NestedType:
		return false
	}
	return true
}

// castTo projects input so its columns have the given types (no-op when they already do).
func (c *Converter) castTo(input logical.Plan, types []arrow.DataType) (logical.Plan, error) {
	out := input.Output()
	changed := false
	exprs := make([]logical.Named, len(out))
	for i, a := range out {
		if arrow.TypeEqual(a.Type, types[i]) {
			exprs[i] = a
			continue
		}
		changed = true
		cast, err := c.A.NewCast(a, types[i], logical.EvalANSI)
		if err != nil {
			return nil, err
		}
		exprs[i] = &logical.Alias{Child: cast, Alias: a.ColumnName, AttrID: c.A.IDs.Next(), Metadata: a.Metadata}
	}
	if !changed {
		return input, nil
	}
	return &logical.Project{Input: input, Expressions: exprs}, nil
}

// alignByName reorders right's columns to left's names (unionByName); with allowMissing, columns
// one side lacks become typed nulls on that side and the right's extra columns go last.
func (c *Converter) alignByName(left, right logical.Plan, allowMissing bool) (logical.Plan, logical.Plan, error) {
	lo, ro := left.Output(), right.Output()
	find := func(attrs []*logical.ColumnRef, name string) (*logical.ColumnRef, error) {
		var found *logical.ColumnRef
		for _, a := range attrs {
			if c.namesEqual(a.ColumnName, name) {
				if found != nil {
					return nil, errkind.Invalid("unionByName found the column name '%s' twice in one input; rename one of them", name)
				}
				found = a
			}
		}
		return found, nil
	}
	var rightExprs []logical.Named
	for _, l := range lo {
		r, err := find(ro, l.ColumnName)
		if err != nil {
			return nil, nil, err
		}
		if r == nil {
			if !allowMissing {
				return nil, nil, errkind.Invalid("unionByName: column '%s' of the first input is missing from the second (columns: %s); pass allowMissingColumns=True to fill it with nulls",
					l.ColumnName, names(ro))
			}
			rightExprs = append(rightExprs, &logical.Alias{Child: logical.NullLiteral(l.Type), Alias: l.ColumnName, AttrID: c.A.IDs.Next()})
			continue
		}
		rightExprs = append(rightExprs, r)
	}
	leftExprs := make([]logical.Named, len(lo))
	for i, l := range lo {
		if _, err := find(lo, l.ColumnName); err != nil {
			return nil, nil, err
		}
		leftExprs[i] = l
	}
	for _, r := range ro {
		l, _ := find(lo, r.ColumnName)
		if l != nil {
			continue
		}
		if !allowMissing {
			return nil, nil, errkind.Invalid("unionByName: column '%s' of the second input is missing from the first (columns: %s); pass allowMissingColumns=True to fill it with nulls",
				r.ColumnName, names(lo))
		}
		leftExprs = append(leftExprs, &logical.Alias{Child: logical.NullLiteral(r.Type), Alias: r.ColumnName, AttrID: c.A.IDs.Next()})
		rightExprs = append(rightExprs, r)
	}
	return &logical.Project{Input: left, Expressions: leftExprs}, &logical.Project{Input: right, Expressions: rightExprs}, nil
}

func names(attrs []*logical.ColumnRef) string {
	parts := make([]string, len(attrs))
	for i, a := range attrs {
		parts[i] = a.ColumnName
	}
	return strings.Join(parts, ", ")
}

var _ = fmt.Sprintf
