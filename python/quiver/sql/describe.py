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
    percentiles: dict[str, float] = {}
    for stat in statistics:
        if stat.endswith("%"):
            try:
                percentiles[stat] = float(stat[:-1]) / 100.0
            except ValueError:
                raise ValueError(f"Unable to parse {stat} as a percentile") from None
            if not 0.0 <= percentiles[stat] <= 1.0:
                raise ValueError(f"summary percentile {stat} must be between 0% and 100%")
        elif stat not in ("count", "mean", "stddev", "min", "max"):
            raise ValueError(f"unknown summary statistic {stat!r}; use count, mean, stddev, min, max or a percentile such as 75%")
    aggregates = []
    for n in names:
        t = schema.field(n).type
        c = df[n]
        quantiles = None
        if percentiles and _is_numeric(t):
            # Spark's summary takes percentile_approx with the default accuracy.
            quantiles = F.percentile_approx(c, list(percentiles.values()), 10000)
        for stat in statistics:
            if stat in percentiles:
                if quantiles is None:
                    aggregates.append(F.lit(None).cast("string"))
                    continue
                index = list(percentiles).index(stat)
                aggregates.append(F.element_at(quantiles, index + 1).cast("string"))
                continue
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
    # Spark's quantile summary keeps doubles, so a decimal column's percentiles print as the
    # double does (1.1, not 1.10).
    for i, n in enumerate(names):
        if pa.types.is_decimal(schema.field(n).type):
            for j, stat in enumerate(statistics):
                if stat in percentiles and values[i * len(statistics) + j] is not None:
                    values[i * len(statistics) + j] = repr(float(values[i * len(statistics) + j]))
    columns: dict[str, Any] = {"summary": pa.array(statistics, pa.string())}
    k = len(statistics)
    for i, n in enumerate(names):
        columns[n] = pa.array(values[i * k:(i + 1) * k], pa.string())
    return df.sparkSession.createDataFrame(pa.table(columns))
