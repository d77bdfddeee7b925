package analyzer

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Higher-order functions: transform, filter, exists, forall, aggregate (reduce), zip_with,
// transform_keys, transform_values, map_filter. Their lambda arguments cannot be resolved bottom-up
// like other expressions: a parameter's type comes from the function's other arguments (the
// array's element type), so resolveTree resolves those first, then binds the parameters and
// resolves the body. Kernels: exec/kernels_lambda.go.

// lambdaScope is the lambda parameters visible in a body, innermost first.
type lambdaScope struct {
	variables []*logical.LambdaVariable
	parent    *lambdaScope
}

// lambdaParameter is the type a higher-order function gives one lambda parameter.
type lambdaParameter struct {
	Type arrow.DataType
	Null bool
}

// lambdaBinder resolves a lambda argument's body with its parameters typed as given; the lambda
// must take between minimum and len(parameters) parameters.
type lambdaBinder func(lambda logical.Expr, minimum int, parameters ...lambdaParameter) (*logical.LambdaFunction, error)

// higherOrderResolver types a higher-order call whose non-lambda arguments are resolved.
type higherOrderResolver func(a *Analyzer, name string, args []logical.Expr, bind lambdaBinder) (logical.Expr, error)

var higherOrderFunctions = map[string]higherOrderResolver{}

func init() {
	registerHigherOrder(resolveTransform, "transform")
	registerHigherOrder(resolveArrayFilter, "filter")
	registerHigherOrder(resolveArrayQuantifier, "exists", "forall")
	registerHigherOrder(resolveArrayAggregate, "aggregate", "reduce")
	registerHigherOrder(resolveZipWith, "zip_with")
	registerHigherOrder(resolveMapLambda, "transform_keys", "transform_values", "map_filter")
}

// registerHigherOrder adds a higher-order function; the plain registry gets a resolver that
// explains the missing lambda, so the names also show up in suggestions.
func registerHigherOrder(resolver higherOrderResolver, names ...string) {
	for _, name := range names {
		higherOrderFunctions[name] = resolver
		registerFunction(func(_ *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
			return nil, errkind.Invalid("%s needs a lambda function argument, for example %s", name, higherOrderExample(name))
		}, name)
	}
}

func higherOrderExample(name string) string {
	switch name {
	case "aggregate", "reduce":
		return name + "(a, 0, (acc, x) -> acc + x)"
	case "zip_with":
		return "zip_with(a, b, (x, y) -> x + y)"
	case "transform_keys", "transform_values", "map_filter":
		return name + "(m, (k, v) -> ...)"
	case "transform":
		return "transform(a, x -> x + 1)"
	case "array_sort":
		return "array_sort(a, (l, r) -> CASE WHEN l < r THEN -1 WHEN l > r THEN 1 ELSE 0 END)"
	case "map_zip_with":
		return "map_zip_with(m1, m2, (k, v1, v2) -> coalesce(v1, v2))"
	}
	return name + "(a, x -> x > 0)"
}

// resolveTree resolves e bottom-up like logical.Transform with resolveNode, except that
// higher-order calls resolve their lambdas top-down and lambda variables resolve from scope.
func (a *Analyzer) resolveTree(e logical.Expr, attrs []*logical.ColumnRef, scope *lambdaScope) (logical.Expr, error) {
	switch x := e.(type) {
	case *logical.UnresolvedFunction:
		if hasLambdaArgument(x.Args) {
			return a.resolveHigherOrder(x, attrs, scope)
		}
	case *logical.UnresolvedNamedLambdaVariable:
		return a.lookupLambdaVariable(x.NameParts, scope)
	case *logical.UnresolvedAttribute:
		// A lambda parameter shadows a column of the same name, as in Spark.
		if scope != nil && x.PlanID == nil {
			if v, err := a.lookupLambdaVariable(x.NameParts, scope); err == nil {
				return v, nil
			}
		}
	case *logical.LambdaFunction:
		if x.Variables == nil {
			return nil, errkind.Invalid("a lambda function (%s) is only allowed as an argument of a higher-order function such as transform, filter or aggregate", x.String())
		}
	}
	children := e.Children()
	if len(children) > 0 {
		changed := false
		next := make([]logical.Expr, len(children))
		for i, c := range children {
			nc, err := a.resolveTree(c, attrs, scope)
			if err != nil {
				return nil, err
			}
			next[i] = nc
			if nc != c {
				changed = true
			}
		}
		if changed {
			e = e.WithChildren(next)
		}
	}
	return a.resolveNode(e, attrs)
}

func hasLambdaArgument(args []logical.Expr) bool {
	for _, arg := range args {
		if l, ok := arg.(*logical.LambdaFunction); ok && l.Variables == nil {
			return true
		}
	}
	return false
}

func (a *Analyzer) lookupLambdaVariable(parts []string, scope *lambdaScope) (logical.Expr, error) {
	for s := scope; s != nil; s = s.parent {
		for _, v := range s.variables {
			if a.namesEqual(v.VariableName, parts[0]) {
				if len(parts) == 1 {
					return v, nil
				}
				return a.extractPath(v, parts[1:])
			}
		}
	}
	return nil, errkind.Invalid("lambda variable '%s' is not defined; a lambda body can use its own parameters and the columns of the input", strings.Join(parts, "."))
}

func (a *Analyzer) resolveHigherOrder(u *logical.UnresolvedFunction, attrs []*logical.ColumnRef, scope *lambdaScope) (logical.Expr, error) {
	name := strings.ToLower(u.Name)
	resolver, ok := higherOrderFunctions[name]
	if !ok {
		return nil, errkind.Invalid("function '%s' does not take a lambda function argument", u.Name)
	}
	args := make([]logical.Expr, len(u.Args))
	for i, arg := range u.Args {
		if l, ok := arg.(*logical.LambdaFunction); ok && l.Variables == nil {
			args[i] = arg
			continue
		}
		r, err := a.resolveTree(arg, attrs, scope)
		if err != nil {
			return nil, err
		}
		args[i] = r
	}
	bind := func(lambda logical.Expr, minimum int, parameters ...lambdaParameter) (*logical.LambdaFunction, error) {
		l, ok := lambda.(*logical.LambdaFunction)
		if !ok || l.Variables != nil {
			return nil, errkind.Invalid("%s needs a lambda function here, for example %s; got '%s'", name, higherOrderExample(name), lambda.String())
		}
		if len(l.Parameters) < minimum || len(l.Parameters) > len(parameters) {
			want := fmt.Sprintf("%d", len(parameters))
			if minimum != len(parameters) {
				want = fmt.Sprintf("%d or %d", minimum, len(parameters))
			}
			return nil, errkind.Invalid("the lambda function of %s takes %s parameters, but %s has %d", name, want, l.String(), len(l.Parameters))
		}
		variables := make([]*logical.LambdaVariable, len(l.Parameters))
		for i, parameter := range l.Parameters {
			for _, earlier := range l.Parameters[:i] {
				if a.namesEqual(earlier, parameter) {
					return nil, errkind.Invalid("the lambda function %s names parameter '%s' twice", l.String(), parameter)
				}
			}
			variables[i] = &logical.LambdaVariable{VariableName: parameter, AttrID: a.IDs.Next(), Type: parameters[i].Type, Null: parameters[i].Null}
		}
		body, err := a.resolveTree(l.Body, attrs, &lambdaScope{variables: variables, parent: scope})
		if err != nil {
			return nil, err
		}
		return &logical.LambdaFunction{Parameters: l.Parameters, Variables: variables, Body: body}, nil
	}
	return resolver(a, name, args, bind)
}

func higherOrderDisplay(name string, args []logical.Expr) string {
	return fmt.Sprintf("%s(%s)", name, logical.JoinExprs(args, ", "))
}

// lambdaArray resolves the array argument of a higher-order function.
func (a *Analyzer) lambdaArray(name string, x logical.Expr) (logical.Expr, *arrow.ListType, error) {
	if _, isLambda := x.(*logical.LambdaFunction); isLambda {
		return nil, nil, errkind.Invalid("%s needs an array as its first argument, for example %s", name, higherOrderExample(name))
	}
	if x.DataType().ID() == arrow.NULL {
		x = logical.NullLiteral(arrow.ListOf(arrow.Null))
	}
	x, err := a.normalizeList(x)
	if err != nil {
		return nil, nil, err
	}
	l, ok := x.DataType().(*arrow.ListType)
	if !ok {
		return nil, nil, errkind.Invalid("%s needs an array, but '%s' is %s", name, x.String(), logical.SparkTypeName(x.DataType()))
	}
	return x, l, nil
}

// requireBooleanBody checks a predicate lambda; a NULL body (x -> NULL) becomes a boolean null.
func requireBooleanBody(name string, l *logical.LambdaFunction) error {
	switch t := l.Body.DataType(); t.ID() {
	case arrow.BOOL:
	case arrow.NULL:
		l.Body = &logical.Cast{Child: l.Body, To: arrow.FixedWidthTypes.Boolean, Mode: logical.EvalLegacy}
	default:
		return errkind.Invalid("the lambda function of %s must return a boolean, but %s returns %s", name, l.Body.String(), logical.SparkTypeName(t))
	}
	return nil
}

func resolveTransform(a *Analyzer, name string, args []logical.Expr, bind lambdaBinder) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	x, list, err := a.lambdaArray(name, args[0])
	if err != nil {
		return nil, err
	}
	l, err := bind(args[1], 1, lambdaParameter{list.Elem(), list.ElemField().Nullable}, lambdaParameter{int32Type, false})
	if err != nil {
		return nil, err
	}
	t := arrow.ListOfField(arrow.Field{Name: "element", Type: l.Body.DataType(), Nullable: l.Body.Nullable()})
	return &logical.Call{Function: "array_transform", Args: []logical.Expr{x, l}, Type: t, Null: x.Nullable(),
		Display: higherOrderDisplay(name, []logical.Expr{args[0], l})}, nil
}

func resolveArrayFilter(a *Analyzer, name string, args []logical.Expr, bind lambdaBinder) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	x, list, err := a.lambdaArray(name, args[0])
	if err != nil {
		return nil, err
	}
	l, err := bind(args[1], 1, lambdaParameter{list.Elem(), list.ElemField().Nullable}, lambdaParameter{int32Type, false})
	if err != nil {
		return nil, err
	}
	if err := requireBooleanBody(name, l); err != nil {
		return nil, err
	}
	return &logical.Call{Function: "array_filter", Args: []logical.Expr{x, l}, Type: x.DataType(), Null: x.Nullable(),
		Display: higherOrderDisplay(name, []logical.Expr{args[0], l})}, nil
}

func resolveArrayQuantifier(a *Analyzer, name string, args []logical.Expr, bind lambdaBinder) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	x, list, err := a.lambdaArray(name, args[0])
	if err != nil {
		return nil, err
	}
	l, err := bind(args[1], 1, lambdaParameter{list.Elem(), list.ElemField().Nullable})
	if err != nil {
		return nil, err
	}
	if err := requireBooleanBody(name, l); err != nil {
		return nil, err
	}
	return &logical.Call{Function: "array_" + name, Args: []logical.Expr{x, l}, Type: arrow.FixedWidthTypes.Boolean,
		Null: x.Nullable() || l.Body.Nullable(), Display: higherOrderDisplay(name, []logical.Expr{args[0], l})}, nil
}

// resolveArrayAggregate is aggregate(array, zero, (acc, x) -> merge[, acc -> finish]). As in
// Spark, merge must return zero's type: aggregate(a, 0, (acc, x) -> acc + x) over doubles is an
// error (write 0D), not a silent cast.
func resolveArrayAggregate(a *Analyzer, name string, args []logical.Expr, bind lambdaBinder) (logical.Expr, error) {
	if err := checkArity(name, args, 3, 4); err != nil {
		return nil, err
	}
	x, list, err := a.lambdaArray(name, args[0])
	if err != nil {
		return nil, err
	}
	zero := args[1]
	if _, isLambda := zero.(*logical.LambdaFunction); isLambda {
		return nil, errkind.Invalid("%s needs a start value as its second argument, for example %s", name, higherOrderExample(name))
	}
	merge, err := bind(args[2], 2, lambdaParameter{zero.DataType(), true}, lambdaParameter{list.Elem(), list.ElemField().Nullable})
	if err != nil {
		return nil, err
	}
	if zero.DataType().ID() == arrow.NULL && merge.Body.DataType().ID() != arrow.NULL {
		// A null start takes the merge's type, so aggregate(a, NULL, ...) still types.
		zero = logical.NullLiteral(merge.Body.DataType())
		if merge, err = bind(args[2], 2, lambdaParameter{zero.DataType(), true}, lambdaParameter{list.Elem(), list.ElemField().Nullable}); err != nil {
			return nil, err
		}
	}
	if !arrow.TypeEqual(merge.Body.DataType(), zero.DataType()) {
		return nil, errkind.Invalid("the merge function of %s must return the start value's type %s, but %s returns %s; give the start value the merge's type (for example a cast)",
			name, logical.SparkTypeName(zero.DataType()), merge.Body.String(), logical.SparkTypeName(merge.Body.DataType()))
	}
	operands := []logical.Expr{x, zero, merge}
	displayArgs := []logical.Expr{args[0], args[1], merge}
	resultType, resultNull := zero.DataType(), true
	if len(args) == 4 {
		finish, err := bind(args[3], 1, lambdaParameter{zero.DataType(), true})
		if err != nil {
			return nil, err
		}
		operands = append(operands, finish)
		displayArgs = append(displayArgs, finish)
		resultType = finish.Body.DataType()
	} else {
		// Spark prints the identity finish function in the column name.
		variable := &logical.LambdaVariable{VariableName: "id", AttrID: a.IDs.Next(), Type: zero.DataType(), Null: true}
		identity := &logical.LambdaFunction{Parameters: []string{"id"}, Variables: []*logical.LambdaVariable{variable}, Body: variable}
		displayArgs = append(displayArgs, identity)
	}
	return &logical.Call{Function: "array_aggregate", Args: operands, Type: resultType, Null: resultNull,
		Display: higherOrderDisplay(name, displayArgs)}, nil
}

func resolveZipWith(a *Analyzer, name string, args []logical.Expr, bind lambdaBinder) (logical.Expr, error) {
	if err := checkArity(name, args, 3, 3); err != nil {
		return nil, err
	}
	left, leftList, err := a.lambdaArray(name, args[0])
	if err != nil {
		return nil, err
	}
	right, rightList, err := a.lambdaArray(name, args[1])
	if err != nil {
		return nil, err
	}
	// The shorter array is padded with nulls, so both parameters are nullable.
	l, err := bind(args[2], 2, lambdaParameter{leftList.Elem(), true}, lambdaParameter{rightList.Elem(), true})
	if err != nil {
		return nil, err
	}
	t := arrow.ListOfField(arrow.Field{Name: "element", Type: l.Body.DataType(), Nullable: l.Body.Nullable()})
	return &logical.Call{Function: "array_zip_with", Args: []logical.Expr{left, right, l}, Type: t, Null: left.Nullable() || right.Nullable(),
		Display: higherOrderDisplay(name, []logical.Expr{args[0], args[1], l})}, nil
}

func resolveMapLambda(a *Analyzer, name string, args []logical.Expr, bind lambdaBinder) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	x := args[0]
	if _, isLambda := x.(*logical.LambdaFunction); isLambda {
		return nil, errkind.Invalid("%s needs a map as its first argument, for example %s", name, higherOrderExample(name))
	}
	m, ok := x.DataType().(*arrow.MapType)
	if !ok {
		return nil, errkind.Invalid("%s needs a map, but '%s' is %s", name, x.String(), logical.SparkTypeName(x.DataType()))
	}
	l, err := bind(args[1], 2, lambdaParameter{m.KeyType(), false}, lambdaParameter{m.ItemType(), m.ItemField().Nullable})
	if err != nil {
		return nil, err
	}
	display := higherOrderDisplay(name, []logical.Expr{args[0], l})
	switch name {
	case "map_filter":
		if err := requireBooleanBody(name, l); err != nil {
			return nil, err
		}
		return &logical.Call{Function: "map_filter", Args: []logical.Expr{x, l}, Type: m, Null: x.Nullable(), Display: display}, nil
	case "transform_keys":
		t := arrow.MapOf(l.Body.DataType(), m.ItemType())
		return &logical.Call{Function: "map_transform_keys", Args: []logical.Expr{x, l}, Type: t, Null: x.Nullable(), Display: display}, nil
	}
	t := arrow.MapOf(m.KeyType(), l.Body.DataType())
	return &logical.Call{Function: "map_transform_values", Args: []logical.Expr{x, l}, Type: t, Null: x.Nullable(), Display: display}, nil
}
