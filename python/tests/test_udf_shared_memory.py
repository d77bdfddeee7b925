"""Scalar pandas UDF results through shared memory (decision 0026, udf/ring.go).

Results of primitive types are gathered into a ring the executor maps and reads in place; a region
is reused only after every batch over it is released. These tests hold results downstream (a sort
keeps every batch until its input ends), mix result kinds, kill a worker with results outstanding,
and compare each answer with pandas and with the socket path (quiver.udf.sharedMemory=false)."""

from __future__ import annotations

import glob
import os

import numpy as np
import pandas as pd
import pytest

from quiver.sql import functions as F

pytestmark = pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="no /dev/shm here")


@pytest.fixture
def socket_path(spark):
    def use_socket() -> None:
        spark.conf.set("quiver.udf.sharedMemory", "false")

    yield use_socket
    spark.conf.unset("quiver.udf.sharedMemory")


def test_results_held_by_a_sort_beyond_the_ring_stay_intact(spark):
    # 3M doubles in one task: 24 MB of results, held by the sort until its input ends, more than
    # the 16 MiB ring holds. Later messages go through the socket; none overwrites a held one.
    n = 3_000_000

    @F.pandas_udf("double")
    def mix(v: pd.Series) -> pd.Series:
        return np.sin(v * 0.001) * 1000 + v

    got = spark.range(0, n, 1, 1).select("id", mix("id").alias("r")).orderBy(F.col("r").desc()).toPandas()
    ids = np.arange(n, dtype="float64")
    expected = pd.DataFrame({"id": np.arange(n), "r": np.sin(ids * 0.001) * 1000 + ids}).sort_values("r", ascending=False)
    np.testing.assert_array_equal(got.id.to_numpy(), expected.id.to_numpy())
    np.testing.assert_allclose(got.r.to_numpy(), expected.r.to_numpy(), rtol=0, atol=0)


def test_shared_memory_and_socket_paths_give_pandas_answers(spark, socket_path):
    rng = np.random.default_rng(7)
    pdf = pd.DataFrame({"id": np.arange(400_000, dtype="int64"), "v": rng.normal(size=400_000)})
    pdf.loc[pdf.id % 101 == 5, "v"] = np.nan
    df = spark.createDataFrame(pdf)

    @F.pandas_udf("double")
    def plus_one(v: pd.Series) -> pd.Series:
        return v + 1

    @F.pandas_udf("long")
    def twice(i: pd.Series) -> pd.Series:
        return i * 2

    @F.pandas_udf("int")
    def low_bits(i: pd.Series) -> pd.Series:
        return (i % 1000).astype("int32")

    def run():
        out = df.select("id", plus_one("v").alias("a"), twice("id").alias("b"), low_bits("id").alias("c")).toPandas()
        return out.sort_values("id").reset_index(drop=True)

    with_ring = run()
    socket_path()
    through_socket = run()
    for got in (with_ring, through_socket):
        assert got.a.isna().sum() == (pdf.id % 101 == 5).sum()  # NaN comes back as null
        np.testing.assert_allclose(got.a.to_numpy(dtype="float64"), (pdf.v + 1).to_numpy(), equal_nan=True)
        np.testing.assert_array_equal(got.b.to_numpy(), pdf.id.to_numpy() * 2)
        np.testing.assert_array_equal(got.c.to_numpy(), (pdf.id % 1000).to_numpy())
    pd.testing.assert_frame_equal(with_ring, through_socket)


def test_messages_whose_calls_need_conversion_fall_back_to_the_socket(spark):
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "1000")
    try:
        @F.pandas_udf("double")
        def sometimes_ints(v: pd.Series) -> pd.Series:
            # Calls starting at a multiple of 7,000 return int64 (converted by pandas_to_arrow);
            # the others float64 (gathered in the ring): messages of both kinds, and mixed ones.
            if int(v.iloc[0]) % 7_000 == 0:
                return v.astype("int64") * 3
            return v * 3.0

        got = spark.range(0, 200_000, 1, 2).select("id", sometimes_ints("id").alias("r")).toPandas().sort_values("id")
        np.testing.assert_array_equal(got.r.to_numpy(), np.arange(200_000) * 3.0)
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")


def test_worker_killed_with_results_outstanding_then_next_query_succeeds(spark):
    @F.pandas_udf("double")
    def dies_late(v: pd.Series) -> pd.Series:
        if int(v.iloc[0]) >= 1_500_000:
            os._exit(7)
        return v + 0.5

    with pytest.raises(Exception, match="died|exit status 7"):
        spark.range(0, 2_000_000, 1, 1).select(dies_late("id").alias("r")).orderBy("r").collect()

    @F.pandas_udf("double")
    def half(v: pd.Series) -> pd.Series:
        return v / 2

    got = spark.range(0, 1_000_000, 1, 2).select(F.sum(half("id")).alias("s")).collect()[0].s
    assert got == pytest.approx(float(np.arange(1_000_000).sum()) / 2)


def test_no_ring_files_are_left_in_dev_shm(spark):
    @F.pandas_udf("double")
    def plus_one(v: pd.Series) -> pd.Series:
        return v + 1

    assert spark.range(0, 300_000, 1, 2).select(F.sum(plus_one("id"))).collect()[0][0] == pytest.approx(
        float(np.arange(300_000).sum()) + 300_000)
    server = getattr(spark, "_server", None)
    if server is None:
        pytest.skip("a remote server's files are not visible here")
    # The worker removes the name once it has mapped the ring; only mappings remain.
    assert glob.glob(f"/dev/shm/quiver-udf-{server.process.pid}-*") == []
