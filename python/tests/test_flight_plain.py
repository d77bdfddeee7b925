"""Any Flight client can use the server: a plain pyarrow.flight client that never imports quiver
authenticates, uploads a table with a path descriptor and reads it back."""

from __future__ import annotations

import datetime
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.flight as flight
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("QUIVER_BINARY", str(ROOT / "bin" / "quiver"))


@pytest.fixture(scope="module")
def server():
    """A `quiver serve` started by hand, as an operator would, with a known token."""
    token = secrets.token_hex(16)
    workdir = tempfile.mkdtemp(prefix="quiver-plain-")
    port_file = os.path.join(workdir, "port")
    log = open(os.path.join(workdir, "server.log"), "wb")
    proc = subprocess.Popen([BINARY, "serve", "--addr", "127.0.0.1:0", "--port-file", port_file],
                            env={**os.environ, "QUIVER_TOKEN": token}, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not os.path.exists(port_file):
        assert proc.poll() is None, "quiver serve exited early"
        assert time.monotonic() < deadline, "quiver serve did not start"
        time.sleep(0.01)
    address = Path(port_file).read_text().strip()
    yield f"grpc://{address}", token
    proc.terminate()
    assert proc.wait(timeout=15) == 0
    log.close()


def sample_table(n: int = 10_000) -> pa.Table:
    return pa.table({
        "id": pa.array(range(n), pa.int64()),
        "x": pa.array([i / 3 if i % 7 else None for i in range(n)], pa.float64()),
        "s": pa.array([f"row {i}" if i % 5 else None for i in range(n)], pa.string()),
        "ts": pa.array([datetime.datetime(2024, 1, 1) + datetime.timedelta(seconds=i) for i in range(n)], pa.timestamp("us", tz="UTC")),
        "tags": pa.array([[i, i + 1] if i % 3 else None for i in range(n)], pa.list_(pa.int32())),
    })


def put_and_read(client: flight.FlightClient, options: flight.FlightCallOptions, name: str, table: pa.Table) -> pa.Table:
    writer, reader = client.do_put(flight.FlightDescriptor.for_path(name), table.schema, options=options)
    with writer:
        for batch in table.to_batches(max_chunksize=1000):
            writer.write_batch(batch)
        writer.done_writing()
        reader.read()  # the server's acknowledgement
    info = client.get_flight_info(flight.FlightDescriptor.for_path(name), options=options)
    assert info.schema == table.schema
    parts = [client.do_get(ep.ticket, options=options).read_all() for ep in info.endpoints]
    return pa.concat_tables(parts) if parts else table.schema.empty_table()


def test_plain_client_basic_token_handshake(server):
    url, token = server
    client = flight.FlightClient(url)
    header = client.authenticate_basic_token("anyone", token)
    options = flight.FlightCallOptions(headers=[header])
    table = sample_table()
    got = put_and_read(client, options, "plain_basic", table)
    assert got.equals(table)
    # ListFlights shows the upload to this session.
    names = [f.descriptor.path[0].decode() for f in client.list_flights(options=options)]
    assert "plain_basic" in names
    client.close()


def test_plain_client_raw_bearer_header(server):
    url, token = server
    client = flight.FlightClient(url)
    options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {token}".encode())])
    table = sample_table(2_345)
    got = put_and_read(client, options, "plain_bearer", table)
    assert got.equals(table)
    client.close()


def test_plain_client_wrong_token_is_unauthenticated(server):
    url, _ = server
    client = flight.FlightClient(url)
    with pytest.raises(flight.FlightUnauthenticatedError):
        client.authenticate_basic_token("anyone", "wrong")
    options = flight.FlightCallOptions(headers=[(b"authorization", b"Bearer wrong")])
    with pytest.raises(flight.FlightUnauthenticatedError):
        list(client.list_flights(options=options))
    with pytest.raises(flight.FlightUnauthenticatedError):
        client.get_flight_info(flight.FlightDescriptor.for_path("plain_bearer"))
    client.close()


def test_handshake_sessions_are_separate(server):
    url, token = server
    a, b = flight.FlightClient(url), flight.FlightClient(url)
    opts_a = flight.FlightCallOptions(headers=[a.authenticate_basic_token("u", token)])
    opts_b = flight.FlightCallOptions(headers=[b.authenticate_basic_token("u", token)])
    put_and_read(a, opts_a, "mine", sample_table(10))
    with pytest.raises(pa.ArrowException) as err:  # NOT_FOUND surfaces as ArrowKeyError
        b.get_flight_info(flight.FlightDescriptor.for_path("mine"), options=opts_b)
    assert "not found" in str(err.value)
    a.close()
    b.close()


def test_this_module_does_not_import_quiver():
    import ast

    tree = ast.parse(Path(__file__).read_text())
    modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not any(m == "quiver" or m.startswith("quiver.") for m in modules), modules
