"""Date and time functions against Python's datetime (session time zone UTC, the default)."""

import calendar
import datetime as dt

import pyarrow as pa
import pytest

from quiver.sql import functions as F

DATES = [dt.date(2024, 2, 29), dt.date(1969, 12, 31), None, dt.date(2000, 1, 1), dt.date(2023, 12, 31), dt.date(1900, 3, 15)]
STAMPS = [dt.datetime(2024, 2, 29, 13, 45, 30, 123456, tzinfo=dt.timezone.utc), dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc),
          None, dt.datetime(2000, 1, 1, 0, 0, tzinfo=dt.timezone.utc), dt.datetime(2023, 12, 31, 7, 5, 1, tzinfo=dt.timezone.utc),
          dt.datetime(1900, 3, 15, 12, 0, tzinfo=dt.timezone.utc)]


@pytest.fixture(scope="module")
def df(spark):
    return spark.createDataFrame(pa.table({
        "d": pa.array(DATES, pa.date32()),
        "ts": pa.array(STAMPS, pa.timestamp("us", tz="UTC")),
        "s": pa.array(["2024-02-29", "1969-12-31 10:00:00", None, "2000-1-1", "2023-12-31T07:05:01", "1900-03-15"]),
    }))


def col(t, name):
    return t.column(name).to_pylist()


def ref(f, values):
    return [None if v is None else f(v) for v in values]


def test_date_parts(df):
    got = df.select(F.year("d").alias("y"), F.month("d").alias("m"), F.dayofmonth("d").alias("dm"),
                    F.dayofweek("d").alias("dw"), F.dayofyear("d").alias("dy"), F.weekofyear("d").alias("wy"),
                    F.quarter("d").alias("q"), F.hour("ts").alias("h"), F.minute("ts").alias("mi"),
                    F.second("ts").alias("se")).toArrow()
    assert col(got, "y") == ref(lambda d: d.year, DATES)
    assert col(got, "m") == ref(lambda d: d.month, DATES)
    assert col(got, "dm") == ref(lambda d: d.day, DATES)
    assert col(got, "dw") == ref(lambda d: d.isoweekday() % 7 + 1, DATES)  # Spark: 1 = Sunday
    assert col(got, "dy") == ref(lambda d: d.timetuple().tm_yday, DATES)
    assert col(got, "wy") == ref(lambda d: d.isocalendar()[1], DATES)
    assert col(got, "q") == ref(lambda d: (d.month - 1) // 3 + 1, DATES)
    assert col(got, "h") == ref(lambda t: t.hour, STAMPS)
    assert col(got, "mi") == ref(lambda t: t.minute, STAMPS)
    assert col(got, "se") == ref(lambda t: t.second, STAMPS)


def add_months(d, k):
    total = d.year * 12 + d.month - 1 + k
    y, m = divmod(total, 12)
    return dt.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def test_date_arithmetic(df):
    got = df.select(F.date_add("d", 10).alias("a"), F.date_sub("d", 400).alias("s"), F.add_months("d", 13).alias("am"),
                    F.add_months("d", -1).alias("am1"), F.datediff("d", F.lit(dt.date(2000, 1, 1))).alias("dd"),
                    F.last_day("d").alias("ld")).toArrow()
    assert col(got, "a") == ref(lambda d: d + dt.timedelta(days=10), DATES)
    assert col(got, "s") == ref(lambda d: d - dt.timedelta(days=400), DATES)
    assert col(got, "am") == ref(lambda d: add_months(d, 13), DATES)
    assert col(got, "am1") == ref(lambda d: add_months(d, -1), DATES)
    assert col(got, "dd") == ref(lambda d: (d - dt.date(2000, 1, 1)).days, DATES)
    assert col(got, "ld") == ref(lambda d: d.replace(day=calendar.monthrange(d.year, d.month)[1]), DATES)


def test_trunc_and_date_trunc(df):
    got = df.select(F.trunc("d", "year").alias("ty"), F.trunc("d", "MM").alias("tm"), F.trunc("d", "week").alias("tw"),
                    F.date_trunc("hour", "ts").alias("th"), F.date_trunc("month", "ts").alias("tmo"),
                    F.trunc("d", "day").alias("bad")).toArrow()
    assert col(got, "ty") == ref(lambda d: d.replace(month=1, day=1), DATES)
    assert col(got, "tm") == ref(lambda d: d.replace(day=1), DATES)
    assert col(got, "tw") == ref(lambda d: d - dt.timedelta(days=d.weekday()), DATES)
    assert col(got, "th") == ref(lambda t: t.replace(minute=0, second=0, microsecond=0), STAMPS)
    assert col(got, "tmo") == ref(lambda t: t.replace(day=1, hour=0, minute=0, second=0, microsecond=0), STAMPS)
    assert col(got, "bad") == [None] * len(DATES)  # trunc takes only year/quarter/month/week units


def test_format_and_parse(df):
    got = df.select(F.date_format("ts", "yyyy-MM-dd HH:mm:ss.SSS").alias("f"), F.date_format("d", "EEE, d MMM yy").alias("g"),
                    F.to_date("s").alias("td"), F.to_timestamp("s").alias("tt"),
                    F.unix_timestamp("ts").alias("u"), F.from_unixtime(F.unix_timestamp("ts")).alias("fu")).toArrow()
    assert col(got, "f") == ref(lambda t: t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}", STAMPS)
    assert col(got, "g") == ref(lambda d: f"{d.strftime('%a')}, {d.day} {d.strftime('%b')} {d.strftime('%y')}", DATES)
    assert col(got, "td") == [dt.date(2024, 2, 29), dt.date(1969, 12, 31), None, dt.date(2000, 1, 1), dt.date(2023, 12, 31), dt.date(1900, 3, 15)]
    utc = dt.timezone.utc
    assert col(got, "tt") == [dt.datetime(2024, 2, 29, tzinfo=utc), dt.datetime(1969, 12, 31, 10, tzinfo=utc), None,
                              dt.datetime(2000, 1, 1, tzinfo=utc), dt.datetime(2023, 12, 31, 7, 5, 1, tzinfo=utc),
                              dt.datetime(1900, 3, 15, tzinfo=utc)]
    assert col(got, "u") == ref(lambda t: int(t.timestamp() // 1), STAMPS)
    assert col(got, "fu") == ref(lambda t: t.strftime("%Y-%m-%d %H:%M:%S"), STAMPS)


def test_parse_with_pattern(spark):
    df = spark.createDataFrame(pa.table({"s": ["03/15/2021 07:08 PM", "12/01/1999 12:00 AM", None]}))
    got = df.select(F.to_timestamp("s", "MM/dd/yyyy hh:mm a").alias("t"), F.to_date("s", "MM/dd/yyyy hh:mm a").alias("d")).toArrow()
    want = [dt.datetime.strptime(v, "%m/%d/%Y %I:%M %p").replace(tzinfo=dt.timezone.utc) if v else None
            for v in ["03/15/2021 07:08 PM", "12/01/1999 12:00 AM", None]]
    assert col(got, "t") == want
    assert col(got, "d") == [w.date() if w else None for w in want]
    with pytest.raises(Exception, match="CANNOT_PARSE_TIMESTAMP"):
        spark.createDataFrame(pa.table({"s": ["not a date"]})).select(F.to_timestamp("s", "yyyy-MM-dd")).collect()


def test_months_between(spark):
    pairs = [(dt.date(2024, 3, 31), dt.date(2024, 2, 29)), (dt.date(2024, 3, 15), dt.date(2024, 1, 15)),
             (dt.date(2024, 3, 10), dt.date(2024, 1, 25))]
    df = spark.createDataFrame(pa.table({"a": pa.array([p[0] for p in pairs]), "b": pa.array([p[1] for p in pairs])}))
    got = col(df.select(F.months_between("a", "b").alias("m")).toArrow(), "m")

    def spark_months_between(a, b):  # Spark's documented rule
        months = (a.year - b.year) * 12 + a.month - b.month
        last_a = a.day == calendar.monthrange(a.year, a.month)[1]
        last_b = b.day == calendar.monthrange(b.year, b.month)[1]
        if a.day == b.day or (last_a and last_b):
            return float(months)
        return round(months + (a.day - b.day) / 31, 8)

    assert got == [spark_months_between(a, b) for a, b in pairs]


def test_current_date_and_names(df):
    got = df.select(F.current_date().alias("c")).toArrow()
    today = dt.datetime.now(dt.timezone.utc).date()
    assert set(col(got, "c")) <= {today, today - dt.timedelta(days=1), today + dt.timedelta(days=1)}
    names = df.select(F.year("d"), F.date_add("d", 1), F.date_format("ts", "yyyy"), F.to_date("s"), F.current_date()).columns
    assert names == ["year(d)", "date_add(d, 1)", "date_format(ts, yyyy)", "to_date(s)", "current_date()"]


def test_cast_string_to_date_invalid_is_error(spark):
    df = spark.createDataFrame(pa.table({"s": ["2024-13-01"]}))
    with pytest.raises(Exception, match="CAST_INVALID_INPUT"):
        df.select(F.col("s").cast("date")).collect()
    assert df.select(F.col("s").try_cast("date").alias("x")).toArrow().column("x").to_pylist() == [None]
