"""Runs the differential suite.

  # with PySpark installed (make compat does this in .venv-compat): record PySpark's answers
  python python/tests/compat/run_compat.py --engine pyspark --write-expected
  # with Quiver (.venv): compare against the recorded answers, print the pass count
  python python/tests/compat/run_compat.py --engine quiver [--update-status] [-k substring]

--update-status rewrites status.json (which programs pass on Quiver, and why the others fail); the
pytest gate (test_compat.py) then holds every passing program to passing.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))  # python/, for `import quiver` without installing

import harness  # noqa: E402
import programs  # noqa: E402


def pyspark_session():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # One core and one shuffle partition: the answers do not depend on partitioning (programs that
    # could are written to be deterministic), and a small busy machine schedules fewer tasks faster.
    session = (SparkSession.builder.master("local[1]").appName("quiver-compat")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", "1")
               .config("spark.default.parallelism", "1")
               .config("spark.ui.enabled", "false")
               .config("spark.driver.memory", "1g")
               .config("spark.python.worker.reuse", "true")
               .config("spark.driver.extraJavaOptions", "-Dlog4j2.level=OFF")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


def quiver_session():
    from quiver.sql import SparkSession

    return SparkSession.builder.appName("quiver-compat").config("spark.sql.session.timeZone", "UTC").getOrCreate()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["pyspark", "quiver"], required=True)
    parser.add_argument("--write-expected", action="store_true", help="(pyspark) store answers under expected/")
    parser.add_argument("--missing-only", action="store_true",
                        help="(pyspark) run only programs with no stored answer yet (resumes an interrupted run)")
    parser.add_argument("--update-status", action="store_true", help="(quiver) rewrite status.json")
    parser.add_argument("-k", default="", help="only programs whose name contains one of these (comma-separated)")
    args = parser.parse_args(argv)

    programs.bind(args.engine)
    patterns = [k for k in args.k.split(",") if k] or [""]
    selected = [p for p in harness.PROGRAMS.values() if any(k in p.name for k in patterns)]
    spark = pyspark_session() if args.engine == "pyspark" else quiver_session()
    started = time.monotonic()
    try:
        if args.engine == "pyspark":
            errors = 0
            if args.missing_only:
                selected = [p for p in selected if harness.load_expected(p.name) is None]
            for number, prog in enumerate(selected, start=1):
                answer = harness.capture(spark, prog)
                print(f"[{number}/{len(selected)}] {prog.name}", flush=True)
                if "error" in answer:
                    errors += 1
                    print(f"  {prog.name}: PySpark raised {answer['error']}")
                if args.write_expected:
                    harness.write_expected(answer)
            print(f"PySpark: {len(selected)} programs run ({errors} expected to raise) "
                  f"in {time.monotonic() - started:.1f}s")
            return 0
        status = harness.load_status()
        passed, regressions, newly = 0, [], []
        unrecorded = [p for p in selected if harness.load_expected(p.name) is None]
        selected = [p for p in selected if harness.load_expected(p.name) is not None]
        if unrecorded:
            print(f"{len(unrecorded)} programs have no PySpark answer yet (run `make compat`): "
                  f"{', '.join(p.name for p in unrecorded)}")
        for prog in selected:
            ok, reason = harness.run_on_quiver(spark, prog)
            before = status.get(prog.name, {}).get("pass")
            if ok:
                passed += 1
                if before is False or before is None:
                    newly.append(prog.name)
            else:
                print(f"  FAIL {prog.name}: {reason}")
                if before:
                    regressions.append(prog.name)
            if args.update_status:
                status[prog.name] = {"pass": ok, "category": prog.category} | ({} if ok else {"reason": reason[:300]})
        if args.update_status:
            for name in list(status):
                if name not in harness.PROGRAMS or harness.load_expected(name) is None:
                    del status[name]
            harness.write_status(status)
        print(f"Quiver vs PySpark: {passed} passed, {len(selected) - passed} failed "
              f"(of {len(selected)} recorded programs; {len(harness.PROGRAMS)} in the suite; "
              f"{time.monotonic() - started:.1f}s)")
        if newly and not args.update_status:
            print(f"newly passing (run with --update-status to lock them in): {', '.join(newly)}")
        if regressions:
            print(f"REGRESSIONS (marked passing in status.json): {', '.join(regressions)}")
            return 1
        return 0
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
