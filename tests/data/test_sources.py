"""The same event log read from every kind of source gives the same Dataset; bad sources
fail with one line naming source, column and row or key."""

from __future__ import annotations

import pandas as pd
import pytest

from augment.data.feedback import FeedbackRule
from augment.data.mapped import read_mapped
from augment.data.mapping import ColumnMapping
from augment.data.sources import DuckDBSource, SQLSource
from augment.errors import DataError
from augment.testing.event_logs import EVENT_WEIGHTS

MAPPING = ColumnMapping(user="customer_id", item="sku", feedback="event_type", timestamp="ts",
                        item_key="sku", text=("name", "genres", "tags"),
                        private=("supplier_email",))
RULE = FeedbackRule(kind="events", event_weights=EVENT_WEIGHTS, dedup_seconds=2,
                    transform="log1p")


def _read(events, items, **kw):
    return read_mapped(events, items, columns=MAPPING, feedback=RULE, **kw).dataset


def _to_sql(url: str, events: pd.DataFrame, items: pd.DataFrame) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        events.to_sql("events", conn, index=False)
        items.to_sql("products", conn, index=False)
    engine.dispose()


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.interactions, b.interactions)
    pd.testing.assert_frame_equal(a.items, b.items)


@pytest.fixture
def files(tmp_path, event_log):
    events, items = event_log
    events.to_csv(tmp_path / "events.csv", index=False)
    events.to_parquet(tmp_path / "events.parquet", index=False)
    (tmp_path / "parts").mkdir()
    for k, start in enumerate(range(0, len(events), 700)):
        events.iloc[start:start + 700].to_parquet(tmp_path / "parts" / f"p{k:03d}.parquet",
                                                  index=False)
    items.to_csv(tmp_path / "items.csv", index=False)
    items.to_parquet(tmp_path / "items.parquet", index=False)
    return tmp_path


def test_csv_parquet_folder_duckdb_sqlite_give_the_same_dataset(files, event_log):
    events, items = event_log
    assert len(events) > 1000 and events.duplicated(["customer_id", "sku"]).any()
    base = _read(files / "events.csv", files / "items.csv")
    _same(base, _read(files / "events.parquet", files / "items.parquet"))
    _same(base, _read(files / "parts", files / "items.parquet", batch_rows=500))
    duck = DuckDBSource(f"SELECT * FROM read_parquet('{files}/parts/*.parquet')")
    _same(base, _read(duck, DuckDBSource(f"SELECT * FROM '{files}/items.csv'")))
    url = f"sqlite:///{files / 'shop.db'}"
    _to_sql(url, events, items)
    _same(base, _read({"query": "SELECT * FROM events"}, {"table": "products"}, url=url))
    # the private column was never read; the text columns were
    assert list(base.items.columns) == ["item_id", "name", "genres", "tags"]
    assert base.interactions["weight"].min() > 0 and len(base.interactions) < len(events)


def test_postgres_gives_the_same_dataset(files, event_log, postgres_url):
    events, items = event_log
    _to_sql(postgres_url, events, items)
    base = _read(files / "events.csv", files / "items.csv")
    pg = _read(SQLSource(postgres_url, query="SELECT * FROM events ORDER BY ts, customer_id, "
                                             "sku, event_type"),
               SQLSource(postgres_url, table="products"))
    _same(base, pg)


def test_failing_query_is_one_line_naming_the_source(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(DataError) as err:
        _read({"query": "SELECT * FROM no_such_table"}, None, url=url)
    msg = str(err.value)
    assert "\n" not in msg and "the query failed" in msg and "no_such_table" in msg
    assert "x.db" in msg
    with pytest.raises(DataError, match="query failed"):
        _read(DuckDBSource("SELECT * FROM read_parquet('/nonexistent/*.parquet')"), None)


def test_parquet_parts_with_different_schemas(tmp_path, event_log):
    events, _ = event_log
    (tmp_path / "parts").mkdir()
    events.iloc[:100].to_parquet(tmp_path / "parts" / "a.parquet", index=False)
    bad = events.iloc[100:200].assign(ts=events["ts"].iloc[100:200].astype(str))
    bad.to_parquet(tmp_path / "parts" / "b.parquet", index=False)
    with pytest.raises(DataError) as err:
        _read(tmp_path / "parts", None)
    assert err.value.column == "ts" and err.value.file.endswith("b.parquet")


def test_missing_id_names_the_row(tmp_path, event_log):
    events, _ = event_log
    events = events.iloc[:50].copy()
    events.loc[29, "sku"] = None
    events.to_parquet(tmp_path / "e.parquet", index=False)
    with pytest.raises(DataError) as err:
        _read(tmp_path / "e.parquet", None)
    assert (err.value.row, err.value.column) == (30, "sku")


def test_the_generated_log_has_the_worked_example_shape(event_log):
    events, items = event_log
    assert set(events["event_type"]) == set(EVENT_WEIGHTS)
    per_pair = events.groupby(["customer_id", "sku"]).size()
    assert (per_pair > 1).mean() > 0.5
    assert items["supplier_email"].str.contains("@").all()
