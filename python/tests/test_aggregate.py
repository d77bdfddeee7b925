"""Aggregation against DuckDB and pandas: groupBy/agg with nulls and NaN, global aggregates,
DISTINCT, pivot, distinct/dropDuplicates, describe, na.fill/drop, caching, Spark's names and
errors. Inputs are repartitioned so the two-phase (partial, shuffle, final) plan runs."""

from __future__ import annotations

import decimal
import math

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from quiver.errors import AnalysisException, ArithmeticException
from quiver.sql import functions as F
from quiver.storagelevel import StorageLevel


def _norm(v):
    if v is None:
        return ("0",)
    if isinstance(v, float) and math.isnan(v):
        return ("1",)
    if isinstance(v, float):
        return ("2", round(v, 9))
    if isinstance(v, (int, decimal.Decimal)):
        return ("2", float(v))
    if isinstance(v, list):
        return ("4", tuple(_norm(x) for x in v))
    return ("3", str(v))


def rows(table: pa.Table) -> list[tuple]:
    cols = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return sorted((tuple(_norm(v) for v in r) for r in zip(*cols)))


def duck_rows(sql: str, **tables) -> list[tuple]:
    con = duckdb.connect()
    for name, t in tables.items():
        con.register(name, t)
    return sorted(tuple(_norm(v) for v in r) for r in con.execute(sql).fetchall())


@pytest.fixture(scope="module")
def data() -> pa.Table:
    rng = np.random.default_rng(7)
    n = 2000
    k = rng.integers(0, 13, n).astype(object)
    k[rng.random(n) < 0.05] = None
    s = np.array([f"s{v}" for v in rng.integers(0, 40, n)], dtype=object)
    s[rng.random(n) < 0.1] = None
    x = rng.normal(10, 3, n)
    x[rng.random(n) < 0.1] = np.nan
    xv = [None if i % 17 == 0 else float(v) for i, v in enumerate(x)]
    d = rng.integers(-1000, 1000, n)
    return pa.table({
        "k": pa.array(list(k), pa.int64()),
        "s": pa.array(list(s), pa.string()),
        "x": pa.array(xv, pa.float64()),
        "d": pa.array(d, pa.int32()),
    })


@pytest.fixture(scope="module")
def df(spark, data):
    return spark.createDataFrame(data).repartition(3)


def test_group_by_many_functions_match_duckdb(df, data):
    out = df.groupBy("k").agg(
        F.count("*"), F.count("x"), F.sum("d"), F.avg("d"), F.min("s"), F.max("s"),
        F.min("d"), F.max("d"), F.countDistinct("s"), F.sum("x"),
    )
    assert out.columns == ["k", "count(1)", "count(x)", "sum(d)", "avg(d)", "min(s)", "max(s)", "min(d)",
                           "max(d)", "count(DISTINCT s)", "sum(x)"]
    # DuckDB's sum over doubles with NaN is NaN too; nulls are skipped in both.
    expected = duck_rows(
        "select k, count(*), count(x), sum(d), avg(d), min(s), max(s), min(d), max(d), count(distinct s), sum(x) "
        "from t group by k", t=data)
    assert rows(out.toArrow()) == expected


def test_result_types_follow_spark(df):
    schema = df.groupBy("k").agg(F.sum("d"), F.avg("d"), F.count("d"), F.max("s"), F.sum("x")).schema
    assert [f.dataType.simpleString() for f in schema.fields] == ["bigint", "bigint", "double", "bigint", "string", "double"]


def test_moments_match_pandas(df, data):
    out = df.groupBy("k").agg(F.stddev("d"), F.stddev_pop("d"), F.variance("d"), F.var_pop("d")).toArrow()
    got = {r[0]: r[1:] for r in zip(*[out.column(i).to_pylist() for i in range(out.num_columns)])}
    pdf = data.to_pandas()
    for key, grp in pdf.groupby("k", dropna=False):
        key = None if (isinstance(key, float) and math.isnan(key)) else int(key)
        want = (grp["d"].std(ddof=1), grp["d"].std(ddof=0), grp["d"].var(ddof=1), grp["d"].var(ddof=0))
        for g, w in zip(got[key], want):
            assert g == pytest.approx(w, rel=1e-9)


def test_nan_propagates_through_moments_and_max(spark):
    df = spark.createDataFrame(pa.table({"v": pa.array([1.0, float("nan"), 3.0])}))  # a real NaN, not null
    row = df.agg(F.stddev("v").alias("sd"), F.max("v").alias("mx"), F.min("v").alias("mn")).collect()[0]
    assert math.isnan(row["sd"]) and math.isnan(row["mx"]) and row["mn"] == 1.0


def test_single_row_sample_statistics_are_null(spark):
    df = spark.createDataFrame(pd.DataFrame({"k": [1, 2, 2], "v": [5.0, 1.0, 3.0]}))
    out = df.groupBy("k").agg(F.stddev("v").alias("sd"), F.var_pop("v").alias("vp")).orderBy("k").collect()
    assert out[0]["sd"] is None and out[0]["vp"] == 0.0
    assert out[1]["sd"] == pytest.approx(math.sqrt(2.0))


def test_global_aggregates_and_empty_input(spark, df, data):
    got = df.agg(F.count("*").alias("n"), F.sum("d").alias("s"), F.max("x").alias("m")).collect()[0]
    assert got["n"] == data.num_rows
    assert got["s"] == sum(v for v in data.column("d").to_pylist())
    empty = df.filter(F.col("d") > 10_000)
    row = empty.agg(F.count("*").alias("n"), F.sum("d").alias("s"), F.avg("x").alias("a"),
                    F.collect_list("d").alias("l")).collect()
    assert len(row) == 1
    assert row[0]["n"] == 0 and row[0]["s"] is None and row[0]["a"] is None and row[0]["l"] == []
    assert empty.groupBy("k").count().count() == 0
    # A select with aggregates is a global aggregate.
    assert df.select(F.max("d")).collect()[0][0] == max(data.column("d").to_pylist())


def test_group_by_expression_and_shortcuts(df, data):
    out = df.groupBy((F.col("d") % 3).alias("m")).count()
    assert out.columns == ["m", "count"]
    assert rows(out.toArrow()) == duck_rows("select d % 3, count(*) from t group by 1", t=data)
    sums = df.groupBy("k").sum("d", "x")
    assert sums.columns == ["k", "sum(d)", "sum(x)"]
    avg = df.groupBy("k").mean("d")
    assert avg.columns == ["k", "avg(d)"]
    # PySpark orders agg(dict) columns as its JVM hash map iterates (min(s) before max(d)).
    by_dict = df.groupBy("k").agg({"d": "max", "s": "min"})
    assert by_dict.columns == ["k", "min(s)", "max(d)"]
    assert rows(by_dict.toArrow()) == duck_rows("select k, min(s), max(d) from t group by k", t=data)


def test_collect_first_last_and_approx(df, data):
    out = df.groupBy("k").agg(F.collect_list("d").alias("l"), F.collect_set("s").alias("st"),
                              F.first("s", ignorenulls=True).alias("f"), F.approx_count_distinct("s").alias("a"))
    table = out.toArrow().to_pylist()
    pdf = data.to_pandas()
    for r in table:
        grp = pdf[pdf["k"].isna()] if r["k"] is None else pdf[pdf["k"] == r["k"]]
        assert sorted(r["l"]) == sorted(grp["d"].tolist())
        assert sorted(r["st"]) == sorted(set(grp["s"].dropna()))
        assert r["f"] in set(grp["s"].dropna())
        exact = grp["s"].nunique()
        assert abs(r["a"] - exact) <= max(2, 0.1 * exact)


def test_decimal_sum_and_avg(spark):
    values = [decimal.Decimal("1.25"), decimal.Decimal("2.50"), None, decimal.Decimal("-0.75")]
    t = pa.table({"g": [1, 1, 1, 2], "v": pa.array(values, pa.decimal128(5, 2))})
    out = spark.createDataFrame(t).groupBy("g").agg(F.sum("v").alias("s"), F.avg("v").alias("a"))
    assert [f.dataType.simpleString() for f in out.schema.fields] == ["bigint", "decimal(15,2)", "decimal(9,6)"]
    got = {r["g"]: (r["s"], r["a"]) for r in out.collect()}
    assert got[1] == (decimal.Decimal("3.75"), decimal.Decimal("1.875000"))
    assert got[2] == (decimal.Decimal("-0.75"), decimal.Decimal("-0.750000"))


def test_sum_overflow_raises_in_ansi_mode(spark):
    big = 2**62
    df = spark.createDataFrame(pd.DataFrame({"v": [big, big, big]}))
    with pytest.raises(ArithmeticException, match="ARITHMETIC_OVERFLOW"):
        df.agg(F.sum("v")).collect()


def test_missing_aggregation_is_an_analysis_error(df):
    with pytest.raises(AnalysisException, match="MISSING_AGGREGATION"):
        df.groupBy("k").agg(F.col("d") + F.sum("d")).collect()
    with pytest.raises(AnalysisException, match="NESTED_AGGREGATE_FUNCTION"):
        df.agg(F.sum(F.max("d"))).collect()


def test_distinct_and_drop_duplicates(df, data):
    assert rows(df.select("k", "s").distinct().toArrow()) == duck_rows("select distinct k, s from t", t=data)
    dedup = df.dropDuplicates(["k"])
    assert dedup.columns == ["k", "s", "x", "d"]
    got = dedup.toArrow().to_pylist()
    assert sorted(map(_norm, (r["k"] for r in got))) == sorted(map(_norm, set(data.column("k").to_pylist())))
    # Every kept row is a real input row (the first of its key, not a mix of rows).
    originals = set(rows(data))
    assert all(tuple(_norm(r[c]) for c in ("k", "s", "x", "d")) in originals for r in got)
    assert df.drop_duplicates().count() == len(set(rows(data)))


def test_pivot_with_given_and_computed_values(spark):
    pdf = pd.DataFrame({"year": [2020, 2020, 2021, 2021, 2021], "course": ["java", "py", "py", "py", "java"],
                        "earn": [10, 20, 30, 40, 50]})
    df = spark.createDataFrame(pdf).repartition(2)
    out = df.groupBy("year").pivot("course").sum("earn").orderBy("year")
    assert out.columns == ["year", "java", "py"]
    assert [tuple(r) for r in out.collect()] == [(2020, 10, 20), (2021, 50, 70)]
    two = df.groupBy("year").pivot("course", ["py"]).agg(F.sum("earn").alias("s"), F.count("*").alias("n"))
    assert two.columns == ["year", "py_s", "py_n"]
    counts = df.filter(F.col("year") == 2020).groupBy("year").pivot("course", ["java", "rust"]).count()
    assert [tuple(r) for r in counts.collect()] == [(2020, 1, None)]


def test_describe_matches_pandas(spark):
    pdf = pd.DataFrame({"a": [1.0, 2.0, 4.0, None], "b": [3, 1, 2, 5], "s": ["x", "y", None, "z"]})
    out = spark.createDataFrame(pdf).describe().toPandas().set_index("summary")
    assert list(out.columns) == ["a", "b", "s"]
    ref = pdf[["a", "b"]].describe()
    for c in ("a", "b"):
        assert int(out.loc["count", c]) == int(ref.loc["count", c])
        for stat, name in (("mean", "mean"), ("stddev", "std"), ("min", "min"), ("max", "max")):
            assert float(out.loc[stat, c]) == pytest.approx(ref.loc[name, c])
    assert out.loc["count", "s"] == "3" and out.loc["min", "s"] == "x" and out.loc["max", "s"] == "z"
    assert pd.isna(out.loc["mean", "s"])


def test_na_fill_and_drop_match_pandas(spark):
    pdf = pd.DataFrame({"a": [1.0, None, float("nan"), 4.0], "b": [None, 2, 3, 4], "s": ["x", None, "z", None]})
    df = spark.createDataFrame(pdf)
    filled = df.na.fill(0).toArrow().to_pydict()
    assert filled["a"] == [1.0, 0.0, 0.0, 4.0]
    assert filled["b"] == [0, 2, 3, 4]
    assert filled["s"] == ["x", None, "z", None]
    assert df.fillna("?", subset=["s"]).toArrow().to_pydict()["s"] == ["x", "?", "z", "?"]
    assert df.fillna({"b": 9, "s": "-"}).toArrow().to_pydict()["s"] == ["x", "-", "z", "-"]
    assert df.na.drop().count() == 0
    assert df.dropna(how="all").count() == 4
    assert df.dropna(subset=["a"]).count() == 2
    assert df.dropna(thresh=2).count() == len(pdf.dropna(thresh=2))


def test_cache_persist_checkpoint(spark, df, data):
    agg = df.groupBy("k").agg(F.sum("d").alias("s"))
    expected = rows(agg.toArrow())
    assert agg.cache() is agg and agg.is_cached
    assert agg.storageLevel == StorageLevel.MEMORY_AND_DISK_DESER
    assert rows(agg.toArrow()) == expected
    assert rows(agg.filter(F.col("s") > 0).toArrow()) == sorted(r for r in expected if r[1][1] > 0)
    agg.unpersist()
    assert not agg.is_cached and rows(agg.toArrow()) == expected
    p = df.persist(StorageLevel.MEMORY_ONLY)
    assert p.storageLevel == StorageLevel.MEMORY_ONLY and p.count() == data.num_rows
    p.unpersist()
    assert rows(agg.checkpoint().toArrow()) == expected


def test_explain_shows_stages_and_analyze_metrics(df):
    agg = df.groupBy("k").agg(F.sum("d"))
    text = agg._explain_string(mode="formatted")
    assert "HashAggregate(partial)" in text and "HashAggregate(final)" in text and "Stage" in text
    analyzed = agg._explain_string(mode="analyze")
    assert "rows in=" in analyzed and "[succeeded]" in analyzed
