"""``augment data check`` and the one-line errors of ``augment run`` on bad sources."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from augment.cli import main
from augment.data.check import personal_columns, profile_data
from augment.data.feedback import FeedbackRule
from augment.data.mapped import read_mapped
from augment.data.mapping import ColumnMapping
from augment.testing.event_logs import EVENT_WEIGHTS

COLUMNS = """[data.columns]
user = "customer_id"
item = "sku"
feedback = "event_type"
timestamp = "ts"
{extra}
[data.feedback]
kind = "events"
event_weights = {{ view = 1, cart = 3, purchase = 5 }}
"""


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def shop(tmp_path, event_log):
    events, items = event_log
    events.to_parquet(tmp_path / "events.parquet", index=False)
    items.to_csv(tmp_path / "items.csv", index=False)
    return tmp_path


def _job(folder, data: str, extra: str = "") -> str:
    path = folder / "job.toml"
    path.write_text(f'name = "shop"\n[data]\n{data}\n' + COLUMNS.format(extra=extra),
                    encoding="utf-8")
    return str(path)


def test_profile_counts_and_warnings(shop, event_log):
    events, items = event_log
    mapped = read_mapped(shop / "events.parquet", shop / "items.csv",
                         columns=ColumnMapping(user="customer_id", item="sku",
                                               feedback="event_type", timestamp="ts",
                                               item_key="sku"),
                         feedback=FeedbackRule(kind="events", event_weights=EVENT_WEIGHTS))
    profile = profile_data(mapped)
    pairs = events.drop_duplicates(["customer_id", "sku"])
    assert profile["interactions"] == len(pairs)
    assert profile["users"] == events["customer_id"].nunique()
    assert profile["density"] == pytest.approx(len(pairs) / (profile["users"] *
                                                             events["sku"].nunique()))
    assert profile["text_share"]["tags"] == pytest.approx((items["tags"] != "").mean(), abs=1e-4)
    assert profile["feedback_stats"]["duplicate_pairs"] == int(
        (events.groupby(["customer_id", "sku"]).size() > 1).sum())
    assert profile["split"]["cold_items"] > 0
    # supplier_email was read (not private): flagged by name, with what to do
    assert "supplier_email" in profile["personal_data_columns"]
    assert any("supplier_email" in w and "private" in w for w in profile["warnings"])


def test_personal_columns_by_value():
    frame = pd.DataFrame({"note": ["write to ann@example.org", "call +44 20 7946 0958", "ok"],
                          "title": ["A", "B", "C"]})
    found = personal_columns(frame)
    assert set(found) == {"note"} and "e-mail" in found["note"]


def test_data_check_cli_on_a_job_and_on_a_file(shop, capsys):
    job = _job(shop, f'interactions = "{shop}/events.parquet"\nitems = "{shop}/items.csv"',
               extra='item_key = "sku"\nprivate = ["supplier_email"]')
    code, out, err = _cli(capsys, "data", "check", job)
    assert code == 0, err
    assert "interactions" in out and "duplicates" in out and "combined by 'sum'" in out
    assert "supplier_email" not in out.split("warnings:")[1]  # private: no warning
    code, out, _ = _cli(capsys, "data", "check", shop / "events.parquet", "--user",
                        "customer_id", "--item", "sku", "--json")
    assert code == 0 and json.loads(out)["feedback"]["kind"] == "implicit"
    assert not list(shop.glob("runs"))  # data check writes nothing


def test_data_check_exit_2_on_unusable_data(tmp_path, capsys):
    pd.DataFrame({"user_id": [1, 1], "item_id": [5, 5]}).to_csv(tmp_path / "one.csv",
                                                                index=False)
    code, out, err = _cli(capsys, "data", "check", tmp_path / "one.csv")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "at least 2" in err


EVENTS_RULE = 'kind = "events"\nevent_weights = { view = 1, cart = 3, purchase = 5 }'
STANDARD = ('user = "customer_id"\nitem = "sku"\nfeedback = "event_type"\ntimestamp = "ts"',
            EVENTS_RULE)
CASES = {  # data keys, [data.columns], [data.feedback], what the one line must name
    "failing query": ('url = "sqlite:///{db}"\ninteractions = {{ query = "SELECT * FROM nope" }}',
                      *STANDARD, ["the query failed", "nope", "shop.db"]),
    "missing column": ('interactions = "{d}/events.parquet"', STANDARD[0].replace(
        'user = "customer_id"', 'user = "customer"'), EVENTS_RULE,
        ["events.parquet", "column 'customer'", "did you mean 'customer_id'"]),
    "same column twice": ('interactions = "{d}/events.parquet"',
                          STANDARD[0].replace('timestamp = "ts"', 'timestamp = "sku"'),
                          EVENTS_RULE, ["job.toml", "key 'data.columns.timestamp'",
                                        "column 'sku' is mapped twice"]),
    "rating outside range": ('interactions = "{d}/events.parquet"',
                             STANDARD[0].replace('"event_type"', '"stars"'),
                             'kind = "explicit"\nrating_range = [1, 5]',
                             ["events.parquet", "row 8", "column 'stars'", "rating 9"]),
    "event without weight": ('interactions = "{d}/events.parquet"', *STANDARD,
                             ["events.parquet", "row 4", "column 'event_type'", "no weight"]),
    "parquet parts differ": ('interactions = "{d}/parts"', *STANDARD,
                             ["b.parquet", "column 'ts'", "same schema"]),
    "table exists": ('url = "sqlite:///{db}"\ninteractions = {{ table = "events" }}\n'
                     'write_back = "events"', *STANDARD, ["shop.db", "'events' already exists"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_exit_2_nothing_written(case, shop, event_log, capsys):
    import sqlalchemy

    events, _ = event_log
    data, columns, rule, needles = CASES[case]
    db = shop / "shop.db"
    engine = sqlalchemy.create_engine(f"sqlite:///{db}")
    events.to_sql("events", engine, index=False)
    engine.dispose()
    stars = [9.0 if i == 7 else 4.0 for i in range(len(events))]
    bad_event = events["event_type"].where(events.index != 3, "wish")
    events.assign(stars=stars, event_type=bad_event if case == "event without weight"
                  else events["event_type"]).to_parquet(shop / "events.parquet", index=False)
    (shop / "parts").mkdir()
    events.iloc[:50].to_parquet(shop / "parts" / "a.parquet", index=False)
    events.iloc[50:].assign(ts=events["ts"].iloc[50:].astype(float)).to_parquet(
        shop / "parts" / "b.parquet", index=False)
    job = shop / "job.toml"
    job.write_text(f'name = "shop"\n[data]\n{data.format(d=shop, db=db)}\n[data.columns]\n'
                   f'{columns}\n[data.feedback]\n{rule}\n', encoding="utf-8")
    code, out, err = _cli(capsys, "run", job, "--out", shop / "run", "--no-progress")
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("augment run: error: ")
    for needle in needles:
        assert needle in err, (needle, err)
    assert not (shop / "run").exists()
    engine = sqlalchemy.create_engine(f"sqlite:///{db}")
    assert sqlalchemy.inspect(engine).get_table_names() == ["events"]
    engine.dispose()
