"""DataFrame: a lazy plan bound to a session, as in pyspark.sql.DataFrame."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterator

import pyarrow as pa

from quiver import _pandas
from quiver.sql import _proto
from quiver.sql.column import Column, _to_expr, col_ref, to_column
from quiver.sql.row import Row
from quiver.sql.types import StructType, from_arrow_schema
from quiver.v1 import commands_pb2
from quiver.v1 import expressions_pb2 as ex
from quiver.v1 import relations_pb2 as rel

if TYPE_CHECKING:
    import pandas as pd

    from quiver.sql.session import SparkSession


class DataFrame:
    """A distributed collection of rows with a schema; transformations are lazy."""

    def __init__(self, session: "SparkSession", relation: rel.Relation):
        self._session = session
        self._rel = relation
        self._schema_cache: pa.Schema | None = None

    @property
    def sparkSession(self) -> "SparkSession":
        return self._session

    @property
    def _plan_id(self) -> int:
        return self._rel.common.plan_id

    def _plan(self) -> rel.Plan:
        return rel.Plan(root=self._rel)

    def _derive(self, **kwargs: Any) -> "DataFrame":
        return DataFrame(self._session, _proto.relation(**kwargs))

    # -- schema --------------------------------------------------------------------------------

    def _arrow_schema(self) -> pa.Schema:
        if self._schema_cache is None:
            res = self._session._client.analyze(self._plan())
            self._schema_cache = pa.ipc.read_schema(pa.py_buffer(res.schema.arrow_schema))
        return self._schema_cache

    @property
    def schema(self) -> StructType:
        return from_arrow_schema(self._arrow_schema())

    @property
    def columns(self) -> list[str]:
        return self._arrow_schema().names

    @property
    def dtypes(self) -> list[tuple[str, str]]:
        return [(f.name, f.dataType.simpleString()) for f in self.schema.fields]

    def printSchema(self, level: int | None = None) -> None:
        print(self.schema.treeString(), end="")

    def explain(self, extended: bool | str | None = None, mode: str | None = None) -> None:
        print(self._explain_string(extended, mode))

    def _explain_string(self, extended: bool | str | None = None, mode: str | None = None) -> str:
        if isinstance(extended, str):
            mode, extended = extended, None
        if mode is None:
            mode = "extended" if extended else "simple"
        modes = {
            "simple": commands_pb2.ActionAnalyzePlan.EXPLAIN_MODE_SIMPLE,
            "extended": commands_pb2.ActionAnalyzePlan.EXPLAIN_MODE_EXTENDED,
            "codegen": commands_pb2.ActionAnalyzePlan.EXPLAIN_MODE_CODEGEN,
            "cost": commands_pb2.ActionAnalyzePlan.EXPLAIN_MODE_COST,
            "formatted": commands_pb2.ActionAnalyzePlan.EXPLAIN_MODE_FORMATTED,
            "analyze": commands_pb2.ActionAnalyzePlan.EXPLAIN_MODE_ANALYZE,
        }
        if mode not in modes:
            raise ValueError(f"unknown explain mode {mode!r}; use one of {', '.join(modes)}")
        return self._session._client.analyze(self._plan(), modes[mode]).explain

    # -- column access -------------------------------------------------------------------------

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, str):
            return col_ref(item, self._plan_id)
        if isinstance(item, Column):
            return self.filter(item)
        if isinstance(item, (list, tuple)):
            return self.select(*item)
        if isinstance(item, int):
            return col_ref(self.columns[item], self._plan_id)
        raise TypeError(f"unexpected item type {type(item).__name__}")

    def __getattr__(self, name: str) -> Column:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self.columns:
            raise AttributeError(f"'DataFrame' object has no attribute '{name}'")
        return col_ref(name, self._plan_id)

    def colRegex(self, colName: str) -> Column:
        raise NotImplementedError("DataFrame.colRegex is not supported yet")

    # -- transformations -----------------------------------------------------------------------

    def select(self, *cols: Any) -> "DataFrame":
        if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
            cols = tuple(cols[0])
        p = rel.Project(input=self._rel, expressions=[to_column(c)._expr for c in cols])
        return self._derive(project=p)

    def selectExpr(self, *exprs: str) -> "DataFrame":
        if len(exprs) == 1 and isinstance(exprs[0], (list, tuple)):
            exprs = tuple(exprs[0])
        from quiver.sql.functions import expr

        return self.select(*[expr(e) for e in exprs])

    def filter(self, condition: Column | str) -> "DataFrame":
        if isinstance(condition, str):
            from quiver.sql.functions import expr

            condition = expr(condition)
        return self._derive(filter=rel.Filter(input=self._rel, condition=to_column(condition)._expr))

    where = filter

    def withColumn(self, colName: str, col: Column) -> "DataFrame":
        if not isinstance(col, Column):
            raise TypeError(f"withColumn needs a Column, got {type(col).__name__}; wrap literals with F.lit()")
        return self.withColumns({colName: col})

    def withColumns(self, *colsMap: dict[str, Column]) -> "DataFrame":
        if len(colsMap) != 1 or not isinstance(colsMap[0], dict):
            raise TypeError("withColumns takes one dict of column name -> Column")
        aliases = []
        for name, c in colsMap[0].items():
            a = ex.Expression.Alias(expr=to_column(c)._expr)
            a.name.append(name)
            aliases.append(a)
        return self._derive(with_columns=rel.WithColumns(input=self._rel, aliases=aliases))

    def withColumnRenamed(self, existing: str, new: str) -> "DataFrame":
        return self.withColumnsRenamed({existing: new})

    def withColumnsRenamed(self, colsMap: dict[str, str]) -> "DataFrame":
        renames = [rel.WithColumnsRenamed.Rename(col_name=k, new_col_name=v) for k, v in colsMap.items()]
        return self._derive(with_columns_renamed=rel.WithColumnsRenamed(input=self._rel, renames=renames))

    def drop(self, *cols: Any) -> "DataFrame":
        d = rel.Drop(input=self._rel)
        for c in cols:
            if isinstance(c, str):
                d.column_names.append(c)
            elif isinstance(c, Column):
                d.columns.append(c._expr)
            else:
                raise TypeError(f"drop takes column names or Columns, got {type(c).__name__}")
        return self._derive(drop=d)

    def limit(self, num: int) -> "DataFrame":
        return self._derive(limit=rel.Limit(input=self._rel, limit=num))

    def offset(self, num: int) -> "DataFrame":
        return self._derive(offset=rel.Offset(input=self._rel, offset=num))

    def alias(self, alias: str) -> "DataFrame":
        return self._derive(subquery_alias=rel.SubqueryAlias(input=self._rel, alias=alias))

    def toDF(self, *cols: str) -> "DataFrame":
        return self._derive(to_df=rel.ToDF(input=self._rel, column_names=list(cols)))

    # -- aggregation: groupBy, agg, distinct, dropDuplicates, describe, na ---------------------

    # -- joins, sorting, set operations, repartitioning, sampling, windows ---------------------

    # -- caching: cache, persist, unpersist, checkpoint -----------------------------------------

    # -- Python functions: mapInPandas, mapInArrow -----------------------------------------------

    # -- writing: df.write ----------------------------------------------------------------------

    # -- actions -------------------------------------------------------------------------------

    def toArrow(self) -> pa.Table:
        return self._session._client.execute(self._plan())

    def toPandas(self) -> "pd.DataFrame":
        return _pandas.arrow_to_pandas(self.toArrow())

    def toLocalIterator(self, prefetchPartitions: bool = False) -> Iterator[Row]:
        for batch in self._session._client.stream(self._plan()):
            yield from _rows(pa.Table.from_batches([batch]))

    def collect(self) -> list[Row]:
        return _rows(self.toArrow())

    def take(self, num: int) -> list[Row]:
        return self.limit(num).collect()

    def head(self, n: int | None = None) -> Any:
        if n is None:
            rows = self.take(1)
            return rows[0] if rows else None
        return self.take(n)

    def first(self) -> Row | None:
        return self.head()

    def tail(self, num: int) -> list[Row]:
        rows = self.collect()
        return rows[-num:] if num else []

    def isEmpty(self) -> bool:
        return len(self.take(1)) == 0

    def count(self) -> int:
        # A projection of no columns streams row counts only: no column data crosses the wire.
        plan = rel.Plan(root=_proto.relation(project=rel.Project(input=self._rel)))
        return sum(b.num_rows for b in self._session._client.stream(plan))

    def show(self, n: int = 20, truncate: bool | int = True, vertical: bool = False) -> None:
        print(self._show_string(n, truncate, vertical))

    def _show_string(self, n: int = 20, truncate: bool | int = True, vertical: bool = False) -> str:
        table = self.limit(n + 1).toArrow()
        return _format_show(table, n, truncate, vertical)

    # -- views ---------------------------------------------------------------------------------

    def _create_view(self, name: str, replace: bool, is_global: bool) -> None:
        req = commands_pb2.ActionCreateView(name=name, plan=self._plan(), replace=replace, is_global=is_global)
        self._session._client.action("quiver.create_view", req)

    def createTempView(self, name: str) -> None:
        self._create_view(name, False, False)

    def createOrReplaceTempView(self, name: str) -> None:
        self._create_view(name, True, False)

    def createGlobalTempView(self, name: str) -> None:
        self._create_view(name, False, True)

    def createOrReplaceGlobalTempView(self, name: str) -> None:
        self._create_view(name, True, True)

    def __repr__(self) -> str:
        try:
            return "DataFrame[" + ", ".join(f"{n}: {t}" for n, t in self.dtypes) + "]"
        except Exception:  # repr must not fail on a plan the server rejects
            return "DataFrame[<unresolved>]"


def _rows(table: pa.Table) -> list[Row]:
    names = table.column_names
    columns = [_column_values(table.column(i)) for i in range(table.num_columns)]
    if not columns:
        return [Row._from_fields([], []) for _ in range(table.num_rows)]
    return [Row._from_fields(names, list(values)) for values in zip(*columns)]


def _column_values(arr: pa.ChunkedArray) -> list:
    t = arr.type
    values = arr.to_pylist()
    return [_to_python(v, t) for v in values] if _needs_conversion(t) else values


def _needs_conversion(t: pa.DataType) -> bool:
    return pa.types.is_struct(t) or pa.types.is_map(t) or pa.types.is_list(t) or pa.types.is_large_list(t)


def _to_python(v: Any, t: pa.DataType) -> Any:
    if v is None:
        return None
    if pa.types.is_struct(t):
        return Row._from_fields([f.name for f in t], [_to_python(v[f.name], f.type) for f in t])
    if pa.types.is_map(t):
        return {k: _to_python(x, t.item_type) for k, x in v}
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return [_to_python(x, t.value_type) for x in v]
    return v


def _format_value(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v != v:
            return "NaN"
        if v in (float("inf"), float("-inf")):
            return "Infinity" if v > 0 else "-Infinity"
        return repr(v) if abs(v) < 1e7 and (abs(v) >= 1e-3 or v == 0) else _spark_sci(v)
    if isinstance(v, (bytes, bytearray)):
        return "[" + " ".join(f"{b:02X}" for b in v) + "]"
    if isinstance(v, list):
        return "[" + ", ".join(_format_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_format_value(k)} -> {_format_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, Row):
        return "{" + ", ".join(_format_value(x) for x in v) + "}"
    return str(v)


def _spark_sci(v: float) -> str:
    mantissa, exp = f"{v:E}".split("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}E{int(exp)}"


def _format_show(table: pa.Table, n: int, truncate: bool | int, vertical: bool) -> str:
    names = table.column_names
    rows = _rows(table)
    has_more = len(rows) > n
    rows = rows[:n]
    width = 20 if truncate is True else (int(truncate) if truncate else 0)

    def cell(v: Any) -> str:
        s = _format_value(v)
        if width and len(s) > width:
            s = s[: width - 3] + "..." if width >= 4 else s[:width]
        return s

    cells = [[cell(v) for v in r] for r in rows]
    if vertical:
        out = []
        name_w = max((len(x) for x in names), default=0)
        for i, r in enumerate(cells):
            out.append(f"-RECORD {i}" + "-" * 10)
            for name, c in zip(names, r):
                out.append(f" {name.ljust(name_w)} | {c}")
        if not cells:
            out.append("(0 rows)")
        return "\n".join(out) + "\n"
    widths = [max(3, len(name), *(len(r[i]) for r in cells)) if cells else max(3, len(name)) for i, name in enumerate(names)]
    sep = "+" + "+".join("-" * w for w in widths) + "+"

    def line(values: list[str]) -> str:
        if width:
            return "|" + "|".join(v.rjust(w) for v, w in zip(values, widths)) + "|"
        return "|" + "|".join(v.ljust(w) for v, w in zip(values, widths)) + "|"

    out = [sep, line(names), sep]
    out += [line(r) for r in cells]
    out.append(sep)
    text = "\n".join(out) + "\n"
    if has_more:
        text += f"only showing top {n} row{'s' if n != 1 else ''}\n"
    return text


def _json(obj: Any) -> str:
    return json.dumps(obj)


def _lit_expr(value: Any) -> ex.Expression:
    return _to_expr(value)
