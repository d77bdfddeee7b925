"""Checks the expected rows of testdata/sql/*.slt against DuckDB, the independent reference.

The Go test (flightserver TestSQLLogic) checks Quiver against the same expected rows, so together
they say Quiver answers as DuckDB does. Records marked `# quiver-only` on the line before them
(Spark-only syntax or errors) are skipped here.
"""
import pathlib
import re

import duckdb
import pytest
from slt_records import fmt, parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "testdata" / "sql").glob("*.slt"))


def to_duckdb(sql):
    sql = sql.replace("`", '"')
    sql = re.sub(r"\bTEMP VIEW\b", "TEMP VIEW", sql)
    sql = re.sub(r"\bGLOBAL TEMP VIEW\b", "TEMP VIEW", sql)
    sql = sql.replace("global_temp.", "")
    sql = re.sub(r"\bdiv\b", "//", sql)
    sql = re.sub(r"\bLEFT (SEMI|ANTI) JOIN\b", r"\1 JOIN", sql)
    sql = re.sub(r"\s+USING parquet\b", "", sql, flags=re.I)
    return sql


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_slt_matches_duckdb(path):
    con = duckdb.connect()
    for rec in parse(path):
        sql = to_duckdb("\n".join(rec["sql"]))
        if rec["skip"]:
            continue
        if rec["kind"] == "statement":
            if rec["header"][1] == "ok":
                con.execute(sql)
            continue
        rows = [" ".join(fmt(v) for v in row) for row in con.execute(sql).fetchall()]
        if "rowsort" in rec["header"]:
            rows.sort()
        assert rows == rec["expected"], f"{path.name}: DuckDB disagrees on\n{sql}"
