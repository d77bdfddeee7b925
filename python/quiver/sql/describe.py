"""df.describe() and df.summary(): basic statistics of numeric and string columns, as strings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from quiver.sql.dataframe import DataFrame


def _is_numeric(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def _is_string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def describe(df: "DataFrame", cols: tuple, statistics: list[str]) -> "DataFrame":
    from quiver.sql import functions as F

    if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
        cols = tuple(cols[0])
    schema = df._arrow_schema()
    if cols:
        names = list(cols)
        for n in names:
            if schema.get_field_index(n) < 0:
                raise ValueError(f"column '{n}' not found. Available: {', '.join(schema.names)}")
    else:
        names = [f.name for f in schema if _is_numeric(f.type) or _is_string(f.type)]
    for stat in statistics:
        if stat.endswith("%"):
            raise NotImplementedError(f"summary statistic {stat!r} (percentiles) is not supported by Quiver yet; "
                                      "ask for count, mean, stddev, min, max")
        if stat not in ("count", "mean", "stddev", "min", "max"):
            raise ValueError(f"unknown summary statistic {stat!r}; use count, mean, stddev, min, max")
    aggregates = []
    for n in names:
        t = schema.field(n).type
        c = df[n]
        for stat in statistics:
            if stat == "count":
                e = F.count(c)
            elif stat in ("mean", "stddev"):
                if not _is_numeric(t):
                    aggregates.append(F.lit(None).cast("string"))
                    continue
                e = F.avg(c) if stat == "mean" else F.stddev(c)
            else:
                e = F.min(c) if stat == "min" else F.max(c)
            aggregates.append(e.cast("string"))
    if aggregates:
        table = df.agg(*aggregates).toArrow()
        values = [table.column(i)[0].as_py() for i in range(table.num_columns)]
    else:
        values = []
    columns: dict[str, Any] = {"summary": pa.array(statistics, pa.string())}
    k = len(statistics)
    for i, n in enumerate(names):
        columns[n] = pa.array(values[i * k:(i + 1) * k], pa.string())
    return df.sparkSession.createDataFrame(pa.table(columns))
