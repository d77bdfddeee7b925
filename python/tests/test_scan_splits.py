"""Parquet scans split inside row groups (arrowio/split_parquet.go): with a small
maxPartitionBytes every TPC-H table at scale factor 0.1 (tpchgen-cli files, which carry an offset
index) is cut into many parts that start and end inside row groups; the answers must still equal
DuckDB's on the same files."""
import re

import duckdb
import pytest

from test_sql_tpch import DATA, TABLES, assert_same_rows, ensure_data, query_text

PART_BYTES = 700_000  # lineitem's six row groups of ~3.3 MB become ~30 parts


@pytest.fixture(scope="module")
def split_tables(spark):
    directory = ensure_data()
    con = duckdb.connect()
    for t in TABLES:
        path = str(directory / f"{t}.parquet")
        spark.read.option("maxPartitionBytes", PART_BYTES).parquet(path).createOrReplaceTempView(t)
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{path}')")
    return con


def scan_partitions(spark, table):
    plan = spark.sql(f"SELECT * FROM {table}")._explain_string(mode="extended")
    match = re.search(r"FileScan parquet .*? partitions=(\d+) files=1 rowGroups=(\d+)", plan)
    assert match, plan
    return int(match.group(1)), int(match.group(2))


def test_small_parts_cut_row_groups(spark, split_tables):
    parts, row_groups = scan_partitions(spark, "lineitem")
    assert parts > 4 * row_groups, f"lineitem: {parts} parts over {row_groups} row groups"
    parts, row_groups = scan_partitions(spark, "customer")
    assert row_groups == 1 and parts >= 2, f"customer: {parts} parts over {row_groups} row groups"


@pytest.mark.parametrize("table", TABLES)
def test_every_row_read_once(spark, split_tables, table):
    # Every TPC-H row is distinct: a row read twice or lost changes one of the counts.
    text = f"SELECT (SELECT count(*) FROM {table}), (SELECT count(*) FROM (SELECT DISTINCT * FROM {table}))"
    got = [tuple(r) for r in spark.sql(text).collect()]
    assert_same_rows(got, split_tables.execute(text).fetchall(), False, table)


@pytest.mark.parametrize("n", [1, 3, 6, 10, 12, 14, 18, 19])
def test_tpch_over_split_row_groups_matches_duckdb(spark, split_tables, n):
    text = query_text(n)
    want = split_tables.execute(text).fetchall()
    got = [tuple(r) for r in spark.sql(text).collect()]
    assert_same_rows(got, want, "order by" in text.lower(), f"q{n:02d}")
