from google.protobuf import any_pb2 as _any_pb2
from quiver.v1 import expressions_pb2 as _expressions_pb2
from quiver.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Plan(_message.Message):
    __slots__ = ("root",)
    ROOT_FIELD_NUMBER: _ClassVar[int]
    root: Relation
    def __init__(self, root: _Optional[_Union[Relation, _Mapping]] = ...) -> None: ...

class Relation(_message.Message):
    __slots__ = ("common", "read", "project", "filter", "join", "set_op", "sort", "limit", "aggregate", "sql", "range", "subquery_alias", "repartition", "repartition_by_expression", "deduplicate", "offset", "sample", "with_columns", "with_columns_renamed", "drop", "to_df", "fill_na", "drop_na", "describe", "map_partitions", "group_map", "co_group_map", "cached_dataframe", "hint", "unpivot", "tail", "extension")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    JOIN_FIELD_NUMBER: _ClassVar[int]
    SET_OP_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_FIELD_NUMBER: _ClassVar[int]
    SQL_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    SUBQUERY_ALIAS_FIELD_NUMBER: _ClassVar[int]
    REPARTITION_FIELD_NUMBER: _ClassVar[int]
    REPARTITION_BY_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    DEDUPLICATE_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    WITH_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    WITH_COLUMNS_RENAMED_FIELD_NUMBER: _ClassVar[int]
    DROP_FIELD_NUMBER: _ClassVar[int]
    TO_DF_FIELD_NUMBER: _ClassVar[int]
    FILL_NA_FIELD_NUMBER: _ClassVar[int]
    DROP_NA_FIELD_NUMBER: _ClassVar[int]
    DESCRIBE_FIELD_NUMBER: _ClassVar[int]
    MAP_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    GROUP_MAP_FIELD_NUMBER: _ClassVar[int]
    CO_GROUP_MAP_FIELD_NUMBER: _ClassVar[int]
    CACHED_DATAFRAME_FIELD_NUMBER: _ClassVar[int]
    HINT_FIELD_NUMBER: _ClassVar[int]
    UNPIVOT_FIELD_NUMBER: _ClassVar[int]
    TAIL_FIELD_NUMBER: _ClassVar[int]
    EXTENSION_FIELD_NUMBER: _ClassVar[int]
    common: RelationCommon
    read: Read
    project: Project
    filter: Filter
    join: Join
    set_op: SetOperation
    sort: Sort
    limit: Limit
    aggregate: Aggregate
    sql: SQL
    range: Range
    subquery_alias: SubqueryAlias
    repartition: Repartition
    repartition_by_expression: RepartitionByExpression
    deduplicate: Deduplicate
    offset: Offset
    sample: Sample
    with_columns: WithColumns
    with_columns_renamed: WithColumnsRenamed
    drop: Drop
    to_df: ToDF
    fill_na: NAFill
    drop_na: NADrop
    describe: Describe
    map_partitions: MapPartitions
    group_map: GroupMap
    co_group_map: CoGroupMap
    cached_dataframe: CachedDataFrame
    hint: Hint
    unpivot: Unpivot
    tail: Tail
    extension: _any_pb2.Any
    def __init__(self, common: _Optional[_Union[RelationCommon, _Mapping]] = ..., read: _Optional[_Union[Read, _Mapping]] = ..., project: _Optional[_Union[Project, _Mapping]] = ..., filter: _Optional[_Union[Filter, _Mapping]] = ..., join: _Optional[_Union[Join, _Mapping]] = ..., set_op: _Optional[_Union[SetOperation, _Mapping]] = ..., sort: _Optional[_Union[Sort, _Mapping]] = ..., limit: _Optional[_Union[Limit, _Mapping]] = ..., aggregate: _Optional[_Union[Aggregate, _Mapping]] = ..., sql: _Optional[_Union[SQL, _Mapping]] = ..., range: _Optional[_Union[Range, _Mapping]] = ..., subquery_alias: _Optional[_Union[SubqueryAlias, _Mapping]] = ..., repartition: _Optional[_Union[Repartition, _Mapping]] = ..., repartition_by_expression: _Optional[_Union[RepartitionByExpression, _Mapping]] = ..., deduplicate: _Optional[_Union[Deduplicate, _Mapping]] = ..., offset: _Optional[_Union[Offset, _Mapping]] = ..., sample: _Optional[_Union[Sample, _Mapping]] = ..., with_columns: _Optional[_Union[WithColumns, _Mapping]] = ..., with_columns_renamed: _Optional[_Union[WithColumnsRenamed, _Mapping]] = ..., drop: _Optional[_Union[Drop, _Mapping]] = ..., to_df: _Optional[_Union[ToDF, _Mapping]] = ..., fill_na: _Optional[_Union[NAFill, _Mapping]] = ..., drop_na: _Optional[_Union[NADrop, _Mapping]] = ..., describe: _Optional[_Union[Describe, _Mapping]] = ..., map_partitions: _Optional[_Union[MapPartitions, _Mapping]] = ..., group_map: _Optional[_Union[GroupMap, _Mapping]] = ..., co_group_map: _Optional[_Union[CoGroupMap, _Mapping]] = ..., cached_dataframe: _Optional[_Union[CachedDataFrame, _Mapping]] = ..., hint: _Optional[_Union[Hint, _Mapping]] = ..., unpivot: _Optional[_Union[Unpivot, _Mapping]] = ..., tail: _Optional[_Union[Tail, _Mapping]] = ..., extension: _Optional[_Union[_any_pb2.Any, _Mapping]] = ...) -> None: ...

class RelationCommon(_message.Message):
    __slots__ = ("plan_id",)
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    plan_id: int
    def __init__(self, plan_id: _Optional[int] = ...) -> None: ...

class Read(_message.Message):
    __slots__ = ("named_table", "data_source")
    class NamedTable(_message.Message):
        __slots__ = ("unparsed_identifier",)
        UNPARSED_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
        unparsed_identifier: str
        def __init__(self, unparsed_identifier: _Optional[str] = ...) -> None: ...
    class DataSource(_message.Message):
        __slots__ = ("format", "schema_ddl", "schema", "options", "paths")
        class OptionsEntry(_message.Message):
            __slots__ = ("key", "value")
            KEY_FIELD_NUMBER: _ClassVar[int]
            VALUE_FIELD_NUMBER: _ClassVar[int]
            key: str
            value: str
            def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
        FORMAT_FIELD_NUMBER: _ClassVar[int]
        SCHEMA_DDL_FIELD_NUMBER: _ClassVar[int]
        SCHEMA_FIELD_NUMBER: _ClassVar[int]
        OPTIONS_FIELD_NUMBER: _ClassVar[int]
        PATHS_FIELD_NUMBER: _ClassVar[int]
        format: str
        schema_ddl: str
        schema: _types_pb2.Schema
        options: _containers.ScalarMap[str, str]
        paths: _containers.RepeatedScalarFieldContainer[str]
        def __init__(self, format: _Optional[str] = ..., schema_ddl: _Optional[str] = ..., schema: _Optional[_Union[_types_pb2.Schema, _Mapping]] = ..., options: _Optional[_Mapping[str, str]] = ..., paths: _Optional[_Iterable[str]] = ...) -> None: ...
    NAMED_TABLE_FIELD_NUMBER: _ClassVar[int]
    DATA_SOURCE_FIELD_NUMBER: _ClassVar[int]
    named_table: Read.NamedTable
    data_source: Read.DataSource
    def __init__(self, named_table: _Optional[_Union[Read.NamedTable, _Mapping]] = ..., data_source: _Optional[_Union[Read.DataSource, _Mapping]] = ...) -> None: ...

class Project(_message.Message):
    __slots__ = ("input", "expressions")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    EXPRESSIONS_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    expressions: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression]
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., expressions: _Optional[_Iterable[_Union[_expressions_pb2.Expression, _Mapping]]] = ...) -> None: ...

class Filter(_message.Message):
    __slots__ = ("input", "condition")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    condition: _expressions_pb2.Expression
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., condition: _Optional[_Union[_expressions_pb2.Expression, _Mapping]] = ...) -> None: ...

class Join(_message.Message):
    __slots__ = ("left", "right", "join_condition", "join_type", "using_columns")
    class JoinType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        JOIN_TYPE_UNSPECIFIED: _ClassVar[Join.JoinType]
        JOIN_TYPE_INNER: _ClassVar[Join.JoinType]
        JOIN_TYPE_FULL_OUTER: _ClassVar[Join.JoinType]
        JOIN_TYPE_LEFT_OUTER: _ClassVar[Join.JoinType]
        JOIN_TYPE_RIGHT_OUTER: _ClassVar[Join.JoinType]
        JOIN_TYPE_LEFT_ANTI: _ClassVar[Join.JoinType]
        JOIN_TYPE_LEFT_SEMI: _ClassVar[Join.JoinType]
        JOIN_TYPE_CROSS: _ClassVar[Join.JoinType]
    JOIN_TYPE_UNSPECIFIED: Join.JoinType
    JOIN_TYPE_INNER: Join.JoinType
    JOIN_TYPE_FULL_OUTER: Join.JoinType
    JOIN_TYPE_LEFT_OUTER: Join.JoinType
    JOIN_TYPE_RIGHT_OUTER: Join.JoinType
    JOIN_TYPE_LEFT_ANTI: Join.JoinType
    JOIN_TYPE_LEFT_SEMI: Join.JoinType
    JOIN_TYPE_CROSS: Join.JoinType
    LEFT_FIELD_NUMBER: _ClassVar[int]
    RIGHT_FIELD_NUMBER: _ClassVar[int]
    JOIN_CONDITION_FIELD_NUMBER: _ClassVar[int]
    JOIN_TYPE_FIELD_NUMBER: _ClassVar[int]
    USING_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    left: Relation
    right: Relation
    join_condition: _expressions_pb2.Expression
    join_type: Join.JoinType
    using_columns: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, left: _Optional[_Union[Relation, _Mapping]] = ..., right: _Optional[_Union[Relation, _Mapping]] = ..., join_condition: _Optional[_Union[_expressions_pb2.Expression, _Mapping]] = ..., join_type: _Optional[_Union[Join.JoinType, str]] = ..., using_columns: _Optional[_Iterable[str]] = ...) -> None: ...

class SetOperation(_message.Message):
    __slots__ = ("left_input", "right_input", "set_op_type", "is_all", "by_name", "allow_missing_columns")
    class SetOpType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SET_OP_TYPE_UNSPECIFIED: _ClassVar[SetOperation.SetOpType]
        SET_OP_TYPE_INTERSECT: _ClassVar[SetOperation.SetOpType]
        SET_OP_TYPE_UNION: _ClassVar[SetOperation.SetOpType]
        SET_OP_TYPE_EXCEPT: _ClassVar[SetOperation.SetOpType]
    SET_OP_TYPE_UNSPECIFIED: SetOperation.SetOpType
    SET_OP_TYPE_INTERSECT: SetOperation.SetOpType
    SET_OP_TYPE_UNION: SetOperation.SetOpType
    SET_OP_TYPE_EXCEPT: SetOperation.SetOpType
    LEFT_INPUT_FIELD_NUMBER: _ClassVar[int]
    RIGHT_INPUT_FIELD_NUMBER: _ClassVar[int]
    SET_OP_TYPE_FIELD_NUMBER: _ClassVar[int]
    IS_ALL_FIELD_NUMBER: _ClassVar[int]
    BY_NAME_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MISSING_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    left_input: Relation
    right_input: Relation
    set_op_type: SetOperation.SetOpType
    is_all: bool
    by_name: bool
    allow_missing_columns: bool
    def __init__(self, left_input: _Optional[_Union[Relation, _Mapping]] = ..., right_input: _Optional[_Union[Relation, _Mapping]] = ..., set_op_type: _Optional[_Union[SetOperation.SetOpType, str]] = ..., is_all: _Optional[bool] = ..., by_name: _Optional[bool] = ..., allow_missing_columns: _Optional[bool] = ...) -> None: ...

class Sort(_message.Message):
    __slots__ = ("input", "order", "is_global")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    IS_GLOBAL_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    order: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression.SortOrder]
    is_global: bool
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., order: _Optional[_Iterable[_Union[_expressions_pb2.Expression.SortOrder, _Mapping]]] = ..., is_global: _Optional[bool] = ...) -> None: ...

class Limit(_message.Message):
    __slots__ = ("input", "limit")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    limit: int
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class Offset(_message.Message):
    __slots__ = ("input", "offset")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    offset: int
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., offset: _Optional[int] = ...) -> None: ...

class Tail(_message.Message):
    __slots__ = ("input", "limit")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    limit: int
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class Aggregate(_message.Message):
    __slots__ = ("input", "group_type", "grouping_expressions", "aggregate_expressions", "pivot", "grouping_sets")
    class GroupType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        GROUP_TYPE_UNSPECIFIED: _ClassVar[Aggregate.GroupType]
        GROUP_TYPE_GROUPBY: _ClassVar[Aggregate.GroupType]
        GROUP_TYPE_ROLLUP: _ClassVar[Aggregate.GroupType]
        GROUP_TYPE_CUBE: _ClassVar[Aggregate.GroupType]
        GROUP_TYPE_PIVOT: _ClassVar[Aggregate.GroupType]
        GROUP_TYPE_GROUPING_SETS: _ClassVar[Aggregate.GroupType]
    GROUP_TYPE_UNSPECIFIED: Aggregate.GroupType
    GROUP_TYPE_GROUPBY: Aggregate.GroupType
    GROUP_TYPE_ROLLUP: Aggregate.GroupType
    GROUP_TYPE_CUBE: Aggregate.GroupType
    GROUP_TYPE_PIVOT: Aggregate.GroupType
    GROUP_TYPE_GROUPING_SETS: Aggregate.GroupType
    class GroupingSets(_message.Message):
        __slots__ = ("grouping_set",)
        GROUPING_SET_FIELD_NUMBER: _ClassVar[int]
        grouping_set: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression]
        def __init__(self, grouping_set: _Optional[_Iterable[_Union[_expressions_pb2.Expression, _Mapping]]] = ...) -> None: ...
    class Pivot(_message.Message):
        __slots__ = ("col", "values")
        COL_FIELD_NUMBER: _ClassVar[int]
        VALUES_FIELD_NUMBER: _ClassVar[int]
        col: _expressions_pb2.Expression
        values: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression.Literal]
        def __init__(self, col: _Optional[_Union[_expressions_pb2.Expression, _Mapping]] = ..., values: _Optional[_Iterable[_Union[_expressions_pb2.Expression.Literal, _Mapping]]] = ...) -> None: ...
    INPUT_FIELD_NUMBER: _ClassVar[int]
    GROUP_TYPE_FIELD_NUMBER: _ClassVar[int]
    GROUPING_EXPRESSIONS_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_EXPRESSIONS_FIELD_NUMBER: _ClassVar[int]
    PIVOT_FIELD_NUMBER: _ClassVar[int]
    GROUPING_SETS_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    group_type: Aggregate.GroupType
    grouping_expressions: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression]
    aggregate_expressions: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression]
    pivot: Aggregate.Pivot
    grouping_sets: _containers.RepeatedCompositeFieldContainer[Aggregate.GroupingSets]
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., group_type: _Optional[_Union[Aggregate.GroupType, str]] = ..., grouping_expressions: _Optional[_Iterable[_Union[_expressions_pb2.Expression, _Mapping]]] = ..., aggregate_expressions: _Optional[_Iterable[_Union[_expressions_pb2.Expression, _Mapping]]] = ..., pivot: _Optional[_Union[Aggregate.Pivot, _Mapping]] = ..., grouping_sets: _Optional[_Iterable[_Union[Aggregate.GroupingSets, _Mapping]]] = ...) -> None: ...

class SQL(_message.Message):
    __slots__ = ("query", "args", "pos_args")
    class ArgsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _expressions_pb2.Expression.Literal
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_expressions_pb2.Expression.Literal, _Mapping]] = ...) -> None: ...
    QUERY_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    POS_ARGS_FIELD_NUMBER: _ClassVar[int]
    query: str
    args: _containers.MessageMap[str, _expressions_pb2.Expression.Literal]
    pos_args: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression.Literal]
    def __init__(self, query: _Optional[str] = ..., args: _Optional[_Mapping[str, _expressions_pb2.Expression.Literal]] = ..., pos_args: _Optional[_Iterable[_Union[_expressions_pb2.Expression.Literal, _Mapping]]] = ...) -> None: ...

class Range(_message.Message):
    __slots__ = ("start", "end", "step", "num_partitions")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    NUM_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    step: int
    num_partitions: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ..., step: _Optional[int] = ..., num_partitions: _Optional[int] = ...) -> None: ...

class SubqueryAlias(_message.Message):
    __slots__ = ("input", "alias")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    alias: str
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., alias: _Optional[str] = ...) -> None: ...

class Repartition(_message.Message):
    __slots__ = ("input", "num_partitions", "shuffle")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    NUM_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    num_partitions: int
    shuffle: bool
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., num_partitions: _Optional[int] = ..., shuffle: _Optional[bool] = ...) -> None: ...

class RepartitionByExpression(_message.Message):
    __slots__ = ("input", "partition_exprs", "num_partitions")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    PARTITION_EXPRS_FIELD_NUMBER: _ClassVar[int]
    NUM_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    partition_exprs: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression]
    num_partitions: int
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., partition_exprs: _Optional[_Iterable[_Union[_expressions_pb2.Expression, _Mapping]]] = ..., num_partitions: _Optional[int] = ...) -> None: ...

class Deduplicate(_message.Message):
    __slots__ = ("input", "column_names", "all_columns_as_keys")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COLUMN_NAMES_FIELD_NUMBER: _ClassVar[int]
    ALL_COLUMNS_AS_KEYS_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    column_names: _containers.RepeatedScalarFieldContainer[str]
    all_columns_as_keys: bool
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., column_names: _Optional[_Iterable[str]] = ..., all_columns_as_keys: _Optional[bool] = ...) -> None: ...

class Sample(_message.Message):
    __slots__ = ("input", "lower_bound", "upper_bound", "with_replacement", "seed")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    LOWER_BOUND_FIELD_NUMBER: _ClassVar[int]
    UPPER_BOUND_FIELD_NUMBER: _ClassVar[int]
    WITH_REPLACEMENT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    lower_bound: float
    upper_bound: float
    with_replacement: bool
    seed: int
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., lower_bound: _Optional[float] = ..., upper_bound: _Optional[float] = ..., with_replacement: _Optional[bool] = ..., seed: _Optional[int] = ...) -> None: ...

class WithColumns(_message.Message):
    __slots__ = ("input", "aliases")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    aliases: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression.Alias]
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., aliases: _Optional[_Iterable[_Union[_expressions_pb2.Expression.Alias, _Mapping]]] = ...) -> None: ...

class WithColumnsRenamed(_message.Message):
    __slots__ = ("input", "renames")
    class Rename(_message.Message):
        __slots__ = ("col_name", "new_col_name")
        COL_NAME_FIELD_NUMBER: _ClassVar[int]
        NEW_COL_NAME_FIELD_NUMBER: _ClassVar[int]
        col_name: str
        new_col_name: str
        def __init__(self, col_name: _Optional[str] = ..., new_col_name: _Optional[str] = ...) -> None: ...
    INPUT_FIELD_NUMBER: _ClassVar[int]
    RENAMES_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    renames: _containers.RepeatedCompositeFieldContainer[WithColumnsRenamed.Rename]
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., renames: _Optional[_Iterable[_Union[WithColumnsRenamed.Rename, _Mapping]]] = ...) -> None: ...

class Drop(_message.Message):
    __slots__ = ("input", "columns", "column_names")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    COLUMN_NAMES_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    columns: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression]
    column_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., columns: _Optional[_Iterable[_Union[_expressions_pb2.Expression, _Mapping]]] = ..., column_names: _Optional[_Iterable[str]] = ...) -> None: ...

class ToDF(_message.Message):
    __slots__ = ("input", "column_names")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COLUMN_NAMES_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    column_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., column_names: _Optional[_Iterable[str]] = ...) -> None: ...

class NAFill(_message.Message):
    __slots__ = ("input", "cols", "values")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COLS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    cols: _containers.RepeatedScalarFieldContainer[str]
    values: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression.Literal]
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., cols: _Optional[_Iterable[str]] = ..., values: _Optional[_Iterable[_Union[_expressions_pb2.Expression.Literal, _Mapping]]] = ...) -> None: ...

class NADrop(_message.Message):
    __slots__ = ("input", "cols", "min_non_nulls")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COLS_FIELD_NUMBER: _ClassVar[int]
    MIN_NON_NULLS_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    cols: _containers.RepeatedScalarFieldContainer[str]
    min_non_nulls: int
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., cols: _Optional[_Iterable[str]] = ..., min_non_nulls: _Optional[int] = ...) -> None: ...

class Describe(_message.Message):
    __slots__ = ("input", "cols")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COLS_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    cols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., cols: _Optional[_Iterable[str]] = ...) -> None: ...

class MapPartitions(_message.Message):
    __slots__ = ("input", "func", "is_barrier")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    FUNC_FIELD_NUMBER: _ClassVar[int]
    IS_BARRIER_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    func: _expressions_pb2.CommonInlineUserDefinedFunction
    is_barrier: bool
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., func: _Optional[_Union[_expressions_pb2.CommonInlineUserDefinedFunction, _Mapping]] = ..., is_barrier: _Optional[bool] = ...) -> None: ...

class GroupMap(_message.Message):
    __slots__ = ("input", "grouping_expressions", "func")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    GROUPING_EXPRESSIONS_FIELD_NUMBER: _ClassVar[int]
    FUNC_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    grouping_expressions: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression]
    func: _expressions_pb2.CommonInlineUserDefinedFunction
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., grouping_expressions: _Optional[_Iterable[_Union[_expressions_pb2.Expression, _Mapping]]] = ..., func: _Optional[_Union[_expressions_pb2.CommonInlineUserDefinedFunction, _Mapping]] = ...) -> None: ...

class CoGroupMap(_message.Message):
    __slots__ = ("input", "input_grouping_expressions", "other", "other_grouping_expressions", "func")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    INPUT_GROUPING_EXPRESSIONS_FIELD_NUMBER: _ClassVar[int]
    OTHER_FIELD_NUMBER: _ClassVar[int]
    OTHER_GROUPING_EXPRESSIONS_FIELD_NUMBER: _ClassVar[int]
    FUNC_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    input_grouping_expressions: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression]
    other: Relation
    other_grouping_expressions: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression]
    func: _expressions_pb2.CommonInlineUserDefinedFunction
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., input_grouping_expressions: _Optional[_Iterable[_Union[_expressions_pb2.Expression, _Mapping]]] = ..., other: _Optional[_Union[Relation, _Mapping]] = ..., other_grouping_expressions: _Optional[_Iterable[_Union[_expressions_pb2.Expression, _Mapping]]] = ..., func: _Optional[_Union[_expressions_pb2.CommonInlineUserDefinedFunction, _Mapping]] = ...) -> None: ...

class CachedDataFrame(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class Hint(_message.Message):
    __slots__ = ("input", "name", "parameters")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    name: str
    parameters: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression]
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., name: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[_expressions_pb2.Expression, _Mapping]]] = ...) -> None: ...

class Unpivot(_message.Message):
    __slots__ = ("input", "ids", "values", "variable_column_name", "value_column_name")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    VARIABLE_COLUMN_NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_COLUMN_NAME_FIELD_NUMBER: _ClassVar[int]
    input: Relation
    ids: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression]
    values: _containers.RepeatedCompositeFieldContainer[_expressions_pb2.Expression]
    variable_column_name: str
    value_column_name: str
    def __init__(self, input: _Optional[_Union[Relation, _Mapping]] = ..., ids: _Optional[_Iterable[_Union[_expressions_pb2.Expression, _Mapping]]] = ..., values: _Optional[_Iterable[_Union[_expressions_pb2.Expression, _Mapping]]] = ..., variable_column_name: _Optional[str] = ..., value_column_name: _Optional[str] = ...) -> None: ...
