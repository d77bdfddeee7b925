"""Server errors reach Python as PySpark-named exceptions carrying the server's message."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from google.protobuf import any_pb2

from quiver import errors
from quiver.sql import functions as F
from quiver.v1 import commands_pb2, relations_pb2


@pytest.fixture(scope="module")
def amounts(spark):
    return spark.createDataFrame(pd.DataFrame({"id": [1, 2, 3], "amount": [10.0, 20.5, None], "ts": [1, 2, 3]}))


def test_unknown_column_is_analysis_exception_with_suggestion(amounts):
    with pytest.raises(errors.AnalysisException) as err:
        amounts.select("amout").toPandas()
    msg = str(err.value)
    assert "amout" in msg and "did you mean 'amount'" in msg and "id, amount, ts" in msg
    # The transport's decorations are stripped: the user sees the server's sentence.
    assert "gRPC" not in msg and "Flight returned" not in msg


def test_unknown_table_is_not_found(spark):
    with pytest.raises(errors.NotFoundException) as err:
        spark.table("no_such_view").collect()
    assert "no_such_view" in str(err.value)
    # NotFoundException is an AnalysisException, as a missing table is in PySpark.
    assert isinstance(err.value, errors.AnalysisException)


def test_released_dataframe_is_not_found(spark):
    df = spark.createDataFrame(pa.table({"x": [1, 2]}))
    dataframe_id = df._plan().root.read.named_table.unparsed_identifier
    spark._client.action("quiver.release", commands_pb2.ActionReleaseDataFrame(dataframe_id=dataframe_id))
    with pytest.raises(errors.NotFoundException) as err:
        df.collect()
    assert "released" in str(err.value)


def test_divide_by_zero_is_arithmetic_exception(spark):
    with pytest.raises(errors.ArithmeticException) as err:
        spark.range(5).select((F.col("id") / 0).alias("q")).collect()
    assert "DIVIDE_BY_ZERO" in str(err.value) and "try_divide" in str(err.value)


def test_overflow_is_arithmetic_exception(spark):
    big = 2**63 - 1
    df = spark.createDataFrame(pa.table({"x": pa.array([1, big, None], pa.int64())}))
    with pytest.raises(errors.ArithmeticException) as err:
        df.select(F.col("x") + 1).collect()
    assert "ARITHMETIC_OVERFLOW" in str(err.value)
    # A NULL where the overflow would be is not an error (the server ignores values under NULLs).
    ok = spark.createDataFrame(pa.table({"x": pa.array([1, None], pa.int64())}))
    assert [r[0] for r in ok.select(F.col("x") + 1).collect()] == [2, None]


def test_unsupported_relation_is_unsupported_operation(spark):
    ext = any_pb2.Any()
    ext.Pack(commands_pb2.ActionListDataFrames())
    plan = relations_pb2.Plan(root=relations_pb2.Relation(extension=ext))
    with pytest.raises(errors.UnsupportedOperationException) as err:
        spark._client.execute(plan)
    assert "not supported" in str(err.value)
    # It is a NotImplementedError too, as PySpark's missing features are.
    assert isinstance(err.value, NotImplementedError)


def test_malformed_plan_is_analysis_exception(spark):
    with pytest.raises(errors.AnalysisException) as err:
        spark._client.execute(relations_pb2.Plan(root=relations_pb2.Relation()))
    assert "no type" in str(err.value)


def test_server_keeps_serving_after_errors(spark, amounts):
    for _ in range(3):
        with pytest.raises(errors.AnalysisException):
            amounts.select("nope").collect()
    assert amounts.count() == 3


def test_translate_keeps_unknown_errors_readable():
    e = errors.translate(RuntimeError("something odd"))
    assert isinstance(e, errors.QuiverRuntimeError) and "something odd" in str(e)
