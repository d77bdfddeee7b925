"""spark.catalog, as in pyspark.sql.catalog: the server's views and tables, through SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from quiver.sql.session import SparkSession


class Database(NamedTuple):
    name: str
    catalog: str | None
    description: str | None
    locationUri: str


class Table(NamedTuple):
    name: str
    catalog: str | None
    namespace: list[str] | None
    description: str | None
    tableType: str
    isTemporary: bool

    @property
    def database(self) -> str | None:
        return self.namespace[0] if self.namespace else None


class Column(NamedTuple):
    name: str
    description: str | None
    dataType: str
    nullable: bool
    isPartition: bool
    isBucket: bool


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class Catalog:
    """Lists and drops views and tables. Temp views belong to the session; global temp views
    (database global_temp) and saved tables are visible to every session and Flight SQL client."""

    def __init__(self, session: "SparkSession"):
        self._session = session

    def currentDatabase(self) -> str:
        return "default"

    def setCurrentDatabase(self, dbName: str) -> None:
        self._session.sql(f"USE {_quote(dbName)}")

    def currentCatalog(self) -> str:
        return "spark_catalog"

    def listDatabases(self, pattern: str | None = None) -> list[Database]:
        rows = self._session.sql("SHOW DATABASES").collect()
        return [Database(name=r[0], catalog="spark_catalog", description=None, locationUri="") for r in rows]

    def databaseExists(self, dbName: str) -> bool:
        return dbName.lower() in ("default", "global_temp")

    def listTables(self, dbName: str | None = None, pattern: str | None = None) -> list[Table]:
        query = "SHOW TABLES"
        if dbName:
            query += f" IN {_quote(dbName)}"
        if pattern:
            query += " LIKE '" + pattern.replace("'", "\\'") + "'"
        out = []
        for r in self._session.sql(query).collect():
            namespace, name, temporary = r[0], r[1], bool(r[2])
            out.append(Table(name=name, catalog=None if temporary else "spark_catalog",
                             namespace=[namespace] if namespace else [],
                             description=None, tableType="TEMPORARY" if temporary else "MANAGED",
                             isTemporary=temporary))
        return out

    def tableExists(self, tableName: str, dbName: str | None = None) -> bool:
        if dbName is None and "." in tableName:
            dbName, tableName = tableName.split(".", 1)
        return any(t.name.lower() == tableName.lower() for t in self.listTables(dbName))

    def listColumns(self, tableName: str, dbName: str | None = None) -> list[Column]:
        name = f"{dbName}.{tableName}" if dbName else tableName
        rows = self._session.sql(f"DESCRIBE {name}").collect()
        return [Column(name=r[0], description=None, dataType=r[1], nullable=True, isPartition=False, isBucket=False)
                for r in rows]

    def dropTempView(self, viewName: str) -> bool:
        existed = self.tableExists(viewName)
        self._session.sql(f"DROP VIEW IF EXISTS {_quote(viewName)}")
        return existed

    def dropGlobalTempView(self, viewName: str) -> bool:
        existed = self.tableExists(viewName, "global_temp")
        self._session.sql(f"DROP VIEW IF EXISTS global_temp.{_quote(viewName)}")
        return existed

    def isCached(self, tableName: str) -> bool:
        return False
