"""Scalar pandas UDFs whose calls share one transport message (the executor sends several
maxRecordsPerBatch batches per message): results of differing kinds across the calls of one
message, NaN results, reused result objects and null inputs must come back exactly as plain
pandas computes them call by call."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quiver.sql import functions as F

ROWS = 100
BATCH = 7


@pytest.fixture
def small_batches(spark):
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH))
    try:
        yield spark
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")


def _one_partition(spark):
    return spark.range(0, ROWS, 1, 1)


def _expected(ids: np.ndarray, body) -> list:
    """body applied call by call over BATCH-row pieces, as Spark calls it."""
    out: list = []
    for start in range(0, len(ids), BATCH):
        out.extend(pd.Series(body(pd.Series(ids[start:start + BATCH]))).tolist())
    return out


def _values(frame: pd.DataFrame, column: str) -> list:
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in frame[column].tolist()]


def test_result_kinds_mixed_within_one_message(small_batches):
    # Even-numbered calls return float64 Series (the fast path), odd ones lists and int Series.
    def body(v: pd.Series) -> pd.Series:
        first = int(v.iloc[0])
        if (first // BATCH) % 3 == 0:
            return v * 0.5
        if (first // BATCH) % 3 == 1:
            return [float(x) + 0.25 for x in v]
        return v + 1

    got = _one_partition(small_batches).select(F.pandas_udf(body, "double")("id").alias("r")).orderBy("r").toPandas()
    expected = sorted(float(x) for x in _expected(np.arange(ROWS), body))
    assert got.r.tolist() == expected


def test_nan_results_become_nulls(small_batches):
    def body(v: pd.Series) -> pd.Series:
        return (v * 1.5).where(v % 3 != 0, np.nan)

    got = (_one_partition(small_batches).select("id", F.pandas_udf(body, "double")("id").alias("r"))
           .select("id", "r", F.col("r").isNull().alias("is_null")).orderBy("id").toPandas())
    expected = [None if i % 3 == 0 else i * 1.5 for i in range(ROWS)]
    assert _values(got, "r") == expected
    # Null, not NaN, as pa.Array.from_pandas makes it (and Spark's pandas UDFs return).
    assert got.is_null.tolist() == [i % 3 == 0 for i in range(ROWS)]


def test_result_object_reused_across_calls(small_batches):
    # A UDF that fills and returns the same Series every call: each call's values must be kept
    # as they were when that call returned.
    buffer = pd.Series(np.zeros(BATCH))

    def body(v: pd.Series) -> pd.Series:
        out = buffer.iloc[:len(v)].copy() if len(v) < BATCH else buffer
        out[:] = v.to_numpy(dtype="float64") * 2
        return out

    got = _one_partition(small_batches).select("id", F.pandas_udf(body, "double")("id").alias("r")).orderBy("id").toPandas()
    assert got.r.tolist() == [i * 2.0 for i in range(ROWS)]


def test_null_and_non_null_inputs_in_one_message(small_batches):
    df = _one_partition(small_batches).select("id", F.when(F.col("id") % 5 == 0, None).otherwise(F.col("id")).alias("x"))

    def body(v: pd.Series) -> pd.Series:
        return v.fillna(-1.0) + 0.5

    got = df.select("id", F.pandas_udf(body, "double")("x").alias("r")).orderBy("id").toPandas()
    expected = [-0.5 if i % 5 == 0 else i + 0.5 for i in range(ROWS)]
    assert got.r.tolist() == expected


def test_wrong_length_result_names_the_udf(small_batches):
    def short(v: pd.Series) -> pd.Series:
        return v.iloc[:-1] * 1.0 if int(v.iloc[0]) >= 3 * BATCH else v * 1.0

    with pytest.raises(Exception, match="short"):
        _one_partition(small_batches).select(F.pandas_udf(short, "double")("id").alias("r")).collect()
