package protoplan

import (
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
)

// A select containing a generator (explode and friends) becomes Generate then Project: the
// generator's columns take its place in the select list, the other items are computed from the
// repeated input rows.

func init() {
	RegisterProjectPlanner(planGenerate)
}

func generatorCall(e logical.Expr) (*logical.Call, bool) {
	if m, ok := e.(*analyzer.MultiAlias); ok {
		e = m.Alias
	}
	c, ok := logical.StripAlias(e).(*logical.Call)
	if !ok || !analyzer.GeneratorFunctions[c.Function] {
		return nil, false
	}
	return c, true
}

func containsGenerator(e logical.Expr) bool {
	found := false
	logical.Walk(e, func(x logical.Expr) bool {
		if c, ok := x.(*logical.Call); ok && analyzer.GeneratorFunctions[c.Function] {
			found = true
		}
		return !found
	})
	return found
}

func planGenerate(c *Converter, input logical.Plan, named []logical.Named) (logical.Plan, bool, error) {
	index := -1
	for i, n := range named {
		if _, ok := generatorCall(n); ok {
			if index >= 0 {
				return nil, true, errkind.Invalid("only one generator (explode, posexplode, inline, stack, ...) is allowed per select, but '%s' and '%s' were found; explode in two steps", named[index].String(), n.String())
			}
			index = i
			continue
		}
		if containsGenerator(n) {
			return nil, true, errkind.Invalid("a generator must be a whole select item, not nested inside an expression: '%s'", n.String())
		}
	}
	if index < 0 {
		return nil, false, nil
	}
	call, _ := generatorCall(named[index])
	var aliases []string
	if m, ok := named[index].(*analyzer.MultiAlias); ok {
		aliases = m.Names
	} else if a, ok := named[index].(*logical.Alias); ok && a.Alias != call.String() {
		aliases = []string{a.Alias}
	}
	columns, err := analyzer.GeneratorColumns(call, aliases, c.A.IDs)
	if err != nil {
		return nil, true, err
	}
	generate := &logical.Generate{
		Input: input, Generator: call, GeneratorOutput: columns,
		Outer:    analyzer.GeneratorIsOuter(call.Function),
		Position: analyzer.GeneratorHasPosition(call.Function),
		Inline:   analyzer.GeneratorIsInline(call.Function),
	}
	out := make([]logical.Named, 0, len(named)+len(columns))
	out = append(out, named[:index]...)
	for _, col := range columns {
		out = append(out, col)
	}
	out = append(out, named[index+1:]...)
	return &logical.Project{Input: generate, Expressions: out}, true, nil
}
