from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class DataType(_message.Message):
    __slots__ = ("arrow_schema",)
    ARROW_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    arrow_schema: bytes
    def __init__(self, arrow_schema: _Optional[bytes] = ...) -> None: ...

class Schema(_message.Message):
    __slots__ = ("arrow_schema",)
    ARROW_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    arrow_schema: bytes
    def __init__(self, arrow_schema: _Optional[bytes] = ...) -> None: ...
