"""Fixtures for the data-source tests: a small event log on disk, and a throwaway
PostgreSQL server (initdb + pg_ctl on a Unix socket in a temp folder, stopped at the end;
skipped only when no ``initdb`` is installed)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from data_helpers import small_ratings

from augment.testing.event_logs import movielens_event_log


@pytest.fixture
def event_log() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(events, items) of the worked example's shape, from a small synthetic ratings set."""
    return movielens_event_log(small_ratings(), seed=0)


def _pg_binary(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_owner(cmd: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[dict[str, str]]:
    """A PostgreSQL server for this test session: {"host": socket folder, "port", "user"}."""
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed (no initdb found): "
                    "apt-get install -y postgresql to run the SQL tests against it")
    pytest.importorskip("psycopg", reason="the PostgreSQL driver: pip install 'augment[sql]'")
    owner = "postgres" if os.geteuid() == 0 else None  # postgres refuses to run as root
    base = Path(tempfile.mkdtemp(prefix="augment-pg-"))
    base.chmod(0o755)
    if owner:
        shutil.chown(base, user=owner)
    data, log = base / "data", base / "server.log"
    port = "5432"  # only names the socket file: no TCP listener (listen_addresses='')
    subprocess.run(_as_owner([initdb, "-D", str(data), "-A", "trust", "-U", "augment",
                              "-E", "UTF8", "--no-sync"], owner),
                   check=True, capture_output=True)
    subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-l", str(log), "-w", "-o",
                              f"-k {base} -c listen_addresses='' -p {port} -F", "start"],
                             owner), check=True, capture_output=True)
    try:
        yield {"host": str(base), "port": port, "user": "augment"}
    finally:
        subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                                 owner), capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: dict[str, str]) -> str:
    """A SQLAlchemy URL of a new, empty database on the session's server."""
    import sqlalchemy

    s = postgres_server
    admin = f"postgresql+psycopg://{s['user']}@/postgres?host={s['host']}&port={s['port']}"
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return f"postgresql+psycopg://{s['user']}@/{name}?host={s['host']}&port={s['port']}"
