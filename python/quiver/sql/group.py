"""GroupedData (df.groupBy(...)) and DataFrameNaFunctions (df.na), mirroring pyspark.sql."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from quiver.sql import _proto
from quiver.sql.column import Column, to_column
from quiver.v1 import relations_pb2 as rel

try:  # grouped-map UDFs (applyInPandas, cogroup) live with the Python UDF code
    from quiver.sql.pandas.group_ops import PandasGroupedOpsMixin
except ImportError:  # pragma: no cover - only while that module is absent
    class PandasGroupedOpsMixin:  # type: ignore[no-redef]
        pass

if TYPE_CHECKING:
    from quiver.sql.dataframe import DataFrame

# PySpark's pivot refuses more distinct values than spark.sql.pivotMaxValues (10000).
_PIVOT_MAX_VALUES = 10000


def _is_numeric(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def _as_columns(cols: tuple) -> list[Column]:
    if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
        cols = tuple(cols[0])
    out = []
    for c in cols:
        if isinstance(c, (str, Column)):
            out.append(to_column(c))
        else:
            raise TypeError(f"[NOT_COLUMN_OR_STR] groupBy takes column names or Columns, got {type(c).__name__}")
    return out


class GroupedData(PandasGroupedOpsMixin):
    """A DataFrame grouped by columns; agg(...) and the shortcuts below aggregate each group."""

    def __init__(self, df: "DataFrame", grouping: list[Column], pivot_col: Column | None = None,
                 pivot_values: list | None = None, group_type: str = "groupby",
                 grouping_sets: list[list[Column]] | None = None):
        self._df = df
        self._grouping = grouping
        self._pivot_col = pivot_col
        self._pivot_values = pivot_values
        # group_type is "groupby", "rollup", "cube" or "grouping_sets" (with grouping_sets).
        self._group_type = group_type
        self._grouping_sets = grouping_sets

    def agg(self, *exprs: Any) -> "DataFrame":
        """Aggregates with Columns (F.sum("x")) or a dict {column: function name}."""
        if not exprs:
            raise ValueError("[CANNOT_BE_EMPTY] agg needs at least one aggregate expression")
        if len(exprs) == 1 and isinstance(exprs[0], dict):
            columns = []
            for name, fn in _java_map_order(exprs[0]):
                if name == "*" and fn == "count":
                    from quiver.sql.functions import count

                    columns.append(count("*"))
                else:
                    columns.append(Column._fn(fn, to_column(name)))
        else:
            columns = list(exprs)
            for c in columns:
                if not isinstance(c, Column):
                    raise TypeError(f"[NOT_COLUMN] agg takes Columns or one dict, got {type(c).__name__}")
        return self._aggregate(columns)

    def _aggregate(self, columns: list[Column]) -> "DataFrame":
        a = rel.Aggregate(input=self._df._rel)
        a.grouping_expressions.extend(c._expr for c in self._grouping)
        a.aggregate_expressions.extend(c._expr for c in columns)
        if self._group_type == "rollup":
            a.group_type = rel.Aggregate.GROUP_TYPE_ROLLUP
        elif self._group_type == "cube":
            a.group_type = rel.Aggregate.GROUP_TYPE_CUBE
        elif self._group_type == "grouping_sets":
            a.group_type = rel.Aggregate.GROUP_TYPE_GROUPING_SETS
            for grouping_set in self._grouping_sets or []:
                a.grouping_sets.add().grouping_set.extend(c._expr for c in grouping_set)
        elif self._pivot_col is None:
            a.group_type = rel.Aggregate.GROUP_TYPE_GROUPBY
        else:
            a.group_type = rel.Aggregate.GROUP_TYPE_PIVOT
            a.pivot.col.CopyFrom(self._pivot_col._expr)
            a.pivot.values.extend(_proto.literal(v) for v in self._pivot_values)
        return self._df._derive(aggregate=a)

    def count(self) -> "DataFrame":
        """Rows per group, in a column named "count"."""
        from quiver.sql.functions import count

        return self._aggregate([count("*").alias("count")])

    def _numeric(self, fn: str, cols: tuple[str, ...]) -> "DataFrame":
        schema = self._df._arrow_schema()
        if not cols:
            cols = tuple(f.name for f in schema if _is_numeric(f.type))
        else:
            for c in cols:
                if not isinstance(c, str):
                    raise TypeError(f"[NOT_STR] {fn} takes column names, got {type(c).__name__}")
                idx = schema.get_field_index(c)
                if idx >= 0 and not _is_numeric(schema.field(idx).type):
                    raise TypeError(f"[UNSUPPORTED_DATA_TYPE] \"{c}\" is not a numeric column; {fn} needs numeric columns")
        return self._aggregate([Column._fn(fn, to_column(c)) for c in cols])

    def sum(self, *cols: str) -> "DataFrame":  # noqa: A003
        return self._numeric("sum", cols)

    def avg(self, *cols: str) -> "DataFrame":
        return self._numeric("avg", cols)

    mean = avg

    def min(self, *cols: str) -> "DataFrame":  # noqa: A003
        return self._numeric("min", cols)

    def max(self, *cols: str) -> "DataFrame":  # noqa: A003
        return self._numeric("max", cols)

    def pivot(self, pivot_col: str | Column, values: list | None = None) -> "GroupedData":
        """One output column per pivot value (computed from the data, sorted, when not given)."""
        if self._pivot_col is not None:
            raise ValueError("[REPEATED_CLAUSE] pivot can be called only once on a grouped DataFrame")
        if self._group_type != "groupby":
            raise ValueError(f"[UNSUPPORTED_OPERATION] pivot is supported after groupBy only, not after {self._group_type}")
        column = to_column(pivot_col)
        if values is None:
            distinct = self._df.select(column).distinct().limit(_PIVOT_MAX_VALUES + 1).toArrow()
            found = distinct.column(0).to_pylist()
            if len(found) > _PIVOT_MAX_VALUES:
                raise ValueError(f"pivot column has more than {_PIVOT_MAX_VALUES} distinct values; pass the values explicitly")
            # Spark sorts the values ascending with nulls first.
            values = sorted(found, key=lambda v: (v is not None, v if v is not None else 0))
        return GroupedData(self._df, self._grouping, column, list(values))

    def _grouping_columns(self) -> list[Column]:
        # applyInPandas and cogroup group by plain keys; PySpark allows them after groupBy only.
        if self._group_type != "groupby":
            raise ValueError(f"[UNSUPPORTED_OPERATION] applyInPandas and cogroup are supported after groupBy only, not after {self._group_type}")
        return list(self._grouping)


def _java_string_hash(text: str) -> int:
    h = 0
    for unit in text.encode("utf-16-le").hex(" ", 2).split():
        h = (31 * h + int(unit[2:4] + unit[0:2], 16)) & 0xFFFFFFFF
    return h


def _java_map_order(mapping: dict) -> list:
    """The order PySpark's agg(dict) produces its columns in: the dict goes to the JVM as a
    java.util.HashMap (16 buckets) and becomes a small Scala Map in that iteration order. Up to
    four entries keep it; larger maps keep the dict's order."""
    items = list(mapping.items())
    if len(items) > 4 or not all(isinstance(k, str) for k, _ in items):
        return items

    def bucket(key: str) -> int:
        h = _java_string_hash(key)
        return (h ^ (h >> 16)) & 15

    return sorted(items, key=lambda item: bucket(item[0]))


class DataFrameNaFunctions:
    """df.na: fill and drop missing values (null, and NaN in float columns)."""

    def __init__(self, df: "DataFrame"):
        self._df = df

    def fill(self, value: Any, subset: Any = None) -> "DataFrame":
        return fill_na(self._df, value, subset)

    def drop(self, how: str = "any", thresh: int | None = None, subset: Any = None) -> "DataFrame":
        return drop_na(self._df, how, thresh, subset)

    def replace(self, to_replace: Any, value: Any = None, subset: Any = None) -> "DataFrame":
        from quiver.sql.replace import replace

        return replace(self._df, to_replace, value, subset)


def _subset(subset: Any) -> list[str] | None:
    if subset is None:
        return None
    if isinstance(subset, str):
        return [subset]
    if isinstance(subset, (list, tuple)):
        return list(subset)
    raise TypeError(f"[NOT_LIST_OR_STR_OR_TUPLE] subset should be a list, tuple or str, got {type(subset).__name__}")


def _fits(value: Any, t: pa.DataType) -> bool:
    """Whether fill(value) applies to a column of type t, as in PySpark."""
    if isinstance(value, bool):
        return pa.types.is_boolean(t)
    if isinstance(value, (int, float)):
        return _is_numeric(t)
    if isinstance(value, str):
        return pa.types.is_string(t) or pa.types.is_large_string(t)
    return False


def fill_na(df: "DataFrame", value: Any, subset: Any = None) -> "DataFrame":
    from quiver.sql import functions as F

    if isinstance(value, dict):
        fills = dict(value)
    elif isinstance(value, (bool, int, float, str)):
        names = _subset(subset) or df.columns
        fills = {n: value for n in names}
    else:
        raise TypeError(f"[NOT_BOOL_OR_DICT_OR_FLOAT_OR_INT_OR_STR] value should be a bool, dict, float, int or str, got {type(value).__name__}")
    schema = df._arrow_schema()
    columns = []
    for field in schema:
        name = field.name
        v = fills.get(name)
        if v is None or not _fits(v, field.type):
            columns.append(df[name])
            continue
        current = df[name]
        filler = F.lit(v).cast(_spark_type_name(field.type))
        if pa.types.is_floating(field.type):
            current = F.nanvl(current, F.lit(None).cast(_spark_type_name(field.type)))
        columns.append(F.coalesce(current, filler).alias(name))
    return df.select(*columns)


def _spark_type_name(t: pa.DataType) -> str:
    from quiver.sql.types import from_arrow_type

    return from_arrow_type(t).simpleString()


def drop_na(df: "DataFrame", how: str = "any", thresh: int | None = None, subset: Any = None) -> "DataFrame":
    from quiver.sql import functions as F

    if how not in ("any", "all"):
        raise ValueError(f"[VALUE_NOT_ANY_OR_ALL] how should be 'any' or 'all', got {how!r}")
    names = _subset(subset) or df.columns
    if not names:
        return df
    schema = df._arrow_schema()
    present = []
    for n in names:
        idx = schema.get_field_index(n)
        if idx < 0:
            raise ValueError(f"column '{n}' not found. Available: {', '.join(schema.names)}")
        c = df[n]
        if pa.types.is_floating(schema.field(idx).type):
            present.append(c.isNotNull() & ~F.isnan(c))
        else:
            present.append(c.isNotNull())
    if thresh is None:
        thresh = len(names) if how == "any" else 1
    counted = None
    for p in present:
        term = F.when(p, F.lit(1)).otherwise(F.lit(0))
        counted = term if counted is None else counted + term
    return df.filter(counted >= F.lit(thresh))

