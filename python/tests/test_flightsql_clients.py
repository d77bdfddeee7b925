"""Flight SQL through real clients on the server's one port: the ADBC Flight SQL driver (query,
metadata, prepared statement with parameters) and the Flight SQL JDBC driver from a small Java
program. Each authenticates with the server's token, lists tables, sees a view created from
Python, and reads a result; pandas/DuckDB are the references."""
import os
import pathlib
import shutil
import subprocess

import adbc_driver_flightsql.dbapi as flight_sql
import duckdb
import pandas as pd
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_view(spark):
    pdf = pd.DataFrame({"id": [1, 2, 3, 4, 5], "grp": ["a", "b", "a", "b", "a"], "v": [1.5, 2.0, 3.5, None, 5.0]})
    spark.createDataFrame(pdf).createOrReplaceGlobalTempView("adbc_view")
    yield pdf
    spark.catalog.dropGlobalTempView("adbc_view")


def connect(spark):
    server = spark._server
    return flight_sql.connect(f"grpc://{server.address}",
                              db_kwargs={"username": "quiver", "password": server.token})


def test_adbc_query_metadata_prepared(spark, shared_view):
    with connect(spark) as conn:
        cur = conn.cursor()
        cur.execute("SELECT grp, sum(v) AS total, count(*) AS n FROM global_temp.adbc_view GROUP BY grp ORDER BY grp")
        got = cur.fetch_arrow_table().to_pandas()
        want = duckdb.sql("SELECT grp, sum(v) AS total, count(*) AS n FROM shared_view GROUP BY grp ORDER BY grp").df()
        assert got["grp"].tolist() == want["grp"].tolist()
        assert got["total"].tolist() == pytest.approx(want["total"].tolist())
        assert got["n"].tolist() == want["n"].tolist()

        # Metadata: the view from Python is listed with its schema.
        objects = conn.adbc_get_objects(depth="all").read_all().to_pylist()
        tables = {(s["db_schema_name"], t["table_name"]) for c in objects for s in c["catalog_db_schemas"] or []
                  for t in s["db_schema_tables"] or []}
        assert ("global_temp", "adbc_view") in tables
        schema = conn.adbc_get_table_schema("adbc_view", db_schema_filter="global_temp")
        assert schema.names == ["id", "grp", "v"]
        assert "TABLE" in conn.adbc_get_table_types() and "VIEW" in conn.adbc_get_table_types()

        # Prepared statement with a parameter.
        cur.execute("SELECT id FROM global_temp.adbc_view WHERE v > ? ORDER BY id", parameters=(2.0,))
        assert [r[0] for r in cur.fetchall()] == shared_view[shared_view["v"] > 2.0]["id"].tolist()

        # The parameter schema types each ? from its context (bigint, string, double); a
        # statement with a ? nothing types has none (ADBC reports no schema) and binds any value.
        import pyarrow as pa
        schema = cur.adbc_prepare("SELECT id FROM global_temp.adbc_view WHERE id > ? AND grp = ? AND v < ?")
        assert schema.types == [pa.int64(), pa.string(), pa.float64()]
        cur.execute("SELECT id FROM global_temp.adbc_view WHERE id > ? AND grp = ? AND v < ? ORDER BY id",
                    parameters=(1, "a", 5.0))
        want = shared_view[(shared_view["id"] > 1) & (shared_view["grp"] == "a") & (shared_view["v"] < 5.0)]
        assert [r[0] for r in cur.fetchall()] == want["id"].tolist()
        assert cur.adbc_prepare("SELECT ?") is None
        cur.execute("SELECT ? AS p", parameters=("text",))
        assert cur.fetchall() == [("text",)]

        # The connection's own temp view lives in its session only.
        cur.execute("CREATE TEMP VIEW adbc_only AS SELECT 42 AS answer")
        cur.execute("SELECT answer FROM adbc_only")
        assert cur.fetchall() == [(42,)]
        cur.close()
    with pytest.raises(Exception, match="not found"):
        spark.sql("SELECT * FROM adbc_only").collect()


def test_adbc_errors_name_the_problem(spark, shared_view):
    with connect(spark) as conn:
        cur = conn.cursor()
        with pytest.raises(Exception, match="did you mean 'grp'"):
            cur.execute("SELECT gpr FROM global_temp.adbc_view")
        with pytest.raises(Exception, match="line 1, column 8"):
            cur.execute("SELECT FROM x")


JAVA_DIR = ROOT / "clients" / "jdbc"


@pytest.mark.skipif(shutil.which("mvn") is None or shutil.which("java") is None, reason="needs Java 17 and Maven")
def test_jdbc_driver(spark, shared_view):
    """Builds clients/jdbc with Maven (offline after the first run) and runs it against the server."""
    server = spark._server
    host, port = server.address.rsplit(":", 1)
    jar = JAVA_DIR / "target" / "quiver-jdbc-check-jar-with-dependencies.jar"
    sources = [JAVA_DIR / "pom.xml", *JAVA_DIR.glob("src/**/*.java")]
    if not jar.exists() or jar.stat().st_mtime < max(p.stat().st_mtime for p in sources):
        build = subprocess.run(["mvn", "-q", "-B", "package", "-DskipTests"], cwd=JAVA_DIR,
                               capture_output=True, text=True, timeout=600)
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    run = subprocess.run(["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-jar", str(jar), host, port, server.token],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert "table global_temp.adbc_view" in lines
    assert "sum 15" in lines  # sum(id) over the view made from Python
