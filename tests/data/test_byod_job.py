"""``augment run`` on jobs that read an event log through each kind of source, profile it in
the manifest and the report, and write the enriched tables back to SQL."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from augment.cli import main
from augment.jobs import load_job
from augment.pipeline import run_job
from augment.providers.fake import FakeProvider
from augment.testing import minimal_instance

JOB = """name = "shop"
[data]
{data}
[data.columns]
user = "customer_id"
item = "sku"
feedback = "event_type"
timestamp = "ts"
text = ["name", "genres", "tags"]
private = ["supplier_email"]
[data.feedback]
kind = "events"
event_weights = {{ view = 1, cart = 3, purchase = 5 }}
dedup_seconds = 2
transform = "log1p"
[split]
kind = "item-cold"
[tasks.item_attributes]
provider = "fake"
sample = 5
[tasks.pseudo_interactions]
provider = "fake"
sample = 3
n_repeats = 1
n_candidates = 6
[enrich]
weight = 0.5
[als]
factors = 8
iterations = 3
"""


class Recorder:
    """Builds one FakeProvider per task config, answering a minimal valid record, and keeps
    every request for the private-column check."""

    def __init__(self) -> None:
        self.fakes: list[FakeProvider] = []

    def __call__(self, _task_cfg) -> FakeProvider:
        fake = FakeProvider(fn=self.answer)
        self.fakes.append(fake)
        return fake

    @staticmethod
    def answer(request):
        """Pseudo-interactions: the first two candidates; anything else: a minimal record."""
        if request.schema_name != "pseudo_interactions_cold_item":
            return minimal_instance(request.schema)
        text = [m["content"] for m in request.messages if m["role"] == "user"][0]
        data = json.loads(re.search(r"<data>\n(.*)\n</data>", text, re.DOTALL).group(1))
        return {"users": [{"user_id": c["user_id"], "confidence": "high"}
                          for c in data["candidates"][:2]]}

    def prompts(self) -> str:
        return "\n".join(json.dumps(req.messages, default=str)
                         for f in self.fakes for req in f.history)


def _write(tmp_path, event_log):
    events, items = event_log
    (tmp_path / "parts").mkdir()
    for k, start in enumerate(range(0, len(events), 1000)):
        events.iloc[start:start + 1000].to_parquet(tmp_path / "parts" / f"{k}.parquet",
                                                   index=False)
    items.to_csv(tmp_path / "items.csv", index=False)


def _run(tmp_path, data: str, name: str = "run"):
    job = tmp_path / f"{name}.toml"
    job.write_text(JOB.format(data=data), encoding="utf-8")
    recorder = Recorder()
    out = run_job(load_job(job), out=tmp_path / name, provider_factory=recorder,
                  progress=False)
    return out, recorder


def _sql(url: str, event_log) -> None:
    import sqlalchemy

    events, items = event_log
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        events.to_sql("events", conn, index=False)
        items.to_sql("products", conn, index=False)
    engine.dispose()


def _check_run(out, recorder, event_log) -> dict:
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    data = manifest["data"]
    assert data["feedback"]["kind"] == "events" and data["feedback"]["aggregate"] == "sum"
    stats = data["feedback_stats"]
    assert stats["rows"] == len(event_log[0]) and stats["rows_deduplicated"] > 0
    assert stats["duplicate_pairs"] > 0
    assert data["profile"]["interactions"] == manifest["counts"]["interactions"]
    # the private column never reached a prompt, a record or an export
    emails = set(event_log[1]["supplier_email"])
    prompts = recorder.prompts()
    assert "sku-" in prompts and "Movie" in prompts
    assert not any(e in prompts for e in emails)
    for path in out.rglob("*.parquet"):
        text = pd.read_parquet(path).to_csv()
        assert "supplier_email" not in text and not any(e in text for e in emails)
    report = (out / "report.md").read_text()
    assert "## Data" in report and "supplier_email" in report  # listed as never read
    return manifest


def test_job_reads_a_parquet_folder(tmp_path, event_log):
    _write(tmp_path, event_log)
    out, rec = _run(tmp_path, f'interactions = "{tmp_path}/parts"\nitems = "{tmp_path}/items.csv"')
    _check_run(out, rec, event_log)


def test_job_reads_a_csv_event_log_and_gives_the_parquet_folders_counts(tmp_path, event_log):
    _write(tmp_path, event_log)
    event_log[0].to_csv(tmp_path / "events.csv", index=False)
    out_pq, _ = _run(tmp_path, f'interactions = "{tmp_path}/parts"\n'
                               f'items = "{tmp_path}/items.csv"', "pq")
    out, rec = _run(tmp_path, f'interactions = "{tmp_path}/events.csv"\n'
                              f'items = "{tmp_path}/items.csv"', "csv")
    manifest = _check_run(out, rec, event_log)
    pq = json.loads((out_pq / "manifest.json").read_text())
    assert manifest["counts"] == pq["counts"]


def test_job_reads_duckdb_and_gives_the_parquet_folders_counts(tmp_path, event_log):
    _write(tmp_path, event_log)
    out_pq, _ = _run(tmp_path, f'interactions = "{tmp_path}/parts"\n'
                               f'items = "{tmp_path}/items.csv"', "pq")
    out, rec = _run(tmp_path, f'interactions = {{ duckdb = "SELECT * FROM read_parquet('
                              f"'{tmp_path}/parts/*.parquet')\" }}\n"
                              f'items = {{ duckdb = "SELECT * FROM \'{tmp_path}/items.csv\'" }}',
                    "duck")
    manifest = _check_run(out, rec, event_log)
    pq = json.loads((out_pq / "manifest.json").read_text())
    assert manifest["counts"] == pq["counts"]
    assert manifest["job_hash"] != pq["job_hash"]


def test_job_reads_sqlite_and_writes_back_in_one_transaction(tmp_path, event_log):
    import sqlalchemy

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    _sql(url, event_log)
    data = (f'url = "{url}"\ninteractions = {{ query = "SELECT * FROM events" }}\n'
            f'items = {{ table = "products" }}\nwrite_back = "enriched"')
    out, rec = _run(tmp_path, data)
    manifest = _check_run(out, rec, event_log)
    wb = manifest["write_back"]
    engine = sqlalchemy.create_engine(url)
    enriched = pd.read_sql_table("enriched", engine)
    exported = pd.read_parquet(out / "enriched" / "interactions.parquet")
    assert len(enriched) == len(exported) == wb["rows"]["enriched"]
    assert set(enriched["run_id"]) == {wb["run_id"]}
    assert set(enriched["source"]) == {"observed", "generated"}
    assert len(pd.read_sql_table("events", engine)) == len(event_log[0])  # input untouched
    engine.dispose()
    # the same job again in a new folder: the table exists -> exit 2, one line, nothing written
    job = tmp_path / "again.toml"
    job.write_text(JOB.format(data=data), encoding="utf-8")
    code = main(["run", str(job), "--out", str(tmp_path / "again"), "--no-progress"])
    assert code == 2 and not (tmp_path / "again").exists()


def test_job_reads_postgres_and_writes_back(tmp_path, event_log, postgres_url, monkeypatch):
    import sqlalchemy

    _sql(postgres_url, event_log)
    monkeypatch.setenv("SHOP_DB", postgres_url)
    data = ('url_env = "SHOP_DB"\ninteractions = { query = "SELECT * FROM events ORDER BY ts, '
            'customer_id, sku, event_type" }\nitems = { table = "products" }\n'
            'write_back = "enriched"')
    out, rec = _run(tmp_path, data)
    manifest = _check_run(out, rec, event_log)
    engine = sqlalchemy.create_engine(postgres_url)
    names = set(sqlalchemy.inspect(engine).get_table_names())
    assert {"enriched", "enriched_item_features", "enriched_user_features"} <= names
    features = pd.read_sql_table("enriched_item_features", engine)
    assert len(features) == manifest["write_back"]["rows"]["enriched_item_features"]
    engine.dispose()
    assert postgres_url not in json.dumps(manifest)  # the URL came from the environment


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_write_back_rolls_back_when_a_table_exists(tmp_path, db, request):
    import sqlalchemy

    from augment.data.writeback import write_tables
    from augment.errors import DataError

    url = (f"sqlite:///{tmp_path / 'w.db'}" if db == "sqlite"
           else request.getfixturevalue("postgres_url"))
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE out_user_features (x INTEGER)")
    frames = {"interactions": pd.DataFrame({"user_id": [1], "item_id": [2], "weight": [1.0],
                                            "source": ["observed"]}),
              "item_features": pd.DataFrame({"item_id": [2], "feature": ["f"], "value": [1.0]}),
              "user_features": pd.DataFrame({"user_id": [1], "feature": ["g"], "value": [1.0]})}
    with pytest.raises(DataError, match="'out_user_features' already exists"):
        write_tables(url, "out", frames, "run-1")
    names = set(sqlalchemy.inspect(engine).get_table_names())
    assert names == {"out_user_features"}  # the two tables created before were rolled back
    engine.dispose()


def test_shipped_shop_job_runs_on_the_example_data(tmp_path, monkeypatch, capsys):
    from pathlib import Path

    from data_helpers import small_ratings

    from augment.testing.event_logs import write_example_shop

    write_example_shop(tmp_path / "data" / "shop", small_ratings(), part_rows=500)
    monkeypatch.chdir(tmp_path)
    job = Path(__file__).resolve().parents[2] / "jobs" / "shop-events.toml"
    assert main(["data", "check", str(job)]) == 0
    checked = capsys.readouterr().out
    assert "combined by 'sum'" in checked and "deduplicated" in checked
    recorder = Recorder()
    out = run_job(load_job(job), out=tmp_path / "run", provider_factory=recorder,
                  progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["data"]["columns"]["private"] == ["supplier_email"]
    assert not any(e in recorder.prompts() for e in ["supplier1@example.com",
                                                     "supplier2@example.com"])


@pytest.mark.realdata
def test_data_example_writes_the_movielens_shop(tmp_path, movielens_dir, capsys):
    code = main(["data", "example", str(tmp_path / "shop"), "--data-dir", str(movielens_dir)])
    assert code == 0
    events = pd.read_parquet(tmp_path / "shop" / "events")
    ratings = pd.read_csv(movielens_dir / "ml-latest-small" / "ratings.csv")
    assert events["customer_id"].nunique() == ratings["userId"].nunique()
    assert events.duplicated(["customer_id", "sku"]).mean() > 0.3  # repeated pairs
    assert set(events["event_type"]) == {"view", "cart", "purchase"}
