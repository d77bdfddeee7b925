package arrowio

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
)

// jsonType is a node of Spark's JSON schema inference (JsonInferSchema): integers are bigint,
// other numbers double, objects structs with fields sorted by name, arrays of the merged
// element type; conflicting types become string and all-null columns string.
type jsonType struct {
	kind   string // null, boolean, long, double, string, array, struct
	elem   *jsonType
	fields map[string]*jsonType
}

func inferJSONValue(v any) *jsonType {
	switch x := v.(type) {
	case nil:
		return &jsonType{kind: "null"}
	case bool:
		return &jsonType{kind: "boolean"}
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") {
			if _, err := strconv.ParseInt(s, 10, 64); err == nil {
				return &jsonType{kind: "long"}
			}
		}
		return &jsonType{kind: "double"}
	case string:
		return &jsonType{kind: "string"}
	case []any:
		t := &jsonType{kind: "array", elem: &jsonType{kind: "null"}}
		for _, e := range x {
			t.elem = mergeJSONTypes(t.elem, inferJSONValue(e))
		}
		return t
	case map[string]any:
		t := &jsonType{kind: "struct", fields: map[string]*jsonType{}}
		for k, e := range x {
			t.fields[k] = inferJSONValue(e)
		}
		return t
	}
	return &jsonType{kind: "string"}
}

func mergeJSONTypes(a, b *jsonType) *jsonType {
	switch {
	case a.kind == "null":
		return b
	case b.kind == "null":
		return a
	case a.kind == b.kind:
		switch a.kind {
		case "array":
			return &jsonType{kind: "array", elem: mergeJSONTypes(a.elem, b.elem)}
		case "struct":
			out := &jsonType{kind: "struct", fields: map[string]*jsonType{}}
			for k, v := range a.fields {
				out.fields[k] = v
			}
			for k, v := range b.fields {
				if cur, ok := out.fields[k]; ok {
					out.fields[k] = mergeJSONTypes(cur, v)
				} else {
					out.fields[k] = v
				}
			}
			return out
		}
		return a
	case (a.kind == "long" && b.kind == "double") || (a.kind == "double" && b.kind == "long"):
		return &jsonType{kind: "double"}
	}
	return &jsonType{kind: "string"}
}

func (t *jsonType) arrowType() arrow.DataType {
	switch t.kind {
	case "boolean":
		return arrow.FixedWidthTypes.Boolean
	case "long":
		return arrow.PrimitiveTypes.Int64
	case "double":
		return arrow.PrimitiveTypes.Float64
	case "array":
		return arrow.ListOf(t.elem.arrowType())
	case "struct":
		return arrow.StructOf(t.sortedFields()...)
	}
	return arrow.BinaryTypes.String
}

func (t *jsonType) sortedFields() []arrow.Field {
	names := make([]string, 0, len(t.fields))
	for k := range t.fields {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]arrow.Field, len(names))
	for i, n := range names {
		out[i] = arrow.Field{Name: n, Type: t.fields[n].arrowType(), Nullable: true}
	}
	return out
}

func decodeJSONLine(line []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// jsonLines calls f for every non-blank line.
func jsonLines(data []byte, f func(line []byte) error) error {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if err := f(line); err != nil {
			return err
		}
	}
	return nil
}

func discoverJSON(ds *Dataset) error {
	if _, err := jsonMode(ds.Options); err != nil {
		return err
	}
	if ds.DataSchema != nil {
		return nil
	}
	if len(ds.Files) == 0 {
		return errkind.Invalid("[UNABLE_TO_INFER_SCHEMA] Unable to infer schema for JSON: %s has no data files. It must be specified manually", strings.Join(ds.Paths, ", "))
	}
	root := &jsonType{kind: "struct", fields: map[string]*jsonType{}}
	for _, f := range ds.Files {
		data, err := readFileBytes(f.Path)
		if err != nil {
			return err
		}
		err = jsonLines(data, func(line []byte) error {
			v, err := decodeJSONLine(line)
			if err != nil {
				return nil // a corrupt record: PERMISSIVE reads it as nulls
			}
			if obj, ok := v.(map[string]any); ok {
				root = mergeJSONTypes(root, inferJSONValue(obj))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	ds.DataSchema = arrow.NewSchema(root.sortedFields(), nil)
	return nil
}

func jsonMode(opts Options) (string, error) {
	mode := strings.ToUpper(opts.Get("mode", "PERMISSIVE"))
	switch mode {
	case "PERMISSIVE", "DROPMALFORMED", "FAILFAST":
	default:
		return "", errkind.Invalid("JSON mode must be PERMISSIVE, DROPMALFORMED or FAILFAST, got %q", mode)
	}
	if multi, _ := opts.Bool("multiLine", false); multi {
		return "", errkind.NotImplemented("multiLine JSON; Quiver reads JSON lines (one object per line)")
	}
	return mode, nil
}

type jsonSplitReader struct {
	ds        *Dataset
	lines     [][]byte
	mapper    *columnMapper
	columns   []int
	mem       memory.Allocator
	batchSize int
	mode      string
	path      string
}

func newJSONSplitReader(ds *Dataset, split Split, mapper *columnMapper, mem memory.Allocator, batchSize int) (batchReader, error) {
	mode, err := jsonMode(ds.Options)
	if err != nil {
		return nil, err
	}
	f := ds.Files[split.File]
	data, err := readRange(f.Path, split.Start, split.Length)
	if err != nil {
		return nil, err
	}
	r := &jsonSplitReader{ds: ds, mapper: mapper, columns: mapper.dataColumns(), mem: mem, batchSize: batchSize, mode: mode, path: f.Path}
	_ = jsonLines(data, func(line []byte) error { r.lines = append(r.lines, line); return nil })
	return r, nil
}

func (r *jsonSplitReader) Next() (arrow.RecordBatch, error) {
	if len(r.lines) == 0 {
		return nil, io.EOF
	}
	fields := make([]arrow.Field, len(r.columns))
	builders := make([]array.Builder, len(r.columns))
	for i, c := range r.columns {
		fields[i] = r.ds.DataSchema.Field(c)
		builders[i] = array.NewBuilder(r.mem, fields[i].Type)
		defer builders[i].Release()
	}
	rows := 0
	for len(r.lines) > 0 && rows < r.batchSize {
		line := r.lines[0]
		r.lines = r.lines[1:]
		v, err := decodeJSONLine(line)
		obj, isObject := v.(map[string]any)
		if err != nil || !isObject {
			switch r.mode {
			case "FAILFAST":
				return nil, errkind.Invalid("[MALFORMED_RECORD_IN_PARSING] malformed JSON record in %s: %.80q (mode FAILFAST)", r.path, line)
			case "DROPMALFORMED":
				continue
			}
			obj = nil
		}
		for i, f := range fields {
			val, ok := lookupJSONKey(obj, f.Name)
			if !ok {
				builders[i].AppendNull()
				continue
			}
			appendJSONValue(builders[i], f.Type, val, r.ds.TimeZone)
		}
		rows++
	}
	if rows == 0 {
		return nil, io.EOF
	}
	arrays := make([]arrow.Array, len(builders))
	for i, b := range builders {
		arrays[i] = b.NewArray()
		defer arrays[i].Release()
	}
	b := newBatch(arrow.NewSchema(fields, nil), arrays, int64(rows))
	defer b.Release()
	return r.mapper.build(b, int64(rows))
}

func (r *jsonSplitReader) Close() error { return nil }

func lookupJSONKey(obj map[string]any, name string) (any, bool) {
	if obj == nil {
		return nil, false
	}
	if v, ok := obj[name]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// appendJSONValue appends a decoded JSON value as type t; a value of another kind becomes its
// JSON text in a string column and null elsewhere (PERMISSIVE).
func appendJSONValue(b array.Builder, t arrow.DataType, v any, tz string) {
	if v == nil {
		b.AppendNull()
		return
	}
	switch bb := b.(type) {
	case *array.StringBuilder:
		if s, ok := v.(string); ok {
			bb.Append(s)
			return
		}
		if n, ok := v.(json.Number); ok {
			bb.Append(n.String())
			return
		}
		raw, _ := json.Marshal(v)
		bb.Append(string(raw))
	case *array.Int64Builder, *array.Int32Builder, *array.Int16Builder, *array.Int8Builder:
		n, ok := v.(json.Number)
		if !ok {
			b.AppendNull()
			return
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			b.AppendNull()
			return
		}
		switch x := bb.(type) {
		case *array.Int64Builder:
			x.Append(i)
		case *array.Int32Builder:
			if int64(int32(i)) != i {
				x.AppendNull()
			} else {
				x.Append(int32(i))
			}
		case *array.Int16Builder:
			if int64(int16(i)) != i {
				x.AppendNull()
			} else {
				x.Append(int16(i))
			}
		case *array.Int8Builder:
			if int64(int8(i)) != i {
				x.AppendNull()
			} else {
				x.Append(int8(i))
			}
		}
	case *array.Float64Builder, *array.Float32Builder:
		var f float64
		switch x := v.(type) {
		case json.Number:
			var err error
			if f, err = strconv.ParseFloat(x.String(), 64); err != nil {
				b.AppendNull()
				return
			}
		case string:
			switch x {
			case "NaN":
				f = nan()
			case "Infinity", "+Infinity", "+INF", "Inf":
				f = inf(1)
			case "-Infinity", "-INF", "-Inf":
				f = inf(-1)
			default:
				b.AppendNull()
				return
			}
		default:
			b.AppendNull()
			return
		}
		if x, ok := bb.(*array.Float64Builder); ok {
			x.Append(f)
		} else {
			bb.(*array.Float32Builder).Append(float32(f))
		}
	case *array.BooleanBuilder:
		if x, ok := v.(bool); ok {
			bb.Append(x)
		} else {
			bb.AppendNull()
		}
	case *array.Decimal128Builder:
		dt := t.(*arrow.Decimal128Type)
		var s string
		switch x := v.(type) {
		case json.Number:
			s = x.String()
		case string:
			s = x
		default:
			bb.AppendNull()
			return
		}
		n, err := decimal128.FromString(s, dt.Precision, dt.Scale)
		if err != nil {
			bb.AppendNull()
			return
		}
		bb.Append(n)
	case *array.Date32Builder:
		s, ok := v.(string)
		d, ok2 := parseDate(s, "", false)
		if !ok || !ok2 {
			bb.AppendNull()
			return
		}
		bb.Append(d)
	case *array.TimestampBuilder:
		s, ok := v.(string)
		tt := t.(*arrow.TimestampType)
		zone := tz
		if tt.TimeZone == "" {
			zone = "UTC"
		}
		us, ok2 := parseTimestamp(s, "", zone)
		if !ok || !ok2 {
			bb.AppendNull()
			return
		}
		bb.Append(arrow.Timestamp(convertMicros(us, tt.Unit)))
	case *array.ListBuilder:
		items, ok := v.([]any)
		if !ok {
			bb.AppendNull()
			return
		}
		bb.Append(true)
		et := t.(*arrow.ListType).Elem()
		for _, e := range items {
			appendJSONValue(bb.ValueBuilder(), et, e, tz)
		}
	case *array.StructBuilder:
		obj, ok := v.(map[string]any)
		if !ok {
			bb.AppendNull()
			return
		}
		bb.Append(true)
		st := t.(*arrow.StructType)
		for i, f := range st.Fields() {
			fv, ok := lookupJSONKey(obj, f.Name)
			if !ok {
				bb.FieldBuilder(i).AppendNull()
				continue
			}
			appendJSONValue(bb.FieldBuilder(i), f.Type, fv, tz)
		}
	case *array.MapBuilder:
		obj, ok := v.(map[string]any)
		if !ok {
			bb.AppendNull()
			return
		}
		bb.Append(true)
		mt := t.(*arrow.MapType)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			appendJSONValue(bb.KeyBuilder(), mt.KeyType(), k, tz)
			appendJSONValue(bb.ItemBuilder(), mt.ItemType(), obj[k], tz)
		}
	default:
		b.AppendNull()
	}
}
