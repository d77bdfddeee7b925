package optimizer

import "github.com/quiverdata/quiver/planner/logical"

// topK tells a global sort under a limit how many rows are needed (orderBy(...).limit(n)), so
// the physical plan keeps each partition's top rows instead of sorting everything.
type topK struct{}

func (topK) Name() string { return "TopK" }

func (topK) Apply(p logical.Plan) (logical.Plan, bool, error) {
	changed := false
	out, err := logical.TransformPlan(p, func(n logical.Plan) (logical.Plan, error) {
		l, ok := n.(*logical.Limit)
		if !ok || l.Count < 0 {
			return n, nil
		}
		s, ok := l.Input.(*logical.Sort)
		if !ok || !s.Global {
			return n, nil
		}
		want := l.Count + l.Offset
		if s.Limit > 0 && s.Limit <= want {
			return n, nil
		}
		cp := *s
		cp.Limit = want
		changed = true
		return l.WithChildren([]logical.Plan{&cp}), nil
	})
	return out, changed, err
}

func init() { RegisterRule(topK{}) }
