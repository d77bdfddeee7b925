"""cast with Spark's rules, checked against Python's own parsing/formatting of the same values."""

import datetime as dt
import decimal

import pyarrow as pa
import pytest

from quiver.sql import functions as F


def col(t, name):
    return t.column(name).to_pylist()


def java_double_str(x):
    """Java's Double.toString, which Spark uses for double -> string."""
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if str(x).startswith("-") else "0.0"
    if 1e-3 <= abs(x) < 1e7:
        s = repr(x)
        if "e" in s:
            s = format(decimal.Decimal(s), "f")
        return s if "." in s else s + ".0"
    mantissa, exp = f"{x:e}".split("e")
    digits = repr(x)  # shortest round-trip digits
    d = decimal.Decimal(digits).normalize()
    sign, ds, e = d.as_tuple()
    m = "".join(map(str, ds))
    m = m[0] + "." + (m[1:] or "0")
    return ("-" if sign else "") + m + "E" + str(len(ds) - 1 + e)


def test_string_to_numbers_trims_and_parses(spark):
    texts = [" 42 ", "-7", "\t12\n", None, "+5"]
    df = spark.createDataFrame(pa.table({"s": pa.array(texts, pa.string())}))
    got = df.select(F.col("s").cast("int").alias("i"), F.col("s").cast("double").alias("d"),
                    F.col("s").cast("decimal(5,1)").alias("dec")).toArrow()
    assert col(got, "i") == [None if t is None else int(t.strip()) for t in texts]
    assert col(got, "d") == [None if t is None else float(t.strip()) for t in texts]
    assert col(got, "dec") == [None if t is None else decimal.Decimal(t.strip()).quantize(decimal.Decimal("0.1")) for t in texts]


def test_invalid_string_cast_names_the_value(spark):
    df = spark.createDataFrame(pa.table({"s": ["1", "abc"]}))
    with pytest.raises(Exception, match=r"CAST_INVALID_INPUT.*'abc'.*\"STRING\".*\"INT\""):
        df.select(F.col("s").cast("int")).collect()
    assert col(df.select(F.col("s").try_cast("int").alias("x")).toArrow(), "x") == [1, None]


def test_narrowing_overflow(spark):
    df = spark.createDataFrame(pa.table({"v": pa.array([1, 300, -129], pa.int64())}))
    with pytest.raises(Exception, match="CAST_OVERFLOW"):
        df.select(F.col("v").cast("tinyint")).collect()
    assert col(df.select(F.col("v").try_cast("tinyint").alias("x")).toArrow(), "x") == [1, None, None]
    big = spark.createDataFrame(pa.table({"d": [1.9, -1.9, 3e10]}))
    with pytest.raises(Exception, match="CAST_OVERFLOW"):
        big.select(F.col("d").cast("int")).collect()
    assert col(big.select(F.col("d").try_cast("int").alias("x")).toArrow(), "x") == [1, -1, None]  # truncation toward zero


def test_numbers_to_string_like_java(spark):
    values = [1.0, 1e20, 0.001, 1e-4, 123456789.0, -2.5, 1e7, 9999999.0, 0.1 + 0.2]
    df = spark.createDataFrame(pa.table({"d": values, "i": pa.array(range(len(values)), pa.int32())}))
    got = df.select(F.col("d").cast("string").alias("s"), F.col("i").cast("string").alias("t")).toArrow()
    assert col(got, "s") == [java_double_str(v) for v in values]
    assert col(got, "t") == [str(i) for i in range(len(values))]


def test_decimal_rescale_half_up(spark):
    D = decimal.Decimal
    vals = [D("1.005"), D("-1.005"), D("2.5"), D("999.994"), None]
    df = spark.createDataFrame(pa.table({"d": pa.array(vals, pa.decimal128(6, 3))}))
    got = df.select(F.col("d").cast("decimal(5,2)").alias("r"), F.col("d").cast("string").alias("s")).toArrow()
    assert col(got, "r") == [None if v is None else v.quantize(D("0.01"), rounding=decimal.ROUND_HALF_UP) for v in vals]
    assert col(got, "s") == [None if v is None else str(v.quantize(D("0.001"))) for v in vals]  # the column scale, as Spark prints


def test_bool_and_temporal_casts(spark):
    df = spark.createDataFrame(pa.table({
        "s": ["true", "NO", "y", "0"],
        "ts": pa.array([dt.datetime(2024, 2, 29, 23, 59, 59, 500000, tzinfo=dt.timezone.utc)] * 4, pa.timestamp("us", tz="UTC")),
        "d": pa.array([dt.date(2020, 1, 1)] * 4, pa.date32()),
    }))
    got = df.select(F.col("s").cast("boolean").alias("b"), F.col("ts").cast("date").alias("td"), F.col("d").cast("timestamp").alias("dt"),
                    F.col("ts").cast("string").alias("tss"), F.col("d").cast("string").alias("ds"), F.col("ts").cast("long").alias("tl")).toArrow()
    assert col(got, "b") == [True, False, True, False]
    assert col(got, "td") == [dt.date(2024, 2, 29)] * 4
    assert col(got, "dt") == [dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)] * 4
    assert col(got, "tss") == ["2024-02-29 23:59:59.5"] * 4
    assert col(got, "ds") == ["2020-01-01"] * 4
    assert col(got, "tl") == [int(dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=dt.timezone.utc).timestamp())] * 4


def test_array_elementwise_cast(spark):
    df = spark.createDataFrame(pa.table({"a": pa.array([["1", " 2"], None, []], pa.list_(pa.string()))}))
    got = df.select(F.col("a").cast("array<int>").alias("x")).toArrow()
    assert col(got, "x") == [[1, 2], None, []]
    assert str(got.schema.field("x").type) == "list<item: int32>"
