"""Column names Spark gives casts and case-insensitive references. The expected names were
recorded from PySpark 4.3 (local mode, spark.sql.caseSensitive=false) on the same programs."""

from __future__ import annotations

from quiver.sql import functions as F


def _frame(spark):
    return spark.createDataFrame([(1, "a", 2.0)], "id int, name string, v double")


def test_top_level_cast_of_a_column_keeps_its_name(spark):
    df = _frame(spark)
    got = df.select(F.col("id").cast("bigint"), F.col("id").cast("string"), F.col("id").cast("int") + 1,
                    F.col("v").cast("decimal(10,2)"), F.lit(1).cast("string"), F.col("id").alias("x").cast("string"),
                    F.col("id").try_cast("int")).columns
    assert got == ["id", "id", "(CAST(id AS INT) + 1)", "v", "CAST(1 AS STRING)", "x", "id"]


def test_cast_naming_in_sql_and_select_expr(spark):
    df = _frame(spark)
    assert df.selectExpr("cast(id as bigint)", "CAST(ID AS string)", "cast(id+1 as int)", "NAME").columns == \
        ["id", "ID", "CAST((id + 1) AS INT)", "NAME"]
    df.createOrReplaceTempView("column_naming_t")
    got = spark.sql("select cast(id as bigint), Name, cast(1 as string), CAST(v AS DECIMAL(10,2)) from column_naming_t")
    assert got.columns == ["id", "Name", "CAST(1 AS STRING)", "v"]


def test_case_insensitive_reference_is_named_as_written(spark):
    df = _frame(spark)
    assert df.select(F.col("NAME"), F.col("Id") + 1, F.upper("NAME"), df["Id"]).columns == \
        ["NAME", "(Id + 1)", "upper(NAME)", "Id"]
    assert df.groupBy("NAME").agg(F.sum("ID")).columns == ["NAME", "sum(ID)"]
    assert df.withColumn("ID", F.col("id") + 1).columns == ["ID", "name", "v"]
    assert df.orderBy("ID").columns == ["id", "name", "v"]
    assert df.drop("NAME").columns == ["id", "v"]
    rows = df.select(F.col("NAME"), F.col("Id") + 1).collect()
    assert [tuple(r) for r in rows] == [("a", 2)]
