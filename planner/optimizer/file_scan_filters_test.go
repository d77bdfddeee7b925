package optimizer

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/planner/logical"
)

type fileSourceStub struct{ schema *arrow.Schema }

func (f fileSourceStub) Schema() *arrow.Schema { return f.schema }
func (f fileSourceStub) Describe() string      { return "files" }

func TestPushFiltersIntoFileScans(t *testing.T) {
	src := fileSourceStub{arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.BinaryTypes.String}}, nil)}
	scan := logical.NewScan(src, &logical.IDGenerator{})
	a, s := scan.Attributes[0], scan.Attributes[1]
	boolean := arrow.FixedWidthTypes.Boolean
	gt := &logical.Call{Function: "gt", Args: []logical.Expr{a, logical.NewLiteral(scalar.NewInt64Scalar(5))}, Type: boolean}
	upper := &logical.Call{Function: "eq", Args: []logical.Expr{&logical.Call{Function: "upper", Args: []logical.Expr{s}, Type: arrow.BinaryTypes.String}, logical.NewLiteral(scalar.NewStringScalar("X"))}, Type: boolean}
	isNull := &logical.Call{Function: "isnull", Args: []logical.Expr{s}, Type: boolean}
	cond := &logical.Call{Function: "and", Args: []logical.Expr{&logical.Call{Function: "and", Args: []logical.Expr{gt, upper}, Type: boolean}, isNull}, Type: boolean}
	plan := &logical.Filter{Input: scan, Condition: cond}
	out, changed, err := pushFiltersIntoFileScans{}.Apply(plan)
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	f := out.(*logical.Filter)
	if f.Condition != cond {
		t.Fatal("the Filter must stay")
	}
	got := f.Input.(*logical.Scan).Filters
	if len(got) != 2 || got[0] != gt || got[1] != isNull {
		t.Fatalf("scan filters %v: want the comparison and the null test, not upper(s) = 'X'", got)
	}
	if _, changed, _ := (pushFiltersIntoFileScans{}).Apply(out); changed {
		t.Fatal("the rule must reach a fixpoint")
	}
	stored := &logical.Filter{Input: logical.NewScan(&logical.StoredDataFrame{ID: "x", ArrowSchema: src.schema}, &logical.IDGenerator{}), Condition: gt}
	if _, changed, _ := (pushFiltersIntoFileScans{}).Apply(stored); changed {
		t.Fatal("stored DataFrames have no statistics to check")
	}
}
