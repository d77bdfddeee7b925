"""A program printing show(), printSchema() and collect() output, run on PySpark and on Quiver.

`python python/tests/display_program.py` (with pyspark installed, e.g. /work/pyspark-venv or the
compat venv) rewrites golden/display_pyspark.txt from real PySpark; test_dataframe_basic.py runs the
same program on Quiver and compares the text exactly.
"""

import datetime
import decimal


def run(spark, Row, types):
    StructType, StructField, IntegerType = types.StructType, types.StructField, types.IntegerType  # noqa: F841

    def tryit(f):
        try:
            f()
        except Exception as e:
            text = str(e)
            print("ERR", text[: text.index("]") + 1] if "]" in text else type(e).__name__)
    tryit(lambda: print(spark.createDataFrame([(1,), ("a",)]).collect()))
    tryit(lambda: print(spark.createDataFrame([(True,), ("a",)]).collect()))
    tryit(lambda: print(spark.createDataFrame([(1.5,), ("a",)]).collect()))
    tryit(lambda: print(spark.createDataFrame([([],)]).collect()))
    df = spark.createDataFrame([
      (1, 1.5, "abc", True, decimal.Decimal("1.50"), datetime.date(2020,1,2), datetime.datetime(2020,1,2,3,4,5), datetime.datetime(2020,1,2,3,4,5,123000), b"ab", [1,2], {"a":1}, Row(x=1, y="s"), [None, 3], {"k": None}, 1e10, 1e-5, 123456789.0, float("nan"), float("inf"), 0.1, datetime.timedelta(days=1, seconds=3)),
      (None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None)],
      "i long, d double, s string, b boolean, dec decimal(10,2), dt date, ts timestamp, ts2 timestamp, bin binary, arr array<int>, m map<string,int>, st struct<x:int,y:string>, arr2 array<int>, m2 map<string,int>, big double, small double, mid double, nan double, inf double, pt1 double, iv interval day to second")
    df.show()
    df.show(truncate=False)
    df.show(vertical=True)
    df.show(1)
    df.printSchema()
    print(df.collect())
    print(df.dtypes)
    spark.createDataFrame([("a"*30, 1)], "s string, n int").show()
    spark.createDataFrame([("a"*30, 1)], "s string, n int").show(truncate=5)
    spark.createDataFrame([("a"*30, 1)], "s string, n int").show(truncate=3)
    spark.createDataFrame([], "s string, n int").show()
    spark.createDataFrame([], "s string, n int").show(vertical=True)
    spark.createDataFrame([(1.5,)], "f float").show()
    spark.createDataFrame([(1.1,)], "f float").show()
    spark.createDataFrame([(1.1,)], "f float").collect()
    print(spark.createDataFrame([(1.1,)], "f float").collect())
    spark.createDataFrame([("日本語", 1)], "s string, n int").show()
    spark.createDataFrame([(datetime.datetime(2020,1,2,3,4,5,100),)], "t timestamp_ntz").show(truncate=False)
    print(spark.createDataFrame([(datetime.datetime(2020,1,2,3,4,5,100),)], "t timestamp_ntz").collect())
    spark.createDataFrame([([[1,2],[3]], [Row(a=1)], {1: [1]})], "a array<array<int>>, b array<struct<a:int>>, c map<int,array<int>>").show()
    spark.createDataFrame([(1,)], "a tinyint").printSchema()
    spark.createDataFrame([(1, 2, 3)], "a tinyint, b smallint, c int").printSchema()
    spark.createDataFrame([(1, 2, 3)], "a tinyint, b smallint, c int").printSchema(level=1)
    spark.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
    try:
        spark.createDataFrame([(datetime.datetime(2020, 7, 1, 12, 0, tzinfo=datetime.timezone.utc),)], "t timestamp").show()
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.createDataFrame([(-1.5e-7, 3.0e20, -0.0, 100.0)], "a double, b double, c double, d float").show()
    spark.createDataFrame([(1, None)], "a int, b struct<x:int,y:array<string>>").show()
    spark.createDataFrame([(1, ("x", [None, "y"]))], "a int, b struct<x:string,y:array<string>>").show()
    spark.createDataFrame([(i, str(i) * i) for i in range(25)], "n int, s string").show()
    spark.createDataFrame([(i,) for i in range(3)], "n int").show(2, vertical=True)
    spark.createDataFrame([("long column value here",)], "a_rather_long_column_name_for_show string").show(truncate=10)


if __name__ == "__main__":
    import contextlib
    import pathlib

    from pyspark.sql import Row as PySparkRow
    from pyspark.sql import SparkSession
    from pyspark.sql import types as pyspark_types

    session = SparkSession.builder.master("local[1]").config("spark.sql.session.timeZone", "UTC").getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    out = pathlib.Path(__file__).parent / "golden" / "display_pyspark.txt"
    with open(out, "w") as f, contextlib.redirect_stdout(f):
        run(session, PySparkRow, pyspark_types)
    session.stop()
