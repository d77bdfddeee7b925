package sqlplan

import (
	"github.com/quiverdata/quiver/planner/logical"
)

// Lambda functions, the arguments of higher-order functions: `x -> x + 1`, `(acc, x) -> acc + x`.
// The parameters are known when the body is parsed, so references to them become
// UnresolvedNamedLambdaVariable here; the analyzer types them (planner/analyzer/lambda.go).

// lambdaParameterNames returns the names of a parenthesized parameter list parsed as expressions,
// or ok=false when an item is not a plain name.
func lambdaParameterNames(items []logical.Expr) ([]string, bool) {
	names := make([]string, len(items))
	for i, item := range items {
		u, ok := item.(*logical.UnresolvedAttribute)
		if !ok || len(u.NameParts) != 1 || u.PlanID != nil {
			return nil, false
		}
		names[i] = u.NameParts[0]
	}
	return names, true
}

// lambdaAfterParameters parses `-> body` after the parameters.
func (p *parser) lambdaAfterParameters(parameters []string) (logical.Expr, error) {
	if err := p.expectOp("->"); err != nil {
		return nil, err
	}
	body, err := p.expression()
	if err != nil {
		return nil, err
	}
	body, _ = logical.Transform(body, func(x logical.Expr) (logical.Expr, error) {
		u, ok := x.(*logical.UnresolvedAttribute)
		if !ok || u.PlanID != nil {
			return x, nil
		}
		for _, parameter := range parameters {
			if equalFoldASCII(parameter, u.NameParts[0]) {
				return &logical.UnresolvedNamedLambdaVariable{NameParts: u.NameParts}, nil
			}
		}
		return x, nil
	})
	return &logical.LambdaFunction{Parameters: parameters, Body: body}, nil
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// existsIsFunctionCall tells the higher-order function exists(array, x -> ...) from the
// predicate EXISTS (SELECT ...), at the EXISTS keyword.
func (p *parser) existsIsFunctionCall() bool {
	t := p.peekAt(2)
	if t.text == "(" {
		return false
	}
	return !p.isKeyword(t, "SELECT", "WITH", "FROM", "VALUES", "TABLE")
}
