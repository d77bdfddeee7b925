package sqlplan

import (
	"slices"
	"strings"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/protoplan"
)

// groupBy parses the list after GROUP BY, as Spark does: expressions, ROLLUP(...), CUBE(...)
// and GROUPING SETS(...) in any mix (the grouping sets are the cross product of the items'
// sets, a plain expression being in every set), or a plain list followed by WITH ROLLUP|CUBE.
func (p *parser) groupBy(s *Select) error {
	if p.atKeyword("ALL") && endsClause(p.peekAt(1)) {
		p.next()
		s.GroupBy = []logical.Expr{&logical.UnresolvedAttribute{NameParts: []string{"all"}}}
		s.GroupByAll = true
		return nil
	}
	sets := [][]int{{}}
	hasSets := false
	for {
		kind := ""
		switch {
		case p.atKeyword("ROLLUP", "CUBE") && p.peekAt(1).text == "(":
			kind = strings.ToUpper(p.next().text)
		case p.atKeyword("GROUPING") && p.isKeyword(p.peekAt(1), "SETS"):
			p.next()
			p.next()
			kind = "GROUPING SETS"
		}
		if kind == "" {
			e, err := p.expression()
			if err != nil {
				return err
			}
			s.GroupBy = append(s.GroupBy, e)
			for i := range sets {
				sets[i] = append(sets[i], len(s.GroupBy)-1)
			}
		} else {
			if s.GroupingKind == "" {
				s.GroupingKind = kind
			}
			hasSets = true
			itemSets, err := p.groupingItem(s, kind)
			if err != nil {
				return err
			}
			sets = crossSets(sets, itemSets)
		}
		if !p.acceptOp(",") {
			break
		}
	}
	if p.atKeyword("WITH") && p.isKeyword(p.peekAt(1), "ROLLUP", "CUBE") {
		p.next()
		kind := strings.ToUpper(p.next().text)
		if hasSets {
			return p.errorf("WITH %s cannot follow ROLLUP, CUBE or GROUPING SETS; write GROUP BY %s(...) instead", kind, kind)
		}
		s.GroupingKind = kind
		hasSets = true
		all := make([]int, len(s.GroupBy))
		for i := range all {
			all[i] = i
		}
		sets = expandSets(kind, all)
	}
	if hasSets {
		s.GroupingSets = sets
	}
	return nil
}

// groupingItem parses the parenthesized part of ROLLUP(...), CUBE(...) or GROUPING SETS(...),
// adding its expressions to s.GroupBy, and returns its grouping sets.
func (p *parser) groupingItem(s *Select, kind string) ([][]int, error) {
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	if kind != "GROUPING SETS" {
		// ROLLUP((a, b), c) groups a and b as one element, as Spark does.
		var elements [][]int
		for {
			element, err := p.groupingSet(s)
			if err != nil {
				return nil, err
			}
			elements = append(elements, element)
			if !p.acceptOp(",") {
				break
			}
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		positions := make([]int, len(elements))
		for i := range positions {
			positions[i] = i
		}
		var sets [][]int
		for _, set := range expandSets(kind, positions) {
			var flat []int
			for _, e := range set {
				flat = append(flat, elements[e]...)
			}
			sets = append(sets, flat)
		}
		return sets, nil
	}
	var sets [][]int
	for {
		switch {
		case p.atKeyword("ROLLUP", "CUBE") && p.peekAt(1).text == "(":
			nested, err := p.groupingItem(s, strings.ToUpper(p.next().text))
			if err != nil {
				return nil, err
			}
			sets = append(sets, nested...)
		case p.atKeyword("GROUPING") && p.isKeyword(p.peekAt(1), "SETS"):
			p.next()
			p.next()
			nested, err := p.groupingItem(s, "GROUPING SETS")
			if err != nil {
				return nil, err
			}
			sets = append(sets, nested...)
		default:
			set, err := p.groupingSet(s)
			if err != nil {
				return nil, err
			}
			sets = append(sets, set)
		}
		if !p.acceptOp(",") {
			break
		}
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	return sets, nil
}

// groupingSet parses one grouping set: (a, b), () or a single expression.
func (p *parser) groupingSet(s *Select) ([]int, error) {
	var expressions []logical.Expr
	if p.atOp("(") {
		p.next()
		if !p.acceptOp(")") {
			listed, err := p.expressionList()
			if err != nil {
				return nil, err
			}
			expressions = append(expressions, listed...)
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
		}
	} else {
		e, err := p.expression()
		if err != nil {
			return nil, err
		}
		expressions = append(expressions, e)
	}
	set := make([]int, len(expressions))
	for i, e := range expressions {
		s.GroupBy = append(s.GroupBy, e)
		set[i] = len(s.GroupBy) - 1
	}
	return set, nil
}

// expandSets returns the sets of ROLLUP or CUBE over positions.
func expandSets(kind string, positions []int) [][]int {
	generated := protoplan.RollupSets(len(positions))
	if kind == "CUBE" {
		generated = protoplan.CubeSets(len(positions))
	}
	sets := make([][]int, len(generated))
	for i, set := range generated {
		sets[i] = make([]int, len(set))
		for j, k := range set {
			sets[i][j] = positions[k]
		}
	}
	return sets
}

// crossSets is every union of a set of left with a set of right.
func crossSets(left, right [][]int) [][]int {
	out := make([][]int, 0, len(left)*len(right))
	for _, l := range left {
		for _, r := range right {
			out = append(out, append(append([]int(nil), l...), r...))
		}
	}
	return out
}

// groupingSetsAggregate plans the aggregate of a GROUP BY with grouping sets: grouping holds
// the resolved GROUP BY expressions (one per s.GroupBy entry), deduplicated here into keys.
func (b *Binder) groupingSetsAggregate(input logical.Plan, s *Select, grouping []logical.Expr, outputs []logical.Named) (logical.Plan, []logical.Named, error) {
	if len(grouping) != len(s.GroupBy) {
		return nil, nil, errkind.Internal("grouping sets: %d resolved expressions for %d in GROUP BY", len(grouping), len(s.GroupBy))
	}
	keys, position := protoplan.GroupingKeyList(grouping)
	sets := make([][]int, len(s.GroupingSets))
	for i, set := range s.GroupingSets {
		for _, g := range set {
			k := position[g]
			if !slices.Contains(sets[i], k) {
				sets[i] = append(sets[i], k)
			}
		}
	}
	return b.C.GroupingSetsAggregate(input, keys, sets, outputs)
}
