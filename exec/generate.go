package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/physical"
)

// generate runs physical.Generate: for each input batch it evaluates the collection, repeats
// every input column with one take (row i once per element), and gathers the elements (and
// positions) with another; inline generators split the gathered struct elements into fields.
type generate struct {
	tc    *TaskContext
	node  *physical.Generate
	input Operator
}

func init() {
	RegisterBuilder(&physical.Generate{}, func(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
		node := n.(*physical.Generate)
		in, err := Build(tc, node.Input, partition)
		if err != nil {
			return nil, err
		}
		return &generate{tc: tc, node: node, input: in}, nil
	})
}

func (g *generate) Open(ctx context.Context) error { return g.input.Open(ctx) }
func (g *generate) Schema() *arrow.Schema          { return g.node.OutSchema }
func (g *generate) Close() error                   { return g.input.Close() }

// Next returns the next non-empty generated batch; the caller releases it.
func (g *generate) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		b, err := g.input.Next(ctx)
		if err != nil {
			return nil, err
		}
		out, err := g.expand(&EvalContext{Ctx: ctx, Task: g.tc}, b)
		b.Release()
		if err != nil {
			return nil, err
		}
		if out.NumRows() > 0 {
			return out, nil
		}
		out.Release()
	}
}

func (g *generate) expand(ec *EvalContext, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	collection, err := EvalArray(ec, g.node.Collection, b)
	if err != nil {
		return nil, err
	}
	defer collection.Release()
	l, ok := listOf(collection)
	if !ok {
		return nil, errkind.Internal("generator over %s", collection.DataType())
	}
	n := int(b.NumRows())
	var rows, elements []int64
	var positions []int32
	for i := 0; i < n; i++ {
		size := int32(0)
		if l.valid.get(i) {
			size = l.offsets[i+1] - l.offsets[i]
		}
		if size == 0 {
			if g.node.Outer {
				rows, elements, positions = append(rows, int64(i)), append(elements, -1), append(positions, -1)
			}
			continue
		}
		for k := int32(0); k < size; k++ {
			rows = append(rows, int64(i))
			elements = append(elements, int64(l.offsets[i]+k))
			positions = append(positions, k)
		}
	}
	columns := make([]arrow.Array, 0, g.node.OutSchema.NumFields())
	defer func() { releaseArrays(columns) }()
	for c := 0; c < int(b.NumCols()); c++ {
		col, err := gather(ec, b.Column(c), rows)
		if err != nil {
			return nil, err
		}
		columns = append(columns, col)
	}
	if g.node.Position {
		validity := newValidity(ec.Task.Allocator, len(positions))
		buf, out := newFixedBuffer[int32](ec.Task.Allocator, len(positions))
		for i, p := range positions {
			if p < 0 {
				validity.setNull(i)
				continue
			}
			out[i] = p
		}
		columns = append(columns, makeFixedArray(arrow.PrimitiveTypes.Int32, len(positions), buf, validity))
	}
	if g.node.Inline {
		// inline and stack: each struct element's fields are columns; a null element (or an
		// outer row without elements) gives nulls in every field.
		col, err := gather(ec, l.values, elements)
		if err != nil {
			return nil, err
		}
		defer col.Release()
		structs, ok := col.(*array.Struct)
		if !ok {
			return nil, errkind.Internal("inline generator over %s elements, not structs", col.DataType())
		}
		for f := 0; f < structs.NumField(); f++ {
			columns = append(columns, AndValidity(ec.Task.Allocator, structs.Field(f), structs))
		}
	} else if m, isMap := collection.(*array.Map); isMap {
		for _, child := range []arrow.Array{m.Keys(), m.Items()} {
			col, err := gather(ec, child, elements)
			if err != nil {
				return nil, err
			}
			columns = append(columns, col)
		}
	} else {
		col, err := gather(ec, l.values, elements)
		if err != nil {
			return nil, err
		}
		columns = append(columns, col)
	}
	return array.NewRecordBatch(g.node.OutSchema, columns, int64(len(rows))), nil
}
