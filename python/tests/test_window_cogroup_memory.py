"""Window partitions and cogrouped groups under a small memory limit: a server started with
spark.quiver.memory.limit (QUIVER_MEMORY_LIMIT) streams them instead of gathering whole
partitions. Answers are checked against pandas on the same data."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from quiver.sql import SparkSession, Window
from quiver.sql import functions as F

LIMIT = 1 << 20  # 1 MiB


@pytest.fixture(scope="module")
def limited_spark(tmp_path_factory):
    spill_dir = tmp_path_factory.mktemp("spill")
    old = os.environ.get("QUIVER_SPILL_DIR")
    os.environ["QUIVER_SPILL_DIR"] = str(spill_dir)
    try:
        session = SparkSession.builder.config("spark.quiver.memory.limit", str(LIMIT)).create()
    finally:
        if old is None:
            os.environ.pop("QUIVER_SPILL_DIR", None)
        else:
            os.environ["QUIVER_SPILL_DIR"] = old
    yield session, spill_dir
    session.stop()


def test_one_window_partition_over_three_times_the_limit_matches_duckdb(limited_spark):
    """Window.orderBy(...) without partitionBy: one window partition of 3.2 MB against a 1 MiB
    limit is spilled and computed in chunks; answers against DuckDB on the same data."""
    import duckdb

    spark, spill_dir = limited_spark
    n = 200_000
    rng = np.random.default_rng(3)
    v = rng.integers(-50, 50, n).astype("float64")
    v[rng.random(n) < 0.05] = np.nan
    pdf = pd.DataFrame({"id": np.arange(n, dtype="int64"), "t": np.arange(n, dtype="int64") // 3,
                        "v": pd.array(v, dtype="Float64")})
    assert pdf.memory_usage(index=False).sum() >= 3 * LIMIT
    df = spark.createDataFrame(pdf)
    by_t = Window.orderBy("t")
    by_row = Window.orderBy("t", "id")
    got = df.select(
        "id",
        F.row_number().over(by_row).alias("rn"),
        F.rank().over(by_t).alias("rk"),
        F.dense_rank().over(by_t).alias("dr"),
        F.lag("v", 1).over(by_row).alias("lag1"),
        F.lead("v", 2, -1.0).over(by_row).alias("lead2"),
        F.sum("v").over(by_t).alias("running"),
        F.avg("v").over(by_row.rowsBetween(-3, 0)).alias("trailing"),
        F.count("v").over(by_row.rowsBetween(Window.unboundedPreceding, 1)).alias("seen"),
        F.max("v").over(Window.orderBy("t").rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)).alias("top"),
    ).toPandas().sort_values("id").reset_index(drop=True)
    con = duckdb.connect()
    con.register("p", pdf)
    exp = con.execute("""
        SELECT id,
               row_number() OVER (ORDER BY t, id) AS rn,
               rank() OVER (ORDER BY t) AS rk,
               dense_rank() OVER (ORDER BY t) AS dr,
               lag(v, 1) OVER (ORDER BY t, id) AS lag1,
               lead(v, 2, -1.0) OVER (ORDER BY t, id) AS lead2,
               sum(v) OVER (ORDER BY t) AS running,
               avg(v) OVER (ORDER BY t, id ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS trailing,
               count(v) OVER (ORDER BY t, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING) AS seen,
               max(v) OVER () AS top
        FROM p ORDER BY id""").df()
    for column in ["rn", "rk", "dr", "seen"]:
        assert got[column].astype("int64").tolist() == exp[column].astype("int64").tolist(), column
    for column in ["lag1", "lead2", "running", "trailing", "top"]:
        a = got[column].astype("float64").to_numpy()
        b = exp[column].astype("float64").to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b)), column
        np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=1e-9, err_msg=column)
    assert os.listdir(spill_dir) == [], "spill files must be deleted after the query"


def test_cogroup_streams_sorted_groups_over_three_times_the_limit(limited_spark):
    spark, spill_dir = limited_spark
    rng = np.random.default_rng(5)
    n = 150_000  # 2 x 150k rows x 16 bytes: 4.8 MB of input
    left = pd.DataFrame({"k": rng.integers(0, 2_000, n), "a": rng.normal(size=n)})
    right = pd.DataFrame({"k": rng.integers(500, 2_500, n), "b": rng.integers(0, 100, n)})
    assert (left.memory_usage(index=False).sum() + right.memory_usage(index=False).sum()) >= 3 * LIMIT

    def summary(key, lp: pd.DataFrame, rp: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"k": [key[0]], "n_left": [len(lp)], "n_right": [len(rp)],
                             "a_sum": [float(lp.a.sum())], "b_max": [int(rp.b.max()) if len(rp) else -1]})

    l, r = spark.createDataFrame(left), spark.createDataFrame(right)
    df = l.groupBy("k").cogroup(r.groupBy("k")).applyInPandas(
        summary, "k long, n_left long, n_right long, a_sum double, b_max long")
    plan = df._explain_string(mode="formatted") if hasattr(df, "_explain_string") else ""
    got = df.toPandas().sort_values("k").reset_index(drop=True)

    lg = left.groupby("k").agg(n_left=("a", "size"), a_sum=("a", "sum"))
    rg = right.groupby("k").agg(n_right=("b", "size"), b_max=("b", "max"))
    exp = lg.join(rg, how="outer").fillna({"n_left": 0, "n_right": 0, "a_sum": 0.0, "b_max": -1})
    exp = exp.reset_index()[["k", "n_left", "n_right", "a_sum", "b_max"]].astype(
        {"n_left": "int64", "n_right": "int64", "b_max": "int64"})
    assert got.k.tolist() == exp.k.tolist()
    assert got.n_left.tolist() == exp.n_left.tolist()
    assert got.n_right.tolist() == exp.n_right.tolist()
    assert got.b_max.tolist() == exp.b_max.tolist()
    assert np.allclose(got.a_sum, exp.a_sum)
    if plan:
        assert "Sort" in plan, plan
    assert os.listdir(spill_dir) == [], "spill files must be deleted after the query"
