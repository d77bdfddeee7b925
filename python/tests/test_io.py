"""spark.read / df.write against independent readers and writers (pyarrow, pandas, DuckDB).

CSV schema inference follows PySpark 4's CSVInferSchema (inferSchema=true): every value is tried
as int, then bigint, double, date (yyyy-MM-dd, preferDate), timestamp (CAST syntax, session
time zone), boolean, and is a string otherwise; a column's type is the merge of its values'
types: int+bigint -> bigint, integers+double -> double, date+timestamp -> timestamp, any other
mix -> string; a column with only nulls is a string. JSON inference follows JsonInferSchema:
integers are bigint, other numbers double, objects are structs with fields sorted by name.
"""

from __future__ import annotations

import datetime
import decimal
import glob
import os

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from quiver.errors import AnalysisException, QuiverException
from quiver.sql import functions as F
from quiver.sql.types import IntegerType, StringType, StructField, StructType


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns), ignore_index=True, na_position="first")


def _all_types_table() -> pa.Table:
    return pa.table({
        "i8": pa.array([1, None, -128], pa.int8()),
        "i16": pa.array([1, None, 32767], pa.int16()),
        "i32": pa.array([1, None, -2**31], pa.int32()),
        "i64": pa.array([2**40, None, -1], pa.int64()),
        "f32": pa.array([1.5, None, 3.25], pa.float32()),
        "f64": pa.array([-2.25, None, float("inf")], pa.float64()),
        "b": pa.array([True, None, False]),
        "s": pa.array(["héllo", None, ""]),
        "bin": pa.array([b"\x00\x01", None, b""]),
        "d": pa.array([datetime.date(2020, 1, 1), None, datetime.date(1969, 12, 31)]),
        "ts": pa.array([datetime.datetime(2020, 1, 1, 12, 30, 1, 5), None, datetime.datetime(1960, 1, 1)], pa.timestamp("us", tz="UTC")),
        "ts_ntz": pa.array([datetime.datetime(2020, 1, 1, 12, 30), None, datetime.datetime(2000, 2, 29)], pa.timestamp("us")),
        "dec": pa.array([decimal.Decimal("12.34"), None, decimal.Decimal("-0.01")], pa.decimal128(10, 2)),
        "dec38": pa.array([decimal.Decimal("1234567890123456789012345678.0123456789"), None, decimal.Decimal("0")], pa.decimal128(38, 10)),
        "l": pa.array([[1, None, 3], None, []], pa.list_(pa.int32())),
        "st": pa.array([{"x": 1, "y": "a"}, None, {"x": None, "y": None}], pa.struct([("x", pa.int64()), ("y", pa.string())])),
        "m": pa.array([[("a", 1)], None, []], pa.map_(pa.string(), pa.int64())),
    })


def test_parquet_round_trip_every_type(spark, tmp_path):
    table = _all_types_table()
    path = str(tmp_path / "types")
    spark.createDataFrame(table).write.parquet(path)
    # pyarrow reads what Quiver wrote...
    written = pq.read_table(path)
    assert written.select(table.column_names).to_pylist() == table.to_pylist()
    for name in table.column_names:
        assert written.schema.field(name).type.equals(table.schema.field(name).type, check_metadata=False) or \
            (pa.types.is_list(table.schema.field(name).type) or pa.types.is_map(table.schema.field(name).type)), name
    # ...and Quiver reads back every value.
    back = spark.read.parquet(path).toArrow()
    assert back.to_pylist() == table.to_pylist()
    # DuckDB agrees on the scalar columns.
    con = duckdb.connect()
    got = con.sql(f"select i64, s, d, dec from read_parquet('{path}/*.parquet')").to_arrow_table().to_pylist()
    assert got == table.select(["i64", "s", "d", "dec"]).to_pylist()
    # NaN survives (compared apart: NaN != NaN in Python lists).
    nan_path = str(tmp_path / "nan")
    spark.createDataFrame(pa.table({"f": pa.array([float("nan"), 1.0])})).write.parquet(nan_path)
    f = spark.read.parquet(nan_path).toPandas()["f"]
    assert f.isna().tolist() == [True, False] and pq.read_table(nan_path).column("f").null_count == 0


def test_read_pyarrow_parquet_row_groups_and_files(spark, tmp_path):
    n = 5000
    t = pa.table({"id": pa.array(range(n), pa.int64()), "g": pa.array([f"g{i % 7}" for i in range(n)]),
                  "v": pa.array([i * 0.5 if i % 11 else None for i in range(n)])})
    d = tmp_path / "pa"
    d.mkdir()
    pq.write_table(t.slice(0, 3000), d / "part-0.parquet", row_group_size=500)
    pq.write_table(t.slice(3000), d / "part-1.parquet", row_group_size=500)
    (d / "_SUCCESS").write_text("")
    (d / ".hidden.parquet").write_text("garbage")
    df = spark.read.parquet(str(d))
    assert df.count() == n
    got = _sorted(df.toPandas())
    pd.testing.assert_frame_equal(got, _sorted(t.to_pandas()), check_dtype=False)
    # A glob and a list of files read the same rows.
    assert spark.read.parquet(str(d / "part-*.parquet")).count() == n
    assert spark.read.parquet(str(d / "part-0.parquet"), str(d / "part-1.parquet")).count() == n
    # Aggregation over the file scan agrees with DuckDB (runs once aggregates land).
    try:
        agg = df.groupBy("g").agg(F.sum("v").alias("s"), F.count("*").alias("c")).toPandas()
    except (NotImplementedError, QuiverException, AttributeError):
        return
    ref = duckdb.connect().execute(f"select g, sum(v) s, count(*) c from read_parquet('{d}/part-*.parquet') group by g").df()
    pd.testing.assert_frame_equal(_sorted(agg), _sorted(ref), check_dtype=False)


CSV_INFERENCE = """\
i,l,d,dt,ts,b,mixed,s,empty,spaced
1,3000000000,1.5,2020-01-02,2020-01-02 10:00:00,true,1,x,,1
2,1,2,2021-12-31,2020-01-02,false,true,y,, 2.5
,,,,,,,,,
"""


def test_csv_inference_follows_pyspark(spark, tmp_path):
    p = tmp_path / "infer.csv"
    p.write_text(CSV_INFERENCE)
    df = spark.read.csv(str(p), header=True, inferSchema=True)
    assert df.dtypes == [("i", "int"), ("l", "bigint"), ("d", "double"), ("dt", "date"), ("ts", "timestamp"),
                         ("b", "boolean"), ("mixed", "string"), ("s", "string"), ("empty", "string"),
                         ("spaced", "double")]
    got = df.toPandas()
    ref = pd.read_csv(p, dtype={"mixed": str, "empty": str})
    assert got["i"].tolist()[:2] == [1, 2] and pd.isna(got["i"][2])
    assert got["l"].tolist()[:2] == ref["l"].tolist()[:2]
    assert got["d"].tolist()[:2] == ref["d"].tolist()[:2]
    assert [str(x.date()) if hasattr(x, "date") else str(x) for x in got["dt"][:2]] == ref["dt"].tolist()[:2]
    assert got["mixed"].tolist()[:2] == ["1", "true"]
    assert got["spaced"].tolist()[:2] == [1.0, 2.5]
    # Without inferSchema every column is a string; without a header columns are _c0, _c1, ...
    plain = spark.read.csv(str(p))
    assert plain.columns[:3] == ["_c0", "_c1", "_c2"] and {t for _, t in plain.dtypes} == {"string"}
    assert plain.count() == 4


def test_csv_options(spark, tmp_path):
    p = tmp_path / "opts.csv"
    p.write_text("id|name|day|at\n"
                 "1|'a|b'|01/02/2020|2020-01-02 03:04\n"
                 "2|'it\\'s'|31/12/2021|2021-12-31 23:59\n"
                 "3|NULL|NULL|NULL\n")
    df = (spark.read.option("header", "true").option("sep", "|").option("quote", "'")
          .option("nullValue", "NULL").option("dateFormat", "dd/MM/yyyy").option("timestampFormat", "yyyy-MM-dd HH:mm")
          .schema("id INT, name STRING, day DATE, at TIMESTAMP").csv(str(p)))
    rows = df.orderBy("id").collect() if hasattr(df, "orderBy") else df.collect()
    rows = sorted(rows, key=lambda r: r.id)
    assert [r.name for r in rows] == ["a|b", "it's", None]
    assert [r.day for r in rows] == [datetime.date(2020, 2, 1), datetime.date(2021, 12, 31), None]
    assert rows[0].at.replace(tzinfo=None) == datetime.datetime(2020, 1, 2, 3, 4)
    # A StructType schema works the same; a malformed value is null in PERMISSIVE mode and an
    # error in FAILFAST mode.
    bad = tmp_path / "bad.csv"
    bad.write_text("1,a\nx,b\n")
    schema = StructType([StructField("n", IntegerType()), StructField("s", StringType())])
    assert [r.n for r in spark.read.schema(schema).csv(str(bad)).collect()] == [1, None]
    with pytest.raises(AnalysisException, match="MALFORMED_RECORD"):
        spark.read.schema(schema).option("mode", "FAILFAST").csv(str(bad)).collect()


def test_csv_write_read_by_pandas(spark, tmp_path):
    pdf = pd.DataFrame({"a": [1, 2, None], "s": ["x,y", 'q"u', None], "f": [0.5, 1e10, 3.0]})
    out = str(tmp_path / "csvout")
    spark.createDataFrame(pdf).write.option("header", True).csv(out)
    files = glob.glob(out + "/part-*.csv")
    assert files and os.path.exists(out + "/_SUCCESS")
    ref = pd.concat([pd.read_csv(f, escapechar="\\") for f in files], ignore_index=True)
    assert ref["s"].tolist()[:2] == ["x,y", 'q"u'] and pd.isna(ref["s"][2])
    assert ref["f"].tolist() == [0.5, 1e10, 3.0]
    back = spark.read.csv(out, header=True, inferSchema=True).toPandas()
    pd.testing.assert_frame_equal(_sorted(back), _sorted(ref), check_dtype=False)


def test_json_lines(spark, tmp_path):
    p = tmp_path / "in.json"
    p.write_text('{"b": 1, "a": "x", "n": {"z": 1}}\n{"b": 2.5, "c": null, "n": {"z": 2}}\n\n{"a": "y", "t": true}\n')
    df = spark.read.json(str(p))
    assert df.columns == ["a", "b", "c", "n", "t"]
    assert dict(df.dtypes) == {"a": "string", "b": "double", "c": "string", "n": "struct<z:bigint>", "t": "boolean"}
    ref = pd.read_json(p, lines=True)
    got = df.toPandas()
    assert got["b"].tolist()[:2] == ref["b"].tolist()[:2]
    assert got["a"].tolist()[0] == "x" and got["a"].tolist()[2] == "y"
    out = str(tmp_path / "jsonout")
    df.write.json(out)
    back = pd.concat([pd.read_json(f, lines=True) for f in glob.glob(out + "/*.json")], ignore_index=True)
    assert sorted(back["b"].dropna().tolist()) == [1.0, 2.5]
    assert spark.read.json(out).count() == 3


def test_partition_discovery_matches_duckdb(spark, tmp_path):
    root = tmp_path / "hive"
    t = pa.table({"x": list(range(12)), "y": [2020, 2021, 2022] * 4, "k": ["a", "b"] * 6})
    pq.write_to_dataset(t, root, partition_cols=["y", "k"])
    df = spark.read.parquet(str(root))
    assert df.columns == ["x", "y", "k"]
    assert dict(df.dtypes)["y"] == "int"
    ref = duckdb.connect().execute(f"select x, y::int y, k from read_parquet('{root}/**/*.parquet', hive_partitioning=true)").df()
    pd.testing.assert_frame_equal(_sorted(df.toPandas()), _sorted(ref), check_dtype=False)
    # basePath keeps partition columns when reading one partition directory.
    one = spark.read.option("basePath", str(root)).parquet(str(root / "y=2020"))
    assert one.count() == 4 and "y" in one.columns


def test_partitioned_write_read_by_pyarrow(spark, tmp_path):
    pdf = pd.DataFrame({"v": range(10), "p": ["a/b", None, "c", "c", "a/b", None, "c", "a/b", "c", "c"], "q": [1, 2] * 5})
    out = str(tmp_path / "pw")
    spark.createDataFrame(pdf).write.partitionBy("p", "q").parquet(out)
    dirs = sorted(d for d in os.listdir(out) if not d.startswith("_"))
    assert dirs == ["p=__HIVE_DEFAULT_PARTITION__", "p=a%2Fb", "p=c"]
    back = spark.read.parquet(out)
    assert back.columns == ["v", "p", "q"]
    got = _sorted(back.toPandas())
    pd.testing.assert_frame_equal(got, _sorted(pdf[["v", "p", "q"]]), check_dtype=False)
    ds = pq.ParquetDataset(out, partitioning="hive")
    assert ds.read().num_rows == 10


def test_save_modes(spark, tmp_path):
    out = str(tmp_path / "modes")
    df = spark.createDataFrame(pd.DataFrame({"x": [1, 2, 3]}))
    df.write.format("parquet").save(out)
    with pytest.raises(AnalysisException, match="PATH_ALREADY_EXISTS"):
        df.write.parquet(out)
    with pytest.raises(AnalysisException, match="PATH_ALREADY_EXISTS"):
        df.write.mode("errorifexists").parquet(out)
    df.write.mode("ignore").parquet(out)
    assert pq.read_table(out).num_rows == 3
    df.write.mode("append").parquet(out)
    assert pq.read_table(out).num_rows == 6
    spark.createDataFrame(pd.DataFrame({"x": [9]})).write.mode("overwrite").parquet(out)
    assert pq.read_table(out).column("x").to_pylist() == [9]
    with pytest.raises(AnalysisException, match="save mode"):
        df.write.mode("sometimes").parquet(out)
    with pytest.raises(AnalysisException, match="not a column"):
        df.write.partitionBy("nope").parquet(str(tmp_path / "np"))


def test_failed_write_leaves_target_untouched(spark, tmp_path):
    out = str(tmp_path / "atomic")
    spark.createDataFrame(pd.DataFrame({"x": [1, 2, 3]})).write.parquet(out)
    before = sorted(os.listdir(out))
    # Partition 0 succeeds and writes its file; a later partition overflows (ANSI) mid-query.
    failing = spark.range(0, 40000, numPartitions=4).select(
        F.when(F.col("id") < 30000, F.col("id")).otherwise(F.col("id") * F.lit(2**62)).alias("x"))
    with pytest.raises(QuiverException):
        failing.write.mode("overwrite").parquet(out)
    assert sorted(os.listdir(out)) == before
    assert pq.read_table(out).column("x").to_pylist() == [1, 2, 3]
    with pytest.raises(QuiverException):
        failing.write.parquet(str(tmp_path / "new"))
    assert sorted(os.listdir(tmp_path)) == ["atomic"]  # no staging directory, no partial target


def test_pruning_and_pushdown_show_in_explain(spark, tmp_path):
    out = str(tmp_path / "sorted")
    spark.range(0, 10000, numPartitions=1).select(F.col("id"), (F.col("id") * 2).alias("y"), (F.col("id") * 3).alias("z")) \
        .write.option("maxRowsPerRowGroup", 1000).parquet(out)
    assert pq.ParquetFile(glob.glob(out + "/*.parquet")[0]).num_row_groups == 10
    df = spark.read.parquet(out).filter(F.col("id") > 8500).select("y")
    ref = duckdb.connect().execute(f"select y from read_parquet('{out}/*.parquet') where id > 8500").df()
    pd.testing.assert_frame_equal(_sorted(df.toPandas()), _sorted(ref), check_dtype=False)
    plan = df._explain_string("extended")
    if "pushedFilters" not in plan:
        pytest.skip("the optimizer does not push filters into scans yet (logical.Scan.Filters)")
    assert "rowGroups=10 (8 skipped)" in plan, plan
    # Column pruning: the scan reads id (for the filter) and y, not z.
    scan_line = plan.split("== Physical Plan ==")[1].split("FileScan")[1].split("\n")[0]
    assert "[id, y]" in scan_line, scan_line


def test_read_errors(spark, tmp_path):
    from quiver.errors import NotFoundException

    with pytest.raises(NotFoundException, match="PATH_NOT_FOUND"):
        spark.read.parquet(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnalysisException, match="UNABLE_TO_INFER_SCHEMA"):
        spark.read.parquet(str(tmp_path / "empty"))
    (tmp_path / "x.csv").write_text("a\n")
    with pytest.raises(AnalysisException, match="mode"):
        spark.read.option("mode", "sloppy").csv(str(tmp_path / "x.csv"))
    with pytest.raises(NotImplementedError):
        spark.read.format("avro").load(str(tmp_path / "x.csv"))
    # The server keeps serving.
    assert spark.read.csv(str(tmp_path / "x.csv")).count() == 1


@pytest.mark.parametrize("condition, sql", [
    (lambda F: F.col("q") < 24, "q < 24"),
    (lambda F: F.col("q") <= 1, "q <= 1"),
    (lambda F: F.col("q") > 49.5, "q > 49.5"),
    (lambda F: (F.col("d") >= 0.05) & (F.col("d") <= 0.07), "d >= 0.05 and d <= 0.07"),
    (lambda F: F.col("day") < F.lit(datetime.date(2020, 1, 5)), "day < date '2020-01-05'"),
    (lambda F: F.col("s") > "k", "s > 'k'"),
])
def test_pushdown_never_changes_answers(spark, tmp_path_factory, condition, sql):
    """Row groups skipped by statistics must hold no matching row: counts equal DuckDB's."""
    path = tmp_path_factory.getbasetemp() / "pushdown.parquet"
    if not path.exists():
        n = 5000
        pq.write_table(pa.table({
            "q": pa.array([decimal.Decimal(1 + i // 100) for i in range(n)], pa.decimal128(15, 2)),
            "d": pa.array([decimal.Decimal(i % 11) / 100 for i in range(n)], pa.decimal128(15, 2)),
            "day": pa.array([datetime.date(2020, 1, 1) + datetime.timedelta(days=i // 500) for i in range(n)]),
            "s": pa.array([chr(ord("a") + i // 200) for i in range(n)]),
        }), path, row_group_size=500)
    got = spark.read.parquet(str(path)).filter(condition(F)).count()
    want = duckdb.sql(f"select count(*) from '{path}' where {sql}").fetchall()[0][0]
    assert got == want
