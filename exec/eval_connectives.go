package exec

import (
	"math/bits"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// AND and OR over a whole chain of operands (a AND b AND c is one chain), evaluated the way
// Spark evaluates them row by row: an operand is evaluated only on the rows the operands before
// it left undecided (not yet false for AND, not yet true for OR). When no row is left the rest
// is skipped; when some rows are decided the rest is evaluated over just the undecided rows (a
// gathered batch of the columns the rest reads) and scattered back. Operands that cannot raise
// an error are ordered cheapest first; OR operands comparing one expression with literals become
// one IN-list membership test (kernels_in.go). TPC-H Q19's OR of three ANDs and Q16's
// brand/type/size conjunction are this shape.

// truth is a boolean column as two bitsets: the rows known true and those known false (a NULL
// row is in neither).
type truth struct {
	n               int
	isTrue, isFalse []uint64
}

// tailMask is the mask of the rows of word w among n rows.
func tailMask(n, w int) uint64 {
	if rest := n - w*64; rest < 64 {
		return 1<<uint(rest) - 1
	}
	return ^uint64(0)
}

func truthOf(a *array.Boolean) truth {
	n := a.Len()
	words := (n + 63) / 64
	t := truth{n: n, isTrue: make([]uint64, words), isFalse: make([]uint64, words)}
	values := boolValues(a)
	valid := validityBitmap(a)
	for w := 0; w < words; w++ {
		v := loadWordAt(values.bits, values.offset, n, w)
		m := tailMask(n, w)
		if valid.bits != nil {
			m &= loadWordAt(valid.bits, valid.offset, n, w)
		}
		t.isTrue[w] = v & m
		t.isFalse[w] = ^v & m
	}
	return t
}

// combine folds other into t: AND (isOr false) or OR, with SQL's three-valued logic.
func (t *truth) combine(isOr bool, other truth) {
	for w := range t.isTrue {
		if isOr {
			t.isTrue[w] |= other.isTrue[w]
			t.isFalse[w] &= other.isFalse[w]
		} else {
			t.isTrue[w] &= other.isTrue[w]
			t.isFalse[w] |= other.isFalse[w]
		}
	}
}

// undecidedWord is the rows of word w whose result later operands can still change.
func (t *truth) undecidedWord(isOr bool, w int) uint64 {
	decided := t.isFalse[w]
	if isOr {
		decided = t.isTrue[w]
	}
	return ^decided & tailMask(t.n, w)
}

func (t *truth) undecidedCount(isOr bool) int {
	count := 0
	for w := range t.isTrue {
		count += bits.OnesCount64(t.undecidedWord(isOr, w))
	}
	return count
}

func (t *truth) undecidedRows(isOr bool, count int) []int32 {
	rows := make([]int32, 0, count)
	for w := range t.isTrue {
		for word := t.undecidedWord(isOr, w); word != 0; word &= word - 1 {
			rows = append(rows, int32(w*64+bits.TrailingZeros64(word)))
		}
	}
	return rows
}

// scatter folds the truth of the rest of the operands, evaluated over rows only, into t.
func (t *truth) scatter(isOr bool, rows []int32, rest truth) {
	for j, row := range rows {
		w, bit := int(row)/64, uint64(1)<<(uint(row)%64)
		restTrue := rest.isTrue[j/64]&(1<<(uint(j)%64)) != 0
		restFalse := rest.isFalse[j/64]&(1<<(uint(j)%64)) != 0
		if isOr {
			if restTrue {
				t.isTrue[w] |= bit
			}
			if !restFalse {
				t.isFalse[w] &^= bit
			}
		} else {
			if !restTrue {
				t.isTrue[w] &^= bit
			}
			if restFalse {
				t.isFalse[w] |= bit
			}
		}
	}
}

func (t *truth) array(ec *EvalContext) arrow.Array {
	mem := ec.Task.Allocator
	values := newWordBitmap(mem, t.n)
	validity := newValidity(mem, t.n)
	nulls := t.n
	for w := range t.isTrue {
		values.store(w, t.isTrue[w])
		known := t.isTrue[w] | t.isFalse[w]
		storeWord(validity.bits, w, known)
		nulls -= bits.OnesCount64(known)
	}
	validity.nulls = nulls
	return values.finishWithValidity(t.n, validity)
}

// connectiveOperand is one operand of a chain, or an IN-list set standing for several.
type connectiveOperand struct {
	expr    logical.Expr
	set     *literalSet
	members []logical.Expr // the comparisons set stands for
}

func (o connectiveOperand) expressions() []logical.Expr {
	if o.set != nil {
		return o.members
	}
	return []logical.Expr{o.expr}
}

// flattenConnective appends the operands of a chain of function (and/or) calls.
func flattenConnective(function string, e logical.Expr, out []logical.Expr) []logical.Expr {
	if c, ok := e.(*logical.Call); ok && c.Function == function && len(c.Args) == 2 {
		out = flattenConnective(function, c.Args[0], out)
		return flattenConnective(function, c.Args[1], out)
	}
	return append(out, e)
}

// evalConnective evaluates an and/or call; ok is false when an operand is not boolean (the
// plain kernels take it).
func evalConnective(ec *EvalContext, call *logical.Call, batch arrow.RecordBatch) (compute.Datum, bool, error) {
	isOr := call.Function == "or"
	expressions := flattenConnective(call.Function, call, nil)
	for _, e := range expressions {
		if e.DataType().ID() != arrow.BOOL {
			return nil, false, nil
		}
	}
	var operands []connectiveOperand
	if isOr {
		groups, grouped := groupLiteralComparisons(expressions)
		placed := make([]bool, len(groups))
		for i, e := range expressions {
			g := grouped[i]
			switch {
			case g < 0:
				operands = append(operands, connectiveOperand{expr: e})
			case !placed[g]:
				placed[g] = true
				operands = append(operands, connectiveOperand{set: groups[g]})
			}
			if g >= 0 {
				for k := range operands {
					if operands[k].set == groups[g] {
						operands[k].members = append(operands[k].members, e)
					}
				}
			}
		}
	} else {
		for _, e := range expressions {
			operands = append(operands, connectiveOperand{expr: e})
		}
	}
	if everyOperand(operands, cannotFail) {
		sort.SliceStable(operands, func(i, j int) bool { return operandCost(operands[i]) < operandCost(operands[j]) })
	}
	t, err := evalOperands(ec, isOr, operands, batch)
	if err != nil {
		return nil, true, err
	}
	return datumOf(t.array(ec)), true, nil
}

func everyOperand(operands []connectiveOperand, test func(logical.Expr) bool) bool {
	for _, o := range operands {
		for _, e := range o.expressions() {
			if !test(e) {
				return false
			}
		}
	}
	return true
}

func evalOperands(ec *EvalContext, isOr bool, operands []connectiveOperand, batch arrow.RecordBatch) (truth, error) {
	n := int(batch.NumRows())
	var acc truth
	for k, operand := range operands {
		if k > 0 {
			count := acc.undecidedCount(isOr)
			if count == 0 {
				break
			}
			rest := operands[k:]
			// Over the undecided rows only: always when an operand could fail on a row Spark
			// would not evaluate it on, else when that saves at least half the rows of work
			// that costs more than gathering the columns it reads.
			mustSelect := !everyOperand(rest, cannotFail)
			if count < n && (mustSelect || count*2 <= n) {
				if ordinals, ok := readColumns(rest); ok && (mustSelect || restCost(rest) > 2*len(ordinals)) {
					rows := acc.undecidedRows(isOr, count)
					sub, err := gatherBatch(ec, batch, rows, ordinals)
					if err != nil {
						return truth{}, err
					}
					restTruth, err := evalOperands(ec, isOr, rest, sub)
					sub.Release()
					if err != nil {
						return truth{}, err
					}
					acc.scatter(isOr, rows, restTruth)
					break
				}
			}
		}
		t, err := evalOperand(ec, isOr, operand, batch)
		if err != nil {
			return truth{}, err
		}
		if k == 0 {
			acc = t
		} else {
			acc.combine(isOr, t)
		}
	}
	return acc, nil
}

func evalOperand(ec *EvalContext, isOr bool, operand connectiveOperand, batch arrow.RecordBatch) (truth, error) {
	if operand.set != nil {
		subject, err := EvalArray(ec, operand.set.subject, batch)
		if err != nil {
			return truth{}, err
		}
		defer subject.Release()
		if out, ok := operand.set.contains(ec.Task.Allocator, subject); ok {
			defer out.Release()
			return truthOf(out.(*array.Boolean)), nil
		}
		// A layout the membership kernel lacks: the comparisons one by one.
		var acc truth
		for k, e := range operand.members {
			t, err := evalOperand(ec, isOr, connectiveOperand{expr: e}, batch)
			if err != nil {
				return truth{}, err
			}
			if k == 0 {
				acc = t
			} else {
				acc.combine(isOr, t)
			}
		}
		return acc, nil
	}
	a, err := EvalArray(ec, operand.expr, batch)
	if err != nil {
		return truth{}, err
	}
	defer a.Release()
	b, ok := a.(*array.Boolean)
	if !ok {
		return truth{}, errkind.Internal("%s gave %s, not booleans", operand.expr, a.DataType())
	}
	return truthOf(b), nil
}

// readColumns is the batch columns the operands read, or false when an operand has an
// expression whose reads are not visible here (it is then evaluated over the whole batch).
func readColumns(operands []connectiveOperand) (map[int]bool, bool) {
	ordinals := map[int]bool{}
	var walk func(e logical.Expr) bool
	walk = func(e logical.Expr) bool {
		switch x := e.(type) {
		case *logical.BoundRef:
			ordinals[x.Ordinal] = true
			return true
		case *logical.Literal:
			return true
		case *logical.Alias:
			return walk(x.Child)
		case *logical.Cast:
			return walk(x.Child)
		case *logical.Call:
			if nonDeterministicFunctions[x.Function] {
				return false
			}
			if _, ok := kernels[x.Function]; !ok {
				if _, lazy := lazyKernels[x.Function]; !lazy {
					return false
				}
			}
			for _, a := range x.Args {
				if !walk(a) {
					return false
				}
			}
			return true
		}
		return false
	}
	for _, o := range operands {
		for _, e := range o.expressions() {
			if !walk(e) {
				return nil, false
			}
		}
	}
	return ordinals, true
}

// gatherBatch is the rows of batch for the columns in ordinals; the other columns are cut to
// the same length unread (the operands never look at them).
func gatherBatch(ec *EvalContext, batch arrow.RecordBatch, rows []int32, ordinals map[int]bool) (arrow.RecordBatch, error) {
	k := int64(len(rows))
	columns := make([]arrow.Array, batch.NumCols())
	defer releaseArrayList(columns)
	var indices arrow.Array
	defer func() {
		if indices != nil {
			indices.Release()
		}
	}()
	for i, c := range batch.Columns() {
		if !ordinals[i] {
			columns[i] = array.NewSlice(c, 0, k)
			continue
		}
		if out, ok := gatherRows(ec.Task.Allocator, c, rows); ok {
			columns[i] = out
			continue
		}
		if indices == nil {
			builder := array.NewInt32Builder(ec.Task.Allocator)
			builder.AppendValues(rows, nil)
			indices = builder.NewArray()
			builder.Release()
		}
		out, err := compute.TakeArray(ec.ComputeContext(), c, indices)
		if err != nil {
			return nil, err
		}
		columns[i] = out
	}
	return array.NewRecordBatch(batch.Schema(), columns, k), nil
}

// cannotFail reports whether evaluating e can raise no error on any row, so evaluating it on
// more or fewer rows, or before another operand, cannot change the answer.
func cannotFail(e logical.Expr) bool {
	switch x := e.(type) {
	case *logical.BoundRef, *logical.Literal:
		return true
	case *logical.Alias:
		return cannotFail(x.Child)
	case *logical.Cast:
		return isConstant(x)
	case *logical.Call:
		if isConstant(x) {
			return true
		}
		switch x.Function {
		case "eq", "lt", "lte", "gt", "gte", "eq_null_safe", "and", "or", "not", "isnull", "isnotnull",
			"startswith", "endswith", "contains":
		case "like":
			if !literalLikePattern(x) {
				return false
			}
		default:
			return false
		}
		for _, a := range x.Args {
			if !cannotFail(a) {
				return false
			}
		}
		return true
	}
	return false
}

// literalLikePattern reports whether a like call has a literal pattern that compiles.
func literalLikePattern(call *logical.Call) bool {
	if len(call.Args) != 2 {
		return false
	}
	l, ok := call.Args[1].(*logical.Literal)
	if !ok || !l.Value.IsValid() {
		return false
	}
	s, ok := l.Value.(*scalar.String)
	if !ok {
		return false
	}
	_, err := compileLike(string(s.Value.Bytes()), '\\')
	return err == nil
}

// isConstant reports whether e reads no column and is deterministic (Spark folds such
// expressions while planning, raising any error there).
func isConstant(e logical.Expr) bool {
	switch x := e.(type) {
	case *logical.Literal:
		return true
	case *logical.Alias:
		return isConstant(x.Child)
	case *logical.Cast:
		return isConstant(x.Child)
	case *logical.Call:
		if nonDeterministicFunctions[x.Function] {
			return false
		}
		if _, ok := kernels[x.Function]; !ok {
			return false
		}
		for _, a := range x.Args {
			if !isConstant(a) {
				return false
			}
		}
		return true
	}
	return false
}

func restCost(operands []connectiveOperand) int {
	cost := 0
	for _, o := range operands {
		cost += operandCost(o)
	}
	return cost
}

// operandCost is a rough per-row cost, for ordering operands cheapest first.
func operandCost(o connectiveOperand) int {
	if o.set != nil {
		return 2 + expressionCost(o.set.subject)
	}
	return expressionCost(o.expr)
}

func expressionCost(e logical.Expr) int {
	switch x := e.(type) {
	case *logical.BoundRef, *logical.Literal:
		return 0
	case *logical.Alias:
		return expressionCost(x.Child)
	case *logical.Cast:
		if isConstant(x) {
			return 0
		}
		return 2 + expressionCost(x.Child)
	case *logical.Call:
		if isConstant(x) {
			return 0
		}
		cost := 0
		for _, a := range x.Args {
			cost += expressionCost(a)
		}
		switch x.Function {
		case "like", "ilike", "rlike", "regexp_like":
			return cost + 20
		case "contains", "startswith", "endswith":
			return cost + 8
		case "eq", "lt", "lte", "gt", "gte", "eq_null_safe":
			if id := x.Args[0].DataType().ID(); id == arrow.STRING || id == arrow.BINARY {
				return cost + 3
			}
			return cost + 1
		case "and", "or", "not", "isnull", "isnotnull":
			return cost + 1
		}
		return cost + 5
	}
	return 10
}
