"""Sorting against DuckDB: directions, null placement, NaN (largest, as in Spark and DuckDB),
multiple keys, global sorts over several partitions (range exchange), top-K, sortWithinPartitions,
tail, and an external sort that spills under a small memory limit."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from e2_reference import assert_rows, duck, rows_of
from quiver.sql import functions as F


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    n = 500
    a = rng.integers(0, 20, n).astype(float)
    a[rng.random(n) < 0.1] = np.nan
    a_list = [None if i % 17 == 0 else float(v) for i, v in enumerate(a)]
    return pa.table({
        "id": np.arange(n),
        "a": a_list,
        "s": [None if i % 13 == 0 else f"s{v:02d}" for i, v in enumerate(rng.integers(0, 30, n))],
        "b": rng.integers(-5, 5, n),
    })


CASES = [
    (lambda: [F.col("a").asc(), "id"], "a ASC NULLS FIRST, id"),
    (lambda: [F.col("a").desc(), "id"], "a DESC NULLS LAST, id"),
    (lambda: [F.col("a").asc_nulls_last(), "id"], "a ASC NULLS LAST, id"),
    (lambda: [F.col("a").desc_nulls_first(), "id"], "a DESC NULLS FIRST, id"),
    (lambda: [F.col("s").desc(), F.col("b").asc(), F.col("id").desc()], "s DESC NULLS LAST, b ASC NULLS FIRST, id DESC"),
    (lambda: [F.col("b") * 2 - F.col("id") % 3, "id"], "b * 2 - id % 3, id"),
]


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("partitions", [1, 4])
def test_order_by_matches_duckdb(spark, data, case, partitions):
    keys, sql = CASES[case]
    df = spark.createDataFrame(data)
    if partitions > 1:
        df = df.repartition(partitions)
    got = rows_of(df.orderBy(*keys()))
    want = duck(f"SELECT * FROM t ORDER BY {sql}", t=data)
    assert_rows(got, want, ordered=True)


def test_ascending_list_and_names(spark, data):
    df = spark.createDataFrame(data)
    got = rows_of(df.sort("b", "id", ascending=[False, True]))
    want = duck("SELECT * FROM t ORDER BY b DESC NULLS LAST, id ASC", t=data)
    assert_rows(got, want, ordered=True)
    got = rows_of(df.orderBy(["s", "id"], ascending=False))
    want = duck("SELECT * FROM t ORDER BY s DESC NULLS LAST, id DESC", t=data)
    assert_rows(got, want, ordered=True)


def test_global_sort_plan_uses_range_exchange(spark, data):
    # Estimated over 32 MB (5 M longs): range partitioned. A small input sorts in one task,
    # since sampling the range bounds runs the input twice.
    plan = spark.range(5_000_000).repartition(3).orderBy("id")._explain_string()
    assert "rangepartitioning" in plan
    plan = spark.createDataFrame(data).repartition(3).orderBy("a")._explain_string()
    assert "rangepartitioning" not in plan


@pytest.mark.parametrize("n", [0, 1, 7, 600])
def test_top_k(spark, data, n):
    df = spark.createDataFrame(data).repartition(3)
    got = rows_of(df.orderBy(F.col("a").desc(), "id").limit(n))
    want = duck(f"SELECT * FROM t ORDER BY a DESC NULLS LAST, id LIMIT {n}", t=data)
    assert_rows(got, want, ordered=True)
    if n == 7:
        assert "TopK" in df.orderBy("a").limit(n)._explain_string()


def test_offset_after_sort(spark, data):
    got = rows_of(spark.createDataFrame(data).orderBy("id").offset(490))
    assert [r[0] for r in got] == list(range(490, 500))


def test_sort_within_partitions(spark, data):
    df = spark.createDataFrame(data).coalesce(1)
    got = rows_of(df.sortWithinPartitions(F.col("b").desc(), "id"))
    want = duck("SELECT * FROM t ORDER BY b DESC, id", t=data)
    assert_rows(got, want, ordered=True)


def test_sort_empty_and_types(spark):
    t = pa.table({"d": pa.array([None, 3, 1], pa.date32()), "x": pa.array([b"b", b"a", None]),
                  "dec": pa.array([None, 1, 2], pa.decimal128(5, 2)), "flag": [True, None, False]})
    df = spark.createDataFrame(t)
    assert rows_of(df.filter(F.col("flag") & ~F.col("flag")).orderBy("d")) == []
    for col in ["d", "x", "dec", "flag"]:
        got = rows_of(df.orderBy(F.col(col).desc()))
        want = duck(f"SELECT * FROM t ORDER BY {col} DESC NULLS LAST", t=t)
        assert_rows(got, want, ordered=True)


def test_tail(spark, data):
    df = spark.createDataFrame(data).orderBy("id")
    assert [r.id for r in df.tail(3)] == [497, 498, 499]
    assert df.tail(0) == []
    assert len(df.tail(10_000)) == 500


def test_sort_by_unknown_column_suggests(spark, data):
    from quiver.errors import AnalysisException

    with pytest.raises(AnalysisException, match="did you mean 'id'"):
        spark.createDataFrame(data).orderBy("idd").collect()


def test_external_sort_spills(monkeypatch):
    """Input about 3x the memory limit: the sort writes runs to disk and merges them."""
    from quiver.sql import SparkSession

    monkeypatch.setenv("QUIVER_MEMORY_LIMIT", "4MB")
    session = SparkSession.builder.create()
    try:
        rng = np.random.default_rng(5)
        n = 400_000
        values = rng.random(n)
        keys = rng.integers(0, 1000, n)
        t = pa.table({"k": keys, "v": values, "i": np.arange(n)})
        df = session.createDataFrame(t).orderBy("k", F.col("v").desc())
        got = df.toArrow()
        order = np.lexsort((-values, keys))
        assert got.column("i").to_numpy().tolist() == order.tolist()
        analyzed = df._explain_string("analyze")
        assert "spill" in analyzed.lower()
    finally:
        session.stop()
