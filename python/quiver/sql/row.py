"""Row, as in pyspark.sql.Row: a tuple with named fields."""

from __future__ import annotations

from typing import Any


class Row(tuple):
    """Row(a=1, b="x") or Row("a", "b")(1, "x"); fields are readable as attributes and keys."""

    __fields__: list[str]

    def __new__(cls, *args: Any, **kwargs: Any) -> "Row":
        if args and kwargs:
            raise ValueError("Row takes either positional values or keyword fields, not both")
        if kwargs:
            row = tuple.__new__(cls, list(kwargs.values()))
            row.__fields__ = list(kwargs.keys())
            return row
        row = tuple.__new__(cls, args)
        row.__fields__ = None  # a row "class": Row("a", "b") then called with values
        return row

    @classmethod
    def _from_fields(cls, fields: list[str], values: list[Any]) -> "Row":
        row = tuple.__new__(cls, values)
        row.__fields__ = fields
        return row

    def __call__(self, *values: Any) -> "Row":
        if self.__fields__ is not None:
            raise TypeError("a Row with values is not callable")
        if len(values) != len(self):
            raise ValueError(f"expected {len(self)} values for fields {list(self)}, got {len(values)}")
        return Row._from_fields(list(self), list(values))

    def asDict(self, recursive: bool = False) -> dict[str, Any]:
        if self.__fields__ is None:
            raise TypeError("Cannot convert a Row class into dict")

        def conv(v: Any) -> Any:
            if not recursive:
                return v
            if isinstance(v, Row):
                return v.asDict(True)
            if isinstance(v, list):
                return [conv(x) for x in v]
            if isinstance(v, dict):
                return {k: conv(x) for k, x in v.items()}
            return v

        return {k: conv(v) for k, v in zip(self.__fields__, self)}

    def __contains__(self, item: object) -> bool:
        if self.__fields__ is not None:
            return item in self.__fields__
        return tuple.__contains__(self, item)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, (int, slice)):
            return tuple.__getitem__(self, item)
        try:
            idx = self.__fields__.index(item)
        except (ValueError, AttributeError):
            raise KeyError(item) from None
        return tuple.__getitem__(self, idx)

    def __getattr__(self, item: str) -> Any:
        if item.startswith("__"):
            raise AttributeError(item)
        try:
            idx = self.__fields__.index(item)
        except (ValueError, AttributeError):
            raise AttributeError(item) from None
        return tuple.__getitem__(self, idx)

    def __setattr__(self, key: str, value: Any) -> None:
        if key != "__fields__":
            raise RuntimeError("Row is read-only")
        object.__setattr__(self, key, value)

    def __reduce__(self):
        if self.__fields__ is not None:
            return (_rebuild_row, (self.__fields__, tuple(self)))
        return (Row, tuple(self))

    def __repr__(self) -> str:
        if self.__fields__ is not None:
            return "Row(" + ", ".join(f"{k}={v!r}" for k, v in zip(self.__fields__, self)) + ")"
        return "<Row(" + ", ".join(repr(f) for f in self) + ")>"


def _rebuild_row(fields: list[str], values: tuple) -> Row:
    return Row._from_fields(fields, list(values))
