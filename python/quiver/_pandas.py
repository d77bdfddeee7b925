"""pandas <-> Arrow conversion that round-trips every pandas dtype through the server.

pyarrow records pandas dtypes in schema-level metadata, which a query rewrites freely (columns are
renamed, dropped, computed). Quiver moves each column's entry to its field's metadata instead;
field metadata travels with the column through projections, so toPandas can restore the dtype of
every column that is still the user's original one.
"""

from __future__ import annotations

import json

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
    table = pa.Table.from_pandas(pdf, schema=schema, preserve_index=False)
    return move_pandas_metadata_to_fields(table)


def move_pandas_metadata_to_fields(table: pa.Table) -> pa.Table:
    meta = (table.schema.metadata or {}).get(b"pandas")
    if meta is None:
        return table
    entries = {c.get("field_name", c.get("name")): c for c in json.loads(meta).get("columns", [])}
    fields = []
    for f in table.schema:
        entry = entries.get(f.name)
        md = dict(f.metadata or {})
        if entry is not None:
            md[FIELD_KEY] = json.dumps(entry, separators=(",", ":")).encode()
        fields.append(f.with_metadata(md) if md else f)
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields))


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Converts a result to pandas, restoring the dtypes recorded at upload where they still apply."""
    entries = []
    object_strings = []
    for f in table.schema:
        raw = (f.metadata or {}).get(FIELD_KEY)
        if raw is None:
            continue
        entry = json.loads(raw)
        entry["name"] = f.name
        entry["field_name"] = f.name
        entries.append(entry)
        if entry.get("numpy_type") == "object" and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)):
            object_strings.append(f.name)
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
    pdf = table.to_pandas(split_blocks=True, self_destruct=True)
    for name, values in object_cols.items():
        pdf[name] = pd.Series(values, dtype=object, index=pdf.index)
    return pdf

