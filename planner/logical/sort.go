package logical

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Sort orders its input. Global sorts order the whole result (partitions in order);
// sortWithinPartitions sorts each partition on its own.
type Sort struct {
	Input  Plan
	Order  []*SortOrder
	Global bool
	// Limit > 0 says only the first Limit rows are needed (a Limit above; set by the optimizer),
	// so each partition keeps its top Limit rows and one task merges them.
	Limit int64
}

func (s *Sort) Output() []*ColumnRef { return s.Input.Output() }
func (s *Sort) Children() []Plan     { return []Plan{s.Input} }
func (s *Sort) WithChildren(c []Plan) Plan {
	cp := *s
	cp.Input = c[0]
	return &cp
}
func (s *Sort) Describe() string {
	parts := make([]string, len(s.Order))
	for i, o := range s.Order {
		parts[i] = o.String()
	}
	kind := "true"
	if !s.Global {
		kind = "false"
	}
	out := "Sort [" + strings.Join(parts, ", ") + "], " + kind
	if s.Limit > 0 {
		out += " top " + itoa(s.Limit)
	}
	return out
}

// Tail keeps the last Count rows of its input (df.tail(n)).
type Tail struct {
	Input Plan
	Count int64
}

func (t *Tail) Output() []*ColumnRef { return t.Input.Output() }
func (t *Tail) Children() []Plan     { return []Plan{t.Input} }
func (t *Tail) WithChildren(c []Plan) Plan {
	cp := *t
	cp.Input = c[0]
	return &cp
}
func (t *Tail) Describe() string { return "Tail " + itoa(t.Count) }

// Orderable reports whether values of t can be sorted (Spark cannot order maps).
func Orderable(t arrow.DataType) bool {
	switch tt := t.(type) {
	case *arrow.MapType:
		return false
	case *arrow.StructType:
		for _, f := range tt.Fields() {
			if !Orderable(f.Type) {
				return false
			}
		}
	case *arrow.ListType:
		return Orderable(tt.Elem())
	}
	return true
}
