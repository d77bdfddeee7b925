package logical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// SparkSQLTypeName renders a type as Spark's DataType.sql does, the form Spark prints inside
// expressions such as CAST(x AS BIGINT): upper-case names, struct fields as "name: TYPE".
func SparkSQLTypeName(t arrow.DataType) string {
	switch tt := t.(type) {
	case *arrow.ListType:
		return "ARRAY<" + SparkSQLTypeName(tt.Elem()) + ">"
	case *arrow.LargeListType:
		return "ARRAY<" + SparkSQLTypeName(tt.Elem()) + ">"
	case *arrow.FixedSizeListType:
		return "ARRAY<" + SparkSQLTypeName(tt.Elem()) + ">"
	case *arrow.MapType:
		return "MAP<" + SparkSQLTypeName(tt.KeyType()) + ", " + SparkSQLTypeName(tt.ItemType()) + ">"
	case *arrow.StructType:
		parts := make([]string, tt.NumFields())
		for i, f := range tt.Fields() {
			parts[i] = f.Name + ": " + SparkSQLTypeName(f.Type)
		}
		return "STRUCT<" + strings.Join(parts, ", ") + ">"
	case *arrow.DictionaryType:
		return SparkSQLTypeName(tt.ValueType)
	}
	return strings.ToUpper(SparkTypeName(t))
}

// SparkTypeName renders an Arrow type with Spark's SQL names, for column names and messages
// ("bigint", "decimal(10,2)", "array<string>"). Types Spark lacks keep Arrow's name.
func SparkTypeName(t arrow.DataType) string {
	switch tt := t.(type) {
	case nil:
		return "unresolved"
	case *arrow.NullType:
		return "void"
	case *arrow.BooleanType:
		return "boolean"
	case *arrow.Int8Type:
		return "tinyint"
	case *arrow.Int16Type:
		return "smallint"
	case *arrow.Int32Type:
		return "int"
	case *arrow.Int64Type:
		return "bigint"
	case *arrow.Float16Type:
		return "halffloat"
	case *arrow.Float32Type:
		return "float"
	case *arrow.Float64Type:
		return "double"
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return "string"
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		return "binary"
	case *arrow.Date32Type, *arrow.Date64Type:
		return "date"
	case *arrow.TimestampType:
		if tt.TimeZone == "" {
			return "timestamp_ntz"
		}
		return "timestamp"
	case *arrow.Decimal128Type:
		return fmt.Sprintf("decimal(%d,%d)", tt.Precision, tt.Scale)
	case *arrow.Decimal256Type:
		return fmt.Sprintf("decimal(%d,%d)", tt.Precision, tt.Scale)
	case *arrow.DurationType:
		return "interval day to second"
	case *arrow.ListType:
		return "array<" + SparkTypeName(tt.Elem()) + ">"
	case *arrow.LargeListType:
		return "array<" + SparkTypeName(tt.Elem()) + ">"
	case *arrow.FixedSizeListType:
		return "array<" + SparkTypeName(tt.Elem()) + ">"
	case *arrow.MapType:
		return "map<" + SparkTypeName(tt.KeyType()) + "," + SparkTypeName(tt.ItemType()) + ">"
	case *arrow.StructType:
		parts := make([]string, tt.NumFields())
		for i, f := range tt.Fields() {
			parts[i] = f.Name + ":" + SparkTypeName(f.Type)
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	case *arrow.DictionaryType:
		return SparkTypeName(tt.ValueType)
	}
	return strings.ToLower(t.String())
}
