"""Column: an unresolved expression, as in pyspark.sql.Column."""

from __future__ import annotations

from typing import Any

from quiver.sql import _proto
from quiver.sql.types import DataType, to_arrow_type
from quiver.v1 import expressions_pb2 as ex


class Column:
    """An expression over a DataFrame's columns; resolved by the server when an action runs."""

    __slots__ = ("_expr",)

    def __init__(self, expr: ex.Expression):
        self._expr = expr

    # -- construction helpers ------------------------------------------------------------------

    @staticmethod
    def _fn(name: str, *args: Any, distinct: bool = False) -> "Column":
        e = ex.Expression()
        e.unresolved_function.function_name = name
        e.unresolved_function.is_distinct = distinct
        for a in args:
            e.unresolved_function.arguments.append(_to_expr(a))
        return Column(e)

    def _bin(self, op: str, other: Any) -> "Column":
        return Column._fn(op, self, other)

    def _rbin(self, op: str, other: Any) -> "Column":
        return Column._fn(op, other, self)

    # -- operators -----------------------------------------------------------------------------

    def __add__(self, other: Any) -> "Column": return self._bin("+", other)
    def __radd__(self, other: Any) -> "Column": return self._rbin("+", other)
    def __sub__(self, other: Any) -> "Column": return self._bin("-", other)
    def __rsub__(self, other: Any) -> "Column": return self._rbin("-", other)
    def __mul__(self, other: Any) -> "Column": return self._bin("*", other)
    def __rmul__(self, other: Any) -> "Column": return self._rbin("*", other)
    def __truediv__(self, other: Any) -> "Column": return self._bin("/", other)
    def __rtruediv__(self, other: Any) -> "Column": return self._rbin("/", other)
    def __mod__(self, other: Any) -> "Column": return self._bin("%", other)
    def __rmod__(self, other: Any) -> "Column": return self._rbin("%", other)
    def __pow__(self, other: Any) -> "Column": return Column._fn("power", self, other)
    def __rpow__(self, other: Any) -> "Column": return Column._fn("power", other, self)
    def __neg__(self) -> "Column": return Column._fn("negative", self)

    def __eq__(self, other: Any) -> "Column":  # type: ignore[override]
        return self._bin("==", other)

    def __ne__(self, other: Any) -> "Column":  # type: ignore[override]
        return self._bin("!=", other)

    def __lt__(self, other: Any) -> "Column": return self._bin("<", other)
    def __le__(self, other: Any) -> "Column": return self._bin("<=", other)
    def __gt__(self, other: Any) -> "Column": return self._bin(">", other)
    def __ge__(self, other: Any) -> "Column": return self._bin(">=", other)
    def __and__(self, other: Any) -> "Column": return self._bin("and", other)
    def __rand__(self, other: Any) -> "Column": return self._rbin("and", other)
    def __or__(self, other: Any) -> "Column": return self._bin("or", other)
    def __ror__(self, other: Any) -> "Column": return self._rbin("or", other)
    def __invert__(self) -> "Column": return Column._fn("not", self)

    def __bool__(self) -> bool:
        raise ValueError(
            "Cannot convert column into bool: please use '&' for 'and', '|' for 'or', "
            "'~' for 'not' when building DataFrame boolean expressions."
        )

    __hash__ = None  # type: ignore[assignment]

    def __iter__(self):
        raise TypeError("Column is not iterable")

    def __getitem__(self, key: Any) -> "Column":
        if isinstance(key, slice):
            raise TypeError("slicing a Column is not supported; use substr() or slice()")
        return self.getItem(key)

    def __getattr__(self, item: str) -> "Column":
        if item.startswith("_"):
            raise AttributeError(item)
        return self.getField(item)

    def eqNullSafe(self, other: Any) -> "Column": return self._bin("<=>", other)
    def isNull(self) -> "Column": return Column._fn("isnull", self)
    def isNotNull(self) -> "Column": return Column._fn("isnotnull", self)
    def isNaN(self) -> "Column": return Column._fn("isnan", self)

    def getItem(self, key: Any) -> "Column":
        e = ex.Expression()
        e.unresolved_extract_value.child.CopyFrom(self._expr)
        e.unresolved_extract_value.extraction.CopyFrom(_to_expr(key))
        return Column(e)

    def getField(self, name: str) -> "Column":
        return self.getItem(name)

    # -- naming and types ----------------------------------------------------------------------

    def alias(self, *alias: str, metadata: dict | None = None) -> "Column":
        e = ex.Expression()
        e.alias.expr.CopyFrom(self._expr)
        e.alias.name.extend(alias)
        if metadata:
            import json

            e.alias.metadata = json.dumps(metadata)
        return Column(e)

    name = alias

    def cast(self, dataType: DataType | str) -> "Column":
        e = ex.Expression()
        e.cast.expr.CopyFrom(self._expr)
        if isinstance(dataType, str):
            e.cast.type_str = dataType
        else:
            e.cast.type.CopyFrom(_proto.data_type(to_arrow_type(dataType)))
        return Column(e)

    astype = cast

    def try_cast(self, dataType: DataType | str) -> "Column":
        c = self.cast(dataType)
        c._expr.cast.eval_mode = ex.Expression.Cast.EVAL_MODE_TRY
        return c

    # -- sorting -------------------------------------------------------------------------------

    def _sort(self, descending: bool, nulls_first: bool | None) -> "Column":
        e = ex.Expression()
        so = e.sort_order
        so.child.CopyFrom(self._expr)
        so.direction = (ex.Expression.SortOrder.SORT_DIRECTION_DESCENDING if descending
                        else ex.Expression.SortOrder.SORT_DIRECTION_ASCENDING)
        if nulls_first is None:
            nulls_first = not descending
        so.null_ordering = (ex.Expression.SortOrder.SORT_NULLS_FIRST if nulls_first
                            else ex.Expression.SortOrder.SORT_NULLS_LAST)
        return Column(e)

    def asc(self) -> "Column": return self._sort(False, None)
    def asc_nulls_first(self) -> "Column": return self._sort(False, True)
    def asc_nulls_last(self) -> "Column": return self._sort(False, False)
    def desc(self) -> "Column": return self._sort(True, None)
    def desc_nulls_first(self) -> "Column": return self._sort(True, True)
    def desc_nulls_last(self) -> "Column": return self._sort(True, False)

    # -- predicates and strings ----------------------------------------------------------------

    def isin(self, *values: Any) -> "Column":
        if len(values) == 1 and isinstance(values[0], (list, tuple, set)):
            values = tuple(values[0])
        return Column._fn("in", self, *values)

    def between(self, lowerBound: Any, upperBound: Any) -> "Column":
        return (self >= lowerBound) & (self <= upperBound)

    def like(self, pattern: str) -> "Column": return Column._fn("like", self, pattern)
    def ilike(self, pattern: str) -> "Column": return Column._fn("ilike", self, pattern)
    def rlike(self, pattern: str) -> "Column": return Column._fn("rlike", self, pattern)
    def contains(self, other: Any) -> "Column": return Column._fn("contains", self, other)
    def startswith(self, other: Any) -> "Column": return Column._fn("startswith", self, other)
    def endswith(self, other: Any) -> "Column": return Column._fn("endswith", self, other)

    def substr(self, startPos: Any, length: Any) -> "Column":
        return Column._fn("substring", self, startPos, length)

    def bitwiseAND(self, other: Any) -> "Column": return Column._fn("&", self, other)
    def bitwiseOR(self, other: Any) -> "Column": return Column._fn("|", self, other)
    def bitwiseXOR(self, other: Any) -> "Column": return Column._fn("^", self, other)

    # -- conditionals and windows --------------------------------------------------------------

    def when(self, condition: "Column", value: Any) -> "Column":
        fn = self._expr.unresolved_function
        if self._expr.WhichOneof("expr_type") != "unresolved_function" or fn.function_name != "when":
            raise TypeError("when() can only be applied on a Column previously generated by when()")
        if len(fn.arguments) % 2 == 1:
            raise TypeError("when() cannot be applied once otherwise() is applied")
        out = ex.Expression()
        out.CopyFrom(self._expr)
        out.unresolved_function.arguments.append(_to_expr(condition))
        out.unresolved_function.arguments.append(_to_expr(value))
        return Column(out)

    def otherwise(self, value: Any) -> "Column":
        fn = self._expr.unresolved_function
        if self._expr.WhichOneof("expr_type") != "unresolved_function" or fn.function_name != "when":
            raise TypeError("otherwise() can only be applied on a Column previously generated by when()")
        if len(fn.arguments) % 2 == 1:
            raise TypeError("otherwise() can only be applied once on a Column previously generated by when()")
        out = ex.Expression()
        out.CopyFrom(self._expr)
        out.unresolved_function.arguments.append(_to_expr(value))
        return Column(out)

    def over(self, window: Any) -> "Column":
        return window._apply(self)

    def __repr__(self) -> str:
        return f"Column<'{_render(self._expr)}'>"


def _to_expr(value: Any) -> ex.Expression:
    if isinstance(value, Column):
        return value._expr
    e = ex.Expression()
    e.literal.CopyFrom(_proto.literal(value))
    return e


def _render(e: ex.Expression) -> str:
    kind = e.WhichOneof("expr_type")
    if kind == "unresolved_attribute":
        return e.unresolved_attribute.unparsed_identifier
    if kind == "literal":
        lit = e.literal
        which = lit.WhichOneof("literal_type")
        return "NULL" if which == "null" else str(getattr(lit, which))
    if kind == "unresolved_function":
        f = e.unresolved_function
        args = [_render(a) for a in f.arguments]
        if len(args) == 2 and not f.function_name.isalnum():
            return f"({args[0]} {f.function_name} {args[1]})"
        return f"{f.function_name}({', '.join(args)})"
    if kind == "alias":
        return f"{_render(e.alias.expr)} AS {', '.join(e.alias.name)}"
    if kind == "cast":
        return f"CAST({_render(e.cast.expr)} AS {e.cast.type_str or 'type'})"
    if kind == "expression_string":
        return e.expression_string.expression
    if kind == "unresolved_star":
        return (e.unresolved_star.unparsed_target or "") + "*" if not e.unresolved_star.unparsed_target else e.unresolved_star.unparsed_target
    return kind or "?"


def col_ref(name: str, plan_id: int | None = None) -> Column:
    e = ex.Expression()
    if name == "*":
        e.unresolved_star.SetInParent()
        if plan_id is not None:
            e.unresolved_star.plan_id = plan_id
        return Column(e)
    if name.endswith(".*"):
        e.unresolved_star.unparsed_target = name
        return Column(e)
    e.unresolved_attribute.unparsed_identifier = name
    if plan_id is not None:
        e.unresolved_attribute.plan_id = plan_id
    return Column(e)


def to_column(c: "Column | str") -> Column:
    if isinstance(c, Column):
        return c
    if isinstance(c, str):
        return col_ref(c)
    raise TypeError(f"expected a Column or a column name, got {type(c).__name__}: {c!r}")
