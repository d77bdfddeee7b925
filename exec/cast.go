package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// CastDatum casts a datum to t. ANSI mode fails on values that do not convert, naming the value;
// legacy and try modes yield null for them.
func CastDatum(ec *EvalContext, in compute.Datum, t arrow.DataType, mode logical.EvalMode, length int64) (compute.Datum, error) {
	var from arrow.DataType
	switch v := in.(type) {
	case *compute.ArrayDatum:
		from = v.Type()
	case *compute.ScalarDatum:
		from = v.Type()
	}
	if from != nil && arrow.TypeEqual(from, t) {
		return RetainDatum(in), nil
	}
	if _, ok := in.(*compute.ScalarDatum); ok && length > 1 {
		// A literal is cast once, not once per row of every batch, and stays a scalar.
		one, err := CastDatum(ec, in, t, mode, 1)
		if err != nil {
			return nil, err
		}
		defer one.Release()
		arr, err := DatumToArray(ec, one, 1, t)
		if err != nil {
			return nil, err
		}
		defer arr.Release()
		value, err := scalar.GetScalar(arr, 0)
		if err != nil {
			return nil, err
		}
		return compute.NewDatum(value), nil
	}
	arr, err := DatumToArray(ec, in, length, from)
	if err != nil {
		return nil, err
	}
	defer arr.Release()
	if CastHook != nil {
		if out, ok, err := CastHook(ec, arr, t, mode); ok || err != nil {
			if err != nil {
				return nil, err
			}
			defer out.Release()
			return compute.NewDatum(out), nil
		}
	}
	out, err := compute.CastArray(ec.ComputeContext(), arr, compute.SafeCastOptions(t))
	if err != nil {
		if mode == logical.EvalANSI {
			return nil, errkind.Arithmetic("[CAST_INVALID_INPUT] cannot cast %s to %s: %v. Use try_cast to get null for values that do not convert",
				logical.SparkTypeName(from), logical.SparkTypeName(t), err)
		}
		return nil, errkind.NotImplemented("null-on-failure cast from %s to %s", logical.SparkTypeName(from), logical.SparkTypeName(t))
	}
	defer out.Release()
	return compute.NewDatum(out), nil
}

// CastHook implements casts with Spark semantics that arrow's cast does not match (string
// parsing with trimming, legacy null-on-failure, ...). It reports ok=false to fall back.
var CastHook func(ec *EvalContext, in arrow.Array, to arrow.DataType, mode logical.EvalMode) (arrow.Array, bool, error)

// RetainDatum returns a new reference to the same data.
func RetainDatum(d compute.Datum) compute.Datum {
	switch v := d.(type) {
	case *compute.ArrayDatum:
		a := v.MakeArray()
		defer a.Release()
		return compute.NewDatum(a)
	case *compute.ScalarDatum:
		return compute.NewDatum(v.Value)
	}
	return d
}
