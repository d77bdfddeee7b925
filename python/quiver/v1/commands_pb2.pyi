from quiver.v1 import expressions_pb2 as _expressions_pb2
from quiver.v1 import relations_pb2 as _relations_pb2
from quiver.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CommandCreateDataFrame(_message.Message):
    __slots__ = ("rows_per_partition",)
    ROWS_PER_PARTITION_FIELD_NUMBER: _ClassVar[int]
    rows_per_partition: int
    def __init__(self, rows_per_partition: _Optional[int] = ...) -> None: ...

class CreateDataFrameResult(_message.Message):
    __slots__ = ("dataframe_id", "num_rows", "num_partitions", "num_bytes")
    DATAFRAME_ID_FIELD_NUMBER: _ClassVar[int]
    NUM_ROWS_FIELD_NUMBER: _ClassVar[int]
    NUM_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    NUM_BYTES_FIELD_NUMBER: _ClassVar[int]
    dataframe_id: str
    num_rows: int
    num_partitions: int
    num_bytes: int
    def __init__(self, dataframe_id: _Optional[str] = ..., num_rows: _Optional[int] = ..., num_partitions: _Optional[int] = ..., num_bytes: _Optional[int] = ...) -> None: ...

class CommandExecutePlan(_message.Message):
    __slots__ = ("plan",)
    PLAN_FIELD_NUMBER: _ClassVar[int]
    plan: _relations_pb2.Plan
    def __init__(self, plan: _Optional[_Union[_relations_pb2.Plan, _Mapping]] = ...) -> None: ...

class TicketResultPartition(_message.Message):
    __slots__ = ("handle",)
    HANDLE_FIELD_NUMBER: _ClassVar[int]
    handle: str
    def __init__(self, handle: _Optional[str] = ...) -> None: ...

class ActionAnalyzePlan(_message.Message):
    __slots__ = ("plan", "explain_mode")
    class ExplainMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        EXPLAIN_MODE_UNSPECIFIED: _ClassVar[ActionAnalyzePlan.ExplainMode]
        EXPLAIN_MODE_SIMPLE: _ClassVar[ActionAnalyzePlan.ExplainMode]
        EXPLAIN_MODE_EXTENDED: _ClassVar[ActionAnalyzePlan.ExplainMode]
        EXPLAIN_MODE_CODEGEN: _ClassVar[ActionAnalyzePlan.ExplainMode]
        EXPLAIN_MODE_COST: _ClassVar[ActionAnalyzePlan.ExplainMode]
        EXPLAIN_MODE_FORMATTED: _ClassVar[ActionAnalyzePlan.ExplainMode]
        EXPLAIN_MODE_ANALYZE: _ClassVar[ActionAnalyzePlan.ExplainMode]
    EXPLAIN_MODE_UNSPECIFIED: ActionAnalyzePlan.ExplainMode
    EXPLAIN_MODE_SIMPLE: ActionAnalyzePlan.ExplainMode
    EXPLAIN_MODE_EXTENDED: ActionAnalyzePlan.ExplainMode
    EXPLAIN_MODE_CODEGEN: ActionAnalyzePlan.ExplainMode
    EXPLAIN_MODE_COST: ActionAnalyzePlan.ExplainMode
    EXPLAIN_MODE_FORMATTED: ActionAnalyzePlan.ExplainMode
    EXPLAIN_MODE_ANALYZE: ActionAnalyzePlan.ExplainMode
    PLAN_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_MODE_FIELD_NUMBER: _ClassVar[int]
    plan: _relations_pb2.Plan
    explain_mode: ActionAnalyzePlan.ExplainMode
    def __init__(self, plan: _Optional[_Union[_relations_pb2.Plan, _Mapping]] = ..., explain_mode: _Optional[_Union[ActionAnalyzePlan.ExplainMode, str]] = ...) -> None: ...

class AnalyzePlanResult(_message.Message):
    __slots__ = ("schema", "explain", "tree_string")
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    TREE_STRING_FIELD_NUMBER: _ClassVar[int]
    schema: _types_pb2.Schema
    explain: str
    tree_string: str
    def __init__(self, schema: _Optional[_Union[_types_pb2.Schema, _Mapping]] = ..., explain: _Optional[str] = ..., tree_string: _Optional[str] = ...) -> None: ...

class ActionReleaseDataFrame(_message.Message):
    __slots__ = ("dataframe_id",)
    DATAFRAME_ID_FIELD_NUMBER: _ClassVar[int]
    dataframe_id: str
    def __init__(self, dataframe_id: _Optional[str] = ...) -> None: ...

class ActionListDataFrames(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DataFrameInfo(_message.Message):
    __slots__ = ("name", "kind", "schema", "num_rows", "num_bytes")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    NUM_ROWS_FIELD_NUMBER: _ClassVar[int]
    NUM_BYTES_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: str
    schema: _types_pb2.Schema
    num_rows: int
    num_bytes: int
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[str] = ..., schema: _Optional[_Union[_types_pb2.Schema, _Mapping]] = ..., num_rows: _Optional[int] = ..., num_bytes: _Optional[int] = ...) -> None: ...

class ActionConfig(_message.Message):
    __slots__ = ("operation", "pairs", "keys")
    class Operation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OPERATION_UNSPECIFIED: _ClassVar[ActionConfig.Operation]
        OPERATION_SET: _ClassVar[ActionConfig.Operation]
        OPERATION_GET: _ClassVar[ActionConfig.Operation]
        OPERATION_UNSET: _ClassVar[ActionConfig.Operation]
        OPERATION_GET_ALL: _ClassVar[ActionConfig.Operation]
    OPERATION_UNSPECIFIED: ActionConfig.Operation
    OPERATION_SET: ActionConfig.Operation
    OPERATION_GET: ActionConfig.Operation
    OPERATION_UNSET: ActionConfig.Operation
    OPERATION_GET_ALL: ActionConfig.Operation
    class PairsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    PAIRS_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    operation: ActionConfig.Operation
    pairs: _containers.ScalarMap[str, str]
    keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, operation: _Optional[_Union[ActionConfig.Operation, str]] = ..., pairs: _Optional[_Mapping[str, str]] = ..., keys: _Optional[_Iterable[str]] = ...) -> None: ...

class ConfigResult(_message.Message):
    __slots__ = ("pairs",)
    class PairsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PAIRS_FIELD_NUMBER: _ClassVar[int]
    pairs: _containers.ScalarMap[str, str]
    def __init__(self, pairs: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ActionCreateView(_message.Message):
    __slots__ = ("name", "plan", "replace", "is_global")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    IS_GLOBAL_FIELD_NUMBER: _ClassVar[int]
    name: str
    plan: _relations_pb2.Plan
    replace: bool
    is_global: bool
    def __init__(self, name: _Optional[str] = ..., plan: _Optional[_Union[_relations_pb2.Plan, _Mapping]] = ..., replace: _Optional[bool] = ..., is_global: _Optional[bool] = ...) -> None: ...

class ActionDropView(_message.Message):
    __slots__ = ("name", "is_global")
    NAME_FIELD_NUMBER: _ClassVar[int]
    IS_GLOBAL_FIELD_NUMBER: _ClassVar[int]
    name: str
    is_global: bool
    def __init__(self, name: _Optional[str] = ..., is_global: _Optional[bool] = ...) -> None: ...

class DropViewResult(_message.Message):
    __slots__ = ("dropped",)
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    dropped: bool
    def __init__(self, dropped: _Optional[bool] = ...) -> None: ...

class ActionPersist(_message.Message):
    __slots__ = ("plan", "storage_level")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    STORAGE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    plan: _relations_pb2.Plan
    storage_level: str
    def __init__(self, plan: _Optional[_Union[_relations_pb2.Plan, _Mapping]] = ..., storage_level: _Optional[str] = ...) -> None: ...

class ActionWrite(_message.Message):
    __slots__ = ("plan", "format", "path", "table_name", "mode", "partition_by", "options")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PLAN_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    PARTITION_BY_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    plan: _relations_pb2.Plan
    format: str
    path: str
    table_name: str
    mode: str
    partition_by: _containers.RepeatedScalarFieldContainer[str]
    options: _containers.ScalarMap[str, str]
    def __init__(self, plan: _Optional[_Union[_relations_pb2.Plan, _Mapping]] = ..., format: _Optional[str] = ..., path: _Optional[str] = ..., table_name: _Optional[str] = ..., mode: _Optional[str] = ..., partition_by: _Optional[_Iterable[str]] = ..., options: _Optional[_Mapping[str, str]] = ...) -> None: ...

class WriteResult(_message.Message):
    __slots__ = ("num_rows", "num_files")
    NUM_ROWS_FIELD_NUMBER: _ClassVar[int]
    NUM_FILES_FIELD_NUMBER: _ClassVar[int]
    num_rows: int
    num_files: int
    def __init__(self, num_rows: _Optional[int] = ..., num_files: _Optional[int] = ...) -> None: ...

class ActionRegisterFunction(_message.Message):
    __slots__ = ("name", "function")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    function: _expressions_pb2.CommonInlineUserDefinedFunction
    def __init__(self, name: _Optional[str] = ..., function: _Optional[_Union[_expressions_pb2.CommonInlineUserDefinedFunction, _Mapping]] = ...) -> None: ...

class ResultMetadata(_message.Message):
    __slots__ = ("schema",)
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    schema: _types_pb2.Schema
    def __init__(self, schema: _Optional[_Union[_types_pb2.Schema, _Mapping]] = ...) -> None: ...
