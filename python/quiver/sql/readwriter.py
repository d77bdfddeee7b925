"""DataFrameReader and DataFrameWriter: spark.read and df.write, as in pyspark.sql.readwriter.

Paths are paths on the server. With a local server (the default) that is this machine, and
relative paths are made absolute here so they mean what they mean in this process.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from quiver.sql import _proto
from quiver.sql.types import StructType, _parse_datatype_string
from quiver.v1 import commands_pb2
from quiver.v1 import relations_pb2 as rel
from quiver.v1 import types_pb2

if TYPE_CHECKING:
    from quiver.sql.dataframe import DataFrame
    from quiver.sql.session import SparkSession

__all__ = ["DataFrameReader", "DataFrameWriter"]


def _option_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _paths(session: "SparkSession", path: Any) -> list[str]:
    if path is None:
        return []
    items = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    out = []
    for p in items:
        p = os.fspath(p)
        if p.startswith("file:"):
            p = p[len("file:"):]
            if p.startswith("//"):
                p = p[2:]
        if getattr(session, "_server", None) is not None and not os.path.isabs(p):
            p = os.path.abspath(p)
        out.append(p)
    return out


class DataFrameReader:
    """spark.read: loads files (Parquet, CSV, JSON lines) as a DataFrame."""

    def __init__(self, session: "SparkSession"):
        self._session = session
        self._format: str | None = None
        self._schema: StructType | str | None = None
        self._options: dict[str, str] = {}

    def format(self, source: str) -> "DataFrameReader":
        self._format = source
        return self

    def schema(self, schema: StructType | str) -> "DataFrameReader":
        if not isinstance(schema, (StructType, str)):
            raise TypeError(f"schema should be StructType or string, got {type(schema).__name__}")
        self._schema = schema
        return self

    def option(self, key: str, value: Any) -> "DataFrameReader":
        self._options[key] = _option_text(value)
        return self

    def options(self, **options: Any) -> "DataFrameReader":
        for k, v in options.items():
            if v is not None:
                self.option(k, v)
        return self

    def load(self, path: str | list[str] | None = None, format: str | None = None,
             schema: StructType | str | None = None, **options: Any) -> "DataFrame":
        if format is not None:
            self.format(format)
        if schema is not None:
            self.schema(schema)
        self.options(**options)
        paths = _paths(self._session, path)
        if not paths:
            raise ValueError("load() needs a path: spark.read.format(...).load(path)")
        ds = rel.Read.DataSource(format=(self._format or "parquet").lower(), paths=paths, options=self._options)
        if isinstance(self._schema, StructType):
            ds.schema.CopyFrom(types_pb2.Schema(arrow_schema=self._schema.to_arrow_schema().serialize().to_pybytes()))
        elif isinstance(self._schema, str):
            parsed = _parse_datatype_string(self._schema)
            if isinstance(parsed, StructType):
                ds.schema.CopyFrom(types_pb2.Schema(arrow_schema=parsed.to_arrow_schema().serialize().to_pybytes()))
            else:
                ds.schema_ddl = self._schema
        from quiver.sql.dataframe import DataFrame

        df = DataFrame(self._session, _proto.relation(read=rel.Read(data_source=ds)))
        df._arrow_schema()  # list the files and settle the schema now, as Spark does
        return df

    def parquet(self, *paths: str, **options: Any) -> "DataFrame":
        return self.format("parquet").load(list(paths), **options)

    def csv(self, path: str | list[str], schema: StructType | str | None = None, sep: str | None = None,
            encoding: str | None = None, quote: str | None = None, escape: str | None = None,
            comment: str | None = None, header: Any = None, inferSchema: Any = None,
            ignoreLeadingWhiteSpace: Any = None, ignoreTrailingWhiteSpace: Any = None,
            nullValue: str | None = None, nanValue: str | None = None, positiveInf: str | None = None,
            negativeInf: str | None = None, dateFormat: str | None = None, timestampFormat: str | None = None,
            **options: Any) -> "DataFrame":
        named = dict(sep=sep, encoding=encoding, quote=quote, escape=escape, comment=comment, header=header,
                     inferSchema=inferSchema, ignoreLeadingWhiteSpace=ignoreLeadingWhiteSpace,
                     ignoreTrailingWhiteSpace=ignoreTrailingWhiteSpace, nullValue=nullValue, nanValue=nanValue,
                     positiveInf=positiveInf, negativeInf=negativeInf, dateFormat=dateFormat,
                     timestampFormat=timestampFormat)
        return self.format("csv").load(path, schema=schema, **named, **options)

    def json(self, path: str | list[str], schema: StructType | str | None = None, **options: Any) -> "DataFrame":
        return self.format("json").load(path, schema=schema, **options)

    def table(self, tableName: str) -> "DataFrame":
        return self._session.table(tableName)

    def text(self, *args: Any, **kwargs: Any) -> "DataFrame":
        raise NotImplementedError("spark.read.text is not supported yet; read the file with spark.read.csv(path, sep='\\n') or pandas")

    def orc(self, *args: Any, **kwargs: Any) -> "DataFrame":
        raise NotImplementedError("spark.read.orc is not supported; Quiver reads Parquet, CSV and JSON")

    def jdbc(self, *args: Any, **kwargs: Any) -> "DataFrame":
        raise NotImplementedError("spark.read.jdbc is not supported")


class DataFrameWriter:
    """df.write: saves a DataFrame as files. Writes are atomic: a failed write leaves no output."""

    def __init__(self, df: "DataFrame"):
        self._df = df
        self._format: str | None = None
        self._mode: str = "errorifexists"
        self._options: dict[str, str] = {}
        self._partition_by: list[str] = []

    def mode(self, saveMode: str | None) -> "DataFrameWriter":
        if saveMode is not None:
            self._mode = saveMode
        return self

    def format(self, source: str) -> "DataFrameWriter":
        self._format = source
        return self

    def option(self, key: str, value: Any) -> "DataFrameWriter":
        self._options[key] = _option_text(value)
        return self

    def options(self, **options: Any) -> "DataFrameWriter":
        for k, v in options.items():
            if v is not None:
                self.option(k, v)
        return self

    def partitionBy(self, *cols: str | list[str]) -> "DataFrameWriter":
        if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
            cols = tuple(cols[0])
        self._partition_by = [str(c) for c in cols]
        return self

    def bucketBy(self, *args: Any, **kwargs: Any) -> "DataFrameWriter":
        raise NotImplementedError("bucketBy is not supported; use partitionBy")

    def sortBy(self, *args: Any, **kwargs: Any) -> "DataFrameWriter":
        raise NotImplementedError("sortBy is not supported; sort the DataFrame before writing")

    def save(self, path: str | None = None, format: str | None = None, mode: str | None = None,
             partitionBy: str | list[str] | None = None, **options: Any) -> None:
        if format is not None:
            self.format(format)
        self.mode(mode)
        if partitionBy is not None:
            self.partitionBy(partitionBy)
        self.options(**options)
        paths = _paths(self._df._session, path)
        if len(paths) != 1:
            raise ValueError("save() needs one path: df.write.format(...).save(path)")
        self._write(path=paths[0])

    def _write(self, path: str = "", table_name: str = "") -> commands_pb2.WriteResult:
        req = commands_pb2.ActionWrite(plan=self._df._plan(), format=(self._format or "parquet").lower(), path=path,
                                       table_name=table_name, mode=self._mode, partition_by=self._partition_by,
                                       options=self._options)
        res = self._df._session._client.action("quiver.write", req, commands_pb2.WriteResult)
        return res[0] if res else commands_pb2.WriteResult()

    def parquet(self, path: str, mode: str | None = None, partitionBy: str | list[str] | None = None,
                compression: str | None = None) -> None:
        self.format("parquet").save(path, mode=mode, partitionBy=partitionBy, compression=compression)

    def csv(self, path: str, mode: str | None = None, compression: str | None = None, sep: str | None = None,
            quote: str | None = None, escape: str | None = None, header: Any = None, nullValue: str | None = None,
            escapeQuotes: Any = None, quoteAll: Any = None, dateFormat: str | None = None,
            timestampFormat: str | None = None, ignoreLeadingWhiteSpace: Any = None,
            ignoreTrailingWhiteSpace: Any = None, charToEscapeQuoteEscaping: str | None = None,
            encoding: str | None = None, emptyValue: str | None = None, lineSep: str | None = None) -> None:
        if compression not in (None, "none", "uncompressed"):
            raise NotImplementedError(f"CSV compression {compression!r} is not supported yet; write uncompressed CSV or Parquet")
        if lineSep not in (None, "\n"):
            raise NotImplementedError("CSV lineSep other than '\\n' is not supported yet")
        self.format("csv").save(path, mode=mode, sep=sep, quote=quote, escape=escape, header=header,
                                nullValue=nullValue, escapeQuotes=escapeQuotes, quoteAll=quoteAll,
                                dateFormat=dateFormat, timestampFormat=timestampFormat,
                                ignoreLeadingWhiteSpace=ignoreLeadingWhiteSpace,
                                ignoreTrailingWhiteSpace=ignoreTrailingWhiteSpace, encoding=encoding,
                                emptyValue=emptyValue)

    def json(self, path: str, mode: str | None = None, compression: str | None = None,
             dateFormat: str | None = None, timestampFormat: str | None = None, lineSep: str | None = None,
             encoding: str | None = None, ignoreNullFields: Any = None) -> None:
        if compression not in (None, "none", "uncompressed"):
            raise NotImplementedError(f"JSON compression {compression!r} is not supported yet")
        self.format("json").save(path, mode=mode, dateFormat=dateFormat, timestampFormat=timestampFormat,
                                 encoding=encoding, ignoreNullFields=ignoreNullFields)

    def saveAsTable(self, name: str, format: str | None = None, mode: str | None = None,
                    partitionBy: str | list[str] | None = None, **options: Any) -> None:
        if format is not None:
            self.format(format)
        self.mode(mode)
        if partitionBy is not None:
            self.partitionBy(partitionBy)
        self.options(**options)
        self._write(table_name=name)

    def insertInto(self, tableName: str, overwrite: bool | None = None) -> None:
        raise NotImplementedError("insertInto is not supported yet; write to a path with save(path, mode='append')")
