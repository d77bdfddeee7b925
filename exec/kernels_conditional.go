package exec

import (
	"bytes"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Conditionals. CASE WHEN and coalesce are lazy: each branch is evaluated only on the rows that
// reach it (Spark evaluates row by row, so a division in an untaken branch never fails). The
// result is assembled with one take over the branch results.

func init() {
	RegisterLazyKernel("case_when", caseWhenKernel)
	RegisterLazyKernel("coalesce", coalesceKernel)
	RegisterKernel("isnan", isNaNKernel)
	RegisterKernel("greatest", extremumKernel(true))
	RegisterKernel("least", extremumKernel(false))
}

// branchPiece is one branch's values for some rows: rows are original row numbers (nil: all rows
// in order), values aligned with rows, claimed marks the positions that supply the result.
type branchPiece struct {
	rows    []int32
	values  arrow.Array
	claimed []bool // nil: all positions
}

// rowSubset evaluates e on the given rows of batch (nil: all rows); the result has len(rows).
func rowSubset(ec *EvalContext, e logical.Expr, batch arrow.RecordBatch, rows []int32) (arrow.Array, error) {
	if rows == nil {
		return EvalArray(ec, e, batch)
	}
	if lit, ok := e.(*logical.Literal); ok {
		s := lit.Value
		if !s.IsValid() && s.DataType().ID() == arrow.NULL && e.DataType().ID() != arrow.NULL {
			s = scalar.MakeNullScalar(e.DataType())
		}
		return scalar.MakeArrayFromScalar(s, len(rows), ec.Task.Allocator)
	}
	indices := int32Array(ec.Task.Allocator, rows)
	defer indices.Release()
	if plainColumns(e) {
		// Reading columns cannot fail: evaluate on the whole batch and pick the rows.
		full, err := EvalArray(ec, e, batch)
		if err != nil {
			return nil, err
		}
		defer full.Release()
		return compute.TakeArray(ec.ComputeContext(), full, indices)
	}
	sub, err := takeBatch(ec, batch, indices)
	if err != nil {
		return nil, err
	}
	defer sub.Release()
	return EvalArray(ec, e, sub)
}

// plainColumns reports whether e only reads columns and literals.
func plainColumns(e logical.Expr) bool {
	ok := true
	logical.Walk(e, func(x logical.Expr) bool {
		switch x.(type) {
		case *logical.BoundRef, *logical.Literal, *logical.Alias:
		default:
			ok = false
		}
		return ok
	})
	return ok
}

func takeBatch(ec *EvalContext, batch arrow.RecordBatch, indices arrow.Array) (arrow.RecordBatch, error) {
	columns := make([]arrow.Array, batch.NumCols())
	defer releaseArrays(columns)
	for i := range columns {
		c, err := compute.TakeArray(ec.ComputeContext(), batch.Column(i), indices)
		if err != nil {
			return nil, err
		}
		columns[i] = c
	}
	return array.NewRecordBatch(batch.Schema(), columns, int64(indices.Len())), nil
}

func int32Array(mem memory.Allocator, v []int32) arrow.Array {
	buf, out := newFixedBuffer[int32](mem, len(v))
	copy(out, v)
	return makeFixedArray(arrow.PrimitiveTypes.Int32, len(v), buf, nil)
}

// assemble builds the result from branch pieces; rows no piece claims are null.
func assemble(ec *EvalContext, t arrow.DataType, n int, pieces []branchPiece) (arrow.Array, error) {
	if len(pieces) == 1 && pieces[0].rows == nil && pieces[0].claimed == nil && pieces[0].values.Len() == n {
		pieces[0].values.Retain()
		return pieces[0].values, nil
	}
	nullRow, err := scalar.MakeArrayFromScalar(scalar.MakeNullScalar(t), 1, ec.Task.Allocator)
	if err != nil {
		return nil, err
	}
	defer nullRow.Release()
	parts := make([]arrow.Array, 0, len(pieces)+1)
	indexBuf, index := newFixedBuffer[int32](ec.Task.Allocator, n)
	offset := int32(0)
	for _, p := range pieces {
		parts = append(parts, p.values)
		for j := 0; j < p.values.Len(); j++ {
			if p.claimed != nil && !p.claimed[j] {
				continue
			}
			row := int32(j)
			if p.rows != nil {
				row = p.rows[j]
			}
			index[row] = offset + int32(j) + 1 // 0 means unclaimed until the end
		}
		offset += int32(p.values.Len())
	}
	parts = append(parts, nullRow)
	for i := range index {
		if index[i] == 0 {
			index[i] = offset
		} else {
			index[i]--
		}
	}
	indices := makeFixedArray(arrow.PrimitiveTypes.Int32, n, indexBuf, nil)
	defer indices.Release()
	all, err := array.Concatenate(parts, ec.Task.Allocator)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	return compute.TakeArray(ec.ComputeContext(), all, indices)
}

func releasePieces(pieces []branchPiece) {
	for _, p := range pieces {
		p.values.Release()
	}
}

// caseWhenKernel: args are cond1, value1, cond2, value2, ..., [else]. A null condition counts as
// false.
func caseWhenKernel(ec *EvalContext, call *logical.Call, batch arrow.RecordBatch) (compute.Datum, error) {
	n := int(batch.NumRows())
	var pieces []branchPiece
	defer func() { releasePieces(pieces) }()
	var remaining []int32 // nil: all rows remain
	remainingCount := n
	i := 0
	for ; i+1 < len(call.Args) && remainingCount > 0; i += 2 {
		cond, err := rowSubset(ec, call.Args[i], batch, remaining)
		if err != nil {
			return nil, err
		}
		taken, left := splitByCondition(cond.(*array.Boolean), remaining)
		cond.Release()
		if len(taken) > 0 {
			rows := taken
			if remaining == nil && len(taken) == n {
				rows = nil
			}
			v, err := rowSubset(ec, call.Args[i+1], batch, rows)
			if err != nil {
				return nil, err
			}
			pieces = append(pieces, branchPiece{rows: rows, values: v})
		}
		remaining, remainingCount = left, len(left)
	}
	if len(call.Args)%2 == 1 && remainingCount > 0 {
		v, err := rowSubset(ec, call.Args[len(call.Args)-1], batch, remaining)
		if err != nil {
			return nil, err
		}
		pieces = append(pieces, branchPiece{rows: remaining, values: v})
	}
	out, err := assemble(ec, call.Type, n, pieces)
	if err != nil {
		return nil, err
	}
	return datumOf(out), nil
}

// splitByCondition returns the rows (original numbers) where cond is true and the rest.
func splitByCondition(cond *array.Boolean, rows []int32) (taken, left []int32) {
	valid, bits := validityBitmap(cond), boolValues(cond)
	taken = make([]int32, 0)
	left = make([]int32, 0)
	for j := 0; j < cond.Len(); j++ {
		row := int32(j)
		if rows != nil {
			row = rows[j]
		}
		if valid.get(j) && bits.get(j) {
			taken = append(taken, row)
		} else {
			left = append(left, row)
		}
	}
	return taken, left
}

// coalesceKernel returns the first non-null argument, evaluating each only where all earlier
// ones were null.
func coalesceKernel(ec *EvalContext, call *logical.Call, batch arrow.RecordBatch) (compute.Datum, error) {
	n := int(batch.NumRows())
	var pieces []branchPiece
	defer func() { releasePieces(pieces) }()
	var remaining []int32
	remainingCount := n
	for _, arg := range call.Args {
		if remainingCount == 0 {
			break
		}
		v, err := rowSubset(ec, arg, batch, remaining)
		if err != nil {
			return nil, err
		}
		valid := validityBitmap(v)
		claimed := make([]bool, v.Len())
		left := make([]int32, 0)
		for j := range claimed {
			if valid.get(j) {
				claimed[j] = true
			} else if remaining == nil {
				left = append(left, int32(j))
			} else {
				left = append(left, remaining[j])
			}
		}
		p := branchPiece{rows: remaining, values: v, claimed: claimed}
		if v.NullN() == 0 {
			p.claimed = nil
		}
		pieces = append(pieces, p)
		remaining, remainingCount = left, len(left)
	}
	out, err := assemble(ec, call.Type, n, pieces)
	if err != nil {
		return nil, err
	}
	return datumOf(out), nil
}

// isNaNKernel is isnan: false for null, true only for a NaN float.
func isNaNKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	a := arrays[0]
	n := a.Len()
	out := newBoolOutput(ec.Task.Allocator, n)
	valid := validityBitmap(a)
	switch a.DataType().ID() {
	case arrow.FLOAT64:
		v := values[float64](a)
		for i := range v {
			out.set(i, valid.get(i) && math.IsNaN(v[i]))
		}
	case arrow.FLOAT32:
		v := values[float32](a)
		for i := range v {
			out.set(i, valid.get(i) && v[i] != v[i])
		}
	}
	return datumOf(out.finish(n, nil)), nil
}

// extremumKernel is greatest/least: nulls are skipped (null only when all are null) and NaN is
// the largest value, as in Spark.
func extremumKernel(greatest bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		var out arrow.Array
		switch call.Type.ID() {
		case arrow.INT8:
			out = extremumFixed[int8](ec, call.Type, arrays, greatest, lessOrdered[int8])
		case arrow.INT16:
			out = extremumFixed[int16](ec, call.Type, arrays, greatest, lessOrdered[int16])
		case arrow.INT32, arrow.DATE32:
			out = extremumFixed[int32](ec, call.Type, arrays, greatest, lessOrdered[int32])
		case arrow.INT64, arrow.TIMESTAMP, arrow.DATE64:
			out = extremumFixed[int64](ec, call.Type, arrays, greatest, lessOrdered[int64])
		case arrow.FLOAT32:
			out = extremumFixed[float32](ec, call.Type, arrays, greatest, func(a, b float32) bool { return compareFloats(a, b) < 0 })
		case arrow.FLOAT64:
			out = extremumFixed[float64](ec, call.Type, arrays, greatest, func(a, b float64) bool { return compareFloats(a, b) < 0 })
		case arrow.BOOL:
			out = extremumBool(ec, arrays, greatest)
		case arrow.STRING:
			out = extremumString(ec, arrays, greatest)
		default:
			return nil, errkind.NotImplemented("greatest/least on %s", logical.SparkTypeName(call.Type))
		}
		return datumOf(out), nil
	}
}

func lessOrdered[T integer](a, b T) bool { return a < b }

func extremumFixed[T number](ec *EvalContext, t arrow.DataType, arrays []arrow.Array, greatest bool, less func(a, b T) bool) arrow.Array {
	n := arrays[0].Len()
	validity := newValidity(ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		validity.setNull(i)
	}
	buf, out := newFixedBuffer[T](ec.Task.Allocator, n)
	for _, a := range arrays {
		v, valid := values[T](a), validityBitmap(a)
		for i := 0; i < n; i++ {
			if !valid.get(i) {
				continue
			}
			if !validity.valid(i) {
				out[i] = v[i]
				validity.setValid(i)
				continue
			}
			if (greatest && less(out[i], v[i])) || (!greatest && less(v[i], out[i])) {
				out[i] = v[i]
			}
		}
	}
	return makeFixedArray(t, n, buf, validity)
}

func extremumBool(ec *EvalContext, arrays []arrow.Array, greatest bool) arrow.Array {
	n := arrays[0].Len()
	b := array.NewBooleanBuilder(ec.Task.Allocator)
	defer b.Release()
	for i := 0; i < n; i++ {
		found, best := false, false
		for _, a := range arrays {
			ba := a.(*array.Boolean)
			if ba.IsNull(i) {
				continue
			}
			v := ba.Value(i)
			if !found || (greatest && v && !best) || (!greatest && !v && best) {
				best, found = v, true
			}
		}
		if found {
			b.Append(best)
		} else {
			b.AppendNull()
		}
	}
	return b.NewArray()
}

func extremumString(ec *EvalContext, arrays []arrow.Array, greatest bool) arrow.Array {
	n := arrays[0].Len()
	strs := make([]stringColumn, len(arrays))
	for k, a := range arrays {
		strs[k] = stringsOf(a)
	}
	b := array.NewStringBuilder(ec.Task.Allocator)
	defer b.Release()
	for i := 0; i < n; i++ {
		var best []byte
		found := false
		for _, s := range strs {
			if !s.valid.get(i) {
				continue
			}
			v := s.at(i)
			c := bytes.Compare(v, best)
			if !found || (greatest && c > 0) || (!greatest && c < 0) {
				best, found = v, true
			}
		}
		if found {
			b.BinaryBuilder.Append(best)
		} else {
			b.AppendNull()
		}
	}
	return b.NewArray()
}
