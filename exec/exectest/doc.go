// Package exectest is the test harness for exec's operators and expression kernels, in the
// style of cockroach's colexec test utilities. It owns test inputs as plain Go values, a test
// source node, an invariants-checking operator wrapper and runners; it must only be imported
// by tests.
//
// Every run of a test
//   - uses its own memory.CheckedAllocator and fails if any byte is left allocated at the end;
//   - happens at each source batch size of BatchSizes (1, 2, 7 and exec.DefaultBatchSize), so
//     batch boundaries fall everywhere;
//   - happens again with NULLs injected at random (seeded by the test name) into the nullable
//     input columns, with the expected result recomputed from the injected input;
//   - happens again with sliced inputs: every array has a non-zero offset;
//   - writes garbage beneath every NULL, so an operator that reads values under the validity
//     bitmap gives a wrong result;
//   - wraps the operator in a Checker: schema as declared, no NULLs in non-nullable columns,
//     arrays that pass exec.ValidateBatch, Close idempotent, no Next before Open;
//   - also builds partition 0 and closes it without opening it.
//
// Expected results come from a reference written in plain Go loops in the test, never from
// the code under test.
//
// # Testing an operator
//
// Register your physical node's builder as usual (exec.RegisterBuilder), then describe inputs,
// the plan over exectest.Source leaves, and a reference:
//
//	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
//	exectest.RunPlan(t, exectest.PlanTest{
//		Inputs: []exectest.Table{exectest.NewTable(schema, exectest.Rows{{1}, {2}, {3}})},
//		Plan: func(s []*exectest.Source) physical.Node {
//			return &physical.Filter{Input: s[0], Predicate: isNotNull(exectest.Col(schema, 0))}
//		},
//		Expected: func(in []exectest.Table) (exectest.Rows, error) {
//			var out exectest.Rows
//			for _, r := range in[0].AllRows() {
//				if r[0] != nil {
//					out = append(out, r)
//				}
//			}
//			return out, nil
//		},
//		Ordered: true,
//	})
//
// A Table has partitions (Table{Schema, []Rows{p0, p1}}); Source partition i replays Rows i.
// Expected may return an error instead of rows: the run must then fail with it (errors.Is
// against an errkind sentinel such as errkind.ErrArithmetic, or a substring of the message).
// Setup adjusts the task context per run (tc.ANSI, frames in tc.Store for scans).
//
// # Testing an expression or kernel
//
// RunExpr projects one bound expression (logical.Call with the analyzer's canonical function
// name, BoundRef arguments from Col) and compares each row with a per-row reference:
//
//	exectest.RunExpr(t, exectest.ExprTest{
//		Input: exectest.NewTable(schema, rows),
//		Expr:  &logical.Call{Function: "add", Args: []logical.Expr{exectest.Col(schema, 0), exectest.Col(schema, 1)},
//			Type: arrow.PrimitiveTypes.Int64, Null: true},
//		Want: func(r []any) (any, error) {
//			if r[0] == nil || r[1] == nil {
//				return nil, nil
//			}
//			return r[0].(int64) + r[1].(int64), nil // plus an overflow check returning errkind.ErrArithmetic
//		},
//	})
//
// Values are plain Go values (see Rows for the mapping per Arrow type): integers come back as
// int64 or uint64, floats as float64, NaN equals NaN. Inputs may be written with plain Go ints;
// the runners normalize them (Normalize) before Expected or Want sees them.
//
// Outside the runners, Collect runs a physical plan, Drain runs any operator, NewChecker wraps
// one, MakeBatch and BatchRows convert between rows and batches.
package exectest
