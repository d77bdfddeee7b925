"""The differential suite's machinery: a program registry, result normalization and comparison.

A program is a function `(spark) -> DataFrame` registered with @program. It runs on real PySpark
(local mode) to record the expected answer under expected/<name>.json, and on Quiver to compare.
Both engines go through the same normalization: collect() rows become JSON values (floats keep
NaN/Infinity as strings, decimals and dates their text, structs their field names, maps sorted
pairs), so the answer files are engine-neutral and small.

Rows compare order-insensitively unless the program declares ordered=True (it sorts). Floats compare
with a relative tolerance of 1e-9 (aggregation order differs between engines). A program whose
PySpark run raised records the error class; Quiver passes it by raising too.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import math
import pathlib
from typing import Any, Callable

HERE = pathlib.Path(__file__).parent
EXPECTED_DIR = HERE / "expected"
STATUS_FILE = HERE / "status.json"


@dataclasses.dataclass
class Program:
    name: str
    function: Callable[[Any], Any]
    ordered: bool
    category: str
    description: str


PROGRAMS: dict[str, Program] = {}


def program(category: str, ordered: bool = False) -> Callable:
    """Registers a DataFrame program; its name is the function's name."""

    def register(function: Callable) -> Callable:
        name = function.__name__
        if name in PROGRAMS:
            raise ValueError(f"duplicate compat program name {name!r}")
        PROGRAMS[name] = Program(name, function, ordered, category, (function.__doc__ or "").strip())
        return function

    return register


# -- normalization ------------------------------------------------------------------------------

def normalize(value: Any) -> Any:
    """A JSON value standing for one collected value, the same for PySpark and Quiver."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return 0.0 if value == 0 else value
    if isinstance(value, decimal.Decimal):
        return {"decimal": str(value)}
    if isinstance(value, datetime.datetime):
        return {"timestamp": value.replace(tzinfo=None).isoformat()}
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"interval_us": (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds}
    if isinstance(value, (bytes, bytearray)):
        return {"binary": bytes(value).hex()}
    if isinstance(value, dict):
        pairs = [[normalize(k), normalize(v)] for k, v in value.items()]
        return {"map": sorted(pairs, key=lambda p: json.dumps(p, sort_keys=True))}
    fields = getattr(value, "__fields__", None)
    if isinstance(value, tuple) and fields is not None:
        return {"struct": [[name, normalize(v)] for name, v in zip(fields, value)]}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    return {"repr": repr(value)}


def capture(spark: Any, prog: Program) -> dict:
    """Runs a program and collects its answer (or the error it raised) as a JSON-ready dict."""
    try:
        df = prog.function(spark)
        schema = [[f.name, f.dataType.simpleString()] for f in df.schema.fields]
        rows = [[normalize(v) for v in row] for row in df.collect()]
    except Exception as e:  # noqa: BLE001 - the error is the answer
        return {"name": prog.name, "error": _error_text(e)}
    return {"name": prog.name, "ordered": prog.ordered, "schema": schema, "rows": rows}


def _error_text(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {text}"[:500]


# -- comparison -----------------------------------------------------------------------------------

def compare(expected: dict, actual: dict) -> str | None:
    """None when the answers agree, else the first difference in words."""
    if "error" in expected:
        if "error" not in actual:
            return f"PySpark raised ({expected['error']}) but Quiver returned {len(actual['rows'])} rows"
        error_class = _error_class(expected["error"])
        if error_class and error_class not in actual["error"]:
            return f"PySpark raised {error_class} but Quiver raised {actual['error']}"
        return None
    if "error" in actual:
        return f"Quiver raised {actual['error']}"
    want_names = [n for n, _ in expected["schema"]]
    got_names = [n for n, _ in actual["schema"]]
    if want_names != got_names:
        return f"column names differ: PySpark {want_names}, Quiver {got_names}"
    want_rows, got_rows = expected["rows"], actual["rows"]
    if len(want_rows) != len(got_rows):
        return f"row counts differ: PySpark {len(want_rows)}, Quiver {len(got_rows)}"
    if not expected.get("ordered"):
        want_rows, got_rows = sorted(want_rows, key=_sort_key), sorted(got_rows, key=_sort_key)
    for index, (want, got) in enumerate(zip(want_rows, got_rows)):
        if not _equal(want, got):
            return f"row {index} differs: PySpark {json.dumps(want)}, Quiver {json.dumps(got)}"
    want_types = [t for _, t in expected["schema"]]
    got_types = [t for _, t in actual["schema"]]
    if want_types != got_types:
        return f"column types differ: PySpark {want_types}, Quiver {got_types}"
    return None


def _error_class(text: str) -> str | None:
    """PySpark's error class, e.g. [DIVIDE_BY_ZERO], which Quiver's message must carry too."""
    start = text.find("[")
    end = text.find("]", start)
    if start < 0 or end < 0 or not text[start + 1:end].replace("_", "").isalnum():
        return None
    return text[start:end + 1]


def _sort_key(row: Any) -> str:
    return json.dumps(_rounded(row), sort_keys=True)


def _rounded(value: Any) -> Any:
    """Floats rounded for sorting only, so 0.30000000000000004 and 0.3 sort alike."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _equal(want: Any, got: Any) -> bool:
    if isinstance(want, float) and isinstance(got, (float, int)) and not isinstance(got, bool):
        return math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(want, list) and isinstance(got, list):
        return len(want) == len(got) and all(_equal(w, g) for w, g in zip(want, got))
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(_equal(want[k], got[k]) for k in want)
    return type(want) is type(got) and want == got


# -- files ----------------------------------------------------------------------------------------

def expected_path(name: str) -> pathlib.Path:
    return EXPECTED_DIR / f"{name}.json"


def load_expected(name: str) -> dict | None:
    path = expected_path(name)
    if not path.exists():
        return None
    return json.loads(path.read_text())


def write_expected(answer: dict) -> None:
    """One JSON file per program, one row per line so that diffs read well."""
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    parts = [f' "{key}": {json.dumps(answer[key], sort_keys=True)}' for key in sorted(answer) if key != "rows"]
    if "rows" in answer:
        rows = ",\n".join("  " + json.dumps(row, sort_keys=True) for row in answer["rows"])
        parts.append(' "rows": [\n' + rows + "\n ]" if rows else ' "rows": []')
    # Written aside and renamed, so a test reading answers while `make compat` runs never sees half a file.
    path = expected_path(answer["name"])
    partial = path.with_suffix(".json.partial")
    partial.write_text("{\n" + ",\n".join(parts) + "\n}\n")
    partial.replace(path)


def load_status() -> dict[str, dict]:
    if not STATUS_FILE.exists():
        return {}
    return json.loads(STATUS_FILE.read_text())


def write_status(status: dict[str, dict]) -> None:
    STATUS_FILE.write_text(json.dumps(dict(sorted(status.items())), indent=1, sort_keys=True) + "\n")


def run_on_quiver(spark: Any, prog: Program) -> tuple[bool, str]:
    """(passed, reason) for one program against its stored PySpark answer."""
    expected = load_expected(prog.name)
    if expected is None:
        return False, "no expected answer recorded yet: run `make compat`"
    difference = compare(expected, capture(spark, prog))
    return difference is None, difference or ""
