package exectest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/exec"
)

// Checker wraps an operator and reports every broken contract of exec.Operator as a test
// error: Next before Open, a batch and an error together, a batch whose schema differs from
// Schema() (names and types), columns of unequal length, arrays that do not validate
// (exec.ValidateBatch), NULLs in a column declared non-nullable, a second Close that fails.
// It passes batches through unchanged; the caller still owns and releases them.
type Checker struct {
	t      testing.TB
	input  exec.Operator
	opened bool
	eof    bool
	closed bool
	// Batches and Rows count what passed through.
	Batches int
	Rows    int64
}

// NewChecker wraps op.
func NewChecker(t testing.TB, op exec.Operator) *Checker { return &Checker{t: t, input: op} }

func (c *Checker) Schema() *arrow.Schema { return c.input.Schema() }

func (c *Checker) Open(ctx context.Context) error {
	if c.opened {
		c.t.Errorf("operator %T opened twice", c.input)
	}
	c.opened = true
	return c.input.Open(ctx)
}

func (c *Checker) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if !c.opened {
		c.t.Errorf("Next on %T before Open", c.input)
	}
	if c.eof {
		c.t.Errorf("Next on %T after it returned io.EOF", c.input)
	}
	b, err := c.input.Next(ctx)
	if err != nil {
		if b != nil {
			c.t.Errorf("%T returned a batch together with the error %v", c.input, err)
			b.Release()
		}
		if errors.Is(err, io.EOF) {
			c.eof = true
		}
		return nil, err
	}
	if b == nil {
		c.t.Errorf("%T returned neither a batch nor an error", c.input)
		return nil, fmt.Errorf("nil batch")
	}
	if err := CheckBatch(c.input.Schema(), b); err != nil {
		c.t.Errorf("%T: %v", c.input, err)
	}
	c.Batches++
	c.Rows += b.NumRows()
	return b, nil
}

// Close closes the wrapped operator twice: Close must be idempotent.
func (c *Checker) Close() error {
	err := c.input.Close()
	if again := c.input.Close(); again != nil {
		c.t.Errorf("second Close of %T failed: %v", c.input, again)
	}
	c.closed = true
	return err
}

// CheckBatch checks a batch against the schema its operator declares.
func CheckBatch(schema *arrow.Schema, b arrow.RecordBatch) error {
	if b.NumCols() != int64(schema.NumFields()) {
		return fmt.Errorf("batch has %d columns, Schema() has %d", b.NumCols(), schema.NumFields())
	}
	for i, f := range schema.Fields() {
		got := b.Schema().Field(i)
		if got.Name != f.Name {
			return fmt.Errorf("column %d is named %q in the batch but %q in Schema()", i, got.Name, f.Name)
		}
		if !arrow.TypeEqual(got.Type, f.Type) {
			return fmt.Errorf("column %d (%s) is %s in the batch's schema but %s in Schema()", i, f.Name, got.Type, f.Type)
		}
		if !f.Nullable && b.Column(i).NullN() > 0 {
			return fmt.Errorf("column %d (%s) is declared non-nullable but has %d NULLs", i, f.Name, b.Column(i).NullN())
		}
	}
	return exec.ValidateBatch(schema, b)
}
