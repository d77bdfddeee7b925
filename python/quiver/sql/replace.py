"""df.replace / df.na.replace with PySpark's semantics: scalar, list and dict forms, an optional
subset; numeric replacements apply to every numeric column (compared as doubles, the result
cast back to the column's type, as Spark's NAReplace does), strings to string columns and
booleans to boolean columns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from quiver.errors import AnalysisException

if TYPE_CHECKING:
    from quiver.sql.dataframe import DataFrame

_NO_VALUE = object()


def _kind(v: Any) -> str | None:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "numeric"
    if isinstance(v, str):
        return "string"
    return None


def _column_kind(t: pa.DataType) -> str | None:
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    return None


def replace(df: "DataFrame", to_replace: Any, value: Any = _NO_VALUE, subset: Any = None) -> "DataFrame":
    from quiver.sql import functions as F
    from quiver.sql.group import _spark_type_name

    if value is _NO_VALUE:
        if not isinstance(to_replace, dict):
            raise TypeError("[ARGUMENT_REQUIRED] Argument `value` is required when argument `to_replace` is not a dictionary.")
        value = None
    if not isinstance(to_replace, (bool, int, float, str, list, tuple, dict)):
        raise TypeError("[NOT_EXPECTED_TYPE] Argument `to_replace` should be bool, dict, float, int, str or tuple, "
                        f"got {type(to_replace).__name__}.")
    if value is not None and not isinstance(value, (bool, int, float, str, list, tuple)):
        raise TypeError("[NOT_BOOL_OR_FLOAT_OR_INT_OR_LIST_OR_NONE_OR_STR_OR_TUPLE] Argument `value` should be bool, float, "
                        f"int, list, None, str or tuple, got {type(value).__name__}.")
    if isinstance(to_replace, (list, tuple)) and isinstance(value, (list, tuple)) and len(to_replace) != len(value):
        raise ValueError("[LENGTH_SHOULD_BE_THE_SAME] to_replace and value should be of the same length, "
                         f"got {len(to_replace)} and {len(value)}.")
    if subset is not None and not isinstance(subset, (str, list, tuple)):
        raise TypeError(f"[NOT_LIST_OR_STR_OR_TUPLE] Argument `subset` should be a list, str or tuple, got {type(subset).__name__}.")
    if isinstance(subset, str):
        subset = [subset]
    if isinstance(to_replace, dict):
        pairs = dict(to_replace)
    elif isinstance(to_replace, (list, tuple)):
        values = list(value) if isinstance(value, (list, tuple)) else [value] * len(to_replace)
        pairs = dict(zip(to_replace, values))
    else:
        pairs = {to_replace: value}
    if not pairs:
        return df
    kinds = {_kind(k) for k in pairs} | {_kind(v) for v in pairs.values() if v is not None}
    if len(kinds) != 1 or None in kinds:
        raise ValueError("[MIXED_TYPE_REPLACEMENT] Mixed type replacements are not supported.")
    kind = kinds.pop()
    schema = df._arrow_schema()
    if subset is not None:
        for name in subset:
            if name not in schema.names:
                raise AnalysisException(f"[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name "
                                        f"`{name}` cannot be resolved. Did you mean one of the following? {schema.names}")
    targets = set(subset) if subset is not None else set(schema.names)
    columns = []
    for field in schema:
        name = field.name
        if name not in targets or _column_kind(field.type) != kind:
            columns.append(df[name])
            continue
        current = df[name]
        key = current.cast("double") if kind == "numeric" else current
        expression = None
        for source, target in pairs.items():
            match = key == F.lit(float(source) if kind == "numeric" else source)
            replacement = F.lit(None) if target is None else F.lit(float(target) if kind == "numeric" else target)
            expression = F.when(match, replacement) if expression is None else expression.when(match, replacement)
        otherwise = key
        columns.append(expression.otherwise(otherwise).cast(_spark_type_name(field.type)).alias(name))
    return df.select(*columns)
