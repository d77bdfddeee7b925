"""Grouped Python functions (applyInPandas, cogroup().applyInPandas, grouped aggregate pandas UDFs)
over the engine's shuffle, compared with pandas groupby on the same data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quiver.sql import functions as F
from quiver.sql.udf import PandasUDFType


@pytest.fixture(scope="module")
def data(spark):
    rng = np.random.default_rng(11)
    n = 600
    pdf = pd.DataFrame({"id": np.arange(n, dtype="int64"), "g": rng.integers(0, 9, n).astype("int64"),
                        "k": [f"k{i % 2}" for i in range(n)], "v": rng.normal(size=n)})
    # Several partitions, so the exchange really moves rows between them.
    return pdf, spark.createDataFrame(pdf).repartition(3)


def test_apply_in_pandas_subtract_mean(data):
    pdf, df = data

    def subtract_mean(g: pd.DataFrame) -> pd.DataFrame:
        return g.assign(v=g.v - g.v.mean())

    got = df.groupBy("g").applyInPandas(subtract_mean, "id long, g long, k string, v double").toPandas()
    exp = pdf.assign(v=pdf.v - pdf.groupby("g").v.transform("mean"))
    got = got.sort_values("id").reset_index(drop=True)
    assert list(got.id) == list(exp.id)
    assert np.allclose(got.v, exp.v)


def test_apply_in_pandas_with_key_and_two_grouping_columns(data):
    pdf, df = data

    def summarize(key, g: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"g": [key[0]], "k": [key[1]], "n": [len(g)], "total": [g.v.sum()]})

    got = df.groupBy("g", "k").applyInPandas(summarize, "g long, k string, n long, total double").toPandas()
    exp = pdf.groupby(["g", "k"]).agg(n=("v", "size"), total=("v", "sum")).reset_index()
    got = got.sort_values(["g", "k"]).reset_index(drop=True)
    assert got[["g", "k", "n"]].values.tolist() == exp[["g", "k", "n"]].values.tolist()
    assert np.allclose(got.total, exp.total)


def test_legacy_grouped_map_apply(data):
    pdf, df = data
    f = F.pandas_udf(lambda g: g[["g"]].head(1).assign(n=len(g)), "g long, n long", PandasUDFType.GROUPED_MAP)
    got = df.groupBy("g").apply(f).toPandas().sort_values("g").reset_index(drop=True)
    exp = pdf.groupby("g").size().reset_index(name="n")
    assert got.values.tolist() == exp.values.tolist()


def test_cogroup_apply_in_pandas(spark):
    left = pd.DataFrame({"k": [1, 1, 2, 3], "a": [1.0, 2.0, 3.0, 4.0]})
    right = pd.DataFrame({"k": [1, 2, 2, 4], "b": ["x", "y", "z", "w"]})
    l, r = spark.createDataFrame(left), spark.createDataFrame(right)

    def merge(key, lp: pd.DataFrame, rp: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"k": [key[0]], "n_left": [len(lp)], "n_right": [len(rp)], "a_sum": [lp.a.sum()]})

    got = l.groupBy("k").cogroup(r.groupBy("k")).applyInPandas(merge, "k long, n_left long, n_right long, a_sum double")
    got = got.toPandas().sort_values("k").reset_index(drop=True)
    keys = sorted(set(left.k) | set(right.k))
    exp = pd.DataFrame({"k": keys, "n_left": [int((left.k == k).sum()) for k in keys],
                        "n_right": [int((right.k == k).sum()) for k in keys],
                        "a_sum": [float(left.a[left.k == k].sum()) for k in keys]})
    pd.testing.assert_frame_equal(got, exp, check_dtype=False)


def test_grouped_aggregate_pandas_udf(data):
    pdf, df = data

    @F.pandas_udf("double")
    def mean_udf(v: pd.Series) -> float:
        return v.mean()

    @F.pandas_udf("long")
    def count_udf(v: pd.Series) -> int:
        return len(v)

    got = df.groupBy("g").agg(mean_udf("v").alias("m"), count_udf(df.v)).toPandas()
    assert got.columns.tolist() == ["g", "m", "count_udf(v)"]
    got = got.sort_values("g").reset_index(drop=True)
    exp = pdf.groupby("g").v.agg(["mean", "size"]).reset_index()
    assert list(got.g) == list(exp.g)
    assert np.allclose(got.m, exp["mean"])
    assert list(got["count_udf(v)"]) == list(exp["size"])


def test_map_in_pandas_after_apply_in_pandas(data):
    """Python operators stacked over a shuffle: each takes its own worker."""
    pdf, df = data

    def centered(g: pd.DataFrame) -> pd.DataFrame:
        return g.assign(v=g.v - g.v.mean())

    @F.pandas_udf("double")
    def doubled(v: pd.Series) -> pd.Series:
        return v * 2

    out = df.groupBy("g").applyInPandas(centered, "id long, g long, k string, v double").select("id", doubled("v").alias("w"))
    got = out.toPandas().sort_values("id").reset_index(drop=True)
    exp = (pdf.v - pdf.groupby("g").v.transform("mean")) * 2
    assert np.allclose(got.w, exp)
