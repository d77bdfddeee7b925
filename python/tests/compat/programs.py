"""The differential suite's DataFrame programs, written once for PySpark and Quiver.

Each program takes a SparkSession and returns a DataFrame. `bind(engine)` points the module names
F (functions), T (types), Window and Row at pyspark.sql or quiver.sql before any program runs, so the
program text is identical on both engines. Inputs are small and deliberately awkward: nulls, NaN,
infinities, empty frames, duplicate and skewed join keys.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from harness import program

F: Any = None
T: Any = None
Window: Any = None
Row: Any = None


def bind(engine: str) -> None:
    global F, T, Window, Row
    if engine == "pyspark":
        from pyspark.sql import Row as row_class
        from pyspark.sql import Window as window_class
        from pyspark.sql import functions, types
    elif engine == "quiver":
        from quiver.sql import Row as row_class
        from quiver.sql import functions, types

        try:
            from quiver.sql import Window as window_class
        except ImportError:  # the window API may not exist yet; programs using it fail, not the suite
            window_class = None
    else:
        raise ValueError(f"unknown engine {engine!r}; use pyspark or quiver")
    F, T, Window, Row = functions, types, window_class, row_class


# -- inputs ---------------------------------------------------------------------------------------

def people(spark):
    return spark.createDataFrame([
        (1, "Alice", 34, "eng", 120.5),
        (2, "Bob", None, "eng", 99.0),
        (3, "Carol", 29, "ops", None),
        (4, "Dan", 41, None, 80.25),
        (5, None, 29, "ops", float("nan")),
        (6, "Eve", 52, "sales", 150.0),
        (7, "Frank", 29, "sales", 70.0),
    ], "id int, name string, age int, dept string, salary double")


def empty_people(spark):
    return spark.createDataFrame([], "id int, name string, age int, dept string, salary double")


def numbers(spark):
    return spark.createDataFrame([
        (1, 10, 1.5, decimal.Decimal("1.10")),
        (2, None, -2.25, decimal.Decimal("-3.35")),
        (3, 7, float("nan"), None),
        (4, -4, float("inf"), decimal.Decimal("0.00")),
        (5, 0, None, decimal.Decimal("99.99")),
        (6, 2147483647, -0.0, decimal.Decimal("12.50")),
    ], "k int, i int, x double, d decimal(6,2)")


def longs(spark):
    return spark.createDataFrame([(1, 9223372036854775807), (2, -5), (3, None)], "k int, v bigint")


def strings(spark):
    return spark.createDataFrame([
        (1, "Hello World", "a,b,c"),
        (2, "  padded  ", ",x,"),
        (3, "", ""),
        (4, None, None),
        (5, "ÜnïCödé ßtraße", "one"),
        (6, "foo123bar456", "1,,2"),
    ], "k int, s string, csv string")


def dates(spark):
    return spark.createDataFrame([
        (1, datetime.date(2024, 2, 29), datetime.datetime(2024, 2, 29, 13, 45, 30), "2024-01-15", "2024-01-15 08:30:00"),
        (2, datetime.date(1999, 12, 31), datetime.datetime(1999, 12, 31, 23, 59, 59), "1999-12-31", "1999-12-31 23:59:59"),
        (3, None, None, None, None),
        (4, datetime.date(2000, 1, 1), datetime.datetime(2000, 1, 1, 0, 0, 0), "2000-01-01", "2000-01-01 00:00:00"),
    ], "k int, d date, ts timestamp, ds string, tss string")


def nested(spark):
    return spark.createDataFrame([
        (1, [1, 2, 3], {"a": 1, "b": 2}, (1, "x")),
        (2, [], {}, (2, None)),
        (3, None, None, None),
        (4, [None, 5], {"c": None}, (None, "z")),
    ], "k int, arr array<int>, m map<string,int>, st struct<n:int,s:string>")


def emp(spark):
    return spark.createDataFrame([
        (1, "a", 10), (2, "b", 10), (3, "c", 20), (4, "d", None), (5, "e", 30), (6, "f", 10), (7, "g", 40),
    ], "eid int, ename string, dept_id int")


def dept(spark):
    return spark.createDataFrame([
        (10, "eng"), (20, "ops"), (20, "ops-dup"), (50, "empty"), (None, "nullkey"),
    ], "dept_id int, dname string")


def skewed(spark):
    rows = [(i, 1 if i % 10 else i % 3) for i in range(200)]
    return spark.createDataFrame(rows, "id int, key int")


def small_keys(spark):
    return spark.createDataFrame([(1, "one"), (2, "two"), (0, "zero")], "key int, label string")


def sales(spark):
    return spark.createDataFrame([
        ("2023", "Q1", "east", 100), ("2023", "Q1", "west", 80), ("2023", "Q2", "east", 120),
        ("2024", "Q1", "east", 90), ("2024", "Q2", "west", None), ("2024", "Q2", "west", 60),
        ("2024", "Q3", "north", 10),
    ], "year string, quarter string, region string, amount int")


# == basic projection and filtering ================================================================

@program("basic")
def select_columns(spark):
    return people(spark).select("name", "age")


@program("basic")
def select_expressions(spark):
    return people(spark).select(F.col("id"), (F.col("age") + 1).alias("next_age"), F.lit("k"))


@program("basic")
def select_unaliased_arithmetic_names(spark):
    return people(spark).select(F.col("age") + 1, F.col("salary") * 2, F.col("id") - F.col("age"))


@program("basic")
def filter_greater_than(spark):
    return people(spark).filter(F.col("age") > 30)


@program("basic")
def filter_with_nulls_drops_unknown(spark):
    return people(spark).filter(F.col("dept") != "eng")


@program("basic")
def filter_and_or(spark):
    return people(spark).filter((F.col("age") < 30) | (F.col("dept") == "eng") & F.col("salary").isNotNull())


@program("basic")
def where_is_null(spark):
    return people(spark).where(F.col("age").isNull() | F.col("name").isNull())


@program("basic")
def with_column_new_and_replace(spark):
    return people(spark).withColumn("age", F.col("age") * 2).withColumn("flag", F.col("id") % 2 == 0)


@program("basic")
def with_column_renamed(spark):
    return people(spark).withColumnRenamed("name", "full_name").select("id", "full_name")


@program("basic")
def drop_columns(spark):
    return people(spark).drop("salary", "dept", "no_such_column")


@program("basic", ordered=True)
def limit_after_sort(spark):
    return people(spark).orderBy("id").limit(3)


@program("basic")
def limit_zero(spark):
    return people(spark).limit(0)


@program("basic")
def alias_dataframe_column_access(spark):
    p = people(spark).alias("p")
    return p.select(F.col("p.name"), F.col("p.id"))


@program("basic")
def empty_input_projection(spark):
    return empty_people(spark).select("id", (F.col("age") + 1).alias("a1")).filter(F.col("id") > 0)


@program("basic")
def range_with_step(spark):
    return spark.range(0, 20, 3)


@program("basic")
def range_filter_modulo(spark):
    return spark.range(50).filter(F.col("id") % 7 == 3).withColumn("sq", F.col("id") * F.col("id"))


@program("basic")
def to_df_renames(spark):
    return people(spark).select("id", "name").toDF("a", "b")


@program("basic")
def with_columns_dict(spark):
    return people(spark).withColumns({"a2": F.col("age") * 2, "one": F.lit(1)})


@program("basic")
def select_star_and_more(spark):
    return people(spark).select("*", (F.col("id") * 10).alias("id10"))


@program("basic")
def filter_sql_string(spark):
    return people(spark).filter("age > 30 AND dept = 'eng'")


@program("basic")
def select_expr_strings(spark):
    return people(spark).selectExpr("id", "age * 2 AS double_age", "upper(name) AS uname")


@program("basic")
def column_between_and_isin(spark):
    return people(spark).select("id", F.col("age").between(29, 40).alias("b"), F.col("dept").isin("eng", "ops").alias("i"))


# == arithmetic and type coercion ==================================================================

@program("coercion")
def int_divided_by_int_is_double(spark):
    return numbers(spark).select("k", (F.col("k") / 2).alias("half"), (F.col("i") / F.col("k")).alias("ratio"))


@program("coercion")
def int_plus_long_widens(spark):
    return longs(spark).select((F.col("v") - F.col("k")).alias("w"), (F.col("k") + 1).alias("k1"))


@program("coercion")
def int_overflow_raises(spark):
    return numbers(spark).select((F.col("i") + 1).alias("overflow"))


@program("coercion")
def long_overflow_raises(spark):
    return longs(spark).select((F.col("v") * 2).alias("v2"))


@program("coercion")
def division_by_zero_raises(spark):
    return numbers(spark).select((F.col("k") / F.lit(0)).alias("q"))


@program("coercion")
def modulo_and_negative(spark):
    return numbers(spark).select("k", (F.col("i") % 3).alias("m"), (-F.col("i")).alias("neg"))


@program("coercion")
def double_special_values_arithmetic(spark):
    return numbers(spark).select("k", (F.col("x") * 2).alias("x2"), (F.col("x") + F.col("k")).alias("xk"))


@program("coercion")
def decimal_addition_precision(spark):
    return numbers(spark).select("k", (F.col("d") + F.col("d")).alias("dd"), (F.col("d") * 2).alias("d2"))


@program("coercion")
def decimal_times_decimal(spark):
    return numbers(spark).select("k", (F.col("d") * F.col("d")).alias("sq"))


@program("coercion")
def decimal_plus_double_is_double(spark):
    return numbers(spark).select("k", (F.col("d") + F.col("x")).alias("dx"))


@program("coercion")
def int_compared_with_string_literal(spark):
    return people(spark).filter(F.col("age") == "29").select("id")


@program("coercion")
def lit_types(spark):
    return spark.range(1).select(F.lit(1).alias("i"), F.lit(2**40).alias("l"), F.lit(1.5).alias("d"), F.lit("s").alias("s"),
                                 F.lit(True).alias("b"), F.lit(None).alias("n"), F.lit(decimal.Decimal("1.25")).alias("dec"),
                                 F.lit(datetime.date(2020, 1, 2)).alias("dt"))


@program("coercion")
def cast_string_to_int(spark):
    return spark.createDataFrame([("1",), (" 2 ",), (None,)], "s string").select(F.col("s").cast("int").alias("i"))


@program("coercion")
def cast_invalid_string_raises(spark):
    return spark.createDataFrame([("1",), ("x",)], "s string").select(F.col("s").cast("int").alias("i"))


@program("coercion")
def cast_double_to_int_truncates(spark):
    return spark.createDataFrame([(1.9,), (-1.9,), (None,)], "x double").select(F.col("x").cast("int").alias("i"))


@program("coercion")
def cast_to_string_forms(spark):
    return numbers(spark).select("k", F.col("x").cast("string").alias("xs"), F.col("d").cast("string").alias("ds"),
                                 (F.col("k") > 2).cast("string").alias("bs"))


@program("coercion")
def cast_string_to_date_and_timestamp(spark):
    return dates(spark).select("k", F.col("ds").cast("date").alias("d"), F.col("tss").cast("timestamp").alias("t"))


@program("coercion")
def cast_boolean_and_numbers(spark):
    return spark.createDataFrame([(0,), (1,), (5,), (None,)], "i int").select(
        "i", F.col("i").cast("boolean").alias("b"), F.col("i").cast("double").alias("d"), F.col("i").cast("decimal(5,1)").alias("dec"))


@program("coercion")
def try_cast_returns_null(spark):
    return spark.createDataFrame([("1",), ("x",)], "s string").select(F.col("s").try_cast("int").alias("i"))


@program("coercion")
def cast_overflow_to_tinyint_raises(spark):
    return spark.createDataFrame([(300,)], "i int").select(F.col("i").cast("tinyint").alias("b"))


# == nulls, NaN and three-valued logic ===============================================================

@program("nulls")
def three_valued_and_or(spark):
    df = spark.createDataFrame([(True,), (False,), (None,)], "a boolean").crossJoin(
        spark.createDataFrame([(True,), (False,), (None,)], "b boolean"))
    return df.select("a", "b", (F.col("a") & F.col("b")).alias("and_"), (F.col("a") | F.col("b")).alias("or_"), (~F.col("a")).alias("not_a"))


@program("nulls")
def null_comparisons(spark):
    return people(spark).select("id", (F.col("age") == F.lit(None)).alias("eq_null"), F.col("age").eqNullSafe(29).alias("safe"))


@program("nulls")
def nan_equals_nan(spark):
    return numbers(spark).select("k", (F.col("x") == F.lit(float("nan"))).alias("is_nan_eq"), (F.col("x") > 0).alias("pos"))


@program("nulls")
def nan_in_filter_and_sort(spark):
    return numbers(spark).filter(F.col("x") > -10).select("k", "x")


@program("nulls")
def isnull_isnan_functions(spark):
    return numbers(spark).select("k", F.isnull("x").alias("n"), F.isnan("x").alias("nan"), F.col("x").isNotNull().alias("nn"))


@program("nulls")
def coalesce_columns(spark):
    return people(spark).select("id", F.coalesce("dept", "name", F.lit("none")).alias("c"))


@program("nulls")
def nanvl_replaces_nan(spark):
    return numbers(spark).select("k", F.nanvl("x", F.lit(0.0)).alias("v"))


@program("nulls")
def null_arithmetic_propagates(spark):
    return numbers(spark).select("k", (F.col("i") + F.lit(None).cast("int")).alias("n"), (F.col("i") * 0).alias("z"))


@program("nulls")
def na_fill_numbers_and_strings(spark):
    return people(spark).na.fill(0).na.fill("unknown")


@program("nulls")
def na_fill_subset_dict(spark):
    return people(spark).na.fill({"age": -1, "dept": "none"})


@program("nulls")
def na_drop_any(spark):
    return people(spark).na.drop()


@program("nulls")
def na_drop_subset_all(spark):
    return people(spark).na.drop(how="all", subset=["age", "dept"])


@program("nulls")
def na_drop_thresh(spark):
    return people(spark).na.drop(thresh=5)


@program("nulls")
def fillna_method(spark):
    return numbers(spark).fillna(1.0, subset=["x"])


# == aggregation ===================================================================================

@program("aggregate")
def group_count(spark):
    return people(spark).groupBy("dept").count()


@program("aggregate")
def group_sum_avg_min_max(spark):
    return people(spark).groupBy("dept").agg(F.sum("age"), F.avg("age"), F.min("age"), F.max("age"))


@program("aggregate")
def group_shortcut_methods(spark):
    return people(spark).groupBy("dept").sum("age")


@program("aggregate")
def group_avg_shortcut(spark):
    return people(spark).groupBy("dept").avg("salary")


@program("aggregate")
def group_min_max_shortcuts(spark):
    return people(spark).groupBy("dept").max("id").join(people(spark).groupBy("dept").min("id"), "dept", "left")


@program("aggregate")
def agg_whole_frame(spark):
    return people(spark).agg(F.count("*"), F.count("age"), F.sum("salary"), F.avg("age"))


@program("aggregate")
def agg_dict_form(spark):
    return people(spark).agg({"age": "max", "salary": "sum"})


@program("aggregate")
def agg_on_empty_input(spark):
    return empty_people(spark).agg(F.count("*").alias("n"), F.sum("age").alias("s"), F.max("age").alias("m"))


@program("aggregate")
def group_by_on_empty_input(spark):
    return empty_people(spark).groupBy("dept").agg(F.count("*").alias("n"))


@program("aggregate")
def count_distinct(spark):
    return people(spark).agg(F.countDistinct("age").alias("ages"), F.countDistinct("dept", "age").alias("pairs"))


@program("aggregate")
def count_distinct_per_group(spark):
    return people(spark).groupBy("dept").agg(F.countDistinct("age").alias("n"))


@program("aggregate")
def sum_with_nan(spark):
    return numbers(spark).agg(F.sum("x").alias("s"), F.max("x").alias("mx"), F.min("x").alias("mn"))


@program("aggregate")
def sum_decimal_and_avg_decimal(spark):
    return numbers(spark).agg(F.sum("d").alias("s"), F.avg("d").alias("a"))


@program("aggregate")
def sum_of_long_overflows(spark):
    return longs(spark).agg(F.sum("v"))


@program("aggregate")
def avg_of_int_is_double(spark):
    return spark.createDataFrame([(1,), (2,)], "i int").agg(F.avg("i"), F.sum("i"), F.mean("i"))


@program("aggregate")
def first_last_ignore_nulls(spark):
    df = spark.createDataFrame([("a", None), ("a", 5), ("b", None)], "g string, v int")
    return df.groupBy("g").agg(F.first("v", ignorenulls=True).alias("f"), F.last("v", ignorenulls=True).alias("l"))


@program("aggregate")
def collect_list_sorted(spark):
    return people(spark).groupBy("dept").agg(F.array_sort(F.collect_list("age")).alias("ages"))


@program("aggregate")
def collect_set_sorted(spark):
    return people(spark).groupBy("dept").agg(F.array_sort(F.collect_set("age")).alias("ages"))


@program("aggregate")
def collect_list_size_with_nulls(spark):
    return people(spark).agg(F.size(F.collect_list("age")).alias("n"))


@program("aggregate")
def stddev_and_variance(spark):
    return people(spark).groupBy("dept").agg(F.stddev("age").alias("sd"), F.variance("age").alias("var"))


@program("aggregate")
def stddev_pop_and_samp(spark):
    return people(spark).agg(F.stddev_samp("age"), F.stddev_pop("age"), F.var_samp("age"), F.var_pop("age"))


@program("aggregate")
def approx_count_distinct_small(spark):
    # An estimate: engines may differ within the sketch's error, so the 200 ids are checked to 5%.
    return skewed(spark).agg(F.approx_count_distinct("key").alias("keys"),
                             (F.abs(F.approx_count_distinct("id") - 200) <= 10).alias("ids_close"))


@program("aggregate")
def group_by_two_keys(spark):
    return sales(spark).groupBy("year", "quarter").agg(F.sum("amount").alias("total"), F.count("amount").alias("n"))


@program("aggregate")
def group_by_expression(spark):
    return people(spark).groupBy((F.col("age") / 10).cast("int").alias("decade")).count()


@program("aggregate")
def group_by_null_key(spark):
    return people(spark).groupBy("dept").agg(F.max("name").alias("mx"))


@program("aggregate")
def pivot_with_values(spark):
    return sales(spark).groupBy("year").pivot("quarter", ["Q1", "Q2", "Q3"]).sum("amount")


@program("aggregate")
def pivot_without_values(spark):
    return sales(spark).groupBy("year").pivot("region").agg(F.sum("amount"))


@program("aggregate")
def rollup_sum(spark):
    return sales(spark).rollup("year", "quarter").agg(F.sum("amount"), F.count("*"))


@program("aggregate")
def cube_count_with_null_keys(spark):
    return people(spark).cube("dept", "age").count()


@program("aggregate")
def rollup_grouping_functions(spark):
    return sales(spark).rollup("year", "region").agg(
        F.max("amount"), F.grouping("year"), F.grouping("region"), F.grouping_id(), F.grouping_id("year", "region"))


@program("aggregate")
def cube_aggregates_grouped_column(spark):
    return people(spark).cube("dept").agg(F.count("dept"), F.avg("age"), F.min("name"))


@program("aggregate")
def grouping_sets_agg(spark):
    return sales(spark).groupingSets([["year", "quarter"], ["region"], []], "year", "quarter", "region").agg(
        F.sum("amount").alias("total"))


@program("aggregate")
def rollup_on_empty_input(spark):
    return empty_people(spark).rollup("dept").agg(F.sum("salary"))


@program("aggregate")
def rollup_expression_key_then_filter(spark):
    return (people(spark).rollup(F.upper("dept").alias("d")).agg(F.sum("salary").alias("s"))
            .filter(F.col("d").isNull() | (F.col("s") > 100)))


@program("aggregate")
def aggregate_then_filter(spark):
    return people(spark).groupBy("dept").agg(F.count("*").alias("n")).filter(F.col("n") > 1)


@program("aggregate")
def aggregate_expression_of_aggregates(spark):
    return people(spark).groupBy("dept").agg((F.max("age") - F.min("age")).alias("spread"))


@program("aggregate")
def group_by_skewed_keys(spark):
    return skewed(spark).groupBy("key").agg(F.count("*").alias("n"), F.sum("id").alias("s"))


@program("aggregate")
def min_max_strings_and_dates(spark):
    return dates(spark).agg(F.min("d"), F.max("ts"), F.min("ds"))


@program("aggregate")
def count_if_and_sum_distinct(spark):
    return people(spark).agg(F.sum_distinct("age").alias("sd"), F.count(F.when(F.col("age") > 30, 1)).alias("older"))


@program("aggregate")
def describe_numeric(spark):
    return people(spark).describe("age", "salary")


@program("aggregate")
def describe_all_columns(spark):
    return people(spark).select("age", "name").describe()


@program("aggregate")
def distinct_count_via_agg(spark):
    return people(spark).select("age").distinct().agg(F.count("*").alias("n"))


# == joins ===========================================================================================

@program("join")
def join_inner_on_name(spark):
    return emp(spark).join(dept(spark), "dept_id")


@program("join")
def join_inner_on_list(spark):
    return emp(spark).join(dept(spark), ["dept_id"], "inner")


@program("join")
def join_left_on_name(spark):
    return emp(spark).join(dept(spark), "dept_id", "left")


@program("join")
def join_right_on_name(spark):
    return emp(spark).join(dept(spark), "dept_id", "right")


@program("join")
def join_full_on_name(spark):
    return emp(spark).join(dept(spark), "dept_id", "full")


@program("join")
def join_full_outer_alias(spark):
    return emp(spark).join(dept(spark), "dept_id", "full_outer")


@program("join")
def join_left_semi(spark):
    return emp(spark).join(dept(spark), "dept_id", "left_semi")


@program("join")
def join_left_anti(spark):
    return emp(spark).join(dept(spark), "dept_id", "left_anti")


@program("join")
def join_cross(spark):
    return small_keys(spark).crossJoin(spark.createDataFrame([("x",), ("y",)], "tag string"))


@program("join")
def join_on_column_expression(spark):
    e, d = emp(spark), dept(spark)
    return e.join(d, e.dept_id == d.dept_id, "inner").select(e.eid, d.dname, e.dept_id)


@program("join")
def join_expression_keeps_both_key_columns(spark):
    e, d = emp(spark), dept(spark)
    return e.join(d, e.dept_id == d.dept_id, "left")


@program("join")
def join_expression_right_outer(spark):
    e, d = emp(spark), dept(spark)
    return e.join(d, e.dept_id == d.dept_id, "right").select("eid", "dname")


@program("join")
def join_expression_full_outer(spark):
    e, d = emp(spark), dept(spark)
    return e.join(d, e.dept_id == d.dept_id, "outer").select("eid", "dname")


@program("join")
def join_non_equi_condition(spark):
    e, d = emp(spark), dept(spark)
    return e.join(d, (e.dept_id < d.dept_id) & (d.dname != "empty"), "inner").select("eid", "dname")


@program("join")
def join_null_keys_never_match(spark):
    a = spark.createDataFrame([(None, 1), (1, 2)], "k int, a int")
    b = spark.createDataFrame([(None, 3), (1, 4)], "k int, b int")
    return a.join(b, "k", "full")


@program("join")
def join_null_safe_equality(spark):
    a = spark.createDataFrame([(None, 1), (1, 2)], "k int, a int")
    b = spark.createDataFrame([(None, 3), (1, 4)], "k int, b int")
    return a.join(b, a.k.eqNullSafe(b.k)).select("a", "b")


@program("join")
def join_duplicate_keys_multiply(spark):
    a = spark.createDataFrame([(1, "a1"), (1, "a2"), (2, "a3")], "k int, a string")
    b = spark.createDataFrame([(1, "b1"), (1, "b2"), (1, "b3")], "k int, b string")
    return a.join(b, "k")


@program("join")
def join_skewed_keys(spark):
    return skewed(spark).join(small_keys(spark), "key").groupBy("label").count()


@program("join")
def join_skewed_left_anti(spark):
    return skewed(spark).join(small_keys(spark).filter(F.col("key") > 0), "key", "left_anti")


@program("join")
def join_multiple_keys(spark):
    a = sales(spark)
    b = spark.createDataFrame([("2023", "Q1", 1.5), ("2024", "Q2", 2.0)], "year string, quarter string, rate double")
    return a.join(b, ["year", "quarter"], "left").withColumn("scaled", F.col("amount") * F.col("rate"))


@program("join")
def self_join_with_aliases(spark):
    p = people(spark)
    a, b = p.alias("a"), p.alias("b")
    return a.join(b, F.col("a.age") == F.col("b.age")).select(F.col("a.id"), F.col("b.id").alias("other"))


@program("join")
def self_join_ambiguous_column_raises(spark):
    p = people(spark)
    q = p.filter(F.col("age") > 30)
    return p.join(q, p.id == q.id).select("name")


@program("join")
def self_join_by_dataframe_columns(spark):
    p = people(spark)
    q = p.select("id", (F.col("age") + 1).alias("age1"))
    return p.join(q, p.id == q.id).select(p.name, q.age1)


@program("join")
def join_with_empty_side(spark):
    return emp(spark).join(dept(spark).filter(F.lit(False)), "dept_id", "left")


@program("join")
def join_empty_inner(spark):
    return emp(spark).filter(F.col("eid") > 100).join(dept(spark), "dept_id")


@program("join")
def join_then_aggregate(spark):
    return emp(spark).join(dept(spark), "dept_id").groupBy("dname").agg(F.count("*").alias("n"))


@program("join")
def join_broadcast_hint(spark):
    return skewed(spark).join(F.broadcast(small_keys(spark)), "key", "inner").agg(F.count("*").alias("n"))


@program("join")
def join_semi_with_expression(spark):
    e, d = emp(spark), dept(spark)
    return e.join(d, (e.dept_id == d.dept_id) & (d.dname.startswith("o")), "leftsemi")


@program("join")
def join_anti_with_nulls_in_right(spark):
    a = spark.createDataFrame([(1,), (2,), (None,)], "k int")
    b = spark.createDataFrame([(1,), (None,)], "k int")
    return a.join(b, "k", "anti")


@program("join")
def join_different_key_types(spark):
    a = spark.createDataFrame([(1, "x")], "k int, a string")
    b = spark.createDataFrame([(1, "y")], "k bigint, b string")
    return a.join(b, "k")


# == sorting =========================================================================================

@program("sort", ordered=True)
def order_by_ascending(spark):
    return people(spark).orderBy("age", "id")


@program("sort", ordered=True)
def order_by_descending(spark):
    return people(spark).orderBy(F.col("age").desc(), "id")


@program("sort", ordered=True)
def sort_desc_function(spark):
    return people(spark).sort(F.desc("salary"), F.asc("id"))


@program("sort", ordered=True)
def order_nulls_last(spark):
    return people(spark).orderBy(F.col("dept").asc_nulls_last(), "id")


@program("sort", ordered=True)
def order_desc_nulls_first(spark):
    return people(spark).orderBy(F.col("age").desc_nulls_first(), "id")


@program("sort", ordered=True)
def order_doubles_with_nan(spark):
    return numbers(spark).orderBy("x", "k")


@program("sort", ordered=True)
def order_by_ascending_list(spark):
    return people(spark).orderBy(["dept", "id"], ascending=[False, True])


@program("sort", ordered=True)
def order_by_expression(spark):
    return people(spark).orderBy(F.length("name").desc_nulls_last(), "id")


@program("sort", ordered=True)
def order_strings_unicode(spark):
    return strings(spark).orderBy("s")


@program("sort", ordered=True)
def top_k_limit(spark):
    return skewed(spark).orderBy(F.col("id").desc()).limit(5)


@program("sort", ordered=True)
def sort_within_partitions_then_global(spark):
    return people(spark).sortWithinPartitions("age").orderBy("id")


@program("sort", ordered=True)
def order_dates(spark):
    return dates(spark).orderBy(F.col("d").desc(), "k")


# == set operations and deduplication =================================================================

@program("setop")
def distinct_rows(spark):
    return people(spark).select("dept", "age").distinct()


@program("setop")
def distinct_with_nan_and_null(spark):
    df = spark.createDataFrame([(float("nan"),), (float("nan"),), (None,), (None,), (0.0,), (-0.0,)], "x double")
    return df.distinct()


@program("setop")
def drop_duplicates_all(spark):
    return sales(spark).select("year", "quarter").dropDuplicates()


@program("setop")
def drop_duplicates_subset_count(spark):
    return people(spark).dropDuplicates(["age"]).agg(F.count("*").alias("n"))


@program("setop")
def union_all_keeps_duplicates(spark):
    return small_keys(spark).union(small_keys(spark))


@program("setop")
def union_by_position_widens(spark):
    a = spark.createDataFrame([(1,)], "x int")
    b = spark.createDataFrame([(2.5,)], "y double")
    return a.union(b)


@program("setop")
def union_by_name(spark):
    a = spark.createDataFrame([(1, "a")], "k int, v string")
    b = spark.createDataFrame([("b", 2)], "v string, k int")
    return a.unionByName(b)


@program("setop")
def union_by_name_allow_missing(spark):
    a = spark.createDataFrame([(1, "a")], "k int, v string")
    b = spark.createDataFrame([(2, 3.5)], "k int, w double")
    return a.unionByName(b, allowMissingColumns=True)


@program("setop")
def union_mismatched_columns_raises(spark):
    return small_keys(spark).union(spark.createDataFrame([(1,)], "x int"))


@program("setop")
def intersect_distinct(spark):
    a = spark.createDataFrame([(1,), (1,), (2,), (None,)], "x int")
    b = spark.createDataFrame([(1,), (1,), (3,), (None,)], "x int")
    return a.intersect(b)


@program("setop")
def intersect_all(spark):
    a = spark.createDataFrame([(1,), (1,), (1,), (2,)], "x int")
    b = spark.createDataFrame([(1,), (1,), (3,)], "x int")
    return a.intersectAll(b)


@program("setop")
def subtract_distinct(spark):
    a = spark.createDataFrame([(1,), (1,), (2,), (None,)], "x int")
    b = spark.createDataFrame([(2,)], "x int")
    return a.subtract(b)


@program("setop")
def except_all(spark):
    a = spark.createDataFrame([(1,), (1,), (1,), (2,), (None,), (None,)], "x int")
    b = spark.createDataFrame([(1,), (None,)], "x int")
    return a.exceptAll(b)


@program("setop")
def union_empty(spark):
    return empty_people(spark).union(people(spark).limit(0)).union(empty_people(spark))


# == repartitioning, sampling, caching, views =======================================================

@program("physical")
def repartition_keeps_rows(spark):
    return people(spark).repartition(3)


@program("physical")
def repartition_by_column(spark):
    return skewed(spark).repartition(4, "key").groupBy("key").count()


@program("physical")
def coalesce_partitions(spark):
    return skewed(spark).repartition(5).coalesce(1).agg(F.sum("id").alias("s"))


@program("physical")
def sample_full_fraction(spark):
    return people(spark).sample(fraction=1.0, seed=3)


@program("physical")
def sample_zero_fraction(spark):
    return people(spark).sample(False, 0.0, seed=1)


@program("physical")
def sample_count_is_bounded(spark):
    return skewed(spark).sample(fraction=0.5, seed=7).agg((F.count("*") <= 200).alias("ok"))


@program("physical")
def cache_then_reuse(spark):
    df = people(spark).filter(F.col("age") > 20).cache()
    df.count()
    result = df.groupBy("dept").count()
    return result


@program("physical")
def persist_and_unpersist(spark):
    df = people(spark).persist()
    df.count()
    out = df.select("id", "name")
    df.unpersist()
    return out


@program("physical")
def temp_view_and_table(spark):
    people(spark).createOrReplaceTempView("compat_people")
    return spark.table("compat_people").filter(F.col("age") > 30).select("id")


@program("physical")
def sql_over_temp_view(spark):
    people(spark).createOrReplaceTempView("compat_people_sql")
    return spark.sql("SELECT dept, count(*) AS n FROM compat_people_sql GROUP BY dept")


@program("physical")
def checkpoint_keeps_answer(spark):
    return people(spark).localCheckpoint().select("id", "age")


# == windows =========================================================================================

@program("window")
def window_row_number(spark):
    w = Window.partitionBy("dept").orderBy("age", "id")
    return people(spark).select("id", "dept", F.row_number().over(w).alias("rn"))


@program("window")
def window_rank_and_dense_rank(spark):
    w = Window.orderBy("age")
    return people(spark).select("id", "age", F.rank().over(w).alias("r"), F.dense_rank().over(w).alias("dr"))


@program("window")
def window_lag_lead(spark):
    w = Window.partitionBy("dept").orderBy("id")
    return people(spark).select("id", F.lag("age").over(w).alias("prev"), F.lead("age", 1, -1).over(w).alias("next"))


@program("window")
def window_lag_two_offset(spark):
    w = Window.orderBy("id")
    return people(spark).select("id", F.lag("name", 2).over(w).alias("prev2"))


@program("window")
def window_running_sum(spark):
    w = Window.partitionBy("dept").orderBy("id").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    return people(spark).select("id", F.sum("age").over(w).alias("running"))


@program("window")
def window_default_frame_with_ties(spark):
    w = Window.orderBy("age")
    return people(spark).select("id", F.sum("id").over(w).alias("s"), F.count("*").over(w).alias("c"))


@program("window")
def window_sliding_rows_frame(spark):
    w = Window.orderBy("id").rowsBetween(-1, 1)
    return people(spark).select("id", F.avg("age").over(w).alias("avg3"), F.max("age").over(w).alias("max3"))


@program("window")
def window_range_frame(spark):
    w = Window.orderBy("age").rangeBetween(-5, 0)
    return people(spark).filter(F.col("age").isNotNull()).select("id", F.count("*").over(w).alias("n"))


@program("window")
def window_whole_partition(spark):
    w = Window.partitionBy("dept")
    return people(spark).select("id", F.max("age").over(w).alias("mx"), F.min("salary").over(w).alias("mn"))


@program("window")
def window_unbounded_following(spark):
    w = Window.partitionBy("dept").orderBy("id").rowsBetween(Window.currentRow, Window.unboundedFollowing)
    return people(spark).select("id", F.count("age").over(w).alias("rest"))


@program("window")
def window_row_number_top_per_group(spark):
    w = Window.partitionBy("dept").orderBy(F.col("salary").desc_nulls_last(), "id")
    return people(spark).withColumn("rn", F.row_number().over(w)).filter(F.col("rn") == 1).drop("rn")


@program("window")
def window_on_empty_input(spark):
    w = Window.partitionBy("dept").orderBy("id")
    return empty_people(spark).select("id", F.row_number().over(w).alias("rn"))


@program("window")
def window_skewed_partition(spark):
    w = Window.partitionBy("key").orderBy("id")
    return skewed(spark).select("id", F.row_number().over(w).alias("rn"), F.sum("id").over(w).alias("s"))


@program("window")
def window_avg_running_desc(spark):
    w = Window.orderBy(F.col("id").desc()).rowsBetween(Window.unboundedPreceding, 0)
    return people(spark).select("id", F.avg("salary").over(w).alias("a"))


@program("window")
def window_collect_list_frames(spark):
    """collect_list over a running, a sliding and an ahead-only frame (empty at the end)."""
    w = Window.partitionBy("dept").orderBy("id")
    return people(spark).select(
        "id",
        F.collect_list("name").over(w.rowsBetween(Window.unboundedPreceding, Window.currentRow)).alias("running"),
        F.collect_list("age").over(Window.orderBy("id").rowsBetween(-2, 1)).alias("sliding"),
        F.collect_list("id").over(w.rowsBetween(1, 2)).alias("ahead"))


@program("window")
def window_moments_over_partitions(spark):
    """stddev, variance, skewness and kurtosis over whole partitions and running frames, NaN included."""
    w = Window.partitionBy("dept")
    running = Window.orderBy("id").rowsBetween(Window.unboundedPreceding, 0)
    return people(spark).select(
        "id",
        F.stddev("salary").over(w).alias("sd"),
        F.var_pop("age").over(w).alias("vp"),
        F.stddev_pop("age").over(running).alias("sdr"),
        F.skewness("age").over(running).alias("sk"),
        F.kurtosis("id").over(running).alias("ku"))


@program("window")
def window_unaliased_collect_and_stddev(spark):
    """Spark's names for aggregates over a window: the function, then OVER and the completed frame."""
    w = Window.partitionBy("dept").orderBy("id")
    return people(spark).select("id", F.collect_list("age").over(w), F.stddev("age").over(Window.partitionBy("dept")))


@program("window")
def window_composed_aggregates(spark):
    """Aggregates Spark builds from others over windows: max_by, min_by, percentile, median, percentile_approx, string_agg."""
    w = Window.partitionBy("dept").orderBy("id")
    return people(spark).select(
        "id",
        F.max_by("name", "age").over(w).alias("oldest_so_far"),
        F.min_by("id", "salary").over(Window.partitionBy("dept")).alias("cheapest"),
        F.percentile("age", 0.5).over(Window.orderBy("id").rowsBetween(-1, 1)).alias("med3"),
        F.median("salary").over(Window.partitionBy("dept")).alias("med"),
        F.percentile_approx("age", 0.5).over(Window.partitionBy("dept")).alias("p50"),
        F.string_agg("name", "|").over(w).alias("names"))


@program("window")
def window_unaliased_max_by(spark):
    """The name Spark gives a composed aggregate over a window."""
    return people(spark).select("id", F.max_by("name", "age").over(Window.orderBy("id")))


@program("window")
def window_sets_and_sketches(spark):
    """collect_set (sorted, its order is not defined), approx_count_distinct, bit_xor, product, corr, mode."""
    w = Window.partitionBy("key").orderBy("id").rowsBetween(-10, 10)
    return skewed(spark).select(
        "id",
        F.array_sort(F.collect_set(F.col("id") % 4).over(w)).alias("ids_mod4"),
        F.approx_count_distinct(F.col("id") % 7).over(Window.partitionBy("key")).alias("distinct7"),
        F.bit_xor("id").over(w).alias("x"),
        F.product(F.col("id") % 3 + 1).over(Window.partitionBy("key").orderBy("id").rowsBetween(-3, 0)).alias("p"),
        F.corr("id", F.col("id") % 5).over(w).alias("c"),
        # Five consecutive ids hold one residue mod 4 twice: a mode without ties (away from the ends).
        F.mode(F.col("id") % 4).over(Window.orderBy("id").rowsBetween(-2, 2)).alias("mode")).filter("id BETWEEN 2 AND 197")


@program("window")
def window_median_over_an_ordered_window_is_refused(spark):
    """median takes no ORDER BY or frame over a window (percentile does)."""
    return people(spark).select("id", F.median("age").over(Window.partitionBy("dept").orderBy("id")).alias("m"))


@program("window")
def window_count_distinct_is_refused(spark):
    """DISTINCT aggregates are refused over windows."""
    return people(spark).select("id", F.countDistinct("age").over(Window.partitionBy("dept")).alias("n"))


# == conditional and null functions ==================================================================

@program("function")
def when_otherwise(spark):
    return people(spark).select("id", F.when(F.col("age") < 30, "young").when(F.col("age") < 45, "mid").otherwise("old").alias("band"))


@program("function")
def when_without_otherwise_is_null(spark):
    return people(spark).select("id", F.when(F.col("dept") == "eng", F.col("salary")).alias("eng_salary"))


@program("function")
def greatest_least(spark):
    return numbers(spark).select("k", F.greatest("k", "i").alias("g"), F.least("k", "i", F.lit(3)).alias("l"))


@program("function")
def greatest_with_nan(spark):
    return numbers(spark).select("k", F.greatest("x", F.lit(0.0)).alias("g"))


# == math functions ==================================================================================

@program("function")
def math_abs_sqrt_exp_log(spark):
    return numbers(spark).select("k", F.abs("i").alias("a"), F.sqrt("k").alias("s"), F.exp("k").alias("e"), F.log("k").alias("l"))


@program("function")
def math_log_of_non_positive(spark):
    return numbers(spark).select("k", F.log("i").alias("l"), F.sqrt("i").alias("s"))


@program("function")
def math_round_floor_ceil(spark):
    return spark.createDataFrame([(2.5,), (-2.5,), (1.234567,), (None,)], "x double").select(
        "x", F.round("x").alias("r0"), F.round("x", 2).alias("r2"), F.floor("x").alias("f"), F.ceil("x").alias("c"))


@program("function")
def math_round_decimal(spark):
    return numbers(spark).select("k", F.round("d", 1).alias("r"), F.floor("d").alias("f"), F.ceil("d").alias("c"))


@program("function")
def math_pow(spark):
    return numbers(spark).select("k", F.pow("k", 2).alias("p"), F.pow(F.lit(2), "k").alias("p2"))


@program("function")
def math_log_with_base(spark):
    return spark.range(1, 5).select("id", F.log(2.0, "id").alias("l2"), F.log10("id").alias("l10"))


@program("function")
def math_abs_overflow_raises(spark):
    return spark.createDataFrame([(-2147483648,)], "i int").select(F.abs("i"))


# == string functions ================================================================================

@program("function")
def string_upper_lower_length(spark):
    return strings(spark).select("k", F.upper("s").alias("u"), F.lower("s").alias("l"), F.length("s").alias("n"))


@program("function")
def string_substring(spark):
    return strings(spark).select("k", F.substring("s", 1, 5).alias("a"), F.substring("s", -3, 2).alias("b"), F.substring("s", 0, 2).alias("c"))


@program("function")
def string_column_substr(spark):
    return strings(spark).select("k", F.col("s").substr(2, 3).alias("x"))


@program("function")
def string_concat_nulls(spark):
    return strings(spark).select("k", F.concat("s", F.lit("-"), "csv").alias("c"))


@program("function")
def string_concat_ws_skips_nulls(spark):
    return strings(spark).select("k", F.concat_ws("|", "s", "csv", F.lit("z")).alias("c"))


@program("function")
def string_trim_family(spark):
    return strings(spark).select("k", F.trim("s").alias("t"), F.ltrim("s").alias("l"), F.rtrim("s").alias("r"))


@program("function")
def string_lpad_rpad(spark):
    return strings(spark).select("k", F.lpad("s", 8, "*").alias("lp"), F.rpad("s", 3, "ab").alias("rp"))


@program("function")
def string_like(spark):
    return strings(spark).select("k", F.col("s").like("%o%").alias("has_o"), F.col("s").like("H_llo%").alias("h"))


@program("function")
def string_rlike(spark):
    return strings(spark).select("k", F.col("s").rlike("[0-9]+").alias("digits"), F.col("s").rlike("^ +").alias("lead"))


@program("function")
def string_contains_starts_ends(spark):
    return strings(spark).select("k", F.col("s").contains("o").alias("c"), F.col("s").startswith("He").alias("s"),
                                 F.col("s").endswith("456").alias("e"))


@program("function")
def string_regexp_replace(spark):
    return strings(spark).select("k", F.regexp_replace("s", "[0-9]+", "#").alias("r"), F.regexp_replace("s", "(o)", "<$1>").alias("g"))


@program("function")
def string_regexp_extract(spark):
    return strings(spark).select("k", F.regexp_extract("s", r"([a-z]+)(\d+)", 2).alias("num"),
                                 F.regexp_extract("s", "(x+)", 1).alias("none"))


@program("function")
def string_split(spark):
    return strings(spark).select("k", F.split("csv", ",").alias("parts"))


@program("function")
def string_split_with_limit(spark):
    return strings(spark).select("k", F.split("csv", ",", 2).alias("parts"))


@program("function")
def string_functions_on_empty_input(spark):
    return empty_people(spark).select(F.upper("name").alias("u"), F.length("name").alias("n"))


@program("function")
def string_initcap_reverse_repeat(spark):
    return strings(spark).select("k", F.initcap("s").alias("i"), F.reverse("s").alias("r"), F.repeat("csv", 2).alias("rp"))


@program("function")
def string_instr_locate(spark):
    return strings(spark).select("k", F.instr("s", "o").alias("i"), F.locate("o", "s", 6).alias("l"))


# == date and time functions =========================================================================

@program("function")
def date_to_date_and_to_timestamp(spark):
    return dates(spark).select("k", F.to_date("ds").alias("d"), F.to_timestamp("tss").alias("t"))


@program("function")
def date_to_date_with_format(spark):
    df = spark.createDataFrame([("15/01/2024",), ("31/12/1999",), (None,)], "s string")
    return df.select(F.to_date("s", "dd/MM/yyyy").alias("d"))


@program("function")
def date_to_timestamp_with_format(spark):
    df = spark.createDataFrame([("2024-01-15 08:30",), (None,)], "s string")
    return df.select(F.to_timestamp("s", "yyyy-MM-dd HH:mm").alias("t"))


@program("function")
def date_parts(spark):
    return dates(spark).select("k", F.year("d").alias("y"), F.month("d").alias("m"), F.dayofmonth("d").alias("dom"),
                               F.hour("ts").alias("h"), F.minute("ts").alias("mi"), F.second("ts").alias("s"))


@program("function")
def date_add_sub(spark):
    return dates(spark).select("k", F.date_add("d", 1).alias("next"), F.date_sub("d", 30).alias("prev"), F.date_add("d", -1).alias("neg"))


@program("function")
def date_datediff(spark):
    return dates(spark).select("k", F.datediff(F.lit(datetime.date(2024, 3, 1)), "d").alias("days"))


@program("function")
def date_trunc_units(spark):
    return dates(spark).select("k", F.date_trunc("month", "ts").alias("m"), F.date_trunc("hour", "ts").alias("h"),
                               F.date_trunc("year", "ts").alias("y"))


@program("function")
def date_current_date_is_recent(spark):
    return spark.range(1).select((F.current_date() > F.lit(datetime.date(2020, 1, 1))).alias("after_2020"),
                                 (F.datediff(F.current_date(), F.current_date()) == 0).alias("same"))


@program("function")
def date_invalid_string_to_date_raises(spark):
    return spark.createDataFrame([("not a date",)], "s string").select(F.to_date("s").alias("d"))


@program("function")
def date_format_and_dayofweek(spark):
    return dates(spark).select("k", F.date_format("ts", "yyyy/MM/dd HH:mm").alias("f"), F.dayofweek("d").alias("dow"))


@program("function")
def date_compare_with_string(spark):
    return dates(spark).filter(F.col("d") > "2000-01-01").select("k")


@program("function")
def timestamp_cast_to_date_and_long(spark):
    return dates(spark).select("k", F.col("ts").cast("date").alias("d"), F.col("ts").cast("long").alias("epoch"))


# == collection functions ============================================================================

@program("function")
def collection_size(spark):
    return nested(spark).select("k", F.size("arr").alias("n"), F.size("m").alias("mn"))


@program("function")
def collection_explode(spark):
    return nested(spark).select("k", F.explode("arr").alias("v"))


@program("function")
def collection_explode_map(spark):
    return nested(spark).select("k", F.explode("m"))


@program("function")
def collection_explode_outer(spark):
    return nested(spark).select("k", F.explode_outer("arr").alias("v"))


@program("function")
def collection_posexplode(spark):
    return nested(spark).select("k", F.posexplode("arr"))


@program("function")
def collection_array_contains(spark):
    return nested(spark).select("k", F.array_contains("arr", 2).alias("has2"), F.array_contains("arr", 5).alias("has5"))


@program("function")
def collection_element_at_array(spark):
    # ANSI mode: an index past the end raises, so only non-empty arrays are indexed here.
    return nested(spark).filter(F.size("arr") > 0).select("k", F.element_at("arr", 1).alias("first"),
                                                           F.element_at("arr", -1).alias("last"))


@program("function")
def collection_element_at_out_of_bounds_raises(spark):
    return nested(spark).select(F.element_at("arr", 10).alias("x"))


@program("function")
def collection_element_at_map(spark):
    return nested(spark).select("k", F.element_at("m", "a").alias("a"), F.col("m")["b"].alias("b"))


@program("function")
def collection_struct_creation(spark):
    return people(spark).select("id", F.struct("name", "age").alias("s"))


@program("function")
def collection_struct_field_access(spark):
    return nested(spark).select("k", F.col("st.n").alias("n"), F.col("st").getField("s").alias("s"))


@program("function")
def collection_array_index(spark):
    return nested(spark).filter(F.size("arr") > 1).select("k", F.col("arr")[0].alias("a0"), F.col("arr").getItem(1).alias("a1"))


@program("function")
def collection_array_creation(spark):
    return people(spark).select("id", F.array("id", "age").alias("a"))


@program("function")
def collection_create_map(spark):
    return people(spark).filter(F.col("name").isNotNull()).select("id", F.create_map("name", "age").alias("m"))


@program("function")
def collection_sort_array(spark):
    return nested(spark).select("k", F.sort_array("arr").alias("asc"), F.sort_array("arr", asc=False).alias("desc"))


@program("function")
def collection_array_join_and_distinct(spark):
    return nested(spark).select("k", F.array_join(F.array_distinct("arr"), "-").alias("j"))


@program("function")
def collection_struct_star_expand(spark):
    return nested(spark).select("k", "st.*")


@program("function")
def collection_explode_then_group(spark):
    return nested(spark).select(F.explode("m").alias("key", "value")).groupBy("key").agg(F.sum("value").alias("s"))


@program("function")
def collection_split_then_explode(spark):
    return strings(spark).select("k", F.explode(F.split("csv", ",")).alias("part"))


# == describe / column naming / misc ==================================================================

@program("naming")
def aggregate_default_names(spark):
    return people(spark).groupBy("dept").agg(F.sum("age"), F.avg("salary"), F.count("id"), F.countDistinct("age"))


@program("naming")
def function_default_names(spark):
    return strings(spark).select(F.upper("s"), F.length("s"), F.substring("s", 1, 2), F.coalesce("s", F.lit("x")))


@program("naming")
def comparison_default_names(spark):
    return people(spark).select(F.col("age") > 30, F.col("name").isNull(), ~(F.col("age") == 29))


@program("naming")
def cast_default_name(spark):
    return people(spark).select(F.col("age").cast("string"), F.col("id").cast("double"))


@program("naming")
def case_insensitive_resolution(spark):
    return people(spark).select(F.col("NAME"), F.col("Age"))


@program("naming")
def unknown_column_raises(spark):
    return people(spark).select("amout")


@program("naming")
def column_with_dots_backticks(spark):
    df = spark.createDataFrame([(1, 2)], "`a.b` int, c int")
    return df.select(F.col("`a.b`"), "c")


# == createDataFrame inputs ==========================================================================

@program("create")
def create_from_tuples_inferred(spark):
    return spark.createDataFrame([(1, "a", 1.5, True), (2, None, None, None)])


@program("create")
def create_from_dicts(spark):
    return spark.createDataFrame([{"b": 1, "a": "x"}, {"a": "y", "b": None}])


@program("create")
def create_from_rows(spark):
    return spark.createDataFrame([Row(name="a", n=1), Row(name="b", n=2)])


@program("create")
def create_nested_inferred(spark):
    return spark.createDataFrame([([1, 2], {"k": "v"}, Row(x=1.5))], ["arr", "m", "s"])


@program("create")
def create_mixed_int_string_merges(spark):
    return spark.createDataFrame([(1,), ("a",), (None,)])


@program("create")
def create_int_and_float_cannot_merge(spark):
    return spark.createDataFrame([(1,), (1.5,)])


@program("create")
def create_atomic_schema(spark):
    return spark.createDataFrame([1, 2, None], "int")


@program("create")
def create_empty_with_schema(spark):
    return spark.createDataFrame([], "a int, b array<string>, c map<string,int>")


@program("create")
def create_decimal_date_timestamp(spark):
    return spark.createDataFrame([(decimal.Decimal("1.5"), datetime.date(2020, 1, 1), datetime.datetime(2020, 1, 1, 12, 30))])


@program("create")
def create_value_out_of_range_raises(spark):
    return spark.createDataFrame([(300,)], "b tinyint")
