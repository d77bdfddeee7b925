"""Spark SQL constructs Spark 3.4-4.x added (UNPIVOT, GROUP BY ALL, ORDER BY ALL, multi-column
PIVOT) through spark.sql, and DataFrame.unpivot/melt. Expected rows are PySpark 4.3's answers to
the same calls, stored here (recorded with /work/pyspark-venv, local[1])."""

import pytest

from quiver.errors import AnalysisException
from quiver.sql import functions as F


@pytest.fixture(scope="module")
def wide(spark):
    return spark.createDataFrame([(1, 11, 1.1, None), (2, 12, None, 2)], "id int, a int, b double, c long")


def rows(df):
    """The rows sorted, nulls last (row order is not part of the answer)."""
    return sorted((tuple(r) for r in df.collect()), key=lambda r: [(v is None, v) for v in r])


def test_dataframe_unpivot_matches_pyspark(wide):
    df = wide.unpivot("id", ["a", "b"], "var", "val")
    assert df.schema.simpleString() == "struct<id:int,var:string,val:double>"
    # Row by row, as PySpark emits them (one partition here).
    assert [tuple(r) for r in df.collect()] == [(1, "a", 11.0), (1, "b", 1.1), (2, "a", 12.0), (2, "b", None)]
    # values=None: every column that is not an id; nulls are kept (unlike SQL's default).
    assert rows(wide.unpivot(["id"], None, "var", "val")) == [
        (1, "a", 11.0), (1, "b", 1.1), (1, "c", None), (2, "a", 12.0), (2, "b", None), (2, "c", 2.0)]
    df = wide.unpivot([F.col("id"), (F.col("id") * 2).alias("d")], ["a", F.col("c")], "var", "val")
    assert df.schema.simpleString() == "struct<id:int,d:int,var:string,val:bigint>"
    assert rows(df) == [(1, 2, "a", 11), (1, 2, "c", None), (2, 4, "a", 12), (2, 4, "c", 2)]
    assert rows(wide.unpivot("id", [F.col("a") + 1], "var", "val")) == [(1, "(a + 1)", 12), (2, "(a + 1)", 13)]
    assert rows(wide.melt([], ["a", "c"], "var", "val")) == [("a", 11), ("a", 12), ("c", 2), ("c", None)]


def test_dataframe_unpivot_errors(wide):
    with pytest.raises(AnalysisException, match="UNPIVOT_REQUIRES_VALUE_COLUMNS"):
        wide.unpivot("id", [], "var", "val")
    with pytest.raises(AnalysisException, match="UNPIVOT_VALUE_DATA_TYPE_MISMATCH"):
        wide.withColumn("s", F.lit("x")).unpivot("id", ["a", "s"], "var", "val").collect()


def test_sql_unpivot_and_group_by_all(spark):
    spark.sql("CREATE OR REPLACE TEMP VIEW sales4 AS SELECT * FROM VALUES ('a', 1, 10, 100), "
              "('b', 2, NULL, 200), ('c', NULL, NULL, 300) AS t(name, q1, q2, q3)")
    df = spark.sql("SELECT * FROM sales4 UNPIVOT (v FOR quarter IN (q1, q2, q3))")
    assert df.columns == ["name", "quarter", "v"]
    assert rows(df) == [("a", "q1", 1), ("a", "q2", 10), ("a", "q3", 100), ("b", "q1", 2), ("b", "q3", 200), ("c", "q3", 300)]
    df = spark.sql("SELECT quarter, sum(v) FROM sales4 UNPIVOT INCLUDE NULLS (v FOR quarter IN (q1, q2 AS second)) "
                   "GROUP BY ALL ORDER BY ALL")
    assert [tuple(r) for r in df.collect()] == [("q1", 3), ("second", 10)]
    assert df.columns == ["quarter", "sum(v)"]


def test_array_sort_comparator_and_map_zip_with(spark):
    # PySpark 4.3: [([3, 2, 1], {1: 'a-b', 2: 'c'})] and the same column names.
    df = spark.range(1).select(
        F.array_sort(F.array(F.lit(3), F.lit(1), F.lit(2)), lambda l, r: r - l).alias("a"),
        F.map_zip_with(F.create_map(F.lit(1), F.lit("a")), F.create_map(F.lit(1), F.lit("b"), F.lit(2), F.lit("c")),
                       lambda k, v1, v2: F.concat_ws("-", v1, v2)).alias("m"))
    assert [tuple(r) for r in df.collect()] == [([3, 2, 1], {1: "a-b", 2: "c"})]
    name = spark.sql("SELECT array_sort(array(3, 1, 2), (l, r) -> r - l)").columns[0]
    assert name == ("array_sort(array(3, 1, 2), lambdafunction((namedlambdavariable() - namedlambdavariable()), "
                    "namedlambdavariable(), namedlambdavariable()))")


def test_generators_inline_and_stack(spark):
    df = spark.createDataFrame([(1, [(1, "a"), (2, "b")]), (2, None)], "id int, s array<struct<p:int,q:string>>")
    assert rows(df.select("id", F.inline_outer("s"))) == [(1, 1, "a"), (1, 2, "b"), (2, None, None)]
    stacked = df.select("id", F.stack(F.lit(2), F.col("id"), F.lit("x"), F.col("id") * 10, F.lit("y")))
    assert stacked.columns == ["id", "col0", "col1"]
    assert rows(stacked) == [(1, 1, "x"), (1, 10, "y"), (2, 2, "x"), (2, 20, "y")]
    assert rows(spark.sql("SELECT stack(2, 1, 'a', 2) AS (n, s)")) == [(1, "a"), (2, None)]
