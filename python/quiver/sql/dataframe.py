"""DataFrame: a lazy plan bound to a session, as in pyspark.sql.DataFrame."""

from __future__ import annotations

import json
import random
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
        plan = rel.Plan(root=self._rel)
        released = getattr(self._session, "_released_cached_plans", None)
        if released:
            _restore_released_caches(plan.root, released)
        return plan

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

    def groupBy(self, *cols: Any) -> "GroupedData":
        """Groups rows by columns (names or Columns) for aggregation."""
        from quiver.sql.group import GroupedData, _as_columns

        return GroupedData(self, _as_columns(cols))

    groupby = groupBy

    def rollup(self, *cols: Any) -> "GroupedData":
        """Groups by the rollup of cols: (c1..cn), (c1..cn-1), ..., () with the others null."""
        from quiver.sql.group import GroupedData, _as_columns

        return GroupedData(self, _as_columns(cols), group_type="rollup")

    def cube(self, *cols: Any) -> "GroupedData":
        """Groups by every combination of cols, with the columns outside it null."""
        from quiver.sql.group import GroupedData, _as_columns

        return GroupedData(self, _as_columns(cols), group_type="cube")

    def groupingSets(self, groupingSets: Any, *cols: Any) -> "GroupedData":
        """Groups by each of the grouping sets; cols are the grouping columns shown in the output."""
        from quiver.sql.group import GroupedData, _as_columns

        if not isinstance(groupingSets, (list, tuple)):
            raise TypeError(f"[NOT_LIST_OR_TUPLE] groupingSets should be a list or tuple of column lists, got {type(groupingSets).__name__}")
        sets = []
        for grouping_set in groupingSets:
            if not isinstance(grouping_set, (list, tuple)):
                raise TypeError(f"[NOT_LIST_OR_TUPLE] each grouping set should be a list or tuple of columns, got {type(grouping_set).__name__}")
            sets.append(_as_columns(tuple(grouping_set)) if grouping_set else [])
        return GroupedData(self, _as_columns(cols), group_type="grouping_sets", grouping_sets=sets)

    def agg(self, *exprs: Any) -> "DataFrame":
        """Aggregates the whole DataFrame: df.agg(F.max("x")) == df.groupBy().agg(F.max("x"))."""
        return self.groupBy().agg(*exprs)

    def distinct(self) -> "DataFrame":
        return self._derive(deduplicate=rel.Deduplicate(input=self._rel, all_columns_as_keys=True))

    def dropDuplicates(self, subset: list[str] | None = None) -> "DataFrame":
        """Keeps the first row of each distinct combination of subset (all columns by default)."""
        if subset is None:
            return self.distinct()
        if isinstance(subset, str):
            raise TypeError("[NOT_LIST_OR_TUPLE] dropDuplicates takes a list of column names, got a str")
        return self._derive(deduplicate=rel.Deduplicate(input=self._rel, column_names=list(subset)))

    drop_duplicates = dropDuplicates

    def describe(self, *cols: Any) -> "DataFrame":
        """count, mean, stddev, min and max of numeric and string columns, as strings."""
        from quiver.sql.describe import describe

        return describe(self, cols, ["count", "mean", "stddev", "min", "max"])

    def summary(self, *statistics: str) -> "DataFrame":
        from quiver.sql.describe import describe

        return describe(self, (), list(statistics) or ["count", "mean", "stddev", "min", "25%", "50%", "75%", "max"])

    @property
    def na(self) -> "DataFrameNaFunctions":
        from quiver.sql.group import DataFrameNaFunctions

        return DataFrameNaFunctions(self)

    def replace(self, to_replace: Any, value: Any = None, subset: Any = None) -> "DataFrame":
        """Replace values: replace(1, 10), replace([1, 2], [10, 20], "col"), replace({"a": "b"})."""
        from quiver.sql.replace import replace

        return replace(self, to_replace, value, subset)

    def fillna(self, value: Any, subset: Any = None) -> "DataFrame":
        from quiver.sql.group import fill_na

        return fill_na(self, value, subset)

    def dropna(self, how: str = "any", thresh: int | None = None, subset: Any = None) -> "DataFrame":
        from quiver.sql.group import drop_na

        return drop_na(self, how, thresh, subset)

    # -- joins, sorting, set operations, repartitioning, sampling, windows ---------------------

    def join(self, other: "DataFrame", on: Any = None, how: str | None = None) -> "DataFrame":
        """Joins with other on column names (merged into one column each, as PySpark does), a
        Column condition, or a list of either; how is any PySpark join type name."""
        if not isinstance(other, DataFrame):
            raise TypeError(f"join needs a DataFrame, got {type(other).__name__}")
        j = rel.Join(left=self._rel, right=other._rel, join_type=_join_type(how))
        if on is not None:
            items = list(on) if isinstance(on, (list, tuple)) else [on]
            if not items:
                pass
            elif all(isinstance(x, str) for x in items):
                j.using_columns.extend(items)
            elif all(isinstance(x, Column) for x in items):
                cond = items[0]
                for x in items[1:]:
                    cond = cond & x
                j.join_condition.CopyFrom(cond._expr)
            else:
                raise TypeError("join 'on' takes a column name, a list of names, a Column or a list of Columns, not a mix")
        elif how is None:
            j.join_type = rel.Join.JOIN_TYPE_INNER
        return self._derive(join=j)

    def crossJoin(self, other: "DataFrame") -> "DataFrame":
        return self._derive(join=rel.Join(left=self._rel, right=other._rel, join_type=rel.Join.JOIN_TYPE_CROSS))

    def hint(self, name: str, *parameters: Any) -> "DataFrame":
        h = rel.Hint(input=self._rel, name=name)
        for p in parameters:
            h.parameters.append(_to_expr(p))
        return self._derive(hint=h)

    def unpivot(self, ids: Any, values: Any, variableColumnName: str, valueColumnName: str) -> "DataFrame":
        """Turns value columns into rows, as PySpark's unpivot: the ids, then variableColumnName
        (each value column's name) and valueColumnName (its value, cast to the values' common
        type). values=None unpivots every column that is not an id."""
        ids = list(ids) if isinstance(ids, (list, tuple)) else [ids]
        u = rel.Unpivot(input=self._rel, ids=[to_column(c)._expr for c in ids],
                        variable_column_name=variableColumnName, value_column_name=valueColumnName)
        if values is not None:
            values = list(values) if isinstance(values, (list, tuple)) else [values]
            if not values:
                from quiver.errors import AnalysisException

                raise AnalysisException("[UNPIVOT_REQUIRES_VALUE_COLUMNS] At least one value column needs to be "
                                        "specified for unpivot; pass values=None to unpivot every non-id column")
            u.values.extend(to_column(c)._expr for c in values)
        return self._derive(unpivot=u)

    melt = unpivot

    def _sort_orders(self, cols: tuple, kwargs: dict) -> list:
        if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
            cols = tuple(cols[0])
        if not cols:
            raise ValueError("sort needs at least one column")
        ascending = kwargs.pop("ascending", True)
        if kwargs:
            raise TypeError(f"unexpected keyword arguments: {', '.join(kwargs)}")
        if isinstance(ascending, (list, tuple)):
            if len(ascending) != len(cols):
                raise ValueError(f"ascending has {len(ascending)} entries for {len(cols)} columns")
            flags = [bool(a) for a in ascending]
        else:
            flags = [bool(ascending)] * len(cols)
        orders = []
        names = None
        for c, asc in zip(cols, flags):
            if isinstance(c, int) and not isinstance(c, bool):
                # PySpark 4 sorts by 1-based column ordinals; a negative ordinal sorts descending.
                names = names or self.columns
                if c == 0 or abs(c) > len(names):
                    raise IndexError(f"column ordinal must be in 1..{len(names)} or its negative, got {c}")
                col = col_ref(names[abs(c) - 1], self._plan_id)
                orders.append(col.asc()._expr if (c > 0) == asc else col.desc()._expr)
                continue
            col = to_column(c)
            if col._expr.WhichOneof("expr_type") == "sort_order":
                orders.append(col._expr.sort_order)
                continue
            orders.append((col.asc() if asc else col.desc())._expr)
        return [o.sort_order if isinstance(o, ex.Expression) else o for o in orders]

    def orderBy(self, *cols: Any, **kwargs: Any) -> "DataFrame":
        return self._derive(sort=rel.Sort(input=self._rel, order=self._sort_orders(cols, kwargs), is_global=True))

    sort = orderBy

    def sortWithinPartitions(self, *cols: Any, **kwargs: Any) -> "DataFrame":
        return self._derive(sort=rel.Sort(input=self._rel, order=self._sort_orders(cols, kwargs), is_global=False))

    def _set_op(self, other: "DataFrame", kind: int, is_all: bool, by_name: bool = False,
                allow_missing: bool = False) -> "DataFrame":
        if not isinstance(other, DataFrame):
            raise TypeError(f"expected a DataFrame, got {type(other).__name__}")
        op = rel.SetOperation(left_input=self._rel, right_input=other._rel, set_op_type=kind, is_all=is_all)
        if by_name:
            op.by_name = True
            op.allow_missing_columns = allow_missing
        return self._derive(set_op=op)

    def union(self, other: "DataFrame") -> "DataFrame":
        return self._set_op(other, rel.SetOperation.SET_OP_TYPE_UNION, True)

    unionAll = union

    def unionByName(self, other: "DataFrame", allowMissingColumns: bool = False) -> "DataFrame":
        return self._set_op(other, rel.SetOperation.SET_OP_TYPE_UNION, True, True, allowMissingColumns)

    def intersect(self, other: "DataFrame") -> "DataFrame":
        return self._set_op(other, rel.SetOperation.SET_OP_TYPE_INTERSECT, False)

    def intersectAll(self, other: "DataFrame") -> "DataFrame":
        return self._set_op(other, rel.SetOperation.SET_OP_TYPE_INTERSECT, True)

    def subtract(self, other: "DataFrame") -> "DataFrame":
        return self._set_op(other, rel.SetOperation.SET_OP_TYPE_EXCEPT, False)

    def exceptAll(self, other: "DataFrame") -> "DataFrame":
        return self._set_op(other, rel.SetOperation.SET_OP_TYPE_EXCEPT, True)

    def repartition(self, numPartitions: Any = None, *cols: Any) -> "DataFrame":
        if isinstance(numPartitions, (str, Column)):
            cols, numPartitions = (numPartitions, *cols), None
        if numPartitions is not None and (not isinstance(numPartitions, int) or isinstance(numPartitions, bool)):
            raise TypeError(f"numPartitions must be an int, got {type(numPartitions).__name__}")
        if not cols:
            if numPartitions is None:
                raise TypeError("repartition needs numPartitions or columns")
            return self._derive(repartition=rel.Repartition(input=self._rel, num_partitions=numPartitions, shuffle=True))
        r = rel.RepartitionByExpression(input=self._rel, partition_exprs=[to_column(c)._expr for c in _flat(cols)])
        if numPartitions is not None:
            r.num_partitions = numPartitions
        return self._derive(repartition_by_expression=r)

    def repartitionByRange(self, numPartitions: Any = None, *cols: Any) -> "DataFrame":
        if isinstance(numPartitions, (str, Column)):
            cols, numPartitions = (numPartitions, *cols), None
        if not cols:
            raise ValueError("repartitionByRange needs at least one column")
        orders = []
        for c in _flat(cols):
            col = to_column(c)
            orders.append(col._expr if col._expr.WhichOneof("expr_type") == "sort_order" else col.asc()._expr)
        r = rel.RepartitionByExpression(input=self._rel, partition_exprs=orders)
        if numPartitions is not None:
            r.num_partitions = numPartitions
        return self._derive(repartition_by_expression=r)

    def coalesce(self, numPartitions: int) -> "DataFrame":
        return self._derive(repartition=rel.Repartition(input=self._rel, num_partitions=numPartitions, shuffle=False))

    def sample(self, withReplacement: Any = None, fraction: Any = None, seed: Any = None) -> "DataFrame":
        """sample(fraction), sample(fraction, seed) or sample(withReplacement, fraction, seed)."""
        if isinstance(withReplacement, (int, float)) and not isinstance(withReplacement, bool):
            withReplacement, fraction, seed = None, withReplacement, fraction
        if fraction is None or isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
            raise TypeError(f"sample needs a numeric fraction, got {fraction!r}")
        if seed is not None and not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        if seed is None:
            seed = random.randint(0, 2**63 - 1)
        s = rel.Sample(input=self._rel, lower_bound=0.0, upper_bound=float(fraction),
                       with_replacement=bool(withReplacement), seed=seed)
        return self._derive(sample=s)

    def randomSplit(self, weights: list[float], seed: int | None = None) -> list["DataFrame"]:
        for w in weights:
            if w < 0:
                raise ValueError(f"weights must be positive, got {weights}")
        total = float(sum(weights))
        if total <= 0:
            raise ValueError("the sum of weights must be positive")
        if seed is None:
            seed = random.randint(0, 2**63 - 1)
        # Each split keeps the rows whose draw falls in its slice of [0, 1): disjoint, and together
        # every row, because all splits draw the same sequence (same seed, same input order).
        ordered = self.sortWithinPartitions(*self.columns) if self.columns else self
        bounds = [0.0]
        for w in weights:
            bounds.append(bounds[-1] + w / total)
        bounds[-1] = 1.0
        return [ordered._derive(sample=rel.Sample(input=ordered._rel, lower_bound=lo, upper_bound=hi,
                                                  with_replacement=False, seed=seed))
                for lo, hi in zip(bounds, bounds[1:])]

    # -- caching: cache, persist, unpersist, checkpoint -----------------------------------------

    def persist(self, storageLevel: Any = None) -> "DataFrame":
        """Materializes the DataFrame in the server's block store; later actions read it there."""
        from quiver.storagelevel import StorageLevel

        level = storageLevel or StorageLevel.MEMORY_AND_DISK_DESER
        if getattr(self, "_cached_id", None) is None:
            self._uncached_rel = self._rel
            self._cached_id = self._materialize(level._name())
            cached = _proto.relation(cached_dataframe=rel.CachedDataFrame(id=self._cached_id))
            cached.common.plan_id = self._rel.common.plan_id
            self._rel = cached
        self._storage_level = level
        return self

    def cache(self) -> "DataFrame":
        return self.persist()

    def _materialize(self, level: str) -> str:
        body = commands_pb2.ActionPersist(plan=self._plan(), storage_level=level)
        results = self._session._client.action("quiver.persist", body, commands_pb2.CreateDataFrameResult)
        return results[0].dataframe_id

    def unpersist(self, blocking: bool = False) -> "DataFrame":
        cached = getattr(self, "_cached_id", None)
        if cached is not None:
            self._session._client.action("quiver.release", commands_pb2.ActionReleaseDataFrame(dataframe_id=cached))
            # DataFrames derived while it was cached read the released copy; like Spark's, they
            # compute it from its plan again (_plan swaps the plan back in).
            if not hasattr(self._session, "_released_cached_plans"):
                self._session._released_cached_plans = {}
            self._session._released_cached_plans[cached] = self._uncached_rel
            self._rel = self._uncached_rel
            self._cached_id = None
        self._storage_level = None
        return self

    @property
    def is_cached(self) -> bool:
        return getattr(self, "_cached_id", None) is not None

    @property
    def storageLevel(self) -> Any:
        from quiver.storagelevel import StorageLevel

        return getattr(self, "_storage_level", None) or StorageLevel.NONE

    def checkpoint(self, eager: bool = True) -> "DataFrame":
        """A new DataFrame reading a materialized copy of this one (its plan is cut here)."""
        cached_id = self._materialize("MEMORY_AND_DISK")
        return self._derive(cached_dataframe=rel.CachedDataFrame(id=cached_id))

    def localCheckpoint(self, eager: bool = True, storageLevel: Any = None) -> "DataFrame":
        return self.checkpoint(eager)

    # -- Python functions: mapInPandas, mapInArrow -----------------------------------------------

    def _map_in_python(self, func: Any, schema: Any, eval_type: int, what: str, barrier: bool) -> "DataFrame":
        from quiver.sql.udf import _map_function

        f = _map_function(func, schema, eval_type, what)
        m = rel.MapPartitions(input=self._rel, func=f._proto(), is_barrier=barrier)
        return self._derive(map_partitions=m)

    def mapInPandas(self, func: Any, schema: Any, barrier: bool = False, profile: Any = None) -> "DataFrame":
        """Maps an iterator of pandas DataFrames (one per Arrow batch) to DataFrames of schema."""
        from quiver.sql.udf import PythonEvalType

        return self._map_in_python(func, schema, PythonEvalType.SQL_MAP_PANDAS_ITER_UDF, "mapInPandas", barrier)

    def mapInArrow(self, func: Any, schema: Any, barrier: bool = False, profile: Any = None) -> "DataFrame":
        """Maps an iterator of pyarrow RecordBatches to RecordBatches of schema."""
        from quiver.sql.udf import PythonEvalType

        return self._map_in_python(func, schema, PythonEvalType.SQL_MAP_ARROW_ITER_UDF, "mapInArrow", barrier)


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
        return _rows(self._derive(tail=rel.Tail(input=self._rel, limit=num)).toArrow())

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


_JOIN_TYPES = {
    "inner": rel.Join.JOIN_TYPE_INNER, "cross": rel.Join.JOIN_TYPE_CROSS,
    "outer": rel.Join.JOIN_TYPE_FULL_OUTER, "full": rel.Join.JOIN_TYPE_FULL_OUTER,
    "fullouter": rel.Join.JOIN_TYPE_FULL_OUTER, "full_outer": rel.Join.JOIN_TYPE_FULL_OUTER,
    "left": rel.Join.JOIN_TYPE_LEFT_OUTER, "leftouter": rel.Join.JOIN_TYPE_LEFT_OUTER,
    "left_outer": rel.Join.JOIN_TYPE_LEFT_OUTER, "right": rel.Join.JOIN_TYPE_RIGHT_OUTER,
    "rightouter": rel.Join.JOIN_TYPE_RIGHT_OUTER, "right_outer": rel.Join.JOIN_TYPE_RIGHT_OUTER,
    "semi": rel.Join.JOIN_TYPE_LEFT_SEMI, "leftsemi": rel.Join.JOIN_TYPE_LEFT_SEMI,
    "left_semi": rel.Join.JOIN_TYPE_LEFT_SEMI, "anti": rel.Join.JOIN_TYPE_LEFT_ANTI,
    "leftanti": rel.Join.JOIN_TYPE_LEFT_ANTI, "left_anti": rel.Join.JOIN_TYPE_LEFT_ANTI,
}


def _join_type(how: str | None) -> int:
    if how is None:
        return rel.Join.JOIN_TYPE_INNER
    key = how.lower().replace(" ", "")
    if key not in _JOIN_TYPES:
        raise ValueError(f"unsupported join type {how!r}; supported: {', '.join(sorted(_JOIN_TYPES))}")
    return _JOIN_TYPES[key]


def _flat(cols: tuple) -> list:
    if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
        return list(cols[0])
    return list(cols)


def _rows(table: pa.Table, time_zone: str | None = None) -> list[Row]:
    return _display.table_rows(table, time_zone)


def _json(obj: Any) -> str:
    return json.dumps(obj)


def _lit_expr(value: Any) -> ex.Expression:
    return _to_expr(value)


def _restore_released_caches(message: Any, released: dict) -> None:
    """Replaces, in place, every relation reading a released cached DataFrame with its plan."""
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        children = [value] if hasattr(value, "ListFields") else list(value.values() if hasattr(value, "values") else value)
        for child in children:
            if not hasattr(child, "ListFields"):
                continue
            if child.DESCRIPTOR.full_name == rel.Relation.DESCRIPTOR.full_name and child.HasField("cached_dataframe") \
                    and child.cached_dataframe.id in released:
                plan_id = child.common.plan_id
                child.CopyFrom(released[child.cached_dataframe.id])
                child.common.plan_id = plan_id
            _restore_released_caches(child, released)
