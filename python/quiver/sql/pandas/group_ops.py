"""Grouped-map operations on GroupedData, as pyspark.sql.pandas.group_ops: applyInPandas,
applyInArrow-free cogroup().applyInPandas and the deprecated apply(pandas_udf).

GroupedData mixes in PandasGroupedOpsMixin; the mixin needs `_df` (the grouped DataFrame) and
`_grouping_columns()` (the grouping Columns)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from quiver.sql.column import Column, to_column
from quiver.sql.udf import PythonEvalType, UserDefinedFunction, _map_function
from quiver.v1 import relations_pb2 as rel

if TYPE_CHECKING:
    from quiver.sql.dataframe import DataFrame


def _grouping_expressions(grouped: Any) -> list:
    getter = getattr(grouped, "_grouping_columns", None)
    if getter is not None:
        columns = getter()
    else:
        columns = getattr(grouped, "_grouping", None) or getattr(grouped, "_cols", [])
    return [to_column(c)._expr if not isinstance(c, Column) else c._expr for c in columns]


class PandasGroupedOpsMixin:
    """applyInPandas and cogroup for GroupedData."""

    def applyInPandas(self, func: Callable, schema: Any) -> "DataFrame":
        """Calls func once per group with a pandas DataFrame of the group's rows (or with
        (key, DataFrame) when func takes two arguments); the DataFrames it returns, with the
        columns of schema, make the result."""
        df = self._df  # type: ignore[attr-defined]
        f = _map_function(func, schema, PythonEvalType.SQL_GROUPED_MAP_PANDAS_UDF, "applyInPandas")
        g = rel.GroupMap(input=df._rel, grouping_expressions=_grouping_expressions(self), func=f._proto())
        return df._derive(group_map=g)

    def apply(self, udf: UserDefinedFunction) -> "DataFrame":
        """The PySpark 2 form: groupBy().apply(pandas_udf(f, schema, PandasUDFType.GROUPED_MAP))."""
        if not isinstance(udf, UserDefinedFunction) or udf.evalType != PythonEvalType.SQL_GROUPED_MAP_PANDAS_UDF:
            raise TypeError("apply() takes a pandas_udf of type PandasUDFType.GROUPED_MAP; use applyInPandas(f, schema)")
        return self.applyInPandas(udf.func, udf._arrow_type)

    def cogroup(self, other: Any) -> "PandasCogroupedOps":
        """Pairs this grouping with another DataFrame's: cogroup(other.groupBy(...)).applyInPandas(f, schema)."""
        return PandasCogroupedOps(self, other)


class PandasCogroupedOps:
    """Two groupings whose groups are matched by key."""

    def __init__(self, left: Any, right: Any):
        self._left = left
        self._right = right

    def applyInPandas(self, func: Callable, schema: Any) -> "DataFrame":
        """Calls func once per key with the left and right groups as pandas DataFrames (an empty
        DataFrame for a side without the key), or with (key, left, right)."""
        ldf = self._left._df
        rdf = self._right._df
        f = _map_function(func, schema, PythonEvalType.SQL_COGROUPED_MAP_PANDAS_UDF, "cogroup().applyInPandas")
        g = rel.CoGroupMap(input=ldf._rel, input_grouping_expressions=_grouping_expressions(self._left),
                           other=rdf._rel, other_grouping_expressions=_grouping_expressions(self._right),
                           func=f._proto())
        return ldf._derive(co_group_map=g)
