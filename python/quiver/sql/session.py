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
            self._server = LocalServer(parallelism=parallelism)
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
        table = _to_arrow_table(data, schema)
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
        return DataFrame(self, _proto.relation(sql=s))

    # -- reading files: spark.read ----------------------------------------------------------------

    # -- catalog and SQL: spark.catalog, spark.udf --------------------------------------------------

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


def _to_arrow_table(data: Any, schema: Any) -> pa.Table:
    import pandas as pd

    struct = _schema_arg(schema)
    names = schema if isinstance(schema, (list, tuple)) and all(isinstance(s, str) for s in schema) else None
    if isinstance(data, pd.DataFrame):
        if struct is not None:
            renamed = data.copy(deep=False)
            if len(struct.fields) != len(renamed.columns):
                raise ValueError(f"the schema has {len(struct.fields)} fields but the pandas DataFrame has {len(renamed.columns)} columns")
            renamed.columns = struct.names
            return _pandas.pandas_to_arrow(renamed, schema=struct.to_arrow_schema())
        table = _pandas.pandas_to_arrow(data)
        return table.rename_columns(list(names)) if names else table
    if isinstance(data, pa.Table):
        table = _pandas.move_pandas_metadata_to_fields(data)
        if struct is not None:
            table = table.rename_columns(struct.names).cast(struct.to_arrow_schema())
        elif names:
            table = table.rename_columns(list(names))
        return table
    if isinstance(data, pa.RecordBatch):
        return _to_arrow_table(pa.Table.from_batches([data]), schema)
    try:
        import numpy as np

        if isinstance(data, np.ndarray):
            data = data.tolist()
    except ImportError:
        pass
    if isinstance(data, Iterable) and not isinstance(data, (str, bytes, dict)):
        return _rows_to_table(list(data), struct, names)
    raise TypeError(f"createDataFrame does not accept {type(data).__name__}; pass a pandas DataFrame, a pyarrow Table, or a list of rows")


def _schema_arg(schema: Any) -> StructType | None:
    if schema is None or (isinstance(schema, (list, tuple)) and all(isinstance(s, str) for s in schema)):
        return None
    if isinstance(schema, str):
        parsed = _parse_datatype_string(schema)
        if not isinstance(parsed, StructType):
            parsed = StructType([StructField("value", parsed)])
        return parsed
    if isinstance(schema, StructType):
        return schema
    if isinstance(schema, DataType):
        return StructType([StructField("value", schema)])
    raise TypeError(f"schema must be a StructType, a DDL string or a list of column names, got {type(schema).__name__}")


def _rows_to_table(rows: list, struct: StructType | None, names: Any) -> pa.Table:
    normalized: list[list] = []
    fields: list[str] | None = None
    for r in rows:
        if isinstance(r, Row) and r.__fields__ is not None:
            fields = fields or list(r.__fields__)
            normalized.append(list(r))
        elif isinstance(r, dict):
            fields = fields or list(r.keys())
            normalized.append([r.get(k) for k in fields])
        elif isinstance(r, (list, tuple)):
            normalized.append(list(r))
        else:
            # A list of scalars with an atomic schema (createDataFrame([1, 2], "int")).
            normalized.append([r])
    if struct is None:
        ncols = max((len(r) for r in normalized), default=0)
        col_names = list(names) if names else (fields or [f"_{i + 1}" for i in range(ncols)])
        types = []
        for i in range(len(col_names)):
            inferred: DataType = NullType()
            for r in normalized:
                if i < len(r) and r[i] is not None:
                    inferred = infer_type(r[i])
                    break
            types.append(inferred)
        struct = StructType([StructField(n, t) for n, t in zip(col_names, types)])
    for i, r in enumerate(normalized):
        if len(r) != len(struct.fields):
            raise ValueError(f"row {i} has {len(r)} values but the schema has {len(struct.fields)} fields ({', '.join(struct.names)})")
    arrays = []
    for i, f in enumerate(struct.fields):
        values = [_python_value(r[i]) for r in normalized]
        t = f.dataType.to_arrow()
        try:
            arrays.append(pa.array(values, type=t))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as e:
            raise TypeError(f"field {f.name}: {f.dataType.simpleString()} can not accept the values given ({e})") from None
    return pa.Table.from_arrays(arrays, schema=struct.to_arrow_schema())


def _python_value(v: Any) -> Any:
    if isinstance(v, Row) and v.__fields__ is not None:
        return {k: _python_value(x) for k, x in zip(v.__fields__, v)}
    if isinstance(v, dict):
        return [(k, _python_value(x)) for k, x in v.items()] if not all(isinstance(k, str) for k in v) else {k: _python_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)) and not isinstance(v, Row):
        return [_python_value(x) for x in v]
    return v


_ = (datetime, decimal)
