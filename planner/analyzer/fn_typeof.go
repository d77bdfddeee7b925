package analyzer

import (
	"fmt"

	"github.com/quiverdata/quiver/planner/logical"
)

// typeof(x): the Spark name of x's type (int, array<string>, struct<a:int,b:string>, void for
// an untyped NULL). x is never evaluated, as in Spark (typeof(1/0) is "double"), so the call
// has no arguments left: the name is fixed when the call is resolved. Kernel:
// exec/kernels_typeof.go.

func init() {
	registerFunction(resolveTypeOf, "typeof")
}

func resolveTypeOf(_ *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	return &logical.Call{Function: "typeof",
		Args: []logical.Expr{logical.NewLiteral(stringScalar(logical.SparkTypeName(args[0].DataType())))},
		Type: stringType, Null: false, Display: fmt.Sprintf("typeof(%s)", args[0].String())}, nil
}
