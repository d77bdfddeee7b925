package exec

import (
	"math"
	"math/bits"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/quiverdata/quiver/planner/logical"
)

// Decimal argument programs: sum and avg over decimal arithmetic of columns and constants
// (TPC-H Q1's sum(l_extendedprice * (1 - l_discount) * (1 + l_tax))) computed in int64 per row
// and added to the groups straight from reusable scratch vectors. Evaluated as expressions, each
// operator wrote a fresh 16-byte-per-row Decimal128 array per batch (four per Q1 batch, ~380 MB
// per query, zeroed by the allocator and left to the collector), and the cast of each literal
// and the shared-subexpression keys were rebuilt per batch: together a fifth of Q1's CPU.
//
// A program covers only what int64 computes exactly: +, - with the result at the larger scale
// (the other operand scaled up by at most 10^18) and * at the sum of the scales (no rounding).
// A batch where any value is null, does not fit an int64, overflows, or leaves its type's
// precision goes through the ordinary expression path instead, which computes the exact result
// or raises the ANSI error; the program never decides an error or a null itself.

// decimalProgramOp is the operation of a decimalProgramNode.
type decimalProgramOp int

const (
	decimalColumn   decimalProgramOp = iota // a Decimal128 column of the batch
	decimalConstant                         // a literal, or a cast of one, read once
	decimalAdd
	decimalSubtract
	decimalMultiply
)

type decimalProgramNode struct {
	op          decimalProgramOp
	column      int          // decimalColumn: the batch column
	expression  logical.Expr // decimalConstant: evaluated on the first batch
	left, right int          // operands' node indices (they come earlier)
	// add/subtract: operands scaled to the result's scale
	scaleLeft, scaleRight int64Scaler
	// bound is 10^precision of the result when below 2^63, else 0 (every int64 fits)
	bound uint64
}

// decimalPrograms holds the argument programs of one hash aggregate's calls. Nodes are shared:
// a subexpression two calls repeat (Q1's l_extendedprice * (1 - l_discount)) is one node,
// computed once per batch.
type decimalPrograms struct {
	nodes      []decimalProgramNode
	keys       map[string]int // node of each structural key
	roots      []int          // per aggregate call, its argument's node, or -1
	values     [][]int64      // per node, its values over the current batch (scratch)
	magnitudes []uint64       // per node, a bound on |value| over the current batch
	constants  []int64
	// constantsRead is set once the constants were evaluated; broken once one of them is null
	// or beyond an int64 (the programs are then never used).
	constantsRead, broken bool
}

// newDecimalPrograms compiles the arguments of sum and avg calls over decimal arithmetic; nil
// when no call has one.
func newDecimalPrograms(calls []*logical.AggregateCall) *decimalPrograms {
	p := &decimalPrograms{keys: map[string]int{}}
	found := false
	for _, call := range calls {
		root := -1
		if (call.Function == "sum" || call.Function == "avg") && !call.Distinct && call.Filter == nil && !call.NullIfEmpty && len(call.Args) == 1 {
			if _, isCall := call.Args[0].(*logical.Call); isCall {
				if _, ok := call.Type.(*arrow.Decimal128Type); ok {
					root = p.compile(call.Args[0])
				}
			}
		}
		found = found || root >= 0
		p.roots = append(p.roots, root)
	}
	if !found {
		return nil
	}
	p.values = make([][]int64, len(p.nodes))
	p.magnitudes = make([]uint64, len(p.nodes))
	p.constants = make([]int64, len(p.nodes))
	return p
}

// compile adds the nodes of e and returns its node, or -1 when e is outside what programs cover.
func (p *decimalPrograms) compile(e logical.Expr) int {
	t, ok := e.DataType().(*arrow.Decimal128Type)
	if !ok {
		return -1
	}
	var key strings.Builder
	if !writeExpressionKey(&key, e) {
		return -1
	}
	if n, ok := p.keys[key.String()]; ok {
		return n
	}
	var node decimalProgramNode
	if t.Precision < 19 {
		node.bound = pow10u64[t.Precision]
	}
	switch x := e.(type) {
	case *logical.BoundRef:
		node.op, node.column = decimalColumn, x.Ordinal
	case *logical.Literal:
		node.op, node.expression = decimalConstant, x
	case *logical.Cast:
		if _, literal := x.Child.(*logical.Literal); !literal {
			return -1
		}
		node.op, node.expression = decimalConstant, x
	case *logical.Call:
		if len(x.Args) != 2 {
			return -1
		}
		switch strings.TrimSuffix(strings.TrimSuffix(x.Function, "_legacy"), "_try") {
		case "decimal_add":
			node.op = decimalAdd
		case "decimal_subtract":
			node.op = decimalSubtract
		case "decimal_multiply":
			node.op = decimalMultiply
		default:
			return -1
		}
		s1, ok1 := x.Args[0].DataType().(*arrow.Decimal128Type)
		s2, ok2 := x.Args[1].DataType().(*arrow.Decimal128Type)
		if !ok1 || !ok2 {
			return -1
		}
		if node.op == decimalMultiply {
			if s1.Scale+s2.Scale != t.Scale {
				return -1 // rounds: the expression path
			}
		} else {
			up1, up2 := t.Scale-s1.Scale, t.Scale-s2.Scale
			if max(s1.Scale, s2.Scale) != t.Scale || up1 > 18 || up2 > 18 {
				return -1
			}
			node.scaleLeft, node.scaleRight = newInt64Scaler(int(up1)), newInt64Scaler(int(up2))
		}
		if node.left = p.compile(x.Args[0]); node.left < 0 {
			return -1
		}
		if node.right = p.compile(x.Args[1]); node.right < 0 {
			return -1
		}
		if p.nodes[node.left].op == decimalConstant && p.nodes[node.right].op == decimalConstant {
			return -1 // no column: every operation of a program reads at least one
		}
	default:
		return -1
	}
	p.nodes = append(p.nodes, node)
	p.keys[key.String()] = len(p.nodes) - 1
	return len(p.nodes) - 1
}

// run computes every node over b; false when the batch must take the expression path.
//
// Each node's values come with a bound on their magnitude over the batch (a column's largest
// |value|, a constant's own), and an operation's bound follows from its operands' (|a|+|b| for
// + and -, |a|*|b| for *). An operation runs only when its bound fits an int64 and its type's
// precision, so its loop is plain arithmetic with no test per row; a batch whose bound does not
// fit (rare: operands near 10^18, or a declared precision the values reach) goes through the
// expression path, which is exact for every row.
func (p *decimalPrograms) run(ec *EvalContext, b arrow.RecordBatch) (bool, error) {
	if p.broken {
		return false, nil
	}
	if !p.constantsRead {
		if err := p.readConstants(ec, b); err != nil || p.broken {
			return false, err
		}
	}
	n := int(b.NumRows())
	for i := range p.nodes {
		node := &p.nodes[i]
		if node.op == decimalConstant {
			p.magnitudes[i] = absUint64(p.constants[i])
			continue
		}
		if cap(p.values[i]) < n {
			p.values[i] = make([]int64, n)
		}
		out := p.values[i][:n]
		p.values[i] = out
		var ok bool
		switch node.op {
		case decimalColumn:
			p.magnitudes[i], ok = decimalColumnInt64(b.Column(node.column), out)
		case decimalMultiply:
			p.magnitudes[i], ok = p.multiply(node, out)
		default:
			p.magnitudes[i], ok = p.addSubtract(node, out)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// readConstants evaluates the constant nodes once, over the first batch (their value does not
// depend on it).
func (p *decimalPrograms) readConstants(ec *EvalContext, b arrow.RecordBatch) error {
	p.constantsRead = true
	for i, node := range p.nodes {
		if node.op != decimalConstant {
			continue
		}
		row := b.NewSlice(0, 1)
		a, err := EvalArray(ec, node.expression, row)
		row.Release()
		if err != nil {
			return err
		}
		d, ok := a.(*array.Decimal128)
		if !ok || d.Len() == 0 || d.IsNull(0) {
			a.Release()
			p.broken = true
			return nil
		}
		v, fits := int64Of(d.Value(0))
		a.Release()
		if !fits {
			p.broken = true
			return nil
		}
		p.constants[i] = v
	}
	return nil
}

// operand returns node k's values and 0, or nil and its constant. Every operation node has at
// least one operand that is not a constant, and every call's root is an operation.
func (p *decimalPrograms) operand(k int) ([]int64, int64) {
	if p.nodes[k].op == decimalConstant {
		return nil, p.constants[k]
	}
	return p.values[k], 0
}

// decimalColumnInt64 copies a Decimal128 column into out and returns its largest magnitude;
// false when it has nulls or a value beyond an int64.
func decimalColumnInt64(a arrow.Array, out []int64) (uint64, bool) {
	d, ok := a.(*array.Decimal128)
	if !ok || d.NullN() > 0 {
		return 0, false
	}
	values := d.Values()[:len(out)]
	var wide int64 // ORs each value's high word with its low word's sign: non-zero beyond int64
	var largest uint64
	for i, v := range values {
		lo := int64(v.LowBits())
		wide |= v.HighBits() ^ lo>>63
		out[i] = lo
		largest = max(largest, absUint64(lo))
	}
	return largest, wide == 0
}

// fitsResult reports whether a magnitude bound fits an int64 and the node's precision.
func (node *decimalProgramNode) fitsResult(magnitude uint64) bool {
	return magnitude <= math.MaxInt64 && (node.bound == 0 || magnitude < node.bound)
}

// scaledMagnitude is magnitude * 10^k of the scaler, false beyond an int64.
func scaledMagnitude(magnitude uint64, scaler int64Scaler) (uint64, bool) {
	hi, lo := bits.Mul64(magnitude, uint64(scaler.factor))
	return lo, hi == 0 && lo <= math.MaxInt64
}

func (p *decimalPrograms) addSubtract(node *decimalProgramNode, out []int64) (uint64, bool) {
	magnitudeLeft, ok1 := scaledMagnitude(p.magnitudes[node.left], node.scaleLeft)
	magnitudeRight, ok2 := scaledMagnitude(p.magnitudes[node.right], node.scaleRight)
	magnitude, carry := bits.Add64(magnitudeLeft, magnitudeRight, 0)
	if !ok1 || !ok2 || carry != 0 || !node.fitsResult(magnitude) {
		return 0, false
	}
	// Every product and sum below is within the bound: plain int64 arithmetic is exact.
	left, leftConstant := p.operand(node.left)
	right, rightConstant := p.operand(node.right)
	factorLeft, factorRight := node.scaleLeft.factor, node.scaleRight.factor
	if node.op == decimalSubtract {
		factorRight = -factorRight
	}
	switch {
	case left == nil:
		addScaledConstant(out, right, factorRight, leftConstant*factorLeft)
	case right == nil:
		addScaledConstant(out, left, factorLeft, rightConstant*factorRight)
	default:
		right = right[:len(out)]
		left = left[:len(out)]
		for i := range out {
			out[i] = left[i]*factorLeft + right[i]*factorRight
		}
	}
	return magnitude, true
}

// addScaledConstant computes out[i] = column[i] * factor + constant.
func addScaledConstant(out, column []int64, factor, constant int64) {
	column = column[:len(out)]
	if factor == 1 {
		for i := range out {
			out[i] = column[i] + constant
		}
		return
	}
	if factor == -1 {
		for i := range out {
			out[i] = constant - column[i]
		}
		return
	}
	for i := range out {
		out[i] = column[i]*factor + constant
	}
}

func (p *decimalPrograms) multiply(node *decimalProgramNode, out []int64) (uint64, bool) {
	hi, magnitude := bits.Mul64(p.magnitudes[node.left], p.magnitudes[node.right])
	if hi != 0 || !node.fitsResult(magnitude) {
		return 0, false
	}
	left, leftConstant := p.operand(node.left)
	right, rightConstant := p.operand(node.right)
	if left == nil {
		left, right, rightConstant = right, nil, leftConstant
	}
	left = left[:len(out)]
	if right == nil {
		for i := range out {
			out[i] = left[i] * rightConstant
		}
		return magnitude, true
	}
	right = right[:len(out)]
	for i := range out {
		out[i] = left[i] * right[i]
	}
	return magnitude, true
}

// update folds the program results of a batch into the calls' accumulators; handled[i] says
// call i was done (the others take the ordinary path).
func (p *decimalPrograms) update(ec *EvalContext, accs []accumulator, b arrow.RecordBatch, groups []int32, handled []bool) ([]bool, error) {
	handled = handled[:0]
	ok, err := p.run(ec, b)
	if err != nil || !ok {
		return handled, err
	}
	for i, root := range p.roots {
		adder, is := accs[i].(int64DecimalAdder)
		if root >= 0 && is {
			adder.addInt64(groups, p.values[root])
		}
		handled = append(handled, root >= 0 && is)
	}
	return handled, nil
}

// int64DecimalAdder is an accumulator that adds decimal values given as int64s at its input
// scale (sum and avg of decimals).
type int64DecimalAdder interface {
	addInt64(groups []int32, values []int64)
}
