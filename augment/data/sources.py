"""Where tables come from: files, a folder of Parquet parts, a SQL query, a DuckDB query.

Every source reads only the columns asked for, in chunks (``batches``), so a large
log never sits in memory as a whole table of Python objects:

- :class:`FileSource` — a CSV/TSV file (pyarrow's streaming CSV reader), a Parquet
  file (row groups), or a folder of Parquet parts read as one dataset
  (``pyarrow.dataset``; parts whose schemas differ are an error naming the part).
- :class:`SQLSource` — a query or a table through SQLAlchemy (any database it
  reaches; PostgreSQL and SQLite are tested), rows streamed with ``fetchmany``.
- :class:`DuckDBSource` — a DuckDB query over files (``SELECT * FROM 'log/*.parquet'``),
  embedded, no server; results streamed as Arrow record batches.

Errors are :class:`~augment.errors.DataError` naming the source (``file``), the
column and, for values, the 1-based data row in the order the source returns them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeAlias

import pandas as pd

from augment.data.tables import require_columns
from augment.errors import DataError

__all__ = ["Source", "Chunk", "ArrowChunk", "FileSource", "SQLSource", "DuckDBSource",
           "BATCH_ROWS", "as_source"]

BATCH_ROWS = 250_000
"""Rows per chunk read from a source."""

_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


class ArrowChunk:
    """A chunk of Arrow columns; ``chunk[name]`` converts one column to pandas at a time, so
    a chunk never exists twice as a whole (Arrow and pandas)."""

    def __init__(self, batch: Any) -> None:
        self.batch = batch

    def __len__(self) -> int:
        return int(self.batch.num_rows)

    def __getitem__(self, name: str) -> pd.Series:
        return self.batch.column(name).to_pandas()

    def to_pandas(self) -> pd.DataFrame:
        return self.batch.to_pandas()


Chunk: TypeAlias = pd.DataFrame | ArrowChunk
"""What ``Source.batches`` yields: ``len(chunk)`` and ``chunk[column] -> pd.Series``."""


class Source(Protocol):
    """A table to read: its label for messages, its columns, and its rows in chunks."""

    @property
    def label(self) -> str: ...

    def columns(self) -> list[str]: ...

    def batches(self, columns: Sequence[str], batch_rows: int = BATCH_ROWS
                ) -> Iterator[Chunk]: ...


def check_columns(source: Source, wanted: Sequence[str]) -> None:
    """Raise a DataError naming the source and the first missing column."""
    require_columns(pd.DataFrame(columns=source.columns()), list(wanted), file=source.label)


def read_all(source: Source, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The whole table (for small tables such as items), only ``columns`` when given."""
    cols = list(columns) if columns is not None else source.columns()
    check_columns(source, cols)
    parts = [p.to_pandas() if isinstance(p, ArrowChunk) else p for p in source.batches(cols)]
    if not parts or sum(len(p) for p in parts) == 0:
        raise DataError("table has no data rows; add rows", file=source.label)
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


@dataclass(frozen=True)
class FileSource:
    """A CSV/TSV/Parquet file, or a folder of Parquet parts."""

    path: Path

    @property
    def label(self) -> str:
        return str(self.path)

    @property
    def kind(self) -> str:
        if self.path.is_dir():
            return "parquet-folder"
        suffix = self.path.suffix.lower()
        if suffix in (".parquet", ".pq"):
            return "parquet"
        if suffix in (".csv", ".tsv", ".txt"):
            return "csv"
        raise DataError("unknown file type; use .csv, .tsv, .parquet or a folder of Parquet "
                        "parts", file=self.label)

    def _exists(self) -> None:
        if not self.path.exists():
            raise DataError("file or folder not found; check the path", file=self.label)

    def _dataset(self) -> Any:
        import pyarrow.dataset as ds

        parts = sorted(p for p in self.path.rglob("*") if p.is_file()
                       and p.suffix.lower() in (".parquet", ".pq"))
        if not parts:
            raise DataError("folder holds no .parquet parts", file=self.label)
        try:
            dataset = ds.dataset([str(p) for p in parts], format="parquet")
        except (OSError, ValueError) as e:
            raise DataError(f"cannot read the Parquet parts ({e})", file=self.label) from e
        first = dataset.schema
        for part, fragment in zip(parts, dataset.get_fragments(), strict=True):
            schema = fragment.physical_schema
            for name in sorted(set(first.names) | set(schema.names)):
                a = first.field(name).type if name in first.names else None
                b = schema.field(name).type if name in schema.names else None
                if a != b:
                    raise DataError(f"part has {b or 'no such column'} where {parts[0].name} "
                                    f"has {a or 'no such column'}; every part needs the same "
                                    "schema", file=str(part), column=name)
        return dataset

    def count_rows(self) -> int | None:
        """Rows of a Parquet file or folder from its metadata (None for CSV)."""
        kind = self.kind
        if kind == "parquet-folder":
            return int(self._dataset().count_rows())
        if kind == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(self.path).metadata.num_rows)
        return None

    def columns(self) -> list[str]:
        self._exists()
        kind = self.kind
        if kind == "parquet-folder":
            return list(self._dataset().schema.names)
        if kind == "parquet":
            import pyarrow.parquet as pq

            try:
                return list(pq.read_schema(self.path).names)
            except (OSError, ValueError) as e:
                raise DataError(f"cannot read as Parquet ({e})", file=self.label) from e
        sep = "\t" if self.path.suffix.lower() == ".tsv" else ","
        try:
            header = pd.read_csv(self.path, sep=sep, nrows=0, encoding="utf-8")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
            raise DataError(f"cannot read the header ({e})", file=self.label) from e
        return [str(c) for c in header.columns]

    def batches(self, columns: Sequence[str], batch_rows: int = BATCH_ROWS
                ) -> Iterator[Chunk]:
        import pyarrow as pa

        kind = self.kind
        cols = list(columns)
        try:
            if kind == "parquet-folder":
                # no read-ahead: one batch in memory at a time
                for batch in self._dataset().to_batches(columns=cols, batch_size=batch_rows,
                                                        batch_readahead=0,
                                                        fragment_readahead=0):
                    yield ArrowChunk(batch)
            elif kind == "parquet":
                import pyarrow.parquet as pq

                for batch in pq.ParquetFile(self.path).iter_batches(batch_size=batch_rows,
                                                                     columns=cols):
                    yield ArrowChunk(batch)
            else:
                yield from self._csv(cols)
        except pa.ArrowInvalid as e:
            raise DataError(f"cannot read ({e}); check the column types", file=self.label) from e

    def _csv(self, cols: list[str]) -> Iterator[pd.DataFrame]:
        import pyarrow.csv as pcsv

        sep = "\t" if self.path.suffix.lower() == ".tsv" else ","
        reader = pcsv.open_csv(self.path, read_options=pcsv.ReadOptions(block_size=64 << 20),
                               parse_options=pcsv.ParseOptions(delimiter=sep),
                               convert_options=pcsv.ConvertOptions(include_columns=cols))
        for batch in reader:
            yield ArrowChunk(batch)


def db_error(exc: BaseException) -> str:
    """A database error in one line: the driver's own message when SQLAlchemy wraps one."""
    return " ".join(str(getattr(exc, "orig", exc)).split())


def _safe_name(name: str, *, what: str, label: str) -> str:
    if not _SAFE_NAME.match(name):
        raise DataError(f"{what} name '{name}' is not a plain identifier (letters, digits, _; "
                        "optionally schema.table)", file=label)
    return name


@dataclass(frozen=True)
class SQLSource:
    """A query (or a whole table) through SQLAlchemy. ``url`` is a SQLAlchemy URL such as
    ``postgresql+psycopg://user@/shop?host=/run/postgresql`` or ``sqlite:///shop.db``."""

    url: str
    query: str | None = None
    table: str | None = None

    def __post_init__(self) -> None:
        if (self.query is None) == (self.table is None):
            raise DataError("give a SQL source either a query or a table", file=self.label)

    @property
    def label(self) -> str:
        from sqlalchemy.engine import make_url

        try:
            where = make_url(self.url).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - an unparsable URL is reported when connecting
            where = "<sql>"
        return f"{where} [{'table ' + self.table if self.table else 'query'}]"

    def sql(self) -> str:
        if self.table is not None:
            return f"SELECT * FROM {_safe_name(self.table, what='table', label=self.label)}"
        return str(self.query).strip().rstrip(";")  # it is wrapped in SELECT ... FROM (...)

    def engine(self) -> Any:
        try:
            import sqlalchemy
        except ImportError as e:
            raise DataError("SQL sources need SQLAlchemy: pip install 'augment[sql]'",
                            file=self.url) from e
        try:
            return sqlalchemy.create_engine(self.url)
        except (sqlalchemy.exc.ArgumentError, ImportError) as e:
            raise DataError(f"cannot use this database URL ({e}); check the dialect and its "
                            "driver (pip install 'augment[sql]')", file=self.label) from e

    def _execute(self, conn: Any, sql: str) -> Any:
        import sqlalchemy

        try:
            return conn.execution_options(stream_results=True).execute(sqlalchemy.text(sql))
        except sqlalchemy.exc.SQLAlchemyError as e:
            raise DataError(f"the query failed: {db_error(e)}", file=self.label) from e

    def columns(self) -> list[str]:
        import sqlalchemy

        engine = self.engine()
        try:
            with engine.connect() as conn:
                result = self._execute(conn, f"SELECT * FROM ({self.sql()}) AS q LIMIT 0")
                return [str(k) for k in result.keys()]  # noqa: SIM118 - a Result, not a dict
        except sqlalchemy.exc.OperationalError as e:
            raise DataError(f"cannot connect ({' '.join(str(e.orig).split())})",
                            file=self.label) from e
        finally:
            engine.dispose()

    def batches(self, columns: Sequence[str], batch_rows: int = BATCH_ROWS
                ) -> Iterator[Chunk]:
        engine = self.engine()
        quoted = ", ".join(_quote(engine, c) for c in columns)
        try:
            with engine.connect() as conn:
                result = self._execute(conn, f"SELECT {quoted} FROM ({self.sql()}) AS q")
                while rows := result.fetchmany(batch_rows):
                    yield pd.DataFrame.from_records(rows, columns=list(columns))
        finally:
            engine.dispose()


def _quote(engine: Any, name: str) -> str:
    return str(engine.dialect.identifier_preparer.quote(name))


@dataclass(frozen=True)
class DuckDBSource:
    """A DuckDB query, e.g. ``SELECT * FROM read_parquet('log/*.parquet')``; ``database`` is
    a DuckDB file (None = in memory). Relative file paths resolve from the current folder."""

    query: str
    database: str | None = None

    @property
    def label(self) -> str:
        return f"duckdb:{self.database or ':memory:'} [query]"

    def _relation(self, sql: str) -> tuple[Any, Any]:
        try:
            import duckdb
        except ImportError as e:
            raise DataError("DuckDB sources need duckdb: pip install 'augment[sql]'",
                            file=self.label) from e
        con = duckdb.connect(self.database or ":memory:", read_only=self.database is not None)
        try:
            return con, con.sql(sql)
        except duckdb.Error as e:
            con.close()
            raise DataError(f"the query failed: {' '.join(str(e).split())}",
                            file=self.label) from e

    def columns(self) -> list[str]:
        con, rel = self._relation(self.query)
        try:
            return [str(c) for c in rel.columns]
        finally:
            con.close()

    def batches(self, columns: Sequence[str], batch_rows: int = BATCH_ROWS
                ) -> Iterator[Chunk]:
        cols = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        con, rel = self._relation(f"SELECT {cols} FROM ({self.query}) AS q")
        try:
            reader = (rel.to_arrow_reader(batch_rows) if hasattr(rel, "to_arrow_reader")
                      else rel.fetch_record_batch(batch_rows))
            for batch in reader:
                yield ArrowChunk(batch)
        finally:
            con.close()


def as_source(spec: Source | str | Path | dict[str, Any], *, url: str | None = None,
              base: Path | None = None) -> Source:
    """A Source from a path (file or Parquet folder), a ``{"query": ...}`` / ``{"table":
    ...}`` dict (through ``url``) or a ``{"duckdb": ...}`` dict; Sources pass through.
    Relative paths resolve against ``base`` (a job file's folder) when given."""
    if isinstance(spec, FileSource | SQLSource | DuckDBSource):
        return spec
    if isinstance(spec, str | Path):
        path = Path(spec)
        if base is not None and not path.is_absolute():
            path = base / path
        return FileSource(path)
    if isinstance(spec, dict):
        if "duckdb" in spec:
            return DuckDBSource(query=str(spec["duckdb"]), database=spec.get("database"))
        if "query" in spec or "table" in spec:
            target = spec.get("url") or url
            if not target:
                raise DataError("a SQL query or table needs a database URL; set data.url or "
                                "data.url_env")
            return SQLSource(url=str(target), query=spec.get("query"), table=spec.get("table"))
    if hasattr(spec, "batches") and hasattr(spec, "columns"):
        return spec  # type: ignore[return-value]  # a user's own Source
    raise DataError(f"not a source: {spec!r}; use a path, {{query = ...}}, {{table = ...}} or "
                    "{duckdb = ...}")
