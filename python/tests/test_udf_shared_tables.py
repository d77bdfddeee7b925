"""Stored DataFrames in shared memory (decision 0026, amendment "stored DataFrames in shared
memory"; udf/shared_segments.go).

The first scalar UDF task over a stored partition places the fixed-width columns it reads in
a memfd segment of the server (one per partition); from then on a UDF argument that is
such a column reaches the worker as where its rows lie (an S frame), and the worker builds its
arrays over a read-only mapping of /proc/<server>/fd/<fd>: nothing is copied.
The UDFs below read /proc/self/maps to tell where their input lies; every answer is compared with
numpy/pandas/Python on the same data and with the socket path (quiver.udf.sharedMemory=false)."""

from __future__ import annotations

import datetime
import decimal
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from quiver.sql import functions as F
from quiver.v1 import commands_pb2

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc here")


def _in_segment_function():
    """1.0 per row when the input's numpy data lies in a shared segment's mapping, else 0.0."""

    def in_segment(v: pd.Series) -> pd.Series:
        address = v.to_numpy().__array_interface__["data"][0]
        inside = 0.0
        with open("/proc/self/maps") as maps:
            for line in maps:
                low, high = (int(x, 16) for x in line.split()[0].split("-"))
                if low <= address < high and "quiver-segment" in line:
                    inside = 1.0
                    break
        return pd.Series(np.full(len(v), inside))

    return in_segment


def _server_pid(spark) -> int:
    server = getattr(spark, "_server", None)
    if server is None:
        pytest.skip("a remote server's descriptors are not visible here")
    return server.process.pid


def _segment_descriptors(pid: int) -> int:
    """How many shared segments the server holds open."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if "quiver-segment" in os.readlink(f"/proc/{pid}/fd/{fd}"):
                n += 1
        except OSError:
            pass
    return n


def _release(spark, df) -> None:
    dataframe_id = df._rel.read.named_table.unparsed_identifier
    assert dataframe_id
    spark._client.action("quiver.release", commands_pb2.ActionReleaseDataFrame(dataframe_id=dataframe_id))


@pytest.fixture
def socket_path(spark):
    def use_socket() -> None:
        spark.conf.set("quiver.udf.sharedMemory", "false")

    yield use_socket
    spark.conf.unset("quiver.udf.sharedMemory")


def test_stored_columns_reach_the_udf_in_shared_segments(spark, socket_path):
    pid = _server_pid(spark)
    before = _segment_descriptors(pid)
    n = 1_000_000
    rng = np.random.default_rng(7)
    pdf = pd.DataFrame({"id": np.arange(n, dtype="int64"), "v": rng.normal(size=n), "name": ["x"] * n})
    df = spark.createDataFrame(pdf)
    assert _segment_descriptors(pid) == before  # nothing is placed until a UDF reads it

    @F.pandas_udf("double")
    def plus_one(v: pd.Series) -> pd.Series:
        return v + 1

    in_segment = F.pandas_udf(_in_segment_function(), "double")

    def run():
        out = df.select("id", plus_one("v").alias("a"), in_segment("v").alias("in_segment")).toPandas()
        return out.sort_values("id").reset_index(drop=True)

    shared = run()
    assert _segment_descriptors(pid) == before + 1  # v, the UDFs' argument, of its one partition
    socket_path()
    through_socket = run()
    assert shared.in_segment.sum() == n  # every message came straight from the stored column
    assert through_socket.in_segment.sum() == 0
    for got in (shared, through_socket):
        np.testing.assert_array_equal(got.id.to_numpy(), pdf.id.to_numpy())
        np.testing.assert_array_equal(got.a.to_numpy(), (pdf.v + 1).to_numpy())

    _release(spark, df)
    assert _segment_descriptors(pid) == before


UTC = datetime.timezone.utc


@pytest.mark.parametrize("rows_per_call", [None, "1001"])
def test_fixed_width_types_with_nulls_in_unaligned_batches(spark, socket_path, rows_per_call):
    # Uploaded in batches of odd sizes, so stored batches and messages start at rows that are not
    # multiples of 8; with 1001 rows per call every message is a slice at such a row.
    sizes = [999, 70_001, 33_333, 65_539, 131_071, 7]
    n = sum(sizes)
    rng = np.random.default_rng(5)
    valid = rng.random(n) > 0.1
    ints = rng.integers(-100, 100, size=n)
    days = rng.integers(-20_000, 20_000, size=n)
    micros = rng.integers(-2 * 10**15, 2 * 10**15, size=n)
    cents = rng.integers(-10**8, 10**8, size=n)
    mask = ~valid
    table = pa.table({
        "id": pa.array(np.arange(n, dtype="int64")),
        "b": pa.array(ints.astype("int8"), mask=mask),
        "s": pa.array((ints * 300).astype("int16"), mask=mask),
        "i": pa.array((ints * 10**6).astype("int32"), mask=mask),
        "l": pa.array(ints.astype("int64") * 10**12, mask=mask),
        "f": pa.array((ints / 4).astype("float32"), mask=mask),
        "d": pa.array(ints / 8, mask=mask),
        "flag": pa.array(ints > 0, mask=mask),
        "day": pa.array(days.astype("int32"), mask=mask).cast(pa.date32()),
        "ts": pa.array(micros, mask=mask).cast(pa.timestamp("us", tz="UTC")),
        "dec": pa.array([decimal.Decimal(int(c)).scaleb(-2) for c in cents], type=pa.decimal128(12, 2), mask=mask),
    })
    batches, at = [], 0
    for size in sizes:
        batches.append(table.slice(at, size).combine_chunks().to_batches()[0])
        at += size
    pid = _server_pid(spark)
    before = _segment_descriptors(pid)
    df = spark.createDataFrame(pa.Table.from_batches(batches))

    @F.pandas_udf("long")
    def total(b: pd.Series, s: pd.Series, i: pd.Series, l: pd.Series) -> pd.Series:
        return (b + s + i + l).astype("Int64")

    @F.pandas_udf("double")
    def quarter(f: pd.Series, d: pd.Series) -> pd.Series:
        return f.astype("float64") * 4 + d * 8

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

    in_segment = F.pandas_udf(_in_segment_function(), "double")

    def run():
        out = df.select("id", total("b", "s", "i", "l").alias("total"), quarter("f", "d").alias("quarter"),
                        negated("flag").alias("negated"), next_day("day").alias("next_day"),
                        plus_second("ts").alias("plus_second"), same("dec").alias("dec"),
                        in_segment("id").alias("in_segment")).toArrow()
        return out.sort_by("id")

    if rows_per_call:
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", rows_per_call)
    try:
        shared = run()
        assert _segment_descriptors(pid) == before + 1  # one partition, its columns placed together
        socket_path()
        through_socket = run()
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
    assert pa.compute.sum(shared.column("in_segment")).as_py() == n
    assert pa.compute.sum(through_socket.column("in_segment")).as_py() == 0
    assert shared.drop(["in_segment"]).equals(through_socket.drop(["in_segment"]))

    def with_nulls(values: list) -> list:
        return [None if not ok else v for v, ok in zip(values, valid)]

    assert shared.column("id").to_pylist() == list(range(n))
    assert shared.column("total").to_pylist() == with_nulls((ints.astype("int64") * (1 + 300 + 10**6 + 10**12)).tolist())
    assert shared.column("quarter").to_pylist() == with_nulls((ints / 4 * 4 + ints / 8 * 8).tolist())
    assert shared.column("negated").to_pylist() == with_nulls((ints <= 0).tolist())
    epoch = datetime.date(1970, 1, 1)
    assert shared.column("next_day").to_pylist() == with_nulls([epoch + datetime.timedelta(days=int(d) + 1) for d in days])
    stamps = [datetime.datetime(1970, 1, 1, tzinfo=UTC) + datetime.timedelta(microseconds=int(m) + 10**6) for m in micros]
    assert [None if v is None else v.astimezone(UTC) for v in shared.column("plus_second").to_pylist()] == with_nulls(stamps)
    assert shared.column("dec").to_pylist() == with_nulls([decimal.Decimal(int(c)).scaleb(-2) for c in cents])

    _release(spark, df)
    assert _segment_descriptors(pid) == before


def test_a_kept_input_stays_intact_after_its_dataframe_is_dropped(spark):
    pid = _server_pid(spark)
    before = _segment_descriptors(pid)
    n = 600_000
    df = spark.createDataFrame(pd.DataFrame({"id": np.arange(n, dtype="int64")}))
    in_segment = _in_segment_function()

    @F.pandas_udf("double")
    def keeps(v: pd.Series) -> pd.Series:
        import sys

        kept = sys.__dict__.setdefault("_quiver_test_kept_segment_inputs", [])
        kept.append((v, int(v.iloc[0])))
        return in_segment(v)

    got = df.select(keeps("id").alias("r")).agg(F.sum("r")).collect()[0][0]
    assert got == n  # the kept Series are views of the segment
    _release(spark, df)

    # The next tasks tell the workers the segments were freed; they drop their mappings, and the
    # kept Series keep theirs alive: the values are intact, and still in the (now nameless) mapping.
    @F.pandas_udf("double")
    def check(v: pd.Series) -> pd.Series:
        import sys

        kept = sys.__dict__.get("_quiver_test_kept_segment_inputs", [])
        for series, start in kept:
            if not np.array_equal(series.to_numpy(), np.arange(start, start + len(series))):
                raise AssertionError(f"a kept input Series starting at {start} changed after its DataFrame was dropped")
            if in_segment(series.iloc[:1]).iloc[0] != 1.0:
                raise AssertionError("a kept input Series no longer lies in its segment's mapping")
        return pd.Series(np.full(len(v), float(len(kept))))

    for _ in range(2):
        checked = spark.range(0, 40_000, 1, 8).select(check("id").alias("k")).agg(F.max("k")).collect()[0][0]
        assert checked > 0
    assert _segment_descriptors(pid) == before

    @F.pandas_udf("double")
    def forget(v: pd.Series) -> pd.Series:
        import sys

        sys.__dict__.pop("_quiver_test_kept_segment_inputs", None)
        return v * 0.0

    spark.range(0, 40_000, 1, 8).select(forget("id")).collect()


def test_failures_over_shared_segments_leave_the_pool_usable_and_nothing_open(spark):
    pid = _server_pid(spark)
    before = _segment_descriptors(pid)
    n = 1_000_000
    df = spark.createDataFrame(pd.DataFrame({"id": np.arange(n, dtype="int64")}))

    @F.pandas_udf("double")
    def fails_late(v: pd.Series) -> pd.Series:
        if int(v.iloc[-1]) >= 900_000:  # a later message, whatever the rows per message
            raise ValueError("no more")
        return v + 0.5

    with pytest.raises(Exception, match="no more"):
        df.select(fails_late("id").alias("r")).agg(F.sum("r")).collect()

    @F.pandas_udf("double")
    def dies(v: pd.Series) -> pd.Series:
        if int(v.iloc[-1]) >= 900_000:  # a later message, whatever the rows per message
            os._exit(9)
        return v + 0.5

    with pytest.raises(Exception, match="died|exit status 9"):
        df.select(dies("id").alias("r")).agg(F.sum("r")).collect()

    in_segment = F.pandas_udf(_in_segment_function(), "double")

    @F.pandas_udf("double")
    def plus_half(v: pd.Series) -> pd.Series:
        return v + 0.5

    got = df.select(in_segment("id").alias("s"), plus_half("id").alias("r")).agg(F.sum("s"), F.sum("r")).collect()[0]
    assert got[0] == n
    assert got[1] == float(np.arange(n, dtype="float64").sum() + 0.5 * n)

    _release(spark, df)
    assert _segment_descriptors(pid) == before


def test_a_dataframe_dropped_while_a_query_reads_it(spark):
    # The query's tasks hold the stored batches (and so the segments) they read; the drop frees
    # them once the query is done, and its answer is complete and right.
    import threading

    pid = _server_pid(spark)
    before = _segment_descriptors(pid)
    n = 1_000_000
    df = spark.createDataFrame(pd.DataFrame({"id": np.arange(n, dtype="int64")}))

    @F.pandas_udf("double")
    def zero(v: pd.Series) -> pd.Series:
        return v * 0.0

    df.select(zero("id")).collect()  # places the column
    assert _segment_descriptors(pid) == before + 1
    started = threading.Event()

    @F.pandas_udf("double")
    def slow(v: pd.Series) -> pd.Series:
        import time

        time.sleep(0.3)
        return v * 2.0

    result: list = []

    def query() -> None:
        started.set()
        result.append(df.select(slow("id").alias("r")).agg(F.sum("r"), F.count("*")).collect()[0])

    thread = threading.Thread(target=query)
    thread.start()
    started.wait()
    import time

    time.sleep(0.2)
    _release(spark, df)
    assert thread.is_alive()  # dropped mid-query
    thread.join(60)
    assert result and result[0][1] == n
    assert result[0][0] == float(np.arange(n, dtype="float64").sum() * 2)
    assert _segment_descriptors(pid) == before
