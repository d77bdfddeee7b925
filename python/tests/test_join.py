"""Joins against DuckDB: every join type, USING columns with PySpark's column merging, Column
conditions with residual predicates, null and NaN keys, duplicate and skewed keys, empty sides,
self-joins and broadcast vs shuffled plans."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401
import pytest

from e2_reference import assert_rows, duck, rows_of
from quiver.errors import AnalysisException
from quiver.sql import functions as F

JOIN_TYPES = ["inner", "left", "right", "full", "left_semi", "left_anti"]
SQL_JOIN = {"inner": "INNER", "left": "LEFT", "right": "RIGHT", "full": "FULL OUTER",
            "left_semi": "SEMI", "left_anti": "ANTI"}


@pytest.fixture(scope="module")
def frames():
    left = pa.table({
        "k": [1, 2, 2, None, 5, 7, 7, 7, 9],
        "s": ["a", "b", "c", "d", None, "f", "g", "h", "i"],
        "v": [1.0, 2.0, float("nan"), 4.0, 5.0, None, 7.0, 8.0, 9.0],
    })
    right = pa.table({
        "k": [2, 3, None, 5, 5, 7, 7, 10],
        "w": [10.0, 20.0, 30.0, float("nan"), 50.0, 70.0, 71.0, None],
        "t": ["x", "y", "z", None, "u", "v", "q", "r"],
    })
    return left, right


def using_reference(how: str, l: pa.Table, r: pa.Table) -> list[tuple]:
    # PySpark's USING rules: one key column (left's; right's for a right join; coalesce for full)
    # then the other left columns then the other right columns; semi/anti keep the left only.
    key = {"right": "r.k", "full": "coalesce(l.k, r.k)"}.get(how, "l.k")
    cols = f"{key}, l.s, l.v" + ("" if how in ("left_semi", "left_anti") else ", r.w, r.t")
    return duck(f"SELECT {cols} FROM l {SQL_JOIN[how]} JOIN r ON l.k = r.k", l=l, r=r)


@pytest.mark.parametrize("how", JOIN_TYPES)
def test_using_join_every_type(spark, frames, how):
    l, r = frames
    got = spark.createDataFrame(l).join(spark.createDataFrame(r), "k", how)
    want_cols = ["k", "s", "v"] + ([] if how in ("left_semi", "left_anti") else ["w", "t"])
    assert got.columns == want_cols
    assert_rows(rows_of(got), using_reference(how, l, r))


@pytest.mark.parametrize("how", JOIN_TYPES)
def test_condition_join_with_residual(spark, frames, how):
    l, r = frames
    ldf, rdf = spark.createDataFrame(l), spark.createDataFrame(r)
    got = ldf.join(rdf, (ldf["k"] == rdf["k"]) & (ldf["v"] < rdf["w"]), how)
    cols = "l.*" if how in ("left_semi", "left_anti") else "l.*, r.*"
    # Spark orders NaN above every number; DuckDB does too, so v < w agrees on NaN.
    want = duck(f"SELECT {cols} FROM l {SQL_JOIN[how]} JOIN r ON l.k = r.k AND l.v < r.w", l=l, r=r)
    assert_rows(rows_of(got), want)


@pytest.mark.parametrize("how", ["inner", "left", "full", "left_anti"])
def test_non_equi_join(spark, frames, how):
    l, r = frames
    ldf, rdf = spark.createDataFrame(l), spark.createDataFrame(r)
    got = ldf.join(rdf, ldf["v"] > rdf["w"] / 10, how)
    cols = "l.*" if how == "left_anti" else "l.*, r.*"
    # `IS TRUE` leaves the condition's meaning alone: DuckDB 1.5 runs a lone inner comparison as an
    # inequality join that drops the NaN rows its own `>` orders above every number (decision 0029).
    want = duck(f"SELECT {cols} FROM l {SQL_JOIN[how]} JOIN r ON (l.v > r.w / 10) IS TRUE", l=l, r=r)
    assert_rows(rows_of(got), want)


def test_list_of_names_and_list_of_columns(spark):
    l = pa.table({"a": [1, 1, 2, 2], "b": ["x", "y", "x", None], "v": [1, 2, 3, 4]})
    r = pa.table({"a": [1, 2, 2], "b": ["x", "x", None], "w": [10, 20, 30]})
    ldf, rdf = spark.createDataFrame(l), spark.createDataFrame(r)
    by_names = ldf.join(rdf, ["a", "b"])
    assert by_names.columns == ["a", "b", "v", "w"]
    want = duck("SELECT l.a, l.b, l.v, r.w FROM l JOIN r ON l.a = r.a AND l.b = r.b", l=l, r=r)
    assert_rows(rows_of(by_names), want)
    by_columns = ldf.join(rdf, [ldf.a == rdf.a, ldf.b == rdf.b], "left")
    want = duck("SELECT * FROM l LEFT JOIN r ON l.a = r.a AND l.b = r.b", l=l, r=r)
    assert_rows(rows_of(by_columns), want)


def test_null_safe_equality_matches_nulls(spark):
    l = pa.table({"k": [1, None, 3], "v": [1, 2, 3]})
    r = pa.table({"k": [None, 3, 4], "w": [10, 30, 40]})
    ldf, rdf = spark.createDataFrame(l), spark.createDataFrame(r)
    got = ldf.join(rdf, ldf.k.eqNullSafe(rdf.k))
    want = duck("SELECT * FROM l JOIN r ON l.k IS NOT DISTINCT FROM r.k", l=l, r=r)
    assert_rows(rows_of(got), want)
    assert len(want) == 2


def test_string_and_nan_keys(spark):
    l = pa.table({"s": ["a", None, "b", "a"], "f": [float("nan"), 1.0, -0.0, 2.0]})
    r = pa.table({"s": ["a", "b", None], "f": [float("nan"), 0.0, 1.0]})
    ldf, rdf = spark.createDataFrame(l), spark.createDataFrame(r)
    # Spark joins NaN with NaN and -0.0 with 0.0.
    got = rows_of(ldf.join(rdf, ["f"]))
    want = [(float("nan"), "a", "a"), (-0.0, "b", "b"), (1.0, None, None)]
    assert_rows(got, want)
    assert_rows(rows_of(ldf.join(rdf, "s")), duck("SELECT l.s, l.f, r.f FROM l JOIN r ON l.s = r.s", l=l, r=r))


@pytest.mark.parametrize("how", JOIN_TYPES + ["cross"])
def test_empty_sides(spark, frames, how):
    l, r = frames
    ldf, rdf = spark.createDataFrame(l), spark.createDataFrame(r)
    empty = rdf.filter(F.col("k") < -100)
    if how == "cross":
        assert ldf.crossJoin(empty).count() == 0
        assert empty.crossJoin(ldf).count() == 0
        return
    assert_rows(rows_of(ldf.join(empty, "k", how)), using_reference(how, l, r.slice(0, 0)))
    got = rows_of(ldf.filter(F.col("k") < -100).join(rdf, "k", how))
    want = using_reference(how, l.slice(0, 0), r)
    assert_rows(got, want)


def test_cross_join(spark, frames):
    l, r = frames
    got = spark.createDataFrame(l).crossJoin(spark.createDataFrame(r))
    assert_rows(rows_of(got), duck("SELECT * FROM l CROSS JOIN r", l=l, r=r))
    # join without a condition is a cross join too
    assert spark.createDataFrame(l).join(spark.createDataFrame(r)).count() == len(l) * len(r)


def test_skewed_keys(spark):
    rng = np.random.default_rng(7)
    l = pa.table({"k": np.where(rng.random(3000) < 0.1, 0, rng.integers(1, 500, 3000)), "v": np.arange(3000)})
    r = pa.table({"k": np.where(rng.random(2000) < 0.1, 0, rng.integers(1, 500, 2000)), "w": np.arange(2000)})
    ldf, rdf = spark.createDataFrame(l), spark.createDataFrame(r)
    for how in ["inner", "full", "left_anti"]:
        got = ldf.join(rdf, "k", how)
        want = using_reference_plain(how, l, r)
        assert_rows(rows_of(got), want)


def using_reference_plain(how: str, l: pa.Table, r: pa.Table) -> list[tuple]:
    key = {"right": "r.k", "full": "coalesce(l.k, r.k)"}.get(how, "l.k")
    cols = f"{key}, l.v" + ("" if how in ("left_semi", "left_anti") else ", r.w")
    return duck(f"SELECT {cols} FROM l {SQL_JOIN[how]} JOIN r ON l.k = r.k", l=l, r=r)


def test_self_join_with_aliases(spark):
    people = pa.table({"id": [1, 2, 3, 4], "parent": [None, 1, 1, 2], "name": list("abcd")})
    df = spark.createDataFrame(people)
    got = df.alias("c").join(df.alias("p"), F.col("c.parent") == F.col("p.id"), "left") \
        .select(F.col("c.name").alias("child"), F.col("p.name").alias("parent"))
    want = duck("SELECT c.name, p.name FROM t c LEFT JOIN t p ON c.parent = p.id", t=people)
    assert_rows(rows_of(got), want)


def test_self_join_through_derived_dataframe(spark):
    people = pa.table({"id": [1, 2, 3, 4], "parent": [None, 1, 1, 2]})
    df = spark.createDataFrame(people)
    parents = df.filter(F.col("id") < 3)
    got = df.join(parents, df["parent"] == parents["id"]).select(df["id"], parents["id"].alias("pid"))
    assert_rows(rows_of(got), [(2, 1), (3, 1), (4, 2)])


def test_self_join_same_dataframe_is_ambiguous(spark):
    df = spark.createDataFrame(pa.table({"id": [1, 2]}))
    with pytest.raises(AnalysisException, match="ambiguous"):
        df.join(df, df["id"] == df["id"]).collect()


def test_ambiguous_column_after_join(spark, frames):
    l, r = frames
    joined = spark.createDataFrame(l).join(spark.createDataFrame(r), F.col("s") == F.col("t"))
    with pytest.raises(AnalysisException, match="ambiguous"):
        joined.select("k").collect()


def test_missing_using_column(spark, frames):
    l, r = frames
    with pytest.raises(AnalysisException, match="USING column 'nope'"):
        spark.createDataFrame(l).join(spark.createDataFrame(r), "nope").collect()


def test_unknown_join_type(spark, frames):
    l, r = frames
    with pytest.raises(ValueError, match="unsupported join type"):
        spark.createDataFrame(l).join(spark.createDataFrame(r), "k", "sideways")


def test_broadcast_hint_plans_broadcast_join(spark, frames):
    l, r = frames
    ldf, rdf = spark.createDataFrame(l), spark.createDataFrame(r)
    joined = F.broadcast(ldf).join(rdf, "k", "right")
    assert "BroadcastHashJoin" in joined._explain_string()
    assert_rows(rows_of(joined), using_reference("right", l, r))


def test_large_join_is_shuffled(spark):
    # Both sides estimate above the 10 MB broadcast threshold, so the join hash-partitions both.
    n = 800_000
    rng = np.random.default_rng(1)
    l = pa.table({"k": rng.integers(0, 200_000, n), "v": np.arange(n)})
    r = pa.table({"k": rng.integers(0, 200_000, n), "w": np.arange(n)})
    ldf, rdf = spark.createDataFrame(l), spark.createDataFrame(r)
    joined = ldf.join(rdf, "k")
    plan = joined._explain_string()
    assert "ShuffledHashJoin" in plan and "hashpartitioning" in plan
    got = joined.toArrow()
    want = duck("SELECT count(*), sum(l.v), sum(r.w) FROM l JOIN r ON l.k = r.k", l=l, r=r)[0]
    assert got.num_rows == want[0]
    assert got.column("v").to_numpy().sum() == want[1] and got.column("w").to_numpy().sum() == want[2]


@pytest.mark.parametrize("how", ["full", "left_anti"])
def test_join_spills_past_memory_limit(monkeypatch, how):
    """The build side is about three times the memory limit: the join partitions both sides to
    disk (grace hash join) and still matches DuckDB."""
    from quiver.sql import SparkSession

    monkeypatch.setenv("QUIVER_MEMORY_LIMIT", "1MB")
    session = SparkSession.builder.create()
    try:
        n = 200_000
        rng = np.random.default_rng(2)
        l = pa.table({"k": rng.integers(0, n, n), "v": np.arange(n)})
        r = pa.table({"k": rng.integers(0, n, n), "w": np.arange(n)})
        joined = session.createDataFrame(l).join(session.createDataFrame(r), "k", how)
        got = joined.toArrow()
        cols = "count(*), sum(l.v)" + ("" if how == "left_anti" else ", sum(r.w), count(r.w)")
        want = duck(f"SELECT {cols} FROM l {SQL_JOIN[how]} JOIN r ON l.k = r.k", l=l, r=r)[0]
        assert got.num_rows == want[0]
        assert pa.compute.sum(got.column("v")).as_py() == want[1]
        if how != "left_anti":
            assert pa.compute.sum(got.column("w")).as_py() == want[2]
            assert got.column("w").null_count == got.num_rows - want[3]
        if how == "full":
            assert re.search(r"spill=[1-9]", joined._explain_string("analyze"))
    finally:
        session.stop()
