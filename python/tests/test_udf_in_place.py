"""UDFs that change their input in place, as pandas code often does (`v[v > 10] = 10`).

Quiver hands pandas UDFs zero-copy views of Arrow buffers and of the shared-memory argument ring,
which are read-only; PySpark 4.3 lets these functions run. Every answer is compared with the same
function applied by pandas to a copy of the data, over the ring and over the socket
(quiver.udf.sharedMemory=false), and the table the UDF read must be unchanged afterwards."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd
import pytest

from quiver.sql import functions as F

ROWS = 300_000  # more than one call's worth of rows, so several messages and calls


def _data(nulls: bool) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    v = rng.normal(scale=20, size=ROWS)
    if nulls:
        v[::97] = np.nan
    return pd.DataFrame({"g": np.arange(ROWS, dtype="int64") // 1000, "v": v,
                         "i": rng.integers(0, 40, size=ROWS, dtype="int64")})


def _functions():
    """The UDFs, defined in a function so that cloudpickle sends them by value to the workers."""

    def clip(v: pd.Series) -> pd.Series:
        v[v > 10] = 10
        return v

    def clip_batches(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
        for v in batches:
            v[v > 10] = 10
            yield v

    def clipped_sum(v: pd.Series) -> float:
        v[v > 10] = 10
        return float(v.sum())

    return clip, clip_batches, clipped_sum


@pytest.fixture(params=["ring", "socket"])
def path(request, spark):
    if request.param == "socket":
        spark.conf.set("quiver.udf.sharedMemory", "false")
    yield request.param
    spark.conf.unset("quiver.udf.sharedMemory")


@pytest.mark.parametrize("nulls", [False, True])
def test_scalar_udfs_may_change_their_input(spark, path, nulls):
    clip, clip_batches, _ = _functions()
    pdf = _data(nulls)
    df = spark.createDataFrame(pdf)
    got = df.select(F.pandas_udf(clip, "double")("v").alias("v"),
                    F.pandas_udf(clip, "long")("i").alias("i"),
                    F.pandas_udf(clip_batches, "double")("v").alias("w")).toPandas()
    expected = pdf.v.clip(upper=10)
    np.testing.assert_array_equal(got.v.to_numpy(), expected.to_numpy())
    np.testing.assert_array_equal(got.w.to_numpy(), expected.to_numpy())
    np.testing.assert_array_equal(got.i.to_numpy(), pdf.i.clip(upper=10).to_numpy())
    # The UDF changed its copy only: the table and a second read of it are as written.
    again = df.select("v", "i").toPandas()
    np.testing.assert_array_equal(again.v.to_numpy(), pdf.v.to_numpy())
    np.testing.assert_array_equal(again.i.to_numpy(), pdf.i.to_numpy())


def test_grouped_aggregate_udf_may_change_its_input(spark, path):
    _, _, clipped_sum = _functions()
    pdf = _data(False)
    got = (spark.createDataFrame(pdf).groupBy("g").agg(F.pandas_udf(clipped_sum, "double")("v").alias("s"))
           .toPandas().sort_values("g").reset_index(drop=True))
    expected = pdf.assign(v=pdf.v.clip(upper=10)).groupby("g").v.sum().reset_index(drop=True)
    np.testing.assert_allclose(got.s.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_map_in_pandas_may_change_a_one_column_frame(spark, path):
    pdf = _data(False)[["v"]]

    def clip_frames(frames):
        for frame in frames:
            frame.loc[frame.v > 10, "v"] = 10.0
            yield frame

    got = spark.createDataFrame(pdf).mapInPandas(clip_frames, "v double").toPandas()
    np.testing.assert_array_equal(np.sort(got.v.to_numpy()), np.sort(pdf.v.clip(upper=10).to_numpy()))
