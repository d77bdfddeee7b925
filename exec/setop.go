package exec

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

func init() {
	RegisterBuilder(&physical.Union{}, func(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
		node := n.(*physical.Union)
		in, p := node.InputPartition(partition)
		op, err := Build(tc, in, p)
		if err != nil {
			return nil, err
		}
		return &renameSchema{input: op, schema: node.OutSchema}, nil
	})
	RegisterBuilder(&physical.Coalesce{}, func(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
		node := n.(*physical.Coalesce)
		lo, hi := node.InputRange(partition)
		return &partitionRange{tc: tc, input: node.Input, next: lo, end: hi}, nil
	})
	RegisterBuilder(&physical.SetOperation{}, buildSetOperation)
	RegisterBuilder(&physical.Sample{}, func(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
		node := n.(*physical.Sample)
		in, err := Build(tc, node.Input, partition)
		if err != nil {
			return nil, err
		}
		seed := uint64(node.Seed)
		return &sampleOperator{tc: tc, node: node, input: in, rng: rand.New(rand.NewPCG(seed, uint64(partition)+0x9e3779b97f4a7c15))}, nil
	})
}

// renameSchema passes batches through under another schema with the same types (a union's
// output takes the first input's names and the widest nullability).
type renameSchema struct {
	input  Operator
	schema *arrow.Schema
}

func (r *renameSchema) Open(ctx context.Context) error { return r.input.Open(ctx) }
func (r *renameSchema) Schema() *arrow.Schema          { return r.schema }
func (r *renameSchema) Close() error                   { return r.input.Close() }
func (r *renameSchema) Next(ctx context.Context) (arrow.RecordBatch, error) {
	b, err := r.input.Next(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Release()
	return array.NewRecordBatch(r.schema, b.Columns(), b.NumRows()), nil
}

// partitionRange reads input partitions [next, end) one after another (coalesce(n)).
type partitionRange struct {
	tc        *TaskContext
	input     physical.Node
	next, end int
	current   Operator
}

func (p *partitionRange) Open(context.Context) error { return nil }
func (p *partitionRange) Schema() *arrow.Schema      { return p.input.Schema() }
func (p *partitionRange) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		if p.current == nil {
			if p.next >= p.end {
				return nil, io.EOF
			}
			op, err := Build(p.tc, p.input, p.next)
			if err != nil {
				return nil, err
			}
			p.next++
			if err := op.Open(ctx); err != nil {
				op.Close()
				return nil, err
			}
			p.current = op
		}
		b, err := p.current.Next(ctx)
		if errors.Is(err, io.EOF) {
			err = p.current.Close()
			p.current = nil
			if err != nil {
				return nil, err
			}
			continue
		}
		return b, err
	}
}
func (p *partitionRange) Close() error {
	if p.current != nil {
		err := p.current.Close()
		p.current = nil
		return err
	}
	return nil
}

// setOperation computes INTERSECT/EXCEPT [ALL] of one partition: it counts each distinct row
// of the right side (rows encoded with KeyEncoder: null equals null, NaN equals NaN), then
// streams the left side and keeps rows by their counts and by how often the same left row was
// seen before.
//
// The two count maps are accounted in the memory pool. When they no longer fit, the operator
// spills (setop_spill.go): both maps go to disk as (row key, count) pairs split by a hash of the
// key into setOperationFanout parts, the rest of both inputs follows them into the same parts,
// and each part is then finished on its own with its own, smaller maps.
type setOperation struct {
	tc          *TaskContext
	node        *physical.SetOperation
	left, right Operator
	res         *MemoryReservation
	rightCounts map[string]int64
	// leftSeen counts the left rows seen so far (distinct and ALL bookkeeping).
	leftSeen map[string]int64
	ready    bool
	encoder  KeyEncoder
	// spill is set once the maps overflowed the memory pool.
	spill *setOperationSpill
}

func buildSetOperation(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	node := n.(*physical.SetOperation)
	l, err := Build(tc, node.Left, partition)
	if err != nil {
		return nil, err
	}
	r, err := Build(tc, node.Right, partition)
	if err != nil {
		l.Close()
		return nil, err
	}
	return &setOperation{tc: tc, node: node, left: l, right: r}, nil
}

func (s *setOperation) Open(ctx context.Context) error {
	s.res = s.tc.MemoryPool().NewReservation("SetOperation")
	if err := s.right.Open(ctx); err != nil {
		return err
	}
	return s.left.Open(ctx)
}
func (s *setOperation) Schema() *arrow.Schema { return s.node.Schema() }

// mapEntryBytes is the accounted size of one map entry besides its key.
const mapEntryBytes = 48

func (s *setOperation) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if !s.ready {
		s.rightCounts, s.leftSeen = map[string]int64{}, map[string]int64{}
		var enc KeyEncoder
		for {
			b, err := s.right.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			buf, offs := enc.Encode(s.tc.Allocator, b.Columns(), int(b.NumRows()))
			var grown int64
			for i := 0; i < int(b.NumRows()); i++ {
				key := buf[offs[i]:offs[i+1]]
				if _, ok := s.rightCounts[string(key)]; !ok {
					grown += int64(len(key) + mapEntryBytes)
				}
				s.rightCounts[string(key)]++
			}
			b.Release()
			if !s.res.TryGrow(grown) {
				s.ready = true
				if err := s.startSpill(ctx, true); err != nil {
					return nil, err
				}
				return s.spill.next(ctx, s)
			}
		}
		s.ready = true
	}
	if s.spill != nil {
		return s.spill.next(ctx, s)
	}
	for {
		b, err := s.left.Next(ctx)
		if err != nil {
			return nil, err
		}
		out, grown, err := s.filterLeft(ctx, b, s.rightCounts, s.leftSeen)
		b.Release()
		if err != nil {
			if out != nil {
				out.Release()
			}
			return nil, err
		}
		if !s.res.TryGrow(grown) {
			if err := s.startSpill(ctx, false); err != nil {
				if out != nil {
					out.Release()
				}
				return nil, err
			}
			if out != nil {
				return out, nil
			}
			return s.spill.next(ctx, s)
		}
		if out != nil {
			return out, nil
		}
	}
}

// filterLeft keeps the rows of one left batch that the set operation emits, counting them in
// leftSeen; it returns nil when no row is kept, and the bytes the new leftSeen entries take.
func (s *setOperation) filterLeft(ctx context.Context, b arrow.RecordBatch, rightCounts, leftSeen map[string]int64) (arrow.RecordBatch, int64, error) {
	buf, offs := s.encoder.Encode(s.tc.Allocator, b.Columns(), int(b.NumRows()))
	var keep []int32
	var grown int64
	for i := 0; i < int(b.NumRows()); i++ {
		key := string(buf[offs[i]:offs[i+1]])
		seen := leftSeen[key]
		if seen == 0 {
			grown += int64(len(key) + mapEntryBytes)
		}
		leftSeen[key] = seen + 1
		right := rightCounts[key]
		var emit bool
		switch {
		case s.node.Kind == logical.Intersect && !s.node.All:
			emit = seen == 0 && right > 0
		case s.node.Kind == logical.Intersect:
			emit = seen < right
		case !s.node.All:
			emit = seen == 0 && right == 0
		default:
			emit = seen >= right
		}
		if emit {
			keep = append(keep, int32(i))
		}
	}
	if len(keep) == 0 {
		return nil, grown, nil
	}
	idx := int32Indices(s.tc, keep)
	defer idx.Release()
	out, err := takeRecordRows(ctx, s.tc, b, idx)
	return out, grown, err
}

func (s *setOperation) Close() error {
	if s.res != nil {
		s.res.Free()
	}
	s.rightCounts, s.leftSeen = nil, nil
	if s.spill != nil {
		s.spill.close()
		s.spill = nil
	}
	err := s.left.Close()
	if e := s.right.Close(); err == nil {
		err = e
	}
	return err
}

// sampleOperator keeps rows whose uniform draw falls in [lower, upper) (Bernoulli), or repeats
// each row Poisson(upper-lower) times (with replacement). The generator is seeded by the seed
// and the partition, so a plan samples the same rows every time it runs.
type sampleOperator struct {
	tc    *TaskContext
	node  *physical.Sample
	input Operator
	rng   *rand.Rand
}

func (s *sampleOperator) Open(ctx context.Context) error { return s.input.Open(ctx) }
func (s *sampleOperator) Schema() *arrow.Schema          { return s.input.Schema() }
func (s *sampleOperator) Close() error                   { return s.input.Close() }

func (s *sampleOperator) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		b, err := s.input.Next(ctx)
		if err != nil {
			return nil, err
		}
		n := int(b.NumRows())
		keep := make([]int32, 0, n)
		if s.node.WithReplacement {
			mean := s.node.UpperBound - s.node.LowerBound
			for i := 0; i < n; i++ {
				for k := poisson(s.rng, mean); k > 0; k-- {
					keep = append(keep, int32(i))
				}
			}
		} else {
			for i := 0; i < n; i++ {
				u := s.rng.Float64()
				if u >= s.node.LowerBound && u < s.node.UpperBound {
					keep = append(keep, int32(i))
				}
			}
		}
		if len(keep) == 0 {
			b.Release()
			continue
		}
		idx := int32Indices(s.tc, keep)
		out, err := takeRecordRows(ctx, s.tc, b, idx)
		idx.Release()
		b.Release()
		return out, err
	}
}

// poisson draws from Poisson(mean) by Knuth's method (means here are small fractions).
func poisson(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		v := int(math.Round(rng.NormFloat64()*math.Sqrt(mean) + mean))
		return max(v, 0)
	}
	l := math.Exp(-mean)
	k, p := 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
