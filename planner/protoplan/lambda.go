package protoplan

import (
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// Lambda functions, as PySpark's F.transform(col, lambda x: x + 1) sends them: an
// UnresolvedFunction whose argument is a LambdaFunction, whose body refers to the parameters
// through UnresolvedNamedLambdaVariable. The analyzer types them (planner/analyzer/lambda.go).

func init() {
	RegisterExpressionConverter(convertLambda)
}

func convertLambda(c *Converter, e *pb.Expression) (logical.Expr, bool, error) {
	switch x := e.ExprType.(type) {
	case *pb.Expression_LambdaFunction_:
		if x.LambdaFunction.Function == nil {
			return nil, true, errkind.Invalid("malformed plan: a lambda function has no body")
		}
		if len(x.LambdaFunction.Arguments) == 0 || len(x.LambdaFunction.Arguments) > 3 {
			return nil, true, errkind.Invalid("a lambda function takes 1 to 3 parameters, got %d", len(x.LambdaFunction.Arguments))
		}
		parameters := make([]string, len(x.LambdaFunction.Arguments))
		for i, argument := range x.LambdaFunction.Arguments {
			if len(argument.NameParts) != 1 {
				return nil, true, errkind.Invalid("malformed plan: a lambda parameter must have one name part, got %v", argument.NameParts)
			}
			parameters[i] = argument.NameParts[0]
		}
		body, err := c.Expression(x.LambdaFunction.Function)
		if err != nil {
			return nil, true, err
		}
		return &logical.LambdaFunction{Parameters: parameters, Body: body}, true, nil
	case *pb.Expression_UnresolvedNamedLambdaVariable_:
		if len(x.UnresolvedNamedLambdaVariable.NameParts) == 0 {
			return nil, true, errkind.Invalid("malformed plan: a lambda variable has no name")
		}
		return &logical.UnresolvedNamedLambdaVariable{NameParts: x.UnresolvedNamedLambdaVariable.NameParts}, true, nil
	}
	return nil, false, nil
}
