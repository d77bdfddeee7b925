from quiver.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PythonEvalType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PYTHON_EVAL_TYPE_UNSPECIFIED: _ClassVar[PythonEvalType]
    PYTHON_EVAL_TYPE_SQL_BATCHED_UDF: _ClassVar[PythonEvalType]
    PYTHON_EVAL_TYPE_SQL_ARROW_BATCHED_UDF: _ClassVar[PythonEvalType]
    PYTHON_EVAL_TYPE_SQL_SCALAR_PANDAS_UDF: _ClassVar[PythonEvalType]
    PYTHON_EVAL_TYPE_SQL_GROUPED_MAP_PANDAS_UDF: _ClassVar[PythonEvalType]
    PYTHON_EVAL_TYPE_SQL_GROUPED_AGG_PANDAS_UDF: _ClassVar[PythonEvalType]
    PYTHON_EVAL_TYPE_SQL_WINDOW_AGG_PANDAS_UDF: _ClassVar[PythonEvalType]
    PYTHON_EVAL_TYPE_SQL_SCALAR_PANDAS_ITER_UDF: _ClassVar[PythonEvalType]
    PYTHON_EVAL_TYPE_SQL_MAP_PANDAS_ITER_UDF: _ClassVar[PythonEvalType]
    PYTHON_EVAL_TYPE_SQL_COGROUPED_MAP_PANDAS_UDF: _ClassVar[PythonEvalType]
    PYTHON_EVAL_TYPE_SQL_MAP_ARROW_ITER_UDF: _ClassVar[PythonEvalType]
PYTHON_EVAL_TYPE_UNSPECIFIED: PythonEvalType
PYTHON_EVAL_TYPE_SQL_BATCHED_UDF: PythonEvalType
PYTHON_EVAL_TYPE_SQL_ARROW_BATCHED_UDF: PythonEvalType
PYTHON_EVAL_TYPE_SQL_SCALAR_PANDAS_UDF: PythonEvalType
PYTHON_EVAL_TYPE_SQL_GROUPED_MAP_PANDAS_UDF: PythonEvalType
PYTHON_EVAL_TYPE_SQL_GROUPED_AGG_PANDAS_UDF: PythonEvalType
PYTHON_EVAL_TYPE_SQL_WINDOW_AGG_PANDAS_UDF: PythonEvalType
PYTHON_EVAL_TYPE_SQL_SCALAR_PANDAS_ITER_UDF: PythonEvalType
PYTHON_EVAL_TYPE_SQL_MAP_PANDAS_ITER_UDF: PythonEvalType
PYTHON_EVAL_TYPE_SQL_COGROUPED_MAP_PANDAS_UDF: PythonEvalType
PYTHON_EVAL_TYPE_SQL_MAP_ARROW_ITER_UDF: PythonEvalType

class Expression(_message.Message):
    __slots__ = ("literal", "unresolved_attribute", "unresolved_function", "expression_string", "unresolved_star", "alias", "cast", "sort_order", "window", "unresolved_extract_value", "common_inline_user_defined_function", "lambda_function", "unresolved_named_lambda_variable")
    class Literal(_message.Message):
        __slots__ = ("null", "boolean", "byte", "short", "integer", "long", "float", "double", "string", "binary", "decimal", "date", "timestamp", "timestamp_ntz", "day_time_interval", "array", "calendar_interval")
        class Decimal(_message.Message):
            __slots__ = ("value", "precision", "scale")
            VALUE_FIELD_NUMBER: _ClassVar[int]
            PRECISION_FIELD_NUMBER: _ClassVar[int]
            SCALE_FIELD_NUMBER: _ClassVar[int]
            value: str
            precision: int
            scale: int
            def __init__(self, value: _Optional[str] = ..., precision: _Optional[int] = ..., scale: _Optional[int] = ...) -> None: ...
        class Array(_message.Message):
            __slots__ = ("element_type", "elements")
            ELEMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
            ELEMENTS_FIELD_NUMBER: _ClassVar[int]
            element_type: _types_pb2.DataType
            elements: _containers.RepeatedCompositeFieldContainer[Expression.Literal]
            def __init__(self, element_type: _Optional[_Union[_types_pb2.DataType, _Mapping]] = ..., elements: _Optional[_Iterable[_Union[Expression.Literal, _Mapping]]] = ...) -> None: ...
        class CalendarInterval(_message.Message):
            __slots__ = ("months", "days", "microseconds")
            MONTHS_FIELD_NUMBER: _ClassVar[int]
            DAYS_FIELD_NUMBER: _ClassVar[int]
            MICROSECONDS_FIELD_NUMBER: _ClassVar[int]
            months: int
            days: int
            microseconds: int
            def __init__(self, months: _Optional[int] = ..., days: _Optional[int] = ..., microseconds: _Optional[int] = ...) -> None: ...
        NULL_FIELD_NUMBER: _ClassVar[int]
        BOOLEAN_FIELD_NUMBER: _ClassVar[int]
        BYTE_FIELD_NUMBER: _ClassVar[int]
        SHORT_FIELD_NUMBER: _ClassVar[int]
        INTEGER_FIELD_NUMBER: _ClassVar[int]
        LONG_FIELD_NUMBER: _ClassVar[int]
        FLOAT_FIELD_NUMBER: _ClassVar[int]
        DOUBLE_FIELD_NUMBER: _ClassVar[int]
        STRING_FIELD_NUMBER: _ClassVar[int]
        BINARY_FIELD_NUMBER: _ClassVar[int]
        DECIMAL_FIELD_NUMBER: _ClassVar[int]
        DATE_FIELD_NUMBER: _ClassVar[int]
        TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
        TIMESTAMP_NTZ_FIELD_NUMBER: _ClassVar[int]
        DAY_TIME_INTERVAL_FIELD_NUMBER: _ClassVar[int]
        ARRAY_FIELD_NUMBER: _ClassVar[int]
        CALENDAR_INTERVAL_FIELD_NUMBER: _ClassVar[int]
        null: _types_pb2.DataType
        boolean: bool
        byte: int
        short: int
        integer: int
        long: int
        float: float
        double: float
        string: str
        binary: bytes
        decimal: Expression.Literal.Decimal
        date: int
        timestamp: int
        timestamp_ntz: int
        day_time_interval: int
        array: Expression.Literal.Array
        calendar_interval: Expression.Literal.CalendarInterval
        def __init__(self, null: _Optional[_Union[_types_pb2.DataType, _Mapping]] = ..., boolean: _Optional[bool] = ..., byte: _Optional[int] = ..., short: _Optional[int] = ..., integer: _Optional[int] = ..., long: _Optional[int] = ..., float: _Optional[float] = ..., double: _Optional[float] = ..., string: _Optional[str] = ..., binary: _Optional[bytes] = ..., decimal: _Optional[_Union[Expression.Literal.Decimal, _Mapping]] = ..., date: _Optional[int] = ..., timestamp: _Optional[int] = ..., timestamp_ntz: _Optional[int] = ..., day_time_interval: _Optional[int] = ..., array: _Optional[_Union[Expression.Literal.Array, _Mapping]] = ..., calendar_interval: _Optional[_Union[Expression.Literal.CalendarInterval, _Mapping]] = ...) -> None: ...
    class UnresolvedAttribute(_message.Message):
        __slots__ = ("unparsed_identifier", "plan_id", "is_metadata_column")
        UNPARSED_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
        PLAN_ID_FIELD_NUMBER: _ClassVar[int]
        IS_METADATA_COLUMN_FIELD_NUMBER: _ClassVar[int]
        unparsed_identifier: str
        plan_id: int
        is_metadata_column: bool
        def __init__(self, unparsed_identifier: _Optional[str] = ..., plan_id: _Optional[int] = ..., is_metadata_column: _Optional[bool] = ...) -> None: ...
    class UnresolvedFunction(_message.Message):
        __slots__ = ("function_name", "arguments", "is_distinct")
        FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
        ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
        IS_DISTINCT_FIELD_NUMBER: _ClassVar[int]
        function_name: str
        arguments: _containers.RepeatedCompositeFieldContainer[Expression]
        is_distinct: bool
        def __init__(self, function_name: _Optional[str] = ..., arguments: _Optional[_Iterable[_Union[Expression, _Mapping]]] = ..., is_distinct: _Optional[bool] = ...) -> None: ...
    class ExpressionString(_message.Message):
        __slots__ = ("expression",)
        EXPRESSION_FIELD_NUMBER: _ClassVar[int]
        expression: str
        def __init__(self, expression: _Optional[str] = ...) -> None: ...
    class UnresolvedStar(_message.Message):
        __slots__ = ("unparsed_target", "plan_id")
        UNPARSED_TARGET_FIELD_NUMBER: _ClassVar[int]
        PLAN_ID_FIELD_NUMBER: _ClassVar[int]
        unparsed_target: str
        plan_id: int
        def __init__(self, unparsed_target: _Optional[str] = ..., plan_id: _Optional[int] = ...) -> None: ...
    class Alias(_message.Message):
        __slots__ = ("expr", "name", "metadata")
        EXPR_FIELD_NUMBER: _ClassVar[int]
        NAME_FIELD_NUMBER: _ClassVar[int]
        METADATA_FIELD_NUMBER: _ClassVar[int]
        expr: Expression
        name: _containers.RepeatedScalarFieldContainer[str]
        metadata: str
        def __init__(self, expr: _Optional[_Union[Expression, _Mapping]] = ..., name: _Optional[_Iterable[str]] = ..., metadata: _Optional[str] = ...) -> None: ...
    class Cast(_message.Message):
        __slots__ = ("expr", "type", "type_str", "eval_mode")
        class EvalMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
            __slots__ = ()
            EVAL_MODE_UNSPECIFIED: _ClassVar[Expression.Cast.EvalMode]
            EVAL_MODE_LEGACY: _ClassVar[Expression.Cast.EvalMode]
            EVAL_MODE_ANSI: _ClassVar[Expression.Cast.EvalMode]
            EVAL_MODE_TRY: _ClassVar[Expression.Cast.EvalMode]
        EVAL_MODE_UNSPECIFIED: Expression.Cast.EvalMode
        EVAL_MODE_LEGACY: Expression.Cast.EvalMode
        EVAL_MODE_ANSI: Expression.Cast.EvalMode
        EVAL_MODE_TRY: Expression.Cast.EvalMode
        EXPR_FIELD_NUMBER: _ClassVar[int]
        TYPE_FIELD_NUMBER: _ClassVar[int]
        TYPE_STR_FIELD_NUMBER: _ClassVar[int]
        EVAL_MODE_FIELD_NUMBER: _ClassVar[int]
        expr: Expression
        type: _types_pb2.DataType
        type_str: str
        eval_mode: Expression.Cast.EvalMode
        def __init__(self, expr: _Optional[_Union[Expression, _Mapping]] = ..., type: _Optional[_Union[_types_pb2.DataType, _Mapping]] = ..., type_str: _Optional[str] = ..., eval_mode: _Optional[_Union[Expression.Cast.EvalMode, str]] = ...) -> None: ...
    class SortOrder(_message.Message):
        __slots__ = ("child", "direction", "null_ordering")
        class SortDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
            __slots__ = ()
            SORT_DIRECTION_UNSPECIFIED: _ClassVar[Expression.SortOrder.SortDirection]
            SORT_DIRECTION_ASCENDING: _ClassVar[Expression.SortOrder.SortDirection]
            SORT_DIRECTION_DESCENDING: _ClassVar[Expression.SortOrder.SortDirection]
        SORT_DIRECTION_UNSPECIFIED: Expression.SortOrder.SortDirection
        SORT_DIRECTION_ASCENDING: Expression.SortOrder.SortDirection
        SORT_DIRECTION_DESCENDING: Expression.SortOrder.SortDirection
        class NullOrdering(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
            __slots__ = ()
            SORT_NULLS_UNSPECIFIED: _ClassVar[Expression.SortOrder.NullOrdering]
            SORT_NULLS_FIRST: _ClassVar[Expression.SortOrder.NullOrdering]
            SORT_NULLS_LAST: _ClassVar[Expression.SortOrder.NullOrdering]
        SORT_NULLS_UNSPECIFIED: Expression.SortOrder.NullOrdering
        SORT_NULLS_FIRST: Expression.SortOrder.NullOrdering
        SORT_NULLS_LAST: Expression.SortOrder.NullOrdering
        CHILD_FIELD_NUMBER: _ClassVar[int]
        DIRECTION_FIELD_NUMBER: _ClassVar[int]
        NULL_ORDERING_FIELD_NUMBER: _ClassVar[int]
        child: Expression
        direction: Expression.SortOrder.SortDirection
        null_ordering: Expression.SortOrder.NullOrdering
        def __init__(self, child: _Optional[_Union[Expression, _Mapping]] = ..., direction: _Optional[_Union[Expression.SortOrder.SortDirection, str]] = ..., null_ordering: _Optional[_Union[Expression.SortOrder.NullOrdering, str]] = ...) -> None: ...
    class Window(_message.Message):
        __slots__ = ("window_function", "partition_spec", "order_spec", "frame_spec")
        class WindowFrame(_message.Message):
            __slots__ = ("frame_type", "lower", "upper")
            class FrameType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
                __slots__ = ()
                FRAME_TYPE_UNSPECIFIED: _ClassVar[Expression.Window.WindowFrame.FrameType]
                FRAME_TYPE_ROW: _ClassVar[Expression.Window.WindowFrame.FrameType]
                FRAME_TYPE_RANGE: _ClassVar[Expression.Window.WindowFrame.FrameType]
            FRAME_TYPE_UNSPECIFIED: Expression.Window.WindowFrame.FrameType
            FRAME_TYPE_ROW: Expression.Window.WindowFrame.FrameType
            FRAME_TYPE_RANGE: Expression.Window.WindowFrame.FrameType
            class FrameBoundary(_message.Message):
                __slots__ = ("current_row", "unbounded", "value")
                CURRENT_ROW_FIELD_NUMBER: _ClassVar[int]
                UNBOUNDED_FIELD_NUMBER: _ClassVar[int]
                VALUE_FIELD_NUMBER: _ClassVar[int]
                current_row: bool
                unbounded: bool
                value: Expression
                def __init__(self, current_row: _Optional[bool] = ..., unbounded: _Optional[bool] = ..., value: _Optional[_Union[Expression, _Mapping]] = ...) -> None: ...
            FRAME_TYPE_FIELD_NUMBER: _ClassVar[int]
            LOWER_FIELD_NUMBER: _ClassVar[int]
            UPPER_FIELD_NUMBER: _ClassVar[int]
            frame_type: Expression.Window.WindowFrame.FrameType
            lower: Expression.Window.WindowFrame.FrameBoundary
            upper: Expression.Window.WindowFrame.FrameBoundary
            def __init__(self, frame_type: _Optional[_Union[Expression.Window.WindowFrame.FrameType, str]] = ..., lower: _Optional[_Union[Expression.Window.WindowFrame.FrameBoundary, _Mapping]] = ..., upper: _Optional[_Union[Expression.Window.WindowFrame.FrameBoundary, _Mapping]] = ...) -> None: ...
        WINDOW_FUNCTION_FIELD_NUMBER: _ClassVar[int]
        PARTITION_SPEC_FIELD_NUMBER: _ClassVar[int]
        ORDER_SPEC_FIELD_NUMBER: _ClassVar[int]
        FRAME_SPEC_FIELD_NUMBER: _ClassVar[int]
        window_function: Expression
        partition_spec: _containers.RepeatedCompositeFieldContainer[Expression]
        order_spec: _containers.RepeatedCompositeFieldContainer[Expression.SortOrder]
        frame_spec: Expression.Window.WindowFrame
        def __init__(self, window_function: _Optional[_Union[Expression, _Mapping]] = ..., partition_spec: _Optional[_Iterable[_Union[Expression, _Mapping]]] = ..., order_spec: _Optional[_Iterable[_Union[Expression.SortOrder, _Mapping]]] = ..., frame_spec: _Optional[_Union[Expression.Window.WindowFrame, _Mapping]] = ...) -> None: ...
    class UnresolvedExtractValue(_message.Message):
        __slots__ = ("child", "extraction")
        CHILD_FIELD_NUMBER: _ClassVar[int]
        EXTRACTION_FIELD_NUMBER: _ClassVar[int]
        child: Expression
        extraction: Expression
        def __init__(self, child: _Optional[_Union[Expression, _Mapping]] = ..., extraction: _Optional[_Union[Expression, _Mapping]] = ...) -> None: ...
    class LambdaFunction(_message.Message):
        __slots__ = ("function", "arguments")
        FUNCTION_FIELD_NUMBER: _ClassVar[int]
        ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
        function: Expression
        arguments: _containers.RepeatedCompositeFieldContainer[Expression.UnresolvedNamedLambdaVariable]
        def __init__(self, function: _Optional[_Union[Expression, _Mapping]] = ..., arguments: _Optional[_Iterable[_Union[Expression.UnresolvedNamedLambdaVariable, _Mapping]]] = ...) -> None: ...
    class UnresolvedNamedLambdaVariable(_message.Message):
        __slots__ = ("name_parts",)
        NAME_PARTS_FIELD_NUMBER: _ClassVar[int]
        name_parts: _containers.RepeatedScalarFieldContainer[str]
        def __init__(self, name_parts: _Optional[_Iterable[str]] = ...) -> None: ...
    LITERAL_FIELD_NUMBER: _ClassVar[int]
    UNRESOLVED_ATTRIBUTE_FIELD_NUMBER: _ClassVar[int]
    UNRESOLVED_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_STRING_FIELD_NUMBER: _ClassVar[int]
    UNRESOLVED_STAR_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    CAST_FIELD_NUMBER: _ClassVar[int]
    SORT_ORDER_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    UNRESOLVED_EXTRACT_VALUE_FIELD_NUMBER: _ClassVar[int]
    COMMON_INLINE_USER_DEFINED_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    LAMBDA_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    UNRESOLVED_NAMED_LAMBDA_VARIABLE_FIELD_NUMBER: _ClassVar[int]
    literal: Expression.Literal
    unresolved_attribute: Expression.UnresolvedAttribute
    unresolved_function: Expression.UnresolvedFunction
    expression_string: Expression.ExpressionString
    unresolved_star: Expression.UnresolvedStar
    alias: Expression.Alias
    cast: Expression.Cast
    sort_order: Expression.SortOrder
    window: Expression.Window
    unresolved_extract_value: Expression.UnresolvedExtractValue
    common_inline_user_defined_function: CommonInlineUserDefinedFunction
    lambda_function: Expression.LambdaFunction
    unresolved_named_lambda_variable: Expression.UnresolvedNamedLambdaVariable
    def __init__(self, literal: _Optional[_Union[Expression.Literal, _Mapping]] = ..., unresolved_attribute: _Optional[_Union[Expression.UnresolvedAttribute, _Mapping]] = ..., unresolved_function: _Optional[_Union[Expression.UnresolvedFunction, _Mapping]] = ..., expression_string: _Optional[_Union[Expression.ExpressionString, _Mapping]] = ..., unresolved_star: _Optional[_Union[Expression.UnresolvedStar, _Mapping]] = ..., alias: _Optional[_Union[Expression.Alias, _Mapping]] = ..., cast: _Optional[_Union[Expression.Cast, _Mapping]] = ..., sort_order: _Optional[_Union[Expression.SortOrder, _Mapping]] = ..., window: _Optional[_Union[Expression.Window, _Mapping]] = ..., unresolved_extract_value: _Optional[_Union[Expression.UnresolvedExtractValue, _Mapping]] = ..., common_inline_user_defined_function: _Optional[_Union[CommonInlineUserDefinedFunction, _Mapping]] = ..., lambda_function: _Optional[_Union[Expression.LambdaFunction, _Mapping]] = ..., unresolved_named_lambda_variable: _Optional[_Union[Expression.UnresolvedNamedLambdaVariable, _Mapping]] = ...) -> None: ...

class CommonInlineUserDefinedFunction(_message.Message):
    __slots__ = ("function_name", "deterministic", "arguments", "python_udf")
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    DETERMINISTIC_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    PYTHON_UDF_FIELD_NUMBER: _ClassVar[int]
    function_name: str
    deterministic: bool
    arguments: _containers.RepeatedCompositeFieldContainer[Expression]
    python_udf: PythonUDF
    def __init__(self, function_name: _Optional[str] = ..., deterministic: _Optional[bool] = ..., arguments: _Optional[_Iterable[_Union[Expression, _Mapping]]] = ..., python_udf: _Optional[_Union[PythonUDF, _Mapping]] = ...) -> None: ...

class PythonUDF(_message.Message):
    __slots__ = ("output_type", "eval_type", "command", "python_ver")
    OUTPUT_TYPE_FIELD_NUMBER: _ClassVar[int]
    EVAL_TYPE_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    PYTHON_VER_FIELD_NUMBER: _ClassVar[int]
    output_type: _types_pb2.DataType
    eval_type: PythonEvalType
    command: bytes
    python_ver: str
    def __init__(self, output_type: _Optional[_Union[_types_pb2.DataType, _Mapping]] = ..., eval_type: _Optional[_Union[PythonEvalType, str]] = ..., command: _Optional[bytes] = ..., python_ver: _Optional[str] = ...) -> None: ...
