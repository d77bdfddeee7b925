"""DataFrame: a lazy plan bound to a session, as in pyspark.sql.DataFrame."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterator

import pyarrow as pa

from quiver import _pandas
from quiver.sql import _display, _proto
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
        print(self.schema.treeString(level))

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

    @property
    def write(self) -> "DataFrameWriter":
        from quiver.sql.readwriter import DataFrameWriter

        return DataFrameWriter(self)

    # -- actions -------------------------------------------------------------------------------

    def toArrow(self) -> pa.Table:
        return self._session._client.execute(self._plan())

    def toPandas(self) -> "pd.DataFrame":
        return _pandas.arrow_to_pandas(self.toArrow())

    def toLocalIterator(self, prefetchPartitions: bool = False) -> Iterator[Row]:
        time_zone: str | None = None
        for batch in self._session._client.stream(self._plan()):
            if time_zone is None and any(_display.has_zoned_timestamps(f.type) for f in batch.schema):
                time_zone = self._session_time_zone()
            yield from _rows(pa.Table.from_batches([batch]), time_zone)

    def collect(self) -> list[Row]:
        table = self.toArrow()
        return _rows(table, self._time_zone_for(table.schema))

    def _session_time_zone(self) -> str:
        return self._session.conf.get("spark.sql.session.timeZone") or "UTC"

    def _time_zone_for(self, schema: pa.Schema) -> str | None:
        """The session time zone, asked of the server only when a timestamp needs it."""
        if any(_display.has_zoned_timestamps(f.type) for f in schema):
            return self._session_time_zone()
        return None

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
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"[NOT_INT] show's n should be an int, got {type(n).__name__}")
        if not isinstance(truncate, (bool, int)):
            raise TypeError(f"[NOT_BOOL_OR_INT] show's truncate should be a bool or an int, got {type(truncate).__name__}")
        table = self.limit(max(n, 0) + 1).toArrow()
        return _display.show_string(table, max(n, 0), truncate, vertical, self._time_zone_for(table.schema))

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


def _rows(table: pa.Table, time_zone: str | None = None) -> list[Row]:
    return _display.table_rows(table, time_zone)


def _json(obj: Any) -> str:
    return json.dumps(obj)


def _lit_expr(value: Any) -> ex.Expression:
    return _to_expr(value)
