"""Scalar pandas UDF results computed straight into the result ring (python/quiver/_result_allocator.py,
decision 0026, amendment "results computed in place").

While a scalar pandas UDF is called once over a whole message, the worker's numpy allocates the
first array of exactly the result's size at the message's region of the result ring. When the UDF
returns that array and nothing else keeps it, the executor reads it there without a copy; when
the UDF keeps it (or a temporary of that size), the region stays the UDF's and the result is
copied into another one. Every answer is compared with pandas on the same data, and the arrays a
UDF keeps must never be overwritten by later messages."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from quiver.sql import functions as F

pytestmark = pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="no /dev/shm here")

ROWS = 3_000_000  # several messages of 524,288 rows: more than the 16 MiB ring holds at once


@pytest.fixture(scope="module")
def data(spark):
    rng = np.random.default_rng(7)
    v = rng.normal(size=ROWS)
    v[::997] = np.nan
    pdf = pd.DataFrame({"id": np.arange(ROWS, dtype="int64"), "v": v})
    return pdf, spark.createDataFrame(pdf)


def _sorted(frame) -> pd.DataFrame:
    return frame.toPandas().sort_values("id").reset_index(drop=True)


def test_the_result_is_computed_in_the_ring_and_equals_pandas(data):
    pdf, df = data

    @F.pandas_udf("double")
    def where_computed(v: pd.Series) -> pd.Series:
        out = v + 1
        values = out.to_numpy()
        from numpy._core import multiarray

        address = values.__array_interface__["data"][0]
        in_ring = 0.0
        with open("/proc/self/maps") as maps:
            for line in maps:
                low, high = (int(x, 16) for x in line.split()[0].split("-"))
                if low <= address < high and "quiver-udf" in line:
                    in_ring = 1.0
        owner = values
        while isinstance(owner.base, np.ndarray):  # a view names no handler; its owner does
            owner = owner.base
        if multiarray.get_handler_name(owner) != "quiver_result_ring":
            in_ring = 0.0
        out[:] = in_ring  # in place: the same array is the result
        return out

    @F.pandas_udf("double")
    def plus_one(v: pd.Series) -> pd.Series:
        return v + 1

    # One UDF per query: a task calling several functions gathers their results as before.
    got = _sorted(df.select("id", where_computed("v").alias("w")))
    assert (got.w == 1.0).all()
    got = _sorted(df.select("id", plus_one("v").alias("p")))
    np.testing.assert_array_equal(got.p.to_numpy(dtype="float64"), (pdf.v + 1).to_numpy())
    assert got.p.isna().sum() == pdf.v.isna().sum()  # NaN became null, as from_pandas does

    for declared, dtype in [("float", "float32"), ("long", "int64"), ("int", "int32"), ("short", "int16")]:
        @F.pandas_udf(declared)
        def scaled(i: pd.Series) -> pd.Series:
            return (i % 1000).astype(dtype) * 3

        got = _sorted(df.select("id", scaled("id").alias("s")))
        np.testing.assert_array_equal(got.s.to_numpy(), ((pdf.id % 1000).astype(dtype) * 3).to_numpy())


def test_results_the_udf_keeps_are_never_overwritten(data, spark):
    pdf, df = data

    @F.pandas_udf("double")
    def keeps_results(v: pd.Series) -> pd.Series:
        import sys

        kept = sys.__dict__.setdefault("_quiver_test_kept_results", [])
        for array, copy in kept:  # every earlier result still holds its values
            if not np.array_equal(array, copy, equal_nan=True):
                raise AssertionError("a kept result was overwritten")
        out = v + 1  # placed in the ring, and kept
        values = out.to_numpy()
        kept.append((values, values.copy()))
        return out

    for _ in range(2):  # a worker's share of one run fits its ring; the second goes round it
        got = _sorted(df.select("id", keeps_results("v").alias("r")))
        np.testing.assert_array_equal(got.r.to_numpy(dtype="float64"), (pdf.v + 1).to_numpy())

    # The ring is usable again once the UDF lets go, and later answers are right.
    @F.pandas_udf("double")
    def lets_go(v: pd.Series) -> pd.Series:
        import sys

        sys.__dict__.pop("_quiver_test_kept_results", None)
        sys.__dict__.pop("_quiver_test_kept_temporaries", None)
        return v - 1

    _let_go(spark)
    for _ in range(2):
        got = _sorted(df.select("id", lets_go("v").alias("r")))
        np.testing.assert_array_equal(got.r.to_numpy(dtype="float64"), (pdf.v - 1).to_numpy())


def _let_go(spark) -> None:
    """Drops what the UDFs above kept, in every worker (many small tasks reach them all)."""

    @F.pandas_udf("long")
    def forget(v: pd.Series) -> pd.Series:
        import sys

        sys.__dict__.pop("_quiver_test_kept_results", None)
        sys.__dict__.pop("_quiver_test_kept_temporaries", None)
        return v

    spark.range(0, 64_000, 1, 16).select(forget("id")).collect()


def test_a_kept_temporary_of_the_result_size_is_left_alone(data, spark):
    pdf, df = data

    @F.pandas_udf("double")
    def keeps_temporary(v: pd.Series) -> pd.Series:
        import sys

        temporaries = sys.__dict__.setdefault("_quiver_test_kept_temporaries", [])
        for array, copy in temporaries:
            if not np.array_equal(array, copy, equal_nan=True):
                raise AssertionError("a kept temporary was overwritten")
        first = (v + 10).to_numpy()  # the first array of the result's size: placed in the ring
        temporaries.append((first, first.copy()))
        return pd.Series(first * 3)

    got = _sorted(df.select("id", keeps_temporary("v").alias("r")))
    np.testing.assert_array_equal(got.r.to_numpy(dtype="float64"), ((pdf.v + 10) * 3).to_numpy())
    _let_go(spark)


def test_many_temporaries_and_many_small_arrays(data):
    pdf, df = data

    @F.pandas_udf("double")
    def cdf(v: pd.Series) -> pd.Series:
        x = v.to_numpy()
        z = np.abs(x) / np.sqrt(2.0)
        t = 1.0 / (1.0 + 0.3275911 * z)
        poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
        return pd.Series(0.5 * (1.0 + np.sign(x) * (1.0 - poly * np.exp(-z * z))))

    @F.pandas_udf("double")
    def small_arrays(v: pd.Series) -> pd.Series:
        # Many small allocations: the allocator steps aside after a few dozen of them.
        parts = [np.asarray(v.to_numpy()[i:i + 1000]) + 2 for i in range(0, len(v), 1000)]
        return pd.Series(np.concatenate(parts))

    got = _sorted(df.select("id", cdf("v").alias("c"), small_arrays("v").alias("s")))
    x = pdf.v.to_numpy()
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    np.testing.assert_array_equal(got.c.to_numpy(dtype="float64"), 0.5 * (1.0 + np.sign(x) * (1.0 - poly * np.exp(-z * z))))
    np.testing.assert_array_equal(got.s.to_numpy(dtype="float64"), x + 2)


def test_an_exception_after_allocating_leaves_the_worker_usable(data, spark):
    pdf, df = data

    @F.pandas_udf("double")
    def fails(v: pd.Series) -> pd.Series:
        out = v + 1  # placed in the ring; the traceback keeps it
        raise ValueError(f"refused {len(out)} rows")

    with pytest.raises(Exception, match="refused"):
        df.select(fails("v").alias("r")).agg(F.sum("r")).collect()

    @F.pandas_udf("double")
    def plus_one(v: pd.Series) -> pd.Series:
        return v + 1

    total = df.select(plus_one("v").alias("r")).agg(F.sum("r").alias("s")).collect()[0]["s"]
    assert total == pytest.approx(float((pdf.v + 1).sum()), rel=1e-12)
