"""Window specifications, as in pyspark.sql.window: Window.partitionBy(...).orderBy(...).rowsBetween(...)."""

from __future__ import annotations

import sys
from typing import Any

from quiver.sql.column import Column, _to_expr, to_column
from quiver.v1 import expressions_pb2 as ex

_JAVA_MIN_LONG = -(1 << 63)
_JAVA_MAX_LONG = (1 << 63) - 1
_PRECEDING_THRESHOLD = max(-sys.maxsize, _JAVA_MIN_LONG)
_FOLLOWING_THRESHOLD = min(sys.maxsize, _JAVA_MAX_LONG)


def _flatten(cols: tuple) -> list:
    if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
        return list(cols[0])
    return list(cols)


def _sort_expr(c: Any) -> ex.Expression:
    col = to_column(c)
    if col._expr.WhichOneof("expr_type") == "sort_order":
        return col._expr
    return col.asc()._expr


class WindowSpec:
    """A window: partitioning, ordering and frame. Immutable; every method returns a new spec."""

    def __init__(self, partition: list[ex.Expression] | None = None, order: list[ex.Expression] | None = None,
                 frame: tuple[str, int, int] | None = None):
        self._partition = partition or []
        self._order = order or []
        self._frame = frame

    def partitionBy(self, *cols: Any) -> "WindowSpec":
        return WindowSpec([to_column(c)._expr for c in _flatten(cols)], self._order, self._frame)

    def orderBy(self, *cols: Any) -> "WindowSpec":
        return WindowSpec(self._partition, [_sort_expr(c) for c in _flatten(cols)], self._frame)

    def rowsBetween(self, start: int, end: int) -> "WindowSpec":
        return WindowSpec(self._partition, self._order, ("rows", *_bounds(start, end)))

    def rangeBetween(self, start: int, end: int) -> "WindowSpec":
        return WindowSpec(self._partition, self._order, ("range", *_bounds(start, end)))

    def _apply(self, column: Column) -> Column:
        e = ex.Expression()
        w = e.window
        w.window_function.CopyFrom(column._expr)
        w.partition_spec.extend(self._partition)
        for o in self._order:
            w.order_spec.append(o.sort_order)
        if self._frame is not None:
            kind, start, end = self._frame
            frame = w.frame_spec
            frame.frame_type = (ex.Expression.Window.WindowFrame.FRAME_TYPE_ROW if kind == "rows"
                                else ex.Expression.Window.WindowFrame.FRAME_TYPE_RANGE)
            _set_bound(frame.lower, start)
            _set_bound(frame.upper, end)
        return Column(e)

    def __repr__(self) -> str:
        return f"WindowSpec(partition={len(self._partition)}, order={len(self._order)}, frame={self._frame})"


def _bounds(start: int, end: int) -> tuple[int, int]:
    if start <= _PRECEDING_THRESHOLD:
        start = Window.unboundedPreceding
    if end >= _FOLLOWING_THRESHOLD:
        end = Window.unboundedFollowing
    return int(start), int(end)


def _set_bound(bound: Any, value: int) -> None:
    if value == Window.unboundedPreceding or value == Window.unboundedFollowing:
        bound.unbounded = True
    elif value == 0:
        bound.current_row = True
    else:
        bound.value.CopyFrom(_to_expr(value))


class Window:
    """Entry points for window specs: Window.partitionBy("k").orderBy("t")."""

    unboundedPreceding: int = _JAVA_MIN_LONG
    unboundedFollowing: int = _JAVA_MAX_LONG
    currentRow: int = 0

    @staticmethod
    def partitionBy(*cols: Any) -> WindowSpec:
        return WindowSpec().partitionBy(*cols)

    @staticmethod
    def orderBy(*cols: Any) -> WindowSpec:
        return WindowSpec().orderBy(*cols)

    @staticmethod
    def rowsBetween(start: int, end: int) -> WindowSpec:
        return WindowSpec().rowsBetween(start, end)

    @staticmethod
    def rangeBetween(start: int, end: int) -> WindowSpec:
        return WindowSpec().rangeBetween(start, end)
