"""Stacked UDFs (udf1(udf2(x))) and several UDFs in one select run in one worker round trip, as
Spark chains Python functions; results are compared with plain pandas / Python on the same data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quiver.sql import functions as F


@pytest.fixture(scope="module")
def data(spark):
    rng = np.random.default_rng(11)
    n = 2500
    pdf = pd.DataFrame({"id": np.arange(n, dtype="int64"), "v": rng.normal(size=n), "w": rng.normal(size=n)})
    return pdf, spark.createDataFrame(pdf)


def _python_evals(df) -> list[str]:
    plan = df._explain_string(mode="simple")
    return [line for line in plan.splitlines() if "EvalPython" in line]


def test_stacked_pandas_udfs_run_as_one_chain(data):
    pdf, df = data

    @F.pandas_udf("double")
    def double(v: pd.Series) -> pd.Series:
        return v * 2

    @F.pandas_udf("double")
    def plus_one(v: pd.Series) -> pd.Series:
        return v + 1

    @F.pandas_udf("long")
    def rounded(v: pd.Series) -> pd.Series:
        return v.round().astype("int64")

    out = df.select("id", rounded(plus_one(double("v"))).alias("r"), plus_one("w").alias("p"))
    evals = _python_evals(out)
    assert len(evals) == 1, evals  # one node: one round trip per batch for the chain and the other call
    got = out.toPandas().sort_values("id").reset_index(drop=True)
    expected = (pdf.v * 2 + 1).round().astype("int64")
    assert got.r.tolist() == expected.tolist()
    np.testing.assert_allclose(got.p.to_numpy(), (pdf.w + 1).to_numpy())


@pytest.mark.parametrize("use_arrow", [False, True])
def test_stacked_row_udfs_run_as_one_chain(data, use_arrow):
    pdf, df = data
    inner = F.udf(lambda v: None if v < -1 else v * 3, "double", useArrow=use_arrow)
    # The inner result reaches the outer function as the Python object it returned (None here).
    outer = F.udf(lambda v: "none" if v is None else f"{v:.3f}", "string", useArrow=use_arrow)
    out = df.select("id", outer(inner("v")).alias("s"))
    assert len(_python_evals(out)) == 1
    got = out.toPandas().sort_values("id").s.tolist()
    expected = ["none" if v < -1 else f"{v * 3:.3f}" for v in pdf.v]
    assert got == expected


def test_stack_of_different_eval_types_runs_level_by_level(data):
    pdf, df = data

    @F.pandas_udf("double")
    def halve(v: pd.Series) -> pd.Series:
        return v / 2

    square = F.udf(lambda v: v * v, "double")
    out = df.select("id", square(halve("v")).alias("r"))
    assert len(_python_evals(out)) == 2
    got = out.toPandas().sort_values("id").r.to_numpy()
    np.testing.assert_allclose(got, ((pdf.v / 2) ** 2).to_numpy())


def test_chain_over_two_arguments_and_failure_names_the_function(data):
    pdf, df = data

    @F.pandas_udf("double")
    def add(a: pd.Series, b: pd.Series) -> pd.Series:
        return a + b

    @F.pandas_udf("double")
    def neg(v: pd.Series) -> pd.Series:
        return -v

    got = df.select("id", neg(add("v", "w")).alias("r")).toPandas().sort_values("id").r.to_numpy()
    np.testing.assert_allclose(got, -(pdf.v + pdf.w).to_numpy())

    @F.pandas_udf("double")
    def broken(v: pd.Series) -> pd.Series:
        raise ArithmeticError("broken on purpose")

    with pytest.raises(Exception) as info:
        df.select(neg(broken("v"))).collect()
    assert "broken on purpose" in str(info.value)
    assert math.isfinite(df.select(neg("v").alias("x")).agg(F.sum("x")).collect()[0][0])  # the server keeps serving
