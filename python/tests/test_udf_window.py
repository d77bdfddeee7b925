"""Grouped aggregate pandas UDFs over a window (Series -> scalar, .over(Window.partitionBy(...))),
against a real server and real workers; results compared with pandas groupby().transform."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quiver.sql import Window
from quiver.sql import functions as F


@pytest.fixture(scope="module")
def data(spark):
    rng = np.random.default_rng(5)
    n = 3000
    g = rng.integers(0, 40, n).astype("float64")
    g[rng.random(n) < 0.05] = np.nan  # a null key is a window partition of its own
    pdf = pd.DataFrame({"id": np.arange(n, dtype="int64"), "g": pd.array(g).astype("Int64"),
                        "h": rng.integers(0, 3, n).astype("int64"), "v": rng.normal(size=n), "w": rng.random(n)})
    return pdf, spark.createDataFrame(pdf)


@F.pandas_udf("double")
def mean_udf(v: pd.Series) -> float:
    return v.mean()


@F.pandas_udf("double")
def weighted(v: pd.Series, w: pd.Series) -> float:
    return float((v * w).sum() / w.sum())


@F.pandas_udf("long")
def size_udf(v: pd.Series) -> int:
    return len(v)


def test_window_pandas_udfs_match_pandas_transform(data):
    pdf, df = data
    window = Window.partitionBy("g", "h")
    out = df.select("id", "g", "h",
                    mean_udf("v").over(window).alias("m"),
                    weighted("v", "w").over(window).alias("wm"),
                    size_udf("v").over(window).alias("n"))
    got = out.toPandas().sort_values("id").reset_index(drop=True)
    groups = pdf.groupby(["g", "h"], dropna=False)
    expected_m = groups.v.transform("mean")
    expected_wm = (pdf.v * pdf.w).groupby([pdf.g, pdf.h], dropna=False).transform("sum") / groups.w.transform("sum")
    expected_n = groups.v.transform("size")
    assert len(got) == len(pdf)
    np.testing.assert_allclose(got.m.to_numpy(), expected_m.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(got.wm.to_numpy(), expected_wm.to_numpy(), rtol=1e-9)
    assert got.n.tolist() == expected_n.tolist()


def test_window_pandas_udf_next_to_builtin_window_functions(data):
    pdf, df = data
    window = Window.partitionBy("h")
    out = df.withColumn("m", mean_udf("v").over(window)).withColumn("s", F.sum("v").over(window)) \
        .withColumn("d", F.col("v") - F.col("m"))
    got = out.toPandas().sort_values("id").reset_index(drop=True)
    assert list(got.columns) == ["id", "g", "h", "v", "w", "m", "s", "d"]
    np.testing.assert_allclose(got.m.to_numpy(), pdf.groupby("h").v.transform("mean").to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(got.s.to_numpy(), pdf.groupby("h").v.transform("sum").to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(got.d.to_numpy(), (pdf.v - pdf.groupby("h").v.transform("mean")).to_numpy(), atol=1e-12)


def test_window_pandas_udf_without_partition_is_one_window(data):
    pdf, df = data
    got = df.select(mean_udf("v").over(Window.partitionBy()).alias("m")).toPandas()
    assert len(got) == len(pdf)
    np.testing.assert_allclose(got.m.to_numpy(), np.full(len(pdf), pdf.v.mean()), rtol=1e-12)


def test_window_pandas_udf_over_ordered_and_bounded_frames_matches_pandas_rolling(data):
    """rowsBetween(-2, 0), the default growing frame, rowsBetween(-1, 1) and rangeBetween(-5, 0)
    per row over each partition, against pandas rolling/expanding on the same order."""
    pdf, df = data
    # 600 rows: each framed call runs once per row.
    pdf, df = pdf[pdf.id < 600], df.filter("id < 600")
    w = Window.partitionBy("h").orderBy("id")
    got = df.select("id", "h", "v",
                    mean_udf("v").over(w.rowsBetween(-2, 0)).alias("trailing"),
                    mean_udf("v").over(w).alias("running"),
                    size_udf("v").over(w.rowsBetween(-1, 1)).alias("centered"),
                    mean_udf("v").over(w.rangeBetween(-5, 0)).alias("by_id"),
                    mean_udf("v").over(Window.partitionBy("h")).alias("whole")).toPandas()
    got = got.sort_values("id").reset_index(drop=True)
    ordered = pdf.sort_values("id")
    grouped = ordered.groupby("h").v
    exp_rolling = grouped.transform(lambda s: s.rolling(3, min_periods=1).mean()).sort_index()
    exp_running = grouped.transform(lambda s: s.expanding().mean()).sort_index()
    exp_centered = grouped.transform(lambda s: s.rolling(3, center=True, min_periods=1).count()).sort_index()
    by_id = [pdf.v[(pdf.h == h) & (pdf.id >= i - 5) & (pdf.id <= i)].mean() for i, h in zip(pdf.id, pdf.h)]
    np.testing.assert_allclose(got.trailing.to_numpy(), exp_rolling.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(got.running.to_numpy(), exp_running.to_numpy(), rtol=1e-9)
    assert got.centered.tolist() == exp_centered.astype("int64").tolist()
    np.testing.assert_allclose(got.by_id.to_numpy(), np.array(by_id), rtol=1e-12)
    np.testing.assert_allclose(got.whole.to_numpy(), pdf.groupby("h").v.transform("mean").to_numpy(), rtol=1e-12)


def test_window_pandas_udf_frames_match_pyspark(spark):
    """Peers (equal order values) share a RANGE frame; the answers were recorded from PySpark 4.3
    (local mode) on this program."""
    pdf = pd.DataFrame({"g": [1, 1, 1, 1, 2, 2, 2], "t": [1, 2, 2, 4, 1, 3, 5], "v": [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0]})
    df = spark.createDataFrame(pdf)
    w = Window.partitionBy("g").orderBy("t")
    out = df.select("g", "t", "v", mean_udf("v").over(w.rowsBetween(-2, 0)).alias("r"), mean_udf("v").over(w).alias("run"),
                    mean_udf("v").over(w.rangeBetween(-1, 0)).alias("rg"),
                    mean_udf("v").over(Window.partitionBy("g")).alias("all")).orderBy("g", "t", "v").toPandas()
    assert out.run.tolist() == [1.0, 2.0, 2.0, 2.5, 10.0, 15.0, 20.0]
    assert out.rg.tolist() == [1.0, 2.0, 2.0, 4.0, 10.0, 20.0, 30.0]
    assert out["all"].tolist() == [2.5] * 4 + [20.0] * 3
    assert out.r.tolist()[4:] == [10.0, 15.0, 20.0]


def test_window_pandas_udf_bounded_frame_without_order_is_refused(data):
    _, df = data
    with pytest.raises(Exception, match="ordered window"):
        df.select(mean_udf("v").over(Window.partitionBy("h").rowsBetween(-1, 0))).collect()
    whole = Window.partitionBy("h").orderBy("id").rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    assert df.select(mean_udf("v").over(whole).alias("m")).count() == 3000


def test_window_pandas_udf_frames_in_sql(spark):
    """The same frames through SQL with a registered pandas UDF (answers as PySpark 4.3's above)."""
    pdf = pd.DataFrame({"g": [1, 1, 1, 1, 2, 2, 2], "t": [1, 2, 2, 4, 1, 3, 5], "v": [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0]})
    spark.createDataFrame(pdf).createOrReplaceTempView("udf_window_frames")
    spark.udf.register("mean_udf_sql", mean_udf)
    out = spark.sql("SELECT g, t, v, mean_udf_sql(v) OVER (PARTITION BY g ORDER BY t) AS run, "
                    "mean_udf_sql(v) OVER (PARTITION BY g ORDER BY t RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) AS rg "
                    "FROM udf_window_frames ORDER BY g, t, v").toPandas()
    assert out.run.tolist() == [1.0, 2.0, 2.0, 2.5, 10.0, 15.0, 20.0]
    assert out.rg.tolist() == [1.0, 2.0, 2.0, 4.0, 10.0, 20.0, 30.0]
