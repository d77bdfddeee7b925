"""Window sum/avg over decimals are exact, with Spark's result types (sum: decimal(p+10,s), avg:
decimal(p+4,s+4), HALF_UP). Expected rows were recorded from PySpark 4.3.0 (local[1]) running
the same program; float64 arithmetic gets the 16-digit rows wrong."""

from __future__ import annotations

from decimal import Decimal

from quiver.sql import Window, functions as F

D = Decimal

EXPECTED_SCHEMA = "struct<g:string,t:int,s:decimal(28,2),a:decimal(22,6),pa:decimal(22,6),s3:decimal(28,2),a3:decimal(22,6)>"
EXPECTED = [
    ('a', 1, Decimal('0.10'), Decimal('0.100000'), Decimal('3086419.800000'), Decimal('0.30'), Decimal('0.150000')),
    ('a', 2, Decimal('0.30'), Decimal('0.150000'), Decimal('3086419.800000'), Decimal('12345679.21'), Decimal('4115226.403333')),
    ('a', 3, Decimal('12345679.21'), Decimal('4115226.403333'), Decimal('3086419.800000'), Decimal('12345679.11'), Decimal('6172839.555000')),
    ('a', 4, Decimal('12345679.21'), Decimal('4115226.403333'), Decimal('3086419.800000'), Decimal('12345678.90'), Decimal('6172839.450000')),
    ('a', 5, Decimal('12345679.20'), Decimal('3086419.800000'), Decimal('3086419.800000'), Decimal('-0.01'), Decimal('-0.010000')),
    ('b', 1, Decimal('99999999.99'), Decimal('99999999.990000'), Decimal('66666666.663333'), Decimal('199999999.98'), Decimal('99999999.990000')),
    ('b', 2, Decimal('199999999.98'), Decimal('99999999.990000'), Decimal('66666666.663333'), Decimal('199999999.99'), Decimal('66666666.663333')),
    ('b', 3, Decimal('199999999.99'), Decimal('66666666.663333'), Decimal('66666666.663333'), Decimal('100000000.00'), Decimal('50000000.000000')),
    ('c', 1, None, None, None, None, None),
    ('d', 1, Decimal('1234567890123456.78'), Decimal('1234567890123456.780000'), Decimal('0.006667'), Decimal('1234567890123456.79'), Decimal('617283945061728.395000')),
    ('d', 2, Decimal('1234567890123456.79'), Decimal('617283945061728.395000'), Decimal('0.006667'), Decimal('0.02'), Decimal('0.006667')),
    ('d', 3, Decimal('0.02'), Decimal('0.006667'), Decimal('0.006667'), Decimal('-1234567890123456.76'), Decimal('-617283945061728.380000')),
]


def test_decimal_window_sum_and_avg_match_pyspark(spark):
    rows = [("a", 1, D("0.10")), ("a", 2, D("0.20")), ("a", 3, D("12345678.91")), ("a", 4, None), ("a", 5, D("-0.01")),
            ("b", 1, D("99999999.99")), ("b", 2, D("99999999.99")), ("b", 3, D("0.01")), ("c", 1, None),
            ("d", 1, D("1234567890123456.78")), ("d", 2, D("0.01")), ("d", 3, D("-1234567890123456.77"))]
    df = spark.createDataFrame(rows, "g string, t int, v decimal(18,2)")
    w = Window.partitionBy("g").orderBy("t")
    out = df.select("g", "t", F.sum("v").over(w).alias("s"), F.avg("v").over(w).alias("a"),
                    F.avg("v").over(Window.partitionBy("g")).alias("pa"),
                    F.sum("v").over(w.rowsBetween(-1, 1)).alias("s3"),
                    F.avg("v").over(w.rowsBetween(-1, 1)).alias("a3")).orderBy("g", "t")
    assert out.schema.simpleString() == EXPECTED_SCHEMA
    assert [tuple(r) for r in out.collect()] == EXPECTED
