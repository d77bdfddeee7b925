package exec

import (
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/quiverdata/quiver/planner/logical"
)

// typeof's one argument is the type name the analyzer computed (planner/analyzer/fn_typeof.go).
func init() {
	RegisterKernel("typeof", func(_ *EvalContext, _ *logical.Call, args []compute.Datum, _ int64) (compute.Datum, error) {
		return RetainDatum(args[0]), nil
	})
}
