"""The memory limit: a server started with --memory-limit (QUIVER_MEMORY_LIMIT) runs an
aggregation over input three times the limit by spilling to Arrow IPC files, gets the right
answer (checked against numpy), reports the spill in explain("analyze") and deletes the files."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from quiver.sql import SparkSession, functions as F

LIMIT = 1 << 20  # 1 MiB
ROWS = 400_000  # 3.2 MB of int64 input, and 200k groups whose states alone exceed the limit
GROUPS = 200_000


@pytest.fixture
def limited_spark(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIVER_MEMORY_LIMIT", str(LIMIT))
    monkeypatch.setenv("QUIVER_SPILL_DIR", str(tmp_path))
    session = SparkSession.builder.create()
    yield session, tmp_path
    session.stop()


def test_aggregation_over_three_times_the_memory_limit_spills_and_is_right(limited_spark):
    spark, spill_dir = limited_spark
    assert ROWS * 8 >= 3 * LIMIT
    df = spark.range(0, ROWS, numPartitions=4).select((F.col("id") % GROUPS).alias("k"), F.col("id").alias("v"))
    agg = df.groupBy("k").agg(F.sum("v").alias("s"), F.count("*").alias("n"), F.max("v").alias("m"))
    table = agg.toArrow()
    assert table.num_rows == GROUPS
    k = np.array(table.column("k").to_pylist())
    order = np.argsort(k)
    ids = np.arange(ROWS)
    want_sum = np.bincount(ids % GROUPS, weights=ids).astype(np.int64)
    assert (k[order] == np.arange(GROUPS)).all()
    assert (np.array(table.column("s").to_pylist())[order] == want_sum).all()
    assert (np.array(table.column("n").to_pylist()) == ROWS // GROUPS).all()
    assert (np.array(table.column("m").to_pylist())[order] == np.arange(GROUPS) + GROUPS).all()
    text = agg._explain_string(mode="analyze")
    spilled = [m for m in re.findall(r"spill=([0-9.]+[KMG]?i?B)", text) if m != "0B"]
    assert spilled, text
    assert os.listdir(spill_dir) == [], "spill files must be deleted after the query"
