package analyzer

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// sequence(start, stop[, step]): integers (the wider of the operands' integer types) or dates
// and timestamps stepped by an interval (one day when left out). Without a step it counts up,
// or down when start > stop. Kernel: exec/kernels_sequence.go, which checks the step's sign
// against the bounds as Spark does.

func init() {
	registerFunction(resolveSequence, "sequence")
}

func resolveSequence(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 3); err != nil {
		return nil, err
	}
	display := fmt.Sprintf("sequence(%s)", logical.JoinExprs(args, ", "))
	start, stop := args[0].DataType(), args[1].DataType()
	integralOrNull := func(t arrow.DataType) bool { return isIntegral(t) || t.ID() == arrow.NULL }
	temporalOrNull := func(t arrow.DataType) bool { return isTemporal(t) || t.ID() == arrow.NULL }
	var elem arrow.DataType
	switch {
	case integralOrNull(start) && integralOrNull(stop) && (len(args) < 3 || integralOrNull(args[2].DataType())):
		// The operands' wider type: tinyint bounds give array<tinyint>, int and bigint array<bigint>.
		for _, x := range args {
			switch {
			case x.DataType().ID() == arrow.NULL:
			case elem == nil:
				elem = x.DataType()
			default:
				wider, ok := WiderNumericType(elem, x.DataType())
				if !ok {
					return nil, errkind.Internal("sequence over %s", logical.SparkTypeName(x.DataType()))
				}
				elem = wider
			}
		}
		if elem == nil {
			elem = arrow.PrimitiveTypes.Int32
		}
	case temporalOrNull(start) && temporalOrNull(stop) && (start.ID() != arrow.NULL || stop.ID() != arrow.NULL) &&
		(len(args) < 3 || isInterval(args[2].DataType()) || args[2].DataType().ID() == arrow.NULL):
		elem = arrow.FixedWidthTypes.Date32
		if start.ID() == arrow.TIMESTAMP {
			elem = start
		} else if stop.ID() == arrow.TIMESTAMP {
			elem = stop
		}
	default:
		types := make([]string, len(args))
		for i, x := range args {
			types[i] = fmt.Sprintf("\"%s\"", logical.SparkSQLTypeName(x.DataType()))
		}
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.SEQUENCE_WRONG_INPUT_TYPES] Cannot resolve \"%s\" due to data type mismatch: sequence uses the wrong parameter types %v: start and stop must be integers with an integer step, or dates or timestamps with an interval step",
			display, types)
	}
	operands := make([]logical.Expr, 0, 3)
	for _, x := range args[:2] {
		v, err := a.coerceTo(x, elem)
		if err != nil {
			return nil, err
		}
		operands = append(operands, v)
	}
	switch {
	case len(args) == 3 && elem.ID() != arrow.DATE32 && elem.ID() != arrow.TIMESTAMP:
		step, err := a.coerceTo(args[2], elem)
		if err != nil {
			return nil, err
		}
		operands = append(operands, step)
	case len(args) == 3:
		step := args[2]
		if step.DataType().ID() == arrow.NULL {
			step = logical.NullLiteral(arrow.FixedWidthTypes.MonthDayNanoInterval)
		}
		operands = append(operands, step)
	case elem.ID() == arrow.DATE32 || elem.ID() == arrow.TIMESTAMP:
		operands = append(operands, logical.NewLiteral(scalar.NewMonthDayNanoIntervalScalar(arrow.MonthDayNanoInterval{Days: 1})))
	}
	return &logical.Call{Function: "sequence", Args: operands, Type: arrow.ListOf(elem), Null: anyNullable(args), Display: display}, nil
}
