"""Window partitions and cogrouped groups under a small memory limit: a server started with
spark.quiver.memory.limit (QUIVER_MEMORY_LIMIT) streams them instead of gathering whole
partitions. Answers are checked against pandas on the same data."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from quiver.sql import SparkSession

LIMIT = 1 << 20  # 1 MiB


@pytest.fixture(scope="module")
def limited_spark(tmp_path_factory):
    spill_dir = tmp_path_factory.mktemp("spill")
    old = {k: os.environ.get(k) for k in ("QUIVER_MEMORY_LIMIT", "QUIVER_SPILL_DIR")}
    os.environ["QUIVER_MEMORY_LIMIT"] = str(LIMIT)
    os.environ["QUIVER_SPILL_DIR"] = str(spill_dir)
    try:
        session = SparkSession.builder.create()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    yield session, spill_dir
    session.stop()


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
