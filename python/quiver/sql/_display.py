"""Results as Python values (collect) and as text (show), the way PySpark presents them.

collect(): structs become Rows, maps dicts, arrays lists, timestamps with a time zone become naive
datetimes in the session time zone (PySpark's convention), everything else the value pyarrow gives.

show(): Spark's Dataset.showString. Cells are Spark's cast-to-string of the value: NULL, true/false,
doubles as Java's Double.toString (1.0E10, 1.0E-5), floats as Java's Float.toString, timestamps as
`yyyy-MM-dd HH:mm:ss[.fraction]` in the session time zone, binary as [61 62], arrays [1, 2],
maps {a -> 1}, structs {1, x}, day-time intervals as INTERVAL '1 00:00:03' DAY TO SECOND. Widths count
East Asian wide characters twice, as Spark's Utils.stringHalfWidth does.
"""

from __future__ import annotations

import datetime
import decimal
import unicodedata
import zoneinfo
from typing import Any

import pyarrow as pa

from quiver.sql.row import Row


def has_zoned_timestamps(t: pa.DataType) -> bool:
    """Whether a type holds time-zone-aware timestamps anywhere (then the session time zone matters)."""
    if pa.types.is_timestamp(t):
        return t.tz is not None
    if pa.types.is_dictionary(t):
        return has_zoned_timestamps(t.value_type)
    if pa.types.is_map(t):
        return has_zoned_timestamps(t.key_type) or has_zoned_timestamps(t.item_type)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return has_zoned_timestamps(t.value_type)
    if pa.types.is_struct(t):
        return any(has_zoned_timestamps(f.type) for f in t)
    return False


def _zone(name: str | None) -> datetime.tzinfo:
    if not name:
        return datetime.timezone.utc
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        offset = _parse_offset(name)
        if offset is None:
            raise ValueError(f"unknown session time zone {name!r}; use a region name like 'Europe/Paris' "
                             "or an offset like '+02:00'") from None
        return offset


def _parse_offset(name: str) -> datetime.timezone | None:
    text = name.upper().removeprefix("UTC").removeprefix("GMT")
    if text in ("", "Z"):
        return datetime.timezone.utc
    if text[0] not in "+-":
        return None
    sign = -1 if text[0] == "-" else 1
    parts = text[1:].split(":")
    try:
        hours = int(parts[0])
        minutes = int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return None
    return datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes))


# -- collect ------------------------------------------------------------------------------------

def table_rows(table: pa.Table, time_zone: str | None = None) -> list[Row]:
    """The rows of a result as PySpark's collect() returns them."""
    names = table.column_names
    zone = _zone(time_zone)
    columns = [column_values(table.column(i), zone) for i in range(table.num_columns)]
    if not columns:
        return [Row._from_fields([], []) for _ in range(table.num_rows)]
    return [Row._from_fields(names, list(values)) for values in zip(*columns)]


def column_values(column: pa.ChunkedArray, zone: datetime.tzinfo) -> list:
    t = column.type
    values = column.to_pylist()
    if not _needs_conversion(t):
        return values
    return [_to_python(v, t, zone) for v in values]


def _needs_conversion(t: pa.DataType) -> bool:
    return (pa.types.is_struct(t) or pa.types.is_map(t) or pa.types.is_list(t) or pa.types.is_large_list(t)
            or pa.types.is_fixed_size_list(t) or has_zoned_timestamps(t))


def _to_python(v: Any, t: pa.DataType, zone: datetime.tzinfo) -> Any:
    if v is None:
        return None
    if pa.types.is_dictionary(t):
        return _to_python(v, t.value_type, zone)
    if pa.types.is_struct(t):
        return Row._from_fields([f.name for f in t], [_to_python(v[f.name], f.type, zone) for f in t])
    if pa.types.is_map(t):
        return {_hashable(_to_python(k, t.key_type, zone)): _to_python(x, t.item_type, zone) for k, x in v}
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [_to_python(x, t.value_type, zone) for x in v]
    if pa.types.is_timestamp(t) and t.tz is not None and isinstance(v, datetime.datetime):
        return v.astimezone(zone).replace(tzinfo=None)
    return v


def _hashable(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple((k, _hashable(x)) for k, x in v.items())
    return v


# -- show ---------------------------------------------------------------------------------------

def format_cell(v: Any, t: pa.DataType, zone: datetime.tzinfo) -> str:
    """Spark's string form of one value of Arrow type t (top-level and nested alike)."""
    if v is None:
        return "NULL"
    if pa.types.is_dictionary(t):
        return format_cell(v, t.value_type, zone)
    if pa.types.is_boolean(t):
        return "true" if v else "false"
    if pa.types.is_floating(t):
        return java_float_string(v, single=pa.types.is_float32(t) or pa.types.is_float16(t))
    if pa.types.is_decimal(t):
        return format(v, "f")
    if pa.types.is_timestamp(t):
        return _format_timestamp(v, t, zone)
    if pa.types.is_date(t):
        return v.isoformat() if isinstance(v, datetime.date) else str(v)
    if pa.types.is_duration(t):
        return _format_day_time_interval(v)
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t) or \
            pa.types.is_binary_view(t):
        return "[" + " ".join(f"{b:02X}" for b in v) + "]"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return "[" + ", ".join(format_cell(x, t.value_type, zone) for x in v) + "]"
    if pa.types.is_map(t):
        return "{" + ", ".join(f"{format_cell(k, t.key_type, zone)} -> {format_cell(x, t.item_type, zone)}"
                               for k, x in v) + "}"
    if pa.types.is_struct(t):
        return "{" + ", ".join(format_cell(v[f.name], f.type, zone) for f in t) + "}"
    return str(v)


def java_float_string(v: float, single: bool = False) -> str:
    """Java's Double.toString / Float.toString: shortest digits, scientific below 1e-3 and from 1e7."""
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    if v == 0:
        return "-0.0" if str(v).startswith("-") else "0.0"
    if single:
        import numpy as np

        shortest = np.format_float_positional(np.float32(v), unique=True, trim="0")
    else:
        shortest = repr(float(v))
    d = decimal.Decimal(shortest)
    if 1e-3 <= abs(v) < 1e7:
        text = format(d, "f")
        return text if "." in text else text + ".0"
    sign, digits, exponent = d.as_tuple()
    digit_text = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) - 1 + int(exponent)
    mantissa = digit_text[0] + "." + (digit_text[1:] or "0")
    return ("-" if sign else "") + f"{mantissa}E{power}"


def _format_timestamp(v: Any, t: pa.DataType, zone: datetime.tzinfo) -> str:
    nanos = 0
    if hasattr(v, "nanosecond"):  # pandas.Timestamp for nanosecond units
        nanos = v.nanosecond
        v = v.to_pydatetime(warn=False)
    if t.tz is not None:
        v = v.astimezone(zone)
    text = v.strftime("%Y-%m-%d %H:%M:%S") if v.year >= 1000 else \
        f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}"
    fraction = f"{v.microsecond:06d}{nanos:03d}".rstrip("0")
    return text + ("." + fraction if fraction else "")


def _format_day_time_interval(v: Any) -> str:
    if not isinstance(v, datetime.timedelta):
        return str(v)
    total = (v.days * 86_400 + v.seconds) * 1_000_000 + v.microseconds
    sign = "-" if total < 0 else ""
    total = abs(total)
    micros = total % 1_000_000
    seconds = total // 1_000_000
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    fraction = f".{micros:06d}".rstrip("0") if micros else ""
    return f"INTERVAL '{sign}{days} {hours:02d}:{minutes:02d}:{seconds:02d}{fraction}' DAY TO SECOND"


def half_width(text: str) -> int:
    """Display width: East Asian wide and full-width characters take two cells."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _pad(text: str, width: int, left: bool) -> str:
    fill = " " * max(0, width - half_width(text))
    return fill + text if left else text + fill


def show_string(table: pa.Table, n: int, truncate: bool | int, vertical: bool, time_zone: str | None) -> str:
    """Spark's Dataset.showString over a result holding up to n + 1 rows."""
    zone = _zone(time_zone)
    names = table.column_names
    has_more = table.num_rows > n
    table = table.slice(0, max(n, 0))
    width = 20 if truncate is True else (int(truncate) if truncate else 0)

    def cut(s: str) -> str:
        if width > 0 and len(s) > width:
            return s[:width] if width < 4 else s[: width - 3] + "..."
        return s

    columns = [[cut(format_cell(v, table.schema.field(i).type, zone)) for v in table.column(i).to_pylist()]
               for i in range(table.num_columns)]
    rows = [list(r) for r in zip(*columns)] if columns else [[] for _ in range(table.num_rows)]
    header = list(names)  # Spark 4 never truncates column names
    out: list[str] = []
    if not vertical:
        widths = [max(3, half_width(h), *(half_width(r[i]) for r in rows)) for i, h in enumerate(header)]
        sep = "+" + "+".join("-" * w for w in widths) + "+"
        left = width > 0

        def line(cells: list[str]) -> str:
            return "|" + "|".join(_pad(c, w, left) for c, w in zip(cells, widths)) + "|"

        out.append(sep)
        out.append(line(header))
        out.append(sep)
        out.extend(line(r) for r in rows)
        out.append(sep)
    else:
        name_width = max([3] + [half_width(h) for h in header])
        data_width = max([3] + [half_width(c) for r in rows for c in r])
        for i, r in enumerate(rows):
            out.append(f"-RECORD {i}".ljust(name_width + data_width + 5, "-"))
            for h, c in zip(header, r):
                out.append(f" {_pad(h, name_width, False)} | {_pad(c, data_width, False)} ")
        if not rows:
            return "(0 rows)"  # Spark's vertical form of an empty result, no newline of its own
    text = "\n".join(out) + "\n"
    if has_more:
        # Spark 4 ends the table with this line and no newline of its own (show() prints one).
        text += f"only showing top {n} row{'s' if n != 1 else ''}"
    return text
