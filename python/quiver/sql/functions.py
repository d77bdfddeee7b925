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


# -- scalar functions (engineer D): conditionals, math, strings, dates, collections -------------
# Column parameters accept a Column or a column name; value parameters (patterns, formats,
# counts) accept Python values and become literals, as in PySpark.


def _c(x: Any) -> Column:
    """A column argument: a Column or a column name."""
    return to_column(x) if isinstance(x, str) else (x if isinstance(x, Column) else lit(x))


def _v(x: Any) -> Column:
    """A value argument: a Column or a Python value (a str is a literal, not a column name)."""
    return x if isinstance(x, Column) else lit(x)


def _fn(name: str, *args: Column) -> Column:
    return Column._fn(name, *args)


# conditionals
def coalesce(*cols: Any) -> Column:
    return _fn("coalesce", *[_c(c) for c in cols])


def ifnull(col1: Any, col2: Any) -> Column:
    return _fn("ifnull", _c(col1), _c(col2))


def nvl(col1: Any, col2: Any) -> Column:
    return _fn("nvl", _c(col1), _c(col2))


def nvl2(col1: Any, col2: Any, col3: Any) -> Column:
    return _fn("nvl2", _c(col1), _c(col2), _c(col3))


def nullif(col1: Any, col2: Any) -> Column:
    return _fn("nullif", _c(col1), _c(col2))


def nanvl(col1: Any, col2: Any) -> Column:
    return _fn("nanvl", _c(col1), _c(col2))


def isnan(col: Any) -> Column:
    return _fn("isnan", _c(col))


def greatest(*cols: Any) -> Column:
    return _fn("greatest", *[_c(c) for c in cols])


def least(*cols: Any) -> Column:
    return _fn("least", *[_c(c) for c in cols])


# arithmetic and math
def abs(col: Any) -> Column:  # noqa: A001 - PySpark's name
    return _fn("abs", _c(col))


def round(col: Any, scale: int = 0) -> Column:  # noqa: A001
    return _fn("round", _c(col), _v(scale))


def bround(col: Any, scale: int = 0) -> Column:
    return _fn("bround", _c(col), _v(scale))


def pow(col1: Any, col2: Any) -> Column:  # noqa: A001
    return _fn("power", _c(col1), _c(col2))


power = pow


def log(arg1: Any, arg2: Any = None) -> Column:
    """log(col) is the natural logarithm; log(base, col) the logarithm in that base."""
    if arg2 is None:
        return _fn("log", _c(arg1))
    return _fn("log", _v(arg1), _c(arg2))


def atan2(col1: Any, col2: Any) -> Column:
    return _fn("atan2", _c(col1), _c(col2))


def hypot(col1: Any, col2: Any) -> Column:
    return _fn("hypot", _c(col1), _c(col2))


def pmod(dividend: Any, divisor: Any) -> Column:
    return _fn("pmod", _c(dividend), _c(divisor))


def bitwise_not(col: Any) -> Column:
    return _fn("~", _c(col))


bitwiseNOT = bitwise_not


def shiftleft(col: Any, numBits: int) -> Column:
    return _fn("shiftleft", _c(col), _v(numBits))


def shiftright(col: Any, numBits: int) -> Column:
    return _fn("shiftright", _c(col), _v(numBits))


def shiftrightunsigned(col: Any, numBits: int) -> Column:
    return _fn("shiftrightunsigned", _c(col), _v(numBits))


shiftLeft, shiftRight, shiftRightUnsigned = shiftleft, shiftright, shiftrightunsigned

for _name in ("sqrt", "exp", "expm1", "cbrt", "ln", "log10", "log2", "log1p", "sin", "cos", "tan",
              "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "cot", "sec",
              "csc", "degrees", "radians", "rint", "signum", "sign", "floor", "ceil", "ceiling",
              "try_add", "try_subtract", "try_multiply", "try_divide", "try_mod",
              # strings
              "upper", "lower", "length", "char_length", "character_length", "reverse", "initcap",
              "ascii", "ltrim", "rtrim", "contains", "startswith", "endswith", "ucase",
              "lcase", "octet_length", "bit_length", "left", "right", "base64", "unbase64",
              # dates
              "year", "month", "dayofmonth", "day", "dayofweek", "dayofyear", "weekofyear", "weekday",
              "quarter", "hour", "minute", "second", "last_day", "datediff", "date_diff",
              "to_unix_timestamp", "unix_date", "unix_seconds", "unix_millis", "unix_micros",
              "timestamp_seconds", "timestamp_millis", "timestamp_micros", "date_from_unix_date",
              # collections
              "size", "cardinality", "map_keys", "map_values", "array_distinct", "array_max",
              "array_min", "flatten", "map_entries", "array_compact",
              "explode", "explode_outer", "posexplode", "posexplode_outer", "inline", "inline_outer",
              "stack"):
    def _make(fn_name: str):
        def f(*cols: Any) -> Column:
            return _fn(fn_name, *[_c(c) for c in cols])

        f.__name__ = fn_name
        f.__doc__ = f"{fn_name}(...) — see pyspark.sql.functions.{fn_name}."
        return f

    globals()[_name] = _make(_name)
del _name


# strings
def substring(str: Any, pos: Any, len: Any) -> Column:  # noqa: A002 - PySpark's parameter names
    return _fn("substring", _c(str), _v(pos), _v(len))


def substr(str: Any, pos: Any, len: Any = None) -> Column:  # noqa: A002
    if len is None:
        return _fn("substr", _c(str), _c(pos))
    return _fn("substr", _c(str), _c(pos), _c(len))


def concat(*cols: Any) -> Column:
    return _fn("concat", *[_c(c) for c in cols])


def concat_ws(sep: str, *cols: Any) -> Column:
    return _fn("concat_ws", _v(sep), *[_c(c) for c in cols])


def trim(col: Any, trim: Any = None) -> Column:
    if trim is None:
        return _fn("trim", _c(col))
    return _fn("trim", _c(col), _v(trim))


def lpad(col: Any, len: Any, pad: Any) -> Column:  # noqa: A002
    return _fn("lpad", _c(col), _v(len), _v(pad))


def rpad(col: Any, len: Any, pad: Any) -> Column:  # noqa: A002
    return _fn("rpad", _c(col), _v(len), _v(pad))


def repeat(col: Any, n: Any) -> Column:
    return _fn("repeat", _c(col), _v(n))


def like(str: Any, pattern: Any, escapeChar: Any = None) -> Column:  # noqa: A002
    if escapeChar is None:
        return _fn("like", _c(str), _c(pattern))
    return _fn("like", _c(str), _c(pattern), _v(escapeChar))


def ilike(str: Any, pattern: Any, escapeChar: Any = None) -> Column:  # noqa: A002
    if escapeChar is None:
        return _fn("ilike", _c(str), _c(pattern))
    return _fn("ilike", _c(str), _c(pattern), _v(escapeChar))


def rlike(str: Any, regexp: Any) -> Column:  # noqa: A002
    return _fn("rlike", _c(str), _c(regexp))


regexp = rlike
regexp_like = rlike


def regexp_replace(string: Any, pattern: Any, replacement: Any) -> Column:
    return _fn("regexp_replace", _c(string), _v(pattern), _v(replacement))


def regexp_extract(str: Any, pattern: str, idx: int) -> Column:  # noqa: A002
    return _fn("regexp_extract", _c(str), _v(pattern), _v(idx))


def split(str: Any, pattern: str, limit: int = -1) -> Column:  # noqa: A002
    return _fn("split", _c(str), _v(pattern), _v(limit))


def instr(str: Any, substr: str) -> Column:  # noqa: A002
    return _fn("instr", _c(str), _v(substr))


def locate(substr: str, str: Any, pos: int = 1) -> Column:  # noqa: A002
    return _fn("locate", _v(substr), _c(str), _v(pos))


def replace(src: Any, search: Any, replace: Any = None) -> Column:
    if replace is None:
        return _fn("replace", _c(src), _c(search))
    return _fn("replace", _c(src), _c(search), _c(replace))


def translate(srcCol: Any, matching: str, replace: str) -> Column:
    return _fn("translate", _c(srcCol), _v(matching), _v(replace))


def format_string(format: str, *cols: Any) -> Column:  # noqa: A002
    return _fn("format_string", _v(format), *[_c(c) for c in cols])


printf = format_string


# dates and times
def to_date(col: Any, format: str | None = None) -> Column:  # noqa: A002
    if format is None:
        return _fn("to_date", _c(col))
    return _fn("to_date", _c(col), _v(format))


def to_timestamp(col: Any, format: str | None = None) -> Column:  # noqa: A002
    if format is None:
        return _fn("to_timestamp", _c(col))
    return _fn("to_timestamp", _c(col), _v(format))


def date_format(date: Any, format: str) -> Column:  # noqa: A002
    return _fn("date_format", _c(date), _v(format))


def date_add(start: Any, days: Any) -> Column:
    return _fn("date_add", _c(start), _v(days))


def date_sub(start: Any, days: Any) -> Column:
    return _fn("date_sub", _c(start), _v(days))


def add_months(start: Any, months: Any) -> Column:
    return _fn("add_months", _c(start), _v(months))


def months_between(date1: Any, date2: Any, roundOff: bool = True) -> Column:
    return _fn("months_between", _c(date1), _c(date2), _v(roundOff))


def date_trunc(format: str, timestamp: Any) -> Column:  # noqa: A002
    return _fn("date_trunc", _v(format), _c(timestamp))


def trunc(date: Any, format: str) -> Column:  # noqa: A002
    return _fn("trunc", _c(date), _v(format))


def current_date() -> Column:
    return _fn("current_date")


def current_timestamp() -> Column:
    return _fn("current_timestamp")


now = current_timestamp


def unix_timestamp(timestamp: Any = None, format: str = "yyyy-MM-dd HH:mm:ss") -> Column:  # noqa: A002
    if timestamp is None:
        return _fn("unix_timestamp")
    return _fn("unix_timestamp", _c(timestamp), _v(format))


def from_unixtime(timestamp: Any, format: str = "yyyy-MM-dd HH:mm:ss") -> Column:  # noqa: A002
    return _fn("from_unixtime", _c(timestamp), _v(format))


def make_date(year: Any, month: Any, day: Any) -> Column:
    return _fn("make_date", _c(year), _c(month), _c(day))


# collections
def array_contains(col: Any, value: Any) -> Column:
    return _fn("array_contains", _c(col), _v(value))


def element_at(col: Any, extraction: Any) -> Column:
    return _fn("element_at", _c(col), _v(extraction))


def struct(*cols: Any) -> Column:
    if len(cols) == 1 and isinstance(cols[0], (list, tuple, set)):
        cols = tuple(cols[0])
    return _fn("struct", *[_c(c) for c in cols])


def array(*cols: Any) -> Column:
    if len(cols) == 1 and isinstance(cols[0], (list, tuple, set)):
        cols = tuple(cols[0])
    return _fn("array", *[_c(c) for c in cols])


def create_map(*cols: Any) -> Column:
    if len(cols) == 1 and isinstance(cols[0], (list, tuple, set)):
        cols = tuple(cols[0])
    return _fn("map", *[_c(c) for c in cols])


def array_sort(col: Any, comparator: Any = None) -> Column:
    """Sorts ascending with nulls last, or by comparator(left, right), a function returning a
    negative int, 0 or a positive int."""
    if comparator is not None:
        return _higher_order("array_sort", [_c(col)], [(comparator, (2,))])
    return _fn("array_sort", _c(col))


def sort_array(col: Any, asc: bool = True) -> Column:
    return _fn("sort_array", _c(col), _v(asc))


def array_join(col: Any, delimiter: str, null_replacement: str | None = None) -> Column:
    if null_replacement is None:
        return _fn("array_join", _c(col), _v(delimiter))
    return _fn("array_join", _c(col), _v(delimiter), _v(null_replacement))


def array_position(col: Any, value: Any) -> Column:
    return _fn("array_position", _c(col), _v(value))


def slice(x: Any, start: Any, length: Any) -> Column:  # noqa: A001
    return _fn("slice", _c(x), _v(start), _v(length))

# -- end of scalar functions (engineer D) --------------------------------------------------------


# -- Python UDFs (engineer F) ----------------------------------------------------------------------

from quiver.sql.udf import PandasUDFType, pandas_udf, udf  # noqa: E402,F401


# -- window functions (engineer E2) --------------------------------------------------------------


def row_number() -> Column:
    return Column._fn("row_number")


def rank() -> Column:
    return Column._fn("rank")


def dense_rank() -> Column:
    return Column._fn("dense_rank")


def percent_rank() -> Column:
    return Column._fn("percent_rank")


def cume_dist() -> Column:
    return Column._fn("cume_dist")


def ntile(n: int) -> Column:
    return Column._fn("ntile", int(n))


def lag(col: Any, offset: int = 1, default: Any = None) -> Column:  # noqa: A002
    return Column._fn("lag", to_column(col), int(offset), default)


def lead(col: Any, offset: int = 1, default: Any = None) -> Column:  # noqa: A002
    return Column._fn("lead", to_column(col), int(offset), default)


def broadcast(df: Any) -> Any:
    """Marks a DataFrame as small enough to send whole to every task of a join."""
    return df.hint("broadcast")



# -- aggregate functions (engineer E1) -------------------------------------------------------------


def _agg(name: str, c: Any, *extra: Any, distinct: bool = False) -> Column:
    return Column._fn(name, to_column(c) if isinstance(c, str) else c, *extra, distinct=distinct)


def count(col: Any) -> Column:  # noqa: A002
    """Rows where col is not null; count("*") (or count(lit(1))) counts every row."""
    if isinstance(col, str) and col == "*":
        # Spark rewrites count(*) to count(1), which also names the column.
        return Column._fn("count", lit(1))
    return _agg("count", col)


def countDistinct(col: Any, *cols: Any) -> Column:  # noqa: A002
    return Column._fn("count", *[to_column(c) if isinstance(c, str) else c for c in (col, *cols)], distinct=True)


count_distinct = countDistinct


def sum(col: Any) -> Column:  # noqa: A001,A002
    return _agg("sum", col)


def sum_distinct(col: Any) -> Column:  # noqa: A002
    return _agg("sum", col, distinct=True)


sumDistinct = sum_distinct


def avg(col: Any) -> Column:  # noqa: A002
    return _agg("avg", col)


def mean(col: Any) -> Column:  # noqa: A002
    # PySpark's mean is avg (Scala's functions.mean calls avg), so the column is named avg(col).
    return _agg("avg", col)


def min(col: Any) -> Column:  # noqa: A001,A002
    return _agg("min", col)


def max(col: Any) -> Column:  # noqa: A001,A002
    return _agg("max", col)


def first(col: Any, ignorenulls: bool = False) -> Column:  # noqa: A002
    return _agg("first", col, bool(ignorenulls)) if ignorenulls else _agg("first", col)


def last(col: Any, ignorenulls: bool = False) -> Column:  # noqa: A002
    return _agg("last", col, bool(ignorenulls)) if ignorenulls else _agg("last", col)


def any_value(col: Any, ignoreNulls: Any = None) -> Column:  # noqa: A002
    return _agg("any_value", col) if ignoreNulls is None else _agg("any_value", col, ignoreNulls)


def collect_list(col: Any) -> Column:  # noqa: A002
    return _agg("collect_list", col)


array_agg = collect_list


def collect_set(col: Any) -> Column:  # noqa: A002
    return _agg("collect_set", col)


def grouping(col: Any) -> Column:  # noqa: A002
    """1 when col is aggregated away (null because of rollup, cube or grouping sets), else 0."""
    return _agg("grouping", col)


def grouping_id(*cols: Any) -> Column:
    """The grouping id: one bit per grouping column (all of them, in order), set when it is
    aggregated away; cols, when given, must be the grouping columns."""
    return Column._fn("grouping_id", *[to_column(c) if isinstance(c, str) else c for c in cols])


def stddev(col: Any) -> Column:  # noqa: A002
    return _agg("stddev", col)


def std(col: Any) -> Column:  # noqa: A002
    return _agg("std", col)


def stddev_samp(col: Any) -> Column:  # noqa: A002
    return _agg("stddev_samp", col)


def stddev_pop(col: Any) -> Column:  # noqa: A002
    return _agg("stddev_pop", col)


def variance(col: Any) -> Column:  # noqa: A002
    return _agg("variance", col)


def var_samp(col: Any) -> Column:  # noqa: A002
    return _agg("var_samp", col)


def var_pop(col: Any) -> Column:  # noqa: A002
    return _agg("var_pop", col)


def approx_count_distinct(col: Any, rsd: float | None = None) -> Column:  # noqa: A002
    return _agg("approx_count_distinct", col) if rsd is None else _agg("approx_count_distinct", col, float(rsd))


approxCountDistinct = approx_count_distinct


def _percentage(percentage: Any) -> Column:
    if isinstance(percentage, Column):
        return percentage
    if isinstance(percentage, (list, tuple)):
        return array(*[lit(float(p)) for p in percentage])
    return lit(float(percentage))


def percentile_approx(col: Any, percentage: Any, accuracy: Any = 10000) -> Column:  # noqa: A002
    """The smallest value whose rank reaches percentage (a number or a list of them) of the
    group's values; Spark's approximate answer within 1/accuracy."""
    return _agg("percentile_approx", col, _percentage(percentage), accuracy if isinstance(accuracy, Column) else lit(int(accuracy)))


def approx_percentile(col: Any, percentage: Any, accuracy: Any = 10000) -> Column:  # noqa: A002
    return _agg("approx_percentile", col, _percentage(percentage), accuracy if isinstance(accuracy, Column) else lit(int(accuracy)))


def percentile(col: Any, percentage: Any, frequency: Any = 1) -> Column:  # noqa: A002
    """The exact percentile, interpolated between neighbouring values (a double)."""
    return _agg("percentile", col, _percentage(percentage), frequency if isinstance(frequency, Column) else lit(int(frequency)))


def median(col: Any) -> Column:  # noqa: A002
    return _agg("median", col)

# -- end of aggregate functions (engineer E1) --------------------------------------------------------


# higher-order functions: the Python function is called once, on placeholder columns, to build
# a lambda expression the server evaluates (PySpark does the same); it never runs per row.

_lambda_variable_counter = [0]


def _lambda(f: Any, allowed: tuple[int, ...]) -> ex.Expression:
    import inspect

    if not callable(f):
        raise TypeError(f"a higher-order function needs a Python function, got {type(f).__name__}")
    parameters = [
        p for p in inspect.signature(f).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(parameters) not in allowed:
        want = " or ".join(str(n) for n in allowed)
        raise ValueError(f"the function passed here must take {want} arguments, {f} takes {len(parameters)}")
    names = []
    for base in ("x", "y", "z")[: len(parameters)]:
        _lambda_variable_counter[0] += 1
        names.append(f"{base}_{_lambda_variable_counter[0]}")
    variables = []
    for name in names:
        e = ex.Expression()
        e.unresolved_named_lambda_variable.name_parts.append(name)
        variables.append(Column(e))
    body = f(*variables)
    if not isinstance(body, Column):
        body = lit(body)
    out = ex.Expression()
    out.lambda_function.function.CopyFrom(body._expr)
    for v in variables:
        out.lambda_function.arguments.append(v._expr.unresolved_named_lambda_variable)
    return out


def _higher_order(name: str, columns: list[Column], functions: list[tuple[Any, tuple[int, ...]]]) -> Column:
    lambdas = [Column(_lambda(f, allowed)) for f, allowed in functions]
    return _fn(name, *columns, *lambdas)


def transform(col: Any, f: Any) -> Column:
    return _higher_order("transform", [_c(col)], [(f, (1, 2))])


def filter(col: Any, f: Any) -> Column:  # noqa: A001 - PySpark's name
    return _higher_order("filter", [_c(col)], [(f, (1, 2))])


def exists(col: Any, f: Any) -> Column:
    return _higher_order("exists", [_c(col)], [(f, (1,))])


def forall(col: Any, f: Any) -> Column:
    return _higher_order("forall", [_c(col)], [(f, (1,))])


def aggregate(col: Any, initialValue: Any, merge: Any, finish: Any = None) -> Column:
    functions = [(merge, (2,))] + ([(finish, (1,))] if finish is not None else [])
    return _higher_order("aggregate", [_c(col), _v(initialValue)], functions)


def reduce(col: Any, initialValue: Any, merge: Any, finish: Any = None) -> Column:
    functions = [(merge, (2,))] + ([(finish, (1,))] if finish is not None else [])
    return _higher_order("reduce", [_c(col), _v(initialValue)], functions)


def zip_with(left: Any, right: Any, f: Any) -> Column:
    return _higher_order("zip_with", [_c(left), _c(right)], [(f, (2,))])


def map_zip_with(col1: Any, col2: Any, f: Any) -> Column:
    return _higher_order("map_zip_with", [_c(col1), _c(col2)], [(f, (3,))])


def transform_keys(col: Any, f: Any) -> Column:
    return _higher_order("transform_keys", [_c(col)], [(f, (2,))])


def transform_values(col: Any, f: Any) -> Column:
    return _higher_order("transform_values", [_c(col)], [(f, (2,))])


def map_filter(col: Any, f: Any) -> Column:
    return _higher_order("map_filter", [_c(col)], [(f, (2,))])


# -- types, sequences, arrays and maps (session 4, engineer F) -------------------------------------


def typeof(col: Any) -> Column:  # noqa: A002
    """The Spark name of col's type ("int", "array<string>", ...)."""
    return _fn("typeof", _c(col))


def sequence(start: Any, stop: Any, step: Any = None) -> Column:
    if step is None:
        return _fn("sequence", _c(start), _c(stop))
    return _fn("sequence", _c(start), _c(stop), _c(step))


def array_union(col1: Any, col2: Any) -> Column:
    return _fn("array_union", _c(col1), _c(col2))


def array_intersect(col1: Any, col2: Any) -> Column:
    return _fn("array_intersect", _c(col1), _c(col2))


def array_except(col1: Any, col2: Any) -> Column:
    return _fn("array_except", _c(col1), _c(col2))


def arrays_overlap(a1: Any, a2: Any) -> Column:
    return _fn("arrays_overlap", _c(a1), _c(a2))


def arrays_zip(*cols: Any) -> Column:
    return _fn("arrays_zip", *[_c(c) for c in cols])


def array_append(col: Any, value: Any) -> Column:  # noqa: A002
    return _fn("array_append", _c(col), _v(value))


def array_prepend(col: Any, value: Any) -> Column:  # noqa: A002
    return _fn("array_prepend", _c(col), _v(value))


def array_remove(col: Any, element: Any) -> Column:  # noqa: A002
    return _fn("array_remove", _c(col), _v(element))


def array_repeat(col: Any, count: Any) -> Column:  # noqa: A002
    return _fn("array_repeat", _c(col), _v(count))


def array_size(col: Any) -> Column:  # noqa: A002
    return _fn("array_size", _c(col))


def map_concat(*cols: Any) -> Column:
    if len(cols) == 1 and isinstance(cols[0], (list, tuple, set)):
        cols = tuple(cols[0])
    return _fn("map_concat", *[_c(c) for c in cols])


def map_contains_key(col: Any, value: Any) -> Column:  # noqa: A002
    return _fn("map_contains_key", _c(col), _v(value))


def map_from_arrays(col1: Any, col2: Any) -> Column:
    return _fn("map_from_arrays", _c(col1), _c(col2))


def map_from_entries(col: Any) -> Column:  # noqa: A002
    return _fn("map_from_entries", _c(col))


def named_struct(*cols: Any) -> Column:
    return _fn("named_struct", *[_c(c) for c in cols])


# strings and binaries
def btrim(str: Any, trim: Any = None) -> Column:  # noqa: A002
    if trim is None:
        return _fn("btrim", _c(str))
    return _fn("btrim", _c(str), _c(trim))


def chr(col: Any) -> Column:  # noqa: A001,A002
    return _fn("chr", _c(col))


def char(col: Any) -> Column:  # noqa: A002
    return _fn("char", _c(col))


def substring_index(str: Any, delim: str, count: int) -> Column:  # noqa: A002
    return _fn("substring_index", _c(str), _v(delim), _v(count))


def split_part(src: Any, delimiter: Any, partNum: Any) -> Column:
    return _fn("split_part", _c(src), _c(delimiter), _c(partNum))


def levenshtein(left: Any, right: Any, threshold: int | None = None) -> Column:
    if threshold is None:
        return _fn("levenshtein", _c(left), _c(right))
    return _fn("levenshtein", _c(left), _c(right), _v(threshold))


def sha2(col: Any, numBits: int) -> Column:  # noqa: A002
    return _fn("sha2", _c(col), _v(numBits))


for _name in ("md5", "sha1", "crc32", "hex", "unhex", "dayname", "monthname", "factorial"):
    def _make_unary(fn_name: str):
        def f(col: Any) -> Column:  # noqa: A002
            return _fn(fn_name, _c(col))

        f.__name__ = fn_name
        f.__doc__ = f"{fn_name}(col) — see pyspark.sql.functions.{fn_name}."
        return f

    globals()[_name] = _make_unary(_name)
del _name


# dates and math
def next_day(date: Any, dayOfWeek: str) -> Column:
    return _fn("next_day", _c(date), _v(dayOfWeek))


def pi() -> Column:
    return _fn("pi")


def e() -> Column:
    return _fn("e")


# names the server resolved but this module lacked
def curdate() -> Column:
    return _fn("curdate")


def dateadd(start: Any, days: Any) -> Column:
    return _fn("dateadd", _c(start), _v(days))


def position(substr: Any, str: Any, start: Any = None) -> Column:  # noqa: A002
    if start is None:
        return _fn("position", _c(substr), _c(str))
    return _fn("position", _c(substr), _c(str), _c(start))


def sha(col: Any) -> Column:  # noqa: A002
    return _fn("sha", _c(col))


def try_element_at(col: Any, extraction: Any) -> Column:  # noqa: A002
    return _fn("try_element_at", _c(col), _v(extraction))


def _timestamp_parse(name: str, col: Any, format: Any) -> Column:  # noqa: A002
    if format is None:
        return _fn(name, _c(col))
    return _fn(name, _c(col), _v(format))


def to_timestamp_ltz(timestamp: Any, format: Any = None) -> Column:  # noqa: A002
    return _timestamp_parse("to_timestamp_ltz", timestamp, format)


def to_timestamp_ntz(timestamp: Any, format: Any = None) -> Column:  # noqa: A002
    return _timestamp_parse("to_timestamp_ntz", timestamp, format)


def try_to_timestamp(col: Any, format: Any = None) -> Column:  # noqa: A002
    return _timestamp_parse("try_to_timestamp", col, format)


def first_value(col: Any, ignoreNulls: Any = None) -> Column:  # noqa: A002
    return _agg("first_value", col) if ignoreNulls is None else _agg("first_value", col, _v(ignoreNulls))


def last_value(col: Any, ignoreNulls: Any = None) -> Column:  # noqa: A002
    return _agg("last_value", col) if ignoreNulls is None else _agg("last_value", col, _v(ignoreNulls))


def nullifzero(col: Any) -> Column:  # noqa: A002
    return _fn("nullifzero", _c(col))


def zeroifnull(col: Any) -> Column:  # noqa: A002
    return _fn("zeroifnull", _c(col))


def positive(col: Any) -> Column:  # noqa: A002
    return _fn("positive", _c(col))


def date_part(field: Any, source: Any) -> Column:
    return _fn("date_part", _v(field), _c(source))


def datepart(field: Any, source: Any) -> Column:
    return _fn("datepart", _v(field), _c(source))


def from_utc_timestamp(timestamp: Any, tz: Any) -> Column:
    return _fn("from_utc_timestamp", _c(timestamp), _v(tz))


def to_utc_timestamp(timestamp: Any, tz: Any) -> Column:
    return _fn("to_utc_timestamp", _c(timestamp), _v(tz))


def regexp_count(str: Any, regexp: Any) -> Column:  # noqa: A002
    return _fn("regexp_count", _c(str), _c(regexp))


def regexp_substr(str: Any, regexp: Any) -> Column:  # noqa: A002
    return _fn("regexp_substr", _c(str), _c(regexp))


def regexp_instr(str: Any, regexp: Any, idx: Any = None) -> Column:  # noqa: A002
    if idx is None:
        return _fn("regexp_instr", _c(str), _c(regexp))
    return _fn("regexp_instr", _c(str), _c(regexp), _v(idx))


def regexp_extract_all(str: Any, regexp: Any, idx: Any = None) -> Column:  # noqa: A002
    if idx is None:
        return _fn("regexp_extract_all", _c(str), _c(regexp))
    return _fn("regexp_extract_all", _c(str), _c(regexp), _v(idx))


def find_in_set(str: Any, str_array: Any) -> Column:  # noqa: A002
    return _fn("find_in_set", _c(str), _c(str_array))


def url_encode(str: Any) -> Column:  # noqa: A002
    return _fn("url_encode", _c(str))


def url_decode(str: Any) -> Column:  # noqa: A002
    return _fn("url_decode", _c(str))


def bin(col: Any) -> Column:  # noqa: A001,A002
    return _fn("bin", _c(col))


# Spark 4 aggregates (planner/analyzer/fn_aggregate_more.go)
def count_if(col: Any) -> Column:  # noqa: A002
    return _agg("count_if", col)


def bool_and(col: Any) -> Column:  # noqa: A002
    return _agg("bool_and", col)


def every(col: Any) -> Column:  # noqa: A002
    return _agg("every", col)


def bool_or(col: Any) -> Column:  # noqa: A002
    return _agg("bool_or", col)


def some(col: Any) -> Column:  # noqa: A002
    return _agg("some", col)


def max_by(col: Any, ord: Any, k: Any = None) -> Column:  # noqa: A002
    if k is not None:
        raise NotImplementedError("max_by with k (the top-k values) is not supported by Quiver; use max_by(col, ord)")
    return _agg("max_by", col, _c(ord))


def min_by(col: Any, ord: Any, k: Any = None) -> Column:  # noqa: A002
    if k is not None:
        raise NotImplementedError("min_by with k (the bottom-k values) is not supported by Quiver; use min_by(col, ord)")
    return _agg("min_by", col, _c(ord))


def product(col: Any) -> Column:  # noqa: A002
    return _agg("product", col)


def try_sum(col: Any) -> Column:  # noqa: A002
    return _agg("try_sum", col)


def try_avg(col: Any) -> Column:  # noqa: A002
    return _agg("try_avg", col)


def corr(col1: Any, col2: Any) -> Column:
    return _agg("corr", col1, _c(col2))


def covar_pop(col1: Any, col2: Any) -> Column:
    return _agg("covar_pop", col1, _c(col2))


def covar_samp(col1: Any, col2: Any) -> Column:
    return _agg("covar_samp", col1, _c(col2))


def string_agg(col: Any, delimiter: Any = None) -> Column:  # noqa: A002
    if delimiter is None:
        return _agg("string_agg", col)
    return _agg("string_agg", col, _v(delimiter))


def listagg(col: Any, delimiter: Any = None) -> Column:  # noqa: A002
    if delimiter is None:
        return _agg("listagg", col)
    return _agg("listagg", col, _v(delimiter))


def mode(col: Any, deterministic: bool = False) -> Column:  # noqa: A002
    return _agg("mode", col, lit(bool(deterministic)))


def regr_count(y: Any, x: Any) -> Column:
    return _agg("regr_count", y, _c(x))


def regr_avgx(y: Any, x: Any) -> Column:
    return _agg("regr_avgx", y, _c(x))


def regr_avgy(y: Any, x: Any) -> Column:
    return _agg("regr_avgy", y, _c(x))


def skewness(col: Any) -> Column:  # noqa: A002
    return _agg("skewness", col)


def kurtosis(col: Any) -> Column:  # noqa: A002
    return _agg("kurtosis", col)


def bit_and(col: Any) -> Column:  # noqa: A002
    return _agg("bit_and", col)


def bit_or(col: Any) -> Column:  # noqa: A002
    return _agg("bit_or", col)


def bit_xor(col: Any) -> Column:  # noqa: A002
    return _agg("bit_xor", col)
