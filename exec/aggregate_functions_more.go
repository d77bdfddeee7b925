package exec

import (
	"math"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Accumulators and kernels for Spark 4's product, corr, covar_pop, covar_samp, max_by and min_by
// (planner/analyzer/fn_aggregate_more.go builds the calls).

func init() {
	RegisterKernel("max_by_of_list", pickByKernel(true))
	RegisterKernel("min_by_of_list", pickByKernel(false))
	RegisterKernel("mode_of_list", modeKernel)
}

// newMoreAccumulator makes the accumulators of this file; nil when call is none of them.
func newMoreAccumulator(call *logical.AggregateCall) accumulator {
	switch call.Function {
	case "product":
		return &productAccumulator{}
	case "corr", "covar_pop", "covar_samp":
		return &covarianceAccumulator{function: call.Function}
	case "skewness", "kurtosis":
		return &higherMomentAccumulator{kurtosis: call.Function == "kurtosis"}
	case "bit_and", "bit_or", "bit_xor":
		return &bitwiseAccumulator{function: call.Function}
	}
	return nil
}

// ---- product ----

// productAccumulator multiplies the non-null doubles of each group; a group without any is null.
type productAccumulator struct {
	products []float64
	seen     []bool
}

func (p *productAccumulator) resize(n int) {
	p.products = growTo(p.products, n, 1)
	p.seen = growTo(p.seen, n, false)
}
func (p *productAccumulator) size() int64 { return int64(cap(p.products)) * 9 }
func (p *productAccumulator) release()    {}
func (p *productAccumulator) add(groups []int32, a arrow.Array) {
	values := a.(*array.Float64).Float64Values()
	v := rowValidityOf(a)
	for i, g := range groups {
		if v.at(i) {
			p.products[g] *= values[i]
			p.seen[g] = true
		}
	}
}
func (p *productAccumulator) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	p.add(groups, args[0])
	return nil
}
func (p *productAccumulator) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	p.add(groups, states[0])
	return nil
}
func (p *productAccumulator) state(ec *EvalContext) ([]arrow.Array, error) {
	a, err := p.finish(ec)
	return []arrow.Array{a}, err
}
func (p *productAccumulator) finish(*EvalContext) (arrow.Array, error) {
	return sliceToArray(arrow.PrimitiveTypes.Float64, append([]float64(nil), p.products...), append([]bool(nil), p.seen...)), nil
}

// ---- corr, covar_pop, covar_samp ----

// covarianceAccumulator keeps Spark's Covariance/Corr state of rows where both values are
// non-null: count, both means, the co-moment ck and (for corr) both second moments, updated and
// merged with the formulas Spark uses (the last bits depend on how rows were split between
// partial aggregates, in Spark as here).
type covarianceAccumulator struct {
	function                    string
	n, xMean, yMean, ck, xM, yM []float64
}

func (c *covarianceAccumulator) resize(n int) {
	c.n = growTo(c.n, n, 0)
	c.xMean = growTo(c.xMean, n, 0)
	c.yMean = growTo(c.yMean, n, 0)
	c.ck = growTo(c.ck, n, 0)
	c.xM = growTo(c.xM, n, 0)
	c.yM = growTo(c.yM, n, 0)
}
func (c *covarianceAccumulator) size() int64 { return int64(cap(c.n)) * 48 }
func (c *covarianceAccumulator) release()    {}
func (c *covarianceAccumulator) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	xs := args[0].(*array.Float64).Float64Values()
	ys := args[1].(*array.Float64).Float64Values()
	xValid, yValid := rowValidityOf(args[0]), rowValidityOf(args[1])
	for i, g := range groups {
		if !xValid.at(i) || !yValid.at(i) {
			continue
		}
		x, y := xs[i], ys[i]
		n := c.n[g] + 1
		dx := x - c.xMean[g]
		dy := y - c.yMean[g]
		xMean := c.xMean[g] + dx/n
		yMean := c.yMean[g] + dy/n
		c.ck[g] += dx * (y - yMean)
		c.xM[g] += dx * (x - xMean)
		c.yM[g] += dy * (y - yMean)
		c.n[g], c.xMean[g], c.yMean[g] = n, xMean, yMean
	}
	return nil
}
func (c *covarianceAccumulator) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	column := func(i int) []float64 { return states[i].(*array.Float64).Float64Values() }
	ns, xMeans, yMeans, cks, xMs, yMs := column(0), column(1), column(2), column(3), column(4), column(5)
	for i, g := range groups {
		n2 := ns[i]
		if n2 == 0 {
			continue
		}
		n1 := c.n[g]
		n := n1 + n2
		dx := xMeans[i] - c.xMean[g]
		dy := yMeans[i] - c.yMean[g]
		dxN, dyN := dx/n, dy/n
		c.xMean[g] += dxN * n2
		c.yMean[g] += dyN * n2
		c.ck[g] += cks[i] + dx*dyN*n1*n2
		c.xM[g] += xMs[i] + dx*dxN*n1*n2
		c.yM[g] += yMs[i] + dy*dyN*n1*n2
		c.n[g] = n
	}
	return nil
}
func (c *covarianceAccumulator) state(*EvalContext) ([]arrow.Array, error) {
	out := make([]arrow.Array, 0, 6)
	for _, column := range [][]float64{c.n, c.xMean, c.yMean, c.ck, c.xM, c.yM} {
		out = append(out, sliceToArray(arrow.PrimitiveTypes.Float64, append([]float64(nil), column...), nil))
	}
	return out, nil
}

// finish follows Spark with spark.sql.legacy.statisticalAggregate off: null without rows, and
// null where the formula would divide by zero for a single row (covar_samp, corr).
func (c *covarianceAccumulator) finish(*EvalContext) (arrow.Array, error) {
	out := make([]float64, len(c.n))
	valid := make([]bool, len(c.n))
	for g, n := range c.n {
		if n == 0 {
			continue
		}
		switch c.function {
		case "covar_pop":
			out[g], valid[g] = c.ck[g]/n, true
		case "covar_samp":
			if n > 1 {
				out[g], valid[g] = c.ck[g]/(n-1), true
			}
		case "corr":
			// Spark divides with null for a zero divisor (a constant column).
			if divisor := math.Sqrt(c.xM[g] * c.yM[g]); n > 1 && divisor != 0 {
				out[g], valid[g] = c.ck[g]/divisor, true
			}
		}
	}
	return sliceToArray(arrow.PrimitiveTypes.Float64, out, valid), nil
}

// ---- max_by, min_by ----

// pickByKernel answers max_by/min_by from each group's list of (ordering, value) pairs (rows with
// a null ordering were left out): the value of the first pair with the greatest (least)
// ordering, null for an empty list.
func pickByKernel(greatest bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		listArray, err := DatumToArray(ec, args[0], length, nil)
		if err != nil {
			return nil, err
		}
		defer listArray.Release()
		lists, ok := listArray.(*array.List)
		if !ok {
			return nil, errkind.Internal("%s expects a list of pairs, got %s", call.Function, listArray.DataType())
		}
		pairs, ok := lists.ListValues().(*array.Struct)
		if !ok || pairs.NumField() != 2 {
			return nil, errkind.Internal("%s expects (ordering, value) pairs, got %s", call.Function, lists.ListValues().DataType())
		}
		orderings, values := pairs.Field(0), pairs.Field(1)
		compare := valueComparator(orderings, orderings)
		rows := lists.Len()
		picked := make([]int32, rows)
		valid := make([]bool, rows)
		for row := 0; row < rows; row++ {
			if lists.IsNull(row) {
				continue
			}
			start, end := lists.ValueOffsets(row)
			best := int64(-1)
			for p := start; p < end; p++ {
				if pairs.IsNull(int(p)) || orderings.IsNull(int(p)) {
					continue
				}
				if best < 0 {
					best = p
					continue
				}
				// A later row with an equal ordering wins, as in Spark, whose MaxMinBy keeps the
				// value it holds only while it is strictly better: over an ordered window frame,
				// max_by answers with the last of the tied rows.
				c := compare(int(p), int(best))
				if (greatest && c >= 0) || (!greatest && c <= 0) {
					best = p
				}
			}
			if best >= 0 {
				picked[row], valid[row] = int32(best), true
			}
		}
		indices := sliceToArray(arrow.PrimitiveTypes.Int32, picked, valid)
		defer indices.Release()
		out, err := compute.TakeArray(ec.ComputeContext(), values, indices)
		if err != nil {
			return nil, err
		}
		defer out.Release()
		return compute.NewDatum(out), nil
	}
}

// ---- mode ----

// modeKernel answers mode from each group's collected values: the most frequent non-null
// value, the least of those equally frequent, null for an empty list.
func modeKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	listArray, err := DatumToArray(ec, args[0], length, nil)
	if err != nil {
		return nil, err
	}
	defer listArray.Release()
	lists, ok := listArray.(*array.List)
	if !ok {
		return nil, errkind.Internal("%s expects a list of values, got %s", call.Function, listArray.DataType())
	}
	values := lists.ListValues()
	compare := valueComparator(values, values)
	rows := lists.Len()
	picked := make([]int32, rows)
	valid := make([]bool, rows)
	var positions []int32
	for row := 0; row < rows; row++ {
		if lists.IsNull(row) {
			continue
		}
		start, end := lists.ValueOffsets(row)
		positions = positions[:0]
		for p := start; p < end; p++ {
			if values.IsValid(int(p)) {
				positions = append(positions, int32(p))
			}
		}
		if len(positions) == 0 {
			continue
		}
		sort.SliceStable(positions, func(i, j int) bool { return compare(int(positions[i]), int(positions[j])) < 0 })
		best, bestRun := positions[0], 0
		for i := 0; i < len(positions); {
			j := i + 1
			for j < len(positions) && compare(int(positions[i]), int(positions[j])) == 0 {
				j++
			}
			if j-i > bestRun {
				best, bestRun = positions[i], j-i
			}
			i = j
		}
		picked[row], valid[row] = best, true
	}
	indices := sliceToArray(arrow.PrimitiveTypes.Int32, picked, valid)
	defer indices.Release()
	out, err := compute.TakeArray(ec.ComputeContext(), values, indices)
	if err != nil {
		return nil, err
	}
	defer out.Release()
	return compute.NewDatum(out), nil
}

// ---- skewness, kurtosis ----

// higherMomentAccumulator keeps Spark's CentralMomentAgg state (count, mean and the central
// moments m2, m3, m4), updated and merged with the formulas Spark uses.
type higherMomentAccumulator struct {
	kurtosis            bool
	n, mean, m2, m3, m4 []float64
}

func (h *higherMomentAccumulator) resize(n int) {
	h.n = growTo(h.n, n, 0)
	h.mean = growTo(h.mean, n, 0)
	h.m2 = growTo(h.m2, n, 0)
	h.m3 = growTo(h.m3, n, 0)
	h.m4 = growTo(h.m4, n, 0)
}
func (h *higherMomentAccumulator) size() int64 { return int64(cap(h.n)) * 40 }
func (h *higherMomentAccumulator) release()    {}
func (h *higherMomentAccumulator) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	values := args[0].(*array.Float64).Float64Values()
	v := rowValidityOf(args[0])
	for i, g := range groups {
		if !v.at(i) {
			continue
		}
		n := h.n[g] + 1
		delta := values[i] - h.mean[g]
		deltaN := delta / n
		m2 := h.m2[g] + delta*(delta-deltaN)
		delta2, deltaN2 := delta*delta, deltaN*deltaN
		m3 := h.m3[g] - 3*deltaN*m2 + delta*(delta2-deltaN2)
		m4 := h.m4[g] - 4*deltaN*m3 - 6*deltaN2*m2 + delta*(delta*delta2-deltaN*deltaN2)
		h.n[g], h.mean[g], h.m2[g], h.m3[g], h.m4[g] = n, h.mean[g]+deltaN, m2, m3, m4
	}
	return nil
}
func (h *higherMomentAccumulator) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	column := func(i int) []float64 { return states[i].(*array.Float64).Float64Values() }
	ns, means, m2s, m3s, m4s := column(0), column(1), column(2), column(3), column(4)
	for i, g := range groups {
		n2 := ns[i]
		if n2 == 0 {
			continue
		}
		n1 := h.n[g]
		n := n1 + n2
		delta := means[i] - h.mean[g]
		deltaN := delta / n
		m2 := h.m2[g] + m2s[i] + delta*deltaN*n1*n2
		m3 := h.m3[g] + m3s[i] + deltaN*deltaN*delta*n1*n2*(n1-n2) + 3*deltaN*(n1*m2s[i]-n2*h.m2[g])
		m4 := h.m4[g] + m4s[i] + deltaN*deltaN*deltaN*delta*n1*n2*(n1*n1-n1*n2+n2*n2) +
			6*deltaN*deltaN*(n1*n1*m2s[i]+n2*n2*h.m2[g]) + 4*deltaN*(n1*m3s[i]-n2*h.m3[g])
		h.n[g], h.mean[g], h.m2[g], h.m3[g], h.m4[g] = n, h.mean[g]+deltaN*n2, m2, m3, m4
	}
	return nil
}
func (h *higherMomentAccumulator) state(*EvalContext) ([]arrow.Array, error) {
	out := make([]arrow.Array, 0, 5)
	for _, column := range [][]float64{h.n, h.mean, h.m2, h.m3, h.m4} {
		out = append(out, sliceToArray(arrow.PrimitiveTypes.Float64, append([]float64(nil), column...), nil))
	}
	return out, nil
}

// finish: null without rows and where m2 is 0 (Spark's divide-by-zero result with
// spark.sql.legacy.statisticalAggregate off).
func (h *higherMomentAccumulator) finish(*EvalContext) (arrow.Array, error) {
	out := make([]float64, len(h.n))
	valid := make([]bool, len(h.n))
	for g, n := range h.n {
		if n == 0 || h.m2[g] == 0 {
			continue
		}
		if h.kurtosis {
			out[g] = n*h.m4[g]/(h.m2[g]*h.m2[g]) - 3
		} else {
			out[g] = math.Sqrt(n) * h.m3[g] / math.Sqrt(h.m2[g]*h.m2[g]*h.m2[g])
		}
		valid[g] = true
	}
	return sliceToArray(arrow.PrimitiveTypes.Float64, out, valid), nil
}

// ---- bit_and, bit_or, bit_xor ----

// bitwiseAccumulator folds a group's non-null bigints with AND, OR or XOR; a group without any is
// null. (Narrower integers are widened before and narrowed after: the bitwise operations commute
// with sign extension, so the result fits the input type.)
type bitwiseAccumulator struct {
	function string
	values   []int64
	seen     []bool
}

func (b *bitwiseAccumulator) resize(n int) {
	b.values = growTo(b.values, n, 0)
	b.seen = growTo(b.seen, n, false)
}
func (b *bitwiseAccumulator) size() int64 { return int64(cap(b.values)) * 9 }
func (b *bitwiseAccumulator) release()    {}
func (b *bitwiseAccumulator) add(groups []int32, a arrow.Array) {
	values := a.(*array.Int64).Int64Values()
	v := rowValidityOf(a)
	for i, g := range groups {
		if !v.at(i) {
			continue
		}
		x := values[i]
		switch {
		case !b.seen[g]:
			b.values[g] = x
		case b.function == "bit_and":
			b.values[g] &= x
		case b.function == "bit_or":
			b.values[g] |= x
		default:
			b.values[g] ^= x
		}
		b.seen[g] = true
	}
}
func (b *bitwiseAccumulator) update(_ *EvalContext, groups []int32, args []arrow.Array) error {
	b.add(groups, args[0])
	return nil
}
func (b *bitwiseAccumulator) merge(_ *EvalContext, groups []int32, states []arrow.Array) error {
	b.add(groups, states[0])
	return nil
}
func (b *bitwiseAccumulator) state(ec *EvalContext) ([]arrow.Array, error) {
	a, err := b.finish(ec)
	return []arrow.Array{a}, err
}
func (b *bitwiseAccumulator) finish(*EvalContext) (arrow.Array, error) {
	return sliceToArray(arrow.PrimitiveTypes.Int64, append([]int64(nil), b.values...), append([]bool(nil), b.seen...)), nil
}
