package optimizer

import "github.com/quiverdata/quiver/planner/logical"

// Limit pushdown: a limit moves below projections (which keep rows one for one), so it reaches
// sorts (TopK), scans and other limits; two stacked limits without offsets become one.

func init() { RegisterRule(pushDownLimit{}) }

type pushDownLimit struct{}

func (pushDownLimit) Name() string { return "LimitPushDown" }

func (pushDownLimit) Apply(p logical.Plan) (logical.Plan, bool, error) {
	changed := false
	out, err := logical.TransformPlan(p, func(n logical.Plan) (logical.Plan, error) {
		l, ok := n.(*logical.Limit)
		if !ok {
			return n, nil
		}
		switch in := l.Input.(type) {
		case *logical.Project:
			for _, e := range in.Expressions {
				if !movable(e) {
					return n, nil
				}
			}
			changed = true
			return &logical.Project{Input: &logical.Limit{Input: in.Input, Count: l.Count, Offset: l.Offset}, Expressions: in.Expressions}, nil
		case *logical.Limit:
			if l.Offset != 0 || in.Offset != 0 || l.Count < 0 || in.Count < 0 {
				return n, nil
			}
			changed = true
			return &logical.Limit{Input: in.Input, Count: min(l.Count, in.Count)}, nil
		}
		return n, nil
	})
	return out, changed, err
}
