"""UDF failures: exceptions with tracebacks, wrong return types and lengths, dying workers,
timeouts, cancellation and Python version checks. Each test runs real workers and checks that
the server keeps serving afterwards."""

from __future__ import annotations

import os
import signal
import time

import pandas as pd
import psutil
import pytest

from quiver.errors import AnalysisException, PythonException, QuiverException, QuiverRuntimeError
from quiver.sql import SparkSession
from quiver.sql import functions as F


def _workers(server_pid: int) -> list[psutil.Process]:
    try:
        parent = psutil.Process(server_pid)
    except psutil.NoSuchProcess:
        return []
    return [p for p in parent.children(recursive=True) if "quiver.worker" in " ".join(p.cmdline())]


def _still_serves(spark) -> None:
    @F.pandas_udf("long")
    def inc(v: pd.Series) -> pd.Series:
        return v + 1

    assert list(spark.range(3).select(inc("id").alias("r")).toPandas().r) == [1, 2, 3]


def test_exception_carries_traceback_and_udf_name(spark):
    # Defined here, not at module level: cloudpickle pickles module-level functions by reference
    # and the workers cannot import a test module (PySpark has the same rule).
    def _raise_value_error(v):
        raise ValueError(f"bad value {v.iloc[0]}")

    @F.pandas_udf("double")
    def explode(v: pd.Series) -> pd.Series:
        return _raise_value_error(v)

    with pytest.raises(PythonException) as e:
        spark.range(5).select(explode("id")).collect()
    msg = str(e.value)
    assert "explode" in msg
    assert "Traceback (most recent call last)" in msg
    assert "ValueError" in msg and "bad value 0" in msg
    assert "_raise_value_error" in msg
    _still_serves(spark)


@pytest.mark.parametrize("use_arrow", [False, True])
def test_row_udf_exception(spark, use_arrow):
    f = F.udf(lambda x: 1 // (x - 2), "long", useArrow=use_arrow)
    with pytest.raises(PythonException, match="ZeroDivisionError"):
        spark.range(5).select(f("id")).collect()
    _still_serves(spark)


def test_wrong_return_type_names_udf_declared_type_and_what_came_back(spark):
    @F.pandas_udf("int")
    def halves(v: pd.Series) -> pd.Series:
        return v / 2

    with pytest.raises(QuiverException) as e:
        spark.range(5).select(halves("id")).collect()
    msg = str(e.value)
    assert "halves" in msg and "int" in msg and "float64" in msg

    @F.pandas_udf("double")
    def strings(v: pd.Series) -> pd.Series:
        return v.astype(str) + "x"

    with pytest.raises(QuiverException, match=r"strings.*double.*(object|str)"):
        spark.range(5).select(strings("id")).collect()

    f = F.udf(lambda x: "text", "long")
    with pytest.raises(QuiverException, match=r"<lambda>.*(int64|long).*str"):
        spark.range(3).select(f("id")).collect()
    _still_serves(spark)


def test_wrong_length(spark):
    @F.pandas_udf("long")
    def shorter(v: pd.Series) -> pd.Series:
        return v.iloc[:-1]

    with pytest.raises(QuiverException, match=r"shorter.*returned 4 values for a batch of 5 rows"):
        spark.range(0, 5, 1, 1).select(shorter("id")).collect()
    _still_serves(spark)


@pytest.mark.parametrize("how", ["exit", "segfault", "kill"])
def test_worker_death_fails_the_task_and_the_pool_recovers(fresh_spark, how):
    spark = fresh_spark
    server_pid = spark._server.process.pid

    def die(v: pd.Series) -> pd.Series:
        import ctypes
        import os
        import signal

        if how == "exit":
            os._exit(7)
        elif how == "segfault":
            ctypes.string_at(0)
        else:
            os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does
        return v

    dying = F.pandas_udf(die, "long", F.PandasUDFType.SCALAR)
    with pytest.raises(QuiverRuntimeError) as e:
        spark.range(3).select(dying("id")).collect()
    msg = str(e.value)
    assert "died" in msg
    expected = {"exit": "exit status 7", "segfault": "SIGSEGV", "kill": "SIGKILL"}[how]
    assert expected in msg
    _still_serves(spark)
    # The pool replaced the dead worker: it is back to its size, and no worker is a zombie.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        alive = [p for p in _workers(server_pid) if p.status() != psutil.STATUS_ZOMBIE]
        if len(alive) >= 1:
            break
        time.sleep(0.2)
    assert alive


def test_timeout_stops_a_stuck_udf(fresh_spark):
    spark = fresh_spark
    spark.conf.set("quiver.udf.timeout", "2")

    @F.pandas_udf("long")
    def stuck(v: pd.Series) -> pd.Series:
        import time

        time.sleep(600)
        return v

    t0 = time.monotonic()
    with pytest.raises(QuiverException, match=r"stuck.*timeout of 2s.*quiver.udf.timeout"):
        spark.range(2).select(stuck("id")).collect()
    assert time.monotonic() - t0 < 60
    spark.conf.unset("quiver.udf.timeout")
    _still_serves(spark)


def test_disconnected_client_stops_the_workers_work(tmp_path):
    """A client that goes away mid-query: the server kills the worker running its UDF."""
    import subprocess
    import sys
    import textwrap

    marker = tmp_path / "pid"
    spark = SparkSession.builder.create()
    try:
        server_pid = spark._server.process.pid
        script = textwrap.dedent(f"""
            import os, sys, time
            sys.path.insert(0, {os.path.join(os.path.dirname(__file__), '..')!r})
            import pandas as pd
            from quiver.sql import SparkSession, functions as F
            spark = SparkSession.builder.remote({spark._server.url + '/;token=' + spark._server.token!r}).create()

            @F.pandas_udf("long")
            def slow(v: pd.Series) -> pd.Series:
                import os, time
                open({str(marker)!r}, "w").write(str(os.getpid()))
                time.sleep(600)
                return v

            spark.range(2).select(slow("id")).collect()
        """)
        client = subprocess.Popen([sys.executable, "-c", script])
        deadline = time.monotonic() + 120
        while not marker.exists() or not marker.read_text():
            assert time.monotonic() < deadline, "the UDF never started"
            assert client.poll() is None, "the client exited early"
            time.sleep(0.1)
        worker_pid = int(marker.read_text())
        client.kill()
        client.wait()
        deadline = time.monotonic() + 30
        while psutil.pid_exists(worker_pid) and psutil.Process(worker_pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "the worker kept running the abandoned UDF"
            time.sleep(0.1)
        _still_serves(spark)
        assert server_pid
    finally:
        spark.stop()


def test_no_worker_outlives_the_server():
    spark = SparkSession.builder.create()
    server = spark._server.process

    @F.pandas_udf("long")
    def inc(v: pd.Series) -> pd.Series:
        return v + 1

    spark.range(3).select(inc("id")).collect()
    workers = _workers(server.pid)
    assert workers, "the pool should have live workers"
    os.kill(server.pid, signal.SIGKILL)  # not even a graceful shutdown
    server.wait()
    deadline = time.monotonic() + 30
    for w in workers:
        while w.is_running() and w.status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, f"worker {w.pid} outlived the server"
            time.sleep(0.1)
    spark._server.stop()


def test_python_version_mismatch_is_a_clear_error(spark):
    from quiver.sql.udf import UserDefinedFunction

    u = UserDefinedFunction(lambda v: v, "long", evalType=200)
    e = u("id")
    e._expr.common_inline_user_defined_function.python_udf.python_ver = "2.7"
    with pytest.raises(AnalysisException, match=r"pickled with Python 2.7 .*quiver.python"):
        spark.range(2).select(e).collect()
    _still_serves(spark)


def test_bad_interpreter_is_a_clear_error(fresh_spark):
    spark = fresh_spark
    spark.conf.set("quiver.python", "/nonexistent/python3")

    @F.pandas_udf("long")
    def inc(v: pd.Series) -> pd.Series:
        return v + 1

    with pytest.raises(QuiverException, match=r"/nonexistent/python3.*quiver.python"):
        spark.range(2).select(inc("id")).collect()
    spark.conf.unset("quiver.python")
    _still_serves(spark)


def test_partitions_run_in_parallel_up_to_the_pool_size(fresh_spark, tmp_path):
    """Two partitions, two workers: both UDF calls run at the same time. Each call announces itself
    in a shared directory and waits for the other; calls run one after the other would each see
    only themselves (after a 60 s wait), however loaded the machine is."""
    spark = fresh_spark
    meeting = str(tmp_path)

    @F.pandas_udf("long")
    def meet(v: pd.Series) -> pd.Series:
        import os
        import time

        open(os.path.join(meeting, str(os.getpid())), "w").close()
        deadline = time.monotonic() + 60
        while len(os.listdir(meeting)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        return pd.Series([len(os.listdir(meeting))] * len(v), dtype="int64")

    seen = spark.range(0, 2, 1, 2).select(meet("id").alias("n")).toPandas().n.tolist()
    assert seen == [2, 2], "the second partition waited for the first"
