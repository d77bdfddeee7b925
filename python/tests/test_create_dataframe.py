"""spark.createDataFrame(data, schema) for every input PySpark accepts, with PySpark's rules and errors.

The expected names, types and values follow pyspark.sql.session.createDataFrame and
pyspark.sql.types (_infer_schema, _merge_type, _make_type_verifier) of PySpark 4; the tests check
the values that come back from the server (collect/toPandas), so upload and inference are both covered.
"""

from __future__ import annotations

import collections
import datetime
import decimal

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pyarrow as pa
import pytest

from quiver.sql import Row
from quiver.sql import types as T


def test_tuples_get_positional_names_and_inferred_types(spark):
    df = spark.createDataFrame([(1, "a", 1.5, True), (2, None, None, False)])
    assert df.dtypes == [("_1", "bigint"), ("_2", "string"), ("_3", "double"), ("_4", "boolean")]
    assert df.collect() == [Row(_1=1, _2="a", _3=1.5, _4=True), Row(_1=2, _2=None, _3=None, _4=False)]


def test_column_names_replace_inferred_names(spark):
    df = spark.createDataFrame([(1, "a")], ["id", "name"])
    assert df.dtypes == [("id", "bigint"), ("name", "string")]
    # Names apply positionally even to dict rows, after the keys are sorted (as PySpark does).
    df = spark.createDataFrame([{"b": 1, "a": "x"}], ["first", "second"])
    assert df.collect() == [Row(first="x", second=1)]


def test_dict_rows_sort_their_keys_and_rows_keep_their_order(spark):
    assert spark.createDataFrame([{"b": 1, "a": "x"}, {"a": "y"}]).collect() == \
        [Row(a="x", b=1), Row(a="y", b=None)]
    assert spark.createDataFrame([Row(b=1, a="x")]).columns == ["b", "a"]
    Point = collections.namedtuple("Point", "x y")
    assert spark.createDataFrame([Point(1, 2.0)]).collect() == [Row(x=1, y=2.0)]


def test_nested_values_infer_arrays_maps_and_structs(spark):
    df = spark.createDataFrame([([1, None], {"k": 1.5}, Row(a=1, b="x"), (1, "t"), [[1], []])])
    assert df.dtypes == [("_1", "array<bigint>"), ("_2", "map<string,double>"), ("_3", "struct<a:bigint,b:string>"),
                         ("_4", "struct<_1:bigint,_2:string>"), ("_5", "array<array<bigint>>")]
    assert df.collect() == [Row(_1=[1, None], _2={"k": 1.5}, _3=Row(a=1, b="x"), _4=Row(_1=1, _2="t"), _5=[[1], []])]


def test_atomic_python_types(spark):
    values = (decimal.Decimal("1.5"), datetime.date(2020, 1, 1), datetime.datetime(2020, 1, 1, 1, 2, 3), b"ab",
              bytearray(b"c"), datetime.timedelta(seconds=3))
    df = spark.createDataFrame([values])
    assert [t for _, t in df.dtypes] == ["decimal(38,18)", "date", "timestamp", "binary", "binary",
                                         "interval day to second"]
    assert df.collect()[0] == (decimal.Decimal("1.5"), datetime.date(2020, 1, 1), datetime.datetime(2020, 1, 1, 1, 2, 3),
                               b"ab", b"c", datetime.timedelta(seconds=3))


def test_mixed_atomic_and_string_values_merge_to_string(spark):
    # PySpark 4 merges any atomic type with string into string and keeps the values' text.
    assert spark.createDataFrame([(1,), ("a",)]).collect() == [Row(_1="1"), Row(_1="a")]
    assert spark.createDataFrame([(True,), ("a",)]).collect() == [Row(_1="true"), Row(_1="a")]


def test_inference_errors(spark):
    with pytest.raises(TypeError, match=r"\[CANNOT_MERGE_TYPE\].*LongType.*DoubleType"):
        spark.createDataFrame([(1,), (1.5,)])
    with pytest.raises(ValueError, match=r"\[CANNOT_DETERMINE_TYPE\]"):
        spark.createDataFrame([(None, 1), (None, 2)])
    with pytest.raises(ValueError, match=r"\[CANNOT_DETERMINE_TYPE\]"):
        spark.createDataFrame([([],)])
    with pytest.raises(ValueError, match=r"\[CANNOT_INFER_EMPTY_SCHEMA\]"):
        spark.createDataFrame([])
    with pytest.raises(TypeError, match=r"\[CANNOT_INFER_SCHEMA_FOR_TYPE\]"):
        spark.createDataFrame([1, 2])
    with pytest.raises(TypeError, match=r"\[INVALID_TYPE\]"):
        spark.createDataFrame("not rows")


def test_ddl_struct_and_atomic_schemas(spark):
    ddl = spark.createDataFrame([(1, "a")], "a int, b string")
    struct = spark.createDataFrame([(1, "a")], T.StructType([T.StructField("a", T.IntegerType()),
                                                             T.StructField("b", T.StringType())]))
    assert ddl.dtypes == struct.dtypes == [("a", "int"), ("b", "string")]
    assert ddl.collect() == struct.collect() == [Row(a=1, b="a")]
    assert spark.createDataFrame([(1, 2)], "a: int, b: int").collect() == [Row(a=1, b=2)]
    assert spark.createDataFrame([1, 2, None], "int").collect() == [Row(value=1), Row(value=2), Row(value=None)]
    assert spark.createDataFrame(["x"], T.StringType()).dtypes == [("value", "string")]
    # dicts and Rows are matched to the schema by name.
    assert spark.createDataFrame([{"b": "x", "a": 1}, Row(b="y", a=2)], "a int, b string").collect() == \
        [Row(a=1, b="x"), Row(a=2, b="y")]


def test_nested_schema_values(spark):
    df = spark.createDataFrame([([1, 2], {"k": (1, "z")}, {"x": 1.5})],
                               "a array<tinyint>, m map<string,struct<p:int,q:string>>, s struct<x:double>")
    assert df.collect() == [Row(a=[1, 2], m={"k": Row(p=1, q="z")}, s=Row(x=1.5))]


def test_empty_data_with_a_schema(spark):
    df = spark.createDataFrame([], "a int, b array<string>")
    assert df.count() == 0 and df.collect() == []
    assert df.dtypes == [("a", "int"), ("b", "array<string>")]
    assert list(df.toPandas().columns) == ["a", "b"]
    empty = spark.createDataFrame(pd.DataFrame({"x": pd.Series([], dtype="float32")}))
    assert empty.dtypes == [("x", "float")] and empty.count() == 0


def test_verification_errors_name_the_field(spark):
    with pytest.raises(ValueError, match=r"\[LENGTH_SHOULD_BE_THE_SAME\].*got 3 and 2"):
        spark.createDataFrame([(1, "a", 3)], "a int, b string")
    with pytest.raises(TypeError, match=r"\[FIELD_DATA_TYPE_UNACCEPTABLE_WITH_NAME\] field a: IntegerType\(\) can not "
                                        r"accept object 'x' in type <class 'str'>"):
        spark.createDataFrame([("x", "a")], "a int, b string")
    with pytest.raises(TypeError, match=r"field b: DoubleType\(\) can not accept object 1"):
        spark.createDataFrame([(1, 1)], "a int, b double")
    with pytest.raises(ValueError, match=r"\[VALUE_OUT_OF_BOUNDS\] field a"):
        spark.createDataFrame([(2**40,)], "a int")
    with pytest.raises(ValueError, match=r"\[VALUE_OUT_OF_BOUNDS\]"):
        spark.createDataFrame([(128,)], "a tinyint")
    not_null = T.StructType([T.StructField("a", T.IntegerType(), nullable=False)])
    with pytest.raises(ValueError, match=r"\[FIELD_NOT_NULLABLE_WITH_NAME\] field a"):
        spark.createDataFrame([(None,)], not_null)
    with pytest.raises(TypeError, match=r"element in array field a"):
        spark.createDataFrame([(["x"],)], "a array<int>")
    with pytest.raises(TypeError, match="NOT_LIST_OR_NONE_OR_STRUCT"):
        spark.createDataFrame([(1,)], 42)
    with pytest.raises(ValueError, match="cannot parse"):
        spark.createDataFrame([(1,)], "a int,, b")


def test_verify_schema_false_lets_arrow_convert(spark):
    df = spark.createDataFrame([(1,)], "a double", verifySchema=False)
    assert df.collect() == [Row(a=1.0)]


def test_generators_and_numpy_scalars(spark):
    df = spark.createDataFrame(((i, np.int64(i) * 2) for i in range(3)), "a long, b long")
    assert df.collect() == [Row(a=0, b=0), Row(a=1, b=2), Row(a=2, b=4)]
    assert spark.createDataFrame([(np.float32(1.5), np.int16(3))]).dtypes == [("_1", "float"), ("_2", "smallint")]


def test_numpy_arrays(spark):
    assert spark.createDataFrame(np.array([[1, 2], [3, 4]])).collect() == [Row(_1=1, _2=2), Row(_1=3, _2=4)]
    assert spark.createDataFrame(np.array([1.5, 2.5])).collect() == [Row(value=1.5), Row(value=2.5)]
    assert spark.createDataFrame(np.array([[1], [2]])).columns == ["value"]
    assert spark.createDataFrame(np.array([[1, 2]]), ["x", "y"]).columns == ["x", "y"]
    assert spark.createDataFrame(np.array([[1, 2]]), "x int, y double").collect() == [Row(x=1, y=2.0)]
    with pytest.raises(ValueError, match="INVALID_NDARRAY_DIMENSION"):
        spark.createDataFrame(np.zeros((2, 2, 2)))


def test_pandas_with_schema_renames_and_casts(spark):
    pdf = pd.DataFrame({"a": [1, 2], "b": ["x", None]})
    got = spark.createDataFrame(pdf, "p int, q string")
    assert got.dtypes == [("p", "int"), ("q", "string")]
    pdt.assert_frame_equal(got.toPandas(), pd.DataFrame({"p": pd.Series([1, 2], dtype="int32"), "q": ["x", None]}))
    assert spark.createDataFrame(pdf, ["p", "q"]).columns == ["p", "q"]
    with pytest.raises(ValueError, match="LENGTH_SHOULD_BE_THE_SAME"):
        spark.createDataFrame(pdf, "p int")
    with pytest.raises(TypeError, match="does not fit the schema"):
        spark.createDataFrame(pd.DataFrame({"a": ["x"]}), "a int")


def test_pandas_duplicate_column_names_are_refused(spark):
    pdf = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(ValueError, match="duplicate column names"):
        spark.createDataFrame(pdf)


def test_arrow_tables_and_batches(spark):
    table = pa.table({"a": pa.array([1, 2], pa.int64()), "b": ["x", "y"]})
    assert spark.createDataFrame(table).toArrow().equals(table)
    assert spark.createDataFrame(table.to_batches()[0]).collect() == [Row(a=1, b="x"), Row(a=2, b="y")]
    cast = spark.createDataFrame(table, "p int, q string")
    assert cast.dtypes == [("p", "int"), ("q", "string")]
    with pytest.raises(TypeError, match="cannot be cast"):
        spark.createDataFrame(table, "p int, q int")
    assert spark.createDataFrame(table, ["p"]).columns == ["p", "b"]


def test_objects_with_attributes_are_structs(spark):
    class Point:
        def __init__(self, x, y):
            self.x, self.y = x, y

    assert spark.createDataFrame([Point(1, "a")]).collect() == [Row(x=1, y="a")]
