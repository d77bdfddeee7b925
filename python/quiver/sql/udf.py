"""Python user-defined functions, as in pyspark.sql.udf and pyspark.sql.pandas.functions.

`udf(f, returnType)` makes a row-at-a-time function: by default over pickled rows (the classic
path, kept so its cost can be measured), with `useArrow=True` over Arrow batches. `pandas_udf`
makes a vectorized function called once per Arrow batch with pandas objects; its form (scalar,
iterator, grouped aggregate) comes from the type hints, as in PySpark 3+, or from a
`PandasUDFType` for code written against older PySpark.
"""

from __future__ import annotations

import functools
import inspect
import sys
import typing
from typing import Any, Callable

import pyarrow as pa

from quiver.sql import _proto
from quiver.sql.column import Column, to_column
from quiver.sql.types import DataType, StringType, _parse_datatype_string, from_arrow_type
from quiver.v1 import expressions_pb2 as ex

__all__ = ["UserDefinedFunction", "UDFRegistration", "PandasUDFType", "PythonEvalType", "udf", "pandas_udf"]


class PythonEvalType:
    """PySpark's eval type numbering."""

    NON_UDF = 0
    SQL_BATCHED_UDF = 100
    SQL_ARROW_BATCHED_UDF = 101
    SQL_SCALAR_PANDAS_UDF = 200
    SQL_GROUPED_MAP_PANDAS_UDF = 201
    SQL_GROUPED_AGG_PANDAS_UDF = 202
    SQL_WINDOW_AGG_PANDAS_UDF = 203
    SQL_SCALAR_PANDAS_ITER_UDF = 204
    SQL_MAP_PANDAS_ITER_UDF = 205
    SQL_COGROUPED_MAP_PANDAS_UDF = 206
    SQL_MAP_ARROW_ITER_UDF = 207


class PandasUDFType:
    """Compatibility with pandas_udf(f, returnType, PandasUDFType.SCALAR) (PySpark 2.x style)."""

    SCALAR = PythonEvalType.SQL_SCALAR_PANDAS_UDF
    SCALAR_ITER = PythonEvalType.SQL_SCALAR_PANDAS_ITER_UDF
    GROUPED_MAP = PythonEvalType.SQL_GROUPED_MAP_PANDAS_UDF
    GROUPED_AGG = PythonEvalType.SQL_GROUPED_AGG_PANDAS_UDF


def _python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def to_arrow_return_type(returnType: Any) -> pa.DataType:
    """A return type as Arrow: a Quiver/Spark DataType, a DDL string, or a pyarrow type."""
    if isinstance(returnType, pa.DataType):
        return returnType
    if isinstance(returnType, pa.Schema):
        return pa.struct(list(returnType))
    if isinstance(returnType, str):
        returnType = _parse_datatype_string(returnType)
    if isinstance(returnType, DataType):
        return returnType.to_arrow()
    raise TypeError(f"returnType must be a DataType, a DDL string or a pyarrow type, got {type(returnType).__name__}")


def _function_name(f: Callable) -> str:
    name = getattr(f, "__name__", None) or type(f).__name__
    return name


class UserDefinedFunction:
    """A Python function callable on Columns; calling it builds an expression the server runs."""

    def __init__(self, func: Callable, returnType: Any = StringType(), name: str | None = None,
                 evalType: int = PythonEvalType.SQL_BATCHED_UDF, deterministic: bool = True):
        if not callable(func):
            raise TypeError(f"a UDF needs a callable, got {type(func).__name__}")
        self.func = func
        self._arrow_type = to_arrow_return_type(returnType)
        self._name = name or _function_name(func)
        self.evalType = evalType
        self.deterministic = deterministic
        self._command: bytes | None = None
        try:
            functools.update_wrapper(self, func, updated=())
        except AttributeError:  # callables without __name__ (functools.partial)
            pass

    @property
    def returnType(self) -> DataType:
        return from_arrow_type(self._arrow_type)

    def asNondeterministic(self) -> "UserDefinedFunction":
        self.deterministic = False
        return self

    def _pickled(self) -> bytes:
        if self._command is None:
            import cloudpickle

            self._command = cloudpickle.dumps(self.func)
        return self._command

    def _proto(self, arguments: list[ex.Expression] | None = None) -> ex.CommonInlineUserDefinedFunction:
        f = ex.CommonInlineUserDefinedFunction(function_name=self._name, deterministic=self.deterministic)
        if arguments:
            f.arguments.extend(arguments)
        f.python_udf.output_type.CopyFrom(_proto.data_type(self._arrow_type))
        f.python_udf.eval_type = self.evalType
        f.python_udf.command = self._pickled()
        f.python_udf.python_ver = _python_version()
        return f

    def __call__(self, *cols: Any) -> Column:
        if self.evalType in (PythonEvalType.SQL_GROUPED_MAP_PANDAS_UDF, PythonEvalType.SQL_MAP_PANDAS_ITER_UDF,
                             PythonEvalType.SQL_COGROUPED_MAP_PANDAS_UDF, PythonEvalType.SQL_MAP_ARROW_ITER_UDF):
            raise TypeError(f"UDF '{self._name}' is a grouped map function: use it with groupBy().applyInPandas, "
                            "not as a column expression")
        if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
            cols = tuple(cols[0])
        e = ex.Expression()
        e.common_inline_user_defined_function.CopyFrom(self._proto([to_column(c)._expr for c in cols]))
        return Column(e)

    def __repr__(self) -> str:
        return f"UserDefinedFunction({self._name}, {self.returnType.simpleString()}, evalType={self.evalType})"


def udf(f: Callable | DataType | str | None = None, returnType: Any = StringType(), *,
        useArrow: bool | None = None) -> Any:
    """A row-at-a-time Python function: `udf(lambda x: x + 1, "int")`, or as a decorator
    (`@udf`, `@udf("int")`, `@udf(returnType=IntegerType())`). With useArrow=True the rows travel
    as Arrow batches (Spark 3.5's Arrow-optimized Python UDF); otherwise as pickled rows."""
    eval_type = PythonEvalType.SQL_ARROW_BATCHED_UDF if useArrow else PythonEvalType.SQL_BATCHED_UDF
    if f is None or isinstance(f, (DataType, str, pa.DataType)):
        rt = f if f is not None else returnType

        def wrap(func: Callable) -> UserDefinedFunction:
            return UserDefinedFunction(func, rt, evalType=eval_type)
        return wrap
    return UserDefinedFunction(f, returnType, evalType=eval_type)


# -- pandas_udf ------------------------------------------------------------------------------------


def _is_series(t: Any) -> bool:
    import pandas as pd

    return t is pd.Series or t is pd.DataFrame or (isinstance(t, str) and t.split(".")[-1] in ("Series", "DataFrame"))


def _is_iterator_of_series(t: Any) -> bool:
    origin = typing.get_origin(t)
    import collections.abc

    if origin not in (collections.abc.Iterator, typing.Iterator, collections.abc.Iterable):
        return False
    (inner,) = typing.get_args(t) or (None,)
    if _is_series(inner):
        return True
    if typing.get_origin(inner) is tuple:
        return all(_is_series(x) for x in typing.get_args(inner) if x is not Ellipsis)
    return False


def infer_eval_type(f: Callable) -> int | None:
    """PySpark's type-hint rules: Series... -> Series is scalar, Iterator[Series] -> Iterator[Series]
    is the iterator form, Series... -> a scalar type is a grouped aggregate."""
    try:
        hints = typing.get_type_hints(f)
    except Exception:
        hints = getattr(f, "__annotations__", {})
    if "return" not in hints:
        return None
    params = [p for p in inspect.signature(f).parameters.values()]
    ret = hints["return"]
    arg_hints = [hints.get(p.name) for p in params]
    if len(arg_hints) == 1 and _is_iterator_of_series(arg_hints[0]) and _is_iterator_of_series(ret):
        return PythonEvalType.SQL_SCALAR_PANDAS_ITER_UDF
    if all(_is_series(h) for h in arg_hints if h is not None) and None not in arg_hints:
        if _is_series(ret):
            return PythonEvalType.SQL_SCALAR_PANDAS_UDF
        return PythonEvalType.SQL_GROUPED_AGG_PANDAS_UDF
    return None


def pandas_udf(f: Any = None, returnType: Any = None, functionType: int | None = None) -> Any:
    """A vectorized UDF called once per Arrow batch with pandas Series (DataFrames for struct
    columns). Use type hints to pick the form, as in PySpark:

        @pandas_udf("double")
        def plus_one(v: pd.Series) -> pd.Series: return v + 1

        @pandas_udf("double")
        def mean(v: pd.Series) -> float: return v.mean()        # grouped aggregate
    """
    # Decorator forms: @pandas_udf("double"), @pandas_udf(returnType="double"),
    # @pandas_udf("double", PandasUDFType.SCALAR).
    if f is None or isinstance(f, (DataType, str, pa.DataType, pa.Schema)):
        rt = f if f is not None else returnType
        ft = functionType
        if isinstance(returnType, int) and functionType is None:
            ft = returnType

        def wrap(func: Callable) -> UserDefinedFunction:
            return _make_pandas_udf(func, rt, ft)
        return wrap
    if isinstance(returnType, int) and functionType is None and not isinstance(returnType, bool):
        functionType, returnType = returnType, None
    return _make_pandas_udf(f, returnType, functionType)


def _make_pandas_udf(func: Callable, returnType: Any, functionType: int | None) -> UserDefinedFunction:
    if returnType is None:
        raise ValueError(f"pandas_udf '{_function_name(func)}' needs a returnType, e.g. pandas_udf('double')")
    eval_type = functionType if functionType is not None else infer_eval_type(func)
    if eval_type is None:
        raise ValueError(
            f"cannot tell what kind of pandas UDF '{_function_name(func)}' is: add type hints "
            "(def f(s: pd.Series) -> pd.Series for a scalar UDF, Iterator[pd.Series] -> Iterator[pd.Series] "
            "for the iterator form, pd.Series -> float for a grouped aggregate) or pass a PandasUDFType")
    valid = (PythonEvalType.SQL_SCALAR_PANDAS_UDF, PythonEvalType.SQL_SCALAR_PANDAS_ITER_UDF,
             PythonEvalType.SQL_GROUPED_MAP_PANDAS_UDF, PythonEvalType.SQL_GROUPED_AGG_PANDAS_UDF)
    if eval_type not in valid:
        raise ValueError(f"unknown pandas UDF type {eval_type}; use a PandasUDFType")
    if eval_type == PythonEvalType.SQL_GROUPED_MAP_PANDAS_UDF:
        rt = to_arrow_return_type(returnType)
        if not pa.types.is_struct(rt):
            raise TypeError("a GROUPED_MAP pandas UDF needs a struct return type (the output schema)")
    return UserDefinedFunction(func, returnType, evalType=eval_type)


# -- spark.udf -------------------------------------------------------------------------------------


class UDFRegistration:
    """spark.udf: register Python functions so SQL (and expr()) can call them by name."""

    def __init__(self, session: Any):
        self._session = session

    def register(self, name: str, f: Callable | UserDefinedFunction, returnType: Any = None) -> UserDefinedFunction:
        from quiver.v1 import commands_pb2

        if isinstance(f, UserDefinedFunction):
            if returnType is not None:
                raise TypeError("returnType must not be given when registering a UDF object; it already has one")
            u = UserDefinedFunction(f.func, f._arrow_type, name=name, evalType=f.evalType, deterministic=f.deterministic)
        else:
            u = UserDefinedFunction(f, returnType if returnType is not None else StringType(), name=name,
                                    evalType=PythonEvalType.SQL_BATCHED_UDF)
        req = commands_pb2.ActionRegisterFunction(name=name, function=u._proto())
        self._session._client.action("quiver.register_udf", req)
        return u

    def registerJavaFunction(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("spark.udf.registerJavaFunction: Quiver has no JVM; register a Python function instead")


def _map_function(func: Callable, schema: Any, eval_type: int, what: str) -> UserDefinedFunction:
    rt = to_arrow_return_type(schema)
    if not pa.types.is_struct(rt):
        raise TypeError(f"{what} needs a schema (a StructType or a DDL string like 'id long, v double'), got {schema!r}")
    return UserDefinedFunction(func, rt, evalType=eval_type)
