"""Server CPU seconds per TPC-H SQL query: user+sys of the `quiver serve` process from /proc
around each run, best of --runs after one warm-up, with the wall time beside it. CPU time is what
to compare on a shared machine, where wall times follow the load.

    QUIVER_BINARY=bin/quiver .venv/bin/python bench/tpch_sql_cpu.py --runs 3 q02 q13 q15

Run it once per binary (QUIVER_BINARY) back to back to compare two builds. Data: bench/data/tpch-sf1.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLES = ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", default=str(ROOT / "bench" / "data" / "tpch-sf1"))
    parser.add_argument("queries", nargs="+")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "python"))
    from quiver.sql import SparkSession

    spark = SparkSession.builder.master("local[2]").getOrCreate()
    for t in TABLES:
        spark.read.parquet(str(Path(args.data) / f"{t}.parquet")).createOrReplaceTempView(t)
    pid = spark._server.process.pid
    tick = os.sysconf("SC_CLK_TCK")

    def cpu_seconds() -> float:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    print("query   cpu_s   wall_s")
    for q in args.queries:
        text = (ROOT / "testdata" / "tpch_queries" / f"{q}.sql").read_text().strip().rstrip(";")
        df = spark.sql(text)
        df.collect()
        best_cpu = best_wall = float("inf")
        for _ in range(args.runs):
            c, w = cpu_seconds(), time.time()
            df.collect()
            best_cpu, best_wall = min(best_cpu, cpu_seconds() - c), min(best_wall, time.time() - w)
        print(f"{q:6s} {best_cpu:7.2f} {best_wall:8.3f}", flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
