"""The 22 TPC-H queries as SQL: Quiver through Flight SQL (ADBC), DuckDB, and PySpark's spark.sql.

    .venv/bin/python bench/tpch_sql.py [--scale 1] [--threads 2] [--runs 3] [--engines quiver,pyspark,duckdb]

The query texts are testdata/tpch_queries/qNN.sql (standard TPC-H with the validation parameters,
Q15's view written as a WITH). Data: TPC-H Parquet from tpchgen-cli in bench/data/ (shared with
bench/tpch_df.py). Quiver runs in a local `quiver serve` started by quiver.sql and is queried by
the ADBC Flight SQL driver, as a SQL tool would; PySpark runs spark.sql in local[N] in its own
virtualenv (.venv-pyspark, created on first use). Answers are checked against DuckDB's; times
are the best of --runs after one warm-up; per-query times and geometric-mean ratios are printed
and saved to bench/results/tpch_sql.json.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import tpch_df as common  # noqa: E402  (data generation, answer comparison, timing)

TABLES = ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"]
QUERIES = [f"q{n:02d}" for n in range(1, 23)]


def query_text(q: str) -> str:
    return (ROOT / "testdata" / "tpch_queries" / f"{q}.sql").read_text()


def ordered(q: str) -> bool:
    return "order by" in query_text(q).lower()


def sorted_if_unordered(q: str, rows: list[list]) -> list[list]:
    return rows if ordered(q) else sorted(rows, key=lambda r: [str(v) for v in r])


def run_quiver(data: Path, threads: int, runs: int, queries: list[str]) -> dict:
    import adbc_driver_flightsql.dbapi as flight_sql

    sys.path.insert(0, str(ROOT / "python"))
    from quiver.sql import SparkSession

    spark = SparkSession.builder.master(f"local[{threads}]").getOrCreate()
    for t in TABLES:
        spark.read.parquet(str(data / f"{t}.parquet")).createOrReplaceGlobalTempView(t)
    server = spark._server
    conn = flight_sql.connect(f"grpc://{server.address}", db_kwargs={"username": "bench", "password": server.token})
    cur = conn.cursor()
    for t in TABLES:
        cur.execute(f"CREATE TEMP VIEW {t} AS SELECT * FROM global_temp.{t}")
    out = {}
    for q in queries:
        text = query_text(q)

        def run():
            cur.execute(text)
            return cur.fetchall()
        try:
            best, rows = common.time_runs(run, runs)
            out[q] = {"seconds": best, "rows": common.rows_of(rows)}
        except Exception as e:
            out[q] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"}
        print(f"  quiver {q}: " + (f"{out[q]['seconds']:.3f}s" if "seconds" in out[q] else out[q]["error"]),
              flush=True, file=sys.stderr)
    cur.close()
    conn.close()
    spark.stop()
    return out


def run_duckdb(data: Path, threads: int, runs: int, queries: list[str]) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(f"set threads = {threads}")
    for t in TABLES:
        con.execute(f"create view {t} as select * from read_parquet('{data / (t + '.parquet')}')")
    out = {}
    for q in queries:
        text = query_text(q)
        best, rows = common.time_runs(lambda: con.execute(text).fetchall(), runs)
        out[q] = {"seconds": best, "rows": common.rows_of(rows)}
        print(f"  duckdb {q}: {best:.3f}s", flush=True, file=sys.stderr)
    return out


def run_pyspark(data: Path, threads: int, runs: int, queries: list[str]) -> dict:
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master(f"local[{threads}]").appName("tpch_sql")
             .config("spark.driver.memory", "4g").config("spark.sql.shuffle.partitions", str(threads * 4))
             .config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    for t in TABLES:
        spark.read.parquet(str(data / f"{t}.parquet")).createOrReplaceTempView(t)
    out = {}
    for q in queries:
        text = query_text(q)
        try:
            best, rows = common.time_runs(lambda: spark.sql(text).collect(), runs)
            out[q] = {"seconds": best, "rows": common.rows_of(rows)}
        except Exception as e:
            out[q] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"}
        print(f"  pyspark {q}: " + (f"{out[q]['seconds']:.3f}s" if "seconds" in out[q] else out[q]["error"]),
              flush=True, file=sys.stderr)
    spark.stop()
    return out


def geometric_mean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--engines", default="quiver,pyspark,duckdb")
    ap.add_argument("--queries", default=",".join(QUERIES))
    ap.add_argument("--no-record", action="store_true", help="print the table without saving bench/results/tpch_sql.json")
    ap.add_argument("--engine-only", help=argparse.SUPPRESS)  # child mode for PySpark's venv
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    queries = args.queries.split(",")
    if args.engine_only:
        print(json.dumps(run_pyspark(Path(args.data), args.threads, args.runs, queries)))
        return
    data = common.ensure_data(args.scale)
    engines = args.engines.split(",")
    results: dict[str, dict] = {}
    for engine in engines:
        print(f"running {engine} ...", flush=True)
        if engine == "quiver":
            results[engine] = run_quiver(data, args.threads, args.runs, queries)
        elif engine == "duckdb":
            results[engine] = run_duckdb(data, args.threads, args.runs, queries)
        elif engine == "pyspark":
            proc = subprocess.run([str(common.pyspark_python()), __file__, "--engine-only", "pyspark", "--data", str(data),
                                   "--threads", str(args.threads), "--runs", str(args.runs), "--queries", args.queries],
                                  stdout=subprocess.PIPE, text=True)
            if proc.returncode != 0:
                results[engine] = {q: {"error": f"pyspark exited with {proc.returncode}"} for q in queries}
            else:
                results[engine] = json.loads(proc.stdout.strip().splitlines()[-1])
    reference = "duckdb" if "duckdb" in results else engines[0]
    print(f"\nTPC-H SQL, SF{args.scale:g}, {args.threads} threads per engine, best of {args.runs} runs (seconds)")
    print(f"{'query':6}" + "".join(f"{e:>10}" for e in engines) + "  pyspark/quiver  quiver/duckdb  answers")
    summary: dict = {"scale": args.scale, "threads": args.threads, "runs": args.runs, "queries": {}}
    vs_spark, vs_duck = [], []
    for q in queries:
        cells, checks = [], []
        for e in engines:
            r = results[e][q]
            cells.append(f"{r['seconds']:10.3f}" if "seconds" in r else f"{'error':>10}")
        for e in engines:
            if e == reference or "rows" not in results[e][q] or "rows" not in results[reference][q]:
                continue
            diff = common.same_answer(sorted_if_unordered(q, results[e][q]["rows"]),
                                      sorted_if_unordered(q, results[reference][q]["rows"]))
            checks.append(f"{e}={'ok' if diff is None else 'DIFF ' + diff}")
        quiver = results.get("quiver", {}).get(q, {})
        spark = results.get("pyspark", {}).get(q, {})
        duck = results.get("duckdb", {}).get(q, {})
        speedup = spark["seconds"] / quiver["seconds"] if "seconds" in quiver and "seconds" in spark else None
        slowdown = quiver["seconds"] / duck["seconds"] if "seconds" in quiver and "seconds" in duck else None
        if speedup:
            vs_spark.append(speedup)
        if slowdown:
            vs_duck.append(slowdown)
        print(f"{q:6}" + "".join(cells) + f"  {('%.1fx' % speedup) if speedup else '-':>14}"
              f"  {('%.2fx' % slowdown) if slowdown else '-':>13}  {' '.join(checks)}")
        summary["queries"][q] = {e: {k: v for k, v in results[e][q].items() if k != "rows"} for e in engines}
        summary["queries"][q]["answers"] = checks
    g_spark, g_duck = geometric_mean(vs_spark), geometric_mean(vs_duck)
    summary["geomean_pyspark_over_quiver"] = g_spark
    summary["geomean_quiver_over_duckdb"] = g_duck
    print(f"\ngeometric mean: Quiver is {g_spark:.2f}x faster than PySpark" if g_spark else "\ngeometric mean vs PySpark: -")
    print(f"geometric mean: Quiver takes {g_duck:.2f}x DuckDB's time" if g_duck else "geometric mean vs DuckDB: -")
    for e in engines:
        for q in queries:
            if "error" in results[e][q]:
                print(f"  {e} {q}: {results[e][q]['error']}")
    if args.no_record:
        return
    out = ROOT / "bench" / "results" / "tpch_sql.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2))
    print(f"saved {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
