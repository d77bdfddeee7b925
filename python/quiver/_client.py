"""The Flight connection of a session: authentication, the session header, and the calls."""

from __future__ import annotations

import concurrent.futures
import secrets
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.flight as flight
from google.protobuf import any_pb2
from google.protobuf.message import Message

from quiver.errors import translate
from quiver.v1 import commands_pb2, relations_pb2

SESSION_HEADER = b"x-quiver-session-id"


def pack(msg: Message) -> bytes:
    """Serializes msg inside a google.protobuf.Any, as the server routes on the type URL."""
    a = any_pb2.Any()
    a.Pack(msg)
    return a.SerializeToString()


class Client:
    """One authenticated Flight connection with its own server-side session."""

    def __init__(self, url: str, token: str | None, session_id: str | None = None):
        self.url = url
        self.session_id = session_id or secrets.token_hex(8)
        self._flight = flight.FlightClient(url)
        headers = [(SESSION_HEADER, self.session_id.encode())]
        if token:
            headers.append((b"authorization", b"Bearer " + token.encode()))
        self._options = flight.FlightCallOptions(headers=headers)

    def close(self) -> None:
        self._flight.close()

    # -- uploads -------------------------------------------------------------------------------

    def put_table(self, table: pa.Table, max_chunk_rows: int | None = None,
                  rows_per_partition: int | None = None) -> commands_pb2.CreateDataFrameResult:
        """Uploads a table as a new DataFrame, streaming it batch by batch."""
        cmd = commands_pb2.CommandCreateDataFrame()
        if rows_per_partition:
            cmd.rows_per_partition = rows_per_partition
        desc = flight.FlightDescriptor.for_command(pack(cmd))
        try:
            writer, reader = self._flight.do_put(desc, table.schema, options=self._options)
            with writer:
                for batch in table.to_batches(max_chunksize=max_chunk_rows or _chunk_rows(table)):
                    writer.write_batch(batch)
                writer.done_writing()
                buf = reader.read()
        except flight.FlightError as e:
            raise translate(e) from None
        except pa.ArrowException as e:
            raise translate(e) from None
        result = commands_pb2.CreateDataFrameResult()
        if buf is None:
            raise RuntimeError("the server did not acknowledge the upload")
        result.ParseFromString(buf.to_pybytes())
        return result

    # -- queries -------------------------------------------------------------------------------

    def execute(self, plan: relations_pb2.Plan) -> pa.Table:
        """Runs a plan and reads every result partition into one table."""
        schema, batches = self._execute_batches(plan)
        return pa.Table.from_batches(batches, schema=schema)

    def _execute_batches(self, plan: relations_pb2.Plan) -> tuple[pa.Schema, list[pa.RecordBatch]]:
        info = self.flight_info(plan)
        endpoints = list(info.endpoints)
        if len(endpoints) <= 1:
            parts = [self._read_endpoint(ep) for ep in endpoints]
        else:
            with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(endpoints))) as pool:
                parts = list(pool.map(self._read_endpoint, endpoints))
        batches = [b for part in parts for b in part]
        return info.schema, batches

    def flight_info(self, plan: relations_pb2.Plan) -> flight.FlightInfo:
        desc = flight.FlightDescriptor.for_command(pack(commands_pb2.CommandExecutePlan(plan=plan)))
        try:
            return self._flight.get_flight_info(desc, options=self._options)
        except (flight.FlightError, pa.ArrowException) as e:
            raise translate(e) from None

    def _read_endpoint(self, ep: flight.FlightEndpoint) -> list[pa.RecordBatch]:
        try:
            reader = self._flight.do_get(ep.ticket, options=self._options)
            return reader.read_all().to_batches()
        except (flight.FlightError, pa.ArrowException) as e:
            raise translate(e) from None

    def stream(self, plan: relations_pb2.Plan) -> Iterator[pa.RecordBatch]:
        """Yields result batches partition by partition without holding the whole result."""
        info = self.flight_info(plan)
        for ep in info.endpoints:
            try:
                reader = self._flight.do_get(ep.ticket, options=self._options)
                for chunk in reader:
                    yield chunk.data
            except (flight.FlightError, pa.ArrowException) as e:
                raise translate(e) from None

    # -- actions -------------------------------------------------------------------------------

    def action(self, action_type: str, body: Message, result_type: type[Message] | None = None) -> list:
        try:
            results = self._flight.do_action(flight.Action(action_type, pack(body)), options=self._options)
            out = []
            for r in results:
                if result_type is not None:
                    m = result_type()
                    m.ParseFromString(r.body.to_pybytes())
                    out.append(m)
            return out
        except (flight.FlightError, pa.ArrowException) as e:
            raise translate(e) from None

    def analyze(self, plan: relations_pb2.Plan, explain_mode: int = 0) -> commands_pb2.AnalyzePlanResult:
        req = commands_pb2.ActionAnalyzePlan(plan=plan, explain_mode=explain_mode)
        return self.action("quiver.analyze", req, commands_pb2.AnalyzePlanResult)[0]


def _chunk_rows(table: pa.Table, target_bytes: int = 8 << 20) -> int:
    """Rows per uploaded batch so that one gRPC message stays around target_bytes."""
    if table.num_rows == 0:
        return 1
    row_bytes = max(1, table.nbytes // table.num_rows)
    return max(1024, target_bytes // row_bytes)


def read_schema(buf: bytes) -> pa.Schema:
    return pa.ipc.read_schema(pa.py_buffer(buf))


def iter_pairs(d: dict) -> Iterable:
    return d.items()
