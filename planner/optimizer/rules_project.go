package optimizer

import (
	"slices"

	"github.com/quiverdata/quiver/planner/logical"
)

// Projection rules: collapse adjacent projections, drop projections that change nothing, and
// prune columns nobody reads down into Scan.Projection.

func init() {
	RegisterRule(collapseProject{})
	RegisterRule(removeNoopProject{})
	RegisterRule(pruneColumns{})
}

// collapseProject merges Project(Project(x, inner), outer) into one projection over x, keeping
// the outer attribute ids. It does not when an inner expression cannot move (aggregates,
// windows, Python calls, non-deterministic functions) or when a computed inner column is read
// more than once (it would be computed twice).
type collapseProject struct{}

func (collapseProject) Name() string { return "CollapseProject" }

func (collapseProject) Apply(p logical.Plan) (logical.Plan, bool, error) {
	changed := false
	out, err := logical.TransformPlan(p, func(n logical.Plan) (logical.Plan, error) {
		outer, ok := n.(*logical.Project)
		if !ok {
			return n, nil
		}
		inner, ok := outer.Input.(*logical.Project)
		if !ok {
			return n, nil
		}
		for _, e := range inner.Expressions {
			if !movable(e) {
				return n, nil
			}
		}
		for _, e := range outer.Expressions {
			if !movable(e) {
				return n, nil
			}
		}
		defs := aliasMap(inner.Expressions)
		uses := map[logical.ExprID]int{}
		for _, e := range outer.Expressions {
			logical.Walk(e, func(x logical.Expr) bool {
				if c, ok := x.(*logical.ColumnRef); ok {
					uses[c.AttrID]++
				}
				return true
			})
		}
		for id, d := range defs {
			if _, plain := d.(*logical.ColumnRef); !plain && uses[id] > 1 {
				if _, isLit := d.(*logical.Literal); !isLit {
					return n, nil
				}
			}
		}
		merged := make([]logical.Named, len(outer.Expressions))
		for i, e := range outer.Expressions {
			switch x := e.(type) {
			case *logical.ColumnRef:
				if d, ok := defs[x.AttrID]; ok {
					merged[i] = &logical.Alias{Child: d, Alias: x.ColumnName, AttrID: x.AttrID, Metadata: x.Metadata}
				} else {
					merged[i] = x
				}
			case *logical.Alias:
				cp := *x
				cp.Child = substitute(x.Child, defs)
				merged[i] = &cp
			default:
				return n, nil
			}
		}
		changed = true
		return &logical.Project{Input: inner.Input, Expressions: merged}, nil
	})
	return out, changed, err
}

// removeNoopProject drops a projection that outputs exactly its input's attributes, in order,
// with the same names.
type removeNoopProject struct{}

func (removeNoopProject) Name() string { return "RemoveNoopProject" }

func (removeNoopProject) Apply(p logical.Plan) (logical.Plan, bool, error) {
	changed := false
	out, err := logical.TransformPlan(p, func(n logical.Plan) (logical.Plan, error) {
		pr, ok := n.(*logical.Project)
		if !ok {
			return n, nil
		}
		in := pr.Input.Output()
		if len(in) != len(pr.Expressions) {
			return n, nil
		}
		for i, e := range pr.Expressions {
			c, ok := e.(*logical.ColumnRef)
			if !ok || c.AttrID != in[i].AttrID || c.ColumnName != in[i].ColumnName {
				return n, nil
			}
		}
		changed = true
		return pr.Input, nil
	})
	return out, changed, err
}

// pruneColumns removes projection outputs, aggregate outputs and scanned columns that no node
// above reads. The root's output never changes. Nodes it does not know keep every input column.
type pruneColumns struct{}

func (pruneColumns) Name() string { return "ColumnPruning" }

func (pruneColumns) Apply(p logical.Plan) (logical.Plan, bool, error) {
	changed := false
	out := prune(p, idSet(p.Output()), true, &changed)
	return out, changed, nil
}

// prune rewrites n so it outputs at least the required attributes.
func prune(n logical.Plan, required map[logical.ExprID]bool, root bool, changed *bool) logical.Plan {
	with := func(children ...logical.Plan) logical.Plan {
		old := n.Children()
		for i := range children {
			if children[i] != old[i] {
				return n.WithChildren(children)
			}
		}
		return n
	}
	need := func(base map[logical.ExprID]bool, exprs ...logical.Expr) map[logical.ExprID]bool {
		out := make(map[logical.ExprID]bool, len(base))
		for id := range base {
			out[id] = true
		}
		for _, e := range exprs {
			for id := range logical.ReferencedIDs(e) {
				out[id] = true
			}
		}
		return out
	}
	switch x := n.(type) {
	case *logical.Scan:
		var keep []int
		for i, a := range x.Attributes {
			if required[a.AttrID] && (x.Projection == nil || slices.Contains(x.Projection, i)) {
				keep = append(keep, i)
			}
		}
		current := x.Projection
		if current == nil {
			current = make([]int, len(x.Attributes))
			for i := range current {
				current[i] = i
			}
		}
		if keep == nil {
			keep = []int{}
			if _, stored := x.Source.(*logical.StoredDataFrame); !stored && len(x.Attributes) > 0 {
				// File sources count rows from the columns they read: keep one.
				keep = []int{current[0]}
			}
		}
		if slices.Equal(keep, current) {
			return n
		}
		cp := *x
		cp.Projection = keep
		*changed = true
		return &cp
	case *logical.Project:
		kept := x.Expressions
		if !root {
			kept = nil
			for _, e := range x.Expressions {
				if required[e.ID()] || !movable(e) {
					kept = append(kept, e)
				}
			}
			if len(kept) != len(x.Expressions) {
				*changed = true
			} else {
				kept = x.Expressions
			}
		}
		exprs := make([]logical.Expr, len(kept))
		for i, e := range kept {
			exprs[i] = e
		}
		input := prune(x.Input, need(nil, exprs...), false, changed)
		if input == x.Input && len(kept) == len(x.Expressions) {
			return n
		}
		return &logical.Project{Input: input, Expressions: kept}
	case *logical.Filter:
		return with(prune(x.Input, need(required, x.Condition), false, changed))
	case *logical.Limit, *logical.SubqueryAlias, *logical.BroadcastHint:
		return with(prune(n.Children()[0], required, false, changed))
	case *logical.Sort:
		orders := make([]logical.Expr, len(x.Order))
		for i, o := range x.Order {
			orders[i] = o
		}
		return with(prune(x.Input, need(required, orders...), false, changed))
	case *logical.Repartition:
		return with(prune(x.Input, need(required, x.Expressions...), false, changed))
	case *logical.Window:
		// A window passes its input's columns through and adds its own: the input must give the
		// required ones plus what the functions, partitioning and ordering read. Without this a
		// window over a scan read every column of the table.
		reads := append([]logical.Expr(nil), x.PartitionSpec...)
		for _, o := range x.OrderSpec {
			reads = append(reads, o)
		}
		for _, e := range x.Expressions {
			reads = append(reads, e)
		}
		return with(prune(x.Input, need(required, reads...), false, changed))
	case *logical.Aggregate:
		kept := x.Aggregates
		if !root {
			kept = nil
			for _, e := range x.Aggregates {
				if required[e.ID()] {
					kept = append(kept, e)
				}
			}
			// A global aggregate must still yield its one row; keep one output.
			if len(kept) == 0 && len(x.Aggregates) > 0 {
				kept = x.Aggregates[:1]
			}
			if len(kept) != len(x.Aggregates) {
				*changed = true
			} else {
				kept = x.Aggregates
			}
		}
		exprs := append([]logical.Expr(nil), x.Grouping...)
		for _, e := range kept {
			exprs = append(exprs, e)
		}
		input := prune(x.Input, need(nil, exprs...), false, changed)
		if input == x.Input && len(kept) == len(x.Aggregates) {
			return n
		}
		return &logical.Aggregate{Input: input, Grouping: x.Grouping, Aggregates: kept}
	case *logical.Join:
		all := need(required)
		if x.Condition != nil {
			all = need(required, x.Condition)
		}
		left := prune(x.Left, all, false, changed)
		right := prune(x.Right, all, false, changed)
		if !root {
			left = narrow(left, all, changed)
			right = narrow(right, all, changed)
		}
		return with(left, right)
	}
	// Unknown node: its children keep all their columns.
	children := n.Children()
	if len(children) == 0 {
		return n
	}
	next := make([]logical.Plan, len(children))
	for i, c := range children {
		next[i] = prune(c, idSet(c.Output()), false, changed)
	}
	return with(next...)
}

// narrow puts a projection of the required columns over a join input that outputs more, so that
// columns only a filter below the join read (TPC-H Q13's o_comment, Q4's l_commitdate and
// l_receiptdate) are not carried through the join's shuffle and hash table. Inputs whose columns
// are all required, or none of them, stay as they are.
func narrow(input logical.Plan, required map[logical.ExprID]bool, changed *bool) logical.Plan {
	output := input.Output()
	var kept []logical.Named
	for _, a := range output {
		if required[a.AttrID] {
			kept = append(kept, a)
		}
	}
	if len(kept) == len(output) || len(kept) == 0 {
		return input
	}
	*changed = true
	return &logical.Project{Input: input, Expressions: kept}
}
