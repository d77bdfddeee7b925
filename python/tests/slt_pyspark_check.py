"""Checks the expected rows of .slt files against PySpark (a developer tool, not a pytest module).

The .slt files of Spark-only constructs (UNPIVOT, GROUP BY ALL, inline, stack, array_sort with a
comparator, ...) cannot be checked against DuckDB; their expected rows are PySpark's answers.
Run with the PySpark installation (4.3 in /work/pyspark-venv):

    /work/pyspark-venv/bin/python python/tests/slt_pyspark_check.py testdata/sql/unpivot.slt ...

It prints every record whose answer differs from PySpark's and, for `statement error` records,
PySpark's error so the expected text can be compared by eye. Exit status 1 when a query differs.
"""
import pathlib
import sys

from slt_records import fmt, parse


def main(paths):
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").config("spark.sql.shuffle.partitions", "1")
             .getOrCreate())
    spark.sparkContext.setLogLevel("OFF")
    failed = False
    for name in paths:
        path = pathlib.Path(name)
        for rec in parse(path):
            sql = "\n".join(rec["sql"])
            try:
                df = spark.sql(sql)
                rows = [" ".join(fmt(v) for v in row) for row in df.collect()] if rec["kind"] == "query" else []
                error = None
            except Exception as e:  # noqa: BLE001 - any failure is reported
                rows, error = [], next((line for line in str(e).splitlines() if line.strip()), repr(e))[:300]
            header = rec["header"]
            if rec["kind"] == "statement" and header[1] == "error":
                print(f"{path.name}: expected error {' '.join(header[2:])!r}; PySpark says: {error or 'no error'}\n  {sql}")
                continue
            if error:
                failed = True
                print(f"{path.name}: PySpark fails on\n  {sql}\n  {error}")
                continue
            if "rowsort" in header:
                rows.sort()
            if rec["kind"] == "query" and rows != rec["expected"]:
                failed = True
                print(f"{path.name}: PySpark disagrees on\n  {sql}\n  want {rec['expected']}\n  PySpark {rows}")
    spark.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
