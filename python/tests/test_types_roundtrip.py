"""Type fidelity: createDataFrame(pdf).toPandas() gives back an equal frame, dtype for dtype.

Each pandas/Arrow type is its own test case, always with nulls. The reference is the input frame
itself (pandas.testing with exact dtypes). Every case also goes through a server-side filter and
projection (the column passes through and must keep its dtype) and through a multi-partition upload
(one row per stored partition), so the per-field metadata survives partitioning and operators.
"""

from __future__ import annotations

import datetime
import decimal

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pyarrow as pa
import pytest

from quiver import _pandas
from quiver.sql import functions as F

UTC = datetime.timezone.utc


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


CASES: dict[str, pd.Series] = {
    "int8": pd.Series([1, None, -128, 127], dtype="Int8"),
    "int16": pd.Series([1, None, -32768, 32767], dtype="Int16"),
    "int32": pd.Series([1, None, -(2**31), 2**31 - 1], dtype="Int32"),
    "int64": pd.Series([1, None, -(2**63), 2**63 - 1], dtype="Int64"),
    "uint8": pd.Series([1, None, 0, 255], dtype="UInt8"),
    "uint16": pd.Series([1, None, 0, 65535], dtype="UInt16"),
    "uint32": pd.Series([1, None, 0, 2**32 - 1], dtype="UInt32"),
    "uint64": pd.Series([1, None, 0, 2**64 - 1], dtype="UInt64"),
    "numpy_int8": pd.Series([1, 2, -128, 127], dtype="int8"),
    "numpy_int64": pd.Series([1, 2, -(2**63), 2**63 - 1], dtype="int64"),
    "numpy_uint16": pd.Series([1, 2, 0, 65535], dtype="uint16"),
    "numpy_uint64": pd.Series([1, 2, 0, 2**64 - 1], dtype="uint64"),
    "float32": pd.Series([1.5, np.nan, -np.inf, 3.25], dtype="float32"),
    "float64": pd.Series([1.5, np.nan, np.inf, -0.0], dtype="float64"),
    "nullable_float64": pd.Series([1.5, None, 2.0, 3.0], dtype="Float64"),
    "bool": pd.Series([True, False, True, False], dtype="bool"),
    "nullable_bool": pd.Series([True, None, False, True], dtype="boolean"),
    "string_object": pd.Series(["a", None, "", "ünï"], dtype=object),
    "string_str": pd.Series(["a", None, "", "ünï"], dtype="str"),
    "string_pyarrow": pd.Series(["a", None, "", "ünï"], dtype="string[pyarrow]"),
    "string_python": pd.Series(["a", None, "", "ünï"], dtype="string[python]"),
    "categorical": pd.Series(["a", None, "b", "a"], dtype="category"),
    "categorical_ordered": pd.Series(pd.Categorical(["lo", None, "hi", "lo"], categories=["lo", "hi"], ordered=True)),
    "datetime_ns": pd.Series([_ts("2020-01-01"), None, _ts("2021-01-01 01:02:03.000000001"), _ts("1969-12-31 23:59:59")],
                             dtype="datetime64[ns]"),
    "datetime_us": pd.Series([_ts("2020-01-01"), None, _ts("2021-01-01 00:00:00.000001"), _ts("1900-01-01")],
                             dtype="datetime64[us]"),
    "datetime_ns_tz": pd.Series([_ts("2020-01-01"), None, _ts("2021-06-01 12:00:00.000000001"), _ts("2000-01-01")],
                                dtype="datetime64[ns]").dt.tz_localize("Europe/Paris"),
    "datetime_us_tz": pd.Series([_ts("2020-01-01"), None, _ts("2021-06-01 12:00:00.000001"), _ts("2000-01-01")],
                                dtype="datetime64[us]").dt.tz_localize("UTC"),
    "timedelta_ns": pd.Series([pd.Timedelta(1, "s"), None, pd.Timedelta(-3, "D"), pd.Timedelta(1, "ns")]),
    "timedelta_us": pd.Series([pd.Timedelta(1, "s"), None, pd.Timedelta(-3, "D"), pd.Timedelta(1, "us")],
                              dtype="timedelta64[us]"),
    "date": pd.Series([datetime.date(2020, 1, 1), None, datetime.date(1, 1, 1), datetime.date(9999, 12, 31)],
                      dtype=object),
    "decimal": pd.Series([decimal.Decimal("1.50"), None, decimal.Decimal("-2.25"), decimal.Decimal("12345678901234567.89")],
                         dtype=object),
    "bytes": pd.Series([b"ab", None, b"", b"\x00\xff"], dtype=object),
    "list_of_int": pd.Series([[1, 2], None, [], [None, 3]], dtype=object),
    "list_of_str": pd.Series([["a"], None, [], [None, "b"]], dtype=object),
    "list_of_timestamp": pd.Series([[datetime.datetime(2020, 1, 1)], None, [None], []], dtype=object),
    "list_of_list": pd.Series([[[1], [2, 3]], None, [[]], [None]], dtype=object),
    "struct": pd.Series([{"a": 1, "b": "x"}, None, {"a": None, "b": "y"}, {"a": 3, "b": None}], dtype=object),
    "nested_struct": pd.Series([{"a": {"c": 1.5}, "b": [1]}, None, {"a": None, "b": None}, {"a": {"c": None}, "b": []}],
                               dtype=object),
    "map": pd.Series([[("a", 1), ("b", 2)], None, [], [("c", None)]], dtype=object),
    "arrow_int64": pd.Series([1, None, 3, 4], dtype="int64[pyarrow]"),
    "arrow_string": pd.Series(["a", None, "", "d"], dtype=pd.ArrowDtype(pa.string())),
    "arrow_list": pd.Series([[1], None, [], [None]], dtype=pd.ArrowDtype(pa.list_(pa.int64()))),
    "arrow_map": pd.Series([[("a", 1)], None, [], [("b", None)]], dtype=pd.ArrowDtype(pa.map_(pa.string(), pa.int64()))),
    "arrow_struct": pd.Series([{"a": 1}, None, {"a": None}, {"a": 2}], dtype=pd.ArrowDtype(pa.struct([("a", pa.int32())]))),
    "arrow_timestamp_tz": pd.Series([datetime.datetime(2020, 1, 1, tzinfo=UTC), None, None, datetime.datetime(1970, 1, 1, tzinfo=UTC)],
                                    dtype=pd.ArrowDtype(pa.timestamp("us", tz="UTC"))),
    "interval": pd.Series(pd.arrays.IntervalArray.from_breaks([0, 1, 2, 3, 4])),
    "period": pd.Series(pd.period_range("2020-01", periods=4, freq="M")),
}


def _frame(series: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"x": series, "k": np.arange(len(series), dtype="int64")})


def _upload_partitioned(spark, pdf: pd.DataFrame):
    """A DataFrame stored as one partition per row (many result partitions on the way back)."""
    table = _pandas.pandas_to_arrow(pdf)
    result = spark._client.put_table(table, max_chunk_rows=1, rows_per_partition=1)
    return spark._read_stored(result.dataframe_id)


@pytest.mark.parametrize("name", list(CASES))
def test_roundtrip(spark, name):
    pdf = _frame(CASES[name])
    pdt.assert_frame_equal(spark.createDataFrame(pdf).toPandas(), pdf)


@pytest.mark.parametrize("name", list(CASES))
def test_roundtrip_through_filter_and_projection(spark, name):
    pdf = _frame(CASES[name])
    got = spark.createDataFrame(pdf).filter(F.col("k") != 1).select("x", (F.col("k") + 1).alias("k1")).toPandas()
    want = pdf[pdf.k != 1].assign(k1=lambda d: d.k + 1)[["x", "k1"]].reset_index(drop=True)
    pdt.assert_frame_equal(got, want)


@pytest.mark.parametrize("name", list(CASES))
def test_roundtrip_multi_partition(spark, name):
    pdf = _frame(CASES[name])
    df = _upload_partitioned(spark, pdf)
    pdt.assert_frame_equal(df.toPandas(), pdf)
    got = df.filter(F.col("k") >= 2).toPandas()
    pdt.assert_frame_equal(got, pdf[pdf.k >= 2].reset_index(drop=True))


def test_roundtrip_empty_frame_keeps_dtypes(spark):
    pdf = pd.DataFrame({name: series.iloc[:0] for name, series in CASES.items()
                        if name not in ("map", "list_of_timestamp")})
    got = spark.createDataFrame(pdf).toPandas()
    pdt.assert_frame_equal(got, pdf)


ARROW_CASES: dict[str, pa.Array] = {
    "map": pa.array([[("a", 1)], None, [], [("b", None)]], type=pa.map_(pa.string(), pa.int64())),
    "map_of_struct": pa.array([[(1, {"v": "x"})], None, [(2, None)], []],
                              type=pa.map_(pa.int32(), pa.struct([("v", pa.string())]))),
    "list_of_map": pa.array([[[("a", 1)]], None, [None], []], type=pa.list_(pa.map_(pa.string(), pa.int64()))),
    "dictionary": pa.array(["a", None, "b", "a"]).dictionary_encode(),
    "large_string": pa.array(["a", None, "", "z"], type=pa.large_string()),
    "large_binary": pa.array([b"a", None, b"", b"z"], type=pa.large_binary()),
    "large_list": pa.array([[1], None, [], [2, None]], type=pa.large_list(pa.int16())),
    "fixed_size_binary": pa.array([b"ab", None, b"cd", b"ef"], type=pa.binary(2)),
    "date64": pa.array([0, None, 86_400_000, -86_400_000], type=pa.date64()),
    "time64": pa.array([0, None, 1_000, 86_399_999_999], type=pa.time64("us")),
    "timestamp_s": pa.array([0, None, 1, -1], type=pa.timestamp("s")),
    "timestamp_ms_tz": pa.array([0, None, 1, -1], type=pa.timestamp("ms", tz="Asia/Tokyo")),
    "decimal256": pa.array([decimal.Decimal("1.5"), None, decimal.Decimal("-2"), decimal.Decimal("0")],
                           type=pa.decimal256(50, 2)),
    "null": pa.nulls(4),
    "float16": pa.array(np.array([1.5, 2, 0, -1], dtype=np.float16)),
}


@pytest.mark.parametrize("name", list(ARROW_CASES))
def test_arrow_table_roundtrip(spark, name):
    table = pa.table({"x": ARROW_CASES[name], "k": pa.array(np.arange(4, dtype="int64"))})
    df = spark.createDataFrame(table)
    assert df.toArrow().equals(table)
    filtered = df.filter(F.col("k") != 1).toArrow()
    assert filtered.equals(table.filter(pa.compute.not_equal(table["k"], 1)))
    # toPandas of an Arrow upload is what pyarrow itself makes of the table.
    pdt.assert_frame_equal(df.toPandas(), table.to_pandas())


def test_map_from_pandas_is_an_arrow_map(spark):
    pdf = _frame(CASES["map"])
    df = spark.createDataFrame(pdf)
    assert pa.types.is_map(df.toArrow().schema.field("x").type)
    assert df.dtypes[0] == ("x", "map<string,bigint>")


def test_pandas_index_is_dropped_like_pyspark(spark):
    pdf = pd.DataFrame({"a": [1, 2, 3]}, index=[10, 20, 30])
    pdt.assert_frame_equal(spark.createDataFrame(pdf).toPandas(), pdf.reset_index(drop=True))
