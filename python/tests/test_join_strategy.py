"""Broadcast or shuffled join: spark.sql.autoBroadcastJoinThreshold and the size estimates from
Parquet metadata choose the plan; every plan gives DuckDB's answer."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from e2_reference import assert_rows, duck, rows_of
from quiver.sql import functions as F

THRESHOLD = "spark.sql.autoBroadcastJoinThreshold"


@pytest.fixture(scope="module")
def parquet_tables(tmp_path_factory):
    # facts: 300,000 rows in 3 row groups; dims: 5,000 rows (about 100 KB estimated). Keys 0..5999
    # so some facts find no dimension row; every 97th fact key is null.
    rng = np.random.default_rng(7)
    n = 300_000
    keys = rng.integers(0, 6_000, n)
    facts = pa.table({
        "f_key": pa.array(keys, mask=(np.arange(n) % 97 == 0)),
        "f_value": rng.integers(0, 1_000, n),
    })
    dims = pa.table({
        "d_key": np.arange(5_000, dtype=np.int64),
        "d_name": [f"dim{i % 13}" for i in range(5_000)],
    })
    root = tmp_path_factory.mktemp("join_strategy")
    pq.write_table(facts, root / "facts.parquet", row_group_size=100_000)
    pq.write_table(dims, root / "dims.parquet")
    return root, facts, dims


def joined_plan_and_rows(spark, root, how):
    facts = spark.read.parquet(str(root / "facts.parquet"))
    dims = spark.read.parquet(str(root / "dims.parquet"))
    joined = (facts.join(dims, facts.f_key == dims.d_key, how)
              .groupBy("d_name").agg(F.count("*").alias("n"), F.sum("f_value").alias("total")))
    return joined._explain_string(), rows_of(joined)


def reference(facts, dims, how):
    sql_join = {"inner": "JOIN", "left": "LEFT JOIN", "right": "RIGHT JOIN", "full": "FULL JOIN"}[how]
    return duck(f"SELECT d_name, count(*), sum(f_value) FROM facts {sql_join} dims ON f_key = d_key "
                "GROUP BY d_name", facts=facts, dims=dims)


@pytest.mark.parametrize("how", ["inner", "left"])
def test_threshold_switches_between_broadcast_and_shuffle(spark, parquet_tables, how):
    root, facts, dims = parquet_tables
    want = reference(facts, dims, how)
    try:
        # Default (10 MiB): the 5,000-row Parquet side is broadcast, the facts are not shuffled.
        spark.conf.unset(THRESHOLD)
        plan, got = joined_plan_and_rows(spark, root, how)
        assert "BroadcastHashJoin" in plan and "ShuffledHashJoin" not in plan, plan
        assert not re.search(r"hashpartitioning\(f_key", plan), plan
        assert_rows(got, want)

        # -1 disables broadcasting: both sides are hash-partitioned on the keys.
        spark.conf.set(THRESHOLD, "-1")
        plan, got = joined_plan_and_rows(spark, root, how)
        assert "ShuffledHashJoin" in plan and "BroadcastHashJoin" not in plan, plan
        assert re.search(r"hashpartitioning\(f_key", plan) and re.search(r"hashpartitioning\(d_key", plan), plan
        assert_rows(got, want)

        # A threshold below the dimension's estimate (about 135 KB) also shuffles; Spark's units.
        spark.conf.set(THRESHOLD, "64kb")
        plan, got = joined_plan_and_rows(spark, root, how)
        assert "ShuffledHashJoin" in plan, plan
        assert_rows(got, want)

        spark.conf.set(THRESHOLD, "1m")
        plan, got = joined_plan_and_rows(spark, root, how)
        assert "BroadcastHashJoin" in plan, plan
        assert_rows(got, want)
    finally:
        spark.conf.unset(THRESHOLD)


def test_broadcast_hint_wins_over_disabled_threshold(spark, parquet_tables):
    root, facts, dims = parquet_tables
    try:
        spark.conf.set(THRESHOLD, "-1")
        f = spark.read.parquet(str(root / "facts.parquet"))
        d = spark.read.parquet(str(root / "dims.parquet"))
        joined = f.join(F.broadcast(d), f.f_key == d.d_key).groupBy("d_name").agg(F.count("*").alias("n"))
        assert "BroadcastHashJoin" in joined._explain_string()
        want = duck("SELECT d_name, count(*) FROM facts JOIN dims ON f_key = d_key GROUP BY d_name",
                    facts=facts, dims=dims)
        assert_rows(rows_of(joined), want)
    finally:
        spark.conf.unset(THRESHOLD)


def test_filtered_parquet_side_is_broadcast(spark, parquet_tables):
    """Size estimates follow filters: the facts (300,000 rows of keys and values, about 4.8 MB)
    are over a 4 MiB threshold, so a facts-to-facts join is shuffled; after an equality filter
    they are estimated at a fifth of that and broadcast."""
    root, facts, _ = parquet_tables
    try:
        spark.conf.set(THRESHOLD, "4m")
        f = spark.read.parquet(str(root / "facts.parquet"))
        g = spark.read.parquet(str(root / "facts.parquet")).select(
            F.col("f_key").alias("g_key"), F.col("f_value").alias("g_value"))
        plain = g.join(f, g.g_key == f.f_key).agg(F.sum("g_value").alias("a"), F.sum("f_value").alias("b"))
        assert "ShuffledHashJoin" in plain._explain_string()
        filtered = f.filter(F.col("f_value") == 3)
        joined = g.join(filtered, g.g_key == filtered.f_key).agg(F.count("*").alias("n"), F.sum("g_value").alias("total"))
        assert "BroadcastHashJoin" in joined._explain_string()
        want = duck("SELECT count(*), sum(g.f_value) FROM facts g JOIN facts f ON g.f_key = f.f_key "
                    "WHERE f.f_value = 3", facts=facts)
        assert_rows(rows_of(joined), want)
    finally:
        spark.conf.unset(THRESHOLD)


ADAPTIVE = "spark.sql.adaptive.enabled"


def selective_join(spark, root, how):
    # The planner assumes the range filter keeps half the facts (2.4 MB > 1 MiB: shuffled); it
    # keeps 0.5%, so at run time the filtered side is small.
    f = spark.read.parquet(str(root / "facts.parquet"))
    g = spark.read.parquet(str(root / "facts.parquet")).select(
        F.col("f_key").alias("g_key"), F.col("f_value").alias("g_value"))
    small = f.filter(F.col("f_value") < 5)
    return (g.join(small, g.g_key == small.f_key, how)
            .agg(F.count("*").alias("n"), F.sum("g_value").alias("a"), F.sum("f_value").alias("b")))


def selective_reference(facts, how):
    sql_join = {"inner": "JOIN", "left": "LEFT JOIN", "right": "RIGHT JOIN", "full": "FULL JOIN"}[how]
    return duck(f"SELECT count(*), sum(g.f_value), sum(f.f_value) FROM facts g {sql_join} "
                f"(SELECT * FROM facts WHERE f_value < 5) f ON g.f_key = f.f_key", facts=facts)


@pytest.mark.parametrize("how", ["inner", "left"])
def test_small_shuffled_side_becomes_broadcast_at_run_time(spark, parquet_tables, how):
    root, facts, _ = parquet_tables
    want = selective_reference(facts, how)
    try:
        spark.conf.set(THRESHOLD, "1m")
        joined = selective_join(spark, root, how)
        planned = joined._explain_string()
        assert "ShuffledHashJoin" in planned and "broadcast if the build side is at most 1MiB" in planned, planned
        analyzed = joined._explain_string("analyze")
        assert "BroadcastHashJoin" in analyzed and "ShuffledHashJoin" not in analyzed, analyzed
        assert re.search(r"Stage \d+: skipped", analyzed), analyzed
        assert_rows(rows_of(selective_join(spark, root, how)), want)

        spark.conf.set(ADAPTIVE, "false")
        joined = selective_join(spark, root, how)
        analyzed = joined._explain_string("analyze")
        assert "ShuffledHashJoin" in analyzed and not re.search(r"Stage \d+: skipped", analyzed), analyzed
        assert_rows(rows_of(joined), want)
    finally:
        spark.conf.unset(THRESHOLD)
        spark.conf.unset(ADAPTIVE)


@pytest.mark.parametrize("how", ["inner", "right", "full"])
def test_shuffled_join_builds_the_smaller_side_at_run_time(spark, parquet_tables, how):
    """Without adaptive broadcasting the join stays shuffled; the estimates say the left side
    (all facts behind a filter taken to keep a quarter) is smaller and plan to build it, but at
    run time the join builds the side whose shuffle wrote fewer bytes (the 0.5% right side)."""
    root, facts, _ = parquet_tables
    try:
        spark.conf.set(THRESHOLD, "1m")
        spark.conf.set(ADAPTIVE, "false")

        def query():
            f = spark.read.parquet(str(root / "facts.parquet"))
            g = spark.read.parquet(str(root / "facts.parquet")).select(
                F.col("f_key").alias("g_key"), F.col("f_value").alias("g_value"))
            g = g.filter((F.col("g_value") >= 0) & (F.col("g_value") < 10_000))
            small = f.filter(F.col("f_value") < 5)
            return (g.join(small, g.g_key == small.f_key, how)
                    .agg(F.count("*").alias("n"), F.sum("g_value").alias("a"), F.sum("f_value").alias("b")))

        build = r"ShuffledHashJoin \[g_key#\d+\], \[f_key#\d+\], \w+, Build"
        planned = query()._explain_string()
        assert re.search(build + "Left", planned), planned
        joined = query()
        analyzed = joined._explain_string("analyze")
        assert re.search(build + "Right", analyzed), analyzed
        assert_rows(rows_of(query()), selective_reference(facts, how))
    finally:
        spark.conf.unset(THRESHOLD)
        spark.conf.unset(ADAPTIVE)
