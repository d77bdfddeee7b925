"""Set operations, repartitioning and sampling against DuckDB/pandas: union by position with type
widening, unionByName with missing columns, intersect/except [ALL] with NULL and NaN rows,
repartition/coalesce preserving rows, deterministic Bernoulli and Poisson sampling, randomSplit."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from e2_reference import assert_rows, duck, rows_of
from quiver.errors import AnalysisException
from quiver.sql import functions as F


@pytest.fixture(scope="module")
def tables():
    a = pa.table({"x": [1, 1, 2, None, None, 3, 3, 3], "y": ["p", "p", "q", None, None, "r", "r", "s"],
                  "f": [1.0, 1.0, float("nan"), None, None, 2.0, 2.0, 0.0]})
    b = pa.table({"x": [1, None, 3, 3, 4], "y": ["p", None, "r", "r", "t"], "f": [1.0, None, 2.0, 2.0, 9.0]})
    return a, b


@pytest.mark.parametrize("method,sql", [
    ("union", "SELECT * FROM a UNION ALL SELECT * FROM b"),
    ("intersect", "SELECT * FROM a INTERSECT SELECT * FROM b"),
    ("intersectAll", "SELECT * FROM a INTERSECT ALL SELECT * FROM b"),
    ("subtract", "SELECT * FROM a EXCEPT SELECT * FROM b"),
    ("exceptAll", "SELECT * FROM a EXCEPT ALL SELECT * FROM b"),
])
def test_set_operations_match_duckdb(spark, tables, method, sql):
    a, b = tables
    got = rows_of(getattr(spark.createDataFrame(a), method)(spark.createDataFrame(b)))
    assert_rows(got, duck(sql, a=a, b=b))


def test_set_operations_over_partitions(spark, tables):
    a, b = tables
    da, db = spark.createDataFrame(a).repartition(3), spark.createDataFrame(b).repartition(2)
    assert_rows(rows_of(da.exceptAll(db)), duck("SELECT * FROM a EXCEPT ALL SELECT * FROM b", a=a, b=b))
    assert_rows(rows_of(da.intersect(db)), duck("SELECT * FROM a INTERSECT SELECT * FROM b", a=a, b=b))


def test_nan_rows_compare_equal(spark):
    t = pa.table({"f": [float("nan"), float("nan"), 1.0]})
    df = spark.createDataFrame(t)
    assert_rows(rows_of(df.intersect(df)), [(float("nan"),), (1.0,)])
    assert rows_of(df.subtract(df)) == []


def test_union_widens_types_and_names_after_first(spark):
    a = spark.createDataFrame(pa.table({"i": pa.array([1, None], pa.int32()), "s": ["a", "b"]}))
    b = spark.createDataFrame(pa.table({"l": pa.array([2**40], pa.int64()), "d": [1.5]}))
    u = a.union(b)
    assert u.columns == ["i", "s"]
    assert dict(u.dtypes) == {"i": "bigint", "s": "string"}
    assert_rows(rows_of(u), [(1, "a"), (None, "b"), (2**40, "1.5")])


def test_union_column_count_mismatch(spark):
    a = spark.createDataFrame(pa.table({"x": [1]}))
    b = spark.createDataFrame(pa.table({"x": [1], "y": [2]}))
    with pytest.raises(AnalysisException, match="same number of columns"):
        a.union(b).collect()


def test_union_by_name(spark):
    a = spark.createDataFrame(pa.table({"x": [1], "y": ["a"]}))
    b = spark.createDataFrame(pa.table({"y": ["b"], "x": [2]}))
    assert_rows(rows_of(a.unionByName(b)), [(1, "a"), (2, "b")])
    c = spark.createDataFrame(pa.table({"z": [3.5], "x": [3]}))
    with pytest.raises(AnalysisException, match="allowMissingColumns"):
        a.unionByName(c).collect()
    u = a.unionByName(c, allowMissingColumns=True)
    assert u.columns == ["x", "y", "z"]
    assert_rows(rows_of(u), [(1, "a", None), (3, None, 3.5)])


def test_repartition_and_coalesce_keep_rows(spark):
    df = spark.range(0, 1000, numPartitions=4)
    ids = list(range(1000))
    for out in [df.repartition(7), df.repartition(3, "id"), df.repartition("id"), df.coalesce(2),
                df.coalesce(10), df.repartitionByRange(5, "id"), df.repartitionByRange(3, F.col("id").desc())]:
        assert sorted(r[0] for r in rows_of(out)) == ids
    assert "Coalesce 2" in df.coalesce(2)._explain_string()
    assert "hashpartitioning" in df.repartition(3, "id")._explain_string()


def test_repartition_by_range_orders_partitions(spark):
    # Partitions of a range repartitioning hold increasing key ranges, so reading them in order
    # after sorting each partition gives a globally sorted result.
    rng = np.random.default_rng(0)
    t = pa.table({"v": rng.permutation(2000)})
    df = spark.createDataFrame(t).repartition(4).repartitionByRange(4, "v").sortWithinPartitions("v")
    assert [r[0] for r in rows_of(df)] == list(range(2000))


@pytest.mark.parametrize("replace", [False, True])
def test_sample_is_deterministic_and_near_fraction(spark, replace):
    df = spark.range(0, 20000, numPartitions=3)
    s1 = rows_of(df.sample(replace, 0.3, seed=42))
    s2 = rows_of(df.sample(replace, 0.3, seed=42))
    assert s1 == s2
    assert 0.27 * 20000 < len(s1) < 0.33 * 20000
    if not replace:
        assert len(set(s1)) == len(s1)
    else:
        assert len(set(s1)) < len(s1)
    assert rows_of(df.sample(0.3, seed=43)) != s1


def test_sample_fraction_checks(spark):
    df = spark.range(10)
    assert df.sample(0.0, seed=1).count() == 0
    assert df.sample(1.0, seed=1).count() == 10
    with pytest.raises(AnalysisException, match="between 0 and 1"):
        df.sample(False, 1.5, seed=1).collect()


def test_random_split_partitions_the_rows(spark):
    df = spark.range(0, 5000, numPartitions=2)
    parts = df.randomSplit([1.0, 2.0, 1.0], seed=11)
    rows = [sorted(r[0] for r in rows_of(p)) for p in parts]
    assert sorted(x for r in rows for x in r) == list(range(5000))
    sizes = [len(r) for r in rows]
    assert 1000 < sizes[0] < 1500 and 2200 < sizes[1] < 2800 and 1000 < sizes[2] < 1500
