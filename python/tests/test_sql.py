"""spark.sql, SQL expression strings and spark.catalog against a real server; pandas and DuckDB
are the references."""
import os
import tempfile

import duckdb
import pandas as pd
import pytest

from quiver.sql import functions as F

# Saved tables go to a scratch warehouse, not ./spark-warehouse; set before any server starts.
os.environ.setdefault("QUIVER_WAREHOUSE_DIR", tempfile.mkdtemp(prefix="quiver-warehouse-"))


@pytest.fixture
def people(spark):
    pdf = pd.DataFrame({"id": [1, 2, 3, 4], "name": ["ann", "bob", None, "dan"], "age": [31, 17, 45, None]})
    df = spark.createDataFrame(pdf)
    df.createOrReplaceTempView("people")
    yield pdf
    spark.catalog.dropTempView("people")


def duck(sql, **tables):
    con = duckdb.connect()
    for name, frame in tables.items():
        con.register(name, frame)
    return con.execute(sql).df()


def test_sql_query_matches_duckdb(spark, people):
    sql = "SELECT id, upper(name) AS u, age * 2 AS a2 FROM people WHERE age > 20 OR name IS NULL ORDER BY id"
    got = spark.sql(sql.replace("upper(name)", "name")).toPandas()
    want = duck(sql.replace("upper(name)", "name"), people=people)
    assert got["id"].tolist() == want["id"].tolist()
    assert got["a2"].tolist() == want["a2"].tolist()


def test_sql_parameters(spark, people):
    named = spark.sql("SELECT id FROM people WHERE age > :min ORDER BY id", args={"min": 20}).toPandas()
    positional = spark.sql("SELECT id FROM people WHERE age > ? ORDER BY id", args=[20]).toPandas()
    want = people[people["age"] > 20].sort_values("id")["id"].tolist()
    assert named["id"].tolist() == want == positional["id"].tolist()


def test_expression_strings(spark, people):
    df = spark.table("people")
    got = df.selectExpr("id", "age + 1 AS next").filter("next >= 32").toPandas()
    want = people[people["age"] >= 31]
    assert got["id"].tolist() == want["id"].tolist()
    assert got["next"].tolist() == (want["age"] + 1).tolist()
    assert df.select(F.expr("id * 10").alias("x")).toPandas()["x"].tolist() == [10, 20, 30, 40]


def test_views_and_catalog(spark, people):
    spark.sql("CREATE OR REPLACE TEMP VIEW adults AS SELECT * FROM people WHERE age >= 18")
    names = {t.name for t in spark.catalog.listTables()}
    assert {"people", "adults"} <= names
    assert spark.catalog.tableExists("adults")
    assert sorted(spark.sql("SELECT id FROM adults").toPandas()["id"]) == [1, 3]
    assert spark.catalog.dropTempView("adults")
    assert not spark.catalog.tableExists("adults")
    spark.table("people").createOrReplaceGlobalTempView("gpeople")
    assert spark.catalog.tableExists("gpeople", "global_temp")
    assert spark.sql("SELECT count_if_missing FROM (SELECT 1 AS count_if_missing)").toPandas().iloc[0, 0] == 1
    assert len(spark.sql("SELECT * FROM global_temp.gpeople").toPandas()) == 4
    spark.catalog.dropGlobalTempView("gpeople")
    assert [d.name for d in spark.catalog.listDatabases()] == ["default"]


def test_show_and_describe(spark, people):
    rows = spark.sql("DESCRIBE people").collect()
    assert [r[0] for r in rows] == ["id", "name", "age"]
    assert "people" in [r[1] for r in spark.sql("SHOW TABLES").collect()]


def test_sql_errors(spark, people):
    with pytest.raises(Exception, match=r"line 1, column 28"):
        spark.sql("SELECT id FROM people WHERE")
    with pytest.raises(Exception, match=r"did you mean 'name'"):
        spark.sql("SELECT nmae FROM people").collect()
    with pytest.raises(Exception, match=r"did you mean 'people'"):
        spark.sql("SELECT * FROM peple").collect()
    with pytest.raises(Exception, match=r"LATERAL subqueries"):
        spark.sql("SELECT id FROM people, LATERAL (SELECT id)")


def test_save_as_table_and_sql(spark, people):
    spark.table("people").write.mode("overwrite").saveAsTable("people_saved")
    assert spark.catalog.tableExists("people_saved")
    got = spark.sql("SELECT id, age FROM people_saved WHERE age IS NOT NULL ORDER BY id").toPandas()
    want = people.dropna(subset=["age"]).sort_values("id")
    assert got["id"].tolist() == want["id"].tolist()
    spark.sql("INSERT INTO people_saved SELECT * FROM people WHERE id = 1")
    assert spark.table("people_saved").count() == 5
    spark.sql("DROP TABLE people_saved")
    assert not spark.catalog.tableExists("people_saved")
