"""createDataFrame + toPandas through Quiver, side by side with a bare pyarrow.flight echo server.

The echo server is the floor: the same pandas -> Arrow -> Flight DoPut and Flight DoGet -> Arrow ->
pandas path with nothing in between. Both servers run as separate processes on this machine and
are measured in the same run, so the ratio is meaningful on a noisy machine even when the seconds
are not. Also reports the peak memory of the Quiver server (against the uploaded Arrow size) and
of the client during toPandas (against the result's pandas size).

    .venv/bin/python bench/transfer.py            # 10M rows (int64, float64, string)
    .venv/bin/python bench/transfer.py --rows 1000000 --repeat 2
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.flight as fl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

from quiver._client import _chunk_rows  # noqa: E402  same batch sizing for both uploads
from quiver.sql import SparkSession  # noqa: E402


class EchoServer(fl.FlightServerBase):
    """Stores what is put under a path and returns it on DoGet: the physical floor."""

    def __init__(self, location: str):
        super().__init__(location)
        self.tables: dict[bytes, pa.Table] = {}

    def do_put(self, context, descriptor, reader, writer):
        self.tables[descriptor.path[0]] = reader.read_all()

    def do_get(self, context, ticket):
        return fl.RecordBatchStream(self.tables[ticket.ticket])

    def do_action(self, context, action):
        if action.type == "clear":
            self.tables.clear()
        return []


def _serve_echo(queue: "mp.Queue") -> None:
    server = EchoServer("grpc://127.0.0.1:0")
    queue.put(server.port)
    server.serve()


def make_frame(rows: int, seed: int = 42) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    keys = pd.array(np.char.add("user_", rng.integers(0, 1_000_000, rows).astype("U7")), dtype="str")
    return pd.DataFrame({"id": np.arange(rows, dtype=np.int64), "value": rng.normal(size=rows), "key": keys})


def reset_peak_rss() -> None:
    """Resets this process's peak RSS (VmHWM) so the next peak belongs to the next step."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss(pid: int | None = None) -> int:
    path = f"/proc/{pid or 'self'}/status"
    with open(path) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return psutil.Process(pid).memory_info().rss


def rss(pid: int | None = None) -> int:
    return psutil.Process(pid or os.getpid()).memory_info().rss


def timed(fn):
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = ap.parse_args()

    pdf = make_frame(args.rows)
    arrow_bytes = pa.Table.from_pandas(pdf, preserve_index=False).nbytes
    pandas_bytes = int(pdf.memory_usage(deep=True, index=False).sum())
    print(f"{args.rows:,} rows: Arrow {arrow_bytes / 1e9:.3f} GB, pandas {pandas_bytes / 1e9:.3f} GB")

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    echo = ctx.Process(target=_serve_echo, args=(queue,), daemon=True)
    echo.start()
    port = queue.get(timeout=30)
    floor = fl.FlightClient(f"grpc://127.0.0.1:{port}")

    spark = SparkSession.builder.getOrCreate()
    server_pid = spark._server.process.pid

    def floor_put() -> None:
        table = pa.Table.from_pandas(pdf, preserve_index=False)
        writer, _ = floor.do_put(fl.FlightDescriptor.for_path("t"), table.schema)
        with writer:
            for batch in table.to_batches(max_chunksize=_chunk_rows(table)):
                writer.write_batch(batch)

    def floor_get() -> pd.DataFrame:
        return floor.do_get(fl.Ticket(b"t")).read_all().to_pandas(split_blocks=True, self_destruct=True)

    results: dict[str, list[float]] = {"floor_up": [], "floor_down": [], "quiver_up": [], "quiver_down": []}
    server_hold_ratio = None
    client_peak_ratio = None
    for i in range(args.repeat):
        _, t = timed(floor_put)
        results["floor_up"].append(t)
        got, t = timed(floor_get)
        results["floor_down"].append(t)
        assert len(got) == args.rows
        del got
        list(floor.do_action(fl.Action("clear", b"")))

        base = rss(server_pid)
        df, t = timed(lambda: spark.createDataFrame(pdf))
        results["quiver_up"].append(t)
        time.sleep(0.5)  # let the server's GC settle before reading its resident size
        held = rss(server_pid) - base
        reset_peak_rss()
        before = rss()
        got, t = timed(df.toPandas)
        results["quiver_down"].append(t)
        client_peak = peak_rss() - before
        assert len(got) == args.rows and got["id"].iloc[-1] == args.rows - 1
        if i == 0:
            # The first upload into a fresh server is the honest one: later uploads reuse heap the
            # Go runtime kept from released frames, which would understate what a frame costs.
            server_hold_ratio = held / arrow_bytes
            client_peak_ratio = client_peak / pandas_bytes
            pd.testing.assert_frame_equal(got, pdf)
        del got
        spark._client.action("quiver.release", _release(df))

    def best(name: str) -> float:
        return min(results[name])

    up_floor, up_quiver = arrow_bytes / best("floor_up") / 1e9, arrow_bytes / best("quiver_up") / 1e9
    down_floor, down_quiver = arrow_bytes / best("floor_down") / 1e9, arrow_bytes / best("quiver_down") / 1e9
    report = {
        "rows": args.rows, "arrow_bytes": arrow_bytes, "pandas_bytes": pandas_bytes, "repeat": args.repeat,
        "seconds": {k: v for k, v in results.items()},
        "upload_gbps": {"floor": up_floor, "quiver": up_quiver, "ratio": up_quiver / up_floor},
        "download_gbps": {"floor": down_floor, "quiver": down_quiver, "ratio": down_quiver / down_floor},
        "server_held_over_arrow": server_hold_ratio,
        "client_topandas_peak_over_pandas": client_peak_ratio,
        "targets": {"ratio_each_way": 0.8, "server_held_over_arrow": 1.3, "client_topandas_peak_over_pandas": 2.0},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "pyarrow": pa.__version__, "pandas": pd.__version__},
    }
    lines = [
        f"# Transfer: createDataFrame + toPandas, {args.rows:,} rows (int64, float64, string)",
        "",
        "| direction | floor (pyarrow.flight echo) GB/s | Quiver GB/s | Quiver / floor | target |",
        "|---|---|---|---|---|",
        f"| upload (createDataFrame) | {up_floor:.2f} | {up_quiver:.2f} | {up_quiver / up_floor:.2f} | >= 0.8 |",
        f"| download (toPandas) | {down_floor:.2f} | {down_quiver:.2f} | {down_quiver / down_floor:.2f} | >= 0.8 |",
        "",
        "| memory | measured | target |",
        "|---|---|---|",
        f"| server resident growth holding the upload / Arrow size | {server_hold_ratio:.2f}x | <= 1.3x |",
        f"| client peak during toPandas / result pandas size | {client_peak_ratio:.2f}x | <= 2.0x |",
        "",
        f"Best of {args.repeat} runs; GB/s counts Arrow bytes ({arrow_bytes / 1e9:.3f} GB).",
    ]
    md = "\n".join(lines) + "\n"
    print(md)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "transfer.json").write_text(json.dumps(report, indent=2))
    (out / "transfer.md").write_text(md)
    spark.stop()
    echo.terminate()
    return 0


def _release(df):
    from quiver.v1 import commands_pb2

    return commands_pb2.ActionReleaseDataFrame(dataframe_id=df._rel.read.named_table.unparsed_identifier)


if __name__ == "__main__":
    sys.exit(main())
