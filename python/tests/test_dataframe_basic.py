"""collect(), show(), printSchema(), schema, columns, dtypes and toArrow, checked against PySpark.

The text of show()/printSchema()/collect() is compared with golden/display_pyspark.txt, which
display_program.py wrote by running the very same program on real PySpark 4 (local mode).
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import io
import pathlib

import pyarrow as pa
import pytest

import display_program
from quiver.sql import Row
from quiver.sql import functions as F
from quiver.sql import types as T

GOLDEN = pathlib.Path(__file__).parent / "golden" / "display_pyspark.txt"


def test_display_program_prints_what_pyspark_prints(spark):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        display_program.run(spark, Row, T)
    got = buffer.getvalue().splitlines()
    want = GOLDEN.read_text().splitlines()
    for number, (g, w) in enumerate(zip(got, want), start=1):
        assert g == w, f"line {number} differs from PySpark's output:\n got: {g!r}\nwant: {w!r}"
    assert len(got) == len(want)


def test_collect_python_values(spark):
    df = spark.createDataFrame(
        [(1, decimal.Decimal("2.50"), datetime.date(2020, 1, 2), datetime.datetime(2020, 1, 2, 3, 4, 5, 6),
          b"\x00a", [1, None], {"k": [1.5]}, Row(x=1, y=Row(z="s")), datetime.timedelta(hours=1))],
        "i int, d decimal(5,2), dt date, ts timestamp, b binary, a array<int>, m map<string,array<double>>, "
        "s struct<x:int,y:struct<z:string>>, iv interval day to second")
    (row,) = df.collect()
    assert row == Row(i=1, d=decimal.Decimal("2.50"), dt=datetime.date(2020, 1, 2),
                      ts=datetime.datetime(2020, 1, 2, 3, 4, 5, 6), b=b"\x00a", a=[1, None], m={"k": [1.5]},
                      s=Row(x=1, y=Row(z="s")), iv=datetime.timedelta(hours=1))
    assert row.ts.tzinfo is None  # naive, in the session time zone, as PySpark returns it
    assert isinstance(row.s, Row) and row.s.y.z == "s"
    assert row["m"] == {"k": [1.5]} and row.asDict(recursive=True)["s"] == {"x": 1, "y": {"z": "s"}}
    assert df.first() == row and df.head() == row and df.take(1) == [row] and df.head(5) == [row]
    assert list(df.toLocalIterator()) == [row]


def test_collect_timestamps_follow_the_session_time_zone(fresh_spark):
    df = fresh_spark.createDataFrame([(datetime.datetime(2020, 7, 1, 12, 0, tzinfo=datetime.timezone.utc),)],
                                     "t timestamp")
    fresh_spark.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    assert df.collect()[0].t == datetime.datetime(2020, 7, 1, 21, 0)
    fresh_spark.conf.set("spark.sql.session.timeZone", "-05:00")
    assert df.collect()[0].t == datetime.datetime(2020, 7, 1, 7, 0)


def test_schema_columns_dtypes(spark):
    df = spark.createDataFrame([], "a int, b array<string>, c map<string,bigint>, d struct<x:double>, e decimal(4,1)")
    assert df.columns == ["a", "b", "c", "d", "e"]
    assert df.dtypes == [("a", "int"), ("b", "array<string>"), ("c", "map<string,bigint>"),
                         ("d", "struct<x:double>"), ("e", "decimal(4,1)")]
    assert df.schema == T.StructType([
        T.StructField("a", T.IntegerType()), T.StructField("b", T.ArrayType(T.StringType())),
        T.StructField("c", T.MapType(T.StringType(), T.LongType())),
        T.StructField("d", T.StructType([T.StructField("x", T.DoubleType())])),
        T.StructField("e", T.DecimalType(4, 1))])
    assert repr(df) == "DataFrame[a: int, b: array<string>, c: map<string,bigint>, d: struct<x:double>, e: decimal(4,1)]"


def test_arrow_only_types_show_as_arrow_types(spark):
    table = pa.table({"u": pa.array([1, None], pa.uint32()), "t": pa.array([1, None], pa.timestamp("ns"))})
    df = spark.createDataFrame(table)
    assert df.dtypes == [("u", "uint32"), ("t", "timestamp[ns]")]
    assert df.schema["u"].dataType == T.ArrowType(pa.uint32())
    text = df._show_string(truncate=False)
    assert "|1   |1970-01-01 00:00:00.000000001|" in text and "|NULL|NULL                         |" in text


def test_show_arguments_are_checked(spark):
    df = spark.range(3)
    with pytest.raises(TypeError, match="NOT_INT"):
        df.show("3")
    with pytest.raises(TypeError, match="NOT_BOOL_OR_INT"):
        df.show(3, truncate="yes")


def test_to_arrow_after_projection_keeps_values(spark):
    df = spark.createDataFrame([(1, "a"), (2, None)], "k long, v string")
    got = df.select((F.col("k") * 10).alias("k10"), "v").toArrow()
    assert got.column("k10").to_pylist() == [10, 20] and got.column("v").to_pylist() == ["a", None]
