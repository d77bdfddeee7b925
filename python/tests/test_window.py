"""Window functions against DuckDB: ranking, ntile, lag/lead with defaults, and running/framed
sum/avg/min/max/count/first/last over ROWS and RANGE frames, with NULL partition and order
keys, NaN, ties, several partitions, and Spark's column names and errors."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from e2_reference import assert_rows, duck, rows_of
from quiver.errors import AnalysisException
from quiver.sql import Window
from quiver.sql import functions as F


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(9)
    n = 300
    k = [None if i % 29 == 0 else f"k{v}" for i, v in enumerate(rng.integers(0, 6, n))]
    t = [None if i % 11 == 0 else int(v) for i, v in enumerate(rng.integers(0, 40, n))]
    v = [None if i % 7 == 0 else (float("nan") if i % 31 == 0 else float(x)) for i, x in enumerate(rng.integers(-50, 50, n))]
    return pa.table({"id": np.arange(n), "k": k, "t": t, "v": v})


W_SQL = "PARTITION BY k ORDER BY t ASC NULLS FIRST, id"


def window():
    return Window.partitionBy("k").orderBy("t", "id")


CASES = [
    (lambda: F.row_number().over(window()), "row_number() OVER (PARTITION BY k ORDER BY t ASC NULLS FIRST, id)"),
    (lambda: F.rank().over(Window.partitionBy("k").orderBy("t")), "rank() OVER (PARTITION BY k ORDER BY t ASC NULLS FIRST)"),
    (lambda: F.dense_rank().over(Window.partitionBy("k").orderBy(F.col("t").desc())), "dense_rank() OVER (PARTITION BY k ORDER BY t DESC NULLS LAST)"),
    (lambda: F.percent_rank().over(Window.partitionBy("k").orderBy("t")), "percent_rank() OVER (PARTITION BY k ORDER BY t ASC NULLS FIRST)"),
    (lambda: F.cume_dist().over(Window.partitionBy("k").orderBy("t")), "cume_dist() OVER (PARTITION BY k ORDER BY t ASC NULLS FIRST)"),
    (lambda: F.ntile(4).over(window()), f"ntile(4) OVER ({W_SQL})"),
    (lambda: F.lag("v").over(window()), f"lag(v) OVER ({W_SQL})"),
    (lambda: F.lead("v", 2, -1.0).over(window()), f"lead(v, 2, -1.0) OVER ({W_SQL})"),
    (lambda: F.lag("t", 3, 0).over(window()), f"lag(t, 3, 0) OVER ({W_SQL})"),
    (lambda: F.sum("t").over(Window.partitionBy("k").orderBy("t")), "sum(t) OVER (PARTITION BY k ORDER BY t ASC NULLS FIRST)"),
    (lambda: F.sum("v").over(window()), f"sum(v) OVER ({W_SQL})"),
    (lambda: F.avg("t").over(Window.partitionBy("k")), "avg(t) OVER (PARTITION BY k)"),
    (lambda: F.count("v").over(window()), f"count(v) OVER ({W_SQL})"),
    (lambda: F.min("v").over(window().rowsBetween(-2, 1)), f"min(v) OVER ({W_SQL} ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING)"),
    (lambda: F.max("t").over(window().rowsBetween(Window.currentRow, Window.unboundedFollowing)),
     f"max(t) OVER ({W_SQL} ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)"),
    (lambda: F.sum("t").over(window().rowsBetween(-3, -1)), f"sum(t) OVER ({W_SQL} ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING)"),
    (lambda: F.count("t").over(Window.partitionBy("k").orderBy("t").rangeBetween(-5, 5)),
     "count(t) OVER (PARTITION BY k ORDER BY t ASC NULLS FIRST RANGE BETWEEN 5 PRECEDING AND 5 FOLLOWING)"),
    (lambda: F.sum("t").over(Window.partitionBy("k").orderBy(F.col("t").desc()).rangeBetween(Window.unboundedPreceding, 3)),
     "sum(t) OVER (PARTITION BY k ORDER BY t DESC NULLS LAST RANGE BETWEEN UNBOUNDED PRECEDING AND 3 FOLLOWING)"),
    (lambda: F.first("v").over(window()), f"first(v) OVER ({W_SQL})"),
    (lambda: F.last("v").over(window().rowsBetween(-1, 1)), f"last(v) OVER ({W_SQL} ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)"),
    (lambda: F.row_number().over(Window.orderBy(F.col("v").desc(), "id")), "row_number() OVER (ORDER BY v DESC NULLS LAST, id)"),
    (lambda: F.max("id").over(Window.partitionBy()), "max(id) OVER ()"),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_window_function_matches_duckdb(spark, data, case):
    column, sql = CASES[case]
    df = spark.createDataFrame(data).repartition(3)
    got = rows_of(df.select("id", column().alias("w")))
    want = duck(f"SELECT id, {sql} FROM t", t=data)
    assert_rows(got, want)


def test_several_windows_in_one_select(spark, data):
    df = spark.createDataFrame(data)
    w1 = Window.partitionBy("k").orderBy("t", "id")
    w2 = Window.orderBy("id")
    got = rows_of(df.withColumn("a", F.row_number().over(w1)).withColumn("b", F.sum("t").over(w2) + F.lit(1))
                  .select("id", "a", "b", (F.col("a") * 2).alias("c")))
    want = duck(f"SELECT id, row_number() OVER ({W_SQL}) a, sum(t) OVER (ORDER BY id) + 1 b, "
                f"2 * row_number() OVER ({W_SQL}) c FROM t", t=data)
    assert_rows(got, want)


def test_window_column_names_follow_spark(spark, data):
    df = spark.createDataFrame(data)
    w = Window.partitionBy("k").orderBy("t")
    assert df.select(F.row_number().over(w)).columns == [
        "row_number() OVER (PARTITION BY k ORDER BY t ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"]
    assert df.select(F.sum("t").over(w)).columns == [
        "sum(t) OVER (PARTITION BY k ORDER BY t ASC NULLS FIRST RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"]
    assert df.select(F.lag("t").over(w)).columns == [
        "lag(t, 1, NULL) OVER (PARTITION BY k ORDER BY t ASC NULLS FIRST ROWS BETWEEN -1 FOLLOWING AND -1 FOLLOWING)"]


def test_ranking_needs_order(spark, data):
    with pytest.raises(AnalysisException, match="ordered window"):
        spark.createDataFrame(data).select(F.rank().over(Window.partitionBy("k"))).collect()


def test_window_function_without_over(spark, data):
    with pytest.raises(AnalysisException, match="window function"):
        spark.createDataFrame(data).select(F.row_number()).collect()


def test_range_offsets_need_one_numeric_order_key(spark, data):
    df = spark.createDataFrame(data)
    with pytest.raises(AnalysisException, match="exactly one ORDER BY"):
        df.select(F.sum("t").over(Window.orderBy("t", "id").rangeBetween(-1, 1))).collect()
    with pytest.raises(AnalysisException, match="numeric or date"):
        df.select(F.sum("t").over(Window.orderBy("k").rangeBetween(-1, 1))).collect()


def test_running_sum_overflow_raises(spark):
    from quiver.errors import ArithmeticException

    df = spark.createDataFrame(pa.table({"x": [2**62, 2**62, 2**62]}))
    with pytest.raises(ArithmeticException, match="overflow"):
        df.select(F.sum("x").over(Window.orderBy("x").rowsBetween(Window.unboundedPreceding, 0))).collect()
