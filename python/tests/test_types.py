"""quiver.sql.types mirrors pyspark.sql.types: names, strings, JSON, DDL, and the Arrow mapping.

Expected strings are PySpark 4's (e.g. StructType.json() of the same schema in pyspark.sql.types).
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from quiver.sql import types as T
from quiver.sql.types import _parse_datatype_json_string, _parse_datatype_string

SCHEMA = T.StructType([
    T.StructField("a", T.IntegerType()),
    T.StructField("b", T.ArrayType(T.MapType(T.StringType(), T.DecimalType(10, 2)))),
])


def test_strings_match_pyspark():
    assert repr(SCHEMA) == ("StructType([StructField('a', IntegerType(), True), StructField('b', "
                            "ArrayType(MapType(StringType(), DecimalType(10,2), True), True), True)])")
    assert SCHEMA.simpleString() == "struct<a:int,b:array<map<string,decimal(10,2)>>>"
    assert SCHEMA.json() == ('{"fields":[{"metadata":{},"name":"a","nullable":true,"type":"integer"},'
                             '{"metadata":{},"name":"b","nullable":true,"type":{"containsNull":true,"elementType":'
                             '{"keyType":"string","type":"map","valueContainsNull":true,"valueType":"decimal(10,2)"},'
                             '"type":"array"}}],"type":"struct"}')
    assert T.NullType().simpleString() == "void" and T.NullType.typeName() == "void"
    assert T.LongType().simpleString() == "bigint" and T.LongType.typeName() == "long"
    assert T.ByteType().simpleString() == "tinyint" and T.ShortType().simpleString() == "smallint"
    assert T.DayTimeIntervalType().simpleString() == "interval day to second"
    assert repr(T.DayTimeIntervalType()) == "DayTimeIntervalType(0, 3)"
    assert T.YearMonthIntervalType().simpleString() == "interval year to month"
    assert T.TimestampNTZType().simpleString() == "timestamp_ntz"
    assert T.ArrayType(T.LongType()).json() == '{"containsNull":true,"elementType":"long","type":"array"}'


@pytest.mark.parametrize("ddl", [
    "a int, b string", "struct<a:int,b:array<map<string,decimal(10,2)>>>", "array<bigint>", "map<int,array<date>>",
    "interval day to second", "interval year to month", "interval hour to second", "timestamp_ntz", "binary",
    "a tinyint, b smallint, c float, d double, e boolean, f timestamp, g date, h decimal(38,18)",
    "`weird name` int, `x``y` string", "a char(3), b varchar(10)",
])
def test_ddl_and_json_round_trip(ddl):
    parsed = _parse_datatype_string(ddl)
    assert _parse_datatype_json_string(parsed.json()) == parsed
    assert T.DataType.fromDDL(ddl) == parsed
    if "`" not in ddl:  # simpleString does not quote names, in PySpark either
        assert _parse_datatype_string(parsed.simpleString()) == parsed


def test_arrow_only_types_round_trip_through_json():
    for arrow_type in (pa.uint32(), pa.timestamp("ns", tz="UTC"), pa.large_string(), pa.dictionary(pa.int8(), pa.string())):
        t = T.ArrowType(arrow_type)
        assert _parse_datatype_json_string(t.json()) == t
        if not pa.types.is_large_string(arrow_type):  # large strings are Spark strings to a user
            assert T.from_arrow_type(arrow_type) == t


def test_arrow_mapping_both_ways():
    pairs = [(T.IntegerType(), pa.int32()), (T.LongType(), pa.int64()), (T.StringType(), pa.string()),
             (T.TimestampType(), pa.timestamp("us", tz="UTC")), (T.TimestampNTZType(), pa.timestamp("us")),
             (T.DateType(), pa.date32()), (T.DecimalType(5, 2), pa.decimal128(5, 2)), (T.BinaryType(), pa.binary()),
             (T.DayTimeIntervalType(), pa.duration("us")), (T.NullType(), pa.null())]
    for spark_type, arrow_type in pairs:
        assert spark_type.to_arrow() == arrow_type
        assert T.from_arrow_type(arrow_type) == spark_type
    nested = _parse_datatype_string("struct<a:array<int>,m:map<string,double>>")
    assert T.from_arrow_type(nested.to_arrow()) == nested


def test_tree_string_matches_spark():
    schema = _parse_datatype_string("a int, b struct<c:array<int>, d:map<string,double>>, e decimal(5,2)")
    assert schema.treeString() == (
        "root\n"
        " |-- a: integer (nullable = true)\n"
        " |-- b: struct (nullable = true)\n"
        " |    |-- c: array (nullable = true)\n"
        " |    |    |-- element: integer (containsNull = true)\n"
        " |    |-- d: map (nullable = true)\n"
        " |    |    |-- key: string\n"
        " |    |    |-- value: double (valueContainsNull = true)\n"
        " |-- e: decimal(5,2) (nullable = true)\n")
    assert schema.treeString(1) == ("root\n |-- a: integer (nullable = true)\n |-- b: struct (nullable = true)\n"
                                    " |-- e: decimal(5,2) (nullable = true)\n")


def test_struct_type_access_and_errors():
    s = T.StructType().add("a", "int").add(T.StructField("b", T.StringType()))
    assert s.names == ["a", "b"] and s["b"].dataType == T.StringType() and s[0].name == "a"
    assert s[1:].names == ["b"] and len(s) == 2 and [f.name for f in s] == ["a", "b"]
    with pytest.raises(KeyError):
        s["zz"]
    with pytest.raises(TypeError):
        T.StructType(["a"])
    with pytest.raises(TypeError):
        T.ArrayType("int")
    with pytest.raises(ValueError, match="unknown type"):
        _parse_datatype_string("a integr")
    assert T.Row is not None
