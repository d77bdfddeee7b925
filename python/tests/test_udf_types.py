"""Every Arrow type as a UDF argument and as its return type, including the ones PySpark's Arrow
path refused (binary, maps, lists of timestamps, nested structs): an identity UDF of each kind
must give back exactly what went in, and a function that transforms values must match the same
function applied by pandas/Python to the same data."""

from __future__ import annotations

import datetime
import decimal

import pandas as pd
import pyarrow as pa
import pytest

from quiver.sql import functions as F

UTC = datetime.timezone.utc

# name -> (arrow type, values with a null)
CASES = {
    "boolean": (pa.bool_(), [True, None, False]),
    "tinyint": (pa.int8(), [1, None, -128]),
    "smallint": (pa.int16(), [1, None, 32767]),
    "int": (pa.int32(), [1, None, -7]),
    "bigint": (pa.int64(), [1, None, 1 << 60]),
    "float": (pa.float32(), [1.5, None, -2.25]),
    "double": (pa.float64(), [1.5, None, 1e300]),
    "string": (pa.string(), ["a", None, "ünï"]),
    "binary": (pa.binary(), [b"\x00\x01", None, b""]),
    "decimal": (pa.decimal128(20, 4), [decimal.Decimal("1.2345"), None, decimal.Decimal("-99999.0001")]),
    "date": (pa.date32(), [datetime.date(2024, 2, 29), None, datetime.date(1969, 12, 31)]),
    "timestamp_tz": (pa.timestamp("us", tz="UTC"), [datetime.datetime(2024, 1, 1, 12, 30, tzinfo=UTC), None,
                                                     datetime.datetime(1960, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)]),
    "timestamp_ntz": (pa.timestamp("us"), [datetime.datetime(2024, 1, 1, 12, 30), None, datetime.datetime(2000, 1, 1)]),
    "list_int": (pa.list_(pa.int64()), [[1, 2], None, []]),
    "list_timestamp": (pa.list_(pa.timestamp("us", tz="UTC")), [[datetime.datetime(2024, 1, 1, tzinfo=UTC)], None, []]),
    "struct": (pa.struct([("a", pa.int64()), ("b", pa.string())]), [{"a": 1, "b": "x"}, None, {"a": None, "b": "y"}]),
    "nested_struct": (pa.struct([("s", pa.struct([("x", pa.float64())])), ("l", pa.list_(pa.int32()))]),
                      [{"s": {"x": 1.5}, "l": [1]}, None, {"s": None, "l": None}]),
    "map": (pa.map_(pa.string(), pa.int64()), [[("a", 1), ("b", 2)], None, []]),
}


@pytest.fixture(scope="module")
def typed(spark):
    arrays = {name: pa.array(values, type=t) for name, (t, values) in CASES.items()}
    table = pa.table(arrays)
    return table, spark.createDataFrame(table.to_pandas(types_mapper=pd.ArrowDtype))


def _normalize(values: list) -> list:
    # Arrow maps come back as lists of pairs; compare them as such.
    return [list(v) if isinstance(v, tuple) else v for v in values]


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("kind", ["pickled", "arrow_row", "pandas"])
def test_identity_round_trip(typed, name, kind):
    table, df = typed
    t = CASES[name][0]
    if kind == "pandas":
        # A struct argument arrives as a DataFrame; returning it gives the struct back.
        f = F.pandas_udf(lambda s: s, t, F.PandasUDFType.SCALAR)
    else:
        f = F.udf(lambda x: x, t, useArrow=(kind == "arrow_row"))
    out = df.select(f(name).alias("r")).toArrow()
    got = out.column("r").combine_chunks()
    assert got.type == t, f"{kind} {name}: type {got.type}, want {t}"
    want = table.column(name).to_pylist()
    if kind == "pandas" and pa.types.is_struct(t):
        # A struct argument reaches a pandas UDF as a DataFrame (as in PySpark), which has no
        # notion of a null row: a null struct comes back as a struct of nulls.
        want = [{f.name: None for f in t} if v is None else v for v in want]
    assert _normalize(got.to_pylist()) == _normalize(want), f"{kind} {name}"


def test_transforming_values_matches_python(typed):
    table, df = typed

    @F.udf("array<timestamp>", useArrow=True)
    def shift(ts):
        return None if ts is None else [t + datetime.timedelta(days=1) for t in ts]

    @F.pandas_udf("map<string,bigint>")
    def bump(m: pd.Series) -> pd.Series:
        return m.map(lambda pairs: None if pairs is None else [(k, v + 1) for k, v in pairs])

    @F.pandas_udf("decimal(20,4)")
    def dec_double(d: pd.Series) -> pd.Series:
        return d.map(lambda x: None if x is None else x * 2)

    @F.udf("binary")
    def rev(b):
        return None if b is None else bytes(reversed(b))

    out = df.select(shift("list_timestamp").alias("a"), bump("map").alias("b"), dec_double("decimal").alias("c"),
                    rev("binary").alias("d")).toArrow()
    src = table.to_pydict()
    assert out.column("a").to_pylist() == [None if v is None else [t + datetime.timedelta(days=1) for t in v] for v in src["list_timestamp"]]
    assert _normalize(out.column("b").to_pylist()) == [None if v is None else [(k, x + 1) for k, x in v] for v in src["map"]]
    assert out.column("c").to_pylist() == [None if v is None else v * 2 for v in src["decimal"]]
    assert out.column("d").to_pylist() == [None if v is None else bytes(reversed(v)) for v in src["binary"]]
