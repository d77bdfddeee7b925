package arrowio

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// javaDouble renders a double as Java's Double.toString does (Spark's CSV/JSON output and CAST
// to string): 1.0, 0.001, 1.0E7, 1.0E-4, NaN, Infinity.
func javaDouble(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, bits)
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	exp = strings.TrimPrefix(exp, "+")
	if strings.HasPrefix(exp, "-") {
		exp = "-" + strings.TrimLeft(exp[1:], "0")
	} else {
		exp = strings.TrimLeft(exp, "0")
	}
	return mant + "E" + exp
}

func timestampTime(arr *array.Timestamp, i int, tz string) time.Time {
	tt := arr.DataType().(*arrow.TimestampType)
	t := arr.Value(i).ToTime(tt.Unit)
	if tt.TimeZone == "" {
		return t.UTC()
	}
	return t.In(loadLocation(tz))
}

// formatPartitionText renders a partition value as CAST(value AS STRING) does.
func formatPartitionText(arr arrow.Array, i int, tz string) string {
	if arr.IsNull(i) {
		return ""
	}
	switch a := arr.(type) {
	case *array.Timestamp:
		t := timestampTime(a, i, tz)
		s := t.Format("2006-01-02 15:04:05.999999")
		return s
	case *array.Float64:
		return javaDouble(a.Value(i), 64)
	case *array.Float32:
		return javaDouble(float64(a.Value(i)), 32)
	}
	return arr.ValueStr(i)
}

func csvWritable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.LIST, arrow.LARGE_LIST, arrow.STRUCT, arrow.MAP, arrow.FIXED_SIZE_LIST, arrow.DICTIONARY:
		return false
	}
	return true
}

// csvWriter writes CSV with Spark's writer defaults: no header, values with the separator, a
// quote or a line break quoted, quotes inside escaped with the escape character, nulls as the
// nullValue (empty), empty strings as "", leading and trailing spaces trimmed.
type csvWriter struct {
	w       *bufio.Writer
	o       *csvOptions
	schema  *arrow.Schema
	tz      string
	header  bool
	tsFmt   string
	dateFmt string
	buf     []byte
}

func newCSVWriter(w io.Writer, sc *arrow.Schema, opts Options, tz string) (formatWriter, error) {
	o, err := parseCSVOptions(opts, true)
	if err != nil {
		return nil, err
	}
	cw := &csvWriter{w: bufio.NewWriterSize(w, 1<<16), o: o, schema: sc, tz: tz, header: o.header,
		tsFmt: opts.Get("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"), dateFmt: opts.Get("dateFormat", "yyyy-MM-dd")}
	return cw, nil
}

func (c *csvWriter) writeField(s string, isNull bool) {
	o := c.o
	if isNull {
		c.w.WriteString(o.nullValue)
		return
	}
	if o.ignoreLeadingWS {
		s = strings.TrimLeft(s, " \t")
	}
	if o.ignoreTrailingWS {
		s = strings.TrimRight(s, " \t")
	}
	if s == "" {
		ev := o.emptyValue
		if ev == "" && o.quote != 0 {
			c.w.WriteByte(o.quote)
			c.w.WriteByte(o.quote)
			return
		}
		c.w.WriteString(ev)
		return
	}
	needs := o.quoteAll || strings.IndexByte(s, o.sep) >= 0 || strings.ContainsAny(s, "\n\r") ||
		(o.quote != 0 && strings.IndexByte(s, o.quote) >= 0) || (o.comment != 0 && s[0] == o.comment)
	if !needs || o.quote == 0 {
		c.w.WriteString(s)
		return
	}
	c.w.WriteByte(o.quote)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == o.quote && o.escapeQuote {
			c.w.WriteByte(o.escape)
		} else if ch == o.escape && o.escape != o.quote && i+1 < len(s) && s[i+1] == o.quote {
			c.w.WriteByte(o.escape)
		}
		c.w.WriteByte(ch)
	}
	c.w.WriteByte(o.quote)
}

func (c *csvWriter) Write(b arrow.RecordBatch) error {
	if c.header {
		c.header = false
		for i, f := range c.schema.Fields() {
			if i > 0 {
				c.w.WriteByte(c.o.sep)
			}
			c.writeField(f.Name, false)
		}
		c.w.WriteByte('\n')
	}
	cols := b.Columns()
	for r := 0; r < int(b.NumRows()); r++ {
		for i, col := range cols {
			if i > 0 {
				c.w.WriteByte(c.o.sep)
			}
			if col.IsNull(r) {
				c.writeField("", true)
				continue
			}
			c.writeField(c.text(col, r), false)
		}
		if _, err := c.w.WriteString("\n"); err != nil {
			return err
		}
	}
	return nil
}

func (c *csvWriter) text(col arrow.Array, r int) string {
	switch a := col.(type) {
	case *array.String:
		return a.Value(r)
	case *array.LargeString:
		return a.Value(r)
	case *array.Float64:
		return javaDouble(a.Value(r), 64)
	case *array.Float32:
		return javaDouble(float64(a.Value(r)), 32)
	case *array.Date32:
		return a.Value(r).ToTime().Format(javaLayout(c.dateFmt))
	case *array.Timestamp:
		layout := javaLayout(c.tsFmt)
		if a.DataType().(*arrow.TimestampType).TimeZone == "" {
			layout = strings.TrimSuffix(layout, "Z07:00")
		}
		return timestampTime(a, r, c.tz).Format(layout)
	case *array.Binary:
		return string(a.Value(r))
	}
	return col.ValueStr(r)
}

func (c *csvWriter) Close() error {
	if c.header && c.o.header {
		// A file with no rows still gets its header.
		c.header = false
		for i, f := range c.schema.Fields() {
			if i > 0 {
				c.w.WriteByte(c.o.sep)
			}
			c.writeField(f.Name, false)
		}
		c.w.WriteByte('\n')
	}
	return c.w.Flush()
}

// jsonWriter writes JSON lines as Spark does: one object per row, null fields left out,
// dates yyyy-MM-dd, timestamps yyyy-MM-dd'T'HH:mm:ss.SSSXXX, binary as base64.
type jsonWriter struct {
	w          *bufio.Writer
	schema     *arrow.Schema
	tz         string
	ignoreNull bool
	tsFmt      string
	dateFmt    string
}

func newJSONWriter(w io.Writer, sc *arrow.Schema, opts Options, tz string) (formatWriter, error) {
	ignore, err := opts.Bool("ignoreNullFields", true)
	if err != nil {
		return nil, err
	}
	return &jsonWriter{w: bufio.NewWriterSize(w, 1<<16), schema: sc, tz: tz, ignoreNull: ignore,
		tsFmt: opts.Get("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"), dateFmt: opts.Get("dateFormat", "yyyy-MM-dd")}, nil
}

func (j *jsonWriter) Write(b arrow.RecordBatch) error {
	cols := b.Columns()
	for r := 0; r < int(b.NumRows()); r++ {
		j.w.WriteByte('{')
		first := true
		for i, col := range cols {
			if col.IsNull(r) && j.ignoreNull {
				continue
			}
			if !first {
				j.w.WriteByte(',')
			}
			first = false
			writeJSONString(j.w, j.schema.Field(i).Name)
			j.w.WriteByte(':')
			j.value(col, r)
		}
		if _, err := j.w.WriteString("}\n"); err != nil {
			return err
		}
	}
	return nil
}

func writeJSONString(w *bufio.Writer, s string) {
	raw, _ := json.Marshal(s)
	w.Write(raw)
}

func (j *jsonWriter) value(col arrow.Array, r int) {
	w := j.w
	if col.IsNull(r) {
		w.WriteString("null")
		return
	}
	switch a := col.(type) {
	case *array.String:
		writeJSONString(w, a.Value(r))
	case *array.LargeString:
		writeJSONString(w, a.Value(r))
	case *array.Boolean:
		w.WriteString(strconv.FormatBool(a.Value(r)))
	case *array.Float64:
		f := a.Value(r)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			writeJSONString(w, javaDouble(f, 64))
		} else {
			w.WriteString(javaDouble(f, 64))
		}
	case *array.Float32:
		f := float64(a.Value(r))
		if math.IsNaN(f) || math.IsInf(f, 0) {
			writeJSONString(w, javaDouble(f, 32))
		} else {
			w.WriteString(javaDouble(f, 32))
		}
	case *array.Date32:
		writeJSONString(w, a.Value(r).ToTime().Format(javaLayout(j.dateFmt)))
	case *array.Timestamp:
		layout := javaLayout(j.tsFmt)
		if a.DataType().(*arrow.TimestampType).TimeZone == "" {
			layout = strings.TrimSuffix(layout, "Z07:00")
		}
		writeJSONString(w, timestampTime(a, r, j.tz).Format(layout))
	case *array.Binary:
		writeJSONString(w, base64.StdEncoding.EncodeToString(a.Value(r)))
	case *array.LargeBinary:
		writeJSONString(w, base64.StdEncoding.EncodeToString(a.Value(r)))
	case *array.List:
		start, end := a.ValueOffsets(r)
		w.WriteByte('[')
		for k := start; k < end; k++ {
			if k > start {
				w.WriteByte(',')
			}
			j.value(a.ListValues(), int(k))
		}
		w.WriteByte(']')
	case *array.Map:
		start, end := a.ValueOffsets(r)
		keys, items := a.Keys(), a.Items()
		w.WriteByte('{')
		for k := start; k < end; k++ {
			if k > start {
				w.WriteByte(',')
			}
			writeJSONString(w, keys.ValueStr(int(k)))
			w.WriteByte(':')
			j.value(items, int(k))
		}
		w.WriteByte('}')
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		w.WriteByte('{')
		first := true
		for f := 0; f < a.NumField(); f++ {
			if a.Field(f).IsNull(r) && j.ignoreNull {
				continue
			}
			if !first {
				w.WriteByte(',')
			}
			first = false
			writeJSONString(w, st.Field(f).Name)
			w.WriteByte(':')
			j.value(a.Field(f), r)
		}
		w.WriteByte('}')
	default:
		s := col.ValueStr(r)
		if arrow.IsInteger(col.DataType().ID()) || arrow.IsDecimal(col.DataType().ID()) {
			w.WriteString(s)
		} else {
			writeJSONString(w, s)
		}
	}
}

func (j *jsonWriter) Close() error { return j.w.Flush() }
