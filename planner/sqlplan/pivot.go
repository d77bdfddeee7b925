package sqlplan

import (
	"strings"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/protoplan"
)

// PivotRef is FROM relation PIVOT (aggregates FOR column IN (values)) [alias]: the relation
// grouped by every column neither aggregated nor pivoted, with one column per value (and per
// aggregate when there are several), as Spark's PIVOT. FOR (c, d) IN ((1, 'x') AS p, ...) pivots
// on several columns: a value is a tuple, one constant per column. It plans as the DataFrame
// pivot does.
type PivotRef struct {
	Input TableRef
	// Aggregates are the aggregate expressions, UnresolvedAlias when named.
	Aggregates []logical.Expr
	Columns    []logical.Expr
	// Values are the pivot values, one constant per column each; ValueAliases their names (""
	// for the value's text).
	Values       [][]logical.Expr
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
	// Column names, not expressions: "b IN (...)" would parse as a predicate.
	parenthesized := p.acceptOp("(")
	for {
		column, err := p.qualifiedName()
		if err != nil {
			return nil, err
		}
		ref.Columns = append(ref.Columns, &logical.UnresolvedAttribute{NameParts: column})
		if !parenthesized || !p.acceptOp(",") {
			break
		}
	}
	if parenthesized {
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
	}
	if err := p.expectKeyword("IN"); err != nil {
		return nil, err
	}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	for {
		var value []logical.Expr
		if len(ref.Columns) > 1 {
			if !p.atOp("(") {
				return nil, p.errorf("[PIVOT_VALUE_DATA_TYPE_MISMATCH] PIVOT over %d columns takes values of as many constants in parentheses, such as (1, 'x')", len(ref.Columns))
			}
			p.next()
			listed, err := p.expressionList()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			value = listed
		} else {
			v, err := p.expression()
			if err != nil {
				return nil, err
			}
			value = []logical.Expr{v}
		}
		alias, err := p.optionalAlias()
		if err != nil {
			return nil, err
		}
		ref.Values = append(ref.Values, value)
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
	columns := make([]logical.Expr, len(ref.Columns))
	used := map[logical.ExprID]bool{}
	for i, c := range ref.Columns {
		column, err := b.substitute(c)
		if err != nil {
			return nil, err
		}
		resolved, err := a.ResolveExpr(column, input)
		if err != nil {
			return nil, err
		}
		columns[i] = logical.StripAlias(resolved)
		for id := range logical.ReferencedIDs(columns[i]) {
			used[id] = true
		}
	}
	conditions := make([]logical.Expr, len(ref.Values))
	names := make([]string, len(ref.Values))
	for i, value := range ref.Values {
		if len(value) != len(columns) {
			return nil, errkind.Invalid("[PIVOT_VALUE_DATA_TYPE_MISMATCH] pivot value (%s) has %d constants but PIVOT is over %d columns; give one constant per column",
				logical.JoinExprs(value, ", "), len(value), len(columns))
		}
		texts := make([]string, len(value))
		for j, v := range value {
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
			equal, err := a.ResolveCall("<=>", []logical.Expr{columns[j], lit}, false)
			if err != nil {
				return nil, err
			}
			if conditions[i] == nil {
				conditions[i] = equal
			} else if conditions[i], err = a.ResolveCall("and", []logical.Expr{conditions[i], equal}, false); err != nil {
				return nil, err
			}
			texts[j] = protoplan.PivotValueName(lit)
		}
		// Spark names a tuple value as its struct's text: {a, 1}.
		names[i] = texts[0]
		if len(texts) > 1 {
			names[i] = "{" + strings.Join(texts, ", ") + "}"
		}
		if ref.ValueAliases[i] != "" {
			names[i] = ref.ValueAliases[i]
		}
	}
	// The grouping columns are the input's columns that neither the aggregates nor the pivot
	// columns read, in input order.
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
	plan, err := b.C.PivotAggregateWhere(input, grouping, conditions, names, aggregates)
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
