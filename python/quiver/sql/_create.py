"""createDataFrame's input handling: every input PySpark accepts, turned into one Arrow table.

The rules are PySpark's (pyspark.sql.session.createDataFrame, types._infer_schema/_merge_type/
_make_type_verifier): rows are tuples, lists, Rows, namedtuples, dicts or objects; with no schema the
types are inferred from every row and merged; a schema is a DDL string, a StructType, another
DataType (one column named "value") or a list of column names (types inferred, names replaced).
Errors carry PySpark's error class in brackets and say which row and field was wrong.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any, Iterable

import pyarrow as pa

from quiver import _pandas
from quiver.sql.types import (
    ArrayType,
    ArrowType,
    BinaryType,
    BooleanType,
    ByteType,
    CharType,
    DataType,
    DateType,
    DayTimeIntervalType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    MapType,
    NullType,
    ShortType,
    StringType,
    StructField,
    StructType,
    TimestampNTZType,
    TimestampType,
    TimeType,
    VarcharType,
    _has_nulltype,
    _infer_schema,
    _merge_type,
    _parse_datatype_string,
)


def to_arrow_table(data: Any, schema: Any = None, verify: bool = True) -> pa.Table:
    """The Arrow table createDataFrame(data, schema) uploads."""
    import pandas as pd

    struct, names = _schema_argument(schema)
    if isinstance(data, pd.DataFrame):
        return _from_pandas(data, struct, names)
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        return _from_arrow(data, struct, names)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if np is not None and isinstance(data, np.ndarray):
        return _from_numpy(data, struct, names)
    if isinstance(data, (str, bytes, dict)) or not isinstance(data, Iterable):
        raise TypeError(f"[INVALID_TYPE] createDataFrame does not accept {type(data).__name__}; pass a pandas "
                        "DataFrame, a pyarrow Table, a numpy array, or a list of rows (tuples, Rows, dicts)")
    return _from_rows(list(data), struct, names, verify)


def _schema_argument(schema: Any) -> tuple[StructType | None, list[str] | None]:
    """(a StructType, None), (None, column names) or (None, None)."""
    if schema is None:
        return None, None
    if isinstance(schema, (list, tuple)):
        if not all(isinstance(s, str) for s in schema):
            raise TypeError("[NOT_LIST_OF_STR] a schema given as a list must hold column names (strings), got "
                            f"{[type(s).__name__ for s in schema]}")
        return None, list(schema)
    if isinstance(schema, str):
        schema = _parse_datatype_string(schema)
    if isinstance(schema, StructType):
        return schema, None
    if isinstance(schema, DataType):
        return StructType([StructField("value", schema)]), None
    raise TypeError(f"[NOT_LIST_OR_NONE_OR_STRUCT] schema must be a StructType, a DDL string, a DataType or a "
                    f"list of column names, got {type(schema).__name__}")


# -- pandas, Arrow, numpy -------------------------------------------------------------------------

def _from_pandas(pdf: Any, struct: StructType | None, names: list[str] | None) -> pa.Table:
    if struct is not None:
        if len(struct.fields) != len(pdf.columns):
            raise ValueError(f"[LENGTH_SHOULD_BE_THE_SAME] the schema has {len(struct.fields)} fields "
                             f"({', '.join(struct.names)}) but the pandas DataFrame has {len(pdf.columns)} columns "
                             f"({', '.join(map(str, pdf.columns))})")
        renamed = pdf.copy(deep=False)
        renamed.columns = struct.names
        try:
            return _pandas.pandas_to_arrow(renamed, schema=struct.to_arrow_schema())
        except TypeError as e:
            raise TypeError(f"the pandas DataFrame does not fit the schema {struct.simpleString()}: {e}") from None
    if names is not None:
        if len(names) > len(pdf.columns):
            raise ValueError(f"[LENGTH_SHOULD_BE_THE_SAME] {len(names)} column names given for a pandas DataFrame "
                             f"with {len(pdf.columns)} columns")
        renamed = pdf.copy(deep=False)
        renamed.columns = list(names) + [str(c) for c in pdf.columns[len(names):]]
        return _pandas.pandas_to_arrow(renamed)
    return _pandas.pandas_to_arrow(pdf)


def _from_arrow(table: pa.Table, struct: StructType | None, names: list[str] | None) -> pa.Table:
    table = _pandas.move_pandas_metadata_to_fields(table)
    if struct is not None:
        if len(struct.fields) != table.num_columns:
            raise ValueError(f"[LENGTH_SHOULD_BE_THE_SAME] the schema has {len(struct.fields)} fields but the "
                             f"Arrow table has {table.num_columns} columns")
        try:
            return table.rename_columns(struct.names).cast(struct.to_arrow_schema())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as e:
            raise TypeError(f"the Arrow table ({table.schema.to_string(show_schema_metadata=False)}) cannot be "
                            f"cast to the schema {struct.simpleString()}: {e}") from None
    if names is not None:
        if len(names) > table.num_columns:
            raise ValueError(f"[LENGTH_SHOULD_BE_THE_SAME] {len(names)} column names given for an Arrow table "
                             f"with {table.num_columns} columns")
        return table.rename_columns(list(names) + table.column_names[len(names):])
    return table


def _from_numpy(array: Any, struct: StructType | None, names: list[str] | None) -> pa.Table:
    if array.ndim not in (1, 2):
        raise ValueError(f"[INVALID_NDARRAY_DIMENSION] NumPy array input should be of 1 or 2 dimensions, "
                         f"got {array.ndim}")
    width = 1 if array.ndim == 1 else array.shape[1]
    if struct is not None:
        column_names = struct.names
    elif names is not None:
        column_names = names
    elif width == 1:
        column_names = ["value"]
    else:
        column_names = [f"_{i + 1}" for i in range(width)]
    if len(column_names) != width:
        raise ValueError(f"[LENGTH_SHOULD_BE_THE_SAME] {len(column_names)} column names for a NumPy array "
                         f"with {width} columns")
    columns = [array] if array.ndim == 1 else [array[:, i] for i in range(width)]
    table = pa.Table.from_arrays([pa.array(c) for c in columns], names=column_names)
    return _from_arrow(table, struct, None)


# -- rows ---------------------------------------------------------------------------------------

def _from_rows(rows: list, struct: StructType | None, names: list[str] | None, verify: bool) -> pa.Table:
    final_names = None
    if struct is None:
        if not rows:
            raise ValueError("[CANNOT_INFER_EMPTY_SCHEMA] Can not infer schema from an empty dataset; "
                             "pass a schema, e.g. createDataFrame([], 'a int, b string')")
        struct = _infer_rows_schema(rows, names)
        verify = False  # the schema came from the values themselves
        if names:
            # Values are read by the inferred names (dict keys, Row fields); the given names replace
            # them positionally afterwards, as PySpark does.
            final_names = list(names[: len(struct.fields)]) + struct.names[len(names):]
    elif len(struct.fields) == 1 and rows and not _is_record(rows[0]):
        rows = [(r,) for r in rows]  # createDataFrame([1, 2], "int"): each value is a one-column row
    columns: list[list] = [[] for _ in struct.fields]
    for index, row in enumerate(rows):
        values = _row_values(row, struct, index)
        for position, (field, value) in enumerate(zip(struct.fields, values)):
            if verify:
                _verify(value, field.dataType, field.nullable, f"field {field.name}", index)
            columns[position].append(_to_arrow_value(value, field.dataType))
    arrays = []
    for field, values in zip(struct.fields, columns):
        arrow_type = field.dataType.to_arrow()
        try:
            arrays.append(pa.array(values, type=arrow_type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError) as e:
            raise TypeError(f"[FIELD_DATA_TYPE_UNACCEPTABLE_WITH_NAME] field {field.name}: "
                            f"{field.dataType.simpleString()} can not accept the values given: {e}") from None
    table = pa.Table.from_arrays(arrays, schema=struct.to_arrow_schema())
    return table.rename_columns(final_names) if final_names else table


def _is_record(value: Any) -> bool:
    return isinstance(value, (tuple, list, dict)) or getattr(value, "__fields__", None) is not None


def _infer_rows_schema(rows: list, names: list[str] | None) -> StructType:
    schema: DataType | None = None
    for index, row in enumerate(rows):
        if not _is_record(row) and not hasattr(row, "__dict__"):
            raise TypeError(f"[CANNOT_INFER_SCHEMA_FOR_TYPE] Can not infer schema for type: `{type(row).__name__}` "
                            f"(row {index} is {row!r}); pass rows as tuples, Rows or dicts, or give a schema "
                            "such as 'value int'")
        row_schema = _infer_schema(row, names)
        schema = row_schema if schema is None else _merge_type(schema, row_schema)
    assert isinstance(schema, StructType)
    for field in schema.fields:
        if _has_nulltype(field.dataType):
            raise ValueError(f"[CANNOT_DETERMINE_TYPE] Some of types cannot be determined after inferring: column "
                             f"'{field.name}' is {field.dataType.simpleString()} (all values None or empty); "
                             "pass a schema")
    return schema


def _row_values(row: Any, struct: StructType, index: int) -> list:
    """The values of one row in the schema's field order."""
    if isinstance(row, dict):
        return [row.get(name) for name in struct.names]
    fields = getattr(row, "__fields__", None)
    if fields is None and hasattr(row, "_fields"):
        fields = list(row._fields)
    if isinstance(row, (tuple, list)):
        if fields is not None and set(struct.names) <= set(fields):
            by_name = dict(zip(fields, row))
            return [by_name[name] for name in struct.names]
        if len(row) != len(struct.fields):
            raise ValueError(f"[LENGTH_SHOULD_BE_THE_SAME] obj and fields should be of the same length, got "
                             f"{len(row)} and {len(struct.fields)}: row {index} {row!r} does not fit the schema "
                             f"{struct.simpleString()}")
        return list(row)
    if hasattr(row, "__dict__"):
        return [row.__dict__.get(name) for name in struct.names]
    if len(struct.fields) == 1:
        return [row]
    raise TypeError(f"[CANNOT_ACCEPT_OBJECT_IN_TYPE] row {index} is a {type(row).__name__} ({row!r}); "
                    f"StructType can not accept it")


_ACCEPTABLE: dict[type, tuple[type, ...]] = {
    BooleanType: (bool,),
    ByteType: (int,),
    ShortType: (int,),
    IntegerType: (int,),
    LongType: (int,),
    FloatType: (float,),
    DoubleType: (float,),
    DecimalType: (decimal.Decimal,),
    StringType: (str,),
    CharType: (str,),
    VarcharType: (str,),
    BinaryType: (bytearray, bytes),
    DateType: (datetime.date, datetime.datetime),
    TimeType: (datetime.time,),
    TimestampType: (datetime.datetime,),
    TimestampNTZType: (datetime.datetime,),
    DayTimeIntervalType: (datetime.timedelta,),
    ArrayType: (list, tuple),
    MapType: (dict,),
    StructType: (tuple, list, dict),
}

_INTEGER_BOUNDS = {ByteType: 8, ShortType: 16, IntegerType: 32, LongType: 64}


def _verify(value: Any, data_type: DataType, nullable: bool, where: str, row: int) -> None:
    """PySpark's _make_type_verifier: the Python type must fit the Spark type."""
    if value is None:
        if not nullable:
            raise ValueError(f"[FIELD_NOT_NULLABLE_WITH_NAME] {where}: This field is not nullable, but got None "
                             f"(row {row}).")
        return
    if isinstance(data_type, (NullType, ArrowType)):
        return
    value = _python_scalar(value)
    acceptable = _ACCEPTABLE.get(type(data_type))
    if acceptable is None:
        return
    if not isinstance(value, acceptable) or (isinstance(value, bool) and bool not in acceptable):
        raise TypeError(f"[FIELD_DATA_TYPE_UNACCEPTABLE_WITH_NAME] {where}: {data_type!r} can not accept object "
                        f"{value!r} in type {type(value)!r} (row {row}).")
    bits = _INTEGER_BOUNDS.get(type(data_type))
    if bits is not None and not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise ValueError(f"[VALUE_OUT_OF_BOUNDS] {where}: {value} is out of the range of "
                         f"{data_type.simpleString()} [{-(1 << (bits - 1))}, {(1 << (bits - 1)) - 1}] (row {row}).")
    if isinstance(data_type, ArrayType):
        for element in value:
            _verify(element, data_type.elementType, data_type.containsNull, f"element in array {where}", row)
    elif isinstance(data_type, MapType):
        for k, v in value.items():
            _verify(k, data_type.keyType, False, f"key of map {where}", row)
            _verify(v, data_type.valueType, data_type.valueContainsNull, f"value of map {where}", row)
    elif isinstance(data_type, StructType):
        values = _row_values(value, data_type, row)
        for field, v in zip(data_type.fields, values):
            _verify(v, field.dataType, field.nullable, f"field {field.name} in {where}", row)


def _python_scalar(value: Any) -> Any:
    """numpy scalars as the Python values they stand for (PySpark rejects them; Quiver need not)."""
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy" and getattr(value, "ndim", 1) == 0:
        return item()
    return value


def _to_arrow_value(value: Any, data_type: DataType) -> Any:
    """A Python value in the form pyarrow converts to data_type's Arrow type."""
    if value is None:
        return None
    value = _python_scalar(value)
    if isinstance(data_type, StructType):
        values = _row_values(value, data_type, -1)
        return {f.name: _to_arrow_value(v, f.dataType) for f, v in zip(data_type.fields, values)}
    if isinstance(data_type, MapType):
        return [(_to_arrow_value(k, data_type.keyType), _to_arrow_value(v, data_type.valueType))
                for k, v in value.items()]
    if isinstance(data_type, ArrayType):
        return [_to_arrow_value(v, data_type.elementType) for v in value]
    if isinstance(data_type, StringType) and not isinstance(value, str):
        # A column merged to string from mixed atomic values (PySpark's _merge_type) holds their text.
        return _spark_string(value)
    if isinstance(data_type, DateType) and isinstance(value, datetime.datetime):
        return value.date()
    return value


def _spark_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = ["to_arrow_table"]
