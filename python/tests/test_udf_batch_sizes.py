"""How many rows a scalar pandas UDF sees per call (decision 0026).

When the session sets spark.sql.execution.arrow.maxRecordsPerBatch, every call gets at most that
many rows, exactly as in Spark. When it does not, Quiver calls the function on larger batches
(Spark's 10,000 exists for the JVM's memory; here each call costs pandas overhead), and small
input batches are joined first. Results are checked against pandas on the same rows."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd
import pytest

from quiver.sql import functions as F

KEY = "spark.sql.execution.arrow.maxRecordsPerBatch"


@pytest.fixture
def batch_size(spark):
    """Sets maxRecordsPerBatch for one test and unsets it afterwards."""

    def set_size(n: int) -> None:
        spark.conf.set(KEY, str(n))

    yield set_size
    spark.conf.unset(KEY)


def _call_sizes(df, column: str = "id") -> list[int]:
    @F.pandas_udf("long")
    def call_size(v: pd.Series) -> pd.Series:
        return pd.Series(np.full(len(v), len(v), dtype="int64"))

    counts = df.select(call_size(column).alias("n")).groupBy("n").count().toPandas()
    # Each call of n rows answers n rows with the value n: n appears a multiple of n times.
    assert all(c % n == 0 for n, c in zip(counts.n, counts["count"]))
    return sorted(int(n) for n, c in zip(counts.n, counts["count"]) for _ in range(c // n))


def test_unset_batch_size_calls_on_larger_batches_of_joined_input(spark):
    # spark.range yields batches of 10,000 rows; they are joined before the call.
    sizes = _call_sizes(spark.range(0, 400_000, 1, 1))
    assert sum(sizes) == 400_000
    assert max(sizes) > 10_000
    assert len(sizes) < 40


def test_unset_batch_size_sizes_calls_by_argument_bytes(spark):
    # Quiver's default: calls of about 4 MiB of arguments, 524,288 rows of one long, fewer rows
    # for wider arguments (never fewer than 131,072). Input batches of 10,000 rows are joined
    # whole, so a call is at most that size and within one batch of it.
    df = spark.range(0, 2_000_000, 1, 1)
    assert 524_288 - 10_000 < max(_call_sizes(df)) <= 524_288

    @F.pandas_udf("long")
    def call_size(a: pd.Series, b: pd.Series, c: pd.Series, d: pd.Series) -> pd.Series:
        return pd.Series(np.full(len(a), len(a), dtype="int64"))

    wide = df.select(call_size("id", (F.col("id") * 2).alias("b"), (F.col("id") * 3).alias("c"),
                               (F.col("id") * 4).alias("d")).alias("n"))
    sizes = wide.groupBy("n").count().toPandas()
    assert 131_072 - 10_000 < int(sizes.n.max()) <= 131_072  # 4 MiB / 32 bytes per row
    assert int((sizes.n * 0 + sizes["count"]).sum()) == 2_000_000


def test_set_batch_size_is_honoured_even_at_sparks_default(spark, batch_size):
    batch_size(10_000)
    sizes = _call_sizes(spark.range(0, 45_000, 1, 1))
    assert sizes == [5_000, 10_000, 10_000, 10_000, 10_000]


def test_set_batch_size_is_an_upper_bound_across_joined_batches(spark, batch_size):
    batch_size(2_500)
    # A selective filter leaves small batches; joined, no call gets more than 2,500 rows.
    df = spark.range(0, 100_000, 1, 2).filter((F.col("id") % 7) != 3)
    sizes = _call_sizes(df)
    assert sum(sizes) == sum(1 for i in range(100_000) if i % 7 != 3)
    assert max(sizes) == 2_500
    assert all(0 < s <= 2_500 for s in sizes)


def test_set_batch_size_bounds_iterator_udf_batches(spark, batch_size):
    batch_size(3_000)
    seen: list[int] = []

    @F.pandas_udf("long")
    def sizes(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
        for v in batches:
            yield pd.Series(np.full(len(v), len(v), dtype="int64"))

    got = spark.range(0, 20_000, 1, 1).select(sizes("id").alias("n")).toPandas().n
    seen = sorted(set(got))
    assert seen == [2_000, 3_000]


def test_values_match_pandas_with_and_without_a_set_batch_size(spark, batch_size):
    rng = np.random.default_rng(26)
    pdf = pd.DataFrame({"id": np.arange(300_000, dtype="int64"), "v": rng.normal(size=300_000)})
    pdf.loc[pdf.id % 97 == 0, "v"] = np.nan
    df = spark.createDataFrame(pdf)

    @F.pandas_udf("double")
    def scaled(v: pd.Series, i: pd.Series) -> pd.Series:
        return v * 3 - i

    expected = (pdf.v * 3 - pdf.id).to_numpy()
    for size in (None, 4_096):
        if size is not None:
            batch_size(size)
        got = df.select("id", scaled("v", "id").alias("r")).toPandas().sort_values("id").r.to_numpy()
        np.testing.assert_allclose(got, expected, equal_nan=True)


def test_non_positive_batch_size_means_no_spark_limit(spark, batch_size):
    # Spark: zero or a negative value sets no limit; Quiver then calls on its own larger batches.
    batch_size(-1)
    sizes = _call_sizes(spark.range(0, 400_000, 1, 1))
    assert sum(sizes) == 400_000
    assert max(sizes) > 10_000
