package sqlplan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/protoplan"
)

// Parameters are the values of a statement's parameter markers (:name and ?).
type Parameters struct {
	Named      map[string]*logical.Literal
	Positional []*logical.Literal
	// markers binds each ? to a parameterMarker instead of a value (ParameterTypes).
	markers bool
}

// Binder turns parsed queries into resolved logical plans through the proto front end's
// Converter, so SQL builds exactly the nodes (and runs the same project planners for aggregates
// and windows) that the DataFrame API does.
type Binder struct {
	C      *protoplan.Converter
	Params Parameters
	// ctes is a stack of WITH scopes, innermost last.
	ctes []map[string]*cteEntry
}

// cteEntry is a CTE with the scopes visible where it was defined (outer WITHs and the CTEs
// before it in its own WITH), so each reference binds it afresh in the right scope.
type cteEntry struct {
	cte    *CTE
	scopes []map[string]*cteEntry
}

// NewBinder returns a binder over a converter (and its analyzer and catalog).
func NewBinder(c *protoplan.Converter, params Parameters) *Binder {
	return &Binder{C: c, Params: params}
}

func (b *Binder) analyzer() *analyzer.Analyzer { return b.C.A }

// Query binds a query to a resolved logical plan.
func (b *Binder) Query(q Query) (logical.Plan, error) {
	switch q := q.(type) {
	case *QueryBlock:
		return b.queryBlock(q)
	case *Select:
		return b.selectQuery(q, nil)
	case *SetOp:
		return b.setOperation(q)
	case *Values:
		return b.values(q)
	}
	return nil, errkind.Internal("unknown query node %T", q)
}

func (b *Binder) queryBlock(q *QueryBlock) (logical.Plan, error) {
	if len(q.With) > 0 {
		outer := b.ctes
		scope := map[string]*cteEntry{}
		for i := range q.With {
			cte := &q.With[i]
			key := strings.ToLower(cte.Name)
			if _, dup := scope[key]; dup {
				return nil, errkind.Invalid("WITH defines '%s' twice; give each common table expression its own name", cte.Name)
			}
			before := make(map[string]*cteEntry, len(scope))
			for k, v := range scope {
				before[k] = v
			}
			visible := append(append([]map[string]*cteEntry(nil), outer...), before)
			scope[key] = &cteEntry{cte: cte, scopes: visible}
		}
		b.ctes = append(append([]map[string]*cteEntry(nil), outer...), scope)
		defer func() { b.ctes = outer }()
	}
	var plan logical.Plan
	var err error
	sorted := false
	if q.OrderByAll {
		// ORDER BY ALL sorts by every output column, unless one of them is named all.
		if plan, err = b.Query(q.Body); err != nil {
			return nil, err
		}
		if plan, sorted, err = b.sortByAll(plan, q.OrderBy[0]); err != nil {
			return nil, err
		}
	}
	switch sel, ok := q.Body.(*Select); {
	case sorted:
	case ok && len(q.OrderBy) > 0:
		// ORDER BY may name columns the select list drops (Spark's missing-attribute rule).
		plan, err = b.selectQuery(sel, q.OrderBy)
	default:
		plan, err = b.Query(q.Body)
		if err == nil && len(q.OrderBy) > 0 {
			plan, err = b.sort(plan, q.OrderBy, nil)
		}
	}
	if err != nil {
		return nil, err
	}
	if q.Limit != nil || q.Offset != nil {
		count, offset := int64(-1), int64(0)
		if q.Limit != nil {
			if count, err = b.constantInt(q.Limit, "LIMIT"); err != nil {
				return nil, err
			}
		}
		if q.Offset != nil {
			if offset, err = b.constantInt(q.Offset, "OFFSET"); err != nil {
				return nil, err
			}
		}
		plan = &logical.Limit{Input: plan, Count: count, Offset: offset}
	}
	return plan, nil
}

func (b *Binder) constantInt(e logical.Expr, clause string) (int64, error) {
	e, err := b.substitute(e)
	if err != nil {
		return 0, err
	}
	r, err := b.analyzer().ResolveExprIn(e, nil)
	if err != nil {
		return 0, err
	}
	lit, ok := r.(*logical.Literal)
	if !ok || !lit.Value.IsValid() {
		return 0, errkind.Invalid("%s needs a constant integer, got %s", clause, r.String())
	}
	v, err := lit.Value.CastTo(arrow.PrimitiveTypes.Int64)
	if err != nil {
		return 0, errkind.Invalid("%s needs an integer, got %s", clause, r.String())
	}
	var out int64
	if _, err := fmt.Sscan(v.String(), &out); err != nil {
		return 0, errkind.Invalid("%s needs an integer, got %s", clause, r.String())
	}
	if out < 0 {
		return 0, errkind.Invalid("%s must be zero or positive, got %d", clause, out)
	}
	return out, nil
}

// -- FROM --------------------------------------------------------------------------------------

func (b *Binder) lookupCTE(name []string) *cteEntry {
	if len(name) != 1 {
		return nil
	}
	key := strings.ToLower(name[0])
	for i := len(b.ctes) - 1; i >= 0; i-- {
		if c, ok := b.ctes[i][key]; ok {
			return c
		}
	}
	return nil
}

func (b *Binder) tableRef(t TableRef) (logical.Plan, error) {
	switch t := t.(type) {
	case *TableName:
		var plan logical.Plan
		if entry := b.lookupCTE(t.Name); entry != nil {
			// A CTE sees only the scopes around its definition; binding it per use gives each
			// reference fresh attribute ids, so a CTE joined with itself works.
			cte := entry.cte
			saved := b.ctes
			b.ctes = entry.scopes
			inner, err := b.Query(cte.Query)
			b.ctes = saved
			if err != nil {
				return nil, err
			}
			if len(cte.Columns) > 0 {
				if inner, err = b.renameColumns(inner, cte.Columns, cte.Name); err != nil {
					return nil, err
				}
			}
			plan = inner
		} else {
			if b.analyzer().Catalog == nil {
				return nil, errkind.Internal("no catalog to look up %s", nameString(t.Name))
			}
			p, err := b.analyzer().Catalog.LookupRelation(quoteName(t.Name), b.analyzer().IDs)
			if err != nil {
				return nil, err
			}
			plan = p
		}
		alias := t.Alias
		if alias == "" {
			alias = t.Name[len(t.Name)-1]
		}
		plan = &logical.SubqueryAlias{Input: plan, Alias: alias}
		if len(t.ColumnAliases) > 0 {
			return b.renameColumns(plan, t.ColumnAliases, alias)
		}
		return plan, nil
	case *SubqueryRef:
		plan, err := b.Query(t.Query)
		if err != nil {
			return nil, err
		}
		if t.Alias != "" {
			plan = &logical.SubqueryAlias{Input: plan, Alias: t.Alias}
		}
		if len(t.ColumnAliases) > 0 {
			return b.renameColumns(plan, t.ColumnAliases, t.Alias)
		}
		return plan, nil
	case *TableFunction:
		return b.tableFunction(t)
	case *JoinRef:
		return b.join(t)
	case *LateralView:
		return b.lateralView(t)
	case *UnpivotRef:
		return b.unpivot(t)
	case *PivotRef:
		return b.pivot(t)
	}
	return nil, errkind.Internal("unknown table reference %T", t)
}

// quoteName renders a name for the catalog, quoting parts that hold dots.
func quoteName(parts []string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		if strings.ContainsAny(p, ".`") {
			out[i] = "`" + strings.ReplaceAll(p, "`", "``") + "`"
		} else {
			out[i] = p
		}
	}
	return strings.Join(out, ".")
}

func (b *Binder) renameColumns(plan logical.Plan, names []string, alias string) (logical.Plan, error) {
	out := plan.Output()
	if len(names) != len(out) {
		return nil, errkind.Invalid("'%s' has %d columns but %d column names were given (%s)", alias, len(out), len(names), strings.Join(names, ", "))
	}
	exprs := make([]logical.Named, len(out))
	for i, a := range out {
		exprs[i] = &logical.Alias{Child: a, Alias: names[i], AttrID: b.analyzer().IDs.Next(), Metadata: a.Metadata}
	}
	var p logical.Plan = &logical.Project{Input: plan, Expressions: exprs}
	if alias != "" {
		p = &logical.SubqueryAlias{Input: p, Alias: alias}
	}
	return p, nil
}

func (b *Binder) tableFunction(t *TableFunction) (logical.Plan, error) {
	if analyzer.GeneratorFunctions[strings.ToLower(t.Name)] {
		return b.generatorTable(t)
	}
	if t.Name != "range" {
		return nil, errkind.NotImplemented("table-valued function '%s' is not supported; Quiver's SQL has range(...)", t.Name)
	}
	ints := make([]int64, len(t.Args))
	for i, a := range t.Args {
		v, err := b.constantIntSigned(a)
		if err != nil {
			return nil, err
		}
		ints[i] = v
	}
	r := &logical.Range{Step: 1, NumPartitions: b.analyzer().Config.DefaultParallelism}
	switch len(ints) {
	case 1:
		r.End = ints[0]
	case 2, 3, 4:
		r.Start, r.End = ints[0], ints[1]
		if len(ints) >= 3 {
			r.Step = ints[2]
		}
		if len(ints) == 4 {
			r.NumPartitions = int(ints[3])
		}
	default:
		return nil, errkind.Invalid("range takes 1 to 4 arguments (end | start, end[, step[, numPartitions]]), got %d", len(ints))
	}
	if r.Step == 0 {
		return nil, errkind.Invalid("range step must not be zero")
	}
	r.Attribute = &logical.ColumnRef{AttrID: b.analyzer().IDs.Next(), ColumnName: "id", Type: arrow.PrimitiveTypes.Int64}
	var plan logical.Plan = r
	if t.Alias != "" {
		plan = &logical.SubqueryAlias{Input: plan, Alias: t.Alias}
		if len(t.ColumnAliases) > 0 {
			return b.renameColumns(plan, t.ColumnAliases, t.Alias)
		}
	}
	return plan, nil
}

func (b *Binder) constantIntSigned(e logical.Expr) (int64, error) {
	r, err := b.analyzer().ResolveExprIn(e, nil)
	if err != nil {
		return 0, err
	}
	lit, ok := r.(*logical.Literal)
	if !ok || !lit.Value.IsValid() {
		return 0, errkind.Invalid("expected a constant integer, got %s", r.String())
	}
	var out int64
	if _, err := fmt.Sscan(lit.Value.String(), &out); err != nil {
		return 0, errkind.Invalid("expected an integer, got %s", r.String())
	}
	return out, nil
}

func (b *Binder) join(j *JoinRef) (logical.Plan, error) {
	left, err := b.tableRef(j.Left)
	if err != nil {
		return nil, err
	}
	right, err := b.tableRef(j.Right)
	if err != nil {
		return nil, err
	}
	using := j.Using
	if j.Natural {
		for _, l := range left.Output() {
			for _, r := range right.Output() {
				if strings.EqualFold(l.ColumnName, r.ColumnName) {
					using = append(using, l.ColumnName)
				}
			}
		}
	}
	if len(using) > 0 {
		return b.usingJoin(left, right, j.Type, using)
	}
	var cond logical.Expr
	if j.On != nil {
		on, err := b.substitute(j.On)
		if err != nil {
			return nil, err
		}
		attrs := append(append([]*logical.ColumnRef(nil), left.Output()...), right.Output()...)
		if cond, err = b.analyzer().ResolveExprIn(on, attrs); err != nil {
			return nil, err
		}
		if cond.DataType().ID() != arrow.BOOL {
			return nil, errkind.Invalid("join condition '%s' is %s, not boolean", cond.String(), logical.SparkTypeName(cond.DataType()))
		}
	}
	joinType := j.Type
	if joinType == logical.CrossJoin && cond != nil {
		joinType = logical.InnerJoin
	}
	return &logical.Join{Left: left, Right: right, Type: joinType, Condition: cond}, nil
}

// usingJoin plans JOIN ... USING (k): the key equalities as the condition, then the keys once
// (coalesced for a full join), then the other columns of each side, as Spark does.
func (b *Binder) usingJoin(left, right logical.Plan, joinType logical.JoinType, names []string) (logical.Plan, error) {
	a := b.analyzer()
	var cond logical.Expr
	var keys []logical.Named
	usedLeft, usedRight := map[logical.ExprID]bool{}, map[logical.ExprID]bool{}
	for _, name := range names {
		l, err := a.ResolveExprIn(&logical.UnresolvedAttribute{NameParts: []string{name}}, left.Output())
		if err != nil {
			return nil, errkind.Invalid("USING column '%s' is not a column of the left side: %v", name, err)
		}
		r, err := a.ResolveExprIn(&logical.UnresolvedAttribute{NameParts: []string{name}}, right.Output())
		if err != nil {
			return nil, errkind.Invalid("USING column '%s' is not a column of the right side: %v", name, err)
		}
		lc, lok := l.(*logical.ColumnRef)
		rc, rok := r.(*logical.ColumnRef)
		if !lok || !rok {
			return nil, errkind.Invalid("USING column '%s' must be a top-level column", name)
		}
		eq, err := a.ResolveCall("=", []logical.Expr{lc, rc}, false)
		if err != nil {
			return nil, err
		}
		if cond == nil {
			cond = eq
		} else if cond, err = a.ResolveCall("and", []logical.Expr{cond, eq}, false); err != nil {
			return nil, err
		}
		usedLeft[lc.AttrID], usedRight[rc.AttrID] = true, true
		switch joinType {
		case logical.RightOuterJoin:
			keys = append(keys, rc)
		case logical.FullOuterJoin:
			co, err := a.ResolveCall("coalesce", []logical.Expr{lc, rc}, false)
			if err != nil {
				return nil, err
			}
			keys = append(keys, &logical.Alias{Child: co, Alias: lc.ColumnName, AttrID: a.IDs.Next()})
		default:
			keys = append(keys, lc)
		}
	}
	j := &logical.Join{Left: left, Right: right, Type: joinType, Condition: cond}
	out := keys
	joined := j.Output()
	for _, at := range joined {
		if usedLeft[at.AttrID] || usedRight[at.AttrID] {
			continue
		}
		out = append(out, at)
	}
	// Keys read from the join output carry the outer join's nullability.
	for i, k := range out[:len(keys)] {
		if c, ok := k.(*logical.ColumnRef); ok {
			for _, at := range joined {
				if at.AttrID == c.AttrID {
					out[i] = at
				}
			}
		}
	}
	return &logical.Project{Input: j, Expressions: out}, nil
}

// -- SELECT ------------------------------------------------------------------------------------

// oneRow is the input of SELECT without FROM: one row, whose column nothing reads.
func (b *Binder) oneRow() logical.Plan {
	return &logical.Range{Start: 0, End: 1, Step: 1, NumPartitions: 1,
		Attribute: &logical.ColumnRef{AttrID: b.analyzer().IDs.Next(), ColumnName: "id", Type: arrow.PrimitiveTypes.Int64}}
}

func (b *Binder) selectQuery(s *Select, orderBy []*logical.SortOrder) (logical.Plan, error) {
	var plan logical.Plan
	var err error
	if s.From == nil {
		plan = b.oneRow()
	} else if plan, err = b.from(s.From, s.Where); err != nil {
		return nil, err
	}
	if s.Where != nil {
		if plan, err = b.where(plan, s.Where); err != nil {
			return nil, err
		}
	}
	items := make([]logical.Expr, len(s.Items))
	for i, item := range s.Items {
		if items[i], err = b.prepareExpr(item, s.Windows); err != nil {
			return nil, err
		}
	}
	if err := rejectOrderByWindow(orderBy); err != nil {
		return nil, err
	}
	if len(s.GroupBy) > 0 || s.Having != nil || b.hasAggregate(items) {
		return b.aggregate(plan, s, items, orderBy)
	}
	for i, item := range items {
		// A scalar subquery in the select list joins its value to each row, as in WHERE.
		if !containsSubquery(item) {
			continue
		}
		if plan, items[i], err = b.attachScalarSubqueries(plan, item); err != nil {
			return nil, err
		}
		if containsSubquery(items[i]) {
			return nil, errkind.NotImplemented("IN and EXISTS subqueries in the select list are not supported yet; use them in WHERE")
		}
	}
	input := plan
	projected, err := b.C.Project(plan, items)
	if err != nil {
		return nil, err
	}
	if s.Distinct {
		if projected, err = b.distinct(projected); err != nil {
			return nil, err
		}
	}
	if len(orderBy) == 0 {
		return projected, nil
	}
	return b.sortWithMissing(projected, input, orderBy, s.Distinct)
}

// rejectOrderByWindow fails on a window function written in ORDER BY, as Spark does: the window
// is selected under an alias and ordered by that.
func rejectOrderByWindow(orderBy []*logical.SortOrder) error {
	for _, o := range orderBy {
		found := false
		logical.Walk(o.Child, func(x logical.Expr) bool {
			_, isWindow := x.(*WindowCall)
			found = found || isWindow
			return !found
		})
		if found {
			return errkind.Invalid("[UNSUPPORTED_EXPR_FOR_OPERATOR] window functions are not allowed in ORDER BY ('%s'); select the window under an alias (rank() OVER (...) AS r) and ORDER BY r", o.Child.String())
		}
	}
	return nil
}

// prepareExpr substitutes parameters, expands named windows and turns WindowCall into the
// logical WindowExpr the window planner knows.
func (b *Binder) prepareExpr(e logical.Expr, windows map[string]*WindowSpec) (logical.Expr, error) {
	e, err := b.substitute(e)
	if err != nil {
		return nil, err
	}
	return windowExprs(e, windows)
}

// windowExprs turns each WindowCall into the logical WindowExpr, expanding named windows.
func windowExprs(e logical.Expr, windows map[string]*WindowSpec) (logical.Expr, error) {
	return logical.Transform(e, func(x logical.Expr) (logical.Expr, error) {
		w, ok := x.(*WindowCall)
		if !ok {
			return x, nil
		}
		spec := w.Spec
		if spec.Name != "" {
			named, ok := windows[spec.Name]
			if !ok {
				return nil, errkind.Invalid("window '%s' is not defined; add WINDOW %s AS (...) after HAVING", spec.Name, spec.Name)
			}
			merged := *named
			if len(spec.PartitionBy) > 0 {
				merged.PartitionBy = spec.PartitionBy
			}
			if len(spec.OrderBy) > 0 {
				merged.OrderBy = spec.OrderBy
			}
			if spec.Frame != nil {
				merged.Frame = spec.Frame
			}
			spec = &merged
		}
		return &logical.WindowExpr{Function: w.Function, PartitionSpec: spec.PartitionBy, OrderSpec: spec.OrderBy, Frame: spec.Frame}, nil
	})
}

// substitute replaces parameter markers with their values.
func (b *Binder) substitute(e logical.Expr) (logical.Expr, error) {
	return logical.Transform(e, func(x logical.Expr) (logical.Expr, error) {
		switch v := x.(type) {
		case *Parameter:
			if v.Name != "" {
				lit, ok := b.Params.Named[v.Name]
				if !ok {
					return nil, errkind.Invalid("parameter :%s has no value; pass it in args={'%s': ...}", v.Name, v.Name)
				}
				return lit, nil
			}
			if b.Params.markers {
				return &parameterMarker{Index: v.Index}, nil
			}
			if v.Index >= len(b.Params.Positional) {
				return nil, errkind.Invalid("parameter %d (?) has no value: %d values were given", v.Index+1, len(b.Params.Positional))
			}
			return b.Params.Positional[v.Index], nil
		case *unsupported:
			return nil, errkind.NotImplemented("%s is not supported by Quiver's SQL yet", v.construct)
		}
		return x, nil
	})
}

func (b *Binder) sort(plan logical.Plan, order []*logical.SortOrder, _ logical.Plan) (logical.Plan, error) {
	if err := rejectOrderByWindow(order); err != nil {
		return nil, err
	}
	out := make([]*logical.SortOrder, len(order))
	for i, o := range order {
		child, err := b.substitute(o.Child)
		if err != nil {
			return nil, err
		}
		child = b.ordinal(child, plan)
		so, err := b.C.ResolveSortOrder(&logical.SortOrder{Child: child, Direction: o.Direction, Nulls: o.Nulls}, plan)
		if err != nil {
			return nil, err
		}
		out[i] = so
	}
	return &logical.Sort{Input: plan, Order: out, Global: true}, nil
}

// ordinal turns ORDER BY 2 into a reference to the second output column, as Spark does.
func (b *Binder) ordinal(e logical.Expr, plan logical.Plan) logical.Expr {
	lit, ok := e.(*logical.Literal)
	if !ok || !lit.Value.IsValid() {
		return e
	}
	if lit.DataType().ID() != arrow.INT32 && lit.DataType().ID() != arrow.INT64 {
		return e
	}
	var n int
	if _, err := fmt.Sscan(lit.Value.String(), &n); err != nil {
		return e
	}
	out := plan.Output()
	if n < 1 || n > len(out) {
		return &unsupported{construct: fmt.Sprintf("ordinal %d (the select list has %d columns)", n, len(out))}
	}
	return out[n-1]
}

// sortWithMissing sorts a projection by keys that may name columns of the projection's input
// that the select list dropped: those are carried through the sort and projected away after.
func (b *Binder) sortWithMissing(projected, input logical.Plan, order []*logical.SortOrder, distinct bool) (logical.Plan, error) {
	sorted, err := b.sort(projected, order, input)
	if err == nil {
		return sorted, nil
	}
	project, ok := projected.(*logical.Project)
	if !ok || distinct || !errors.Is(err, errkind.ErrInvalid) {
		return nil, err
	}
	// Resolve the keys against the input, keep the select list plus the missing columns.
	wide := append([]logical.Named(nil), project.Expressions...)
	seen := map[logical.ExprID]bool{}
	for _, n := range wide {
		seen[n.ID()] = true
	}
	for _, o := range order {
		child, serr := b.substitute(o.Child)
		if serr != nil {
			return nil, serr
		}
		r, rerr := b.analyzer().ResolveExpr(child, input)
		if rerr != nil {
			return nil, err
		}
		for id := range logical.ReferencedIDs(r) {
			for _, at := range input.Output() {
				if at.AttrID == id && !seen[id] {
					wide = append(wide, at)
					seen[id] = true
				}
			}
		}
	}
	widePlan := &logical.Project{Input: project.Input, Expressions: wide}
	sorted, serr := b.sortPreferring(widePlan, order, project)
	if serr != nil {
		return nil, serr
	}
	return &logical.Project{Input: sorted, Expressions: attrsAsNamed(project.Output())}, nil
}

// sortPreferring resolves sort keys against the select list's names first, then the input's.
func (b *Binder) sortPreferring(wide *logical.Project, order []*logical.SortOrder, _ *logical.Project) (logical.Plan, error) {
	return b.sort(wide, order, nil)
}

func attrsAsNamed(attrs []*logical.ColumnRef) []logical.Named {
	out := make([]logical.Named, len(attrs))
	for i, a := range attrs {
		out[i] = a
	}
	return out
}

// -- set operations and VALUES -----------------------------------------------------------------

func (b *Binder) setOperation(s *SetOp) (logical.Plan, error) {
	left, err := b.Query(s.Left)
	if err != nil {
		return nil, err
	}
	right, err := b.Query(s.Right)
	if err != nil {
		return nil, err
	}
	lo, ro := left.Output(), right.Output()
	op := strings.ToUpper(s.Kind)
	if len(lo) != len(ro) {
		return nil, errkind.Invalid("%s needs inputs with the same number of columns: the first has %d (%s), the second %d (%s)",
			op, len(lo), columnNames(lo), len(ro), columnNames(ro))
	}
	types := make([]arrow.DataType, len(lo))
	for i := range lo {
		t, ok := protoplan.UnionType(lo[i].Type, ro[i].Type)
		if !ok {
			return nil, errkind.Invalid("%s needs compatible column types: column %d ('%s') is %s in the first input and %s in the second; CAST one side",
				op, i+1, lo[i].ColumnName, logical.SparkTypeName(lo[i].Type), logical.SparkTypeName(ro[i].Type))
		}
		types[i] = t
	}
	if left, err = b.castColumns(left, types); err != nil {
		return nil, err
	}
	if right, err = b.castColumns(right, types); err != nil {
		return nil, err
	}
	switch op {
	case "UNION":
		var u logical.Plan = protoplan.NewUnion(b.analyzer().IDs, []logical.Plan{left, right})
		if !s.All {
			return b.distinct(u)
		}
		return u, nil
	case "INTERSECT":
		return &logical.SetOperation{Left: left, Right: right, Kind: logical.Intersect, All: s.All}, nil
	}
	return &logical.SetOperation{Left: left, Right: right, Kind: logical.Except, All: s.All}, nil
}

func columnNames(attrs []*logical.ColumnRef) string {
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = a.ColumnName
	}
	return strings.Join(names, ", ")
}

func (b *Binder) castColumns(plan logical.Plan, types []arrow.DataType) (logical.Plan, error) {
	out := plan.Output()
	changed := false
	exprs := make([]logical.Named, len(out))
	for i, a := range out {
		if arrow.TypeEqual(a.Type, types[i]) {
			exprs[i] = a
			continue
		}
		changed = true
		c, err := b.analyzer().NewCast(a, types[i], logical.EvalANSI)
		if err != nil {
			return nil, err
		}
		exprs[i] = &logical.Alias{Child: c, Alias: a.ColumnName, AttrID: b.analyzer().IDs.Next(), Metadata: a.Metadata}
	}
	if !changed {
		return plan, nil
	}
	return &logical.Project{Input: plan, Expressions: exprs}, nil
}

// values plans VALUES rows as one-row projections under a union; columns are col1, col2, ...
func (b *Binder) values(v *Values) (logical.Plan, error) {
	var rows []logical.Plan
	for _, row := range v.Rows {
		exprs := make([]logical.Expr, len(row))
		for i, e := range row {
			e, err := b.substitute(e)
			if err != nil {
				return nil, err
			}
			exprs[i] = &logical.UnresolvedAlias{Child: e, Names: []string{fmt.Sprintf("col%d", i+1)}}
		}
		p, err := b.C.Project(b.oneRow(), exprs)
		if err != nil {
			return nil, err
		}
		rows = append(rows, p)
	}
	if len(rows) == 1 {
		return rows[0], nil
	}
	width := len(rows[0].Output())
	types := make([]arrow.DataType, width)
	for i := 0; i < width; i++ {
		t := rows[0].Output()[i].Type
		for _, r := range rows[1:] {
			next, ok := protoplan.UnionType(t, r.Output()[i].Type)
			if !ok {
				return nil, errkind.Invalid("VALUES column %d mixes %s and %s; CAST the values to one type", i+1,
					logical.SparkTypeName(t), logical.SparkTypeName(r.Output()[i].Type))
			}
			t = next
		}
		types[i] = t
	}
	for i, r := range rows {
		cast, err := b.castColumns(r, types)
		if err != nil {
			return nil, err
		}
		rows[i] = cast
	}
	return protoplan.NewUnion(b.analyzer().IDs, rows), nil
}

// from binds a FROM clause. A comma-separated list is joined in an order where each next
// relation shares a WHERE equality with those before it when one does, instead of the order
// written (Spark's ReorderJoin does the same): TPC-H's "FROM part, supplier, lineitem, ..." must
// not start with the cross product of part and supplier.
func (b *Binder) from(ref TableRef, where logical.Expr) (logical.Plan, error) {
	var leaves []TableRef
	var flatten func(t TableRef)
	flatten = func(t TableRef) {
		if j, ok := t.(*JoinRef); ok && j.Type == logical.InnerJoin && j.On == nil && len(j.Using) == 0 && !j.Natural {
			flatten(j.Left)
			flatten(j.Right)
			return
		}
		leaves = append(leaves, t)
	}
	flatten(ref)
	if len(leaves) < 3 || where == nil {
		return b.tableRef(ref)
	}
	plans := make([]logical.Plan, len(leaves))
	var all []*logical.ColumnRef
	for i, leaf := range leaves {
		p, err := b.tableRef(leaf)
		if err != nil {
			return nil, err
		}
		plans[i] = p
		all = append(all, p.Output()...)
	}
	where, err := b.substitute(where)
	if err != nil {
		return nil, err
	}
	// The column sets each plain WHERE conjunct reads; conjuncts that do not resolve here
	// (subqueries, outer references) do not guide the order.
	var edges []map[logical.ExprID]bool
	var conjuncts []logical.Expr
	for _, c := range factorDisjunctions(splitAnd(where)) {
		if containsSubquery(c) {
			continue
		}
		r, err := b.analyzer().ResolveExprIn(c, all)
		if err != nil {
			continue
		}
		edges = append(edges, logical.ReferencedIDs(r))
		conjuncts = append(conjuncts, r)
	}
	connects := func(current, next map[logical.ExprID]bool) bool {
		for _, e := range edges {
			touchesCurrent, touchesNext, inside := false, false, true
			for id := range e {
				switch {
				case current[id]:
					touchesCurrent = true
				case next[id]:
					touchesNext = true
				default:
					inside = false
				}
			}
			if inside && touchesCurrent && touchesNext {
				return true
			}
		}
		return false
	}
	order := joinOrder(plans, conjuncts, connects) // join_order.go
	plan := plans[order[0]]
	for _, pick := range order[1:] {
		plan = &logical.Join{Left: plan, Right: plans[pick], Type: logical.InnerJoin}
	}
	// Columns keep the order written (SELECT * lists a's columns, then b's, ...).
	return &logical.Project{Input: plan, Expressions: attrsAsNamed(all)}, nil
}
