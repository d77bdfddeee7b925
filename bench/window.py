"""Aggregates over window frames: Quiver against DuckDB, PySpark and pandas, in one run.

Data: N rows (default 2,000,000) of an int64 partition key k (partitions of about 1,000 rows), a
unique int64 order o and a float64 value v with 2% nulls.

Workloads, each a window column over PARTITION BY k ORDER BY o (COLUMNS_SOURCE), summed so that no
rows are sent:
  running_sum       sum(v), ROWS UNBOUNDED PRECEDING..CURRENT ROW (a frame algorithm of its own)
  sliding_stddev    stddev_samp(v), ROWS 50 PRECEDING..CURRENT ROW (accumulator, block states)
  running_stddev    stddev_samp(v), ROWS UNBOUNDED PRECEDING..CURRENT ROW (accumulator, block states)
  whole_stddev      stddev_samp(v) over the whole partition (accumulator, one fold per row)
  sliding_max_by    max_by(o, v), ROWS 20 PRECEDING..CURRENT ROW (a composed aggregate: collect_list)

Engines: Quiver (the DataFrame API, data stored on the server before timing), DuckDB (SQL over the
same Arrow table, 2 threads), PySpark 4.x local[2] (cached before timing; found as in bench/udf.py),
and pandas (groupby().cumsum / rolling / transform: the floor a Python user has in-process; no
max_by). Every engine's sum is checked against DuckDB's. Best of --repeat runs, after one untimed run.

Writes bench/results/window.json and window.md.

Usage: .venv/bin/python bench/window.py [--rows 2000000] [--repeat 3] [--engines quiver,duckdb,pyspark,pandas]
       [--workloads running_sum,...] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "bench"))
RESULTS = ROOT / "bench" / "results"

# name -> (aggregate in SQL, frame in SQL); the DataFrame forms are in quiver_column.
WORKLOADS = {
    "running_sum": ("sum(v)", "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
    "sliding_stddev": ("stddev_samp(v)", "ROWS BETWEEN 50 PRECEDING AND CURRENT ROW"),
    "running_stddev": ("stddev_samp(v)", "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
    "whole_stddev": ("stddev_samp(v)", "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"),
    "sliding_max_by": ("max_by(o, v)", "ROWS BETWEEN 20 PRECEDING AND CURRENT ROW"),
}


def make_data(rows: int) -> pa.Table:
    rng = np.random.default_rng(42)
    v = rng.normal(size=rows)
    nulls = rng.random(rows) < 0.02
    return pa.table({
        "k": pa.array(rng.integers(0, max(1, rows // 1000), rows)),
        "o": pa.array(rng.permutation(rows).astype(np.int64)),
        "v": pa.array(v, mask=nulls),
    })


def best_of(fn, repeat: int) -> tuple[float, float]:
    value = fn()  # untimed: warm caches, plans and workers
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return min(times), value


def sql_query(workload: str, table: str = "t") -> str:
    aggregate, frame = WORKLOADS[workload]
    return f"SELECT sum(x) FROM (SELECT {aggregate} OVER (PARTITION BY k ORDER BY o {frame}) AS x FROM {table})"


# The workloads' window columns in the DataFrame API, the same text for Quiver and PySpark (the
# PySpark run executes it in its own interpreter).
COLUMNS_SOURCE = """
def window_columns(F, Window):
    w = Window.partitionBy("k").orderBy("o")
    return {
        "running_sum": lambda: F.sum("v").over(w.rowsBetween(Window.unboundedPreceding, Window.currentRow)),
        "sliding_stddev": lambda: F.stddev("v").over(w.rowsBetween(-50, Window.currentRow)),
        "running_stddev": lambda: F.stddev("v").over(w.rowsBetween(Window.unboundedPreceding, Window.currentRow)),
        "whole_stddev": lambda: F.stddev("v").over(Window.partitionBy("k")),
        "sliding_max_by": lambda: F.max_by("o", "v").over(w.rowsBetween(-20, Window.currentRow)),
    }
"""


def run_duckdb(table: pa.Table, repeat: int, workloads: list[str]) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.register("source", table)
    con.execute("CREATE TABLE t AS SELECT * FROM source")
    out = {}
    for w in workloads:
        # DuckDB spells max_by arg_max.
        query = sql_query(w).replace("max_by(", "arg_max(")
        out[w] = best_of(lambda: con.execute(query).fetchone()[0], repeat)
    return out


def run_quiver(table: pa.Table, repeat: int, workloads: list[str]) -> dict:
    from quiver.sql import SparkSession
    from quiver.sql import functions as F
    from quiver.sql.window import Window

    spark = SparkSession.builder.appName("bench-window").getOrCreate()
    df = spark.createDataFrame(table)
    df.count()
    namespace: dict = {}
    exec(COLUMNS_SOURCE, namespace)
    columns = namespace["window_columns"](F, Window)
    out = {}
    for name in workloads:
        out[name] = best_of(lambda: df.select(columns[name]().alias("x")).agg(F.sum("x")).collect()[0][0], repeat)
    spark.stop()
    return out


def run_pandas(table: pa.Table, repeat: int, workloads: list[str]) -> dict:
    pdf = table.to_pandas()

    def sorted_groups():
        return pdf.sort_values(["k", "o"]).groupby("k", sort=False)["v"]

    forms = {
        # cumsum leaves NaN where v is null; Spark's running sum there is the sum so far.
        "running_sum": lambda: sorted_groups().cumsum().groupby(pdf["k"]).ffill().sum(),
        "sliding_stddev": lambda: sorted_groups().rolling(51, min_periods=1).std().sum(),
        "running_stddev": lambda: sorted_groups().expanding(min_periods=1).std().sum(),
        "whole_stddev": lambda: pdf.groupby("k")["v"].transform("std").sum(),
    }
    return {w: best_of(forms[w], repeat) for w in workloads if w in forms}


PYSPARK_SCRIPT = r"""
import json, sys, time
from pyspark.sql import SparkSession, functions as F, Window
path, repeat, workloads = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
spark = (SparkSession.builder.master("local[2]").appName("bench-window")
         .config("spark.driver.memory", "6g").config("spark.sql.shuffle.partitions", "2")
         .config("spark.ui.enabled", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
df = spark.read.parquet(path).cache()
df.count()
COLUMNS
columns = window_columns(F, Window)
results = {}
for name in workloads:
    run = lambda: df.select(columns[name]().alias("x")).agg(F.sum("x")).collect()[0][0]
    value = run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - start)
    results[name] = [min(times), value]
print(json.dumps({"version": spark.version, "results": results}))
"""


def run_pyspark(py: str, table: pa.Table, repeat: int, workloads: list[str]) -> tuple[str, dict]:
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="quiver-bench-") as tmp:
        path = os.path.join(tmp, "data.parquet")
        pq.write_table(table, path)
        proc = subprocess.run([py, "-c", PYSPARK_SCRIPT.replace("COLUMNS", COLUMNS_SOURCE), path, str(repeat), ",".join(workloads)],
                              capture_output=True, text=True, env={**os.environ, "PYSPARK_PYTHON": py})
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-4000:])
            raise RuntimeError(f"the PySpark run failed with status {proc.returncode}")
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        return res["version"], {w: tuple(t) for w, t in res["results"].items()}


def check(engine: str, workload: str, value: float, expected: float) -> None:
    if value is None or not math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-6):
        raise SystemExit(f"{engine} {workload}: sum {value}, DuckDB's {expected}: the answers differ")


ENGINES = ["quiver", "duckdb", "pyspark", "pandas"]


def report(results: dict, meta: dict) -> str:
    cols = [e for e in ENGINES if e in results]
    lines = [f"# Window aggregates ({meta['rows']:,} rows, partitions of ~1,000 rows, best of {meta['repeat']})", "",
             f"Machine: {meta['machine']}; load average at start {meta['load_average_at_start']:.2f}. "
             f"PySpark: {meta.get('pyspark') or 'not measured'}. DuckDB {meta['duckdb']}.", "",
             "| workload | " + " | ".join(cols) + " | DuckDB / Quiver | PySpark / Quiver | pandas / Quiver |",
             "|---|" + "---:|" * (len(cols) + 3)]
    for w in WORKLOADS:
        if not any(w in results[c] for c in cols):
            continue
        cells = [f"{results[c][w]:.3f}" if w in results[c] else "" for c in cols]
        q = results.get("quiver", {}).get(w)

        def ratio(other: str) -> str:
            t = results.get(other, {}).get(w)
            return f"{t / q:.2f}x" if t and q else ""

        lines.append(f"| {w} | " + " | ".join(cells) + f" | {ratio('duckdb')} | {ratio('pyspark')} | {ratio('pandas')} |")
    lines += ["", "Seconds; a ratio above 1 means Quiver is faster. Command: `.venv/bin/python bench/window.py "
              f"--rows {meta['rows']} --repeat {meta['repeat']}`.", ""]
    return "\n".join(lines)


def main() -> None:
    from udf import find_pyspark_python

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--pyspark-python", help="interpreter with pyspark 4.x installed")
    ap.add_argument("--no-record", action="store_true", help="print the table without writing bench/results")
    args = ap.parse_args()
    engines = args.engines.split(",")
    workloads = [w for w in WORKLOADS if w in args.workloads.split(",")]
    table = make_data(args.rows)
    import duckdb

    meta = {"rows": args.rows, "repeat": args.repeat, "duckdb": duckdb.__version__,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "load_average_at_start": os.getloadavg()[0]}
    results: dict = {}
    # DuckDB's answers are the reference; it always runs.
    print("DuckDB", flush=True)
    expected = {}
    for w, (t, value) in run_duckdb(table, args.repeat, workloads).items():
        expected[w] = value
        print(f"  {w:16s} {t:8.3f} s", flush=True)
        if "duckdb" in engines:
            results.setdefault("duckdb", {})[w] = t
    runners = {"quiver": lambda: run_quiver(table, args.repeat, workloads),
               "pandas": lambda: run_pandas(table, args.repeat, workloads)}
    for engine in ("quiver", "pandas"):
        if engine not in engines:
            continue
        print(engine, flush=True)
        for w, (t, value) in runners[engine]().items():
            check(engine, w, value, expected[w])
            print(f"  {w:16s} {t:8.3f} s", flush=True)
            results.setdefault(engine, {})[w] = t
    py = find_pyspark_python(args.pyspark_python) if "pyspark" in engines else None
    if py:
        print(f"PySpark ({py})", flush=True)
        try:
            version, per = run_pyspark(py, table, args.repeat, workloads)
            meta["pyspark"] = f"{version} local[2]"
            for w, (t, value) in per.items():
                check("pyspark", w, value, expected[w])
                print(f"  {w:16s} {t:8.3f} s", flush=True)
                results.setdefault("pyspark", {})[w] = t
        except RuntimeError as e:
            print(f"PySpark skipped: {e}", flush=True)
    text = report(results, meta)
    print(text)
    if args.no_record:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "window.json").write_text(json.dumps({"meta": meta, "seconds": results}, indent=2) + "\n")
    (RESULTS / "window.md").write_text(text)


if __name__ == "__main__":
    main()
