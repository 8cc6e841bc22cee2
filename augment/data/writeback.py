"""Write enriched tables back to the SQL database a job read from.

New tables only, in one transaction: ``<table>`` (the enriched interactions with their
``source`` column), ``<table>_item_features`` and ``<table>_user_features`` (long
form: id, feature, value), each with a ``run_id`` column. A table that already
exists is an error and nothing is written; input tables are never touched because
nothing but ``CREATE TABLE`` + ``INSERT`` into the new tables is issued.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from augment.data.sources import db_error
from augment.errors import DataError

__all__ = ["write_tables", "check_new_tables", "table_names"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CHUNK = 10_000


def table_names(table: str) -> dict[str, str]:
    """Export file stem -> table name."""
    if not _NAME.match(table):
        raise DataError(f"table name '{table}' is not a plain identifier (letters, digits, _)")
    return {"interactions": table, "item_features": f"{table}_item_features",
            "user_features": f"{table}_user_features"}


def _engine(url: str) -> Any:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    if engine.dialect.name == "sqlite":
        # pysqlite does not BEGIN before DDL: take over, so CREATE TABLE rolls back too
        # (SQLAlchemy's documented recipe for transactional DDL on SQLite).
        @sqlalchemy.event.listens_for(engine, "connect")
        def _no_pysqlite_tx(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @sqlalchemy.event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")
    return engine


def _label(engine: Any) -> str:
    return str(engine.url.render_as_string(hide_password=True))


def check_new_tables(url: str, table: str) -> None:
    """Raise DataError when one of the tables to write already exists."""
    import sqlalchemy

    engine = _engine(url)
    try:
        names = set(sqlalchemy.inspect(engine).get_table_names())
    except sqlalchemy.exc.SQLAlchemyError as e:
        raise DataError(f"cannot connect to check the write-back table "
                        f"({db_error(e)})",
                        file=_label(engine)) from e
    finally:
        engine.dispose()
    _refuse_existing(table_names(table).values(), names, engine)


def _refuse_existing(wanted: Iterable[str], existing: set[str], engine: Any) -> None:
    """DataError naming the first table of ``wanted`` that already exists."""
    for name in wanted:
        if name in existing:
            raise DataError(f"table '{name}' already exists; choose another data.write_back "
                            "name or drop the old table (nothing was written)",
                            file=_label(engine), column=None)


def write_tables(url: str, table: str, frames: Mapping[str, pd.DataFrame], run_id: str
                 ) -> dict[str, int]:
    """Create and fill the tables of :func:`table_names` from ``frames`` (keyed by export
    stem), all in one transaction. Returns rows written per table."""
    import sqlalchemy

    names = table_names(table)
    engine = _engine(url)
    written: dict[str, int] = {}
    try:
        with engine.begin() as conn:
            _refuse_existing(names.values(), set(sqlalchemy.inspect(conn).get_table_names()),
                             engine)
            for stem, name in names.items():
                df = frames[stem].assign(run_id=run_id)
                df.to_sql(name, conn, if_exists="fail", index=False, chunksize=_CHUNK)
                written[name] = len(df)
    except sqlalchemy.exc.SQLAlchemyError as e:
        raise DataError(f"write-back failed, nothing was written "
                        f"({db_error(e)})",
                        file=_label(engine)) from e
    finally:
        engine.dispose()
    return written
