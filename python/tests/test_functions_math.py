"""Arithmetic, conditionals and math functions against independent references (numpy, Python's
decimal and math modules)."""

import decimal
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from quiver.sql import functions as F

NAN = float("nan")


@pytest.fixture(scope="module")
def nums(spark):
    # A pyarrow table keeps NaN and null apart (pandas would turn None into NaN in a float column).
    table = pa.table({
        "a": pa.array([7, -7, 0, None, 13, -2147483648], pa.int32()),
        "b": pa.array([3, 3, 5, 2, None, -1], pa.int32()),
        "x": pa.array([2.5, -2.5, NAN, None, 1.005, 2.675], pa.float64()),
        "y": pa.array([1.0, NAN, NAN, 4.0, None, -0.0], pa.float64()),
    })
    pdf = table.to_pandas()
    return pdf, spark.createDataFrame(table)


def java_mod(a, b):
    if a is None or b is None or b == 0:
        return None
    return int(math.fmod(a, b))


def test_mod_and_pmod_follow_java(nums):
    pdf, df = nums
    got = df.select((F.col("a") % F.col("b")).alias("m"), F.pmod("a", "b").alias("p")).toPandas()
    want_m = [java_mod(a, b) for a, b in zip(pdf.a.astype(object).where(pdf.a.notna(), None),
                                             pdf.b.astype(object).where(pdf.b.notna(), None))]
    assert [None if pd.isna(v) else int(v) for v in got.m] == want_m
    want_p = [None if m is None else (m + b) % b if m < 0 else m for m, b in zip(want_m, pdf.b.astype(object))]
    assert [None if pd.isna(v) else int(v) for v in got.p] == want_p


def test_mod_by_zero_raises_in_ansi(spark):
    df = spark.createDataFrame(pd.DataFrame({"a": [1, 2], "b": [1, 0]}))
    with pytest.raises(Exception, match="DIVIDE_BY_ZERO"):
        df.select(F.col("a") % F.col("b")).toPandas()


def test_column_names_match_spark(nums):
    _, df = nums
    cols = df.select(F.col("a") % 2, F.round("x", 2), F.coalesce("a", "b"), F.sqrt("x"), F.abs("a"),
                     F.when(F.col("a") > 1, "big").otherwise("small"), F.log("x"), F.pow("x", 2),
                     F.ceil("x"), F.greatest("a", "b")).columns
    assert cols == ["(a % 2)", "round(x, 2)", "coalesce(a, b)", "SQRT(x)", "abs(a)",
                    "CASE WHEN (a > 1) THEN big ELSE small END", "LOG(E(), x)", "POWER(x, 2)",
                    "CEIL(x)", "greatest(a, b)"]


def test_round_is_half_up_on_decimal_text(nums):
    pdf, df = nums
    got = df.select(F.round("x", 2).alias("r"), F.round("x").alias("r0"), F.bround("x").alias("b0")).toPandas()
    for x, r, r0, b0 in zip([2.5, -2.5, NAN, None, 1.005, 2.675], got.r, got.r0, got.b0):
        if x is None:
            assert pd.isna(r)
            continue
        if math.isnan(x):
            assert math.isnan(r)
            continue
        d = decimal.Decimal(repr(x))
        assert r == float(d.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP))
        assert r0 == float(d.quantize(decimal.Decimal("1"), rounding=decimal.ROUND_HALF_UP))
        assert b0 == float(d.quantize(decimal.Decimal("1"), rounding=decimal.ROUND_HALF_EVEN))


def test_round_negative_scale_on_ints(spark):
    df = spark.createDataFrame(pd.DataFrame({"v": [1234, 1250, -1250, 15, -15]}))
    got = df.select(F.round("v", -2).alias("r")).toPandas().r.tolist()
    want = [int(decimal.Decimal(v).quantize(decimal.Decimal("1E2"), rounding=decimal.ROUND_HALF_UP)) for v in [1234, 1250, -1250, 15, -15]]
    assert got == want


def test_nan_semantics(nums):
    pdf, df = nums
    got = df.select((F.col("x") == F.col("y")).alias("eq"), (F.col("x") > F.col("y")).alias("gt"),
                    F.isnan("x").alias("isnan"), F.nanvl("x", F.lit(0.0)).alias("nv")).toPandas()

    def cmp(a, b):  # Spark: NaN equals NaN and is larger than anything
        if a is None or b is None or pd.isna(a) and not (isinstance(a, float) and math.isnan(a)):
            return None
        an, bn = math.isnan(a), math.isnan(b)
        if an and bn:
            return 0
        if an:
            return 1
        if bn:
            return -1
        return (a > b) - (a < b)

    xs = [None if v is None else v for v in pdf.x.tolist()]
    ys = pdf.y.tolist()
    for i, (a, b) in enumerate(zip([2.5, -2.5, NAN, None, 1.005, 2.675], [1.0, NAN, NAN, 4.0, None, -0.0])):
        c = None if a is None or b is None else cmp(a, b)
        assert (pd.isna(got["eq"][i]) if c is None else got["eq"][i] == (c == 0))
        assert (pd.isna(got["gt"][i]) if c is None else got["gt"][i] == (c > 0))
        assert got.isnan[i] == (a is not None and math.isnan(a))
    assert got.nv.isna().tolist() == [a is None for a in [2.5, -2.5, NAN, None, 1.005, 2.675]]
    assert got.nv[2] == 0.0
    del xs, ys


def test_when_is_lazy_and_typed(spark):
    df = spark.createDataFrame(pd.DataFrame({"x": [0, 2, 4, None]}, dtype="Int64"))
    got = df.select(F.when(F.col("x") == 0, F.lit(-1.0)).when(F.col("x") > 3, 100).otherwise(F.lit(10) / F.col("x")).alias("v")).toPandas()
    assert got.v.tolist()[:3] == [-1.0, 5.0, 100.0]
    # x is null: the conditions are null (false), so the ELSE branch gives 10 / null = null
    assert pd.isna(got.v[3])
    none = df.select(F.when(F.col("x") > 100, 1).alias("w")).toPandas()
    assert none.w.isna().all()


def test_coalesce_nvl_nullif_greatest(nums):
    pdf, df = nums
    got = df.select(F.coalesce("a", "b", F.lit(0)).alias("c"), F.nvl2("a", F.lit(1), F.lit(2)).alias("n2"),
                    F.nullif("a", "b").alias("ni"), F.greatest("a", "b").alias("g"), F.least("x", "y").alias("l")).toPandas()
    a = [None if pd.isna(v) else int(v) for v in pdf.a]
    b = [None if pd.isna(v) else int(v) for v in pdf.b]
    assert got.c.tolist() == [x if x is not None else (y if y is not None else 0) for x, y in zip(a, b)]
    assert got.n2.tolist() == [1 if x is not None else 2 for x in a]
    assert [None if pd.isna(v) else int(v) for v in got.ni] == [None if x is None or x == y else x for x, y in zip(a, b)]
    assert [None if pd.isna(v) else int(v) for v in got.g] == [max([v for v in (x, y) if v is not None], default=None) for x, y in zip(a, b)]
    # least with NaN: NaN is the largest value, nulls are skipped
    want_l = []
    for x, y in zip([2.5, -2.5, NAN, None, 1.005, 2.675], [1.0, NAN, NAN, 4.0, None, -0.0]):
        vals = [v for v in (x, y) if v is not None]
        want_l.append(min(vals, key=lambda v: (math.isnan(v), v)) if vals else None)
    for g, w in zip(got.l, want_l):
        assert (math.isnan(g) and math.isnan(w)) or g == w


def test_isin_three_valued(spark):
    df = spark.createDataFrame(pd.DataFrame({"v": pd.array([1, 2, None], dtype="Int64")}))
    got = df.select(F.col("v").isin(1, 3).alias("a"), F.col("v").isin(1, None).alias("b")).toPandas()
    assert [None if pd.isna(v) else bool(v) for v in got.a] == [True, False, None]
    assert [None if pd.isna(v) else bool(v) for v in got.b] == [True, None, None]


def test_unary_math_matches_numpy(spark):
    xs = np.array([0.5, 1.0, 2.0, 10.0, 0.0, -1.0])
    df = spark.createDataFrame(pd.DataFrame({"x": xs}))
    got = df.select(F.sqrt("x").alias("sqrt"), F.exp("x").alias("exp"), F.log10("x").alias("log10"),
                    F.log("x").alias("ln"), F.log(2.0, "x").alias("log2b"), F.log1p("x").alias("log1p"),
                    F.sin("x").alias("sin"), F.signum("x").alias("sg"), F.floor("x").alias("fl"),
                    F.ceil("x").alias("ce"), F.pow("x", 3).alias("p")).toPandas()
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(got.sqrt, np.sqrt(xs))
        np.testing.assert_allclose(got.exp, np.exp(xs))
        # Spark: the logarithm of a value <= 0 is null, not -inf or NaN
        np.testing.assert_allclose(got.log10.astype(float), np.where(xs > 0, np.log10(xs), np.nan))
        np.testing.assert_allclose(got.ln.astype(float), np.where(xs > 0, np.log(xs), np.nan))
        np.testing.assert_allclose(got.log2b.astype(float), np.where(xs > 0, np.log2(xs), np.nan))
        np.testing.assert_allclose(got.log1p.astype(float), np.where(xs > -1, np.log1p(xs), np.nan))
    np.testing.assert_allclose(got.sin, np.sin(xs))
    np.testing.assert_allclose(got.sg, np.sign(xs))
    assert got.fl.dtype == np.int64 and got.fl.tolist() == np.floor(xs).astype(int).tolist()
    assert got.ce.tolist() == np.ceil(xs).astype(int).tolist()
    np.testing.assert_allclose(got.p, xs ** 3)


def test_int_overflow_ansi_and_try(spark):
    df = spark.createDataFrame(pd.DataFrame({"a": np.array([2**62, 1], dtype=np.int64)}))
    with pytest.raises(Exception, match="ARITHMETIC_OVERFLOW"):
        df.select(F.col("a") * 4).toPandas()
    got = df.select(F.try_multiply("a", F.lit(4)).alias("m"), F.try_divide("a", F.lit(0)).alias("d")).toPandas()
    assert pd.isna(got.m[0]) and got.m[1] == 4
    assert got.d.isna().all()


def test_try_add_overflow_is_null(spark):
    df = spark.createDataFrame(pd.DataFrame({"a": np.array([2**62, 1], dtype=np.int64)}))
    got = df.select(F.try_add("a", "a").alias("s")).toPandas()
    assert pd.isna(got.s[0]) and got.s[1] == 2


def test_bitwise_and_shifts(spark):
    a = np.array([12, -7, 0, 255], dtype=np.int32)
    b = np.array([10, 3, 1, 15], dtype=np.int32)
    df = spark.createDataFrame(pd.DataFrame({"a": a, "b": b}))
    got = df.select(F.col("a").bitwiseAND(F.col("b")).alias("and_"), F.col("a").bitwiseOR(F.col("b")).alias("or_"),
                    F.col("a").bitwiseXOR(F.col("b")).alias("xor_"), F.bitwise_not("a").alias("not_"),
                    F.shiftleft("a", 33).alias("sl"), F.shiftright("a", 1).alias("sr"),
                    F.shiftrightunsigned("a", 28).alias("sru")).toPandas()
    assert got.and_.tolist() == (a & b).tolist()
    assert got.or_.tolist() == (a | b).tolist()
    assert got.xor_.tolist() == (a ^ b).tolist()
    assert got.not_.tolist() == (~a).tolist()
    assert got.sl.tolist() == (a << 1).tolist()  # Java masks the count: 33 & 31 == 1
    assert got.sr.tolist() == (a >> 1).tolist()
    assert got.sru.tolist() == (a.view(np.uint32) >> 28).astype(np.int32).tolist()


def test_decimal_arithmetic_matches_python_decimal(spark):
    D = decimal.Decimal
    vals = [D("1.25"), D("-3.10"), D("100.00"), None]
    other = [D("0.3"), D("7.0"), D("0.0"), D("1.5")]
    df = spark.createDataFrame(pd.DataFrame({"p": vals, "q": other}), "p decimal(10,2), q decimal(5,1)")
    got = df.select((F.col("p") + F.col("q")).alias("s"), (F.col("p") * F.col("q")).alias("m"),
                    F.try_divide("p", "q").alias("d")).toArrow()
    assert str(got.schema.field("s").type) == "decimal128(11, 2)"
    assert str(got.schema.field("m").type) == "decimal128(16, 3)"
    assert str(got.schema.field("d").type) == "decimal128(17, 8)"  # Spark: max(6, s1 + p2 + 1) = 8
    ctx = decimal.Context(prec=50, rounding=decimal.ROUND_HALF_UP)
    for i, (p, q) in enumerate(zip(vals, other)):
        s, m, d = (got.column(c)[i].as_py() for c in ("s", "m", "d"))
        if p is None:
            assert s is None and m is None and d is None
            continue
        assert s == p + q and m == ctx.multiply(p, q)
        if q == 0:
            assert d is None
        else:
            assert d == ctx.divide(p, q).quantize(D("1E-8"), rounding=decimal.ROUND_HALF_UP)
