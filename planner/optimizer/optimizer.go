// Package optimizer rewrites resolved logical plans with named rules run to a fixpoint. Rules must
// not change a plan's meaning (that is the analyzer's job); each reports whether it changed the
// plan, and an error names the rule that raised it.
package optimizer

import (
	"fmt"

	"github.com/quiverdata/quiver/planner/logical"
)

// Rule is one rewrite.
type Rule interface {
	Name() string
	// Apply returns the rewritten plan and whether anything changed.
	Apply(p logical.Plan) (logical.Plan, bool, error)
}

// Optimizer runs rules in order, repeatedly, until none changes the plan or MaxIterations.
type Optimizer struct {
	Rules         []Rule
	MaxIterations int
}

// defaultRules is filled by the files defining rules, in their init order.
var defaultRules []Rule

// RegisterRule appends a rule to the default rule list.
func RegisterRule(r Rule) { defaultRules = append(defaultRules, r) }

// New returns an optimizer with the default rules.
func New() *Optimizer {
	return &Optimizer{Rules: append([]Rule(nil), defaultRules...), MaxIterations: 100}
}

// Optimize runs the rules to a fixpoint.
func (o *Optimizer) Optimize(p logical.Plan) (logical.Plan, error) {
	for i := 0; i < o.MaxIterations; i++ {
		changedAny := false
		for _, r := range o.Rules {
			next, changed, err := r.Apply(p)
			if err != nil {
				return nil, fmt.Errorf("optimizer rule %s: %w", r.Name(), err)
			}
			if changed {
				p = next
				changedAny = true
			}
		}
		if !changedAny {
			return p, nil
		}
	}
	return p, nil
}
