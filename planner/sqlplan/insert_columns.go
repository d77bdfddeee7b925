package sqlplan

import (
	"strings"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// insertColumns arranges the rows of INSERT INTO t (columns) query in t's column order, as
// Spark does: the query's i-th column goes to the i-th listed column and the table's columns
// left out of the list get NULL (their default).
func (b *Binder) insertColumns(s *InsertInto, query logical.Plan) (logical.Plan, error) {
	a := b.analyzer()
	if a.Catalog == nil {
		return nil, errkind.Internal("no catalog to look up %s", nameString(s.Table))
	}
	target, err := a.Catalog.LookupRelation(quoteName(s.Table), a.IDs)
	if err != nil {
		return nil, err
	}
	columns := target.Output()
	got := query.Output()
	if len(s.Columns) != len(got) {
		return nil, errkind.Invalid("[INSERT_COLUMN_ARITY_MISMATCH] INSERT INTO %s lists %d columns (%s) but the query returns %d",
			nameString(s.Table), len(s.Columns), strings.Join(s.Columns, ", "), len(got))
	}
	source := make([]int, len(columns))
	for i := range source {
		source[i] = -1
	}
	for j, name := range s.Columns {
		found := -1
		for i, c := range columns {
			if c.ColumnName == name || !a.Config.CaseSensitive && strings.EqualFold(c.ColumnName, name) {
				found = i
				break
			}
		}
		if found < 0 {
			return nil, errkind.Invalid("[UNRESOLVED_COLUMN] INSERT INTO %s: column '%s' is not in the table; its columns are %s",
				nameString(s.Table), name, columnNames(columns))
		}
		if source[found] >= 0 {
			return nil, errkind.Invalid("[COLUMN_ALREADY_EXISTS] INSERT INTO %s lists column '%s' twice", nameString(s.Table), name)
		}
		source[found] = j
	}
	expressions := make([]logical.Named, len(columns))
	for i, c := range columns {
		var e logical.Expr
		if source[i] >= 0 {
			e = got[source[i]]
		} else {
			e = logical.NullLiteral(c.Type)
		}
		expressions[i] = &logical.Alias{Child: e, Alias: c.ColumnName, AttrID: a.IDs.Next()}
	}
	return &logical.Project{Input: query, Expressions: expressions}, nil
}
