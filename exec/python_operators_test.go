package exec_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	quiverexec "github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
	"github.com/quiverdata/quiver/udf"
)

// The Python operators through the exectest harness (batch sizes 1, 2, 7 and the default, NULL
// injection, sliced inputs, a checked allocator per run) with real `python -m quiver.worker`
// processes from the repository's virtualenv. Expected values are computed here in Go.

func pythonPool(t *testing.T) (*udf.Pool, string) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(file))
	py := filepath.Join(root, ".venv", "bin", "python")
	if _, err := os.Stat(py); err != nil {
		t.Skip("no .venv; run make setup")
	}
	pool, err := udf.NewPool(udf.PoolConfig{Python: py, Size: 2, PythonPath: filepath.Join(root, "python")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool, py
}

func pythonFunction(t *testing.T, py, name, source string, evalType logical.PythonEvalType, returnType arrow.DataType) *logical.PythonFunction {
	out, err := exec.Command(py, "-c", "import cloudpickle, sys\nsys.stdout.buffer.write(cloudpickle.dumps("+source+"))").Output()
	if err != nil {
		t.Fatalf("pickling %s: %v", source, err)
	}
	return &logical.PythonFunction{Name: name, EvalType: evalType, Command: out, ReturnType: returnType}
}

func withPool(pool *udf.Pool) func(t *testing.T, tc *quiverexec.TaskContext, inputs []exectest.Table) {
	return func(t *testing.T, tc *quiverexec.TaskContext, inputs []exectest.Table) {
		tc.Extensions[quiverexec.PythonExtension] = &quiverexec.PythonSettings{Pool: pool}
	}
}

// pythonInput: id (never null), k (a small key) and v, over partitions.
func pythonInput(partitions int) exectest.Table {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	table := exectest.Table{Schema: schema, Partitions: make([]exectest.Rows, partitions)}
	for i := 0; i < 90; i++ {
		p := i % partitions
		table.Partitions[p] = append(table.Partitions[p], []any{int64(i), int64(i % 4), int64(i*7%23 - 11)})
	}
	return table
}

func ref(schema *arrow.Schema, name string) *logical.BoundRef {
	i := schema.FieldIndices(name)[0]
	f := schema.Field(i)
	return &logical.BoundRef{Ordinal: i, ColumnName: name, Type: f.Type, Null: f.Nullable}
}

func appendField(schema *arrow.Schema, name string, t arrow.DataType) *arrow.Schema {
	return arrow.NewSchema(append(append([]arrow.Field(nil), schema.Fields()...), arrow.Field{Name: name, Type: t, Nullable: true}), nil)
}

func TestPythonEvalScalarForms(t *testing.T) {
	pool, py := pythonPool(t)
	input := pythonInput(2)
	// v*3 as each scalar form computes it: pandas sees a nullable integer column as float64 with
	// NaN; the row forms see None.
	cases := []struct {
		name     string
		function *logical.PythonFunction
	}{
		{"pandas", pythonFunction(t, py, "triple", "lambda v: v * 3", logical.PythonScalarPandas, arrow.PrimitiveTypes.Float64)},
		{"row_pickled", pythonFunction(t, py, "triple", "lambda v: None if v is None else float(v * 3)", logical.PythonRowPickled, arrow.PrimitiveTypes.Float64)},
		{"row_arrow", pythonFunction(t, py, "triple", "lambda v: None if v is None else float(v * 3)", logical.PythonRowArrow, arrow.PrimitiveTypes.Float64)},
	}
	for _, c := range cases {
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   c.name,
			Inputs: []exectest.Table{input},
			Setup:  withPool(pool),
			Plan: func(s []*exectest.Source) physical.Node {
				call := &logical.PythonUDF{Function: c.function, Args: []logical.Expr{ref(s[0].Schema(), "v")}}
				return &physical.PythonEval{Input: s[0], Calls: []*logical.PythonUDF{call}, OutSchema: appendField(s[0].Schema(), "r", arrow.PrimitiveTypes.Float64)}
			},
			Expected: func(in []exectest.Table) (exectest.Rows, error) {
				var out exectest.Rows
				for _, row := range in[0].AllRows() {
					var r any
					if row[2] != nil {
						r = float64(row[2].(int64) * 3)
					}
					out = append(out, append(append([]any{}, row...), r))
				}
				return out, nil
			},
		})
	}
}

func TestPythonEvalChainAndSeveralCalls(t *testing.T) {
	pool, py := pythonPool(t)
	double := pythonFunction(t, py, "double", "lambda v: v.fillna(0) * 2", logical.PythonScalarPandas, arrow.PrimitiveTypes.Float64)
	half := pythonFunction(t, py, "half", "lambda v: v + 0.5", logical.PythonScalarPandas, arrow.PrimitiveTypes.Float64)
	sum := pythonFunction(t, py, "sum2", "lambda a, b: a.fillna(-1) + b.fillna(-1)", logical.PythonScalarPandas, arrow.PrimitiveTypes.Float64)
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs: []exectest.Table{pythonInput(3)},
		Setup:  withPool(pool),
		Plan: func(s []*exectest.Source) physical.Node {
			v, k := ref(s[0].Schema(), "v"), ref(s[0].Schema(), "k")
			chained := &logical.PythonUDF{Function: half, Args: []logical.Expr{&logical.PythonUDF{Function: double, Args: []logical.Expr{v}}}}
			both := &logical.PythonUDF{Function: sum, Args: []logical.Expr{k, v}}
			schema := appendField(appendField(s[0].Schema(), "chained", arrow.PrimitiveTypes.Float64), "both", arrow.PrimitiveTypes.Float64)
			return &physical.PythonEval{Input: s[0], Calls: []*logical.PythonUDF{chained, both}, OutSchema: schema}
		},
		Expected: func(in []exectest.Table) (exectest.Rows, error) {
			orZero := func(x any, zero float64) float64 {
				if x == nil {
					return zero
				}
				return float64(x.(int64))
			}
			var out exectest.Rows
			for _, row := range in[0].AllRows() {
				out = append(out, append(append([]any{}, row...), orZero(row[2], 0)*2+0.5, orZero(row[1], -1)+orZero(row[2], -1)))
			}
			return out, nil
		},
	})
}

// groupSums maps each k (nil included) to the sum of its non-null v, as pandas' Series.sum.
func groupSums(rows exectest.Rows) map[any]float64 {
	sums := map[any]float64{}
	for _, row := range rows {
		s := sums[row[1]]
		if row[2] != nil {
			s += float64(row[2].(int64))
		}
		sums[row[1]] = s
	}
	return sums
}

func TestGroupedPythonAggregateAndWindow(t *testing.T) {
	pool, py := pythonPool(t)
	total := pythonFunction(t, py, "total", "lambda v: float(v.sum())", logical.PythonGroupedAggPandas, arrow.PrimitiveTypes.Float64)
	for _, variant := range []struct{ window, sorted bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		window, sorted := variant.window, variant.sorted
		name := "aggregate"
		if window {
			name = "window"
		}
		if sorted {
			name += "/sorted"
		}
		exectest.RunPlan(t, exectest.PlanTest{
			Name: name,
			// One partition: grouped operators expect their input clustered by key.
			Inputs: []exectest.Table{pythonInput(1)},
			Setup:  withPool(pool),
			Plan: func(s []*exectest.Source) physical.Node {
				call := &logical.PythonUDF{Function: total, Args: []logical.Expr{ref(s[0].Schema(), "v")}}
				schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
					{Name: "total", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
				if window {
					schema = appendField(s[0].Schema(), "total", arrow.PrimitiveTypes.Float64)
				}
				return &physical.GroupedPython{Input: groupedInput(s[0], sorted), Grouping: []logical.Expr{ref(s[0].Schema(), "k")},
					Calls: []*logical.PythonUDF{call}, Window: window, Sorted: sorted, OutSchema: schema}
			},
			Expected: func(in []exectest.Table) (exectest.Rows, error) {
				rows := in[0].AllRows()
				sums := groupSums(rows)
				var out exectest.Rows
				if window {
					for _, row := range rows {
						out = append(out, append(append([]any{}, row...), sums[row[1]]))
					}
					return out, nil
				}
				for k, s := range sums {
					out = append(out, []any{k, s})
				}
				return out, nil
			},
		})
	}
}

func TestGroupedPythonApplyInPandas(t *testing.T) {
	pool, py := pythonPool(t)
	// Each group's rows with v replaced by v minus the group's mean of v (NaN -> null stays null).
	subtract := pythonFunction(t, py, "subtract_mean", "lambda pdf: pdf.assign(v=pdf.v - pdf.v.mean())", logical.PythonGroupedMapPandas, nil)
	for _, sorted := range []bool{false, true} {
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   map[bool]string{false: "gathered", true: "sorted"}[sorted],
			Inputs: []exectest.Table{pythonInput(1)},
			Setup:  withPool(pool),
			Plan: func(s []*exectest.Source) physical.Node {
				schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
					{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
				subtract.ReturnType = arrow.StructOf(schema.Fields()...)
				return &physical.GroupedPython{Input: groupedInput(s[0], sorted), Grouping: []logical.Expr{ref(s[0].Schema(), "k")}, Function: subtract,
					Sorted: sorted, OutSchema: schema}
			},
			Expected: func(in []exectest.Table) (exectest.Rows, error) {
				rows := in[0].AllRows()
				sums, counts := map[any]float64{}, map[any]float64{}
				for _, row := range rows {
					if row[2] != nil {
						sums[row[1]] += float64(row[2].(int64))
						counts[row[1]]++
					}
				}
				var out exectest.Rows
				for _, row := range rows {
					var v any
					if row[2] != nil {
						v = float64(row[2].(int64)) - sums[row[1]]/counts[row[1]]
					}
					out = append(out, []any{row[0], row[1], v})
				}
				return out, nil
			},
		})
	}
}

// groupedInput is the source, ordered by k when the operator streams sorted groups.
func groupedInput(source *exectest.Source, sorted bool) physical.Node {
	if !sorted {
		return source
	}
	return &physical.Sort{Input: source, Order: []*logical.SortOrder{{Child: ref(source.Schema(), "k"), Direction: logical.Ascending, Nulls: logical.NullsFirst}}}
}

func TestCoGroupedPythonApplyInPandas(t *testing.T) {
	pool, py := pythonPool(t)
	// One row per key of either side: the key, both sides' row counts and the left side's sum of v.
	summary := pythonFunction(t, py, "cogroup_summary",
		`lambda key, l, r: __import__("pandas").DataFrame({"k": [key[0]], "nl": [len(l)], "nr": [len(r)], "s": [float(l.v.sum())]})`,
		logical.PythonCoGroupedMapPandas, nil)
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "nl", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "nr", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
	summary.ReturnType = arrow.StructOf(schema.Fields()...)
	// The right side has keys 0..5 (the left 0..3), so some keys have rows on one side only.
	right := pythonInput(1)
	for i, row := range right.Partitions[0] {
		row[1] = int64(i % 6)
	}
	for _, sorted := range []bool{false, true} {
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   map[bool]string{false: "gathered", true: "sorted"}[sorted],
			Inputs: []exectest.Table{pythonInput(1), right},
			Setup:  withPool(pool),
			Plan: func(s []*exectest.Source) physical.Node {
				return &physical.CoGroupedPython{Left: groupedInput(s[0], sorted), Right: groupedInput(s[1], sorted),
					LeftGrouping: []logical.Expr{ref(s[0].Schema(), "k")}, RightGrouping: []logical.Expr{ref(s[1].Schema(), "k")},
					Function: summary, Sorted: sorted, OutSchema: schema}
			},
			Expected: func(in []exectest.Table) (exectest.Rows, error) {
				type entry struct {
					nl, nr int64
					sum    float64
				}
				groups := map[any]*entry{}
				at := func(k any) *entry {
					if groups[k] == nil {
						groups[k] = &entry{}
					}
					return groups[k]
				}
				for _, row := range in[0].AllRows() {
					e := at(row[1])
					e.nl++
					if row[2] != nil {
						e.sum += float64(row[2].(int64))
					}
				}
				for _, row := range in[1].AllRows() {
					at(row[1]).nr++
				}
				var out exectest.Rows
				for k, e := range groups {
					out = append(out, []any{k, e.nl, e.nr, e.sum})
				}
				return out, nil
			},
		})
	}
}
