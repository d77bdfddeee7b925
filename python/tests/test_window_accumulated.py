"""Aggregates without a frame algorithm of their own over windows (exec/window_accumulate.go):
collect_list, stddev, variance, kurtosis, approx_count_distinct, ..., and those Spark composes of
others (max_by, string_agg, percentile, median, mode). Frames that grow, slide, run ahead into empty frames
and cover the whole partition, over partitions of a few hundred rows so that frames are built
from several levels of block states. Answers come from DuckDB, or from pandas where DuckDB's
function differs from Spark's (kurtosis)."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from quiver.errors import AnalysisException
from quiver.sql import functions as F
from quiver.sql.window import Window

N = 1500


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(7)
    value = rng.normal(size=N)
    value[rng.choice(N, 60, replace=False)] = np.nan  # nulls, as pyarrow reads NaN from pandas
    return pa.table({
        "k": pa.array(rng.integers(0, 4, N)),
        "o": pa.array(rng.permutation(N)),
        "v": pa.array(value, from_pandas=True),
        "s": pa.array([f"s{i % 17}" if i % 23 else None for i in range(N)]),
    })


@pytest.fixture(scope="module")
def frame(spark, table):
    return spark.createDataFrame(table)


def duck(table: pa.Table, select: str) -> pa.Table:
    con = duckdb.connect()
    con.register("t", table)
    return con.execute(f"SELECT k, o, {select} FROM t ORDER BY k, o").to_arrow_table()


def ours(df, *columns) -> pa.Table:
    return df.select("k", "o", *columns).orderBy("k", "o").toArrow()


def assert_close(got: list, want: list, what: str) -> None:
    assert len(got) == len(want), what
    for i, (g, w) in enumerate(zip(got, want)):
        if g is None or w is None:
            assert g is None and w is None, f"{what} row {i}: got {g}, want {w}"
        elif isinstance(w, float):
            assert math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-12), f"{what} row {i}: got {g}, want {w}"
        else:
            assert g == w, f"{what} row {i}: got {g}, want {w}"


FRAMES = [
    # (name, Window builder, DuckDB frame)
    ("running", lambda w: w.rowsBetween(Window.unboundedPreceding, Window.currentRow),
     "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
    ("sliding", lambda w: w.rowsBetween(-40, 7), "ROWS BETWEEN 40 PRECEDING AND 7 FOLLOWING"),
    ("ahead", lambda w: w.rowsBetween(3, 5), "ROWS BETWEEN 3 FOLLOWING AND 5 FOLLOWING"),
    ("to the end", lambda w: w.rowsBetween(-2, Window.unboundedFollowing),
     "ROWS BETWEEN 2 PRECEDING AND UNBOUNDED FOLLOWING"),
    ("whole", lambda w: w.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing),
     "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"),
]


@pytest.mark.parametrize("name,frame_of,duck_frame", FRAMES, ids=[f[0] for f in FRAMES])
def test_aggregates_over_frames_match_duckdb(frame, table, name, frame_of, duck_frame):
    w = frame_of(Window.partitionBy("k").orderBy("o"))
    got = ours(frame,
               F.collect_list("v").over(w).alias("list"),
               F.stddev("v").over(w).alias("sd"),
               F.var_pop("v").over(w).alias("vp"),
               F.max_by("o", "v").over(w).alias("mb"),
               F.string_agg("s", ",").over(w).alias("sa"),
               F.percentile("v", 0.5).over(w).alias("med"),
               F.approx_count_distinct("s").over(w).alias("n"))
    over = f"OVER (PARTITION BY k ORDER BY o {duck_frame})"
    want = duck(table, f"list_filter(list(v) {over}, x -> x IS NOT NULL), stddev_samp(v) {over}, var_pop(v) {over}, arg_max(o, v) {over}, "
                       f"string_agg(s, ',') {over}, quantile_cont(v, 0.5) {over}, count(DISTINCT s) {over}")
    assert_close(got["list"].to_pylist(), [x or [] for x in want.column(2).to_pylist()], f"collect_list {name}")
    # approx_count_distinct: 17 distinct values at most, within the sketch's 5% and exact this small.
    for column, index in [("sd", 3), ("vp", 4), ("mb", 5), ("sa", 6), ("med", 7), ("n", 8)]:
        assert_close(got[column].to_pylist(), want.column(index).to_pylist(), f"{column} {name}")


def test_kurtosis_and_mode_over_a_sliding_frame_match_pandas(frame, table):
    w = Window.partitionBy("k").orderBy("o").rowsBetween(-30, 30)
    got = ours(frame, F.kurtosis("v").over(w).alias("ku"), F.mode("s").over(Window.partitionBy("k")).alias("mode"))
    pdf = table.to_pandas().sort_values(["k", "o"]).reset_index(drop=True)
    want_ku, want_mode = [], []
    for _, part in pdf.groupby("k", sort=True):
        values = part["v"].to_numpy()
        counts = part["s"].value_counts()
        top = counts[counts == counts.max()].index
        for i in range(len(part)):
            x = values[max(0, i - 30):i + 31]
            x = x[~np.isnan(x)]
            m2 = ((x - x.mean()) ** 2).mean() if len(x) else 0.0
            # Spark's kurtosis: the population excess kurtosis, null without values, NaN with one.
            want_ku.append(None if len(x) == 0 else (((x - x.mean()) ** 4).mean() / m2 ** 2 - 3 if m2 else math.nan))
            want_mode.append(set(top))
    got_ku = got["ku"].to_pylist()
    for i, (g, w) in enumerate(zip(got_ku, want_ku)):
        if w is None or (isinstance(w, float) and math.isnan(w)):
            assert g is None or math.isnan(g), f"row {i}: got {g}, want {w}"
        else:
            assert math.isclose(g, w, rel_tol=1e-7, abs_tol=1e-9), f"row {i}: got {g}, want {w}"
    assert all(g in w for g, w in zip(got["mode"].to_pylist(), want_mode))


def test_peer_frames_and_sets(frame, table):
    # RANGE frames reach the last row with an equal order key: o // 10 has ties.
    w = Window.partitionBy("k").orderBy(F.col("o") % 10)
    got = frame.select("k", "o", F.array_sort(F.collect_set("s").over(w)).alias("set"),
                       F.approx_count_distinct("s").over(w).alias("n")).orderBy("k", "o").toArrow()
    want = duck(table, "list_sort(list_filter(list(DISTINCT s) OVER (PARTITION BY k ORDER BY o % 10), x -> x IS NOT NULL)) AS set, "
                       "count(DISTINCT s) OVER (PARTITION BY k ORDER BY o % 10) AS n")
    assert got["set"].to_pylist() == [x or [] for x in want["set"].to_pylist()]
    # 17 distinct values at most: within the sketch's 5% relative error, and exact this small.
    assert got["n"].to_pylist() == want["n"].to_pylist()


def test_sql_windows_over_composed_aggregates(spark, frame, table):
    frame.createOrReplaceTempView("accumulated")
    got = spark.sql("SELECT k, o, max_by(o, v) OVER (PARTITION BY k ORDER BY o) AS mb, "
                    "collect_list(s) OVER (PARTITION BY k ORDER BY o ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS l, "
                    "stddev(v) OVER (PARTITION BY k) AS sd FROM accumulated ORDER BY k, o").toArrow()
    want = duck(table, "arg_max(o, v) OVER (PARTITION BY k ORDER BY o) AS mb, "
                       "list_filter(list(s) OVER (PARTITION BY k ORDER BY o ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), x -> x IS NOT NULL) AS l, "
                       "stddev_samp(v) OVER (PARTITION BY k) AS sd")
    assert got["mb"].to_pylist() == want["mb"].to_pylist()
    assert got["l"].to_pylist() == [x or [] for x in want["l"].to_pylist()]
    assert_close(got["sd"].to_pylist(), want["sd"].to_pylist(), "stddev")


def test_median_takes_no_order_or_frame(frame, table):
    # As in Spark: median is an ordered-set aggregate; over a whole partition it is allowed.
    with pytest.raises(AnalysisException, match="INVALID_WINDOW_SPEC_FOR_AGGREGATION_FUNC"):
        frame.select(F.median("v").over(Window.partitionBy("k").orderBy("o"))).collect()
    with pytest.raises(AnalysisException, match="INVALID_WINDOW_SPEC_FOR_AGGREGATION_FUNC"):
        frame.select(F.median("v").over(Window.partitionBy("k").rowsBetween(-1, 1))).collect()
    got = ours(frame, F.median("v").over(Window.partitionBy("k")).alias("m"))
    want = duck(table, "median(v) OVER (PARTITION BY k)")
    assert_close(got["m"].to_pylist(), want.column(2).to_pylist(), "median")


def test_distinct_aggregates_are_refused_over_windows(frame):
    with pytest.raises(AnalysisException, match="DISTINCT_WINDOW_FUNCTION_UNSUPPORTED"):
        frame.select(F.countDistinct("s").over(Window.partitionBy("k"))).collect()

