from quiver.v1 import expressions_pb2 as _expressions_pb2
from quiver.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WorkerHello(_message.Message):
    __slots__ = ("secret", "pid", "python_version", "can_open_executor_descriptors")
    SECRET_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    PYTHON_VERSION_FIELD_NUMBER: _ClassVar[int]
    CAN_OPEN_EXECUTOR_DESCRIPTORS_FIELD_NUMBER: _ClassVar[int]
    secret: str
    pid: int
    python_version: str
    can_open_executor_descriptors: bool
    def __init__(self, secret: _Optional[str] = ..., pid: _Optional[int] = ..., python_version: _Optional[str] = ..., can_open_executor_descriptors: _Optional[bool] = ...) -> None: ...

class WorkerTask(_message.Message):
    __slots__ = ("eval_type", "functions", "return_schema", "num_key_columns", "num_left_columns", "group_column", "config", "argument_schema")
    class ConfigEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EVAL_TYPE_FIELD_NUMBER: _ClassVar[int]
    FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    RETURN_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    NUM_KEY_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    NUM_LEFT_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    GROUP_COLUMN_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    ARGUMENT_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    eval_type: _expressions_pb2.PythonEvalType
    functions: _containers.RepeatedCompositeFieldContainer[WorkerFunction]
    return_schema: _types_pb2.Schema
    num_key_columns: int
    num_left_columns: int
    group_column: int
    config: _containers.ScalarMap[str, str]
    argument_schema: _types_pb2.Schema
    def __init__(self, eval_type: _Optional[_Union[_expressions_pb2.PythonEvalType, str]] = ..., functions: _Optional[_Iterable[_Union[WorkerFunction, _Mapping]]] = ..., return_schema: _Optional[_Union[_types_pb2.Schema, _Mapping]] = ..., num_key_columns: _Optional[int] = ..., num_left_columns: _Optional[int] = ..., group_column: _Optional[int] = ..., config: _Optional[_Mapping[str, str]] = ..., argument_schema: _Optional[_Union[_types_pb2.Schema, _Mapping]] = ...) -> None: ...

class WorkerFunction(_message.Message):
    __slots__ = ("name", "command", "python_ver", "argument_offsets", "return_type", "function_id", "argument_names", "chain")
    NAME_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    PYTHON_VER_FIELD_NUMBER: _ClassVar[int]
    ARGUMENT_OFFSETS_FIELD_NUMBER: _ClassVar[int]
    RETURN_TYPE_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    ARGUMENT_NAMES_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    name: str
    command: bytes
    python_ver: str
    argument_offsets: _containers.RepeatedScalarFieldContainer[int]
    return_type: _types_pb2.DataType
    function_id: str
    argument_names: _containers.RepeatedScalarFieldContainer[str]
    chain: _containers.RepeatedCompositeFieldContainer[WorkerFunction]
    def __init__(self, name: _Optional[str] = ..., command: _Optional[bytes] = ..., python_ver: _Optional[str] = ..., argument_offsets: _Optional[_Iterable[int]] = ..., return_type: _Optional[_Union[_types_pb2.DataType, _Mapping]] = ..., function_id: _Optional[str] = ..., argument_names: _Optional[_Iterable[str]] = ..., chain: _Optional[_Iterable[_Union[WorkerFunction, _Mapping]]] = ...) -> None: ...

class WorkerTaskResult(_message.Message):
    __slots__ = ("error", "num_rows")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    NUM_ROWS_FIELD_NUMBER: _ClassVar[int]
    error: WorkerError
    num_rows: int
    def __init__(self, error: _Optional[_Union[WorkerError, _Mapping]] = ..., num_rows: _Optional[int] = ...) -> None: ...

class WorkerError(_message.Message):
    __slots__ = ("function_name", "exception_type", "message", "traceback", "user_error")
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    EXCEPTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    USER_ERROR_FIELD_NUMBER: _ClassVar[int]
    function_name: str
    exception_type: str
    message: str
    traceback: str
    user_error: bool
    def __init__(self, function_name: _Optional[str] = ..., exception_type: _Optional[str] = ..., message: _Optional[str] = ..., traceback: _Optional[str] = ..., user_error: _Optional[bool] = ...) -> None: ...
