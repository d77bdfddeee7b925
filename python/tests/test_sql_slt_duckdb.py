"""Checks the expected rows of testdata/sql/*.slt against DuckDB, the independent reference.

The Go test (flightserver TestSQLLogic) checks Quiver against the same expected rows, so together
they say Quiver answers as DuckDB does. Records marked `# quiver-only` on the line before them
(Spark-only syntax or errors) are skipped here.
"""
import datetime
import decimal
import math
import pathlib
import re

import duckdb
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "testdata" / "sql").glob("*.slt"))


def parse(path):
    records, cur, in_result, skip_next = [], None, False, False
    for line in path.read_text().splitlines() + [""]:
        if cur is None:
            if line.strip() == "# quiver-only":
                skip_next = True
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split()
            cur = {"kind": fields[0], "header": fields, "sql": [], "expected": [], "skip": skip_next}
            skip_next = False
            continue
        if not line.strip():
            records.append(cur)
            cur, in_result = None, False
        elif line == "----":
            in_result = True
        elif in_result:
            cur["expected"].append(line)
        else:
            cur["sql"].append(line)
    return records


def to_duckdb(sql):
    sql = sql.replace("`", '"')
    sql = re.sub(r"\bTEMP VIEW\b", "TEMP VIEW", sql)
    sql = re.sub(r"\bGLOBAL TEMP VIEW\b", "TEMP VIEW", sql)
    sql = sql.replace("global_temp.", "")
    sql = re.sub(r"\bdiv\b", "//", sql)
    sql = re.sub(r"\bLEFT (SEMI|ANTI) JOIN\b", r"\1 JOIN", sql)
    sql = re.sub(r"\s+USING parquet\b", "", sql, flags=re.I)
    return sql


def fmt(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return str(v)
        return "%.6g" % v
    if isinstance(v, decimal.Decimal):
        text = format(v, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(v, datetime.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if v == "":
        return "(empty)"
    return str(v)


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
