"""df.rollup / df.cube / df.groupingSets and grouping()/grouping_id() against DuckDB (GROUP BY
ROLLUP/CUBE/GROUPING SETS over the same rows), with Spark's column names and types as PySpark 4
reports them. Inputs are repartitioned so the two-phase aggregate runs over the Expand."""

from __future__ import annotations

import decimal
import math

import duckdb
import pyarrow as pa
import pytest

from quiver.errors import AnalysisException
from quiver.sql import functions as F

ROWS = [
    ("north", "apple", 2023, 10),
    ("north", "pear", 2023, 5),
    ("north", "apple", 2024, 7),
    ("south", "apple", 2023, 3),
    ("south", "plum", 2024, None),
    (None, "pear", 2024, 4),
    (None, None, None, 1),
]
SCHEMA = "region string, product string, year int, amount int"


def _norm(v):
    if v is None:
        return ("0",)
    if isinstance(v, float) and math.isnan(v):
        return ("1",)
    if isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool):
        return ("2", round(float(v), 9))
    return ("3", str(v))


def _rows(table: pa.Table) -> list[tuple]:
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return sorted(tuple(_norm(v) for v in r) for r in zip(*columns))


def _duck(sql: str) -> list[tuple]:
    con = duckdb.connect()
    con.register("sales", pa.table({
        "region": pa.array([r[0] for r in ROWS], pa.string()),
        "product": pa.array([r[1] for r in ROWS], pa.string()),
        "year": pa.array([r[2] for r in ROWS], pa.int32()),
        "amount": pa.array([r[3] for r in ROWS], pa.int32()),
    }))
    return sorted(tuple(_norm(v) for v in r) for r in con.execute(sql).fetchall())


@pytest.fixture
def sales(spark):
    return spark.createDataFrame(ROWS, SCHEMA).repartition(3)


def test_rollup_matches_duckdb(sales):
    got = sales.rollup("region", "product").agg(F.sum("amount"), F.count("*")).toArrow()
    assert got.column_names == ["region", "product", "sum(amount)", "count(1)"]
    assert _rows(got) == _duck("SELECT region, product, sum(amount), count(*) FROM sales GROUP BY ROLLUP(region, product)")


def test_cube_with_grouping_functions_matches_duckdb(sales):
    got = sales.cube("region", "year").agg(
        F.max("amount"), F.grouping("region"), F.grouping("year"), F.grouping_id(), F.grouping_id("region", "year")).toArrow()
    want = _duck("SELECT region, year, max(amount), grouping(region), grouping(year), grouping(region, year), "
                 "grouping(region, year) FROM sales GROUP BY CUBE(region, year)")
    assert _rows(got) == want


def test_grouping_sets_match_duckdb(sales):
    got = sales.groupingSets([["region", "product"], ["year"], []], "region", "product", "year").agg(
        F.sum("amount").alias("total")).toArrow()
    assert got.column_names == ["region", "product", "year", "total"]
    assert _rows(got) == _duck("SELECT region, product, year, sum(amount) FROM sales "
                               "GROUP BY GROUPING SETS ((region, product), (year), ())")


def test_aggregates_read_the_real_values_of_grouped_columns(sales):
    # count(region) counts the region values in every set, also where region is rolled up.
    got = sales.cube("region").agg(F.count("region"), F.min("region")).toArrow()
    assert _rows(got) == _duck("SELECT region, count(region), min(region) FROM sales GROUP BY CUBE(region)")


def test_shortcuts_and_expression_keys(sales):
    got = sales.rollup(F.upper("region").alias("r")).count().toArrow()
    assert got.column_names == ["r", "count"]
    assert _rows(got) == _duck("SELECT upper(region), count(*) FROM sales GROUP BY ROLLUP(upper(region))")
    got = sales.cube("product").sum("amount").toArrow()
    assert _rows(got) == _duck("SELECT product, sum(amount) FROM sales GROUP BY CUBE(product)")


def test_filter_on_rolled_up_key_stays_above_the_expand(sales):
    got = sales.rollup("region").agg(F.sum("amount").alias("s")).filter(F.col("region").isNull()).toArrow()
    # The grand total and the group of null regions, not the null-region rows of every set.
    assert _rows(got) == _duck("SELECT * FROM (SELECT region, sum(amount) FROM sales GROUP BY ROLLUP(region)) WHERE region IS NULL")


def test_spark_schema(sales):
    # As PySpark 4 reports it: keys nullable, grouping() tinyint and grouping_id() bigint, not null.
    schema = sales.rollup("region", "year").agg(F.sum("amount"), F.grouping("year"), F.grouping_id()).schema
    assert [(f.name, f.dataType.simpleString(), f.nullable) for f in schema.fields] == [
        ("region", "string", True), ("year", "int", True), ("sum(amount)", "bigint", True),
        ("grouping(year)", "tinyint", False), ("grouping_id()", "bigint", False)]


def test_rollup_over_no_rows_has_no_rows(spark):
    # Spark groups by the grouping id too, so an empty input has no grand-total row (unlike DuckDB).
    empty = spark.createDataFrame([], SCHEMA)
    assert empty.rollup("region").agg(F.sum("amount")).toArrow().num_rows == 0


def test_errors(sales):
    with pytest.raises(AnalysisException, match="UNSUPPORTED_GROUPING_EXPRESSION"):
        sales.groupBy("region").agg(F.grouping("region")).toArrow()
    with pytest.raises(AnalysisException, match="GROUPING_ID_COLUMN_MISMATCH"):
        sales.rollup("region", "year").agg(F.grouping_id("year")).toArrow()
    with pytest.raises(AnalysisException, match="GROUPING_COLUMN_MISMATCH"):
        sales.rollup("region").agg(F.grouping("year")).toArrow()
    with pytest.raises(ValueError, match="pivot"):
        sales.rollup("region").pivot("year", [2023])
    with pytest.raises(ValueError, match="groupBy only"):
        sales.cube("region").applyInPandas(lambda pdf: pdf, "region string")


def test_sql_div_truncates_toward_zero(spark):
    got = spark.sql("SELECT 7 div 2, -7 div 2, 7 div -2, CAST(-9 AS BIGINT) div 4").toArrow()
    assert [c.to_pylist()[0] for c in got.columns] == [int(7 / 2), int(-7 / 2), int(7 / -2), int(-9 / 4)]
    assert all(pa.types.is_int64(t) for t in got.schema.types)
