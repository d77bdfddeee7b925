"""Reading .slt records and printing values as they are written in them.

Shared by the DuckDB check (test_sql_slt_duckdb.py, under pytest) and the PySpark check
(slt_pyspark_check.py, a script run with PySpark's interpreter): it imports nothing beyond the
standard library so both interpreters can load it.
"""
import datetime
import decimal
import math


def parse(path):
    """The records of an .slt file (the format of flightserver/sql_slt_test.go); a record after a
    `# quiver-only` line has skip set."""
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
