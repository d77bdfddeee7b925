package sqlplan

import (
	"strings"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// UnpivotRef is FROM relation UNPIVOT [INCLUDE|EXCLUDE NULLS] (value FOR name IN (a, b AS x))
// or, for several value columns, ((v1, v2) FOR name IN ((a, b) AS x, (c, d))): each input row
// becomes one row per IN item, with the columns the IN list does not name (the ids), the item's
// name and its values. It plans as DataFrame.unpivot does (protoplan.Converter.Unpivot).
type UnpivotRef struct {
	Input        TableRef
	IncludeNulls bool
	// ValueNames are the value columns; NameColumn the column holding each item's name.
	ValueNames []string
	NameColumn string
	// Items are the IN list: the columns of each item (one per value column) and its alias.
	Items   [][][]string
	Aliases []string
	Alias   string
}

func (*UnpivotRef) tableRef() {}

// unpivotClause parses UNPIVOT (...) after the FROM relation input.
func (p *parser) unpivotClause(input TableRef) (TableRef, error) {
	p.next() // UNPIVOT
	ref := &UnpivotRef{Input: input}
	if p.atKeyword("INCLUDE", "EXCLUDE") {
		ref.IncludeNulls = strings.EqualFold(p.next().text, "INCLUDE")
		if err := p.expectKeyword("NULLS"); err != nil {
			return nil, err
		}
	}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	multi := p.atOp("(")
	if multi {
		names, err := p.identifierList()
		if err != nil {
			return nil, err
		}
		ref.ValueNames = names
	} else {
		name, err := p.identifier()
		if err != nil {
			return nil, err
		}
		ref.ValueNames = []string{name}
	}
	if err := p.expectKeyword("FOR"); err != nil {
		return nil, err
	}
	name, err := p.identifier()
	if err != nil {
		return nil, err
	}
	ref.NameColumn = name
	if err := p.expectKeyword("IN"); err != nil {
		return nil, err
	}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	for {
		var columns [][]string
		if multi {
			if !p.atOp("(") {
				return nil, p.errorf("expected '(' : with several value columns (%s) each UNPIVOT IN item is a parenthesized column list such as (a, b)", strings.Join(ref.ValueNames, ", "))
			}
			p.next()
			for {
				column, err := p.qualifiedName()
				if err != nil {
					return nil, err
				}
				columns = append(columns, column)
				if !p.acceptOp(",") {
					break
				}
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
		} else {
			if p.atOp("(") {
				return nil, p.errorf("UNPIVOT IN takes column names here; a parenthesized list needs several value columns, as in UNPIVOT ((v1, v2) FOR name IN ((a, b), ...))")
			}
			column, err := p.qualifiedName()
			if err != nil {
				return nil, err
			}
			columns = [][]string{column}
		}
		if !p.atOp(",") && !p.atOp(")") && !p.atKeyword("AS") && p.peek().kind != tokIdent && p.peek().kind != tokQuotedIdent {
			return nil, p.errorf("UNPIVOT IN takes column names, each with an optional alias")
		}
		alias, err := p.optionalAlias()
		if err != nil {
			return nil, err
		}
		ref.Items = append(ref.Items, columns)
		ref.Aliases = append(ref.Aliases, alias)
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

// unpivot binds an UnpivotRef.
func (b *Binder) unpivot(ref *UnpivotRef) (logical.Plan, error) {
	input, err := b.tableRef(ref.Input)
	if err != nil {
		return nil, err
	}
	a := b.analyzer()
	used := map[logical.ExprID]bool{}
	values := make([][]logical.Named, len(ref.Items))
	names := make([]string, len(ref.Items))
	for i, item := range ref.Items {
		parts := make([]string, len(item))
		for j, column := range item {
			resolved, err := a.ResolveExpr(&logical.UnresolvedAttribute{NameParts: column}, input)
			if err != nil {
				return nil, err
			}
			attribute, ok := logical.StripAlias(resolved).(*logical.ColumnRef)
			if !ok {
				return nil, errkind.Invalid("UNPIVOT IN takes columns of the relation before UNPIVOT; '%s' is not one of them", nameString(column))
			}
			used[attribute.AttrID] = true
			values[i] = append(values[i], attribute)
			parts[j] = column[len(column)-1]
		}
		names[i] = strings.Join(parts, "_")
		if ref.Aliases[i] != "" {
			names[i] = ref.Aliases[i]
		}
	}
	var ids []logical.Named
	for _, column := range input.Output() {
		if !used[column.AttrID] {
			ids = append(ids, column)
		}
	}
	plan, err := b.C.Unpivot(input, ids, values, names, ref.NameColumn, ref.ValueNames, !ref.IncludeNulls)
	if err != nil {
		return nil, err
	}
	if ref.Alias != "" {
		plan = &logical.SubqueryAlias{Input: plan, Alias: ref.Alias}
	}
	return plan, nil
}
