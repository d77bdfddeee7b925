package arrowio

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
)

// csvOptions are PySpark's CSV reader and writer options.
type csvOptions struct {
	sep              byte
	quote            byte // 0: quoting disabled
	escape           byte
	comment          byte // 0: no comment lines
	header           bool
	inferSchema      bool
	nullValue        string
	emptyValue       string
	nanValue         string
	positiveInf      string
	negativeInf      string
	dateFormat       string
	timestampFormat  string
	mode             string // PERMISSIVE, DROPMALFORMED, FAILFAST
	ignoreLeadingWS  bool
	ignoreTrailingWS bool
	// writer options
	quoteAll    bool
	escapeQuote bool
}

func singleChar(opts Options, key, def string) (byte, error) {
	v := opts.Get(key, def)
	switch v {
	case "":
		return 0, nil
	case `\t`:
		return '\t', nil
	case `\u0000`:
		return 0, nil
	}
	if len(v) != 1 {
		return 0, errkind.NotImplemented("option %s must be a single character, got %q", key, v)
	}
	return v[0], nil
}

func parseCSVOptions(opts Options, forWrite bool) (*csvOptions, error) {
	o := &csvOptions{}
	var err error
	sepKey := "sep"
	if !opts.Has("sep") && opts.Has("delimiter") {
		sepKey = "delimiter"
	}
	if o.sep, err = singleChar(opts, sepKey, ","); err != nil {
		return nil, err
	}
	if o.sep == 0 {
		return nil, errkind.Invalid("the CSV delimiter must not be empty")
	}
	if o.quote, err = singleChar(opts, "quote", `"`); err != nil {
		return nil, err
	}
	if o.escape, err = singleChar(opts, "escape", `\`); err != nil {
		return nil, err
	}
	if o.comment, err = singleChar(opts, "comment", ""); err != nil {
		return nil, err
	}
	if o.header, err = opts.Bool("header", false); err != nil {
		return nil, err
	}
	if o.inferSchema, err = opts.Bool("inferSchema", false); err != nil {
		return nil, err
	}
	if o.ignoreLeadingWS, err = opts.Bool("ignoreLeadingWhiteSpace", forWrite); err != nil {
		return nil, err
	}
	if o.ignoreTrailingWS, err = opts.Bool("ignoreTrailingWhiteSpace", forWrite); err != nil {
		return nil, err
	}
	if o.quoteAll, err = opts.Bool("quoteAll", false); err != nil {
		return nil, err
	}
	if o.escapeQuote, err = opts.Bool("escapeQuotes", true); err != nil {
		return nil, err
	}
	o.nullValue = opts.Get("nullValue", "")
	o.emptyValue = opts.Get("emptyValue", "")
	o.nanValue = opts.Get("nanValue", "NaN")
	o.positiveInf = opts.Get("positiveInf", "Inf")
	o.negativeInf = opts.Get("negativeInf", "-Inf")
	o.dateFormat = opts.Get("dateFormat", "")
	o.timestampFormat = opts.Get("timestampFormat", "")
	o.mode = strings.ToUpper(opts.Get("mode", "PERMISSIVE"))
	switch o.mode {
	case "PERMISSIVE", "DROPMALFORMED", "FAILFAST":
	default:
		return nil, errkind.Invalid("CSV mode must be PERMISSIVE, DROPMALFORMED or FAILFAST, got %q", o.mode)
	}
	if enc := strings.ToLower(strings.ReplaceAll(opts.Get("encoding", opts.Get("charset", "utf-8")), "-", "")); enc != "utf8" {
		return nil, errkind.NotImplemented("CSV encoding %q; only UTF-8 is supported", enc)
	}
	return o, nil
}

// csvField is one parsed field: its text and whether it was quoted.
type csvField struct {
	value  string
	quoted bool
}

// csvTokenizer splits in-memory CSV text into records with Spark's (univocity's) rules: a
// field starting with the quote character runs to the closing quote, the escape character
// escapes a quote (and a doubled quote is a quote too), newlines inside quotes belong to the
// field, blank lines are skipped, \r\n and \r end lines like \n.
type csvTokenizer struct {
	o    *csvOptions
	data []byte
	pos  int
	buf  []byte
}

// next returns the next record's fields (valid until the next call) and the offset where the
// record started; ok is false at the end.
func (t *csvTokenizer) next(fields []csvField) ([]csvField, int, bool) {
	fields = fields[:0]
	data := t.data
	for {
		if t.pos >= len(data) {
			return fields, t.pos, false
		}
		c := data[t.pos]
		if c == '\n' || c == '\r' {
			t.pos++ // blank line
			continue
		}
		if t.o.comment != 0 && c == t.o.comment {
			for t.pos < len(data) && data[t.pos] != '\n' {
				t.pos++
			}
			continue
		}
		break
	}
	start := t.pos
	for {
		f, end := t.field()
		fields = append(fields, f)
		if end {
			return fields, start, true
		}
	}
}

// field reads one field and reports whether it ended the record.
func (t *csvTokenizer) field() (csvField, bool) {
	data, o := t.data, t.o
	t.buf = t.buf[:0]
	quoted := false
	if o.ignoreLeadingWS {
		for t.pos < len(data) && (data[t.pos] == ' ' || data[t.pos] == '\t') && data[t.pos] != o.sep {
			t.pos++
		}
	}
	if o.quote != 0 && t.pos < len(data) && data[t.pos] == o.quote {
		quoted = true
		t.pos++
		for t.pos < len(data) {
			c := data[t.pos]
			if c == o.escape && o.escape != o.quote && t.pos+1 < len(data) && (data[t.pos+1] == o.quote || data[t.pos+1] == o.escape) {
				t.buf = append(t.buf, data[t.pos+1])
				t.pos += 2
				continue
			}
			if c == o.quote {
				if t.pos+1 < len(data) && data[t.pos+1] == o.quote {
					t.buf = append(t.buf, o.quote)
					t.pos += 2
					continue
				}
				t.pos++
				break
			}
			t.buf = append(t.buf, c)
			t.pos++
		}
	}
	// Unquoted text (or text after a closing quote) runs to the separator or the end of line.
	for t.pos < len(data) {
		c := data[t.pos]
		if c == o.sep {
			t.pos++
			return csvField{value: t.text(quoted), quoted: quoted}, false
		}
		if c == '\n' || c == '\r' {
			t.pos++
			if c == '\r' && t.pos < len(data) && data[t.pos] == '\n' {
				t.pos++
			}
			return csvField{value: t.text(quoted), quoted: quoted}, true
		}
		t.buf = append(t.buf, c)
		t.pos++
	}
	return csvField{value: t.text(quoted), quoted: quoted}, true
}

func (t *csvTokenizer) text(quoted bool) string {
	b := t.buf
	if t.o.ignoreTrailingWS && !quoted {
		b = bytes.TrimRight(b, " \t")
	}
	return string(b)
}

// isNull applies nullValue: an unquoted empty field, or a field equal to nullValue, is null.
func (o *csvOptions) isNull(f csvField) bool {
	if f.value == "" && !f.quoted {
		return true
	}
	return f.value == o.nullValue && (o.nullValue != "" || !f.quoted)
}

// readFileBytes reads a whole file, gunzipping .gz files.
func readFileBytes(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errkind.NotFound("cannot read %s: %v", path, err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, errkind.Invalid("%s is not a gzip file: %v", path, err)
		}
		defer zr.Close()
		out, err := io.ReadAll(zr)
		if err != nil {
			return nil, errkind.Invalid("cannot gunzip %s: %v", path, err)
		}
		return out, nil
	}
	return data, nil
}

// readRange reads the records of a byte range: a record belongs to the range its first byte is
// in, so a range that starts mid-line skips to the next line and the last record may run past
// the range's end.
func readRange(path string, start, length int64) ([]byte, error) {
	if length < 0 || strings.HasSuffix(path, ".gz") {
		return readFileBytes(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, errkind.NotFound("cannot read %s: %v", path, err)
	}
	defer f.Close()
	readStart := start
	if start > 0 {
		readStart = start - 1 // to see whether the range starts at a line boundary
	}
	buf := make([]byte, start+length-readStart)
	n, err := f.ReadAt(buf, readStart)
	if err != nil && err != io.EOF {
		return nil, errkind.Invalid("cannot read %s: %v", path, err)
	}
	buf = buf[:n]
	// Complete the last line.
	if n > 0 && buf[n-1] != '\n' {
		chunk := make([]byte, 64<<10)
		off := readStart + int64(n)
		for {
			m, err := f.ReadAt(chunk, off)
			if i := bytes.IndexByte(chunk[:m], '\n'); i >= 0 {
				buf = append(buf, chunk[:i+1]...)
				break
			}
			buf = append(buf, chunk[:m]...)
			off += int64(m)
			if err != nil {
				break
			}
		}
	}
	if start > 0 {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			return nil, nil
		}
		buf = buf[i+1:]
	}
	return buf, nil
}

// discoverCSV settles the CSV schema: the user's, all strings, or inferred from every row
// with PySpark's rules (see inferCSVType).
func discoverCSV(ds *Dataset) error {
	o, err := parseCSVOptions(ds.Options, false)
	if err != nil {
		return err
	}
	if ds.DataSchema != nil {
		return nil
	}
	if len(ds.Files) == 0 {
		return errkind.Invalid("[UNABLE_TO_INFER_SCHEMA] Unable to infer schema for CSV: %s has no data files. It must be specified manually", strings.Join(ds.Paths, ", "))
	}
	var names []string
	var types []csvType
	var fields []csvField
	headerSeen := false
	for fi, f := range ds.Files {
		var data []byte
		var err error
		if !o.inferSchema && !strings.HasSuffix(f.Path, ".gz") {
			// Only the first record matters: its field count (and names, with a header).
			data, err = readRange(f.Path, 0, min(f.Size, 1<<20))
		} else {
			data, err = readFileBytes(f.Path)
		}
		if err != nil {
			return err
		}
		tok := &csvTokenizer{o: o, data: data}
		first := true
		for {
			var ok bool
			fields, _, ok = tok.next(fields)
			if !ok {
				break
			}
			if first {
				first = false
				if !headerSeen {
					headerSeen = true
					names = csvColumnNames(fields, o.header)
					types = make([]csvType, len(names))
				}
				if o.header {
					continue
				}
			}
			if !o.inferSchema {
				if fi == 0 {
					break // the first record sets the column count; the types are strings
				}
				continue
			}
			for i := range types {
				if i >= len(fields) || o.isNull(fields[i]) {
					continue
				}
				types[i] = mergeCSVTypes(types[i], inferCSVType(types[i], fields[i].value, o, ds.TimeZone))
			}
		}
		if !o.inferSchema && headerSeen {
			break
		}
	}
	schemaFields := make([]arrow.Field, len(names))
	for i, n := range names {
		schemaFields[i] = arrow.Field{Name: n, Type: types[i].arrowType(ds.TimeZone), Nullable: true}
	}
	ds.DataSchema = arrow.NewSchema(schemaFields, nil)
	return nil
}

// csvColumnNames names columns from a header (blank names become _c<i>, duplicates get their
// index appended, as Spark does) or _c0, _c1, ...
func csvColumnNames(fields []csvField, header bool) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		if header && f.value != "" {
			names[i] = f.value
		} else {
			names[i] = fmt.Sprintf("_c%d", i)
		}
	}
	if header {
		count := map[string]int{}
		for _, n := range names {
			count[strings.ToLower(n)]++
		}
		for i, n := range names {
			if count[strings.ToLower(n)] > 1 {
				names[i] = fmt.Sprintf("%s%d", n, i)
			}
		}
	}
	return names
}

// csvType is a step of Spark's CSV inference chain (CSVInferSchema.inferField): a value is
// tried as int, then bigint, double, date, timestamp, boolean, and is a string otherwise. A
// column's type starts at null and each value is tried from the column's current step on.
type csvType int

const (
	csvNull csvType = iota
	csvInt
	csvLong
	csvDouble
	csvDate
	csvTimestamp
	csvBoolean
	csvString
)

func (t csvType) arrowType(tz string) arrow.DataType {
	switch t {
	case csvInt:
		return arrow.PrimitiveTypes.Int32
	case csvLong:
		return arrow.PrimitiveTypes.Int64
	case csvDouble:
		return arrow.PrimitiveTypes.Float64
	case csvDate:
		return arrow.FixedWidthTypes.Date32
	case csvTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: tz}
	case csvBoolean:
		return arrow.FixedWidthTypes.Boolean
	}
	return arrow.BinaryTypes.String // a column of nulls only is a string column in Spark
}

func inferCSVType(from csvType, v string, o *csvOptions, tz string) csvType {
	for t := max(from, csvInt); t < csvString; t++ {
		if csvParses(t, v, o, tz) {
			return t
		}
	}
	return csvString
}

func csvParses(t csvType, v string, o *csvOptions, tz string) bool {
	switch t {
	case csvInt:
		_, err := strconv.ParseInt(v, 10, 32)
		return err == nil
	case csvLong:
		_, err := strconv.ParseInt(v, 10, 64)
		return err == nil
	case csvDouble:
		_, ok := parseJavaDouble(v, o)
		return ok
	case csvDate:
		_, ok := parseDate(v, o.dateFormat, true)
		return ok
	case csvTimestamp:
		_, ok := parseTimestamp(v, o.timestampFormat, tz)
		return ok
	case csvBoolean:
		return strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	}
	return true
}

// mergeCSVTypes is Spark's CSVInferSchema.compatibleType: numeric types widen, a date and a
// timestamp make a timestamp, anything else mixed is a string.
func mergeCSVTypes(a, b csvType) csvType {
	switch {
	case a == b:
		return a
	case a == csvNull:
		return b
	case b == csvNull:
		return a
	}
	if a > b {
		a, b = b, a
	}
	switch {
	case b <= csvDouble:
		return b
	case a == csvDate && b == csvTimestamp:
		return csvTimestamp
	}
	return csvString
}

// parseJavaDouble accepts what Java's Double.parseDouble does (surrounding spaces, a d/f
// suffix) plus the nanValue/positiveInf/negativeInf options.
func parseJavaDouble(v string, o *csvOptions) (float64, bool) {
	switch v {
	case o.nanValue, "NaN":
		return nan(), true
	case o.positiveInf, "Infinity", "+Infinity":
		return inf(1), true
	case o.negativeInf, "-Infinity":
		return inf(-1), true
	}
	s := strings.TrimSpace(v)
	if n := len(s); n > 1 && strings.ContainsRune("dDfF", rune(s[n-1])) {
		s = s[:n-1]
	}
	if s == "" || strings.ContainsAny(s, "_xXpPnNiI") { // Go accepts forms Java does not
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// csvSplitReader reads the records of one split.
type csvSplitReader struct {
	ds        *Dataset
	o         *csvOptions
	tok       *csvTokenizer
	mapper    *columnMapper
	columns   []int // DataSchema ordinals read
	mem       memory.Allocator
	batchSize int
	skipFirst bool
	done      bool
	path      string
	fields    []csvField
}

func newCSVSplitReader(ds *Dataset, split Split, mapper *columnMapper, mem memory.Allocator, batchSize int) (batchReader, error) {
	o, err := parseCSVOptions(ds.Options, false)
	if err != nil {
		return nil, err
	}
	f := ds.Files[split.File]
	data, err := readRange(f.Path, split.Start, split.Length)
	if err != nil {
		return nil, err
	}
	return &csvSplitReader{ds: ds, o: o, tok: &csvTokenizer{o: o, data: data}, mapper: mapper, columns: mapper.dataColumns(), mem: mem,
		batchSize: batchSize, skipFirst: o.header && split.Start == 0, path: f.Path}, nil
}

func (r *csvSplitReader) Next() (arrow.RecordBatch, error) {
	if r.done {
		return nil, io.EOF
	}
	values := make([][]csvField, len(r.columns))
	rows := 0
	for rows < r.batchSize {
		var ok bool
		r.fields, _, ok = r.tok.next(r.fields)
		if !ok {
			r.done = true
			break
		}
		if r.skipFirst {
			r.skipFirst = false
			continue
		}
		if len(r.fields) != r.ds.NumDataColumns() {
			switch r.o.mode {
			case "FAILFAST":
				return nil, errkind.Invalid("[MALFORMED_RECORD_IN_PARSING] malformed CSV record in %s: %d fields, the schema has %d columns (mode FAILFAST); use mode PERMISSIVE to read it with nulls", r.path, len(r.fields), r.ds.NumDataColumns())
			case "DROPMALFORMED":
				continue
			}
		}
		for i, c := range r.columns {
			if c < len(r.fields) {
				values[i] = append(values[i], r.fields[c])
			} else {
				values[i] = append(values[i], csvField{})
			}
		}
		rows++
	}
	if rows == 0 {
		return nil, io.EOF
	}
	arrays := make([]arrow.Array, len(r.columns))
	defer func() {
		for _, a := range arrays {
			if a != nil {
				a.Release()
			}
		}
	}()
	fields := make([]arrow.Field, len(r.columns))
	for i, c := range r.columns {
		f := r.ds.DataSchema.Field(c)
		fields[i] = f
		a, err := buildTextColumn(r.mem, f, values[i], r.o, r.ds.TimeZone, r.path)
		if err != nil {
			return nil, err
		}
		arrays[i] = a
	}
	b := newBatch(arrow.NewSchema(fields, nil), arrays, int64(rows))
	defer b.Release()
	return r.mapper.build(b, int64(rows))
}

func (r *csvSplitReader) Close() error { return nil }

var _ = utf8.RuneError
