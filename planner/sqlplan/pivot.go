package sqlplan

import (
	"strings"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// PivotRef is FROM relation PIVOT (aggregates FOR column IN (values)) [alias]: the relation
// grouped by every column neither aggregated nor pivoted, with one column per value (and per
// aggregate when there are several), as Spark's PIVOT. It plans as the DataFrame pivot does.
type PivotRef struct {
	Input TableRef
	// Aggregates are the aggregate expressions, UnresolvedAlias when named.
	Aggregates []logical.Expr
	Column     logical.Expr
	// Values are the pivot values (constants); ValueAliases their names ("" for the value's text).
	Values       []logical.Expr
	ValueAliases []string
	Alias        string
}

func (*PivotRef) tableRef() {}

// pivotClause parses PIVOT (...) after the FROM relation input.
func (p *parser) pivotClause(input TableRef) (TableRef, error) {
	p.next() // PIVOT
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	ref := &PivotRef{Input: input}
	for {
		e, err := p.expression()
		if err != nil {
			return nil, err
		}
		if p.acceptKeyword("AS") || p.peek().kind == tokQuotedIdent || p.peek().kind == tokIdent && !p.atKeyword("FOR") && !reserved[strings.ToLower(p.peek().text)] {
			name, err := p.identifier()
			if err != nil {
				return nil, err
			}
			e = &logical.UnresolvedAlias{Child: e, Names: []string{name}}
		}
		ref.Aggregates = append(ref.Aggregates, e)
		if !p.acceptOp(",") {
			break
		}
	}
	if err := p.expectKeyword("FOR"); err != nil {
		return nil, err
	}
	if p.atOp("(") {
		return nil, p.unsupportedf("PIVOT over several columns (FOR (a, b) IN ...)")
	}
	// A column name, not an expression: "b IN (...)" would parse as a predicate.
	column, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	ref.Column = &logical.UnresolvedAttribute{NameParts: column}
	if err := p.expectKeyword("IN"); err != nil {
		return nil, err
	}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	for {
		v, err := p.expression()
		if err != nil {
			return nil, err
		}
		alias, err := p.optionalAlias()
		if err != nil {
			return nil, err
		}
		ref.Values = append(ref.Values, v)
		ref.ValueAliases = append(ref.ValueAliases, alias)
		if !p.acceptOp(",") {
			break
		}
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	alias, err := p.optionalAlias()
	if err != nil {
		return nil, err
	}
	ref.Alias = alias
	return ref, nil
}

// pivot binds a PivotRef.
func (b *Binder) pivot(ref *PivotRef) (logical.Plan, error) {
	input, err := b.tableRef(ref.Input)
	if err != nil {
		return nil, err
	}
	a := b.analyzer()
	items := make([]logical.Expr, len(ref.Aggregates))
	for i, e := range ref.Aggregates {
		if items[i], err = b.prepareExpr(e, nil); err != nil {
			return nil, err
		}
	}
	aggregates, err := a.ResolveNamedList(items, input)
	if err != nil {
		return nil, err
	}
	for _, agg := range aggregates {
		if !logical.ContainsAggregate(agg) {
			return nil, errkind.Invalid("[NON_AGGREGATE_FUNCTION_IN_PIVOT] '%s' in PIVOT is not an aggregate; PIVOT needs aggregate functions such as sum(x)", agg.String())
		}
	}
	column, err := b.substitute(ref.Column)
	if err != nil {
		return nil, err
	}
	pivotColumn, err := a.ResolveExpr(column, input)
	if err != nil {
		return nil, err
	}
	pivotColumn = logical.StripAlias(pivotColumn)
	values := make([]*logical.Literal, len(ref.Values))
	for i, v := range ref.Values {
		v, err := b.substitute(v)
		if err != nil {
			return nil, err
		}
		resolved, err := a.ResolveExpr(v, input)
		if err != nil {
			return nil, err
		}
		lit, ok := constantValue(logical.StripAlias(resolved))
		if !ok {
			return nil, errkind.Invalid("[NON_LITERAL_PIVOT_VALUES] pivot value '%s' is not a constant; PIVOT ... IN (...) takes literal values", resolved.String())
		}
		values[i] = lit
	}
	// The grouping columns are the input's columns that neither the aggregates nor the pivot
	// column read, in input order.
	used := logical.ReferencedIDs(pivotColumn)
	for _, agg := range aggregates {
		for id := range logical.ReferencedIDs(agg) {
			used[id] = true
		}
	}
	var grouping []logical.Named
	for _, attr := range input.Output() {
		if !used[attr.AttrID] {
			grouping = append(grouping, attr)
		}
	}
	plan, err := b.C.PivotAggregate(input, grouping, pivotColumn, values, ref.ValueAliases, aggregates)
	if err != nil {
		return nil, err
	}
	if ref.Alias != "" {
		plan = &logical.SubqueryAlias{Input: plan, Alias: ref.Alias}
	}
	return plan, nil
}

// constantValue is a literal, or a cast of one, as a literal.
func constantValue(e logical.Expr) (*logical.Literal, bool) {
	switch x := e.(type) {
	case *logical.Literal:
		return x, true
	case *logical.Cast:
		inner, ok := constantValue(x.Child)
		if !ok {
			return nil, false
		}
		cast, err := inner.Value.CastTo(x.To)
		if err != nil {
			return nil, false
		}
		return logical.NewLiteral(cast), true
	}
	return nil, false
}
