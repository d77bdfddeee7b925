"""Builders for the plan protocol's messages: literals, data types, relations."""

from __future__ import annotations

import datetime
import decimal
import itertools
import math
import threading
from typing import Any

import pyarrow as pa

from quiver.v1 import expressions_pb2 as ex
from quiver.v1 import relations_pb2 as rel
from quiver.v1 import types_pb2

_plan_ids = itertools.count(1)
_plan_id_lock = threading.Lock()


def next_plan_id() -> int:
    with _plan_id_lock:
        return next(_plan_ids)


def data_type(t: pa.DataType, nullable: bool = True) -> types_pb2.DataType:
    schema = pa.schema([pa.field("", t, nullable=nullable)])
    return types_pb2.DataType(arrow_schema=schema.serialize().to_pybytes())


def literal(value: Any, arrow_type: pa.DataType | None = None) -> ex.Expression.Literal:
    """Converts a Python value to a literal with PySpark's typing (int -> bigint or int, ...)."""
    lit = ex.Expression.Literal()
    if value is None:
        lit.null.CopyFrom(data_type(arrow_type or pa.null()))
        return lit
    if isinstance(value, bool):
        lit.boolean = value
    elif isinstance(value, int):
        # PySpark's lit(1) is an int (32-bit) unless it does not fit.
        if -(2**31) <= value < 2**31:
            lit.integer = value
        elif -(2**63) <= value < 2**63:
            lit.long = value
        else:
            lit.decimal.value = str(value)
    elif isinstance(value, float):
        lit.double = value
    elif isinstance(value, str):
        lit.string = value
    elif isinstance(value, (bytes, bytearray, memoryview)):
        lit.binary = bytes(value)
    elif isinstance(value, decimal.Decimal):
        lit.decimal.value = format(value, "f")
    elif isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            # PySpark treats naive datetimes as local time in a TimestampType literal; Quiver
            # keeps them as wall-clock values without a zone (timestamp_ntz), which is lossless.
            epoch = datetime.datetime(1970, 1, 1)
            lit.timestamp_ntz = _micros(value - epoch)
        else:
            epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
            lit.timestamp = _micros(value - epoch)
    elif isinstance(value, datetime.date):
        lit.date = (value - datetime.date(1970, 1, 1)).days
    elif isinstance(value, datetime.timedelta):
        lit.day_time_interval = _micros(value)
    elif isinstance(value, (list, tuple)):
        elements = [literal(v) for v in value]
        elem_type = _common_arrow_type(value)
        lit.array.element_type.CopyFrom(data_type(elem_type))
        lit.array.elements.extend(elements)
    else:
        import numpy as np

        if isinstance(value, np.generic):
            return literal(value.item(), arrow_type)
        raise TypeError(f"unsupported literal type {type(value).__name__}: {value!r}")
    return lit


def _micros(td: datetime.timedelta) -> int:
    return (td.days * 86400 + td.seconds) * 1_000_000 + td.microseconds


def _common_arrow_type(values: Any) -> pa.DataType:
    non_null = [v for v in values if v is not None]
    if not non_null:
        return pa.null()
    try:
        return pa.array(non_null).type
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise TypeError(f"array literal has mixed element types: {values!r}") from e


def is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def relation(**kwargs: Any) -> rel.Relation:
    r = rel.Relation(**kwargs)
    r.common.plan_id = next_plan_id()
    return r
