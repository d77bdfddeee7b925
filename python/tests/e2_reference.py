"""Helpers for the join/sort/window/set-operation tests: run the same query on DuckDB and compare
rows with Quiver's (order-insensitive unless asked), treating NULL and NaN as distinct values."""

from __future__ import annotations

import math
from typing import Any

import duckdb
import pyarrow as pa


def duck(sql: str, **tables: Any) -> list[tuple]:
    con = duckdb.connect()
    for name, frame in tables.items():
        con.register(name, frame)
    return [tuple(r) for r in con.execute(sql).fetchall()]


def rows_of(df: Any) -> list[tuple]:
    table: pa.Table = df.toArrow()
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return list(zip(*columns)) if columns else [() for _ in range(table.num_rows)]


def _norm(v: Any) -> tuple:
    if v is None:
        return (0,)
    if isinstance(v, float) and math.isnan(v):
        return (1,)
    if isinstance(v, bool):
        return (2, int(v))
    if isinstance(v, (int, float)):
        return (2, float(v))
    return (3, str(v))


def _key(row: tuple) -> tuple:
    return tuple(_norm(v) for v in row)


def same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and math.isnan(a) or isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def assert_rows(got: list[tuple], want: list[tuple], ordered: bool = False) -> None:
    assert len(got) == len(want), f"{len(got)} rows, want {len(want)}\n got: {got[:20]}\nwant: {want[:20]}"
    if not ordered:
        got, want = sorted(got, key=_key), sorted(want, key=_key)
    for i, (g, w) in enumerate(zip(got, want)):
        assert len(g) == len(w) and all(same_value(x, y) for x, y in zip(g, w)), f"row {i}: got {g}, want {w}"
