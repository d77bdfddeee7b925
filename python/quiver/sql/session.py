"""SparkSession: the entry point, as in pyspark.sql.SparkSession."""

from __future__ import annotations

import datetime
import decimal
import os
import threading
from typing import Any, Iterable
from urllib.parse import parse_qs, urlparse

import pyarrow as pa

from quiver import _pandas
from quiver._client import Client
from quiver._server import LocalServer
from quiver.sql import _proto
from quiver.sql.dataframe import DataFrame
from quiver.sql.row import Row
from quiver.sql.types import (
    DataType,
    NullType,
    StructField,
    StructType,
    _parse_datatype_string,
    infer_type,
)
from quiver.v1 import commands_pb2
from quiver.v1 import relations_pb2 as rel


class RuntimeConfig:
    """spark.conf: session configuration kept by the server."""

    def __init__(self, session: "SparkSession"):
        self._session = session

    def set(self, key: str, value: Any) -> None:
        if isinstance(value, bool):
            value = "true" if value else "false"
        req = commands_pb2.ActionConfig(operation=commands_pb2.ActionConfig.OPERATION_SET, pairs={key: str(value)})
        self._session._client.action("quiver.config", req, commands_pb2.ConfigResult)

    def get(self, key: str, default: Any = None) -> Any:
        req = commands_pb2.ActionConfig(operation=commands_pb2.ActionConfig.OPERATION_GET, keys=[key])
        res = self._session._client.action("quiver.config", req, commands_pb2.ConfigResult)
        if res and key in res[0].pairs:
            return res[0].pairs[key]
        if default is not None:
            return default
        if key in _DEFAULTS:
            return _DEFAULTS[key]
        return None

    def unset(self, key: str) -> None:
        req = commands_pb2.ActionConfig(operation=commands_pb2.ActionConfig.OPERATION_UNSET, keys=[key])
        self._session._client.action("quiver.config", req, commands_pb2.ConfigResult)

    def getAll(self) -> dict[str, str]:
        req = commands_pb2.ActionConfig(operation=commands_pb2.ActionConfig.OPERATION_GET_ALL)
        res = self._session._client.action("quiver.config", req, commands_pb2.ConfigResult)
        return dict(res[0].pairs) if res else {}


_DEFAULTS = {
    "spark.sql.ansi.enabled": "true",
    "spark.sql.caseSensitive": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "10000",
}


class SparkSession:
    """A connection to a Quiver server with its own temp views and configuration."""

    _active: "SparkSession | None" = None
    _lock = threading.Lock()

    class Builder:
        def __init__(self) -> None:
            self._options: dict[str, Any] = {}
            self._remote: str | None = None

        def appName(self, name: str) -> "SparkSession.Builder":
            self._options["spark.app.name"] = name
            return self

        def master(self, master: str) -> "SparkSession.Builder":
            self._options["spark.master"] = master
            return self

        def remote(self, url: str) -> "SparkSession.Builder":
            self._remote = url
            return self

        def config(self, key: str | None = None, value: Any = None, conf: Any = None, map: dict | None = None) -> "SparkSession.Builder":
            if key is not None:
                self._options[key] = value
            for k, v in (map or {}).items():
                self._options[k] = v
            return self

        def enableHiveSupport(self) -> "SparkSession.Builder":
            return self

        def getOrCreate(self) -> "SparkSession":
            with SparkSession._lock:
                if SparkSession._active is not None and not SparkSession._active._stopped:
                    session = SparkSession._active
                else:
                    session = SparkSession(self._remote or os.environ.get("QUIVER_REMOTE"), self._options)
                    SparkSession._active = session
            for k, v in self._options.items():
                if k.startswith("spark.sql.") or k.startswith("quiver."):
                    session.conf.set(k, v)
            return session

        def create(self) -> "SparkSession":
            return SparkSession(self._remote or os.environ.get("QUIVER_REMOTE"), self._options)

    builder: "SparkSession.Builder"

    def __init__(self, remote: str | None = None, options: dict | None = None):
        self._options = dict(options or {})
        self._server: LocalServer | None = None
        self._stopped = False
        if remote:
            url, token = _parse_remote(remote)
        else:
            parallelism = _local_parallelism(self._options.get("spark.master"))
            self._server = LocalServer(parallelism=parallelism,
                                       memory_limit=self._options.get("spark.quiver.memory.limit"))
            url, token = self._server.url, self._server.token
        self._client = Client(url, token)
        self.conf = RuntimeConfig(self)

    @classmethod
    def getActiveSession(cls) -> "SparkSession | None":
        return cls._active

    @property
    def version(self) -> str:
        from quiver import __version__

        return __version__

    # -- DataFrame creation --------------------------------------------------------------------

    def createDataFrame(self, data: Any, schema: Any = None, samplingRatio: float | None = None,
                        verifySchema: bool = True) -> DataFrame:
        table = _to_arrow_table(data, schema, verifySchema)
        result = self._client.put_table(table)
        return self._read_stored(result.dataframe_id)

    def _read_stored(self, dataframe_id: str) -> DataFrame:
        read = rel.Read(named_table=rel.Read.NamedTable(unparsed_identifier=dataframe_id))
        return DataFrame(self, _proto.relation(read=read))

    def range(self, start: int, end: int | None = None, step: int = 1, numPartitions: int | None = None) -> DataFrame:
        if end is None:
            start, end = 0, start
        r = rel.Range(start=start, end=end, step=step)
        if numPartitions is not None:
            r.num_partitions = numPartitions
        return DataFrame(self, _proto.relation(range=r))

    def table(self, tableName: str) -> DataFrame:
        read = rel.Read(named_table=rel.Read.NamedTable(unparsed_identifier=tableName))
        return DataFrame(self, _proto.relation(read=read))

    def sql(self, sqlQuery: str, args: Any = None, **kwargs: Any) -> DataFrame:
        s = rel.SQL(query=sqlQuery)
        if isinstance(args, dict):
            for k, v in args.items():
                s.args[k].CopyFrom(_proto.literal(v))
        elif isinstance(args, (list, tuple)):
            s.pos_args.extend(_proto.literal(v) for v in args)
        # The server runs commands (CREATE VIEW, DROP, SET, ...) once, now, as Spark does, and
        # answers with the plan to read: the query itself, or the command's rows.
        plans = self._client.action("quiver.sql", s, rel.Plan)
        return DataFrame(self, plans[0].root)

    # -- reading files: spark.read ----------------------------------------------------------------

    @property
    def read(self) -> "DataFrameReader":
        from quiver.sql.readwriter import DataFrameReader

        return DataFrameReader(self)

    # -- catalog and SQL: spark.catalog, spark.udf --------------------------------------------------

    @property
    def catalog(self) -> "Catalog":
        """spark.catalog: views and tables."""
        from quiver.sql.catalog import Catalog

        return Catalog(self)

    @property
    def udf(self) -> "UDFRegistration":
        """spark.udf: register Python functions for SQL."""
        from quiver.sql.udf import UDFRegistration

        return UDFRegistration(self)


    # -- lifecycle -----------------------------------------------------------------------------

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        try:
            self._client.close()
        finally:
            if self._server is not None:
                self._server.stop()
            with SparkSession._lock:
                if SparkSession._active is self:
                    SparkSession._active = None

    def __enter__(self) -> "SparkSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


SparkSession.builder = SparkSession.Builder()  # type: ignore[misc]


class _BuilderDescriptor:
    """SparkSession.builder returns a fresh builder each time, as PySpark's does per access."""

    def __get__(self, obj: Any, owner: Any) -> SparkSession.Builder:
        return SparkSession.Builder()


SparkSession.builder = _BuilderDescriptor()  # type: ignore[assignment]


def _parse_remote(remote: str) -> tuple[str, str | None]:
    """grpc://host:port[/;token=...] or ?token=...; the token may also come from QUIVER_TOKEN."""
    if remote.startswith("sc://"):
        remote = "grpc://" + remote[len("sc://"):]
    token = None
    if ";" in remote:
        base, _, params = remote.partition(";")
        for p in params.split(";"):
            k, _, v = p.partition("=")
            if k == "token":
                token = v
        remote = base
    parsed = urlparse(remote)
    if parsed.query:
        token = parse_qs(parsed.query).get("token", [token])[0]
        remote = remote.split("?")[0]
    if parsed.scheme not in ("grpc", "grpc+tcp", "grpc+tls"):
        raise ValueError(f"remote {remote!r} must look like grpc://host:port")
    return remote.rstrip("/"), token or os.environ.get("QUIVER_TOKEN")


def _local_parallelism(master: str | None) -> int | None:
    if not master or not master.startswith("local"):
        return None
    inside = master[len("local"):].strip("[]")
    if inside in ("", "*"):
        return None
    try:
        return int(inside)
    except ValueError:
        return None


def _to_arrow_table(data: Any, schema: Any, verify: bool = True) -> pa.Table:
    """createDataFrame's inputs (pandas, Arrow, numpy, rows) as one Arrow table: see quiver.sql._create."""
    from quiver.sql import _create

    return _create.to_arrow_table(data, schema, verify)


_ = (datetime, decimal)
