"""Row-at-a-time vs vectorized Python UDFs: the workloads of the 2017 pandas-UDF benchmark.

Workloads (on N rows: an int64 id, a float64 value, groups of about 1000 rows):
  plus_one        v + 1
  cdf             the standard normal CDF of v (cumulative probability)
  subtract_mean   v minus the mean of its group

Columns, all measured in the same run:
  quiver_row_pickled   F.udf over pickled rows (the classic path)
  quiver_row_arrow     F.udf(useArrow=True)
  quiver_pandas        pandas_udf (subtract_mean: groupBy().applyInPandas)
  pyspark_row_pickled, pyspark_row_arrow, pyspark_pandas
                       the same three on PySpark 4.x local[2], when a PySpark is found
                       (--pyspark-python, $QUIVER_BENCH_PYSPARK_PYTHON, or importable here)
  pandas               plain in-process pandas on the same data: the floor

Each query is forced with an aggregate over the UDF's output (the sum), so no result transfer is
timed; the input is created (and for Quiver stored on the server) before timing. Every timed run
builds its UDFs and DataFrames anew (nothing is reused between runs: PySpark would skip stages whose
shuffle output a reused DataFrame already has), and every run's sum is checked against the pandas
floor's, so a variant that skipped rows or reused an earlier answer fails instead of looking fast.
The floor calls the same functions in-process on the same pandas frame (the grouped one through
DataFrame.groupby().apply) and takes the same sum. Each variant runs once untimed first (workers
have the function cached and the JIT/interpreters are warm, as after any first call).
Writes bench/results/udf.json, udf.md and udf.png.

Batch sizes: PySpark runs with Spark's default spark.sql.execution.arrow.maxRecordsPerBatch
(10,000 rows per pandas call). Quiver runs with its own default (the setting unset: larger calls,
decision 0026) unless --max-records-per-batch sets it; the batch size the Quiver pandas UDF saw is
measured on the data and stated in the output.

Usage: .venv/bin/python bench/udf.py [--rows 10000000] [--repeat 1] [--skip-pickled]
       [--engines quiver,pyspark,pandas] [--variants quiver_pandas,...] [--workloads plus_one,...]
       [--max-records-per-batch N]
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

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
RESULTS = ROOT / "bench" / "results"

WORKLOADS = ["plus_one", "cdf", "subtract_mean"]

# The normal CDF, vectorized. SciPy is not a dependency, so the pandas versions use the
# Abramowitz-Stegun 7.1.26 approximation of erf (absolute error below 1.5e-7) on numpy arrays;
# the row versions use math.erf. Both sides do the same work per value on every engine.
CDF_SOURCE = '''
import math
import numpy as np

def ndtr(x):
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)

def row_cdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))
'''
_ns: dict = {}
exec(CDF_SOURCE, _ns)
ndtr, row_cdf = _ns["ndtr"], _ns["row_cdf"]


def make_data(rows: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(2017)
    return pd.DataFrame({
        "id": np.arange(rows, dtype="int64"),
        "v": rng.normal(size=rows),
        "g": (np.arange(rows, dtype="int64") // 1000),
    })


def timed(fn, repeat: int) -> tuple[float, float]:
    """Best wall time of repeat calls of fn (after one untimed call) and the answer of the last."""
    fn()
    best, value = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


def check(name: str, workload: str, value: float, expected: float | None) -> None:
    """Fails when a variant's answer differs from the floor's: it did not run the UDF on every row.
    The row CDF uses math.erf and the vectorized one an approximation good to 1.5e-7 per value."""
    if expected is None:
        return
    tolerance = 1e-9 * abs(expected) + (2e-7 * ROWS if workload == "cdf" else 1e-6 * math.sqrt(ROWS))
    if value is None or not math.isfinite(value) or abs(value - expected) > tolerance:
        raise SystemExit(f"{name} {workload}: answered {value}, the pandas floor answered {expected}")


ROWS = 0


# -- the UDF bodies, shared by every engine ----------------------------------------------------------

def plus_one_body(v: pd.Series) -> pd.Series:
    return v + 1


def cdf_body(v: pd.Series) -> pd.Series:
    return pd.Series(ndtr(v.to_numpy()))


def subtract_mean_body(g):
    return g.assign(v=g.v - g.v.mean())


# -- pandas floor ----------------------------------------------------------------------------------

def run_pandas(pdf, repeat: int, workloads: list[str]) -> dict:
    import warnings

    def grouped():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas 2 warns that the group column is passed too
            return float(pdf.groupby("g", group_keys=False).apply(subtract_mean_body).v.sum())

    work = {
        "plus_one": lambda: float(plus_one_body(pdf.v).sum()),
        "cdf": lambda: float(cdf_body(pdf.v).sum()),
        "subtract_mean": grouped,
    }
    return {w: timed(work[w], repeat) for w in workloads}


# -- Quiver ----------------------------------------------------------------------------------------

def run_quiver(pdf, repeat: int, variants: list[str], workloads: list[str], expected: dict,
               max_records: int | None = None, meta: dict | None = None) -> dict:
    import pandas as pd

    from quiver.sql import SparkSession
    from quiver.sql import functions as F

    spark = SparkSession.builder.appName("bench-udf").getOrCreate()
    if max_records:
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(max_records))
    df = spark.createDataFrame(pdf)
    df.select(F.lit(1)).limit(1).collect()  # warm the connection
    out: dict = {}

    def call_rows(v: pd.Series) -> pd.Series:
        return pd.Series([len(v)] * len(v), dtype="int64")

    # The rows per pandas call on this data, as the scalar pandas UDFs below see them.
    seen = df.select(F.pandas_udf(call_rows, "long")("v").alias("n")).agg(F.max("n").alias("n")).collect()[0]["n"]
    if meta is not None:
        meta["quiver_batch_rows"] = int(seen)
        meta["quiver_max_records_per_batch"] = max_records

    def total(frame, column: str) -> float:
        return float(frame.agg(F.sum(column).alias("s")).collect()[0]["s"])

    # Each call builds new UDF objects and a new plan: nothing of an earlier run is reused.
    def pandas_plus_one():
        return total(df.select(F.pandas_udf(plus_one_body, "double")("v").alias("r")), "r")

    def pandas_cdf():
        return total(df.select(F.pandas_udf(cdf_body, "double")("v").alias("r")), "r")

    def pandas_subtract_mean():
        return total(df.groupBy("g").applyInPandas(subtract_mean_body, "id long, v double, g long"), "v")

    work = {
        "quiver_pandas": {"plus_one": pandas_plus_one, "cdf": pandas_cdf, "subtract_mean": pandas_subtract_mean},
        "quiver_row_arrow": _row_variants(F, df, total, use_arrow=True),
        "quiver_row_pickled": _row_variants(F, df, total, use_arrow=False),
    }
    for name in [v for v in work if v in variants]:
        out[name] = {}
        for w in workloads:
            out[name][w] = timed(work[name][w], repeat)
            check(name, w, out[name][w][1], expected.get(w))
            print(f"  {name:20s} {w:14s} {out[name][w][0]:8.2f} s", flush=True)
    spark.stop()
    return out


def _row_variants(F, df, total, use_arrow: bool) -> dict:
    def plus_one():
        return total(df.select(F.udf(lambda v: v + 1.0, "double", useArrow=use_arrow)("v").alias("r")), "r")

    def cdf():
        return total(df.select(F.udf(row_cdf, "double", useArrow=use_arrow)("v").alias("r")), "r")

    def subtract_mean():
        joined = df.join(df.groupBy("g").agg(F.avg("v").alias("m")), "g")
        sub = F.udf(lambda v, m: v - m, "double", useArrow=use_arrow)
        return total(joined.select(sub("v", "m").alias("r")), "r")

    return {"plus_one": plus_one, "cdf": cdf, "subtract_mean": subtract_mean}


# -- PySpark (in its own interpreter: it may live in another virtualenv) -----------------------------

PYSPARK_SCRIPT = r'''
import json, math, sys, time
import numpy as np, pandas as pd
from pyspark.sql import SparkSession, functions as F
CDF
BODIES
rows, repeat, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
variants, workloads = sys.argv[4].split(","), sys.argv[5].split(",")
spark = (SparkSession.builder.master("local[2]").appName("bench-udf")
         .config("spark.sql.shuffle.partitions", "2").config("spark.ui.enabled", "false")
         .config("spark.driver.memory", "4g").config("spark.sql.execution.arrow.pyspark.enabled", "true")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
df = spark.read.parquet(path).cache()
df.count()

def timed(fn):
    fn()
    best, value = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter(); value = fn(); best = min(best, time.perf_counter() - t0)
    return best, value

def total(frame, column):
    return float(frame.agg(F.sum(column).alias("s")).collect()[0]["s"])

# Every call builds new UDFs and new DataFrames: a reused DataFrame would reuse its shuffle output.
def rows_variant(use_arrow):
    def plus_one():
        return total(df.select(F.udf(lambda v: v + 1.0, "double", useArrow=use_arrow)("v").alias("r")), "r")
    def cdf():
        return total(df.select(F.udf(row_cdf, "double", useArrow=use_arrow)("v").alias("r")), "r")
    def subtract_mean():
        joined = df.join(df.groupBy("g").agg(F.avg("v").alias("m")), "g")
        sub = F.udf(lambda v, m: v - m, "double", useArrow=use_arrow)
        return total(joined.select(sub("v", "m").alias("r")), "r")
    return {"plus_one": plus_one, "cdf": cdf, "subtract_mean": subtract_mean}

work = {
    "pyspark_pandas": {
        "plus_one": lambda: total(df.select(F.pandas_udf(plus_one_body, "double")("v").alias("r")), "r"),
        "cdf": lambda: total(df.select(F.pandas_udf(cdf_body, "double")("v").alias("r")), "r"),
        "subtract_mean": lambda: total(df.groupBy("g").applyInPandas(subtract_mean_body, "id long, v double, g long"), "v"),
    },
    "pyspark_row_arrow": rows_variant(True),
    "pyspark_row_pickled": rows_variant(False),
}
out = {}
for name in [v for v in work if v in variants]:
    out[name] = {}
    for w in workloads:
        out[name][w] = timed(work[name][w])
        print(f"  {name:20s} {w:14s} {out[name][w][0]:8.2f} s", file=sys.stderr, flush=True)
print(json.dumps({"version": spark.version, "results": out}))
spark.stop()
'''

BODIES_SOURCE = '''
def plus_one_body(v: pd.Series) -> pd.Series:
    return v + 1

def cdf_body(v: pd.Series) -> pd.Series:
    return pd.Series(ndtr(v.to_numpy()))

def subtract_mean_body(g):
    return g.assign(v=g.v - g.v.mean())
'''


def find_pyspark_python(explicit: str | None) -> str | None:
    candidates = [explicit, os.environ.get("QUIVER_BENCH_PYSPARK_PYTHON"), str(ROOT.parent / "pyspark-venv" / "bin" / "python"), sys.executable]
    for py in candidates:
        if not py or not os.path.exists(py):
            continue
        ok = subprocess.run([py, "-c", "import pyspark, pyarrow, pandas; assert int(pyspark.__version__.split('.')[0]) >= 4"],
                            capture_output=True)
        if ok.returncode == 0:
            return py
    return None


def run_pyspark(py: str, pdf, repeat: int, variants: list[str], workloads: list[str]) -> tuple[str, dict]:
    with tempfile.TemporaryDirectory(prefix="quiver-bench-") as tmp:
        path = os.path.join(tmp, "data.parquet")
        pdf.to_parquet(path, index=False)
        script = PYSPARK_SCRIPT.replace("CDF", CDF_SOURCE).replace("BODIES", BODIES_SOURCE)
        proc = subprocess.run([py, "-c", script, str(len(pdf)), str(repeat), path, ",".join(variants), ",".join(workloads)],
                              capture_output=True, text=True, env={**os.environ, "PYSPARK_PYTHON": py})
        sys.stderr.write(proc.stderr[-4000:] if proc.returncode else proc.stderr)
        if proc.returncode != 0:
            raise RuntimeError(f"the PySpark run failed with status {proc.returncode}")
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        return res["version"], {k: {w: tuple(t) for w, t in v.items()} for k, v in res["results"].items()}


# -- report ----------------------------------------------------------------------------------------

COLUMNS = ["quiver_row_pickled", "quiver_row_arrow", "quiver_pandas",
           "pyspark_row_pickled", "pyspark_row_arrow", "pyspark_pandas", "pandas"]


def report(results: dict, meta: dict) -> str:
    lines = [f"# Python UDF benchmark ({meta['rows']:,} rows, best of {meta['repeat']})", "",
             f"Machine: {meta['machine']}, load average {meta.get('load_average_at_start', 0):.1f} at the start. "
             f"PySpark: {meta.get('pyspark') or 'not measured'}.", "",
             "Every run builds its UDFs and DataFrames anew and its sum is checked against the floor's. The floor "
             "(`pandas`) calls the same functions in-process on the whole frame (subtract_mean through "
             "`groupby().apply`), single-threaded.", "",
             "Batch sizes (rows per scalar pandas UDF call): " + _batch_sizes(meta) + ".", "",
             "Seconds, end to end (lower is better).", "",
             "| workload | " + " | ".join(c for c in COLUMNS if c in results) + " |",
             "|---|" + "---:|" * len([c for c in COLUMNS if c in results])]
    for w in WORKLOADS:
        cells = []
        for c in COLUMNS:
            if c in results:
                v = results[c].get(w)
                cells.append("—" if v is None else f"{v:.3f}" if v < 1 else f"{v:.2f}")
        lines.append(f"| {w} | " + " | ".join(cells) + " |")
    lines += ["", "Ratios:", ""]
    q = results.get("quiver_pandas", {})
    for w in WORKLOADS:
        parts = []
        if results.get("quiver_row_pickled", {}).get(w) and q.get(w):
            parts.append(f"pickled row / pandas UDF = {results['quiver_row_pickled'][w] / q[w]:.1f}x")
        if results.get("pyspark_pandas", {}).get(w) and q.get(w):
            parts.append(f"PySpark pandas UDF / Quiver pandas UDF = {results['pyspark_pandas'][w] / q[w]:.1f}x")
        if results.get("pandas", {}).get(w) and q.get(w):
            parts.append(f"Quiver pandas UDF / in-process pandas = {q[w] / results['pandas'][w]:.1f}x")
        lines.append(f"- {w}: " + "; ".join(parts))
    return "\n".join(lines) + "\n"


def _batch_sizes(meta: dict) -> str:
    parts = []
    if meta.get("quiver_batch_rows"):
        how = (f"spark.sql.execution.arrow.maxRecordsPerBatch={meta['quiver_max_records_per_batch']:,}"
               if meta.get("quiver_max_records_per_batch") else "the setting unset: Quiver's default, decision 0026")
        parts.append(f"Quiver up to {meta['quiver_batch_rows']:,} ({how})")
    if meta.get("pyspark"):
        parts.append("PySpark up to 10,000 (Spark's default maxRecordsPerBatch)")
    return "; ".join(parts) or "not measured"


def chart(results: dict, path: Path, rows: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = [c for c in COLUMNS if c in results]
    fig, ax = plt.subplots(figsize=(11, 5))
    width = 0.8 / len(cols)
    for i, c in enumerate(cols):
        values = [results[c].get(w) or 0 for w in WORKLOADS]
        ax.bar([x + i * width for x in range(len(WORKLOADS))], values, width, label=c)
    ax.set_xticks([x + width * (len(cols) - 1) / 2 for x in range(len(WORKLOADS))])
    ax.set_xticklabels(WORKLOADS)
    ax.set_yscale("log")
    ax.set_ylabel("seconds (log scale, lower is better)")
    ax.set_title(f"Python UDFs on {rows:,} rows")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    global ROWS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--skip-pickled", action="store_true", help="skip the pickled row UDF columns (the slowest)")
    ap.add_argument("--skip-pyspark", action="store_true")
    ap.add_argument("--engines", default="pandas,quiver,pyspark", help="comma-separated: pandas, quiver, pyspark")
    ap.add_argument("--variants", default=",".join(c for c in COLUMNS if c != "pandas"),
                    help="comma-separated columns to measure (quiver_pandas, pyspark_row_arrow, ...)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated: " + ", ".join(WORKLOADS))
    ap.add_argument("--pyspark-python", help="interpreter with pyspark 4.x installed")
    ap.add_argument("--no-record", action="store_true", help="print the table without writing bench/results")
    ap.add_argument("--max-records-per-batch", type=int, default=None,
                    help="set spark.sql.execution.arrow.maxRecordsPerBatch for Quiver (default: unset, Quiver's own "
                         "default); PySpark always runs with Spark's default, 10,000")
    args = ap.parse_args()
    engines = args.engines.split(",")
    if args.skip_pyspark and "pyspark" in engines:
        engines.remove("pyspark")
    variants = [v for v in args.variants.split(",") if not (args.skip_pickled and v.endswith("_row_pickled"))]
    workloads = [w for w in WORKLOADS if w in args.workloads.split(",")]
    ROWS = args.rows
    pdf = make_data(args.rows)
    results: dict = {}
    expected: dict = {}
    # The floor's answers are the reference every variant is checked against; it always runs.
    print(f"pandas ({args.rows:,} rows)", flush=True)
    for w, (t, value) in run_pandas(pdf, args.repeat, workloads).items():
        expected[w] = value
        print(f"  {'pandas':20s} {w:14s} {t:8.2f} s", flush=True)
        if "pandas" in engines:
            results.setdefault("pandas", {})[w] = t
    meta = {"rows": args.rows, "repeat": args.repeat, "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "load_average_at_start": os.getloadavg()[0]}
    if "quiver" in engines:
        print("Quiver", flush=True)
        for name, per in run_quiver(pdf, args.repeat, variants, workloads, expected, args.max_records_per_batch, meta).items():
            results[name] = {w: t for w, (t, _) in per.items()}
        print(f"  Quiver pandas UDF calls of up to {meta['quiver_batch_rows']:,} rows", flush=True)
    py = find_pyspark_python(args.pyspark_python) if "pyspark" in engines else None
    if py:
        print(f"PySpark ({py})", flush=True)
        try:
            version, per_variant = run_pyspark(py, pdf, args.repeat, variants, workloads)
            meta["pyspark"] = f"{version} local[2]"
            for name, per in per_variant.items():
                for w, (t, value) in per.items():
                    check(name, w, value, expected.get(w))
                results[name] = {w: t for w, (t, _) in per.items()}
        except RuntimeError as e:
            print(f"PySpark skipped: {e}", flush=True)
    text = report(results, meta)
    print(text)
    if args.no_record:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "udf.json").write_text(json.dumps({"meta": meta, "seconds": results}, indent=2) + "\n")
    (RESULTS / "udf.md").write_text(text)
    chart(results, RESULTS / "udf.png", args.rows)


if __name__ == "__main__":
    main()
