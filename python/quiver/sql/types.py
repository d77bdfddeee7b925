"""Spark SQL data types, mirroring pyspark.sql.types, each mapped to an Arrow type.

Quiver's engine works on Arrow types; these classes exist so PySpark code that names Spark types
(schemas, casts, UDF return types) runs unchanged. Arrow types Spark lacks (unsigned integers,
nanosecond timestamps, large strings, dictionaries) pass through untouched as ArrowType.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import re
from typing import Any, Iterator

import pyarrow as pa


class DataType:
    """Base class of Spark data types."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(str(self))

    @classmethod
    def typeName(cls) -> str:
        return cls.__name__[:-4].lower()

    def simpleString(self) -> str:
        return self.typeName()

    def jsonValue(self) -> Any:
        return self.typeName()

    def json(self) -> str:
        return json.dumps(self.jsonValue(), separators=(",", ":"), sort_keys=True)

    def treeTypeName(self) -> str:
        """The name printSchema shows (Scala's DataType.typeName)."""
        return self.typeName()

    def needConversion(self) -> bool:
        return False

    def toInternal(self, obj: Any) -> Any:
        return obj

    def fromInternal(self, obj: Any) -> Any:
        return obj

    def to_arrow(self) -> pa.DataType:
        raise NotImplementedError(f"{type(self).__name__} has no Arrow mapping")

    @classmethod
    def fromDDL(cls, ddl: str) -> "DataType":
        return _parse_datatype_string(ddl)


class DataTypeSingleton(type):
    """Metaclass kept for import compatibility with pyspark.sql.types."""


class NullType(DataType):
    @classmethod
    def typeName(cls) -> str:
        return "void"

    def to_arrow(self) -> pa.DataType:
        return pa.null()


class AtomicType(DataType):
    pass


class NumericType(AtomicType):
    pass


class IntegralType(NumericType):
    pass


class FractionalType(NumericType):
    pass


class StringType(AtomicType):
    def __init__(self, collation: str = "UTF8_BINARY"):
        self.collation = collation

    def to_arrow(self) -> pa.DataType:
        return pa.string()

    def __repr__(self) -> str:
        return "StringType()" if self.collation == "UTF8_BINARY" else f"StringType('{self.collation}')"


class CharType(AtomicType):
    def __init__(self, length: int = 1):
        self.length = length

    def simpleString(self) -> str:
        return f"char({self.length})"

    jsonValue = simpleString
    treeTypeName = simpleString

    def __repr__(self) -> str:
        return f"CharType({self.length})"

    def to_arrow(self) -> pa.DataType:
        return pa.string()


class VarcharType(AtomicType):
    def __init__(self, length: int = 65535):
        self.length = length

    def simpleString(self) -> str:
        return f"varchar({self.length})"

    jsonValue = simpleString
    treeTypeName = simpleString

    def __repr__(self) -> str:
        return f"VarcharType({self.length})"

    def to_arrow(self) -> pa.DataType:
        return pa.string()


class BinaryType(AtomicType):
    def to_arrow(self) -> pa.DataType:
        return pa.binary()


class BooleanType(AtomicType):
    def to_arrow(self) -> pa.DataType:
        return pa.bool_()


class DateType(AtomicType):
    def to_arrow(self) -> pa.DataType:
        return pa.date32()


class TimestampType(AtomicType):
    """Timestamp with local time zone semantics; stored as UTC microseconds."""

    def to_arrow(self) -> pa.DataType:
        return pa.timestamp("us", tz="UTC")


class TimestampNTZType(AtomicType):
    @classmethod
    def typeName(cls) -> str:
        return "timestamp_ntz"

    def to_arrow(self) -> pa.DataType:
        return pa.timestamp("us")


class TimeType(AtomicType):
    def __init__(self, precision: int = 6):
        self.precision = precision

    def simpleString(self) -> str:
        return f"time({self.precision})"

    jsonValue = simpleString
    treeTypeName = simpleString

    def __repr__(self) -> str:
        return f"TimeType({self.precision})"

    def to_arrow(self) -> pa.DataType:
        return pa.time64("us") if self.precision > 3 else pa.time32("ms")


class DecimalType(FractionalType):
    def __init__(self, precision: int = 10, scale: int = 0):
        self.precision = precision
        self.scale = scale
        self.hasPrecisionInfo = True

    def simpleString(self) -> str:
        return f"decimal({self.precision},{self.scale})"

    jsonValue = simpleString
    treeTypeName = simpleString

    def __repr__(self) -> str:
        return f"DecimalType({self.precision},{self.scale})"

    def to_arrow(self) -> pa.DataType:
        if self.precision > 38:
            return pa.decimal256(self.precision, self.scale)
        return pa.decimal128(self.precision, self.scale)


class DoubleType(FractionalType):
    def to_arrow(self) -> pa.DataType:
        return pa.float64()


class FloatType(FractionalType):
    def to_arrow(self) -> pa.DataType:
        return pa.float32()


class ByteType(IntegralType):
    def simpleString(self) -> str:
        return "tinyint"

    def to_arrow(self) -> pa.DataType:
        return pa.int8()


class ShortType(IntegralType):
    def simpleString(self) -> str:
        return "smallint"

    def to_arrow(self) -> pa.DataType:
        return pa.int16()


class IntegerType(IntegralType):
    def simpleString(self) -> str:
        return "int"

    def to_arrow(self) -> pa.DataType:
        return pa.int32()


class LongType(IntegralType):
    def simpleString(self) -> str:
        return "bigint"

    def to_arrow(self) -> pa.DataType:
        return pa.int64()


class AnsiIntervalType(AtomicType):
    pass


class DayTimeIntervalType(AnsiIntervalType):
    DAY, HOUR, MINUTE, SECOND = 0, 1, 2, 3
    _fields = {DAY: "day", HOUR: "hour", MINUTE: "minute", SECOND: "second"}

    def __init__(self, startField: int | None = None, endField: int | None = None):
        if startField is None and endField is None:
            startField, endField = self.DAY, self.SECOND
        elif endField is None:
            endField = startField
        self.startField = startField
        self.endField = endField

    def _str_repr(self) -> str:
        start, end = self._fields[self.startField], self._fields[self.endField]
        return f"interval {start}" if start == end else f"interval {start} to {end}"

    simpleString = _str_repr
    jsonValue = _str_repr
    treeTypeName = _str_repr

    def __repr__(self) -> str:
        return f"DayTimeIntervalType({self.startField}, {self.endField})"

    def to_arrow(self) -> pa.DataType:
        return pa.duration("us")


class YearMonthIntervalType(AnsiIntervalType):
    YEAR, MONTH = 0, 1
    _fields = {YEAR: "year", MONTH: "month"}

    def __init__(self, startField: int | None = None, endField: int | None = None):
        if startField is None and endField is None:
            startField, endField = self.YEAR, self.MONTH
        elif endField is None:
            endField = startField
        self.startField = startField
        self.endField = endField

    def _str_repr(self) -> str:
        start, end = self._fields[self.startField], self._fields[self.endField]
        return f"interval {start}" if start == end else f"interval {start} to {end}"

    simpleString = _str_repr
    jsonValue = _str_repr
    treeTypeName = _str_repr

    def __repr__(self) -> str:
        return f"YearMonthIntervalType({self.startField}, {self.endField})"

    def to_arrow(self) -> pa.DataType:
        return pa.month_day_nano_interval()


class CalendarIntervalType(DataType):
    @classmethod
    def typeName(cls) -> str:
        return "interval"

    def to_arrow(self) -> pa.DataType:
        return pa.month_day_nano_interval()


class VariantType(AtomicType):
    def to_arrow(self) -> pa.DataType:
        raise NotImplementedError("VariantType is not supported by Quiver yet")


class ArrayType(DataType):
    def __init__(self, elementType: DataType, containsNull: bool = True):
        if not isinstance(elementType, DataType):
            raise TypeError(f"elementType {elementType!r} should be an instance of DataType")
        self.elementType = elementType
        self.containsNull = containsNull

    def simpleString(self) -> str:
        return f"array<{self.elementType.simpleString()}>"

    def __repr__(self) -> str:
        return f"ArrayType({self.elementType!r}, {self.containsNull})"

    def jsonValue(self) -> Any:
        return {"type": self.typeName(), "elementType": self.elementType.jsonValue(), "containsNull": self.containsNull}

    @classmethod
    def fromJson(cls, value: dict) -> "ArrayType":
        return ArrayType(_parse_datatype_json_value(value["elementType"]), value["containsNull"])

    def to_arrow(self) -> pa.DataType:
        return pa.list_(pa.field("element", self.elementType.to_arrow(), nullable=self.containsNull))


class MapType(DataType):
    def __init__(self, keyType: DataType, valueType: DataType, valueContainsNull: bool = True):
        if not isinstance(keyType, DataType) or not isinstance(valueType, DataType):
            raise TypeError(f"keyType {keyType!r} and valueType {valueType!r} should be instances of DataType")
        self.keyType = keyType
        self.valueType = valueType
        self.valueContainsNull = valueContainsNull

    def simpleString(self) -> str:
        return f"map<{self.keyType.simpleString()},{self.valueType.simpleString()}>"

    def __repr__(self) -> str:
        return f"MapType({self.keyType!r}, {self.valueType!r}, {self.valueContainsNull})"

    def jsonValue(self) -> Any:
        return {"type": self.typeName(), "keyType": self.keyType.jsonValue(),
                "valueType": self.valueType.jsonValue(), "valueContainsNull": self.valueContainsNull}

    @classmethod
    def fromJson(cls, value: dict) -> "MapType":
        return MapType(_parse_datatype_json_value(value["keyType"]), _parse_datatype_json_value(value["valueType"]),
                       value["valueContainsNull"])

    def to_arrow(self) -> pa.DataType:
        return pa.map_(self.keyType.to_arrow(), pa.field("value", self.valueType.to_arrow(), nullable=self.valueContainsNull))


class StructField(DataType):
    def __init__(self, name: str, dataType: DataType, nullable: bool = True, metadata: dict | None = None):
        if not isinstance(name, str):
            raise TypeError(f"field name {name!r} should be a string")
        if not isinstance(dataType, DataType):
            raise TypeError(f"dataType {dataType!r} of field {name!r} should be an instance of DataType")
        self.name = name
        self.dataType = dataType
        self.nullable = nullable
        self.metadata = metadata or {}

    def simpleString(self) -> str:
        return f"{self.name}:{self.dataType.simpleString()}"

    def __repr__(self) -> str:
        return f"StructField('{self.name}', {self.dataType!r}, {self.nullable})"

    def jsonValue(self) -> Any:
        return {"name": self.name, "type": self.dataType.jsonValue(), "nullable": self.nullable,
                "metadata": self.metadata}

    @classmethod
    def fromJson(cls, value: dict) -> "StructField":
        return StructField(value["name"], _parse_datatype_json_value(value["type"]), value.get("nullable", True),
                           value.get("metadata"))

    def typeName(self) -> str:  # type: ignore[override]
        raise TypeError("StructField does not have typeName. Use typeName on its type explicitly instead.")

    def to_arrow_field(self) -> pa.Field:
        return pa.field(self.name, self.dataType.to_arrow(), nullable=self.nullable)


class StructType(DataType):
    def __init__(self, fields: list[StructField] | None = None):
        self.fields = list(fields or [])
        for f in self.fields:
            if not isinstance(f, StructField):
                raise TypeError(f"StructType takes StructFields, got {type(f).__name__} {f!r}")

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def fieldNames(self) -> list[str]:
        return self.names

    def add(self, field: str | StructField, data_type: DataType | str | None = None,
            nullable: bool = True, metadata: dict | None = None) -> "StructType":
        if isinstance(field, StructField):
            self.fields.append(field)
        else:
            if data_type is None:
                raise ValueError("StructType.add needs a data type when given a field name")
            if isinstance(data_type, str):
                data_type = _parse_datatype_string(data_type)
            self.fields.append(StructField(field, data_type, nullable, metadata))
        return self

    def __iter__(self) -> Iterator[StructField]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __getitem__(self, key: int | str | slice) -> Any:
        if isinstance(key, str):
            for f in self.fields:
                if f.name == key:
                    return f
            raise KeyError(f"No StructField named {key}")
        if isinstance(key, int):
            return self.fields[key]
        if isinstance(key, slice):
            return StructType(self.fields[key])
        raise TypeError("StructType keys should be strings, integers or slices")

    def simpleString(self) -> str:
        return "struct<" + ",".join(f.simpleString() for f in self.fields) + ">"

    def __repr__(self) -> str:
        return "StructType([" + ", ".join(repr(f) for f in self.fields) + "])"

    def jsonValue(self) -> Any:
        return {"type": self.typeName(), "fields": [f.jsonValue() for f in self.fields]}

    @classmethod
    def fromJson(cls, value: dict) -> "StructType":
        return StructType([StructField.fromJson(f) for f in value["fields"]])

    def to_arrow(self) -> pa.DataType:
        return pa.struct([f.to_arrow_field() for f in self.fields])

    def to_arrow_schema(self) -> pa.Schema:
        return pa.schema([f.to_arrow_field() for f in self.fields])

    def treeString(self, maxDepth: int | None = None) -> str:
        lines = ["root"]
        depth_limit = maxDepth if maxDepth is not None and maxDepth > 0 else 1 << 30
        for f in self.fields:
            _tree_lines(f.name, f.dataType, f"(nullable = {str(f.nullable).lower()})", 1, depth_limit, lines)
        return "\n".join(lines) + "\n"


class ArrowType(DataType):
    """An Arrow type with no Spark equivalent (uint32, timestamp[ns], large_string, dictionary, ...)."""

    def __init__(self, arrow_type: pa.DataType):
        self.arrow_type = arrow_type

    @classmethod
    def typeName(cls) -> str:
        return "arrow"

    def simpleString(self) -> str:
        return str(self.arrow_type)

    treeTypeName = simpleString

    def __repr__(self) -> str:
        return f"ArrowType({self.arrow_type})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArrowType) and self.arrow_type.equals(other.arrow_type)

    def __hash__(self) -> int:
        return hash(str(self.arrow_type))

    def jsonValue(self) -> Any:
        # The Arrow type travels as a one-field IPC schema so every Arrow type survives fromJson.
        schema = pa.schema([pa.field("t", self.arrow_type)])
        return {"type": "arrow", "arrowType": str(self.arrow_type),
                "arrowSchema": base64.b64encode(schema.serialize().to_pybytes()).decode()}

    @classmethod
    def fromJson(cls, value: dict) -> "ArrowType":
        schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(value["arrowSchema"])))
        return ArrowType(schema.field(0).type)

    def to_arrow(self) -> pa.DataType:
        return self.arrow_type


def _tree_lines(name: str, dt: DataType, suffix: str, depth: int, depth_limit: int, lines: list[str]) -> None:
    """One line of Spark's StructType.treeString, then the children (Scala's buildFormattedString)."""
    if depth > depth_limit:
        return
    prefix = " |   " * (depth - 1) + " |-- "
    lines.append(f"{prefix}{name}: {dt.treeTypeName()}" + (f" {suffix}" if suffix else ""))
    if isinstance(dt, StructType):
        for f in dt.fields:
            _tree_lines(f.name, f.dataType, f"(nullable = {str(f.nullable).lower()})", depth + 1, depth_limit, lines)
    elif isinstance(dt, ArrayType):
        _tree_lines("element", dt.elementType, f"(containsNull = {str(dt.containsNull).lower()})", depth + 1,
                    depth_limit, lines)
    elif isinstance(dt, MapType):
        _tree_lines("key", dt.keyType, "", depth + 1, depth_limit, lines)
        _tree_lines("value", dt.valueType, f"(valueContainsNull = {str(dt.valueContainsNull).lower()})", depth + 1,
                    depth_limit, lines)


def from_arrow_type(t: pa.DataType) -> DataType:
    """Maps an Arrow type to the Spark type a PySpark user sees; exotic types become ArrowType."""
    if pa.types.is_null(t):
        return NullType()
    if pa.types.is_boolean(t):
        return BooleanType()
    if pa.types.is_int8(t):
        return ByteType()
    if pa.types.is_int16(t):
        return ShortType()
    if pa.types.is_int32(t):
        return IntegerType()
    if pa.types.is_int64(t):
        return LongType()
    if pa.types.is_float32(t):
        return FloatType()
    if pa.types.is_float64(t):
        return DoubleType()
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return StringType()
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return BinaryType()
    if pa.types.is_date32(t):
        return DateType()
    if pa.types.is_timestamp(t) and t.unit == "us":
        return TimestampType() if t.tz is not None else TimestampNTZType()
    if pa.types.is_decimal128(t):
        return DecimalType(t.precision, t.scale)
    if pa.types.is_duration(t) and t.unit == "us":
        return DayTimeIntervalType()
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return ArrayType(from_arrow_type(t.value_type), t.value_field.nullable)
    if pa.types.is_map(t):
        return MapType(from_arrow_type(t.key_type), from_arrow_type(t.item_type), t.item_field.nullable)
    if pa.types.is_struct(t):
        return StructType([StructField(f.name, from_arrow_type(f.type), f.nullable) for f in t])
    return ArrowType(t)


def from_arrow_schema(schema: pa.Schema) -> StructType:
    return StructType([StructField(f.name, from_arrow_type(f.type), f.nullable) for f in schema])


def to_arrow_type(dt: DataType | pa.DataType | str) -> pa.DataType:
    if isinstance(dt, pa.DataType):
        return dt
    if isinstance(dt, str):
        dt = _parse_datatype_string(dt)
    return dt.to_arrow()


_SIMPLE = {
    "boolean": BooleanType, "bool": BooleanType, "tinyint": ByteType, "byte": ByteType,
    "smallint": ShortType, "short": ShortType, "int": IntegerType, "integer": IntegerType,
    "bigint": LongType, "long": LongType, "float": FloatType, "real": FloatType,
    "double": DoubleType, "string": StringType, "binary": BinaryType, "date": DateType,
    "timestamp": TimestampType, "timestamp_ltz": TimestampType, "timestamp_ntz": TimestampNTZType,
    "void": NullType, "null": NullType,
}


class _DDLParser:
    _token = re.compile(r"\s*(`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_]*|\d+|[<>(),:])")

    def __init__(self, text: str):
        self.text = text
        self.tokens = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = self._token.match(text, pos)
            if not m:
                raise ValueError(f"cannot parse DDL {text!r} at position {pos + 1}: unexpected {text[pos:pos + 10]!r}")
            self.tokens.append(m.group(1))
            pos = m.end()
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok.lower() != expected):
            raise ValueError(f"cannot parse DDL {self.text!r}: expected {expected or 'more input'}, got {tok!r}")
        self.i += 1
        return tok

    def name(self) -> str:
        tok = self.take()
        if tok.startswith("`"):
            return tok[1:-1].replace("``", "`")
        return tok

    def data_type(self) -> DataType:
        tok = self.take().lower()
        if tok in ("decimal", "dec", "numeric"):
            if self.peek() == "(":
                self.take("(")
                p = int(self.take())
                s = 0
                if self.peek() == ",":
                    self.take(",")
                    s = int(self.take())
                self.take(")")
                return DecimalType(p, s)
            return DecimalType(10, 0)
        if tok in ("varchar", "char"):
            self.take("(")
            n = int(self.take())
            self.take(")")
            return VarcharType(n) if tok == "varchar" else CharType(n)
        if tok == "array":
            self.take("<")
            e = self.data_type()
            self.take(">")
            return ArrayType(e)
        if tok == "map":
            self.take("<")
            k = self.data_type()
            self.take(",")
            v = self.data_type()
            self.take(">")
            return MapType(k, v)
        if tok == "struct":
            self.take("<")
            fields = []
            while self.peek() != ">":
                n = self.name()
                if self.peek() == ":":
                    self.take(":")
                fields.append(StructField(n, self.data_type()))
                if self.peek() == ",":
                    self.take(",")
            self.take(">")
            return StructType(fields)
        if tok == "interval":
            units = []
            while self.peek() and self.peek().lower() in ("year", "month", "day", "hour", "minute", "second", "to"):
                units.append(self.take().lower())
            units = [u for u in units if u != "to"]
            if not units:
                return CalendarIntervalType()
            if units[0] in ("year", "month"):
                fields = YearMonthIntervalType._fields
                codes = {v: k for k, v in fields.items()}
                return YearMonthIntervalType(codes[units[0]], codes[units[-1]])
            codes = {v: k for k, v in DayTimeIntervalType._fields.items()}
            if any(u not in codes for u in units):
                raise ValueError(f"cannot parse DDL {self.text!r}: invalid interval {' to '.join(units)}")
            return DayTimeIntervalType(codes[units[0]], codes[units[-1]])
        if tok in _SIMPLE:
            return _SIMPLE[tok]()
        raise ValueError(f"cannot parse DDL {self.text!r}: unknown type {tok!r}")

    def schema(self) -> DataType:
        """Either 'a int, b string' (a struct of columns) or a single type."""
        save = self.i
        try:
            fields = []
            while self.peek() is not None:
                n = self.name()
                if self.peek() == ":":
                    self.take(":")
                fields.append(StructField(n, self.data_type()))
                if self.peek() == ",":
                    self.take(",")
                elif self.peek() is not None:
                    raise ValueError("trailing input")
            if fields:
                return StructType(fields)
        except ValueError:
            pass
        self.i = save
        dt = self.data_type()
        if self.peek() is not None:
            raise ValueError(f"cannot parse DDL {self.text!r}: unexpected {self.peek()!r}")
        return dt


def _parse_datatype_string(s: str) -> DataType:
    """Parses DDL the way PySpark does: 'a INT, b STRING', 'struct<a:int>', 'array<int>', 'int'."""
    text = s.strip()
    if not text:
        raise ValueError("empty DDL string")
    try:
        return _DDLParser(text).data_type() if _looks_like_single_type(text) else _DDLParser(text).schema()
    except (ValueError, IndexError) as e:
        raise ValueError(f"cannot parse schema {s!r}: {e}") from None


def _looks_like_single_type(text: str) -> bool:
    head = re.match(r"[A-Za-z_]+", text)
    if not head:
        return False
    word = head.group(0).lower()
    rest = text[head.end():].lstrip()
    return (word in _SIMPLE and rest == "") or (word in ("array", "map", "struct", "decimal") and rest[:1] in ("<", "(", ""))


def _parse_datatype_json_string(json_string: str) -> DataType:
    """The inverse of DataType.json()."""
    return _parse_datatype_json_value(json.loads(json_string))


_JSON_ATOMIC = {cls.typeName(): cls for cls in (
    NullType, StringType, BinaryType, BooleanType, DateType, TimestampType, TimestampNTZType, DoubleType,
    FloatType, ByteType, ShortType, IntegerType, LongType, CalendarIntervalType, VariantType)}
_FIXED_DECIMAL = re.compile(r"decimal\(\s*(\d+)\s*,\s*(-?\d+)\s*\)")
_FIXED_LENGTH = re.compile(r"(char|varchar)\(\s*(\d+)\s*\)")


def _parse_datatype_json_value(value: Any) -> DataType:
    if isinstance(value, str):
        if value in _JSON_ATOMIC:
            return _JSON_ATOMIC[value]()
        if value == "decimal":
            return DecimalType()
        m = _FIXED_DECIMAL.fullmatch(value)
        if m:
            return DecimalType(int(m.group(1)), int(m.group(2)))
        m = _FIXED_LENGTH.fullmatch(value)
        if m:
            return CharType(int(m.group(2))) if m.group(1) == "char" else VarcharType(int(m.group(2)))
        if value.startswith("interval"):
            return _parse_datatype_string(value)
        if value.startswith("time("):
            return TimeType(int(value[5:-1]))
        raise ValueError(f"cannot parse data type JSON {value!r}: unknown type name")
    if isinstance(value, dict):
        kind = value.get("type")
        parsers = {"array": ArrayType.fromJson, "map": MapType.fromJson, "struct": StructType.fromJson,
                   "arrow": ArrowType.fromJson}
        if kind in parsers:
            return parsers[kind](value)
        raise ValueError(f"cannot parse data type JSON {value!r}: unknown type {kind!r}")
    raise ValueError(f"cannot parse data type JSON {value!r}")


class PySparkTypeError(TypeError):
    """A TypeError whose message starts with PySpark's error class, e.g. [CANNOT_MERGE_TYPE]."""


def _merge_type(a: DataType, b: DataType, name: str | None = None) -> DataType:
    """PySpark's schema merging of two inferred types (pyspark.sql.types._merge_type)."""
    where = f" ({name})" if name else ""
    if isinstance(a, NullType):
        return b
    if isinstance(b, NullType):
        return a
    if isinstance(a, TimestampType) and isinstance(b, TimestampNTZType):
        return a
    if isinstance(a, TimestampNTZType) and isinstance(b, TimestampType):
        return b
    if isinstance(a, AtomicType) and isinstance(b, StringType):
        return b
    if isinstance(a, StringType) and isinstance(b, AtomicType):
        return a
    if type(a) is not type(b):
        raise PySparkTypeError(
            f"[CANNOT_MERGE_TYPE] Can not merge type `{type(a).__name__}` and `{type(b).__name__}`{where}. "
            "The values of one column must have one type; pass a schema to convert them explicitly.")
    if isinstance(a, StructType):
        other = {f.name: f.dataType for f in b.fields}  # type: ignore[attr-defined]
        fields = [StructField(f.name, _merge_type(f.dataType, other.get(f.name, NullType()),
                                                  name=f"field {f.name}" + (f" in {name}" if name else "")))
                  for f in a.fields]
        seen = {f.name for f in fields}
        fields += [StructField(n, t) for n, t in other.items() if n not in seen]
        return StructType(fields)
    if isinstance(a, ArrayType):
        return ArrayType(_merge_type(a.elementType, b.elementType, name=f"element in array {name}"), True)  # type: ignore[attr-defined]
    if isinstance(a, MapType):
        return MapType(_merge_type(a.keyType, b.keyType, name=f"key of map {name}"),  # type: ignore[attr-defined]
                       _merge_type(a.valueType, b.valueType, name=f"value of map {name}"), True)  # type: ignore[attr-defined]
    return a


def _has_nulltype(dt: DataType) -> bool:
    if isinstance(dt, StructType):
        return any(_has_nulltype(f.dataType) for f in dt.fields)
    if isinstance(dt, ArrayType):
        return _has_nulltype(dt.elementType)
    if isinstance(dt, MapType):
        return _has_nulltype(dt.keyType) or _has_nulltype(dt.valueType)
    return isinstance(dt, NullType)


def infer_type(value: Any) -> DataType:
    """PySpark's type inference for one Python value (pyspark.sql.types._infer_type).

    Like PySpark: int is bigint, float is double, Decimal is decimal(38,18), dict is a map, list is an
    array of the merged element types, tuple/Row/namedtuple/object is a struct. Unlike PySpark, numpy
    scalars and pandas Timestamps are accepted as the Python values they stand for.
    """
    if value is None:
        return NullType()
    if isinstance(value, bool):
        return BooleanType()
    if isinstance(value, int):
        return LongType()
    if isinstance(value, float):
        return DoubleType()
    if isinstance(value, str):
        return StringType()
    if isinstance(value, (bytes, bytearray)):
        return BinaryType()
    if isinstance(value, decimal.Decimal):
        return DecimalType(38, 18)
    if isinstance(value, datetime.datetime):
        return TimestampType()
    if isinstance(value, datetime.date):
        return DateType()
    if isinstance(value, datetime.time):
        return TimeType(6)
    if isinstance(value, datetime.timedelta):
        return DayTimeIntervalType()
    numpy_type = _numpy_scalar_type(value)
    if numpy_type is not None:
        return numpy_type
    if isinstance(value, dict):
        key_type: DataType = NullType()
        value_type: DataType = NullType()
        for k, v in value.items():
            if k is not None:
                key_type = _merge_type(key_type, infer_type(k))
            if v is not None:
                value_type = _merge_type(value_type, infer_type(v))
        return MapType(key_type, value_type, True)
    if isinstance(value, list):
        element: DataType = NullType()
        for v in value:
            if v is not None:
                element = _merge_type(element, infer_type(v))
        return ArrayType(element, True)
    try:
        return _infer_schema(value)
    except TypeError:
        raise TypeError(f"[UNSUPPORTED_DATA_TYPE] cannot infer a Spark type for {type(value).__name__} value "
                        f"{value!r}; pass a schema") from None


def _numpy_scalar_type(value: Any) -> DataType | None:
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy comes with pandas and pyarrow
        return None
    if isinstance(value, np.bool_):
        return BooleanType()
    if isinstance(value, np.integer):
        return {1: ByteType, 2: ShortType, 4: IntegerType}.get(value.dtype.itemsize, LongType)() \
            if value.dtype.kind == "i" else LongType()
    if isinstance(value, np.floating):
        return FloatType() if value.dtype.itemsize == 4 else DoubleType()
    if isinstance(value, np.datetime64):
        return TimestampNTZType()
    if isinstance(value, np.ndarray) and value.ndim == 1:
        element: DataType = NullType()
        for v in value.tolist():
            if v is not None:
                element = _merge_type(element, infer_type(v))
        return ArrayType(element, True)
    return None


def _infer_schema(row: Any, names: list[str] | None = None) -> StructType:
    """The struct type of one row: dict (sorted by key), Row, namedtuple, tuple/list, or object."""
    if isinstance(row, dict):
        items = sorted(row.items())
    elif isinstance(row, (tuple, list)):
        if getattr(row, "__fields__", None) is not None:
            items = list(zip(row.__fields__, tuple(row)))
        elif hasattr(row, "_fields"):
            items = list(zip(row._fields, tuple(row)))
        else:
            names = list(names) if names else []
            names += [f"_{i}" for i in range(len(names) + 1, len(row) + 1)]
            items = list(zip(names, row))
    elif hasattr(row, "__dict__"):
        items = sorted(row.__dict__.items())
    else:
        raise TypeError(f"[CANNOT_INFER_SCHEMA_FOR_TYPE] Can not infer schema for type: `{type(row).__name__}`.")
    fields = []
    for k, v in items:
        try:
            fields.append(StructField(k, infer_type(v), True))
        except PySparkTypeError:
            raise
        except TypeError:
            raise TypeError(f"[CANNOT_INFER_TYPE_FOR_FIELD] Unable to infer the type of the field `{k}` "
                            f"from its value {v!r} ({type(v).__name__}); pass a schema.") from None
    return StructType(fields)


__all__ = [
    "DataType", "NullType", "AtomicType", "NumericType", "IntegralType", "FractionalType", "StringType",
    "CharType", "VarcharType", "BinaryType", "BooleanType", "DateType", "TimestampType", "TimestampNTZType",
    "TimeType", "DecimalType", "DoubleType", "FloatType", "ByteType", "ShortType", "IntegerType", "LongType",
    "AnsiIntervalType", "DayTimeIntervalType", "YearMonthIntervalType", "CalendarIntervalType", "VariantType",
    "ArrayType", "MapType", "StructField", "StructType", "ArrowType", "Row",
]


def __getattr__(name: str) -> Any:
    # pyspark.sql.types exports Row too; import lazily to avoid a cycle (row.py has no imports).
    if name == "Row":
        from quiver.sql.row import Row

        return Row
    raise AttributeError(name)
