"""Window functions over aggregates through the DataFrame API: groupBy().agg() with a window
(F.expr or .over), selectExpr mixing aggregates and windows, and the groupBy-then-withColumn form.
Expected rows come from DuckDB over the same data. (The SQL forms are in
testdata/sql/window_aggregate.slt.)"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from quiver.errors import AnalysisException
from quiver.sql import functions as F
from quiver.sql.window import Window

DATA = pa.table({
    "dept": ["eng", "eng", "eng", "ops", "ops", "ops", "hr", "hr"],
    "name": ["alice", "bob", "alice", "carol", "dan", "dan", "erin", None],
    "pay": [100, 80, 120, 50, 70, 30, 60, None],
})


def duck(sql: str) -> list[tuple]:
    con = duckdb.connect()
    con.register("emp", DATA)
    return sorted(con.execute(sql).fetchall(), key=repr)


def got(df) -> list[tuple]:
    return sorted((tuple(r) for r in df.collect()), key=repr)


@pytest.fixture(scope="module")
def emp(spark):
    return spark.createDataFrame(DATA)


def test_group_by_agg_with_expr_window(emp):
    df = emp.groupBy("dept").agg(F.sum("pay").alias("s"), F.expr("rank() OVER (ORDER BY sum(pay) DESC)").alias("r"))
    assert df.columns == ["dept", "s", "r"]
    assert got(df) == duck("SELECT dept, sum(pay) s, rank() OVER (ORDER BY sum(pay) DESC) r FROM emp GROUP BY dept")


def test_group_by_agg_with_over(emp):
    df = emp.groupBy("dept", "name").agg(
        F.sum("pay").alias("s"),
        F.row_number().over(Window.partitionBy("dept").orderBy(F.sum("pay").desc(), "name")).alias("rn"))
    assert got(df) == duck("SELECT dept, name, sum(pay) s, row_number() OVER (PARTITION BY dept ORDER BY sum(pay) DESC, name) rn"
                           " FROM emp GROUP BY dept, name")


def test_ratio_to_total(emp):
    df = emp.groupBy("dept").agg(F.expr("sum(pay) / sum(sum(pay)) OVER () AS share"))
    assert df.columns == ["dept", "share"]
    expected = duck("SELECT dept, sum(pay) / sum(sum(pay)) OVER () AS share FROM emp GROUP BY dept")
    assert [r[0] for r in got(df)] == [r[0] for r in expected]
    assert [r[1] for r in got(df)] == pytest.approx([r[1] for r in expected])


def test_select_expr_global_aggregate_with_window(emp):
    df = emp.selectExpr("sum(pay) s", "sum(sum(pay)) OVER () tot", "rank() OVER (ORDER BY count(*)) r")
    assert got(df) == duck("SELECT sum(pay) s, sum(sum(pay)) OVER () tot, rank() OVER (ORDER BY count(*)) r FROM emp")


def test_window_after_group_by_keeps_working(emp):
    df = emp.groupBy("dept").agg(F.sum("pay").alias("s")).withColumn("r", F.rank().over(Window.orderBy(F.desc("s"))))
    assert got(df) == duck("SELECT dept, sum(pay) s, rank() OVER (ORDER BY sum(pay) DESC) r FROM emp GROUP BY dept")


def test_plain_expr_window(emp):
    df = emp.select("name", "pay", F.expr("sum(pay) OVER (PARTITION BY dept)").alias("t"))
    assert got(df) == duck("SELECT name, pay, sum(pay) OVER (PARTITION BY dept) t FROM emp")


def test_window_over_ungrouped_column_is_an_error(emp):
    with pytest.raises(AnalysisException, match="MISSING_AGGREGATION"):
        emp.groupBy("dept").agg(F.expr("rank() OVER (ORDER BY pay)")).collect()


def test_rollup_agg_with_window(emp):
    df = emp.rollup("dept").agg(F.sum("pay").alias("s"), F.expr("rank() OVER (ORDER BY sum(pay) DESC)").alias("r"),
                                F.expr("sum(count(*)) OVER (PARTITION BY grouping(dept))").alias("n"))
    assert got(df) == duck("SELECT dept, sum(pay) s, rank() OVER (ORDER BY sum(pay) DESC) r,"
                           " sum(count(*)) OVER (PARTITION BY grouping(dept)) n FROM emp GROUP BY ROLLUP(dept)")
