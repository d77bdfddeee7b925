package optimizer

import (
	"github.com/quiverdata/quiver/planner/logical"
)

// Join-condition pushdown (Spark's PushPredicateThroughJoin for ON clauses): a conjunct of a
// join's condition that reads one side only becomes a filter on that side when the join type
// allows it — both sides of inner and left semi joins, the right (non-preserved) side of left
// outer and left anti joins, the left side of right outer joins. TPC-H Q13's
// `o_comment NOT LIKE '%special%requests%'` in its LEFT JOIN then filters orders before the
// shuffle, and the join becomes a plain equi-join instead of testing a residual per match.

func init() { RegisterRule(pushDownJoinConditions{}) }

type pushDownJoinConditions struct{}

func (pushDownJoinConditions) Name() string { return "PushDownJoinConditions" }

// pushableFunctions may be evaluated on rows the join would not have paired: they never raise.
var pushableFunctions = map[string]bool{
	"like": true, "ilike": true, "contains": true, "startswith": true, "endswith": true, "in": true,
}

func pushableCondition(e logical.Expr) bool {
	if !movable(e) {
		return false
	}
	ok := true
	logical.Walk(e, func(x logical.Expr) bool {
		switch v := x.(type) {
		case *logical.ColumnRef, *logical.Literal, *logical.Alias:
		case *logical.Call:
			if !cannotFail[v.Function] && !pushableFunctions[v.Function] {
				ok = false
			}
		default:
			ok = false
		}
		return ok
	})
	return ok
}

func (pushDownJoinConditions) Apply(p logical.Plan) (logical.Plan, bool, error) {
	changed := false
	out, err := logical.TransformPlan(p, func(n logical.Plan) (logical.Plan, error) {
		j, ok := n.(*logical.Join)
		if !ok || j.Condition == nil {
			return n, nil
		}
		var toLeft, toRight bool
		switch j.Type {
		case logical.InnerJoin, logical.LeftSemiJoin:
			toLeft, toRight = true, true
		case logical.LeftOuterJoin, logical.LeftAntiJoin:
			toRight = true
		case logical.RightOuterJoin:
			toLeft = true
		default:
			return n, nil
		}
		leftIDs, rightIDs := idSet(j.Left.Output()), idSet(j.Right.Output())
		var left, right, kept []logical.Expr
		for _, c := range splitConjuncts(j.Condition) {
			refs := logical.ReferencedIDs(c)
			switch {
			case len(refs) == 0 || !pushableCondition(c):
				kept = append(kept, c)
			case toLeft && referencesOnly(c, leftIDs) && !referencesOnly(c, rightIDs):
				left = append(left, c)
			case toRight && referencesOnly(c, rightIDs) && !referencesOnly(c, leftIDs):
				right = append(right, c)
			default:
				kept = append(kept, c)
			}
		}
		if len(left) == 0 && len(right) == 0 || len(kept) == 0 {
			// A join left without a condition would become a nested loop; leave it whole.
			return n, nil
		}
		changed = true
		cp := *j
		cp.Condition = and(kept)
		if len(left) > 0 {
			cp.Left = &logical.Filter{Input: j.Left, Condition: and(left)}
		}
		if len(right) > 0 {
			cp.Right = &logical.Filter{Input: j.Right, Condition: and(right)}
		}
		return &cp, nil
	})
	return out, changed, err
}
