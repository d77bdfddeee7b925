"""The Python UDF worker: `python -m quiver.worker`.

A Quiver executor starts these processes ahead of need and reuses them across tasks. Each worker
connects to the executor's Unix socket, authenticates with the secret it was given, then serves
tasks one after another: a WorkerTask header (what to call), the input (an Arrow IPC stream, or
pickled rows for the classic row path), and it answers with the output in the same form followed
by a WorkerTaskResult carrying the Python traceback when something failed. For the scalar Arrow
forms the input comes as frames, most of them pointing into an argument ring in shared memory
(_FramedInput), and scalar pandas results go back through a result ring (_ResultRing).

Functions are unpickled once per worker and cached by digest. Arrow columns become pandas objects
without copies where pyarrow allows (numeric columns without nulls).
"""

from __future__ import annotations

import inspect
import io
import os
import pickle
import socket
import struct
import sys
import threading
import time
import traceback
from typing import Any, Callable, Iterator

# The worker must start even when optional imports fail, so it can report the failure.
import pyarrow as pa

from quiver import _result_allocator
from quiver.v1 import expressions_pb2 as ex
from quiver.v1 import worker_pb2

_ET = ex.PythonEvalType


class UserError(Exception):
    """A failure caused by the UDF (its exception, or a result that does not match its type)."""

    def __init__(self, function_name: str, exc_type: str, message: str, tb: str):
        super().__init__(message)
        self.function_name = function_name
        self.exc_type = exc_type
        self.message = message
        self.tb = tb


# -- framing -----------------------------------------------------------------------------------


def read_frame(f: io.BufferedReader) -> bytes | None:
    head = f.read(4)
    if len(head) < 4:
        return None
    (n,) = struct.unpack(">I", head)
    if n == 0:
        return b""
    data = f.read(n)
    if len(data) < n:
        return None
    return data


def write_frame(f: io.BufferedWriter, data: bytes) -> None:
    f.write(struct.pack(">I", len(data)))
    if data:
        f.write(data)


# -- type names and conversions ----------------------------------------------------------------


def spark_type_name(t: pa.DataType) -> str:
    try:
        from quiver.sql.types import from_arrow_type

        return from_arrow_type(t).simpleString()
    except Exception:  # naming must never hide the real error
        return str(t)


def describe_value(v: Any) -> str:
    import pandas as pd

    if isinstance(v, pd.DataFrame):
        return "a pandas DataFrame with columns " + ", ".join(f"{c} ({t})" for c, t in v.dtypes.items())
    if isinstance(v, pd.Series):
        return f"a pandas Series of dtype {v.dtype}"
    if isinstance(v, pa.Array):
        return f"an Arrow array of type {v.type}"
    return f"a {type(v).__name__}"


def _to_series_or_frame(arr: pa.Array | pa.ChunkedArray):
    """An Arrow column as pandas: a DataFrame for structs (as PySpark passes struct arguments),
    else a Series. Numeric columns without nulls convert without copying."""
    import pandas as pd

    if pa.types.is_struct(arr.type):
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        names = [f.name for f in arr.type]
        table = pa.Table.from_arrays(arr.flatten(), names=names)
        return table.to_pandas(date_as_object=True)
    s = arr.to_pandas(date_as_object=True)
    if not isinstance(s, pd.Series):
        s = pd.Series(s)
    return _copy_on_write(s)


def _copy_on_write(s: Any) -> Any:
    """A pandas object over read-only memory (an Arrow buffer, the argument ring) that a UDF may
    still change in place, as it can in PySpark (`v[v > 10] = 10`). pandas copies a block before
    an in-place write only while another object shares it, so the object handed to the UDF is a
    shallow copy that keeps the original alive: the first write copies, reads copy nothing."""
    shallow = s.copy(deep=False)
    object.__setattr__(shallow, "_quiver_shared", s)
    return shallow


class _Declared:
    """A declared type as errors name it, formatted only when an error is raised: naming it
    imports quiver.sql.types, which no successful batch should pay for."""

    def __init__(self, t: pa.DataType):
        self.t = t

    def __format__(self, spec: str) -> str:
        return f"{spark_type_name(self.t)} (Arrow {self.t})"


def pandas_to_arrow(result: Any, t: pa.DataType, name: str, expected_len: int | None) -> pa.Array:
    """Converts a pandas UDF's result to the declared type, failing with a message that names the
    UDF, the declared type and what came back."""
    import numpy as np
    import pandas as pd

    declared = _Declared(t)
    if pa.types.is_struct(t) and not (isinstance(result, pd.Series) and result.dtype == object):
        # A Series of dicts (a struct nested in a DataFrame column) converts like any Series.
        if not isinstance(result, pd.DataFrame):
            raise TypeError(f"UDF '{name}' is declared to return {declared}, so it must return a pandas DataFrame with columns "
                            f"{', '.join(f.name for f in t)}, but it returned {describe_value(result)}")
        if expected_len is not None and len(result) != expected_len:
            raise ValueError(f"UDF '{name}' returned {len(result)} rows for a batch of {expected_len} rows; "
                             "a scalar pandas UDF must return one value per input row")
        arrays = []
        for i, field in enumerate(t):
            if field.name in result.columns:
                column = result[field.name]
            elif all(isinstance(c, int) for c in result.columns) and i < len(result.columns):
                column = result.iloc[:, i]
            else:
                raise TypeError(f"UDF '{name}' is declared to return {declared} but the DataFrame it returned has no column "
                                f"'{field.name}' (it has {', '.join(map(str, result.columns))})")
            arrays.append(pandas_to_arrow(column, field.type, f"{name}.{field.name}", None))
        return pa.StructArray.from_arrays(arrays, fields=list(t))
    if isinstance(result, pd.DataFrame):
        raise TypeError(f"UDF '{name}' is declared to return {declared} but returned {describe_value(result)}; "
                        "return a Series, or declare a struct return type to return a DataFrame")
    if isinstance(result, (pa.Array, pa.ChunkedArray)):
        values = result
    elif isinstance(result, pd.Series):
        values = result
    elif isinstance(result, (np.ndarray, list, tuple)):
        values = pd.Series(list(result) if isinstance(result, tuple) else result)
    else:
        raise TypeError(f"UDF '{name}' is declared to return {declared} but returned {describe_value(result)}; "
                        "a scalar pandas UDF must return a pandas Series of the same length as its input")
    if expected_len is not None and len(values) != expected_len:
        raise ValueError(f"UDF '{name}' returned {len(values)} values for a batch of {expected_len} rows; "
                         "a scalar pandas UDF must return one value per input row")
    fast = _numpy_to_arrow(values, t)
    if fast is not None:
        return fast
    try:
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            out = values.cast(t)
            return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out
        if (pa.types.is_integer(t) or pa.types.is_boolean(t)) and values.dtype.kind == "f":
            # A float result for an integral type converts only when every value is integral.
            out = pa.Array.from_pandas(values, type=pa.float64()).cast(t, safe=True)
            return out
        return pa.Array.from_pandas(values, type=t, safe=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError, OverflowError) as e:
        raise TypeError(f"UDF '{name}' is declared to return {declared} but returned {describe_value(result)} "
                        f"that does not convert to it: {e}") from None


_NUMPY_KINDS = {pa.float64(): "float64", pa.float32(): "float32", pa.int64(): "int64", pa.int32(): "int32",
                pa.int16(): "int16", pa.int8(): "int8"}


def _numpy_to_arrow(values: Any, t: pa.DataType) -> pa.Array | None:
    """A Series whose numpy dtype is exactly the declared primitive type, as Arrow without a copy;
    None when the general conversion is needed. pa.Array.from_pandas spends ~10x the time of the
    conversion itself on checks this case does not need. NaN becomes null, as from_pandas does."""
    import numpy as np
    import pandas as pd

    expected = _NUMPY_KINDS.get(t)
    if expected is None or not isinstance(values, pd.Series) or values.dtype != np.dtype(expected):
        return None
    data = values.to_numpy(copy=False)
    if data.dtype.kind == "f":
        nan = np.isnan(data)
        if nan.any():
            return pa.array(data, type=t, mask=nan)
    return pa.array(data, type=t)


def python_to_arrow(values: list, t: pa.DataType, name: str) -> pa.Array:
    """Converts a row UDF's results (one Python object per row) to the declared type."""
    try:
        if _has_struct(t):
            values = [_row_to_arrow_value(v, t) for v in values]
        return pa.array(values, type=t)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError, OverflowError) as e:
        kinds = sorted({type(v).__name__ for v in values if v is not None}) or ["None"]
        raise TypeError(f"UDF '{name}' is declared to return {spark_type_name(t)} (Arrow {t}) but returned values of "
                        f"Python type {', '.join(kinds)} that do not convert to it: {e}") from None


def _has_struct(t: pa.DataType) -> bool:
    if pa.types.is_struct(t):
        return True
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _has_struct(t.value_type)
    if pa.types.is_map(t):
        return _has_struct(t.item_type)
    return False


def _row_to_arrow_value(v: Any, t: pa.DataType) -> Any:
    """Rows and tuples become dicts for struct types, recursively."""
    if v is None:
        return None
    if pa.types.is_struct(t):
        if isinstance(v, dict):
            return {f.name: _row_to_arrow_value(v.get(f.name), f.type) for f in t}
        fields = getattr(v, "__fields__", None)
        if fields:
            d = dict(zip(fields, v))
            return {f.name: _row_to_arrow_value(d.get(f.name), f.type) for f in t}
        if isinstance(v, (tuple, list)):
            return {f.name: _row_to_arrow_value(x, f.type) for f, x in zip(t, v)}
        return v
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return [_row_to_arrow_value(x, t.value_type) for x in v]
    if pa.types.is_map(t):
        items = v.items() if isinstance(v, dict) else v
        return [(k, _row_to_arrow_value(x, t.item_type)) for k, x in items]
    return v


def arrow_column_to_python(arr: pa.Array) -> list:
    """An Arrow column as Python values the way PySpark passes them to row UDFs: structs as Row,
    maps as dict."""
    values = arr.to_pylist()
    if _needs_row_conversion(arr.type):
        return [_to_python(v, arr.type) for v in values]
    return values


def _needs_row_conversion(t: pa.DataType) -> bool:
    return pa.types.is_struct(t) or pa.types.is_map(t) or ((pa.types.is_list(t) or pa.types.is_large_list(t)) and _needs_row_conversion(t.value_type))


def _to_python(v: Any, t: pa.DataType) -> Any:
    from quiver.sql.row import Row

    if v is None:
        return None
    if pa.types.is_struct(t):
        return Row._from_fields([f.name for f in t], [_to_python(v[f.name], f.type) for f in t])
    if pa.types.is_map(t):
        return {k: _to_python(x, t.item_type) for k, x in v}
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return [_to_python(x, t.value_type) for x in v]
    return v


# -- wire forms of the pickled row path --------------------------------------------------------
# The executor pickles rows with plain Python values; dates travel as days since the epoch,
# timestamps as microseconds, decimals as strings, structs as tuples and maps as lists of pairs.
# The worker turns them into the objects PySpark passes (date, datetime, Decimal, Row, dict) and
# results back into the wire form.


def _from_wire(t: pa.DataType) -> Callable[[Any], Any] | None:
    import datetime
    import decimal

    if pa.types.is_date32(t):
        epoch = datetime.date(1970, 1, 1)
        return lambda v: None if v is None else epoch + datetime.timedelta(days=v)
    if pa.types.is_timestamp(t):
        tz = datetime.timezone.utc if t.tz else None
        epoch = datetime.datetime(1970, 1, 1, tzinfo=tz)
        return lambda v: None if v is None else epoch + datetime.timedelta(microseconds=v)
    if pa.types.is_decimal(t):
        return lambda v: None if v is None else decimal.Decimal(v)
    if pa.types.is_struct(t):
        from quiver.sql.row import Row

        names = [f.name for f in t]
        inner = [_from_wire(f.type) for f in t]
        return lambda v: None if v is None else Row._from_fields(names, [c(x) if c else x for c, x in zip(inner, v)])
    if pa.types.is_map(t):
        kc, vc = _from_wire(t.key_type), _from_wire(t.item_type)
        return lambda v: None if v is None else {(kc(k) if kc else k): (vc(x) if vc else x) for k, x in v}
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        c = _from_wire(t.value_type)
        if c is None:
            return None
        return lambda v: None if v is None else [c(x) for x in v]
    return None


def _to_wire(t: pa.DataType, name: str) -> Callable[[Any], Any] | None:
    import datetime
    import decimal

    def bad(v: Any) -> TypeError:
        return TypeError(f"UDF '{name}' is declared to return {spark_type_name(t)} but returned {type(v).__name__} value {v!r}")

    if pa.types.is_date32(t):
        epoch = datetime.date(1970, 1, 1)

        def date(v: Any) -> Any:
            if v is None:
                return None
            if isinstance(v, datetime.datetime):
                v = v.date()
            if not isinstance(v, datetime.date):
                raise bad(v)
            return (v - epoch).days
        return date
    if pa.types.is_timestamp(t):
        utc = datetime.timezone.utc

        def ts(v: Any) -> Any:
            if v is None:
                return None
            if not isinstance(v, datetime.datetime):
                raise bad(v)
            if v.tzinfo is None and t.tz:
                v = v.replace(tzinfo=utc)
            base = datetime.datetime(1970, 1, 1, tzinfo=utc if v.tzinfo else None)
            d = v - base
            return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
        return ts
    if pa.types.is_decimal(t):
        def dec(v: Any) -> Any:
            if v is None:
                return None
            if not isinstance(v, (decimal.Decimal, int)):
                raise bad(v)
            return str(v)
        return dec
    if pa.types.is_struct(t):
        inner = [_to_wire(f.type, name) for f in t]
        names = [f.name for f in t]

        def st(v: Any) -> Any:
            if v is None:
                return None
            if isinstance(v, dict):
                v = [v.get(n) for n in names]
            elif getattr(v, "__fields__", None):
                d = dict(zip(v.__fields__, v))
                v = [d.get(n) for n in names]
            if not isinstance(v, (tuple, list)) or len(v) != len(names):
                raise bad(v)
            return tuple(c(x) if c else x for c, x in zip(inner, v))
        return st
    if pa.types.is_map(t):
        kc, vc = _to_wire(t.key_type, name), _to_wire(t.item_type, name)

        def mp(v: Any) -> Any:
            if v is None:
                return None
            if not isinstance(v, dict):
                raise bad(v)
            return [((kc(k) if kc else k), (vc(x) if vc else x)) for k, x in v.items()]
        return mp
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        c = _to_wire(t.value_type, name)

        def ls(v: Any) -> Any:
            if v is None:
                return None
            if not isinstance(v, (list, tuple)):
                raise bad(v)
            return [c(x) for x in v] if c else list(v)
        return ls
    return None


# -- the worker --------------------------------------------------------------------------------


_SOCKET_BUFFER = 4 << 20

# The result ring's header (the executor's release watermark) and the alignment of its regions.
_RING_HEADER = 64


def _align(n: int) -> int:
    return (n + 63) & ~63


def _map_shared(path: str, size: int) -> Any:
    """Maps a ring file the executor created (udf/ring.go mapSharedFile) and removes its name:
    mapped on both sides, the name is no longer needed, and nothing is left in /dev/shm."""
    import mmap

    fd = os.open(path, os.O_RDWR)
    try:
        mm = mmap.mmap(fd, size)
    finally:
        os.close(fd)
    try:
        os.unlink(path)
    except OSError:
        pass
    return mm


class _ArgumentRegion:
    """The owner of one message's region of the argument ring: every Arrow buffer built over the
    region has it as base, so it dies (CPython frees it as soon as the last reference goes) only
    when no array, numpy view or pandas Series over the region is left, and only then is the
    region given back. A UDF that keeps its input Series keeps its region."""

    __slots__ = ("ring", "record")

    def __init__(self, ring: "_ArgumentRing", record: list):
        self.ring = ring
        self.record = record

    def __del__(self) -> None:
        self.ring.release(self.record)


class _ArgumentRing:
    """Shared memory the executor writes scalar UDF arguments into (udf/argument_ring.go), the
    result ring turned around: the executor reserves regions at growing positions, and this side
    publishes in the header the watermark, the start of the oldest region still referenced (or
    the end of the last one when none is); the executor writes only below watermark + size."""

    def __init__(self, path: str, size: int):
        import collections

        import numpy as np

        self.mm = _map_shared(path, _RING_HEADER + size)
        self.path = path
        self.size = size
        # A pyarrow view of the whole mapping, for its address (foreign buffers are built at
        # addresses within it); it also keeps the mapping from ever being closed under them.
        self.view = pa.py_buffer(self.mm)
        self.address = self.view.address
        self.watermark = np.frombuffer(self.mm, dtype="<u8", count=1)
        # [start, end, released] of the regions received and not yet given back, in order.
        self.regions: Any = collections.deque()
        self.last_end = 0

    def region(self, start: int, length: int) -> _ArgumentRegion:
        if start < self.last_end or length > self.size or start % self.size + length > self.size:
            raise ValueError(f"the executor sent an argument region [{start}, +{length}) outside the ring of "
                             f"{self.size} bytes or before the last one (ending at {self.last_end})")
        record = [start, start + length, False]
        self.regions.append(record)
        self.last_end = start + length
        return _ArgumentRegion(self, record)

    def release(self, record: list) -> None:
        """Called by a region's owner when it dies; regions are given back in order."""
        record[2] = True
        regions = self.regions
        while regions and regions[0][2]:
            regions.popleft()
        # One aligned 8-byte store: the executor reads it atomically.
        self.watermark[0] = regions[0][0] if regions else self.last_end


class _SegmentMapping:
    """A read-only mapping of one shared segment (udf/shared_segments.go): the base of every Arrow
    buffer built over it, so the mapping lives (CPython unmaps the mmap when it dies) as long as
    an array, numpy view or Series over it does, even after the cache below drops it."""

    __slots__ = ("mm", "view", "address")

    def __init__(self, mm: Any):
        self.mm = mm
        self.view = pa.py_buffer(mm)
        self.address = self.view.address


_SEGMENT_MAGIC = b"QVSEGMT1"


class _Segments:
    """The stored DataFrame columns the executor sends as S frames: each segment is a memfd of
    the server, opened through /proc/<server>/fd/<fd> (same user; the worker is the server's
    child) and mapped read-only, once, cached by segment id until the executor says it was freed.
    The segment's header carries its id, checked after mapping, so a descriptor the server reused
    for something else is never trusted."""

    def __init__(self) -> None:
        self.mappings: dict[int, _SegmentMapping] = {}
        self.pid = 0

    def configure(self, task: worker_pb2.WorkerTask) -> None:
        pid = task.config.get("quiver.udf.segments_pid")
        if pid:
            self.pid = int(pid)
        freed = task.config.get("quiver.udf.freed_segments")
        if freed:
            for segment_id in freed.split(","):
                # Arrays still referencing the mapping keep it; it goes with the last of them.
                self.mappings.pop(int(segment_id), None)

    def mapping(self, segment_id: int, fd: int, size: int) -> _SegmentMapping:
        m = self.mappings.get(segment_id)
        if m is not None and len(m.mm) >= size:
            return m
        import mmap

        path = f"/proc/{self.pid}/fd/{fd}"
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as e:
            raise OSError(f"cannot open the server's shared segment {segment_id} at {path}: {e}; set "
                          f"quiver.udf.sharedMemory=false to send UDF arguments through the socket") from None
        try:
            mm = mmap.mmap(descriptor, size, mmap.MAP_SHARED, mmap.PROT_READ)
        finally:
            os.close(descriptor)
        if mm[:8] != _SEGMENT_MAGIC or struct.unpack_from("<Q", mm, 8)[0] != segment_id:
            mm.close()
            raise ValueError(f"{path} is not the server's shared segment {segment_id}")
        m = _SegmentMapping(mm)
        self.mappings[segment_id] = m
        return m


class _FramedInput:
    """A task's input sent as frames (udf/worker.go WriteMessage): b"R" and where a message lies
    in the argument ring, b"S" and where it lies in shared segments of stored DataFrames, b"I" and
    an Arrow IPC stream of one message (no room in the ring), b"E" the end. Iterates over the
    messages as record batches, like the stream reader it replaces."""

    def __init__(self, infile: Any, ring: _ArgumentRing | None, schema: pa.Schema,
                 segments: _Segments | None = None):
        self.infile = infile
        self.ring = ring
        self.schema = schema
        self.segments = segments
        self.done = False

    def __iter__(self) -> "_FramedInput":
        return self

    def __next__(self) -> pa.RecordBatch:
        if self.done:
            raise StopIteration
        kind = self.infile.read(1)
        if kind == b"R":
            return self.ring_batch()
        if kind == b"S":
            return self.segment_batch()
        if kind == b"I":
            batches = list(pa.ipc.open_stream(self.infile))
            if len(batches) == 1:
                return batches[0]
            return pa.Table.from_batches(batches, schema=self.schema).combine_chunks().to_batches()[0]
        if kind == b"E":
            self.done = True
            raise StopIteration
        self.done = True
        if not kind:
            raise EOFError("the executor closed the connection mid-task")
        raise ValueError(f"the executor sent an input frame of unknown kind {kind!r}")

    @staticmethod
    def drain(infile: Any, reader: "_FramedInput | None") -> None:
        """Reads the frames left after a failure, up to the end, without building anything."""
        if reader is not None and reader.done:
            return
        while True:
            kind = infile.read(1)
            if kind == b"R":
                (n,) = struct.unpack("<I", infile.read(28)[24:])
                infile.read(40 * n)
            elif kind == b"S":
                (n,) = struct.unpack("<I", infile.read(12)[8:])
                infile.read(72 * n)
            elif kind == b"I":
                for _ in pa.ipc.open_stream(infile):
                    pass
            else:
                return  # b"E", or the connection is gone

    def segment_batch(self) -> pa.RecordBatch:
        rows, n = struct.unpack("<QI", self.infile.read(12))
        columns = list(struct.iter_unpack("<QQQQQQQQQ", self.infile.read(72 * n)))
        if n != len(self.schema):
            raise ValueError(f"the executor sent {n} argument columns for a schema of {len(self.schema)}")
        if self.segments is None:
            raise ValueError("the executor sent arguments in shared segments without the server's pid")
        arrays = []
        for field, (segment_id, fd, size, values_offset, values_length, validity_offset, validity_length,
                    nulls, offset) in zip(self.schema, columns):
            if values_offset + values_length > size or validity_offset + validity_length > size:
                raise ValueError(f"the executor described an argument buffer outside its segment of {size} bytes")
            m = self.segments.mapping(segment_id, fd, size)
            validity = pa.foreign_buffer(m.address + validity_offset, validity_length, base=m) if validity_length else None
            values = pa.foreign_buffer(m.address + values_offset, values_length, base=m)
            arrays.append(pa.Array.from_buffers(field.type, rows, [validity, values], null_count=nulls, offset=offset))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def ring_batch(self) -> pa.RecordBatch:
        start, length, rows, n = struct.unpack("<QQQI", self.infile.read(28))
        columns = list(struct.iter_unpack("<QQQQQ", self.infile.read(40 * n)))
        ring = self.ring
        if ring is None:
            raise ValueError("the executor sent arguments in shared memory this worker could not map")
        if n != len(self.schema):
            raise ValueError(f"the executor sent {n} argument columns for a schema of {len(self.schema)}")
        owner = ring.region(start, length)
        base = ring.address + _RING_HEADER + start % ring.size
        arrays = []
        for field, (validity_offset, validity_length, nulls, values_offset, values_length) in zip(self.schema, columns):
            if validity_offset + validity_length > length or values_offset + values_length > length:
                raise ValueError(f"the executor described an argument buffer outside its region of {length} bytes")
            validity = pa.foreign_buffer(base + validity_offset, validity_length, base=owner) if validity_length else None
            values = pa.foreign_buffer(base + values_offset, values_length, base=owner)
            arrays.append(pa.Array.from_buffers(field.type, rows, [validity, values], null_count=nulls))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)


class _ResultRing:
    """Shared memory the executor reads scalar pandas UDF results from (udf/ring.go): regions at
    growing positions, position p at offset _RING_HEADER + p % size. The executor publishes in
    the header the watermark below which every position is free again (all Arrow buffers built
    over it released); a region is reserved only below watermark + size, so nothing the executor
    still reads is ever overwritten. With no room, a result goes through the socket instead."""

    def __init__(self, path: str, size: int):
        import collections

        import numpy as np

        self.mm = _map_shared(path, _RING_HEADER + size)
        self.path = path
        self.size = size
        self.pos = 0
        self.before = 0
        self.watermark = np.frombuffer(self.mm, dtype="<u8", count=1)
        # [start, end, released] of regions whose values a numpy array still owns (a UDF computed
        # into them and something kept the array, _result_allocator): the executor never heard of
        # them, so its watermark may pass them; reserve stays below the oldest of them too.
        self.held: Any = collections.deque()

    def reserve(self, n: int) -> int | None:
        """The position of a free region of n bytes, or None when the ring has no room."""
        n = _align(n)
        if n == 0 or n > self.size:
            return None
        p = self.pos
        if p % self.size + n > self.size:
            p += self.size - p % self.size  # regions do not wrap around the end
        low = int(self.watermark[0])
        if self.held:
            low = min(low, self.held[0][0])
        if p + n - low > self.size:
            return None
        self.before, self.pos = self.pos, p + n
        return p

    def hold(self, p: int, n: int) -> list:
        """Keeps the region [p, p + n) out of use until release_held(record)."""
        record = [p, p + _align(n), False]
        self.held.append(record)
        return record

    def release_held(self, record: list) -> None:
        record[2] = True
        while self.held and self.held[0][2]:
            self.held.popleft()

    def abandon(self, p: int, n: int) -> None:
        """Gives back the last reservation (the executor never heard of it)."""
        if self.pos == p + _align(n) and not (self.held and self.held[-1][0] == p):
            self.pos = self.before

    def array(self, p: int, offset: int, dtype: Any, count: int) -> Any:
        import numpy as np

        return np.frombuffer(self.mm, dtype=dtype, count=count, offset=_RING_HEADER + p % self.size + offset)


class Worker:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.infile = sock.makefile("rb", buffering=1 << 16)
        self.outfile = sock.makefile("wb", buffering=1 << 16)
        self.functions: dict[str, Callable] = {}
        self.result_ring: _ResultRing | None = None
        self.argument_ring: _ArgumentRing | None = None
        self.segments = _Segments()
        self.profile_dir = os.environ.get("QUIVER_WORKER_PROFILE")
        self.tasks_profiled = 0

    def function(self, fn: worker_pb2.WorkerFunction) -> Callable:
        cached = self.functions.get(fn.function_id)
        if cached is None:
            import cloudpickle  # noqa: F401  (registers what pickle.loads needs)

            try:
                loaded = pickle.loads(fn.command)
            except Exception as e:
                raise UserError(fn.name, type(e).__name__,
                                f"cannot unpickle UDF '{fn.name}' (pickled with Python {fn.python_ver}, worker runs "
                                f"{sys.version.split()[0]}): {e}", traceback.format_exc()) from None
            # quiver.sql.udf pickles (function, return type) pairs; plain functions are accepted too.
            cached = loaded[0] if isinstance(loaded, tuple) else loaded
            self.functions[fn.function_id] = cached
        return cached

    def ring(self, task: worker_pb2.WorkerTask) -> _ResultRing | None:
        """The task's result ring, mapped on first use; None when there is none (or it cannot be
        mapped: results then go through the socket)."""
        path = task.config.get("quiver.udf.result_ring")
        if not path:
            return None
        if self.result_ring is None or self.result_ring.path != path:
            try:
                self.result_ring = _ResultRing(path, int(task.config["quiver.udf.result_ring_size"]))
            except (OSError, ValueError, KeyError):
                self.result_ring = None
        return self.result_ring

    def arguments(self, task: worker_pb2.WorkerTask) -> _ArgumentRing | None:
        """The task's argument ring, mapped on first use; None when it cannot be mapped (a frame
        in it then fails the task)."""
        path = task.config.get("quiver.udf.argument_ring")
        if not path:
            return None
        if self.argument_ring is None or self.argument_ring.path != path:
            try:
                self.argument_ring = _ArgumentRing(path, int(task.config["quiver.udf.argument_ring_size"]))
            except (OSError, ValueError, KeyError):
                self.argument_ring = None
        return self.argument_ring

    def serve(self) -> None:
        while True:
            raw = read_frame(self.infile)
            if raw is None:
                return  # the executor closed the connection: the server stopped
            task = worker_pb2.WorkerTask()
            task.ParseFromString(raw)
            if self.profile_dir:
                self.profiled(task)
            else:
                self.run_task(task)

    def profiled(self, task: worker_pb2.WorkerTask) -> None:
        """Runs a task under cProfile and writes its stats to QUIVER_WORKER_PROFILE (a directory),
        one file per task: how the worker's time splits between the UDF and the transport."""
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
        try:
            self.run_task(task)
        finally:
            profile.disable()
            self.tasks_profiled += 1
            profile.dump_stats(os.path.join(self.profile_dir, f"worker-{os.getpid()}-{self.tasks_profiled}.prof"))

    def run_task(self, task: worker_pb2.WorkerTask) -> None:
        result = worker_pb2.WorkerTaskResult()
        pickled = task.eval_type == _ET.PYTHON_EVAL_TYPE_SQL_BATCHED_UDF
        return_schema = pa.ipc.read_schema(pa.py_buffer(task.return_schema.arrow_schema))
        state = _Output(self.outfile, return_schema, pickled, task.config.get("quiver.udf.framed_output") == "1")
        reader = None
        self.segments.configure(task)
        try:
            if pickled:
                self.pickled_rows(task, state)
            else:
                if task.config.get("quiver.udf.framed_input") == "1":
                    reader = _FramedInput(self.infile, self.arguments(task),
                                          pa.ipc.read_schema(pa.py_buffer(task.argument_schema.arrow_schema)),
                                          self.segments)
                else:
                    reader = pa.ipc.open_stream(self.infile)
                handler = _HANDLERS.get(task.eval_type)
                if handler is None:
                    raise UserError("", "NotImplementedError", f"eval type {task.eval_type} is not supported by this worker", "")
                handler(self, task, reader, state)
        except UserError as e:
            result.error.CopyFrom(worker_pb2.WorkerError(function_name=e.function_name, exception_type=e.exc_type,
                                                         message=e.message, traceback=e.tb, user_error=True))
        except Exception as e:  # an exception from the UDF itself
            result.error.CopyFrom(worker_pb2.WorkerError(function_name=state.current, exception_type=type(e).__name__,
                                                         message=str(e), traceback=_user_traceback(),
                                                         user_error=True))
        # Keep the connection in step: read the rest of the input, end the output.
        if pickled:
            if not state.input_done:
                while True:
                    frame = read_frame(self.infile)
                    if not frame:
                        break
        elif task.config.get("quiver.udf.framed_input") == "1":
            _FramedInput.drain(self.infile, reader)
        else:
            if reader is None:
                try:
                    reader = pa.ipc.open_stream(self.infile)
                except Exception:
                    reader = None
            if reader is not None:
                for _ in reader:
                    pass
        state.close()
        result.num_rows = state.rows
        write_frame(self.outfile, result.SerializeToString())
        self.outfile.flush()

    # -- the classic row path: pickled rows in, pickled results out ---------------------------

    def pickled_rows(self, task: worker_pb2.WorkerTask, state: "_Output") -> None:
        arg_schema = pa.ipc.read_schema(pa.py_buffer(task.argument_schema.arrow_schema))
        converters = [_from_wire(f.type) for f in arg_schema]
        functions = []
        for fn in task.functions:
            name, f, offsets, rt = _scalar_function(self, fn)
            functions.append((name, f, offsets, _to_wire(rt, name)))
        while True:
            frame = read_frame(self.infile)
            if frame is None:
                raise EOFError("the executor closed the connection mid-task")
            if not frame:
                state.input_done = True
                break
            rows = pickle.loads(frame)
            if any(converters):
                rows = [tuple(c(v) if c else v for c, v in zip(converters, row)) for row in rows]
            outputs = []
            for name, f, offsets, back in functions:
                state.current = name
                if len(offsets) == 1:
                    o = offsets[0]
                    results = [f(row[o]) for row in rows]
                else:
                    results = [f(*[row[o] for o in offsets]) for row in rows]
                if back is not None:
                    results = [back(v) for v in results]
                outputs.append(results)
            state.current = ""
            state.write_frame(pickle.dumps(outputs, protocol=4), len(rows))


def _user_traceback() -> str:
    """The traceback without the worker's own frames, as PySpark shows it."""
    etype, value, tb = sys.exc_info()
    frames = traceback.extract_tb(tb)
    here = os.path.abspath(__file__)
    kept = [f for f in frames if os.path.abspath(f.filename) != here]
    lines = ["Traceback (most recent call last):\n"]
    lines += traceback.format_list(kept or frames)
    lines += traceback.format_exception_only(etype, value)
    return "".join(lines)


class _Output:
    """The task's output stream, opened on first use so an early failure still ends it cleanly."""

    def __init__(self, outfile: Any, schema: pa.Schema, pickled: bool, framed: bool = False):
        self.outfile = outfile
        self.schema = schema
        self.pickled = pickled
        # framed: each batch is a frame (udf/worker.go readFramedBatch): b"I" and an Arrow IPC
        # stream of the batch, or b"R" and where the batch lies in the result ring; b"E" ends.
        self.framed = framed
        self.writer: pa.ipc.RecordBatchStreamWriter | None = None
        self.rows = 0
        self.current = ""
        self.input_done = False

    def write(self, batch: pa.RecordBatch) -> None:
        if self.writer is None:
            self.writer = pa.ipc.new_stream(self.outfile, self.schema)
        if batch.schema != self.schema:
            batch = pa.RecordBatch.from_arrays(batch.columns, schema=self.schema)
        if self.framed:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, self.schema) as writer:
                writer.write_batch(batch)
            self.outfile.write(b"I")
            write_frame(self.outfile, sink.getvalue())
        else:
            self.writer.write_batch(batch)
        self.outfile.flush()
        self.rows += batch.num_rows

    def write_ring(self, start: int, length: int, rows: int, columns: list[tuple[int, int, int, int, int]]) -> None:
        """A batch written in the result ring at [start, start + length): per column the offsets
        and lengths (within the region) of its validity bitmap (length 0: no nulls) and values,
        and its null count."""
        parts = [b"R", struct.pack("<QQQI", start, length, rows, len(columns))]
        parts += [struct.pack("<QQQQQ", *c) for c in columns]
        self.outfile.write(b"".join(parts))
        self.outfile.flush()
        self.rows += rows

    def write_frame(self, data: bytes, rows: int) -> None:
        write_frame(self.outfile, data)
        self.outfile.flush()
        self.rows += rows

    def close(self) -> None:
        if self.pickled:
            write_frame(self.outfile, b"")
            return
        if self.framed:
            self.outfile.write(b"E")
            return
        if self.writer is None:
            self.writer = pa.ipc.new_stream(self.outfile, self.schema)
        self.writer.close()


# -- eval types ----------------------------------------------------------------------------------


def _return_type(fn: worker_pb2.WorkerFunction) -> pa.DataType:
    return pa.ipc.read_schema(pa.py_buffer(fn.return_type.arrow_schema)).field(0).type


def _scalar_function(w: Worker, fn: worker_pb2.WorkerFunction) -> tuple[str, Callable, list[int], pa.DataType]:
    """A scalar function as (name, callable, argument offsets, return type). A chain (udf1(udf2(x))
    sent as one function) becomes one callable passing each result to the next function
    unchecked, as Spark's chained Python functions do; the last one's type is the output's."""
    f = w.function(fn)
    if not fn.chain:
        return fn.name, f, list(fn.argument_offsets), _return_type(fn)
    links = [f] + [w.function(c) for c in fn.chain]

    def chained(*args: Any) -> Any:
        value = links[0](*args)
        for link in links[1:]:
            value = link(value)
        return value

    last = fn.chain[-1]
    return last.name, chained, list(fn.argument_offsets), _return_type(last)


def _max_records(task: worker_pb2.WorkerTask) -> int:
    """spark.sql.execution.arrow.maxRecordsPerBatch: the most rows a pandas UDF sees per call."""
    try:
        return int(task.config.get("spark.sql.execution.arrow.maxRecordsPerBatch", "0"))
    except ValueError:
        return 0


def _calls(message: pa.RecordBatch, limit: int) -> Iterator[pa.RecordBatch]:
    """A message cut into the batches a pandas UDF is called with (at most limit rows each;
    limit <= 0: the message as it is). The executor sends several batches' rows per message, so
    the transport's per-message costs are paid once for many calls; slices copy nothing."""
    n = message.num_rows
    if limit <= 0 or n <= limit:
        yield message
        return
    for start in range(0, n, limit):
        yield message.slice(start, limit)


def _scalar_pandas(w: Worker, task: worker_pb2.WorkerTask, reader: Any, out: _Output) -> None:
    import pandas as pd

    functions = [_scalar_function(w, fn) for fn in task.functions]
    limit = _max_records(task)
    ring = w.ring(task) if out.framed else None
    # One function called once per message: it may compute its result straight into the ring.
    allocator = _result_allocator.result_allocator() if ring is not None and len(functions) == 1 else None
    for message in reader:
        n_message = message.num_rows
        step = limit if 0 < limit < n_message else max(n_message, 1)
        # Results of primitive types are gathered straight into the result ring when it has room.
        layout = _ring_layout([rt for _, _, _, rt in functions], n_message) if ring is not None else None
        region = ring.reserve(layout[-1]) if layout is not None else None
        # Primitive columns without nulls are cut as numpy views of the whole message: building a
        # Series on a view costs a fraction of converting each slice from Arrow.
        views: dict[int, Any] = {}
        for _, _, offsets, _ in functions:
            for o in offsets:
                if o not in views:
                    views[o] = _numpy_view(message.column(o))
        results = [_MessageResult(rt, n_message, None if region is None else
                                  ring.array(region, layout[i][0], _NUMPY_KINDS[rt], n_message))
                   for i, (_, _, _, rt) in enumerate(functions)]
        if allocator is not None and region is not None and step == n_message:
            placed = _PlacedCall(allocator, ring, region, layout, results[0])
            out.current = functions[0][0]
            placed.call(functions[0], _call_arguments(message, views, {}, functions[0][2], 0, n_message))
            region = placed.region
        else:
            for start in range(0, max(n_message, 1), step):
                n = min(start + step, n_message) - start
                columns: dict[int, Any] = {}
                for (name, f, offsets, rt), result in zip(functions, results):
                    out.current = name
                    result.add(f(*_call_arguments(message, views, columns, offsets, start, n)), name, start, n)
        out.current = ""
        if region is not None and all(r.complete() for r in results):
            columns = [r.finish_in_ring(ring, region, layout[i]) for i, r in enumerate(results)]
            out.write_ring(region, layout[-1], n_message, columns)
            continue
        out.write(pa.RecordBatch.from_arrays([r.finish() for r in results], schema=out.schema))
        if region is not None:
            # Written out through the socket (a call's result needed pandas' conversion): the
            # region goes back.
            ring.abandon(region, layout[-1])


def _call_arguments(message: pa.RecordBatch, views: dict[int, Any], columns: dict[int, Any], offsets: list[int],
                    start: int, n: int) -> list[Any]:
    """A function's arguments over rows [start, start + n) of a message. Primitive columns without
    nulls are Series over slices of their numpy view (a fraction of converting each slice from
    Arrow); columns caches them for the other functions of the same call."""
    import pandas as pd

    for o in offsets:
        if o not in columns:
            view = views[o]
            if view is not None:
                columns[o] = _copy_on_write(pd.Series(view[start:start + n], copy=False))
            else:
                whole = message.column(o)
                columns[o] = _to_series_or_frame(whole if n == message.num_rows else whole.slice(start, n))
    return [columns[o] for o in offsets]


class _PlacedCall:
    """One call over a whole message whose result values numpy may allocate at the message's region
    of the result ring (_result_allocator). After the call the values are where the executor reads
    them when the result lies there and nothing but the worker referred to it (numpy freed it once
    the worker dropped its reference); otherwise the result is copied in as usual. A region whose
    values some Python object still owns is held (the ring reserves past it) until numpy frees it,
    and the message takes another region (or the socket, with no room)."""

    def __init__(self, allocator: Any, ring: _ResultRing, region: int, layout: list[Any], result: "_MessageResult"):
        self.allocator = allocator
        self.ring = ring
        self.region: int | None = region
        self.layout = layout
        self.result = result
        self.placement = _result_allocator.Placement(result.values.ctypes.data, result.values.nbytes)

    def call(self, function: tuple, args: list[Any]) -> None:
        name, f, _, _ = function
        placement, result = self.placement, self.result
        self.allocator.install(placement)
        try:
            value = f(*args)
        except BaseException:
            self.allocator.uninstall()
            if placement.live:  # a traceback may keep an array over the region
                self.hold()
            raise
        self.allocator.uninstall()
        del args
        if _lies_at(value, placement, result.dtype, result.size):
            result.filled = result.size
            del value
            if placement.live:
                # Kept by the UDF: it may still write there. The executor gets a copy.
                values = result.values
                self.hold()
                result.values[:] = values
            return
        if placement.live:  # a temporary of the result's size, kept by the UDF
            self.hold()
        result.add(value, name, 0, result.size)

    def hold(self) -> None:
        """Leaves the region to the array that owns its values, and points the result at a new
        region (or private memory)."""
        import numpy as np

        record = self.ring.hold(self.region, self.layout[-1])
        self.placement.on_free = lambda: self.ring.release_held(record)
        if not self.placement.live:  # freed in the meantime
            self.ring.release_held(record)
        self.region = self.ring.reserve(self.layout[-1])
        rt, n = self.result.t, self.result.size
        self.result.values = (np.empty(n, dtype=self.result.dtype) if self.region is None else
                              self.ring.array(self.region, self.layout[0][0], _NUMPY_KINDS[rt], n))


def _lies_at(value: Any, placement: Any, dtype: Any, n: int) -> bool:
    """Whether a UDF's result is a Series of exactly the declared type whose values are the
    placement's memory."""
    import pandas as pd

    if type(value) is not pd.Series or value.dtype != dtype or len(value) != n or not placement.live:
        return False
    values = value.to_numpy(copy=False)
    return values.ctypes.data == placement.address and values.flags.c_contiguous


def _ring_layout(types: list[pa.DataType], rows: int) -> list[Any] | None:
    """Where each result column's values and validity bitmap go in a ring region, as (values
    offset, validity offset) per column followed by the region's size; None unless every column
    is of a type gathered into one numpy array (_NUMPY_KINDS)."""
    import numpy as np

    if rows == 0 or any(t not in _NUMPY_KINDS for t in types):
        return None
    layout: list[Any] = []
    cursor = 0
    for t in types:
        values = cursor
        cursor += _align(rows * np.dtype(_NUMPY_KINDS[t]).itemsize)
        layout.append((values, cursor))
        cursor += _align((rows + 7) // 8)
    layout.append(cursor)
    return layout


_NUMPY_VIEW_TYPES = frozenset([pa.float64(), pa.float32(), pa.int64(), pa.int32(), pa.int16(), pa.int8(),
                               pa.uint64(), pa.uint32(), pa.uint16(), pa.uint8()])


def _numpy_view(column: pa.Array) -> Any:
    """A primitive column without nulls as a read-only numpy view (what to_pandas gives for it,
    without the per-slice conversion), or None when the column needs pandas' conversion."""
    if column.type not in _NUMPY_VIEW_TYPES or column.null_count != 0:
        return None
    try:
        return column.to_numpy(zero_copy_only=True)
    except pa.ArrowInvalid:
        return None


class _MessageResult:
    """One function's results over a message's calls, as one Arrow array. A Series whose dtype is
    exactly the declared primitive type is copied straight into one numpy array for the message
    (one copy, and NaN-to-null once per message instead of per call); anything else converts
    through pandas_to_arrow, which checks it and names the UDF in its errors."""

    def __init__(self, t: pa.DataType, size: int, values: Any = None):
        import numpy as np

        self.t = t
        self.size = size
        kind = _NUMPY_KINDS.get(t)
        self.dtype = np.dtype(kind) if kind is not None else None
        if values is None and kind is not None:
            values = np.empty(size, dtype=self.dtype)
        self.values = values
        self.pieces: list[pa.Array] = []
        self.pending = 0  # values[pending:filled] are not in pieces yet
        self.filled = 0

    def add(self, result: Any, name: str, start: int, n: int) -> None:
        import pandas as pd

        if self.values is not None and type(result) is pd.Series and result.dtype == self.dtype and len(result) == n:
            self.values[start:start + n] = result.to_numpy(copy=False)
            self.filled = start + n
            return
        self.flush()
        self.pieces.append(pandas_to_arrow(result, self.t, name, n))
        self.pending = self.filled = start + n

    def flush(self) -> None:
        import numpy as np

        if self.filled == self.pending:
            return
        data = self.values[self.pending:self.filled]
        mask = np.isnan(data) if data.dtype.kind == "f" else None
        if mask is not None and mask.any():
            self.pieces.append(pa.array(data, type=self.t, mask=mask))
        else:
            self.pieces.append(pa.array(data, type=self.t))
        self.pending = self.filled

    def complete(self) -> bool:
        """Every call's values are in the one array (none went through pandas_to_arrow)."""
        return not self.pieces and self.pending == 0 and self.filled == self.size

    def finish_in_ring(self, ring: _ResultRing, start: int, offsets: tuple[int, int]) -> tuple[int, int, int, int, int]:
        """The column as it lies in the ring, NaN as null (as pa.Array.from_pandas): (validity
        offset, validity length, null count, values offset, values length)."""
        import numpy as np

        values_offset, validity_offset = offsets
        data = self.values
        if data.dtype.kind == "f":
            nan = np.isnan(data)
            if nan.any():
                bits = np.packbits(~nan, bitorder="little")
                ring.array(start, validity_offset, np.uint8, len(bits))[:] = bits
                return validity_offset, len(bits), int(nan.sum()), values_offset, data.nbytes
        return 0, 0, 0, values_offset, data.nbytes

    def finish(self) -> pa.Array:
        self.flush()
        if len(self.pieces) == 1:
            return self.pieces[0]
        if not self.pieces:
            return pa.array([], type=self.t)
        return pa.concat_arrays(self.pieces)


def _scalar_pandas_iter(w: Worker, task: worker_pb2.WorkerTask, reader: Any, out: _Output) -> None:
    fn = task.functions[0]
    name, f, offsets, rt = fn.name, w.function(fn), list(fn.argument_offsets), _return_type(fn)
    seen = [0]

    limit = _max_records(task)

    def batches() -> Iterator[Any]:
        for batch in (b for message in reader for b in _calls(message, limit)):
            seen[0] += batch.num_rows
            args = [_to_series_or_frame(batch.column(o)) for o in offsets]
            yield args[0] if len(args) == 1 else tuple(args)

    produced = 0
    out.current = name
    for result in f(batches()):
        arr = pandas_to_arrow(result, rt, name, None)
        produced += len(arr)
        if produced > seen[0]:
            raise ValueError(f"UDF '{name}' produced more rows ({produced}) than it was given so far ({seen[0]}); "
                             "an iterator pandas UDF must yield one value per input row")
        out.write(pa.RecordBatch.from_arrays([arr], schema=out.schema))
    out.current = ""
    for _ in reader:  # a function that stopped early still has to account for every row
        pass
    if produced != seen[0]:
        raise UserError(name, "ValueError", f"UDF '{name}' returned {produced} rows in total for {seen[0]} input rows; "
                        "an iterator pandas UDF must yield one value per input row", "")


def _arrow_batched(w: Worker, task: worker_pb2.WorkerTask, reader: Any, out: _Output) -> None:
    functions = [_scalar_function(w, fn) for fn in task.functions]
    for batch in reader:
        columns: dict[int, list] = {}
        arrays = []
        for name, f, offsets, rt in functions:
            out.current = name
            for o in offsets:
                if o not in columns:
                    columns[o] = arrow_column_to_python(batch.column(o))
            if len(offsets) == 1:
                results = [f(v) for v in columns[offsets[0]]]
            else:
                results = [f(*row) for row in zip(*[columns[o] for o in offsets])]
            arrays.append(python_to_arrow(results, rt, name))
        out.current = ""
        out.write(pa.RecordBatch.from_arrays(arrays, schema=out.schema))


def _frame_to_batch(pdf: Any, schema: pa.Schema, name: str) -> pa.RecordBatch:
    import pandas as pd

    if not isinstance(pdf, pd.DataFrame):
        raise TypeError(f"UDF '{name}' must return (or yield) pandas DataFrames, but returned {describe_value(pdf)}")
    by_name = all(isinstance(c, str) for c in pdf.columns)
    arrays = []
    for i, field in enumerate(schema):
        if by_name:
            if field.name not in pdf.columns:
                raise KeyError(f"UDF '{name}' returned a DataFrame without column '{field.name}' of the declared schema "
                               f"({', '.join(schema.names)}); it has {', '.join(map(str, pdf.columns))}")
            column = pdf[field.name]
        else:
            if i >= pdf.shape[1]:
                raise ValueError(f"UDF '{name}' returned {pdf.shape[1]} columns but its schema declares {len(schema)}")
            column = pdf.iloc[:, i]
        arrays.append(pandas_to_arrow(column if not isinstance(column, pd.DataFrame) else column, field.type,
                                      f"{name}.{field.name}", None))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _map_pandas(w: Worker, task: worker_pb2.WorkerTask, reader: Any, out: _Output) -> None:
    fn = task.functions[0]
    f = w.function(fn)

    def frames() -> Iterator[Any]:
        for batch in reader:
            yield batch.to_pandas(date_as_object=True)

    out.current = fn.name
    for pdf in f(frames()):
        out.write(_frame_to_batch(pdf, out.schema, fn.name))
    out.current = ""


def _map_arrow(w: Worker, task: worker_pb2.WorkerTask, reader: Any, out: _Output) -> None:
    fn = task.functions[0]
    f = w.function(fn)
    out.current = fn.name
    for batch in f(iter(reader)):
        if not isinstance(batch, pa.RecordBatch):
            raise TypeError(f"UDF '{fn.name}' must yield pyarrow.RecordBatch objects, but yielded {describe_value(batch)}")
        try:
            if batch.schema.names != out.schema.names:
                batch = pa.RecordBatch.from_arrays([batch.column(n) for n in out.schema.names], names=out.schema.names)
            batch = batch.cast(out.schema)
        except (KeyError, pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError) as e:
            raise TypeError(f"UDF '{fn.name}' yielded a batch with schema {batch.schema} that does not match the declared "
                            f"schema {out.schema}: {e}") from None
        out.write(batch)
    out.current = ""


def _groups(reader: Any, group_column: int) -> Iterator[pa.Table]:
    """Consecutive rows sharing a group number, across batch boundaries, as one table each."""
    pending: list[pa.RecordBatch] = []
    current = None
    for batch in reader:
        if batch.num_rows == 0:
            continue
        ids = batch.column(group_column).to_numpy(zero_copy_only=False)
        import numpy as np

        starts = np.flatnonzero(np.diff(ids)) + 1
        bounds = [0, *starts.tolist(), len(ids)]
        for a, b in zip(bounds[:-1], bounds[1:]):
            gid = ids[a]
            piece = batch.slice(a, b - a)
            if current is not None and gid != current:
                yield pa.Table.from_batches(pending)
                pending = []
            current = gid
            pending.append(piece)
    if pending:
        yield pa.Table.from_batches(pending)


def _group_runs(reader: Any, group_column: int) -> Iterator[tuple[pa.RecordBatch, list[int]]]:
    """Batches holding whole groups only, with the row where each group starts (and the end).

    The executor streams rows ordered by group number in batches of maxRecordsPerBatch rows; a
    group may span batches. The last group of a batch is held back and joined to the next batch
    (it may continue there), so each yielded batch can be converted to pandas once and cut into
    groups by position: per group only a slice, never an Arrow-to-pandas conversion."""
    import numpy as np

    pending: list[pa.RecordBatch] = []  # the rows of the last group seen, which may continue
    pending_id = None
    for batch in reader:
        if batch.num_rows == 0:
            continue
        ids = batch.column(group_column).to_numpy(zero_copy_only=False)
        if ids[0] == ids[-1] and (not pending or ids[0] == pending_id):
            # One group throughout (ids only grow): keep it without copying.
            pending.append(batch)
            pending_id = ids[0]
            continue
        if pending:
            batch = pa.concat_batches([*pending, batch])
            ids = batch.column(group_column).to_numpy(zero_copy_only=False)
        starts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
        last = int(starts[-1])
        pending, pending_id = [batch.slice(last)], ids[-1]
        yield batch.slice(0, last), [0, *starts[:-1].tolist(), last]
    if pending:
        whole = pa.concat_batches(pending) if len(pending) > 1 else pending[0]
        yield whole, [0, whole.num_rows]


def _group_slices(whole: Any, bounds: list[int]) -> Iterator[Any]:
    """Each group's rows of a pandas object holding whole groups, indexed from 0 as PySpark
    indexes each group's frame."""
    import pandas as pd

    for a, b in zip(bounds[:-1], bounds[1:]):
        part = whole.iloc[a:b]
        part.index = pd.RangeIndex(b - a)
        # The slice shares whole's block: kept alive with it, an in-place write copies (see _copy_on_write).
        object.__setattr__(part, "_quiver_shared", whole)
        yield part


def _takes_key(f: Callable, data_args: int) -> bool:
    try:
        params = [p for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        return len(params) == data_args + 1
    except (TypeError, ValueError):
        return False


def _key_tuple(table: pa.Table, offsets: list[int]) -> tuple:
    return tuple(table.column(o)[0].as_py() for o in offsets)


def _grouped_map(w: Worker, task: worker_pb2.WorkerTask, reader: Any, out: _Output) -> None:
    fn = task.functions[0]
    f = w.function(fn)
    keys = list(fn.argument_offsets)
    n_data = task.group_column - task.num_key_columns
    with_key = _takes_key(f, 1)
    names = reader.schema.names[:n_data]
    out.current = fn.name
    results: list[Any] = []
    rows = 0
    for batch, bounds in _group_runs(reader, task.group_column):
        whole = _frame(pa.Table.from_batches([batch.select(list(range(n_data)))]), names)
        key_values = [batch.column(o).to_pylist() for o in keys] if with_key else []
        for a, pdf in zip(bounds, _group_slices(whole, bounds)):
            result = f(tuple(k[a] for k in key_values), pdf) if with_key else f(pdf)
            results.append(result)
            rows += len(result) if hasattr(result, "__len__") else 0
            if rows >= _OUTPUT_ROWS:
                out.write(_frames_to_batch(results, out.schema, fn.name))
                results, rows = [], 0
    if results:
        out.write(_frames_to_batch(results, out.schema, fn.name))
    out.current = ""


# Grouped results are sent in batches of about this many rows: one Arrow message (and one
# conversion) per many small groups instead of one per group.
_OUTPUT_ROWS = 10000


def _frames_to_batch(frames: list[Any], schema: pa.Schema, name: str) -> pa.RecordBatch:
    """Many groups' result frames as one batch: concatenated in pandas and converted once. When
    the frames do not line up (other columns, types that only convert one by one), each converts
    on its own, which also gives the precise error."""
    import pandas as pd

    if len(frames) == 1:
        return _frame_to_batch(frames[0], schema, name)
    names = schema.names
    aligned = all(isinstance(r, pd.DataFrame) and list(r.columns) == names for r in frames)
    if aligned and len(set(names)) == len(names):
        dtypes = frames[0].dtypes.tolist()
        if all(r.dtypes.tolist() == dtypes for r in frames):
            try:
                return _frame_to_batch(pd.concat(frames, ignore_index=True), schema, name)
            except (TypeError, ValueError, KeyError):
                pass
    table = pa.Table.from_batches([_frame_to_batch(r, schema, name) for r in frames], schema=schema).combine_chunks()
    if table.num_rows == 0:
        return pa.RecordBatch.from_pylist([], schema=schema)
    return table.to_batches()[0]


def _cogrouped_map(w: Worker, task: worker_pb2.WorkerTask, reader: Any, out: _Output) -> None:
    import pyarrow.compute as pc

    fn = task.functions[0]
    f = w.function(fn)
    k = task.num_key_columns
    offsets = list(fn.argument_offsets)
    left_keys, right_keys = offsets[:k], offsets[k:]
    n_left = task.num_left_columns
    right_start = int(task.config["quiver.cogroup.right_start"])
    n_right = int(task.config["quiver.cogroup.right_columns"])
    schema = reader.schema

    def original_name(i: int) -> str:
        md = schema.field(i).metadata or {}
        return md.get(b"quiver.name", schema.field(i).name.encode()).decode()

    left_columns = list(range(n_left))
    right_columns = list(range(right_start, right_start + n_right))
    left_names = [original_name(i) for i in left_columns]
    right_names = [original_name(i) for i in right_columns]
    side_column = task.group_column + 1
    with_key = _takes_key(f, 2)
    out.current = fn.name
    results: list[Any] = []
    rows = 0
    for table in _groups(reader, task.group_column):
        side = table.column(side_column)
        left = table.filter(pc.equal(side, 0))
        right = table.filter(pc.equal(side, 1))
        lpdf = _frame(left.select(left_columns), left_names)
        rpdf = _frame(right.select(right_columns), right_names)
        if with_key:
            key = _key_tuple(left, left_keys) if left.num_rows else _key_tuple(right, right_keys)
            result = f(key, lpdf, rpdf)
        else:
            result = f(lpdf, rpdf)
        # Many groups' results go out as one batch, as for applyInPandas.
        results.append(result)
        rows += len(result) if hasattr(result, "__len__") else 0
        if rows >= _OUTPUT_ROWS:
            out.write(_frames_to_batch(results, out.schema, fn.name))
            results, rows = [], 0
    if results:
        out.write(_frames_to_batch(results, out.schema, fn.name))
    out.current = ""


def _frame(table: pa.Table, names: list[str]) -> Any:
    """A table as pandas with the given column names (duplicates allowed, as in Spark)."""
    pdf = table.rename_columns([f"c{i}" for i in range(table.num_columns)]).to_pandas(date_as_object=True)
    pdf.columns = names
    return pdf


def _grouped_agg(w: Worker, task: worker_pb2.WorkerTask, reader: Any, out: _Output) -> None:
    functions = [(fn.name, w.function(fn), list(fn.argument_offsets), _return_type(fn)) for fn in task.functions]
    window = task.eval_type == _ET.PYTHON_EVAL_TYPE_SQL_WINDOW_AGG_PANDAS_UDF
    results: list[list] = [[] for _ in functions]
    counts: list[int] = []
    # Window calls over ordered or bounded frames: the executor sends each row's frame as
    # [begin, end) within its group; such a function runs once per row, as in PySpark.
    frames = {i: tuple(int(c) for c in task.config[f"quiver.window.frame.{i}"].split(","))
              for i in range(len(functions)) if f"quiver.window.frame.{i}" in task.config}
    whole = [i for i in range(len(functions)) if i not in frames]

    def flush() -> None:
        arrays = []
        for i, ((name, _, _, rt), values) in enumerate(zip(functions, results)):
            out.current = name
            try:
                arr = pa.array(values, type=rt)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as e:
                kinds = sorted({type(v).__name__ for v in values if v is not None}) or ["None"]
                raise TypeError(f"UDF '{name}' is declared to return {spark_type_name(rt)} (Arrow {rt}) but returned "
                                f"values of Python type {', '.join(kinds)}: {e}") from None
            if window and i not in frames:
                arr = arr.take(pa.array([g for g, c in enumerate(counts) for _ in range(c)], type=pa.int64()))
            arrays.append(arr)
            values.clear()
        counts.clear()
        out.current = ""
        out.write(pa.RecordBatch.from_arrays(arrays, schema=out.schema))

    for batch, bounds in _group_runs(reader, task.group_column):
        # Each argument column converts to pandas once per run of groups; groups are slices.
        columns: dict[int, list[Any]] = {}
        for o in {o for _, _, offsets, _ in functions for o in offsets}:
            columns[o] = list(_group_slices(_to_series_or_frame(batch.column(o)), bounds))
        frame_bounds = {i: (batch.column(b).to_numpy(zero_copy_only=False), batch.column(e).to_numpy(zero_copy_only=False))
                        for i, (b, e) in frames.items()}
        for group, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
            _aggregate_group([functions[i] for i in whole], [results[i] for i in whole], columns, group, out)
            for i, (begins, ends) in frame_bounds.items():
                _aggregate_frames(functions[i], results[i], columns, group, begins[a:b], ends[a:b], out)
            counts.append(b - a)
            if len(counts) >= 10000:
                flush()
    if counts:
        flush()


def _aggregate_frames(function: tuple, values: list, columns: dict[int, list[Any]], group: int, begins: Any, ends: Any,
                      out: _Output) -> None:
    """Calls an aggregate function once per row of a group on the slices of the row's frame
    (rows [begin, end) of the group, keeping the group's index as PySpark does)."""
    name, f, offsets, rt = function
    out.current = name
    args = [columns[o][group] for o in offsets]
    for begin, end in zip(begins.tolist(), ends.tolist()):
        values.append(_aggregate_value(name, rt, f(*[s.iloc[begin:end] for s in args])))


def _aggregate_value(name: str, rt: pa.DataType, value: Any) -> Any:
    """An aggregate function's result as a Python scalar, or a TypeError naming the UDF."""
    if hasattr(value, "__len__") and not isinstance(value, (str, bytes, dict)) and not (
            pa.types.is_list(rt) or pa.types.is_struct(rt) or pa.types.is_map(rt)):
        raise TypeError(f"UDF '{name}' is a grouped aggregate pandas UDF and must return a scalar of type "
                        f"{spark_type_name(rt)}, but returned {describe_value(value)}")
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        value = value.item()
    return value


def _aggregate_group(functions: list, results: list[list], columns: dict[int, list[Any]], group: int, out: _Output) -> None:
    """Calls each aggregate function on one group's argument slices and keeps its scalar."""
    for (name, f, offsets, rt), values in zip(functions, results):
        out.current = name
        values.append(_aggregate_value(name, rt, f(*[columns[o][group] for o in offsets])))


_HANDLERS = {
    _ET.PYTHON_EVAL_TYPE_SQL_SCALAR_PANDAS_UDF: _scalar_pandas,
    _ET.PYTHON_EVAL_TYPE_SQL_SCALAR_PANDAS_ITER_UDF: _scalar_pandas_iter,
    _ET.PYTHON_EVAL_TYPE_SQL_ARROW_BATCHED_UDF: _arrow_batched,
    _ET.PYTHON_EVAL_TYPE_SQL_MAP_PANDAS_ITER_UDF: _map_pandas,
    _ET.PYTHON_EVAL_TYPE_SQL_MAP_ARROW_ITER_UDF: _map_arrow,
    _ET.PYTHON_EVAL_TYPE_SQL_GROUPED_MAP_PANDAS_UDF: _grouped_map,
    _ET.PYTHON_EVAL_TYPE_SQL_COGROUPED_MAP_PANDAS_UDF: _cogrouped_map,
    _ET.PYTHON_EVAL_TYPE_SQL_GROUPED_AGG_PANDAS_UDF: _grouped_agg,
    _ET.PYTHON_EVAL_TYPE_SQL_WINDOW_AGG_PANDAS_UDF: _grouped_agg,
}


def _watch_parent() -> None:
    """Exits when the executor that started this worker dies, even while a UDF runs."""
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(3)


def _can_open_executor_descriptors() -> bool:
    """Whether /proc/<executor>/fd may be read: the kernel applies the same check (ptrace read
    access: the same user, the executor dumpable) to listing it as to opening its entries, which
    is how shared segments are mapped (_Segments.mapping)."""
    try:
        os.listdir(f"/proc/{os.getppid()}/fd")
        return True
    except OSError:
        return False


def main() -> None:
    path = os.environ.get("QUIVER_WORKER_SOCKET")
    secret = os.environ.pop("QUIVER_WORKER_SECRET", None)
    if not path or secret is None:
        sys.stderr.write("quiver.worker is started by a Quiver executor; it needs QUIVER_WORKER_SOCKET and QUIVER_WORKER_SECRET\n")
        sys.exit(2)
    # Import what every task needs before saying hello, so the first task does not pay for it.
    import cloudpickle  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    threading.Thread(target=_watch_parent, daemon=True, name="quiver-parent-watch").start()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        # Room for a whole result message (several maxRecordsPerBatch batches) in the socket, so
        # the worker goes on to the next message while the executor is busy downstream instead
        # of blocking in send (the default 208 KiB holds a third of 80,000 doubles).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_BUFFER)
    except OSError:
        pass  # the system's limit applies
    sock.connect(path)
    w = Worker(sock)
    hello = worker_pb2.WorkerHello(secret=secret, pid=os.getpid(), python_version=sys.version.split()[0],
                                   can_open_executor_descriptors=_can_open_executor_descriptors())
    write_frame(w.outfile, hello.SerializeToString())
    w.outfile.flush()
    try:
        w.serve()
    except (BrokenPipeError, ConnectionResetError):
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
