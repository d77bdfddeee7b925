"""Spark SQL data types, mirroring pyspark.sql.types, each mapped to an Arrow type.

Quiver's engine works on Arrow types; these classes exist so PySpark code that names Spark types
(schemas, casts, UDF return types) runs unchanged. Arrow types Spark lacks (unsigned integers,
nanosecond timestamps, large strings, dictionaries) pass through untouched as ArrowType.
"""

from __future__ import annotations

import datetime
import decimal
import re
from typing import Any, Iterator

import pyarrow as pa


class DataType:
    """Base class of Spark data types."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(repr(self))

    @classmethod
    def typeName(cls) -> str:
        return cls.__name__[:-4].lower()

    def simpleString(self) -> str:
        return self.typeName()

    def jsonValue(self) -> Any:
        return self.typeName()

    def to_arrow(self) -> pa.DataType:
        raise NotImplementedError(f"{type(self).__name__} has no Arrow mapping")

    def needConversion(self) -> bool:
        return False


class NullType(DataType):
    def simpleString(self) -> str:
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
    def to_arrow(self) -> pa.DataType:
        return pa.string()


class CharType(StringType):
    def __init__(self, length: int = 1):
        self.length = length

    def simpleString(self) -> str:
        return f"char({self.length})"


class VarcharType(StringType):
    def __init__(self, length: int = 65535):
        self.length = length

    def simpleString(self) -> str:
        return f"varchar({self.length})"


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
    def simpleString(self) -> str:
        return "timestamp_ntz"

    def to_arrow(self) -> pa.DataType:
        return pa.timestamp("us")


class DecimalType(FractionalType):
    def __init__(self, precision: int = 10, scale: int = 0):
        self.precision = precision
        self.scale = scale

    def simpleString(self) -> str:
        return f"decimal({self.precision},{self.scale})"

    def __repr__(self) -> str:
        return f"DecimalType({self.precision},{self.scale})"

    def to_arrow(self) -> pa.DataType:
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


class DayTimeIntervalType(AtomicType):
    def simpleString(self) -> str:
        return "interval day to second"

    def to_arrow(self) -> pa.DataType:
        return pa.duration("us")


class ArrayType(DataType):
    def __init__(self, elementType: DataType, containsNull: bool = True):
        self.elementType = elementType
        self.containsNull = containsNull

    def simpleString(self) -> str:
        return f"array<{self.elementType.simpleString()}>"

    def __repr__(self) -> str:
        return f"ArrayType({self.elementType!r}, {self.containsNull})"

    def to_arrow(self) -> pa.DataType:
        return pa.list_(pa.field("element", self.elementType.to_arrow(), nullable=self.containsNull))


class MapType(DataType):
    def __init__(self, keyType: DataType, valueType: DataType, valueContainsNull: bool = True):
        self.keyType = keyType
        self.valueType = valueType
        self.valueContainsNull = valueContainsNull

    def simpleString(self) -> str:
        return f"map<{self.keyType.simpleString()},{self.valueType.simpleString()}>"

    def __repr__(self) -> str:
        return f"MapType({self.keyType!r}, {self.valueType!r}, {self.valueContainsNull})"

    def to_arrow(self) -> pa.DataType:
        return pa.map_(self.keyType.to_arrow(), pa.field("value", self.valueType.to_arrow(), nullable=self.valueContainsNull))


class StructField(DataType):
    def __init__(self, name: str, dataType: DataType, nullable: bool = True, metadata: dict | None = None):
        self.name = name
        self.dataType = dataType
        self.nullable = nullable
        self.metadata = metadata or {}

    def simpleString(self) -> str:
        return f"{self.name}:{self.dataType.simpleString()}"

    def __repr__(self) -> str:
        return f"StructField('{self.name}', {self.dataType!r}, {self.nullable})"

    def to_arrow_field(self) -> pa.Field:
        return pa.field(self.name, self.dataType.to_arrow(), nullable=self.nullable)


class StructType(DataType):
    def __init__(self, fields: list[StructField] | None = None):
        self.fields = list(fields or [])

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
            if isinstance(data_type, str):
                data_type = _parse_datatype_string(data_type)
            self.fields.append(StructField(field, data_type, nullable, metadata))
        return self

    def __iter__(self) -> Iterator[StructField]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __getitem__(self, key: int | str) -> StructField:
        if isinstance(key, int):
            return self.fields[key]
        for f in self.fields:
            if f.name == key:
                return f
        raise KeyError(f"No StructField named {key}")

    def simpleString(self) -> str:
        return "struct<" + ",".join(f.simpleString() for f in self.fields) + ">"

    def __repr__(self) -> str:
        return "StructType([" + ", ".join(repr(f) for f in self.fields) + "])"

    def to_arrow(self) -> pa.DataType:
        return pa.struct([f.to_arrow_field() for f in self.fields])

    def to_arrow_schema(self) -> pa.Schema:
        return pa.schema([f.to_arrow_field() for f in self.fields])

    def treeString(self) -> str:
        lines = ["root"]
        for f in self.fields:
            _tree_lines(f.name, f.dataType, f.nullable, 1, lines)
        return "\n".join(lines) + "\n"


class ArrowType(DataType):
    """An Arrow type with no Spark equivalent (uint32, timestamp[ns], large_string, dictionary, ...)."""

    def __init__(self, arrow_type: pa.DataType):
        self.arrow_type = arrow_type

    def simpleString(self) -> str:
        return str(self.arrow_type)

    def __repr__(self) -> str:
        return f"ArrowType({self.arrow_type})"

    def to_arrow(self) -> pa.DataType:
        return self.arrow_type


def _tree_lines(name: str, dt: DataType, nullable: bool, depth: int, lines: list[str]) -> None:
    prefix = " |   " * (depth - 1) + " |-- "
    lines.append(f"{prefix}{name}: {dt.typeName() if not isinstance(dt, (DecimalType, ArrowType)) else dt.simpleString()} (nullable = {str(nullable).lower()})")
    if isinstance(dt, StructType):
        for f in dt.fields:
            _tree_lines(f.name, f.dataType, f.nullable, depth + 1, lines)
    elif isinstance(dt, ArrayType):
        _tree_lines("element", dt.elementType, dt.containsNull, depth + 1, lines)
    elif isinstance(dt, MapType):
        _tree_lines("key", dt.keyType, False, depth + 1, lines)
        _tree_lines("value", dt.valueType, dt.valueContainsNull, depth + 1, lines)


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
            while self.peek() and self.peek().lower() in ("day", "to", "second", "hour", "minute"):
                self.take()
            return DayTimeIntervalType()
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


def infer_type(value: Any) -> DataType:
    """PySpark's schema inference for one Python value."""
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
        return TimestampType() if value.tzinfo is not None else TimestampType()
    if isinstance(value, datetime.date):
        return DateType()
    if isinstance(value, datetime.timedelta):
        return DayTimeIntervalType()
    if isinstance(value, dict):
        for k, v in value.items():
            if v is not None:
                return MapType(infer_type(k), infer_type(v))
        return MapType(StringType(), NullType())
    if isinstance(value, (list, tuple)):
        for v in value:
            if v is not None:
                return ArrayType(infer_type(v))
        return ArrayType(NullType())
    if hasattr(value, "__fields__"):
        return StructType([StructField(k, infer_type(v)) for k, v in zip(value.__fields__, value)])
    raise TypeError(f"cannot infer a Spark type for {type(value).__name__} value {value!r}")
