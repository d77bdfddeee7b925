"""String functions against Python's own string and re modules (Spark: 1-based character
positions, null in -> null out, concat_ws skips nulls)."""

import re

import pyarrow as pa
import pytest

from quiver.sql import functions as F

WORDS = ["hello world", "", None, "  padded  ", "ÄÖü straße", "a,b,,c,", "日本語テキスト", "MiXeD cAsE"]


@pytest.fixture(scope="module")
def df(spark):
    return spark.createDataFrame(pa.table({"s": pa.array(WORDS, pa.string()),
                                           "t": pa.array(["o", "", "x", "d", None, ",", "語", "e"], pa.string())}))


def col(result, name):
    return result.column(name).to_pylist()


def ref(f, *cols):
    return [None if any(c is None for c in vals) else f(*vals) for vals in zip(*cols)]


def java_substring(s, pos, length=None):
    n = len(s)
    start = pos - 1 if pos > 0 else (n + pos if pos < 0 else 0)
    end = n if length is None else start + length
    start = max(start, 0)
    return "" if start >= end else s[start:min(end, n)]


def test_case_length_reverse(df):
    got = df.select(F.upper("s").alias("u"), F.lower("s").alias("l"), F.length("s").alias("n"),
                    F.reverse("s").alias("r"), F.initcap("s").alias("i")).toArrow()
    assert col(got, "u") == ref(str.upper, WORDS)  # Python, like Java, upper-cases ß to SS
    assert col(got, "l") == ref(str.lower, WORDS)
    assert col(got, "n") == ref(len, WORDS)
    assert col(got, "r") == ref(lambda s: s[::-1], WORDS)
    assert col(got, "i") == ref(lambda s: " ".join(w[:1].upper() + w[1:].lower() for w in s.split(" ")), WORDS)


def test_like_escapes(spark):
    df = spark.createDataFrame(pa.table({"s": ["50%_off", "50%xoff", "5_"]}))
    got = df.select(F.col("s").like("50\\%\\_%").alias("a"), F.like("s", F.lit("5#_"), F.lit("#")).alias("b")).toArrow()
    assert col(got, "a") == [True, False, False]
    assert col(got, "b") == [False, False, True]
    with pytest.raises(Exception, match="escape character"):
        df.select(F.col("s").like("a\\,%")).collect()


@pytest.mark.parametrize("pos,length", [(1, 3), (2, 100), (0, 2), (-3, 2), (-100, 3), (5, -1), (3, None)])
def test_substring(df, pos, length):
    c = F.col("s").substr(pos, length) if length is not None else F.substring("s", pos, 2**31 - 1)
    got = col(df.select(c.alias("x")).toArrow(), "x")
    assert got == ref(lambda s: java_substring(s, pos, length), WORDS)


def test_concat_and_concat_ws(df):
    got = df.select(F.concat("s", F.lit("|"), "t").alias("c"), F.concat_ws("-", "s", "t", F.lit(None)).alias("w")).toArrow()
    assert col(got, "c") == ref(lambda s, t: s + "|" + t, WORDS, col(df.toArrow(), "t"))
    ts = col(df.toArrow(), "t")
    assert col(got, "w") == ["-".join(v for v in (s, t) if v is not None) for s, t in zip(WORDS, ts)]


def test_trim_pad_repeat(df):
    got = df.select(F.trim("s").alias("tr"), F.ltrim("s").alias("lt"), F.rtrim("s").alias("rt"),
                    F.lpad("s", 6, "*").alias("lp"), F.rpad("s", 6, "ab").alias("rp"), F.repeat("t", 3).alias("rep")).toArrow()
    assert col(got, "tr") == ref(lambda s: s.strip(" "), WORDS)
    assert col(got, "lt") == ref(lambda s: s.lstrip(" "), WORDS)
    assert col(got, "rt") == ref(lambda s: s.rstrip(" "), WORDS)
    assert col(got, "lp") == ref(lambda s: s[:6] if len(s) >= 6 else "*" * (6 - len(s)) + s, WORDS)
    assert col(got, "rp") == ref(lambda s: s[:6] if len(s) >= 6 else s + ("ab" * 6)[:6 - len(s)], WORDS)
    assert col(got, "rep") == ref(lambda t: t * 3, col(df.toArrow(), "t"))


def test_predicates(df):
    ts = col(df.toArrow(), "t")
    got = df.select(F.col("s").contains(F.col("t")).alias("c"), F.col("s").startswith("he").alias("sw"),
                    F.col("s").endswith(F.col("t")).alias("ew"), F.col("s").like("%o_w%").alias("lk"),
F.col("s").ilike("MIX%").alias("ilk"),
                    F.col("s").rlike("^[a-z]+ [a-z]+$").alias("rl")).toArrow()
    assert col(got, "c") == ref(lambda s, t: t in s, WORDS, ts)
    assert col(got, "sw") == ref(lambda s: s.startswith("he"), WORDS)
    assert col(got, "ew") == ref(lambda s, t: s.endswith(t), WORDS, ts)
    assert col(got, "lk") == ref(lambda s: re.fullmatch(r".*o.w.*", s, re.S) is not None, WORDS)
    assert col(got, "ilk") == ref(lambda s: s.lower().startswith("mix"), WORDS)
    assert col(got, "rl") == ref(lambda s: re.search(r"^[a-z]+ [a-z]+$", s) is not None, WORDS)


def test_regexp_functions(df):
    got = df.select(F.regexp_replace("s", "([aeiou])", "<$1>").alias("rr"),
                    F.regexp_extract("s", r"(\w+) (\w+)", 2).alias("re"),
                    F.split("s", ",").alias("sp"), F.split("s", ",", 2).alias("sp2")).toArrow()
    assert col(got, "rr") == ref(lambda s: re.sub("([aeiou])", r"<\1>", s), WORDS)
    assert col(got, "re") == ref(lambda s: (m.group(2) if (m := re.search(r"(\w+) (\w+)", s, re.ASCII)) else ""), WORDS)
    assert col(got, "sp") == ref(lambda s: s.split(","), WORDS)
    assert col(got, "sp2") == ref(lambda s: s.split(",", 1), WORDS)


def test_positions_replace_translate(df):
    ts = col(df.toArrow(), "t")
    got = df.select(F.instr("s", "o").alias("i"), F.locate("o", "s", 6).alias("lo"),
                    F.replace("s", F.lit("l"), F.lit("L")).alias("rp"), F.translate("s", "lo", "0").alias("tr"),
                    F.ascii("s").alias("a")).toArrow()
    assert col(got, "i") == ref(lambda s: s.find("o") + 1, WORDS)
    assert col(got, "lo") == ref(lambda s: s.find("o", 5) + 1 if len(s) >= 5 else 0, WORDS)
    assert col(got, "rp") == ref(lambda s: s.replace("l", "L"), WORDS)
    assert col(got, "tr") == ref(lambda s: s.translate(str.maketrans({"l": "0", "o": None})), WORDS)
    assert col(got, "a") == ref(lambda s: ord(s[0]) if s else 0, WORDS)
    del ts


def test_string_column_names(df):
    names = df.select(F.upper("s"), F.substring("s", 1, 2), F.concat_ws(",", "s", "t"), F.col("s").like("a%"),
                      F.regexp_replace("s", "a", "b"), F.trim("s"), F.length("s")).columns
    assert names == ["upper(s)", "substring(s, 1, 2)", "concat_ws(,, s, t)", "s LIKE a%",
                     "regexp_replace(s, a, b, 1)", "trim(s)", "length(s)"]


def test_numbers_cast_to_strings_in_concat(spark):
    df = spark.createDataFrame(pa.table({"i": pa.array([1, None], pa.int64()), "d": pa.array([1.0, 1e20])}))
    got = df.select(F.concat(F.lit("v="), "i").alias("a"), F.concat("d", F.lit("")).alias("b")).toArrow()
    assert col(got, "a") == ["v=1", None]
    assert col(got, "b") == ["1.0", "1.0E20"]  # Java's Double.toString, as Spark prints doubles
