"""SQL over files without a table: SELECT ... FROM parquet.`path` (Spark's spark.sql.runSQLOnFiles),
for spark.sql and Flight SQL clients; answers compared with DuckDB reading the same files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from quiver.errors import QuiverException

TPCH = Path(__file__).resolve().parents[2] / "testdata" / "tpch" / "sf0.1"


def test_parquet_file_query_equals_duckdb(spark):
    nation, region = TPCH / "nation.parquet", TPCH / "region.parquet"
    text = ("SELECT r_name, count(*) AS n, min(n_name) AS first FROM {n} JOIN {r} ON n_regionkey = r_regionkey "
            "GROUP BY r_name ORDER BY r_name")
    got = spark.sql(text.format(n=f"parquet.`{nation}`", r=f"PARQUET.`{region}`")).toPandas()
    expected = duckdb.sql(text.format(n=f"read_parquet('{nation}')", r=f"read_parquet('{region}')")).df()
    assert got.values.tolist() == expected.values.tolist()


def test_csv_and_json_file_queries_read_with_default_options(spark, tmp_path):
    (tmp_path / "a.csv").write_text("1,x\n2,y\n")
    (tmp_path / "a.json").write_text('{"k": 1, "s": "x"}\n{"k": 2, "s": "y"}\n')
    # Spark's defaults: CSV without a header names columns _c0, _c1 and reads strings.
    assert [tuple(r) for r in spark.sql(f"SELECT * FROM csv.`{tmp_path / 'a.csv'}` ORDER BY _c0").collect()] == [("1", "x"), ("2", "y")]
    rows = spark.sql(f"SELECT sum(k) AS total, max(s) AS last FROM json.`{tmp_path / 'a.json'}`").collect()
    assert (rows[0]["total"], rows[0]["last"]) == (3, "y")


def test_missing_path_is_a_clear_error(spark):
    with pytest.raises(QuiverException, match="PATH_NOT_FOUND"):
        spark.sql("SELECT * FROM parquet.`/no/such/dir/x.parquet`").collect()


def test_flight_sql_clients_query_files(spark):
    import adbc_driver_flightsql.dbapi as flight_sql

    server = spark._server
    if server is None:
        pytest.skip("needs the local server's token")
    with flight_sql.connect(f"grpc://{server.address}", db_kwargs={"username": "test", "password": server.token}) as conn:
        cur = conn.cursor()
        cur.execute(f"SELECT count(*) FROM parquet.`{TPCH / 'nation.parquet'}`")
        assert cur.fetchone()[0] == duckdb.sql(f"SELECT count(*) FROM read_parquet('{TPCH / 'nation.parquet'}')").fetchall()[0][0]
