"""Server processes: a local session starts and stops its own server, leaves no orphan behind
(not even when the Python parent is killed), connects to a separately started server, and
`quiver serve` shuts down gracefully on SIGTERM."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("QUIVER_BINARY", str(ROOT / "bin" / "quiver"))


def quiver_children(parent: psutil.Process) -> list[psutil.Process]:
    out = []
    for child in parent.children(recursive=True):
        try:
            cmdline = child.cmdline()
            if len(cmdline) > 1 and Path(cmdline[0]).name.startswith("quiver") and cmdline[1] == "serve":
                out.append(child)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return out


def wait_gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid):
            return True
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def start_server(token: str, extra_args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str, str]:
    workdir = tempfile.mkdtemp(prefix="quiver-life-")
    port_file = os.path.join(workdir, "port")
    log_path = os.path.join(workdir, "server.log")
    proc = subprocess.Popen([BINARY, "serve", "--addr", "127.0.0.1:0", "--port-file", port_file, *extra_args],
                            env={**os.environ, "QUIVER_TOKEN": token}, stdout=open(log_path, "wb"),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not os.path.exists(port_file):
        assert proc.poll() is None, Path(log_path).read_text()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return proc, Path(port_file).read_text().strip(), log_path


def test_local_session_starts_and_stops_its_server():
    from quiver.sql import SparkSession

    me = psutil.Process()
    before = {p.pid for p in quiver_children(me)}
    spark = SparkSession.builder.create()
    started = [p for p in quiver_children(me) if p.pid not in before]
    assert len(started) == 1, "one local server per session"
    server = started[0]
    # Loopback only, on the port the session uses.
    listening = [c for c in server.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN]
    assert listening and all(c.laddr.ip in ("127.0.0.1", "::1") for c in listening)
    assert spark.range(10).count() == 10
    spark.stop()
    assert wait_gone(server.pid), "stop() ends the local server"
    assert {p.pid for p in quiver_children(me)} <= before
    spark.stop()  # idempotent


def test_killed_parent_leaves_no_server():
    # A Python parent that creates a session and is then SIGKILLed: atexit never runs, and the
    # server's --exit-with-parent must notice.
    program = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / 'python')!r})
        from quiver.sql import SparkSession
        spark = SparkSession.builder.create()
        assert spark.range(3).count() == 3
        print(spark._server.process.pid, flush=True)
        sys.stdin.read()
    """)
    parent = subprocess.Popen([sys.executable, "-c", program], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    line = parent.stdout.readline()
    assert line, "the child session did not start"
    server_pid = int(line)
    assert psutil.pid_exists(server_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert wait_gone(server_pid), "the server outlived its SIGKILLed parent"


def test_sigterm_shuts_down_gracefully():
    proc, _, log_path = start_server(secrets.token_hex(8), ("--log-level", "info"))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    log = Path(log_path).read_text()
    assert "shutting down" in log and "stopped" in log


def test_non_loopback_without_token_is_refused():
    env = {k: v for k, v in os.environ.items() if k != "QUIVER_TOKEN"}
    res = subprocess.run([BINARY, "serve", "--addr", "0.0.0.0:0"], env=env, capture_output=True, text=True, timeout=30)
    assert res.returncode == 2
    assert "refusing to listen" in res.stderr and "token" in res.stderr


@pytest.mark.parametrize("how", ["builder", "env"])
def test_remote_connects_to_a_running_server(how, monkeypatch):
    from quiver.sql import SparkSession

    token = secrets.token_hex(8)
    proc, address, _ = start_server(token)
    try:
        monkeypatch.setenv("QUIVER_TOKEN", token)
        me = psutil.Process()
        before = {p.pid for p in quiver_children(me)} - {proc.pid}
        if how == "builder":
            spark = SparkSession.builder.remote(f"grpc://{address}").create()
        else:
            monkeypatch.setenv("QUIVER_REMOTE", f"grpc://{address}")
            spark = SparkSession.builder.create()
        assert {p.pid for p in quiver_children(me)} - {proc.pid} == before, "no local server for a remote session"
        df = spark.createDataFrame([(1, "a"), (2, "b")], "id long, s string")
        assert [tuple(r) for r in df.collect()] == [(1, "a"), (2, "b")]
        spark.stop()
        assert proc.poll() is None, "stopping a remote session leaves the server running"
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0


def test_remote_with_wrong_token_fails_clearly(monkeypatch):
    from quiver.errors import AuthenticationError
    from quiver.sql import SparkSession

    proc, address, _ = start_server(secrets.token_hex(8))
    try:
        monkeypatch.setenv("QUIVER_TOKEN", "wrong")
        spark = SparkSession.builder.remote(f"grpc://{address}").create()
        with pytest.raises(AuthenticationError):
            spark.range(3).count()
        spark.stop()
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_directories_of_killed_owners_are_removed(tmp_path):
    """A session killed with SIGKILL never stops its server, which exits with it: the next
    local server removes the directory it left, and leaves those of live owners and others."""
    from quiver._server import OWNER_FILE, remove_abandoned_dirs

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()

    def server_dir(name, owner):
        d = tmp_path / name
        d.mkdir()
        (d / "port").write_text("127.0.0.1:1")
        if owner is not None:
            (d / OWNER_FILE).write_text(str(owner))
        return d

    abandoned = server_dir("quiver-abandoned", dead.pid)
    live = server_dir("quiver-live", os.getppid())
    mine = server_dir("quiver-mine", os.getpid())
    unmarked = server_dir("quiver-unmarked", None)
    other = server_dir("other-abandoned", dead.pid)
    remove_abandoned_dirs(str(tmp_path))
    assert not abandoned.exists()
    assert live.exists() and mine.exists() and unmarked.exists() and other.exists()


def test_a_killed_session_leaves_no_directory_behind():
    """End to end: a Python process with a local session is killed with SIGKILL; starting
    another local session removes the directory the first left."""
    script = textwrap.dedent("""
        import os, sys, time
        from quiver.sql import SparkSession
        spark = SparkSession.builder.create()
        print(spark._server._dir, flush=True)
        time.sleep(60)
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    directory = child.stdout.readline().strip()
    assert os.path.isdir(directory), directory
    child.kill()
    child.wait()
    from quiver.sql import SparkSession

    session = SparkSession.builder.create()
    try:
        assert not os.path.exists(directory), f"{directory} was left behind"
    finally:
        session.stop()

