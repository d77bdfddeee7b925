"""Starting and stopping a local `quiver serve` for a session without a remote."""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def find_binary() -> str:
    """Locates the quiver binary: $QUIVER_BINARY, the repository's bin/ (after `make demo`), PATH."""
    env = os.environ.get("QUIVER_BINARY")
    if env:
        if not os.access(env, os.X_OK):
            raise FileNotFoundError(f"QUIVER_BINARY={env} is not an executable file")
        return env
    here = Path(__file__).resolve()
    for parent in here.parents[:4]:
        candidate = parent / "bin" / "quiver"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("quiver")
    if found:
        return found
    raise FileNotFoundError(
        "cannot find the quiver server binary: run `make demo` (or `make build`) in the Quiver "
        "repository, set QUIVER_BINARY, or connect to a running server with "
        "SparkSession.builder.remote('grpc://host:port')"
    )


# The file in a local server's directory naming the process that started it.
OWNER_FILE = "owner"


def remove_abandoned_dirs(root: str | None = None) -> None:
    """Removes the directories of local servers whose owning process is gone.

    A directory is removed by stop(); an owner killed with SIGKILL never runs it, and its
    server exits with it (--exit-with-parent), so the directory (port file, log) is left.
    Only directories holding an owner file naming a dead process are touched.
    """
    root = root or tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(root) if n.startswith("quiver-")]
    except OSError:
        return
    for name in names:
        path = os.path.join(root, name)
        try:
            with open(os.path.join(path, OWNER_FILE)) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if pid == os.getpid() or _alive(pid):
            continue
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalServer:
    """A `quiver serve` child process on 127.0.0.1, an ephemeral port and a random token.

    The server exits when stop() is called, when this interpreter exits, or (through
    --exit-with-parent) when this process dies without running atexit handlers.
    """

    def __init__(self, parallelism: int | None = None, extra_env: dict[str, str] | None = None,
                 memory_limit: str | None = None):
        self.token = secrets.token_hex(16)
        remove_abandoned_dirs()
        self._dir = tempfile.mkdtemp(prefix="quiver-")
        with open(os.path.join(self._dir, OWNER_FILE), "w") as f:
            f.write(str(os.getpid()))
        port_file = os.path.join(self._dir, "port")
        self._log_path = os.path.join(self._dir, "server.log")
        args = [find_binary(), "serve", "--addr", "127.0.0.1:0", "--port-file", port_file,
                "--exit-with-parent", "--log-level", os.environ.get("QUIVER_LOG_LEVEL", "warn")]
        if parallelism:
            args += ["--parallelism", str(parallelism)]
        if memory_limit is not None:
            # spark.quiver.memory.limit: a size ("2g"), a share ("40%"), "auto" or "0" (unlimited).
            args += ["--memory-limit", str(memory_limit)]
        env = dict(os.environ)
        env["QUIVER_TOKEN"] = self.token
        # Python UDF workers run this interpreter and import this copy of quiver, so functions
        # pickled here unpickle there (same Python version, same packages).
        env.setdefault("QUIVER_PYTHON", sys.executable)
        env.setdefault("QUIVER_WORKER_PYTHONPATH", str(Path(__file__).resolve().parents[1]))
        if extra_env:
            env.update(extra_env)
        self._log = open(self._log_path, "wb")
        self.process = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file):
            if self.process.poll() is not None:
                raise RuntimeError(f"the local Quiver server exited with status {self.process.returncode}: {self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the local Quiver server did not start within 30 s: {self.log_tail()}")
            time.sleep(0.01)
        with open(port_file) as f:
            self.address = f.read().strip()
        self.url = f"grpc://{self.address}"
        atexit.register(self.stop)

    def log_tail(self, n: int = 4000) -> str:
        try:
            with open(self._log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        proc = self.process
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if not self._log.closed:
            self._log.close()
        shutil.rmtree(self._dir, ignore_errors=True)
        atexit.unregister(self.stop)
