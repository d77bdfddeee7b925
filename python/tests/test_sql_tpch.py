"""The 22 TPC-H queries (standard text, validation parameters) through spark.sql at scale factor
0.1, compared with DuckDB's answers on the same Parquet files. Data comes from tpchgen-cli
(.venv/bin/tpchgen-cli) into testdata/tpch/sf0.1 (gitignored) on the first run."""
import datetime
import decimal
import math
import os
import pathlib
import subprocess
import sys

import duckdb
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
QUERIES = ROOT / "testdata" / "tpch_queries"
DATA = ROOT / "testdata" / "tpch" / "sf0.1"
TABLES = ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"]


def ensure_data(directory=DATA, scale="0.1"):
    if all((directory / f"{t}.parquet").exists() for t in TABLES):
        return directory
    tool = pathlib.Path(sys.executable).parent / "tpchgen-cli"
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(tool), "parquet", "-s", scale, "--output-dir", str(directory)], check=True)
    return directory


def normalize(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, datetime.datetime):
        return v.date() if v.time() == datetime.time() else v
    if hasattr(v, "item"):
        return normalize(v.item())
    return v


def same(a, b):
    a, b = normalize(a), normalize(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-6)
    return a == b


def assert_same_rows(got, want, ordered, label):
    assert len(got) == len(want), f"{label}: {len(got)} rows, DuckDB has {len(want)}"
    if not ordered:
        key = lambda r: tuple(str(normalize(v)) for v in r)
        got, want = sorted(got, key=key), sorted(want, key=key)
    for i, (g, w) in enumerate(zip(got, want)):
        assert len(g) == len(w), f"{label}: row {i} has {len(g)} columns, DuckDB {len(w)}"
        for j, (x, y) in enumerate(zip(g, w)):
            assert same(x, y), f"{label}: row {i} column {j}: Quiver {x!r}, DuckDB {y!r}"


@pytest.fixture(scope="module")
def tpch(spark):
    directory = ensure_data()
    con = duckdb.connect()
    for t in TABLES:
        path = str(directory / f"{t}.parquet")
        df = spark.read.parquet(path)
        df.createOrReplaceTempView(t)
        # Flight SQL connections are sessions of their own: they read the tables as global views.
        df.createOrReplaceGlobalTempView(t)
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{path}')")
    return con


@pytest.fixture(scope="module")
def flight_sql_cursor(spark, tpch):
    import adbc_driver_flightsql.dbapi as flight_sql

    server = spark._server
    conn = flight_sql.connect(f"grpc://{server.address}", db_kwargs={"username": "quiver", "password": server.token})
    cur = conn.cursor()
    for t in TABLES:
        cur.execute(f"CREATE TEMP VIEW {t} AS SELECT * FROM global_temp.{t}")
    yield cur
    cur.close()
    conn.close()


def query_text(n):
    return (QUERIES / f"q{n:02d}.sql").read_text()


@pytest.mark.parametrize("n", range(1, 23), ids=[f"q{n:02d}" for n in range(1, 23)])
def test_tpch_query_matches_duckdb(spark, tpch, n):
    text = query_text(n)
    want = tpch.execute(text).fetchall()
    got = [tuple(r) for r in spark.sql(text).collect()]
    assert_same_rows(got, want, "order by" in text.lower(), f"q{n:02d}")


@pytest.mark.parametrize("n", range(1, 23), ids=[f"q{n:02d}" for n in range(1, 23)])
def test_tpch_query_through_flight_sql_matches_duckdb(flight_sql_cursor, tpch, n):
    text = query_text(n)
    want = tpch.execute(text).fetchall()
    flight_sql_cursor.execute(text)
    got = flight_sql_cursor.fetchall()
    assert_same_rows(got, want, "order by" in text.lower(), f"q{n:02d} via Flight SQL")
