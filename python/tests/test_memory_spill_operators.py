"""Window, INTERSECT/EXCEPT and nested-loop joins under a small memory limit set through the
session builder (spark.quiver.memory.limit): each runs over input several times the limit and
matches DuckDB. The window emits the window partitions it holds completely; the set operation
and the nested-loop join spill to Arrow IPC files (explain("analyze") shows the spill) and
delete them afterwards."""

from __future__ import annotations

import os
import re

import numpy as np
import pyarrow as pa
import pytest

from e2_reference import duck
from quiver.sql import SparkSession, Window, functions as F

LIMIT = 1 << 20  # 1 MiB


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    spill_dir = tmp_path_factory.mktemp("spill")
    os.environ["QUIVER_SPILL_DIR"] = str(spill_dir)
    try:
        session = SparkSession.builder.config("spark.quiver.memory.limit", "1MiB").create()
    finally:
        del os.environ["QUIVER_SPILL_DIR"]
    yield session, spill_dir
    session.stop()


def spilled(df) -> bool:
    text = df._explain_string("analyze")
    return any(m != "0B" for m in re.findall(r"spill=([0-9.]+[KMG]?i?B)", text))


def test_window_over_several_times_the_limit(limited):
    spark, _ = limited
    n = 400_000  # 6.4 MB of two int64 columns
    rng = np.random.default_rng(7)
    t = pa.table({"k": rng.integers(0, 20_000, n), "v": rng.integers(-1000, 1000, n), "id": np.arange(n)})
    w = Window.partitionBy("k").orderBy("id")
    df = spark.createDataFrame(t).select(
        "k", "id", F.row_number().over(w).alias("rn"), F.sum("v").over(w).alias("running"),
        F.lag("v", 1).over(w).alias("previous"), F.max("v").over(Window.partitionBy("k")).alias("top"))
    got = df.toArrow()
    want = duck("""SELECT count(*), sum(rn * id), sum(running), sum(previous), count(previous), sum(top) FROM (
        SELECT id, row_number() OVER w AS rn, sum(v) OVER w AS running, lag(v, 1) OVER w AS previous,
               max(v) OVER (PARTITION BY k) AS top FROM t WINDOW w AS (PARTITION BY k ORDER BY id))""", t=t)[0]
    rn, ids = got.column("rn").to_numpy().astype(np.int64), got.column("id").to_numpy()
    assert got.num_rows == want[0]
    assert int((rn * ids).sum()) == want[1]
    assert pa.compute.sum(got.column("running")).as_py() == want[2]
    assert pa.compute.sum(got.column("previous")).as_py() == want[3]
    assert got.num_rows - got.column("previous").null_count == want[4]
    assert pa.compute.sum(got.column("top")).as_py() == want[5]


@pytest.mark.parametrize("operation", ["intersect", "intersectAll", "subtract", "exceptAll"])
def test_set_operations_spill(limited, operation):
    spark, spill_dir = limited
    n = 300_000
    rng = np.random.default_rng(3)
    a = pa.table({"x": rng.integers(0, 150_000, n), "y": rng.integers(0, 3, n)})
    b = pa.table({"x": rng.integers(0, 150_000, n), "y": rng.integers(0, 3, n)})
    df = getattr(spark.createDataFrame(a), operation)(spark.createDataFrame(b))
    got = df.toArrow()
    sql = {"intersect": "INTERSECT", "intersectAll": "INTERSECT ALL", "subtract": "EXCEPT", "exceptAll": "EXCEPT ALL"}[operation]
    want = duck(f"SELECT count(*), sum(x), sum(y) FROM (SELECT * FROM a {sql} SELECT * FROM b)", a=a, b=b)[0]
    assert (got.num_rows, pa.compute.sum(got.column("x")).as_py(), pa.compute.sum(got.column("y")).as_py()) == want
    assert spilled(df)
    assert os.listdir(spill_dir) == []


# The planner builds the large side (the one spilled) for these join types.
@pytest.mark.parametrize("how", ["left", "left_semi", "left_anti"])
def test_nested_loop_join_spills(limited, how):
    spark, spill_dir = limited
    rng = np.random.default_rng(5)
    small = pa.table({"a": rng.integers(0, 1_300_000, 40)})
    big = pa.table({"b": rng.integers(0, 1_000_000, 300_000), "c": np.arange(300_000)})
    left, right = spark.createDataFrame(small), spark.createDataFrame(big)
    df = left.join(right, (left.a <= right.b) & (right.b < left.a + 2000), how)
    got = df.toArrow()
    sql = {"left": "LEFT JOIN", "left_semi": "SEMI JOIN", "left_anti": "ANTI JOIN"}[how]
    if how != "left":
        want = duck(f"SELECT count(*), sum(a) FROM small {sql} big ON a <= b AND b < a + 2000", small=small, big=big)[0]
        assert (got.num_rows, pa.compute.sum(got.column("a")).as_py()) == want
    else:
        want = duck(f"SELECT count(*), sum(a), sum(c), count(c) FROM small {sql} big ON a <= b AND b < a + 2000",
                    small=small, big=big)[0]
        c = got.column("c")
        assert (got.num_rows, pa.compute.sum(got.column("a")).as_py(), pa.compute.sum(c).as_py(),
                got.num_rows - c.null_count) == want
    assert spilled(df)
    assert os.listdir(spill_dir) == []
