"""Built-in functions, mirroring pyspark.sql.functions. Every function builds an unresolved call
that the server resolves by name, so the set here and the server's registry share names."""

from __future__ import annotations

from typing import Any

from quiver.sql.column import Column, _to_expr, col_ref, to_column
from quiver.v1 import expressions_pb2 as ex


def col(name: str) -> Column:
    """A column by name; "t.a" qualifies by alias, backticks quote names with dots."""
    return col_ref(name)


column = col


def lit(value: Any) -> Column:
    """A literal; a Column passes through unchanged."""
    if isinstance(value, Column):
        return value
    return Column(_to_expr(value))


def expr(text: str) -> Column:
    """A SQL expression, parsed by the server: expr("a + 1 AS b")."""
    e = ex.Expression()
    e.expression_string.expression = text
    return Column(e)


def _call(name: str, *cols: Any, distinct: bool = False) -> Column:
    return Column._fn(name, *[to_column(c) if isinstance(c, str) else c for c in cols], distinct=distinct)


def _define(name: str, spark_name: str | None = None) -> None:
    fn_name = spark_name or name

    def f(*cols: Any) -> Column:
        return _call(fn_name, *cols)

    f.__name__ = name
    f.__doc__ = f"{fn_name}(...) — see pyspark.sql.functions.{name}."
    globals()[name] = f


def isnull(c: Any) -> Column:
    return _call("isnull", c)


def isnotnull(c: Any) -> Column:
    return _call("isnotnull", c)


def when(condition: Column, value: Any) -> Column:
    return Column._fn("when", condition, value)


def asc(c: str) -> Column:
    return to_column(c).asc()


def desc(c: str) -> Column:
    return to_column(c).desc()


def asc_nulls_first(c: str) -> Column:
    return to_column(c).asc_nulls_first()


def asc_nulls_last(c: str) -> Column:
    return to_column(c).asc_nulls_last()


def desc_nulls_first(c: str) -> Column:
    return to_column(c).desc_nulls_first()


def desc_nulls_last(c: str) -> Column:
    return to_column(c).desc_nulls_last()


def negate(c: Any) -> Column:
    return _call("negative", c)


negative = negate


def not_(c: Any) -> Column:
    return _call("not", c)
