"""pandas <-> Arrow conversion that round-trips every pandas dtype through the server.

pyarrow records pandas dtypes in schema-level metadata, which a query rewrites freely (columns are
renamed, dropped, computed). Quiver moves each column's entry to its field's metadata instead;
field metadata travels with the column through projections, so toPandas can restore the dtype of
every column that is still the user's original one.

Beyond pyarrow's own record, an entry may carry a "quiver" object with what pyarrow cannot restore
by itself:
  - "string_storage" (+ "string_na_nan"): pandas' StringDtype("python") comes back with the default
    pyarrow storage otherwise;
  - "categories": an empty result carries no Arrow dictionary, so the categories come from here;
  - "arrow_dtype": the column was pd.ArrowDtype, rebuilt from the Arrow column itself;
  - "pylist": the column held Python lists, so it comes back as Python lists (pyarrow would give
    numpy arrays, whose NaT and datetime64 values are not what the user put in).
A pandas object column whose values are lists of (key, value) pairs — the way pyarrow itself turns
an Arrow map into pandas — is uploaded as an Arrow map, so maps round-trip too.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pyarrow as pa

FIELD_KEY = b"quiver.pandas"


def pandas_to_arrow(pdf: pd.DataFrame, schema: pa.Schema | None = None) -> pa.Table:
    """Converts a pandas DataFrame (index dropped, as PySpark does) keeping dtype hints per field."""
    if not all(isinstance(c, str) for c in pdf.columns):
        pdf = pdf.rename(columns=str)
    if pdf.columns.duplicated().any():
        dups = sorted(set(pdf.columns[pdf.columns.duplicated()]))
        raise ValueError(f"the pandas DataFrame has duplicate column names {dups}; rename them first")
    extras: dict[str, dict[str, Any]] = {}
    if schema is None:
        schema = _infer_schema_for_maps(pdf)
    for name in pdf.columns:
        column = pdf[name]
        dtype = column.dtype
        if isinstance(dtype, pd.ArrowDtype):
            # pyarrow cannot parse its own record of nested ArrowDtypes ("list<item: int64>[pyarrow]").
            extras[name] = {"arrow_dtype": True}
        elif isinstance(dtype, pd.StringDtype) and dtype.storage == "python":
            # pyarrow restores StringDtype with the default (pyarrow) storage; keep the user's.
            extras[name] = {"string_storage": "python", "string_na_nan": dtype.na_value is not pd.NA}
        elif isinstance(dtype, pd.CategoricalDtype) and len(dtype.categories) <= 10_000 and \
                dtype.categories.dtype.kind in "OSUiub":
            # An empty result carries no dictionary; keep the categories to rebuild the dtype then.
            extras[name] = {"categories": dtype.categories.tolist(), "categories_dtype": str(dtype.categories.dtype)}
        elif dtype == object:
            first = _first_non_null(column)
            if isinstance(first, list) and not _is_pairs(first):
                extras[name] = {"pylist": True}
    try:
        table = pa.Table.from_pandas(pdf, schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise TypeError(f"cannot convert the pandas DataFrame to Arrow: {e}") from None
    return move_pandas_metadata_to_fields(table, extras)


def _first_non_null(column: pd.Series) -> Any:
    for v in column.array[:1000]:
        if v is not None and not (isinstance(v, float) and v != v):
            return v
    return None


def _is_pairs(values: list) -> bool:
    return len(values) > 0 and all(isinstance(p, tuple) and len(p) == 2 for p in values)


def _infer_schema_for_maps(pdf: pd.DataFrame) -> pa.Schema | None:
    """A schema where object columns of lists of (key, value) tuples become Arrow maps; None if none do."""
    map_types: dict[str, pa.DataType] = {}
    for name in pdf.columns:
        column = pdf[name]
        if column.dtype != object:
            continue
        first = _first_non_null(column)
        if not (isinstance(first, list) and _is_pairs(first)):
            continue
        keys, values = [], []
        for v in column.array:
            if isinstance(v, list):
                for pair in v:
                    if not (isinstance(pair, tuple) and len(pair) == 2):
                        break
                    keys.append(pair[0])
                    values.append(pair[1])
                else:
                    continue
                break
        else:
            try:
                map_types[name] = pa.map_(pa.array(keys).type, pa.array(values).type)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                continue
    if not map_types:
        return None
    fields = []
    for name in pdf.columns:
        if name in map_types:
            fields.append(pa.field(name, map_types[name]))
        else:
            fields.append(pa.Schema.from_pandas(pdf[[name]], preserve_index=False).field(0))
    return pa.schema(fields)


def move_pandas_metadata_to_fields(table: pa.Table, extras: dict[str, dict[str, Any]] | None = None) -> pa.Table:
    meta = (table.schema.metadata or {}).get(b"pandas")
    if meta is None:
        return table
    entries = {c.get("field_name", c.get("name")): c for c in json.loads(meta).get("columns", [])}
    fields = []
    for f in table.schema:
        entry = entries.get(f.name)
        md = dict(f.metadata or {})
        if entry is not None:
            if extras and f.name in extras:
                entry = dict(entry, quiver=extras[f.name])
            md[FIELD_KEY] = json.dumps(entry, separators=(",", ":")).encode()
        fields.append(f.with_metadata(md) if md else f)
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields))


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Converts a result to pandas, restoring the dtypes recorded at upload where they still apply."""
    entries = []
    object_strings = []
    python_lists = []
    arrow_backed = []
    astypes: dict[str, Any] = {}
    for f in table.schema:
        raw = (f.metadata or {}).get(FIELD_KEY)
        if raw is None:
            continue
        entry = json.loads(raw)
        extra = entry.pop("quiver", None) or {}
        entry["name"] = f.name
        entry["field_name"] = f.name
        if extra.get("arrow_dtype"):
            arrow_backed.append(f.name)
            continue
        entries.append(entry)
        if entry.get("numpy_type") == "object" and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)):
            object_strings.append(f.name)
        if extra.get("pylist") and (pa.types.is_list(f.type) or pa.types.is_large_list(f.type)):
            python_lists.append(f.name)
        if "categories" in extra and table.num_rows == 0 and pa.types.is_dictionary(f.type):
            categories = pd.Index(extra["categories"], dtype=extra["categories_dtype"])
            astypes[f.name] = pd.CategoricalDtype(categories, ordered=f.type.ordered)
        if "string_storage" in extra:
            na_value = float("nan") if extra.get("string_na_nan") else pd.NA
            astypes[f.name] = pd.StringDtype(extra["string_storage"], na_value=na_value)
    if entries:
        pandas_meta = {"index_columns": [], "column_indexes": [], "columns": entries,
                       "creator": {"library": "quiver"}, "pandas_version": pd.__version__}
        table = table.replace_schema_metadata({b"pandas": json.dumps(pandas_meta).encode()})
    names = table.column_names
    if len(set(names)) != len(names):
        # pandas allows duplicate names; pyarrow's conversion needs unique ones.
        table = table.rename_columns([f"__quiver_col_{i}" for i in range(len(names))]).replace_schema_metadata(None)
        pdf = table.to_pandas(split_blocks=True, self_destruct=True)
        pdf.columns = names
        return pdf
    object_cols = {name: table.column(name).to_numpy(zero_copy_only=False) for name in object_strings}
    list_cols = {name: table.column(name).to_pylist() for name in python_lists}
    arrow_cols = {name: table.column(name) for name in arrow_backed}
    if arrow_cols:
        # Converted apart from the self-destructing conversion, which must not own their buffers.
        table = table.drop_columns(arrow_backed)
    pdf = table.to_pandas(split_blocks=True, self_destruct=True)
    for name, values in object_cols.items():
        pdf[name] = pd.Series(values, dtype=object, index=pdf.index)
    for name, values in list_cols.items():
        pdf[name] = pd.Series(values, dtype=object, index=pdf.index)
    for name, column in arrow_cols.items():
        pdf[name] = pd.Series(pd.arrays.ArrowExtensionArray(column), index=pdf.index)
    if arrow_cols:
        pdf = pdf[names]
    for name, dtype in astypes.items():
        pdf[name] = pdf[name].astype(dtype)
    return pdf
