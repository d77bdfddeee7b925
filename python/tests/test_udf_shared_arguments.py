"""Scalar UDF arguments through shared memory (decision 0026, amendment; udf/argument_ring.go).

The executor copies argument columns of fixed-width types into a ring in /dev/shm and the worker
builds its arrays over the mapping. A region is reused only once no Python object references it,
so a UDF that keeps its inputs must still find them intact after the ring has gone round. The
UDFs below look at /proc/self/maps to tell whether their input lies in the ring, and every answer
is compared with numpy/pandas on the same data, and with the socket path
(quiver.udf.sharedMemory=false)."""

from __future__ import annotations

import datetime
import decimal
import glob
import os
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from quiver.sql import functions as F

pytestmark = pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="no /dev/shm here")


def _in_ring_function():
    """A pandas function answering 1.0 per row when its input's numpy data lies in a ring file's
    mapping, else 0.0: the sum over a column tells how many rows came through shared memory."""

    def in_ring(v: pd.Series) -> pd.Series:
        address = v.to_numpy().__array_interface__["data"][0]
        inside = 0.0
        with open("/proc/self/maps") as maps:
            for line in maps:
                low, high = (int(x, 16) for x in line.split()[0].split("-"))
                if low <= address < high and "quiver-udf" in line:
                    inside = 1.0
                    break
        return pd.Series(np.full(len(v), inside))

    return in_ring


def _in_ring_udf():
    return F.pandas_udf(_in_ring_function(), "double")


@pytest.fixture
def socket_path(spark):
    def use_socket() -> None:
        spark.conf.set("quiver.udf.sharedMemory", "false")

    yield use_socket
    spark.conf.unset("quiver.udf.sharedMemory")


def test_arguments_come_through_shared_memory_and_match_pandas(spark, socket_path):
    rng = np.random.default_rng(11)
    n = 500_000
    pdf = pd.DataFrame({"id": np.arange(n, dtype="int64"), "v": rng.normal(size=n), "w": rng.normal(size=n)})
    pdf.loc[pdf.id % 97 == 3, "v"] = np.nan  # nulls in the argument column
    # Computed columns: a stored DataFrame's own columns would reach the UDF in shared segments
    # without any copy (test_udf_shared_tables.py); these are copied into the ring.
    df = spark.createDataFrame(pdf).select("id", (F.col("v") * 1.0).alias("v"), (F.col("w") * 1.0).alias("w"))

    @F.pandas_udf("double")
    def plus_one(v: pd.Series) -> pd.Series:
        return v + 1

    @F.pandas_udf("double")
    def weighted(v: pd.Series, w: pd.Series, i: pd.Series) -> pd.Series:
        return v * w + i

    in_ring = _in_ring_udf()

    def run():
        out = df.select("id", plus_one("v").alias("a"), weighted("v", "w", "id").alias("b"),
                        in_ring("w").alias("in_ring")).toPandas()
        return out.sort_values("id").reset_index(drop=True)

    shared = run()
    socket_path()
    through_socket = run()
    assert shared.in_ring.sum() == n  # every message of w was read from the ring
    assert through_socket.in_ring.sum() == 0
    for got in (shared, through_socket):
        np.testing.assert_allclose(got.a.to_numpy(dtype="float64"), (pdf.v + 1).to_numpy(), rtol=0, atol=0, equal_nan=True)
        np.testing.assert_allclose(got.b.to_numpy(dtype="float64"), (pdf.v * pdf.w + pdf.id).to_numpy(), rtol=0, atol=0,
                                   equal_nan=True)
        assert got.a.isna().sum() == (pdf.id % 97 == 3).sum()
    pd.testing.assert_frame_equal(shared.drop(columns="in_ring"), through_socket.drop(columns="in_ring"))


def test_a_udf_keeping_its_inputs_finds_them_intact(spark):
    # 3M longs in one task: 24 MB of arguments, more than the 16 MiB ring. The UDF keeps every
    # input Series; each call checks that all of them still hold their values. The executor must
    # send through the socket once the ring is full of kept inputs instead of overwriting them.
    n = 3_000_000
    in_ring = _in_ring_function()

    @F.pandas_udf("double")
    def keeps(v: pd.Series) -> pd.Series:
        import sys

        kept = sys.__dict__.setdefault("_quiver_test_kept_inputs", [])
        first = int(v.iloc[0])
        if first == 0:
            kept.clear()
        for series, start in kept:
            if not np.array_equal(series.to_numpy(), np.arange(start, start + len(series))):
                raise AssertionError(f"a kept input Series starting at {start} was overwritten")
        if not np.array_equal(v.to_numpy(), np.arange(first, first + len(v))):
            raise AssertionError(f"the input starting at {first} is not what was sent")
        kept.append((v, first))
        where = in_ring(v)
        if first + len(v) == n:
            kept.clear()  # the last call: give the regions back for the tests after this one
        return where

    got = (spark.range(0, n, 1, 1).select(keeps("id").alias("r"))
           .agg(F.sum("r").alias("in_ring"), F.count("*").alias("rows")).collect()[0])
    assert got.rows == n
    # Some messages came through the ring (until it was full of kept inputs), the rest through
    # the socket.
    assert 0 < got.in_ring <= 16 * 2**20 // 8
    assert got.in_ring < n

    # The regions are given back: the next query uses the ring again.
    again = spark.range(0, 1_000_000, 1, 1).select(_in_ring_udf()("id").alias("r")).agg(F.sum("r")).collect()[0][0]
    assert again == 1_000_000


def test_sliced_arguments_with_nulls_are_realigned(spark):
    # g's arguments are slices of the first UDF's results, cut where the first operator's input
    # and output batches meet: offsets that are not multiples of 8, with nulls (NaN results).
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "1001")
    try:
        @F.pandas_udf("double")
        def halves_or_nan(v: pd.Series) -> pd.Series:
            return pd.Series(np.where(v % 5 == 0, np.nan, v * 2.0))

        @F.pandas_udf("double")
        def add(y: pd.Series, a: pd.Series) -> pd.Series:
            return y + a

        n = 200_000
        df = (spark.range(0, n, 1, 2).filter(F.col("id") % 7 != 3)
              .withColumn("y", F.when(F.col("id") % 3 == 0, None).otherwise(F.col("id") * 0.5)))
        got = df.withColumn("a", halves_or_nan("id")).select("id", add("y", "a").alias("r")).toPandas().sort_values("id")
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
    ids = np.arange(n)
    ids = ids[ids % 7 != 3]
    expected = np.where(ids % 3 == 0, np.nan, ids * 0.5) + np.where(ids % 5 == 0, np.nan, ids * 2.0)
    np.testing.assert_array_equal(got.id.to_numpy(), ids)
    np.testing.assert_allclose(got.r.to_numpy(dtype="float64"), expected, rtol=0, atol=0, equal_nan=True)


UTC = datetime.timezone.utc


def test_fixed_width_types_with_nulls_match_pandas(spark, socket_path):
    n = 300_000
    rng = np.random.default_rng(5)
    valid = rng.random(n) > 0.1
    ints = rng.integers(-100, 100, size=n)
    days = rng.integers(-20_000, 20_000, size=n)
    micros = rng.integers(-2 * 10**15, 2 * 10**15, size=n)
    cents = rng.integers(-10**8, 10**8, size=n)
    mask = ~valid
    table = pa.table({
        "b": pa.array(ints.astype("int8"), mask=mask),
        "s": pa.array((ints * 300).astype("int16"), mask=mask),
        "i": pa.array((ints * 10**6).astype("int32"), mask=mask),
        "l": pa.array(ints.astype("int64") * 10**12, mask=mask),
        "f": pa.array((ints / 4).astype("float32"), mask=mask),
        "flag": pa.array(ints > 0, mask=mask),
        "day": pa.array(days.astype("int32"), mask=mask).cast(pa.date32()),
        "ts": pa.array(micros, mask=mask).cast(pa.timestamp("us", tz="UTC")),
        "dec": pa.array([decimal.Decimal(int(c)).scaleb(-2) for c in cents], type=pa.decimal128(12, 2), mask=mask),
    })
    df = spark.createDataFrame(table.to_pandas(types_mapper=pd.ArrowDtype))

    @F.pandas_udf("long")
    def total(b: pd.Series, s: pd.Series, i: pd.Series, l: pd.Series) -> pd.Series:
        return (b + s + i + l).astype("Int64")

    @F.pandas_udf("double")
    def quarter(f: pd.Series) -> pd.Series:
        return f.astype("float64") * 4

    @F.pandas_udf("boolean")
    def negated(flag: pd.Series) -> pd.Series:
        return flag.map(lambda x: None if x is None or pd.isna(x) else not x).astype(object)

    @F.pandas_udf("date")
    def next_day(day: pd.Series) -> pd.Series:
        return day.map(lambda d: None if d is None or pd.isna(d) else d + datetime.timedelta(days=1))

    @F.pandas_udf("timestamp")
    def plus_second(ts: pd.Series) -> pd.Series:
        return ts + pd.Timedelta(seconds=1)

    @F.pandas_udf("decimal(12,2)")
    def same(dec: pd.Series) -> pd.Series:
        return dec

    def run():
        return df.select(total("b", "s", "i", "l").alias("total"), quarter("f").alias("quarter"),
                         negated("flag").alias("negated"), next_day("day").alias("next_day"),
                         plus_second("ts").alias("plus_second"), same("dec").alias("dec")).toArrow()

    shared = run()
    socket_path()
    through_socket = run()
    assert shared.equals(through_socket)

    def with_nulls(values: list) -> list:
        return [None if not ok else v for v, ok in zip(values, valid)]

    expected_total = with_nulls((ints.astype("int64") * (1 + 300 + 10**6 + 10**12)).tolist())
    assert shared.column("total").to_pylist() == expected_total
    assert shared.column("quarter").to_pylist() == with_nulls((ints / 4 * 4).tolist())
    assert shared.column("negated").to_pylist() == with_nulls((ints <= 0).tolist())
    epoch = datetime.date(1970, 1, 1)
    assert shared.column("next_day").to_pylist() == with_nulls([epoch + datetime.timedelta(days=int(d) + 1) for d in days])
    stamps = [datetime.datetime(1970, 1, 1, tzinfo=UTC) + datetime.timedelta(microseconds=int(m) + 10**6) for m in micros]
    assert [None if v is None else v.astimezone(UTC) for v in shared.column("plus_second").to_pylist()] == with_nulls(stamps)
    assert shared.column("dec").to_pylist() == with_nulls([decimal.Decimal(int(c)).scaleb(-2) for c in cents])


def test_iterator_and_arrow_row_udfs_read_the_ring(spark):
    n = 400_000
    rng = np.random.default_rng(3)
    pdf = pd.DataFrame({"id": np.arange(n, dtype="int64"), "v": rng.normal(size=n)})
    pdf.loc[pdf.id % 13 == 0, "v"] = np.nan
    df = spark.createDataFrame(pdf)

    @F.pandas_udf("double")
    def scaled(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
        factor = 3.0  # the one-time setup of an iterator UDF
        for v in batches:
            yield v * factor

    twice = F.udf(lambda x: None if x is None else x * 2, "double", useArrow=True)
    got = df.select("id", scaled("v").alias("a"), twice("v").alias("b")).toPandas().sort_values("id")
    np.testing.assert_allclose(got.a.to_numpy(dtype="float64"), (pdf.v * 3).to_numpy(), rtol=0, atol=0, equal_nan=True)
    np.testing.assert_allclose(got.b.to_numpy(dtype="float64"), (pdf.v * 2).to_numpy(), rtol=0, atol=0, equal_nan=True)


def test_failures_leave_the_workers_usable_and_no_ring_files(spark):
    @F.pandas_udf("double")
    def fails_late(v: pd.Series) -> pd.Series:
        if int(v.iloc[-1]) >= 900_000:  # a later message, whatever the rows per message
            raise ValueError("no more")
        return v + 0.5

    # The worker reads the rest of the framed input after the exception and stays in step.
    with pytest.raises(Exception, match="fails_late.*no more|no more"):
        spark.range(0, 1_000_000, 1, 1).select(fails_late("id").alias("r")).agg(F.sum("r")).collect()

    @F.pandas_udf("double")
    def dies(v: pd.Series) -> pd.Series:
        if int(v.iloc[-1]) >= 900_000:
            os._exit(9)
        return v + 0.5

    with pytest.raises(Exception, match="died|exit status 9"):
        spark.range(0, 1_000_000, 1, 1).select(dies("id").alias("r")).agg(F.sum("r")).collect()

    in_ring = _in_ring_udf()
    got = spark.range(0, 1_000_000, 1, 2).select(in_ring("id").alias("r")).agg(F.sum("r")).collect()[0][0]
    assert got == 1_000_000
    server = getattr(spark, "_server", None)
    if server is None:
        pytest.skip("a remote server's files are not visible here")
    # The workers remove the names once they have mapped the rings; only mappings remain.
    assert glob.glob(f"/dev/shm/quiver-udf-{server.process.pid}-*") == []
